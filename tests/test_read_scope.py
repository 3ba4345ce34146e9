"""Read scope (issue #12, item 7): a region-scoped editor sees nothing of another region's unpublished
work anywhere in the admin, beyond what tests/test_editorial_matrix.py walks view by view: reports,
the dashboard, the admin API behind the explorer menu, bulk actions, page choosers, translations.

"Ours" is Uusimaa (01), where an author has a draft page and a live page whose new title waits for
review; the Pirkanmaa (06) coordinator must never meet either unpublished title. Someone who may
read them (Uusimaa's coordinator; a national editor or a superuser where Wagtail's own permissions
open the view only to them) meets them in the same views: each scoped answer is checked against
an answer that does show the titles, so no check here can pass by looking at an empty page.
"""

import json

import pytest
from django.test import TestCase
from django.urls import reverse
from wagtail.models import Page

from editorial.testing import make_member, put_in_review

from .factories import log_in_superuser, make_practice

pytestmark = pytest.mark.django_db

LIVE_TITLE = "Lukuoikeus julkaistu otsikko"
PENDING_TITLE = "Lukuoikeus tarkistettava otsikko"
DRAFT_TITLE = "Lukuoikeus julkaisematon luonnos"
UNPUBLISHED = (PENDING_TITLE, DRAFT_TITLE)


@pytest.fixture
def uusimaa_work(uusimaa):
    """Uusimaa's live page with a title in review, its draft page, both locked by their coordinator."""
    author = make_member("contributor", "01", username="uusimaan-kirjoittaja")
    coordinator = make_member("coordinator", "01", username="uusimaan-koordinaattori")
    with TestCase.captureOnCommitCallbacks(execute=True):
        live = make_practice(uusimaa, title=LIVE_TITLE)
        put_in_review(live, author, title=PENDING_TITLE)
        draft = make_practice(uusimaa, title=DRAFT_TITLE, publish=False, live=False)
        draft.save_revision(user=author, log_action=True)
        Page.objects.filter(pk__in=(live.pk, draft.pk)).update(locked=True, locked_by=coordinator)
    return live, draft


def body_of(response) -> str:
    if response.get("Content-Type", "").startswith("application/json"):
        return json.dumps(response.json(), ensure_ascii=False)
    return response.content.decode()


def shown(client, url) -> set[str]:
    """The unpublished Uusimaa titles that a GET of ``url`` shows."""
    body = body_of(client.get(url))
    return {title for title in UNPUBLISHED if title in body}


REPORTS = ("locked_pages", "workflow", "workflow_tasks", "site_history", "aging_pages")


@pytest.mark.parametrize("report", REPORTS)
def test_reports_show_only_the_own_regions_unpublished_work(client, uusimaa_work, report):
    url = reverse(f"wagtailadmin_reports:{report}")
    client.force_login(make_member("coordinator", "06"))
    assert shown(client, url) == set()
    client.force_login(make_member("coordinator", "01"))
    assert shown(client, url)  # the report does list Uusimaa's unpublished work to its coordinator


def test_the_site_wide_page_types_report_is_for_national_editors_only(client, uusimaa_work):
    """It names the latest edited page of each page type, whatever its region or state."""
    url = reverse("wagtailadmin_reports:page_types_usage")
    client.force_login(make_member("national_editor"))
    assert shown(client, url) == {DRAFT_TITLE}
    reports_page = reverse("wagtailadmin_reports:site_history")
    assert "page-types-usage" in client.get(reports_page).content.decode()  # the reports menu

    client.force_login(make_member("coordinator", "06"))
    response = client.get(url)
    assert response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home")
    results = client.get(reverse("wagtailadmin_reports:page_types_usage_results"))
    assert results.status_code == 302 and DRAFT_TITLE not in body_of(results)
    assert "page-types-usage" not in client.get(reports_page).content.decode()


def test_the_dashboard_shows_only_the_own_regions_work_in_review(client, uusimaa_work):
    client.force_login(make_member("coordinator", "06"))
    assert shown(client, reverse("wagtailadmin_home")) == set()
    client.force_login(make_member("coordinator", "01"))
    assert PENDING_TITLE in shown(client, reverse("wagtailadmin_home"))


def test_the_admin_api_behind_the_explorer_menu(client, uusimaa, uusimaa_work):
    live, draft = uusimaa_work
    api = "/admin/api/main/pages/"
    urls = (f"{api}?child_of={uusimaa.pk}&for_explorer=1", f"{api}{live.pk}/", f"{api}{draft.pk}/")
    client.force_login(make_member("national_editor"))
    assert set().union(*(shown(client, url) for url in urls)) == set(UNPUBLISHED)
    client.force_login(make_member("coordinator", "06"))
    assert set().union(*(shown(client, url) for url in urls)) == set()


@pytest.mark.parametrize("action", ("delete", "move", "unpublish"))
def test_bulk_actions_do_not_name_another_regions_pages(client, uusimaa_work, action):
    """The confirmation page of a bulk action lists the chosen pages, those it may not act on too."""
    ids = "&".join(f"id={page.pk}" for page in uusimaa_work)
    url = f"{reverse('wagtail_bulk_action', args=('wagtailcore', 'page', action))}?{ids}"
    client.force_login(make_member("coordinator", "01"))
    assert shown(client, url) == set(UNPUBLISHED)
    client.force_login(make_member("coordinator", "06"))
    response = client.get(url)
    assert response.status_code in (302, 404) and shown(client, url) == set()


def test_the_chooser_does_not_browse_into_anothers_unpublished_work(client, uusimaa, uusimaa_work):
    live, draft = uusimaa_work
    browse = "wagtailadmin_choose_page_child"
    client.force_login(make_member("coordinator", "06"))
    # Another region's page without pending changes can be browsed (its live pages are choices).
    region_listing = body_of(client.get(reverse(browse, args=(uusimaa.pk,))))
    assert LIVE_TITLE in region_listing
    assert not any(title in region_listing for title in UNPUBLISHED)
    for page in (live, draft):
        response = client.get(reverse(browse, args=(page.pk,)))
        assert response.status_code != 200 and shown(client, reverse(browse, args=(page.pk,))) == set()
    client.force_login(make_member("coordinator", "01"))
    assert shown(client, reverse(browse, args=(live.pk,))) == {PENDING_TITLE}


def test_the_translation_ui_of_another_regions_page(client, uusimaa_work):
    """wagtail-localize's "translate this page" form names the page."""
    live, draft = uusimaa_work
    urls = [reverse("wagtail_localize:submit_page_translation", args=(page.pk,)) for page in (live, draft)]
    log_in_superuser(client)  # who may submit pages for translation
    assert set().union(*(shown(client, url) for url in urls)) == set(UNPUBLISHED)
    client.force_login(make_member("coordinator", "06"))
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and shown(client, url) == set()


def test_an_unpublished_page_is_answered_as_if_it_did_not_exist(client, uusimaa_work):
    _live, draft = uusimaa_work
    client.force_login(make_member("coordinator", "06"))
    hidden = client.get(reverse("wagtailadmin_explore", args=(draft.pk,)))
    missing = client.get(reverse("wagtailadmin_explore", args=(987654321,)))
    assert hidden.status_code == missing.status_code
    assert hidden.get("Location", "").replace(str(draft.pk), "987654321") == missing.get("Location", "")
