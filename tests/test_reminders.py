"""Review reminders: the admin report of practices due for review per region, and the cron command
that emails each region's coordinators their list."""

import datetime

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from coordination.scope import review_cutoff, stale_practices
from editorial.roles import role_group
from editorial.testing import make_member
from practices.models import PracticePage, Region

from .factories import make_practice

pytestmark = pytest.mark.django_db

REPORT = "coordination_stale_practices"


@pytest.fixture
def practices(uusimaa, pirkanmaa):
    """Every demo practice freshly reviewed, then a known set of stale and fresh ones."""
    today = timezone.localdate()
    PracticePage.objects.update(last_reviewed=today)
    return {
        "old": make_practice(uusimaa, title="Vanha katselmointi", last_reviewed=today - datetime.timedelta(days=400)),
        "never": make_practice(uusimaa, title="Ei koskaan katselmoitu", last_reviewed=None),
        "fresh": make_practice(uusimaa, title="Tuore katselmointi", last_reviewed=today - datetime.timedelta(days=30)),
        "draft": make_practice(uusimaa, title="Luonnos vanha", last_reviewed=None, publish=False, live=False),
        "other": make_practice(pirkanmaa, title="Pirkanmaan vanha", last_reviewed=today - datetime.timedelta(days=800)),
    }


def test_cutoff_is_twelve_months():
    assert review_cutoff(datetime.date(2026, 11, 27)) == datetime.date(2025, 11, 27)
    assert review_cutoff(datetime.date(2028, 2, 29)) == datetime.date(2027, 2, 28)


def test_translations_are_listed_once_at_their_source(practices):
    """A translated practice is due where it is reviewed: its source page, not each translation."""
    translated = PracticePage.objects.filter(locale__language_code="sv").live().first()
    assert translated is not None
    old = timezone.localdate() - datetime.timedelta(days=500)
    PracticePage.objects.filter(translation_key=translated.translation_key).update(last_reviewed=old)
    due = set(stale_practices().values_list("pk", flat=True))
    group = PracticePage.objects.filter(translation_key=translated.translation_key)
    assert len(due & set(group.values_list("pk", flat=True))) == 1
    assert due == {practices["old"].pk, practices["never"].pk, practices["other"].pk} | (
        due & set(group.values_list("pk", flat=True))
    )


def test_report_lists_exactly_the_stale_practices_of_the_coordinators_region(client, practices):
    client.force_login(make_member("coordinator", "01"))
    response = client.get(reverse(REPORT))
    assert response.status_code == 200
    html = response.content.decode()
    for key in ("old", "never"):
        assert practices[key].title in html
        assert reverse("wagtailadmin_pages:edit", args=(practices[key].pk,)) in html
    for key in ("fresh", "draft", "other"):
        assert practices[key].title not in html
    assert list(response.context["object_list"]) == [practices["never"], practices["old"]]
    # Another region's filter value gives nothing away.
    response = client.get(reverse(REPORT) + "?region=06")
    assert practices["other"].title not in response.content.decode()


def test_report_for_national_editors_covers_every_region_and_filters(client, practices):
    client.force_login(make_member("national_editor"))
    html = client.get(reverse(REPORT)).content.decode()
    assert all(practices[key].title in html for key in ("old", "never", "other"))
    response = client.get(reverse(REPORT) + "?region=06")
    assert [page.pk for page in response.context["object_list"]] == [practices["other"].pk]


def test_report_is_in_the_reports_menu_for_coordinators_only(client, practices):
    client.force_login(make_member("coordinator", "01"))
    assert reverse(REPORT) in client.get(reverse("wagtailadmin_home")).content.decode()
    client.force_login(make_member("contributor", "01"))
    response = client.get(reverse(REPORT))
    assert response.status_code in (302, 403)
    assert reverse(REPORT) not in client.get(reverse("wagtailadmin_home")).content.decode()


def test_command_emails_each_coordinator_of_each_region_once(practices):
    uusimaa_coordinators = [make_member("coordinator", "01") for _ in range(2)]
    pirkanmaa_coordinator = make_member("coordinator", "06")
    both = make_member("coordinator", "01")
    both.groups.add(role_group("coordinator", Region.objects.get(code="06")))
    nothing_due = make_member("coordinator", "02")  # Varsinais-Suomi: no stale practice
    make_member("contributor", "01")
    make_member("national_editor")
    inactive = make_member("coordinator", "01")
    inactive.is_active = False
    inactive.save()

    with TestCase.captureOnCommitCallbacks(execute=True):  # the queued emails are delivered on commit
        call_command("send_review_reminders", stdout=open("/dev/null", "w"))

    recipients = sorted(message.to[0] for message in mail.outbox)
    expected = [user.email for user in uusimaa_coordinators] + [pirkanmaa_coordinator.email] + [both.email] * 2
    assert recipients == sorted(expected)
    assert nothing_due.email not in recipients
    for message in mail.outbox:
        if message.to[0] in [user.email for user in uusimaa_coordinators]:
            assert "Vanha katselmointi" in message.body and "Ei koskaan katselmoitu" in message.body
            assert "Pirkanmaan vanha" not in message.body and "Tuore katselmointi" not in message.body
            assert "Luonnos vanha" not in message.body
            assert message.subject.endswith(": 2")
        if message.to[0] == pirkanmaa_coordinator.email:
            assert "Pirkanmaan vanha" in message.body and "Vanha katselmointi" not in message.body
        assert "/admin/stale-practices/?region=" in message.body


def test_command_sends_nothing_when_nothing_is_due(practices):
    PracticePage.objects.update(last_reviewed=timezone.localdate())
    make_member("coordinator", "01")
    with TestCase.captureOnCommitCallbacks(execute=True):
        call_command("send_review_reminders", stdout=open("/dev/null", "w"))
    assert mail.outbox == []
