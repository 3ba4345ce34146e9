"""The permission matrix: every role x every action x own region / other region, in the Finnish and
the Swedish tree, through the admin's real HTTP views. Each case asserts both the answer and the
resulting state (the thing happened, or did not). Wagtail's admin answers a request it refuses with a
redirect to the dashboard and the message "Sorry, you do not have permission to access this area.";
an allowed action redirects to the editor or the listing.

"Own region" is Uusimaa (every member below belongs to Uusimaa's groups, where a role has regions);
"other region" is Pirkanmaa. National editors and translators have no region of their own, so
their two columns agree. "publish" is publishing directly from the editor: nobody but a superuser
may, because a practice goes live only when someone else approves it ("approve" publishes).

The two scope tables below are about what an editor *sees*: another region's proposals, draft pages
and titles of revisions waiting for review never appear in a response (docs/editorial.md).
"""

import json

import pytest
from django.contrib.messages import get_messages
from django.test import TestCase
from django.urls import reverse
from wagtail.models import WorkflowState

from coordination.models import Proposal
from editorial.testing import make_member, practice_form, put_in_review
from practices.models import Organisation, OrganisationType, PracticePage, RegionPage, Theme

from .factories import make_practice

pytestmark = pytest.mark.django_db

ACTIONS = ("create", "edit", "submit", "approve", "reject", "publish", "unpublish", "delete")

PAGE_MATRIX = """
role             tree  region  create edit submit approve reject publish unpublish delete
coordinator      fi    own     yes    yes  yes    yes     yes    no      yes       yes
coordinator      fi    other   no     no   no     no      no     no      no        no
coordinator      sv    own     yes    yes  yes    yes     yes    no      yes       yes
coordinator      sv    other   no     no   no     no      no     no      no        no
contributor      fi    own     yes    yes  yes    no      no     no      no        no
contributor      fi    other   no     no   no     no      no     no      no        no
contributor      sv    own     yes    yes  yes    no      no     no      no        no
contributor      sv    other   no     no   no     no      no     no      no        no
national_editor  fi    own     no     no   no     yes     yes    no      yes       no
national_editor  fi    other   no     no   no     yes     yes    no      yes       no
national_editor  sv    own     no     no   no     yes     yes    no      yes       no
national_editor  sv    other   no     no   no     yes     yes    no      yes       no
translator       fi    own     no     no   no     no      no     no      no        no
translator       fi    other   no     no   no     no      no     no      no        no
translator       sv    own     no     yes  yes    no      no     no      no        no
translator       sv    other   no     yes  yes    no      no     no      no        no
"""

TAXONOMY_MATRIX = """
role             add_theme edit_theme delete_theme add_organisation edit_organisation delete_organisation
coordinator      no        no         no           yes              yes               no
contributor      no        no         no           no               no                no
national_editor  yes       yes        yes          yes              yes               yes
translator       no        no         no           no               no                no
"""

REGION_CODES = {"own": "01", "other": "06"}  # Uusimaa, Pirkanmaa


def was_refused(response) -> bool:
    """Wagtail's admin refusal: back to the dashboard with a permission error."""
    refused = response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home")
    errors = [m for m in get_messages(response.wsgi_request) if m.level_tag == "error"]
    assert refused == bool(errors), (response.status_code, response.get("Location"), errors)
    return refused


def assert_outcome(response, happened, allowed):
    assert response.status_code == 302, response.status_code
    assert was_refused(response) is not allowed
    assert happened is allowed


def parse(table):
    header, *rows = [line.split() for line in table.strip().splitlines()]
    return header, rows


def page_cases():
    header, rows = parse(PAGE_MATRIX)
    assert header[3:] == list(ACTIONS)
    for role, tree, region, *answers in rows:
        for action, answer in zip(ACTIONS, answers, strict=True):
            yield pytest.param(role, tree, region, action, answer == "yes", id=f"{role}-{tree}-{region}-{action}")


def taxonomy_cases():
    header, rows = parse(TAXONOMY_MATRIX)
    for role, *answers in rows:
        for action, answer in zip(header[1:], answers, strict=True):
            yield pytest.param(role, action, answer == "yes", id=f"{role}-{action}")


