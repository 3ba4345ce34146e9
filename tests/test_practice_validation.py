"""Validation of practice pages: model rules and the admin form, with the messages editors see."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from editorial.testing import practice_form as editor_form
from practices.models import PracticePage

from .factories import log_in_superuser, make_practice

pytestmark = pytest.mark.django_db


def errors_of(page):
    with translation.override("en"):
        with pytest.raises(ValidationError) as caught:
            page.full_clean()
        return {field: [str(m) for m in messages] for field, messages in caught.value.message_dict.items()}


def test_end_date_before_start_date_is_refused(uusimaa):
    page = make_practice(uusimaa)
    page.is_permanent = False
    page.start_date, page.end_date = datetime.date(2024, 5, 1), datetime.date(2024, 4, 30)
    assert errors_of(page)["end_date"] == ["The end date cannot be before the start date."]


def test_same_day_start_and_end_is_valid(uusimaa):
    page = make_practice(uusimaa, is_permanent=False, status="ongoing")
    page.start_date = page.end_date = datetime.date(2024, 5, 1)
    page.full_clean()


def test_permanent_service_has_no_end_date(uusimaa):
    page = make_practice(uusimaa)
    page.end_date = datetime.date(2030, 1, 1)
    assert "A permanent service has no end date" in errors_of(page)["is_permanent"][0]


def test_ended_practice_needs_end_date(uusimaa):
    page = make_practice(uusimaa, is_permanent=False)
    page.status = "ended"
    assert errors_of(page)["end_date"] == ["An ended practice needs its end date."]


def test_summary_length_is_limited(uusimaa):
    page = make_practice(uusimaa)
    page.summary = "x" * 301
    assert errors_of(page)["summary"] == ["Ensure this value has at most 300 characters (it has 301)."]


# --- The admin form: what an editor sees -------------------------------------------------------

@pytest.fixture
def editor_client(client):
    return log_in_superuser(client, "en")


def practice_form(**overrides):
    overrides.setdefault("slug", "kielikahvila-kirjastossa")
    return editor_form(**overrides)


def field_errors(response, field, language="en"):
    with translation.override(language):
        return [str(message) for message in response.context["form"].errors[field]]


def post_new_practice(client, parent, data):
    url = reverse("wagtailadmin_pages:add", args=("practices", "practicepage", parent.pk))
    return client.post(url, data)


def test_admin_creates_a_valid_practice(editor_client, uusimaa):
    response = post_new_practice(editor_client, uusimaa, practice_form())
    assert response.status_code == 302
    page = PracticePage.objects.child_of(uusimaa).get(slug="kielikahvila-kirjastossa")
    assert [t.code for t in page.themes.all()] == ["language"]


def test_admin_requires_a_region_or_national(editor_client, uusimaa):
    response = post_new_practice(editor_client, uusimaa, practice_form(regions=[]))
    assert response.status_code == 200
    assert field_errors(response, "regions") == [
        "Choose at least one region where the practice runs, or mark it as national."
    ]
    # What the editor typed is kept.
    assert 'value="Kielikahvila kirjastossa"' in response.content.decode()
    assert not PracticePage.objects.filter(slug="kielikahvila-kirjastossa").exists()


def test_admin_accepts_national_without_regions(editor_client, uusimaa):
    response = post_new_practice(editor_client, uusimaa, practice_form(regions=[], is_national="on"))
    assert response.status_code == 302


def test_admin_requires_a_theme(editor_client, uusimaa):
    response = post_new_practice(editor_client, uusimaa, practice_form(themes=[]))
    assert response.status_code == 200
    assert field_errors(response, "themes") == ["Choose at least one theme."]


def test_admin_shows_date_order_message(editor_client, uusimaa):
    form = practice_form(start_date="2024-05-01", end_date="2024-04-01", is_permanent="", status="ongoing")
    response = post_new_practice(editor_client, uusimaa, form)
    assert response.status_code == 200
    assert "The end date cannot be before the start date." in response.content.decode()


def test_finnish_editor_gets_the_message_in_finnish(client, uusimaa):
    response = post_new_practice(log_in_superuser(client, "fi"), uusimaa, practice_form(themes=[]))
    assert field_errors(response, "themes", "fi") == ["Valitse vähintään yksi teema."]
