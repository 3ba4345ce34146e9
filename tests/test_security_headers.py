"""Content-Security-Policy headers (kb/csp.py): the strict policy on every public page, the admin's own
policy under /admin/, and public templates that need nothing more (no inline script, handler or style)."""

import re

import pytest
from django.urls import reverse

from tests.factories import log_in_superuser

pytestmark = pytest.mark.django_db

STRICT = {
    "default-src": {"'self'"}, "script-src": {"'self'"}, "style-src": {"'self'"}, "img-src": {"'self'", "data:"},
    "object-src": {"'none'"}, "base-uri": {"'self'"}, "form-action": {"'self'"}, "frame-ancestors": {"'none'"},
}


def policy(response) -> dict:
    header = response["Content-Security-Policy"]
    directives = (part.split() for part in header.split(";") if part.strip())
    return {name: set(values) for name, *values in directives}


def public_paths(index_fi, uusimaa):
    practice = uusimaa.get_children().live().first()
    return {
        "home fi": "/fi/", "home sv": "/sv/", "home en": "/en/", "practice index": index_fi.url,
        "region": uusimaa.url, "practice": practice.url, "search": "/fi/search/?q=kieli",
        "proposal form": "/fi/propose/",
    }


@pytest.fixture
def pages(client, index_fi, uusimaa):
    from highlights.models import HighlightsPage

    paths = public_paths(index_fi, uusimaa)
    paths["highlights"] = HighlightsPage.objects.live().get(locale__language_code="fi").url
    return paths


def test_every_public_page_type_carries_the_strict_policy(client, pages):
    responses = {name: client.get(path) for name, path in pages.items()}
    responses["404"] = client.get("/fi/ei-ole-olemassa/")
    responses["api"] = client.get(reverse("search_api"), {"q": "kieli"})
    for name, response in responses.items():
        assert response.status_code == (404 if name == "404" else 200), name
        directives = policy(response)
        for directive, sources in STRICT.items():
            assert directives.get(directive) == sources, (name, directive, directives.get(directive))
        assert "'unsafe-inline'" not in directives["script-src"] | directives["style-src"], name
        assert "'unsafe-eval'" not in directives["script-src"], name


def test_admin_pages_carry_the_admin_policy(client):
    log_in_superuser(client)
    for url in (reverse("wagtailadmin_home"), reverse("wagtailadmin_pages:search")):
        response = client.get(url)
        assert response.status_code == 200
        directives = policy(response)
        assert directives["frame-ancestors"] == {"'self'"} and directives["frame-src"] == {"'self'"}
        assert directives["object-src"] == {"'none'"} and directives["default-src"] == {"'self'"}
        assert directives["script-src"] == {"'self'", "'unsafe-inline'"}  # Wagtail's inline scripts
    assert policy(client.get(reverse("wagtailadmin_login")))["form-action"] == {"'self'"}


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*\bnonce=)(?![^>]*type=\"application/(?:ld\+)?json\")[^>]*>",
                           re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"<[^>]*\sstyle\s*=", re.IGNORECASE)


def test_public_pages_need_no_inline_script_or_style(client, pages):
    for name, path in pages.items():
        html = client.get(path).content.decode()
        assert not INLINE_SCRIPT.search(html), (name, INLINE_SCRIPT.search(html).group(0))
        assert not EVENT_HANDLER.search(html), (name, EVENT_HANDLER.search(html).group(0)[:200])
        assert not STYLE_ATTRIBUTE.search(html), (name, STYLE_ATTRIBUTE.search(html).group(0)[:200])
        assert "<style" not in html.lower(), name


def test_the_html_checks_catch_what_they_look_for():
    assert INLINE_SCRIPT.search("<script>alert(1)</script>")
    assert not INLINE_SCRIPT.search('<script src="/static/a.js" defer></script>')
    assert EVENT_HANDLER.search('<a href="#" onclick="x()">') and STYLE_ATTRIBUTE.search('<p style="color:red">')