# --- Page actions ------------------------------------------------------------------------------


def region_page(tree, region):
    return RegionPage.objects.get(locale__language_code=tree, region__code=REGION_CODES[region])


def live_practice(parent):
    page = make_practice(parent, title="Alkuperäinen otsikko")
    return PracticePage.objects.get(pk=page.pk)


def edit_url(page):
    return reverse("wagtailadmin_pages:edit", args=(page.pk,))


def latest_title(page):
    page.refresh_from_db()
    return page.get_latest_revision().as_object().title


def do_create(client, parent, author):
    slug = "matriisin-uusi-kaytanto"
    url = reverse("wagtailadmin_pages:add", args=("practices", "practicepage", parent.pk))
    response = client.post(url, practice_form(title="Uusi käytäntö", slug=slug))
    return response, PracticePage.objects.child_of(parent).filter(slug=slug).exists()


def do_edit(client, parent, author):
    page = live_practice(parent)
    response = client.post(edit_url(page), practice_form(title="Muokattu otsikko", slug=page.slug))
    return response, latest_title(page) == "Muokattu otsikko"


def do_submit(client, parent, author):
    page = live_practice(parent)
    form = practice_form(title="Tarkistettava otsikko", slug=page.slug, **{"action-submit": "Submit"})
    response = client.post(edit_url(page), form)
    page.refresh_from_db()
    return response, page.workflow_in_progress


def workflow_action(client, parent, author, action, data):
    page = live_practice(parent)
    task_state = put_in_review(page, author, title="Kirjoittajan muutos")
    url = reverse("wagtailadmin_pages:workflow_action", args=(page.pk, action, task_state.pk))
    response = client.post(url, data)
    return response, WorkflowState.objects.get(pk=task_state.workflow_state_id), page


def do_approve(client, parent, author):
    response, state, page = workflow_action(client, parent, author, "approve", {"comment": ""})
    page.refresh_from_db()
    approved = state.status == WorkflowState.STATUS_APPROVED and page.title == "Kirjoittajan muutos"
    return response, approved


def do_reject(client, parent, author):
    response, state, _page = workflow_action(client, parent, author, "reject", {"comment": "Lisää tuloksia."})
    return response, state.status == WorkflowState.STATUS_NEEDS_CHANGES


def do_publish(client, parent, author):
    page = live_practice(parent)
    form = practice_form(title="Suoraan julki", slug=page.slug, **{"action-publish": "Publish"})
    response = client.post(edit_url(page), form)
    page.refresh_from_db()
    return response, page.title == "Suoraan julki"


def do_unpublish(client, parent, author):
    page = live_practice(parent)
    response = client.post(reverse("wagtailadmin_pages:unpublish", args=(page.pk,)))
    page.refresh_from_db()
    return response, not page.live


def do_delete(client, parent, author):
    page = live_practice(parent)
    response = client.post(reverse("wagtailadmin_pages:delete", args=(page.pk,)))
    return response, not PracticePage.objects.filter(pk=page.pk).exists()


PAGE_ACTIONS = {
    "create": do_create, "edit": do_edit, "submit": do_submit, "approve": do_approve, "reject": do_reject,
    "publish": do_publish, "unpublish": do_unpublish, "delete": do_delete,
}


@pytest.mark.parametrize(("role", "tree", "region", "action", "allowed"), page_cases())
def test_page_permission_matrix(client, role, tree, region, action, allowed):
    parent = region_page(tree, region)
    # Whoever wrote and submitted a page under review: a contributor of that region.
    author = make_member("contributor", REGION_CODES[region], username="kirjoittaja")
    client.force_login(make_member(role, "01" if role in ("coordinator", "contributor") else None))

    with TestCase.captureOnCommitCallbacks(execute=True):
        response, happened = PAGE_ACTIONS[action](client, parent, author)

    assert_outcome(response, happened, allowed)


def test_the_matrix_covers_every_role_action_tree_and_region():
    _header, rows = parse(PAGE_MATRIX)
    assert {(role, tree, region) for role, tree, region, *_ in rows} == {
        (role, tree, region)
        for role in ("coordinator", "contributor", "national_editor", "translator")
        for tree in ("fi", "sv")
        for region in ("own", "other")
    }


