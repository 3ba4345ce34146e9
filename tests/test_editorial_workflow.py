"""Review workflows: one per region in every language tree, the four-eyes rule, notifications, and
publishing only through review (also from wagtail-localize's translation editor)."""

import pytest
from django.core import mail
from django.test import TestCase
from django.urls import reverse
from wagtail.models import TaskState, WorkflowState
from wagtail_localize.models import Translation

from editorial.models import RegionReviewTask
from editorial.roles import review_name, role_group
from editorial.testing import make_member, practice_form, put_in_review
from practices.models import PracticePage, Region, RegionPage

from .factories import make_practice

pytestmark = pytest.mark.django_db


@pytest.fixture
def uusimaa_sv(db):
    return RegionPage.objects.get(locale__language_code="sv", region__code="01")


@pytest.fixture
def coordinator(db):
    return make_member("coordinator", "01", username="koordinaattori-a")


@pytest.fixture
def second_coordinator(db):
    return make_member("coordinator", "01", username="koordinaattori-b")


@pytest.fixture
def contributor(db):
    return make_member("contributor", "01", username="avustaja")


@pytest.fixture
def national_editor(db):
    return make_member("national_editor", username="ministerio")


def login(client, user):
    client.force_login(user)
    return client


def edit_url(page):
    return reverse("wagtailadmin_pages:edit", args=(page.pk,))


def action_url(page, action, task_state):
    return reverse("wagtailadmin_pages:workflow_action", args=(page.pk, action, task_state.pk))


def submit(client, page, title):
    form = practice_form(title=title, slug=page.slug, **{"action-submit": "Submit"})
    with TestCase.captureOnCommitCallbacks(execute=True):  # the queued notifications are delivered on commit
        response = client.post(edit_url(page), form)
    assert response.status_code == 302 and response["Location"] != reverse("wagtailadmin_home")
    page.refresh_from_db()
    return page.current_workflow_task_state


def approve(client, page, task_state):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(action_url(page, "approve", task_state), {"comment": ""})


def refused(response):
    return response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home")


# --- Setup: a workflow per region, in every tree ------------------------------------------------


def test_every_region_page_in_every_language_has_its_regions_review():
    region_pages = RegionPage.objects.select_related("region", "locale")
    assert region_pages.count() == 3 * (Region.objects.count() + 1)
    for page in region_pages:
        workflow = page.get_workflow()
        assert workflow.name == review_name(page.region)
        [task] = [task.specific for task in workflow.tasks]
        assert isinstance(task, RegionReviewTask) and task.region_id == page.region_id
        assert set(task.groups.all()) == {role_group("coordinator", page.region), role_group("national_editor")}


def test_a_practice_inherits_its_regions_workflow(uusimaa):
    practice = make_practice(uusimaa)
    assert practice.get_workflow().name == "Uusimaa – Nyland"


# --- Four-eyes rule ----------------------------------------------------------------------------


def test_a_coordinator_cannot_approve_their_own_submission_but_a_colleague_can(
    client, uusimaa, coordinator, second_coordinator
):
    page = make_practice(uusimaa)
    task_state = submit(login(client, coordinator), page, "Oma muutos")

    html = client.get(edit_url(page)).content.decode()
    assert 'data-workflow-action-name="approve"' not in html
    assert 'data-workflow-action-name="reject"' in html  # anyone reviewing may still ask for changes
    assert refused(approve(client, page, task_state))
    assert TaskState.objects.get(pk=task_state.pk).status == TaskState.STATUS_IN_PROGRESS

    login(client, second_coordinator)
    assert 'data-workflow-action-name="approve"' in client.get(edit_url(page)).content.decode()
    assert not refused(approve(client, page, task_state))
    page.refresh_from_db()
    assert page.live and page.title == "Oma muutos"
    assert page.live_revision.user == coordinator


def test_the_rule_holds_when_the_action_url_names_another_page(client, uusimaa, coordinator, contributor):
    """The action views look up the task state by id; on_action checks the state's own page."""
    own_page = make_practice(uusimaa)
    own_state = submit(login(client, coordinator), own_page, "Oma muutos")
    other_page = make_practice(uusimaa)
    put_in_review(other_page, contributor, title="Avustajan muutos")

    response = approve(client, other_page, own_state)  # approve my own state via someone else's page

    assert refused(response)
    assert TaskState.objects.get(pk=own_state.pk).status == TaskState.STATUS_IN_PROGRESS
    own_page.refresh_from_db()
    assert own_page.title != "Oma muutos"


