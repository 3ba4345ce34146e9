"""National highlights: order and periods, the home page, the highlights page and the practice badge
in fi/sv/en, the query budget, and who may change highlights (national editors only) through the
admin's real snippet views, with Wagtail's log recording it."""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape
from wagtail.models import Locale, ModelLogEntry

from editorial.testing import make_member
from highlights.demo import HIGHLIGHTS
from highlights.models import Highlight, HighlightsPage
from practices.models import PracticePage

pytestmark = pytest.mark.django_db

TRANSLATED = "vantaa-kirjastojen-kielikahvila"  # demo practice with sv and en translations
FINNISH_ONLY = "espoo-tukihenkilot-ilman-huoltajaa-tulleille"  # demo practice in Finnish only
OTHER_TRANSLATED = "kotka-naisten-uimakoulu"
LANGUAGES = ("fi", "sv", "en")


def days(offset):
    return timezone.localdate() + datetime.timedelta(days=offset)


def practice(slug, language="fi"):
    source = PracticePage.objects.get(locale__language_code="fi", slug=slug)
    return source if language == "fi" else source.get_translation(Locale.objects.get(language_code=language))


def highlight(slug, sort_order=0, valid_from=None, valid_until=None, rationale=None, **rationales):
    rationale = rationale or f"Perustelu {slug}"
    rationales.setdefault("rationale_sv", f"Motivering {slug}")
    rationales.setdefault("rationale_en", f"Rationale {slug}")
    return Highlight.objects.create(practice=practice(slug), rationale_fi=rationale, sort_order=sort_order,
                                    valid_from=valid_from, valid_until=valid_until, **rationales)


def html(response):
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def shows(content, text):
    return escape(text) in content


def home(client, language):
    return html(client.get(f"/{language}/"))


@pytest.fixture
def no_highlights():
    """Start without the demo highlights (rolled back after the test)."""
    Highlight.objects.all().delete()


# --- Order and periods -------------------------------------------------------------------------


def test_current_highlights_come_in_their_sort_order(client, no_highlights):
    highlight(OTHER_TRANSLATED, sort_order=30)
    highlight(TRANSLATED, sort_order=10)
    highlight(FINNISH_ONLY, sort_order=20)
    expected = [TRANSLATED, FINNISH_ONLY, OTHER_TRANSLATED]
    assert [h.page.slug for h in Highlight.objects.current().with_pages("fi")] == expected

    content = home(client, "fi")
    positions = [content.index(escape(f"Perustelu {slug}")) for slug in expected]
    assert positions == sorted(positions)
    page = HighlightsPage.objects.get(locale__language_code="fi")
    content = html(client.get(page.url))
    positions = [content.index(escape(f"Perustelu {slug}")) for slug in expected]
    assert positions == sorted(positions)


@pytest.mark.parametrize(
    ("valid_from", "valid_until", "current"),
    [
        pytest.param(None, None, True, id="open-ended"),
        pytest.param(-30, None, True, id="started"),
        pytest.param(None, 30, True, id="ends-later"),
        pytest.param(0, 0, True, id="today-only"),
        pytest.param(-30, -1, False, id="expired"),
        pytest.param(None, -1, False, id="expired-open-start"),
        pytest.param(1, None, False, id="future"),
        pytest.param(1, 30, False, id="future-period"),
    ],
)
def test_only_highlights_within_their_period_are_current(client, no_highlights, valid_from, valid_until, current):
    item = highlight(TRANSLATED, valid_from=None if valid_from is None else days(valid_from),
                     valid_until=None if valid_until is None else days(valid_until))
    assert item.is_current() is current
    assert Highlight.objects.current().filter(pk=item.pk).exists() is current
    assert shows(home(client, "fi"), item.rationale_fi) is current
    page = HighlightsPage.objects.get(locale__language_code="fi")
    assert shows(html(client.get(page.url)), item.rationale_fi) is current
    assert shows(html(client.get(practice(TRANSLATED).url)), item.rationale_fi) is current