# --- Taxonomies (snippets) ---------------------------------------------------------------------


def snippet_url(model, view, *args):
    return reverse(f"wagtailsnippets_practices_{model}:{view}", args=args)


def theme_data(code):
    return {"code": code, "name_fi": "Testiteema", "name_sv": "Testtema", "name_en": "Test theme", "sort_order": 9}


def organisation_data(name):
    return {"name": name, "type": OrganisationType.objects.get(code="association").pk, "region": "", "website": ""}


def do_add_theme(client):
    response = client.post(snippet_url("theme", "add"), theme_data("testiteema"))
    return response, Theme.objects.filter(code="testiteema").exists()


def do_edit_theme(client):
    theme = Theme.objects.create(**theme_data("muokattava"))
    response = client.post(snippet_url("theme", "edit", theme.pk), {**theme_data("muokattava"), "name_fi": "Uusi nimi"})
    theme.refresh_from_db()
    return response, theme.name_fi == "Uusi nimi"


def do_delete_theme(client):
    theme = Theme.objects.create(**theme_data("poistettava"))
    response = client.post(snippet_url("theme", "delete", theme.pk))
    return response, not Theme.objects.filter(pk=theme.pk).exists()


def do_add_organisation(client):
    response = client.post(snippet_url("organisation", "add"), organisation_data("Uusi yhdistys ry"))
    return response, Organisation.objects.filter(name="Uusi yhdistys ry").exists()


def do_edit_organisation(client):
    organisation = Organisation.objects.create(name="Vanha nimi ry", type=OrganisationType.objects.first())
    response = client.post(snippet_url("organisation", "edit", organisation.pk), organisation_data("Uusi nimi ry"))
    organisation.refresh_from_db()
    return response, organisation.name == "Uusi nimi ry"


def do_delete_organisation(client):
    organisation = Organisation.objects.create(name="Poistuva ry", type=OrganisationType.objects.first())
    response = client.post(snippet_url("organisation", "delete", organisation.pk))
    return response, not Organisation.objects.filter(pk=organisation.pk).exists()


TAXONOMY_ACTIONS = {
    "add_theme": do_add_theme, "edit_theme": do_edit_theme, "delete_theme": do_delete_theme,
    "add_organisation": do_add_organisation, "edit_organisation": do_edit_organisation,
    "delete_organisation": do_delete_organisation,
}


@pytest.mark.parametrize(("role", "action", "allowed"), taxonomy_cases())
def test_taxonomy_permission_matrix(client, role, action, allowed):
    client.force_login(make_member(role, "01" if role in ("coordinator", "contributor") else None))
    response, happened = TAXONOMY_ACTIONS[action](client)
    assert_outcome(response, happened, allowed)


# --- What each role sees: proposals of a region ------------------------------------------------------

PROPOSAL_VIEWS = ("inspect", "edit", "delete", "history", "usage", "listing")

PROPOSAL_SCOPE_MATRIX = """
role             region  inspect edit delete history usage listing
coordinator      own     yes     yes  yes    yes     yes   yes
coordinator      other   no      no   no     no      no    no
contributor      own     no      no   no     no      no    no
contributor      other   no      no   no     no      no    no
national_editor  own     yes     yes  yes    yes     yes   yes
national_editor  other   yes     yes  yes    yes     yes   yes
translator       own     no      no   no     no      no    no
translator       other   no      no   no     no      no    no
"""

PROPOSAL_TITLE = "Ehdotettu kielikahvila Matriisilassa"


def proposal_scope_cases():
    header, rows = parse(PROPOSAL_SCOPE_MATRIX)
    assert header[2:] == list(PROPOSAL_VIEWS)
    for role, region, *answers in rows:
        for view, answer in zip(PROPOSAL_VIEWS, answers, strict=True):
            yield pytest.param(role, region, view, answer == "yes", id=f"{role}-{region}-{view}")


