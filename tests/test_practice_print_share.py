"""A practice page for meetings: a print stylesheet and a link to share the page."""

import pytest
from django.contrib.staticfiles import finders

from practices.models import PracticePage

from .factories import make_practice

pytestmark = pytest.mark.django_db


def practice_html(client, page):
    response = client.get(page.url)
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def practice(db):
    return PracticePage.objects.live().filter(locale__language_code="fi").first()


def test_print_stylesheet_is_linked_for_print_only_and_exists(client, practice):
    page_html = practice_html(client, practice)
    assert '<link rel="stylesheet" href="/static/css/print.css" media="print">' in page_html
    css = open(finders.find("css/print.css"), encoding="utf-8").read()
    for hidden in (".site-header form", ".language-switcher", ".site-footer", ".share", ".region-map"):
        assert hidden in css
    assert ".print-only" in css and "break-inside: avoid" in css


def test_share_link_is_the_absolute_address(client, practice):
    page_html = practice_html(client, practice)
    address = f"http://testserver{practice.url}"
    assert f'<a class="share__url" href="{address}" data-share-url>{address}</a>' in page_html
    assert "Linkki tälle sivulle" in page_html
    assert 'role="status" aria-live="polite" data-share-status' in page_html
    assert 'data-copied="Linkki kopioitu"' in page_html
    assert '<script src="/static/js/share.js" defer></script>' in page_html
    assert finders.find("js/share.js")


def test_printed_from_line_names_the_address(client, practice):
    page_html = practice_html(client, practice)
    assert f'<p class="print-only printed-from">Tulostettu osoitteesta http://testserver{practice.url}</p>' in page_html


@pytest.mark.parametrize("language, text", [("sv", "Utskriven från"), ("en", "Printed from")])
def test_printed_from_line_is_translated(client, language, text):
    page = PracticePage.objects.live().filter(locale__language_code=language).first()
    assert f"{text} http://testserver{page.url}" in practice_html(client, page)


def test_no_contact_without_consent_in_the_printable_page(client, uusimaa):
    page = make_practice(uusimaa, contacts=[
        {"name": "Näkyvä Yhteyshenkilö", "email": "nakyva@kb.example", "publish_consent": True},
        {"name": "Piilotettu Yhteyshenkilö", "email": "piilo@kb.example", "phone": "+358 40 123 4567",
         "publish_consent": False},
    ])
    page_html = practice_html(client, page)
    assert "Näkyvä Yhteyshenkilö" in page_html and "nakyva@kb.example" in page_html
    assert "Piilotettu" not in page_html and "piilo@kb.example" not in page_html and "123 4567" not in page_html