# --- Public pages in each language -------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_home_page_shows_current_highlights_in_the_visitors_language(client, no_highlights, language):
    translated = highlight(TRANSLATED, sort_order=1)
    finnish_only = highlight(FINNISH_ONLY, sort_order=2, rationale_en="")  # no English rationale yet
    highlight(OTHER_TRANSLATED, sort_order=3, valid_until=days(-1))  # expired

    content = home(client, language)
    with translation.override(language):
        assert shows(content, translation.gettext("National highlights"))
        assert shows(content, translated.rationale)
        assert shows(content, finnish_only.rationale)
        assert shows(content, translation.gettext("Available in Finnish")) is (language != "fi")
    assert f'href="{practice(TRANSLATED, language).url}"' in content
    assert shows(content, practice(TRANSLATED, language).title)
    # Not translated: the Finnish page, marked as such.
    assert f'href="{practice(FINNISH_ONLY).url}"' in content
    assert shows(content, practice(FINNISH_ONLY).title)
    if language == "en":
        assert shows(content, finnish_only.rationale_fi)  # falls back to the Finnish rationale
    assert not any(f"{word} {OTHER_TRANSLATED}" in content for word in ("Perustelu", "Motivering", "Rationale"))
    # Each language shows its own rationale and title, not the others'.
    rationale = {"fi": translated.rationale_fi, "sv": translated.rationale_sv, "en": translated.rationale_en}
    for other in LANGUAGES:
        if other != language:
            assert not shows(content, rationale[other])
            assert not shows(content, practice(TRANSLATED, other).title)


@pytest.mark.parametrize("language", LANGUAGES)
def test_highlights_page_lists_current_highlights_with_their_rationale(client, no_highlights, language):
    current = highlight(TRANSLATED, sort_order=1)
    highlight(OTHER_TRANSLATED, sort_order=2, valid_from=days(5))  # not yet
    page = HighlightsPage.objects.get(locale__language_code=language)
    content = html(client.get(page.url))
    with translation.override(language):
        assert shows(content, current.rationale)
    assert shows(content, practice(TRANSLATED, language).title)
    assert shows(content, practice(TRANSLATED, language).summary)
    assert not shows(content, practice(OTHER_TRANSLATED, language).title)

    Highlight.objects.all().delete()
    with translation.override(language):
        assert shows(html(client.get(page.url)), translation.gettext("There are no national highlights at the moment."))


@pytest.mark.parametrize("language", LANGUAGES)
def test_highlighted_practice_shows_a_badge_in_every_language(client, no_highlights, language):
    item = highlight(TRANSLATED)
    content = html(client.get(practice(TRANSLATED, language).url))
    with translation.override(language):
        assert shows(content, translation.gettext("National highlight"))
        assert "highlight-badge" in content
        assert shows(content, item.rationale)
    # Another practice has no badge.
    assert "highlight-badge" not in html(client.get(practice(OTHER_TRANSLATED, language).url))


def test_home_page_queries_do_not_grow_with_the_highlights(client, no_highlights):
    def count():
        with CaptureQueriesContext(connection) as queries:
            html(client.get("/sv/"))
        return len(queries)

    highlight(TRANSLATED)
    count()  # warm caches (site, locales)
    one = count()
    for slug, *_rationales in HIGHLIGHTS:
        highlight(slug)
    highlight(FINNISH_ONLY)
    assert Highlight.objects.count() == 1 + len(HIGHLIGHTS) + 1
    assert count() == one


# --- Demo content ------------------------------------------------------------------------------


def test_demo_has_four_highlights_and_a_highlights_page_in_every_language(client):
    assert Highlight.objects.current().count() == 4
    for language in LANGUAGES:
        page = HighlightsPage.objects.live().get(locale__language_code=language)
        content = html(client.get(page.url))
        assert content.count('class="card highlight"') == 4
        assert page.url in home(client, language)


# --- Who may change highlights -----------------------------------------------------------------


def admin_url(view, *args):
    return reverse(f"wagtailsnippets_highlights_highlight:{view}", args=args)