def proposal_in(region):
    proposal = Proposal.objects.create(
        title=PROPOSAL_TITLE, summary="Lyhyesti.", problem="Tarve.", how_it_works="Näin.",
        region_page=region_page("fi", region), organisation_name="Yhdistys", proposer_name="Maija",
        email="maija@yhdistys.example", consent_to_contact=True, language="fi",
    )
    return proposal


@pytest.mark.parametrize(("role", "region", "view", "allowed"), proposal_scope_cases())
def test_proposal_scope_matrix(client, role, region, view, allowed):
    """Allowed: the view answers 200 with the proposal's title. Otherwise: refused (403, or Wagtail's
    redirect to the dashboard), or for the listing not listed; the title is never in the body."""
    proposal = proposal_in(region)
    client.force_login(make_member(role, "01" if role in ("coordinator", "contributor") else None))
    if view == "listing":
        response = client.get(reverse("proposals:index"))
        if not allowed and response.status_code == 200:  # who covers some region, but not this one
            assert PROPOSAL_TITLE not in response.content.decode()
            return
    else:
        response = client.get(reverse(f"proposals:{view}", args=(proposal.pk,)))
    if allowed:
        assert response.status_code == 200, response.status_code
        assert PROPOSAL_TITLE in response.content.decode()
    else:
        assert response.status_code in (302, 403), response.status_code
        assert response.status_code == 403 or response["Location"] == reverse("wagtailadmin_home")
        assert PROPOSAL_TITLE not in response.content.decode()
    assert Proposal.objects.filter(pk=proposal.pk).exists()  # a GET never deletes


# --- What each role sees: pages in the admin's search, explorer and page choosers --------------------
# "draft": the region's draft page and the title of a revision in review are listed (own work);
# "live": only the live page, under its live title; "hidden": none of the three.

PAGE_VIEWS = ("page_search", "explorer", "chooser_search", "chooser_browse")

PAGE_SCOPE_MATRIX = """
role             tree  region  page_search explorer chooser_search chooser_browse
coordinator      fi    own     draft       draft    draft          draft
coordinator      fi    other   hidden      hidden   live           live
coordinator      sv    own     draft       draft    draft          draft
coordinator      sv    other   hidden      hidden   live           live
contributor      fi    own     draft       draft    draft          draft
contributor      fi    other   hidden      hidden   live           live
contributor      sv    own     draft       draft    draft          draft
contributor      sv    other   hidden      hidden   live           live
national_editor  fi    own     draft       draft    draft          draft
national_editor  fi    other   draft       draft    draft          draft
national_editor  sv    own     draft       draft    draft          draft
national_editor  sv    other   draft       draft    draft          draft
translator       fi    own     hidden      hidden   live           live
translator       fi    other   hidden      hidden   live           live
translator       sv    own     draft       draft    draft          draft
translator       sv    other   draft       draft    draft          draft
"""

WORD = "Näkyvyysmatriisi"
LIVE_TITLE = f"{WORD} julkaistu otsikko"
PENDING_TITLE = f"{WORD} tarkistettava otsikko"
DRAFT_TITLE = f"{WORD} julkaisematon luonnos"


def page_scope_cases():
    header, rows = parse(PAGE_SCOPE_MATRIX)
    assert header[3:] == list(PAGE_VIEWS)
    for role, tree, region, *answers in rows:
        for view, answer in zip(PAGE_VIEWS, answers, strict=True):
            yield pytest.param(role, tree, region, view, answer, id=f"{role}-{tree}-{region}-{view}")


def page_view_request(view, parent):
    """The URL and query of ``view`` showing the practices of ``parent`` (a region page)."""
    return {
        "page_search": (reverse("wagtailadmin_pages:search"), {"q": WORD}),
        "explorer": (reverse("wagtailadmin_explore", args=(parent.pk,)), {}),
        "chooser_search": (reverse("wagtailadmin_choose_page_search"), {"q": WORD}),
        "chooser_browse": (reverse("wagtailadmin_choose_page_child", args=(parent.pk,)), {}),
    }[view]