def test_approve_from_the_editor_is_not_offered_to_the_author(client, uusimaa, coordinator):
    page = make_practice(uusimaa)
    task_state = submit(login(client, coordinator), page, "Oma muutos")
    form = practice_form(title="Oma muutos", slug=page.slug,
                         **{"action-workflow-action": "true", "workflow-action-name": "approve"})

    client.post(edit_url(page), form)  # falls back to saving a draft: approve is not an action of theirs

    assert TaskState.objects.get(pk=task_state.pk).status == TaskState.STATUS_IN_PROGRESS
    page.refresh_from_db()
    assert page.title != "Oma muutos"


def test_a_reviewer_who_changed_the_page_needs_another_reviewer(
    client, uusimaa, contributor, coordinator, national_editor
):
    page = make_practice(uusimaa)
    task_state = put_in_review(page, contributor, title="Avustajan muutos")
    # The coordinator corrects the text while reviewing: now part of what approval would publish is theirs.
    response = login(client, coordinator).post(edit_url(page), practice_form(title="Korjattu", slug=page.slug))
    assert response.status_code == 302

    assert refused(approve(client, page, task_state))

    response = approve(login(client, national_editor), page, task_state)
    assert not refused(response)
    page.refresh_from_db()
    assert page.live and page.title == "Korjattu"


def test_changing_and_approving_in_one_step_is_refused(client, uusimaa, contributor, coordinator):
    page = make_practice(uusimaa)
    task_state = put_in_review(page, contributor, title="Avustajan muutos")
    form = practice_form(title="Korjattu ja hyväksytty", slug=page.slug,
                         **{"action-workflow-action": "true", "workflow-action-name": "approve"})

    response = login(client, coordinator).post(edit_url(page), form)

    assert refused(response)  # the change is kept as a draft; someone else must approve it
    assert TaskState.objects.get(pk=task_state.pk).status == TaskState.STATUS_IN_PROGRESS
    page.refresh_from_db()
    assert page.title != "Korjattu ja hyväksytty"


def test_the_review_queue_leaves_out_ones_own_submissions(client, uusimaa, coordinator, second_coordinator):
    mine, theirs = make_practice(uusimaa, title="Oma käytäntö"), make_practice(uusimaa, title="Kollegan käytäntö")
    put_in_review(mine, coordinator)
    put_in_review(theirs, second_coordinator)
    queue = TaskState.objects.reviewable_by(coordinator)
    assert [state.workflow_state.object_id for state in queue] == [str(theirs.pk)]
    # The dashboard lists it under "Awaiting your review", with the review actions it allows.
    html = login(client, coordinator).get(reverse("wagtailadmin_home")).content.decode()
    assert theirs.title in html


# --- Notifications -----------------------------------------------------------------------------


def test_submission_notifies_the_regions_reviewers_only(client, uusimaa, contributor, coordinator, national_editor):
    other_coordinator = make_member("coordinator", "06", username="pirkanmaa")
    page = make_practice(uusimaa)
    mail.outbox.clear()

    submit(login(client, contributor), page, "Avustajan muutos")

    recipients = {address for message in mail.outbox for address in message.to}
    assert recipients == {coordinator.email, national_editor.email}
    assert other_coordinator.email not in recipients


def test_changes_requested_reach_the_author_with_the_comment(client, uusimaa, contributor, coordinator):
    page = make_practice(uusimaa)
    task_state = submit(login(client, contributor), page, "Avustajan muutos")
    mail.outbox.clear()

    with TestCase.captureOnCommitCallbacks(execute=True):
        response = login(client, coordinator).post(
            action_url(page, "reject", task_state), {"comment": "Lisää tulokset ja yhteystiedot."}
        )

    assert response.status_code == 302 and not refused(response)
    assert WorkflowState.objects.get(pk=task_state.workflow_state_id).status == WorkflowState.STATUS_NEEDS_CHANGES
    [message] = [message for message in mail.outbox if message.to == [contributor.email]]
    assert "Lisää tulokset ja yhteystiedot." in message.body
    assert edit_url(page) in message.body

    # The author corrects and sends it again; the coordinator approves and it goes live.
    task_state = submit(login(client, contributor), page, "Korjattu muutos")
    assert not refused(approve(login(client, coordinator), page, task_state))
    page.refresh_from_db()
    assert page.live and page.title == "Korjattu muutos"


# --- The Swedish tree --------------------------------------------------------------------------