def form(slug, rationale_fi="Valtakunnallisesti merkittävä malli.", **overrides):
    data = {"practice": practice(slug).pk, "rationale_fi": rationale_fi, "rationale_sv": "", "rationale_en": "",
            "valid_from": "", "valid_until": "", "sort_order": 5}
    data.update(overrides)
    return data


def post(client, url, data=None):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(url, data or {})


def refused(response):
    """Wagtail's admin refusal: back to the dashboard with a permission error."""
    errors = [m for m in get_messages(response.wsgi_request) if m.level_tag == "error"]
    return response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home") and bool(errors)


def test_national_editor_adds_changes_and_deletes_highlights_and_the_log_records_it(client, no_highlights):
    editor = make_member("national_editor", username="ministerio-nostot")
    client.force_login(editor)
    assert client.get(admin_url("list")).status_code == 200

    response = post(client, admin_url("add"), form(TRANSLATED))
    assert response.status_code == 302 and response["Location"] == admin_url("list")
    item = Highlight.objects.get()
    assert (item.practice.slug, item.rationale_fi, item.sort_order) == (TRANSLATED, "Valtakunnallisesti merkittävä malli.", 5)

    response = post(client, admin_url("edit", item.pk), form(TRANSLATED, valid_until=days(10).isoformat()))
    assert response.status_code == 302 and not refused(response)
    item.refresh_from_db()
    assert item.valid_until == days(10)

    log = [(entry.action, entry.user.username) for entry in ModelLogEntry.objects.for_instance(item).order_by("pk")]
    assert log == [("wagtail.create", "ministerio-nostot"), ("wagtail.edit", "ministerio-nostot")]

    response = post(client, admin_url("delete", item.pk))
    assert response.status_code == 302 and not refused(response)
    assert not Highlight.objects.exists()
    assert ModelLogEntry.objects.filter(action="wagtail.delete", user=editor,
                                        content_type__app_label="highlights").exists()


@pytest.mark.parametrize(("role", "region"), [("coordinator", "01"), ("contributor", "01"), ("translator", None)])
def test_other_roles_cannot_add_change_or_delete_highlights(client, no_highlights, role, region):
    client.force_login(make_member(role, region))
    response = post(client, admin_url("add"), form(TRANSLATED))
    assert refused(response)
    assert not Highlight.objects.exists()

    item = highlight(TRANSLATED)
    response = post(client, admin_url("edit", item.pk), form(TRANSLATED, rationale_fi="Muutettu"))
    assert refused(response)
    item.refresh_from_db()
    assert item.rationale_fi != "Muutettu"
    assert refused(post(client, admin_url("delete", item.pk)))
    assert Highlight.objects.filter(pk=item.pk).exists()
    assert not ModelLogEntry.objects.filter(content_type__app_label="highlights").exists()


def test_coordinators_group_holds_no_highlight_permission():
    from editorial.roles import role_group
    from practices.models import Region

    group = role_group("coordinator", Region.objects.get(code="01"))
    assert not group.permissions.filter(content_type__app_label="highlights").exists()
    editors = role_group("national_editor").permissions.filter(content_type__app_label="highlights")
    assert set(editors.values_list("codename", flat=True)) == {"add_highlight", "change_highlight", "delete_highlight"}


def test_the_form_rejects_a_reversed_period_and_a_second_highlight_of_the_same_practice(client, no_highlights):
    client.force_login(make_member("national_editor"))
    response = client.post(admin_url("add"), form(TRANSLATED, valid_from=days(5).isoformat(),
                                                  valid_until=days(1).isoformat()))
    assert response.status_code == 200 and not Highlight.objects.exists()
    assert response.context["form"].errors["valid_until"]

    highlight(TRANSLATED)
    # The Swedish translation is the same practice.
    response = client.post(admin_url("add"), {**form(TRANSLATED), "practice": practice(TRANSLATED, "sv").pk})
    assert response.status_code == 200 and Highlight.objects.count() == 1
    assert response.context["form"].errors["practice"]