def every_page_of(client, url, query):
    """The bodies of every page of a paginated admin listing (the chooser lists 25 per page)."""
    bodies = []
    for number in range(1, 100):
        response = client.get(url, {**query, "p": number})
        if number == 1 and response.status_code == 302:  # the view is refused: nothing is shown
            assert was_refused(response), response["Location"]
            return ""
        if number > 1 and response.status_code == 404:  # past the last page
            break
        assert response.status_code == 200, response.status_code
        # The chooser's browse view answers a modal's JSON, with the HTML inside.
        json_answer = response["Content-Type"].startswith("application/json")
        bodies.append(response.json()["html"] if json_answer else response.content.decode())
        if f"p={number + 1}" not in bodies[-1]:  # no link to a next page
            break
    return "\n".join(bodies)


@pytest.mark.parametrize(("role", "tree", "region", "view", "sees"), page_scope_cases())
def test_page_scope_matrix(client, role, tree, region, view, sees):
    parent = region_page(tree, region)
    author = make_member("contributor", REGION_CODES[region], username="kirjoittaja")
    with TestCase.captureOnCommitCallbacks(execute=True):
        put_in_review(make_practice(parent, title=LIVE_TITLE), author, title=PENDING_TITLE)
        make_practice(parent, title=DRAFT_TITLE, publish=False, live=False)
    client.force_login(make_member(role, "01" if role in ("coordinator", "contributor") else None))

    body = every_page_of(client, *page_view_request(view, parent))
    shown = {"pending": PENDING_TITLE in body, "draft": DRAFT_TITLE in body}
    if sees == "draft":
        assert shown == {"pending": True, "draft": True}
    else:  # the live page (under its live title) or nothing; never another's unpublished work
        assert shown == {"pending": False, "draft": False}
        assert (LIVE_TITLE in body) is (sees == "live")


# --- What each role reads of one page: the admin's views of a page by its id --------------------------
# For a live page with a title waiting for review and an unpublished draft page of the region:
# "full": the view answers 200 with the page's unpublished title. "refused": Wagtail's own refusal
# (the role lacks the permission). "hidden": neither title; the draft page gets exactly the answer a
# page that does not exist gets (not even its existence is confirmed), the live page Wagtail's
# refusal (a choice of it: an error).

PAGE_DETAIL_VIEWS = ("detail", "history", "revision", "compare", "view_draft", "workflow_history", "usage", "chosen")

PAGE_DETAIL_MATRIX = """
role             tree  region  detail  history revision compare view_draft workflow_history usage   chosen
coordinator      fi    own     full    full    full     full    full       full             full    full
coordinator      fi    other   hidden  hidden  hidden   hidden  hidden     hidden           hidden  hidden
coordinator      sv    own     full    full    full     full    full       full             full    full
coordinator      sv    other   hidden  hidden  hidden   hidden  hidden     hidden           hidden  hidden
contributor      fi    own     full    full    full     full    full       full             full    full
contributor      fi    other   hidden  hidden  hidden   hidden  hidden     hidden           hidden  hidden
contributor      sv    own     full    full    full     full    full       full             full    full
contributor      sv    other   hidden  hidden  hidden   hidden  hidden     hidden           hidden  hidden
national_editor  fi    own     full    refused full     full    full       full/refused     refused full
national_editor  fi    other   full    refused full     full    full       full/refused     refused full
national_editor  sv    own     full    refused full     full    full       full/refused     refused full
national_editor  sv    other   full    refused full     full    full       full/refused     refused full
translator       fi    own     hidden  hidden  hidden   hidden  hidden     hidden           hidden  hidden
translator       fi    other   hidden  hidden  hidden   hidden  hidden     hidden           hidden  hidden
translator       sv    own     full    full    full     full    full       full             full    full
translator       sv    other   full    full    full     full    full       full             full    full
"""

MISSING_PAGE_ID = 987654321


def page_detail_cases():
    header, rows = parse(PAGE_DETAIL_MATRIX)
    assert header[3:] == list(PAGE_DETAIL_VIEWS)
    for role, tree, region, *answers in rows:
        yield pytest.param(role, tree, region, dict(zip(PAGE_DETAIL_VIEWS, answers, strict=True)),
                           id=f"{role}-{tree}-{region}")