def test_the_swedish_tree_is_reviewed_by_the_regions_coordinators(client, uusimaa_sv, contributor, coordinator):
    pirkanmaa_coordinator = make_member("coordinator", "06", username="pirkanmaa")
    page = make_practice(uusimaa_sv, title="Språkcafé")
    assert page.locale.language_code == "sv" and page.get_workflow().name == "Uusimaa – Nyland"
    mail.outbox.clear()

    task_state = submit(login(client, contributor), page, "Språkcafé på biblioteket")

    assert isinstance(task_state.task.specific, RegionReviewTask)
    assert coordinator.email in {address for message in mail.outbox for address in message.to}
    assert refused(approve(login(client, pirkanmaa_coordinator), page, task_state))
    assert not refused(approve(login(client, coordinator), page, task_state))
    page.refresh_from_db()
    assert page.live and page.title == "Språkcafé på biblioteket"


def test_a_translator_submits_a_swedish_page_for_review(client, uusimaa_sv, coordinator):
    translator = make_member("translator", username="oversattare")
    page = make_practice(uusimaa_sv, title="Språkcafé")
    task_state = submit(login(client, translator), page, "Språkcafé – översatt")
    assert task_state.workflow_state.requested_by == translator
    assert not refused(approve(login(client, coordinator), page, task_state))


# --- Publishing only through review ------------------------------------------------------------


def test_the_editor_offers_no_publish_button_outside_administration(client, uusimaa, coordinator):
    page = make_practice(uusimaa)
    assert 'name="action-publish"' not in login(client, coordinator).get(edit_url(page)).content.decode()
    add_url = reverse("wagtailadmin_pages:add", args=("practices", "practicepage", uusimaa.pk))
    assert 'name="action-publish"' not in client.get(add_url).content.decode()


def test_a_coordinator_cannot_publish_a_new_page_directly(client, uusimaa, coordinator):
    add_url = reverse("wagtailadmin_pages:add", args=("practices", "practicepage", uusimaa.pk))
    form = practice_form(slug="suoraan-julki", **{"action-publish": "Publish"})
    assert refused(login(client, coordinator).post(add_url, form))
    assert not PracticePage.objects.filter(slug="suoraan-julki").exists()


def test_a_coordinator_cannot_bulk_publish(client, uusimaa, coordinator):
    page = make_practice(uusimaa, publish=False, live=False)
    url = reverse("wagtail_bulk_action", args=("wagtailcore", "page", "publish"))
    response = login(client, coordinator).post(f"{url}?id={page.pk}", {})
    assert refused(response)
    page.refresh_from_db()
    assert not page.live


def test_superusers_still_publish_directly(client, uusimaa, django_user_model):
    admin = django_user_model.objects.create_superuser("root", "root@kb.example", "pass-word-123")
    page = make_practice(uusimaa)
    login(client, admin)
    assert 'name="action-publish"' in client.get(edit_url(page)).content.decode()
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(edit_url(page), practice_form(title="Ylläpidon korjaus", slug=page.slug,
                                                  **{"action-publish": "Publish"}))
    page.refresh_from_db()
    assert page.live and page.title == "Ylläpidon korjaus"


def synced_swedish_translation():
    """A demo practice's Swedish version, kept in sync by wagtail-localize (its own editor edits it)."""
    translation = Translation.objects.filter(
        enabled=True, target_locale__language_code="sv", source__specific_content_type__model="practicepage"
    ).first()
    return translation, PracticePage.objects.get(translation_key=translation.source.object_id,
                                                 locale=translation.target_locale)


@pytest.mark.parametrize("role", ["translator", "coordinator"])
def test_the_translation_editor_cannot_publish_without_review(client, role):
    translation, page = synced_swedish_translation()
    region_code = page.get_parent().specific.region.code
    user = make_member(role, region_code if role == "coordinator" else None)
    login(client, user)
    live_revision = page.live_revision_id

    response = client.get(edit_url(page))
    assert response.status_code == 200  # wagtail-localize's translation editor
    # Coordinators hold publish permission, so the editor shows them its Publish button; it is refused.
    assert ("&quot;canPublish&quot;: true" in response.content.decode()) is (role == "coordinator")

    response = client.post(edit_url(page), {"action": "publish"})

    assert refused(response)
    page.refresh_from_db()
    assert page.live_revision_id == live_revision


def test_translators_cannot_create_or_sync_translations(client, uusimaa):
    """wagtail-localize's submit/update views check only submit_translation, not page permissions,
    and "Update translations" can publish at once: no editorial role holds that permission."""
    translation, _page = synced_swedish_translation()
    login(client, make_member("translator"))
    response = client.post(reverse("wagtail_localize:update_translations", args=(translation.source_id,)),
                           {"publish_translations": "on"})
    assert refused(response) or response.status_code == 403
    submit_url = reverse("wagtail_localize:submit_page_translation", args=(make_practice(uusimaa).pk,))
    response = client.get(submit_url)
    assert refused(response) or response.status_code == 403
