"""Audit: Wagtail's log records who created, edited, submitted, approved, rejected, published and
unpublished a practice, and who changed a taxonomy; editors see it in the admin's history."""

import pytest
from django.test import TestCase
from django.urls import reverse
from wagtail.models import ModelLogEntry, PageLogEntry
from wagtail.test.utils.form_data import rich_text

from editorial.testing import make_member, practice_form
from practices.models import PracticePage, Theme

pytestmark = pytest.mark.django_db


def post(client, user, url, data):
    client.force_login(user)
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(url, data)
    assert response.status_code == 302 and response["Location"] != reverse("wagtailadmin_home"), response
    return response


def test_every_editorial_step_is_logged_with_its_user(client, uusimaa):
    contributor = make_member("contributor", "01", username="avustaja")
    coordinator = make_member("coordinator", "01", username="koordinaattori")
    add_url = reverse("wagtailadmin_pages:add", args=("practices", "practicepage", uusimaa.pk))

    post(client, contributor, add_url, practice_form(title="Kielikahvila", slug="kielikahvila-audit"))
    page = PracticePage.objects.get(slug="kielikahvila-audit")
    edit_url = reverse("wagtailadmin_pages:edit", args=(page.pk,))
    post(client, contributor, edit_url, practice_form(title="Kielikahvila kirjastossa", slug=page.slug))
    post(client, contributor, edit_url, practice_form(title="Kielikahvila kirjastossa", slug=page.slug,
                                                      **{"action-submit": "Submit"}))
    page.refresh_from_db()
    reject_url = reverse("wagtailadmin_pages:workflow_action",
                         args=(page.pk, "reject", page.current_workflow_task_state.pk))
    post(client, coordinator, reject_url, {"comment": "Lisää tulokset."})
    post(client, contributor, edit_url, practice_form(title="Kielikahvila kirjastossa", slug=page.slug,
                                                      results=rich_text("<p>30 kävijää viikossa.</p>"),
                                                      **{"action-submit": "Submit"}))
    page.refresh_from_db()
    approve_url = reverse("wagtailadmin_pages:workflow_action",
                          args=(page.pk, "approve", page.current_workflow_task_state.pk))
    post(client, coordinator, approve_url, {"comment": "Hyvä!"})
    post(client, coordinator, reverse("wagtailadmin_pages:unpublish", args=(page.pk,)), {})

    log = [(entry.action, entry.user.username) for entry in PageLogEntry.objects.for_instance(page).order_by("pk")]
    expected = [
        ("wagtail.create", "avustaja"),
        ("wagtail.edit", "avustaja"),
        ("wagtail.workflow.start", "avustaja"),  # submitted for review
        ("wagtail.workflow.reject", "koordinaattori"),
        ("wagtail.workflow.resume", "avustaja"),  # submitted again
        ("wagtail.workflow.approve", "koordinaattori"),
        ("wagtail.publish", "koordinaattori"),
        ("wagtail.unpublish", "koordinaattori"),
    ]
    remaining = iter(log)
    assert all(entry in remaining for entry in expected), log  # in this order, among the other entries
    rejection = PageLogEntry.objects.for_instance(page).get(action="wagtail.workflow.reject")
    assert rejection.data["comment"] == "Lisää tulokset."

    # The history is visible in the admin, to the region's coordinator.
    client.force_login(coordinator)
    response = client.get(reverse("wagtailadmin_pages:history", args=(page.pk,)))
    assert response.status_code == 200
    html = response.content.decode()
    assert "avustaja" in html and "koordinaattori" in html
    response = client.get(reverse("wagtailadmin_reports:site_history"))
    assert response.status_code == 200 and "Kielikahvila kirjastossa" in response.content.decode()


def test_taxonomy_changes_are_logged_with_their_user(client):
    editor = make_member("national_editor", username="ministerio")
    post(client, editor, reverse("wagtailsnippets_practices_theme:add"),
         {"code": "asuminen", "name_fi": "Asuminen", "name_sv": "Boende", "name_en": "Housing", "sort_order": 9})
    theme = Theme.objects.get(code="asuminen")
    post(client, editor, reverse("wagtailsnippets_practices_theme:edit", args=(theme.pk,)),
         {"code": "asuminen", "name_fi": "Asuminen ja arki", "name_sv": "Boende", "name_en": "Housing",
          "sort_order": 9})
    log = [(entry.action, entry.user.username) for entry in ModelLogEntry.objects.for_instance(theme).order_by("pk")]
    assert log == [("wagtail.create", "ministerio"), ("wagtail.edit", "ministerio")]
