"""The permission matrix: every role x every action x own region / other region, in the Finnish and
the Swedish tree, through the admin's real HTTP views. Each case asserts both the answer and the
resulting state (the thing happened, or did not). Wagtail's admin answers a request it refuses with a
redirect to the dashboard and the message "Sorry, you do not have permission to access this area.";
an allowed action redirects to the editor or the listing.

"Own region" is Uusimaa (every member below belongs to Uusimaa's groups, where a role has regions);
"other region" is Pirkanmaa. National editors and translators have no region of their own, so
their two columns agree. "publish" is publishing directly from the editor: nobody but a superuser
may, because a practice goes live only when someone else approves it ("approve" publishes).
"""

import pytest
from django.contrib.messages import get_messages
from django.test import TestCase
from django.urls import reverse
from wagtail.models import WorkflowState

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