def page_detail_url(view, page_id, revision_id=None):
    """The admin URL of ``view`` for the page ``page_id`` (``revision_id``: one of its revisions)."""
    pages = "wagtailadmin_pages"
    return {
        "detail": lambda: reverse("wagtailadmin_explore", args=(page_id,)),
        "history": lambda: reverse(f"{pages}:history", args=(page_id,)),
        "revision": lambda: reverse(f"{pages}:revisions_view", args=(page_id, revision_id)),
        "compare": lambda: reverse(f"{pages}:revisions_compare", args=(page_id, "earliest", "latest")),
        "view_draft": lambda: reverse(f"{pages}:view_draft", args=(page_id,)),
        "workflow_history": lambda: reverse(f"{pages}:workflow_history", args=(page_id,)),
        "usage": lambda: reverse(f"{pages}:usage", args=(page_id,)),
        "chosen": lambda: f"{reverse('wagtailadmin_choose_page_chosen_multiple')}?id={page_id}",
    }[view]()


def answered_as_missing(client, response, view, page):
    """``response`` is exactly what a page id that does not exist gets."""
    missing = client.get(page_detail_url(view, MISSING_PAGE_ID, page.get_latest_revision().pk))
    location = response.get("Location", "").replace(str(page.pk), str(MISSING_PAGE_ID))
    return (response.status_code, location) == (missing.status_code, missing.get("Location", ""))


def classify(client, response, view, page, unpublished_title):
    """What ``response`` shows of ``page``: "full", Wagtail's refusal, "missing", or "LEAK"."""
    json_answer = response.get("Content-Type", "").startswith("application/json")
    body = json.dumps(response.json(), ensure_ascii=False) if json_answer else response.content.decode()
    if response.status_code == 200 and unpublished_title in body:
        return "full"
    if unpublished_title in body or DRAFT_TITLE in body or PENDING_TITLE in body:
        return "LEAK"
    if response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home"):
        return "refused" if was_refused(response) else "other"
    if view == "chosen":  # a choice that is not offered: an error instead of the page's data
        return "missing" if response.status_code != 200 else "other"
    return "missing" if answered_as_missing(client, response, view, page) else "other"


@pytest.mark.parametrize(("role", "tree", "region", "answers"), page_detail_cases())
def test_page_detail_scope_matrix(client, role, tree, region, answers):
    parent = region_page(tree, region)
    author = make_member("contributor", REGION_CODES[region], username="kirjoittaja")
    with TestCase.captureOnCommitCallbacks(execute=True):
        live = make_practice(parent, title=LIVE_TITLE)
        put_in_review(live, author, title=PENDING_TITLE)
        draft = make_practice(parent, title=DRAFT_TITLE, publish=False, live=False)
    client.force_login(make_member(role, "01" if role in ("coordinator", "contributor") else None))

    seen = {}
    for view in PAGE_DETAIL_VIEWS:
        live_answer, draft_answer = (
            classify(client, client.get(page_detail_url(view, page.pk, page.get_latest_revision().pk)), view, page,
                     title)
            for page, title in ((live, PENDING_TITLE), (draft, DRAFT_TITLE))
        )
        # "hidden": Wagtail's refusal for the live page (or "missing" for a choice), and for the
        # unpublished page the very answer a page that does not exist gets.
        hidden = draft_answer == "missing" and live_answer == ("missing" if view == "chosen" else "refused")
        seen[view] = "hidden" if hidden else live_answer if live_answer == draft_answer else f"{live_answer}/{draft_answer}"
    assert seen == answers


def test_the_scope_matrices_cover_every_role_and_region():
    roles = ("coordinator", "contributor", "national_editor", "translator")
    _header, rows = parse(PROPOSAL_SCOPE_MATRIX)
    assert {(role, region) for role, region, *_ in rows} == {(r, g) for r in roles for g in ("own", "other")}
    for matrix in (PAGE_SCOPE_MATRIX, PAGE_DETAIL_MATRIX):
        _header, rows = parse(matrix)
        assert {(role, tree, region) for role, tree, region, *_ in rows} == {
            (r, t, g) for r in roles for t in ("fi", "sv") for g in ("own", "other")
        }
