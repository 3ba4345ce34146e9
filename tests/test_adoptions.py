"""Adoptions ("we use this too"): the public report form end to end, its spam resistance, and the
coordinators' review in the admin (adoptions app). Everything through the real views, the real
database and the real email queue."""

import datetime
import itertools
import sqlite3

import pytest
from django.core import mail
from django.core.cache import cache
from django.db import OperationalError
from django.test import Client, TestCase
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wagtail.models import Locale, ModelLogEntry
from wagtail.users.models import UserProfile

from adoptions import forms as adoption_forms
from adoptions.forms import AdoptionForm
from adoptions.models import Adoption
from editorial.testing import make_member
from kb.database import RETRY_AFTER_SECONDS
from practices.models import PracticePage
from search.places import municipalities
from tests.factories import make_practice

pytestmark = pytest.mark.django_db
HELSINKI, TAMPERE = "091", "837"  # Uusimaa (01), Pirkanmaa (06)
CONTACT = "liisa@kirjasto.example"


@pytest.fixture(autouse=True)
def clear_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def practice(pirkanmaa):
    """A Pirkanmaa practice, live in Finnish and in a Swedish translation."""
    page = make_practice(pirkanmaa, title="Kielikahvila Tampereella", regions=("06",))
    swedish = page.copy_for_translation(Locale.objects.get(language_code="sv"))
    swedish.title = "Språkcafé i Tammerfors"
    with TestCase.captureOnCommitCallbacks(execute=True):
        swedish.save_revision().publish()
    return page


def swedish(page):
    return PracticePage.objects.get(translation_key=page.translation_key, locale__language_code="sv")


@pytest.fixture
def uusimaa_coordinators(db):
    return [make_member("coordinator", "01", username=f"uusimaa-{n}") for n in (1, 2)]


@pytest.fixture
def pirkanmaa_coordinator(db):
    return make_member("coordinator", "06", username="pirkanmaa-1")


def report_data(**overrides):
    data = {
        "organisation_name": "Helsingin kaupunginkirjasto",
        "municipality": HELSINKI,
        "since_year": "2022",
        "since_month": "9",
        "changes": "Pidämme kahvilan lauantaisin, ja mukana on lastenhoito.",
        "contact_name": "Liisa Lukija",
        "contact_email": CONTACT,
        "contact_phone": "+358 9 123 4567",
        "publish_contact": "on",
        "website": "",
    }
    data.update(overrides)
    return {name: value for name, value in data.items() if value is not None}


_addresses = itertools.count(1)


def send(client, practice, language="fi", address="10.0.0.1", **overrides):
    # The queued emails are delivered when the report's transaction commits (inside a test: here).
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(f"/{language}/adopt/{practice.pk}/", report_data(**overrides), REMOTE_ADDR=address)


def reports(practice):
    """The test practice's adoptions (the demo content has adoptions of its own practices)."""
    return Adoption.objects.of_practice(practice)


def make_adoption(client, practice, **overrides):
    response = send(client, practice, address=f"10.1.{next(_addresses)}.1", **overrides)
    assert response.status_code == 302, response.content.decode()[:3000]
    mail.outbox.clear()
    return reports(practice).latest("pk")


# --- The public form -----------------------------------------------------------------------------------


@pytest.mark.parametrize("language,helsinki,turku", [("fi", "Helsinki", "Turku"), ("sv", "Helsingfors", "Åbo"),
                                                    ("en", "Helsinki", "Turku")])
def test_form_shows_the_practice_and_every_municipality_in_the_language(client, practice, language, helsinki, turku):
    response = client.get(f"/{language}/adopt/{practice.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<html lang="{language}">' in html
    shown = swedish(practice) if language == "sv" else practice  # the practice in the page's language
    assert shown.title in html and f'href="{shown.url}"' in html
    options = AdoptionForm(practice=practice).fields["municipality"].choices
    assert len(options) == 1 + len(municipalities())  # every municipality, after the empty choice
    assert f'<option value="{HELSINKI}">{helsinki}</option>' in html
    assert f'<option value="853">{turku}</option>' in html
    if language == "sv":  # Swedish alphabetical order: Å, Ä, Ö after Z
        assert html.index(">Vörå<") < html.index(">Åbo<") < html.index(">Östermark<")
    assert "<legend>" in html and 'aria-describedby="municipality-help"' in html
    assert '<div class="visually-hidden" aria-hidden="true">' in html and 'tabindex="-1"' in html


def test_the_form_works_from_any_language_version_and_refuses_anything_else(client, practice, pirkanmaa):
    draft = make_practice(pirkanmaa, title="Luonnos", publish=False, live=False)
    for path in (f"/fi/adopt/{draft.pk}/", f"/fi/adopt/{pirkanmaa.pk}/", "/fi/adopt/999999/",
                 f"/fi/adopt/{'9' * 30}/"):
        assert client.get(path).status_code == 404, path
        assert client.post(path, report_data()).status_code == 404, path
    assert not reports(practice).exists() and not reports(draft).exists()
    # The Swedish version's id at the Finnish address: the Finnish title.
    response = client.get(f"/fi/adopt/{swedish(practice).pk}/")
    assert response.status_code == 200 and "Kielikahvila Tampereella" in response.content.decode()


def test_a_valid_report_end_to_end(client, practice, uusimaa_coordinators, pirkanmaa_coordinator):
    response = send(client, practice, language="sv")
    assert response.status_code == 302
    assert response["Location"] == f"/sv/adopt/thanks/?practice={practice.pk}"
    thanks = client.get(response["Location"]).content.decode()
    assert "Tack för din rapport" in thanks
    assert f'href="{swedish(practice).url}"' in thanks and "Språkcafé i Tammerfors" in thanks

    adoption = reports(practice).get()
    assert adoption.practice_id == practice.pk and adoption.status == Adoption.Status.NEW
    assert adoption.region.code == "01" and adoption.municipality == HELSINKI
    assert (adoption.since_year, adoption.since_month) == (2022, 9)
    assert adoption.language == "sv"
    assert adoption.changes_sv == "Pidämme kahvilan lauantaisin, ja mukana on lastenhoito."
    assert adoption.changes_fi == "" and adoption.changes_en == ""
    assert adoption.publish_contact and adoption.public_contact()["email"] == CONTACT

    # The coordinators of the adopting municipality's region (Uusimaa), one message each, and the contact.
    recipients = sorted(address for message in mail.outbox for address in message.to)
    assert recipients == sorted([user.email for user in uusimaa_coordinators] + [CONTACT])
    to_coordinators = [message for message in mail.outbox if message.to != [CONTACT]]
    assert all("Kielikahvila Tampereella" in message.subject for message in to_coordinators)
    assert all(reverse("adoptions:inspect", args=(adoption.pk,)) in message.body for message in to_coordinators)
    assert all("Helsingin kaupunginkirjasto" in message.body for message in to_coordinators)
    # The confirmation, in the form's language: fixed text only, nothing the visitor typed.
    confirmation = next(message for message in mail.outbox if message.to == [CONTACT])
    assert str(adoption.pk) in confirmation.subject and "KB" in confirmation.subject
    assert "Helsingin" not in confirmation.body and "Lukija" not in confirmation.body
    assert "lastenhoito" not in confirmation.body


def test_without_a_contact_email_only_the_coordinators_are_told(client, practice, uusimaa_coordinators):
    assert send(client, practice, contact_email="", contact_name="", contact_phone="",
                publish_contact=None).status_code == 302
    assert sorted(address for message in mail.outbox for address in message.to) == sorted(
        user.email for user in uusimaa_coordinators)
    assert reports(practice).get().public_contact() is None


def test_invalid_report_keeps_everything_typed(client, practice, uusimaa_coordinators):
    year = timezone.localdate().year
    response = send(client, practice, organisation_name="Kirjasto <b>Itä</b>", municipality="",
                    since_year=str(year + 1), contact_email="not-an-email", changes="x" * 2001)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Kirjasto &lt;b&gt;Itä&lt;/b&gt;" in html
    assert "x" * 2001 + "</textarea>" in html
    assert 'value="not-an-email"' in html and f'value="{year + 1}"' in html
    assert "Liisa Lukija" in html and "+358 9 123 4567" in html
    assert '<option value="9" selected>' in html
    assert 'id="error-summary-heading"' in html and 'href="#id_municipality"' in html
    assert 'aria-describedby="municipality-help municipality-error"' in html
    assert 'aria-describedby="since_year-error"' in html and 'aria-invalid="true"' in html
    assert 'id="contact_email-error"' in html and 'id="changes-error"' in html
    assert "2000" in html
    assert not reports(practice).exists() and mail.outbox == []


@pytest.mark.parametrize("overrides,field", [
    ({"since_year": "1989"}, "since_year"),
    ({"since_year": "kaksituhatta"}, "since_year"),
    ({"since_year": ""}, "since_year"),
    ({"since_month": "13"}, "since_month"),
    ({"municipality": "999"}, "municipality"),
    ({"organisation_name": "   "}, "organisation_name"),
    ({"contact_name": "", "contact_email": "", "contact_phone": ""}, "publish_contact"),
    ({"contact_phone": "soita minulle"}, "contact_phone"),
])
def test_each_rule_has_its_message(client, practice, overrides, field):
    response = send(client, practice, **overrides)
    assert response.status_code == 400
    assert f'id="{field}-error"' in response.content.decode()
    assert not reports(practice).exists()


def test_a_date_in_the_future_is_refused(client, practice, monkeypatch):
    monkeypatch.setattr(adoption_forms, "today", lambda: datetime.date(2025, 6, 15))
    for year, month, field in (("2025", "7", "since_month"), ("2026", "", "since_year")):
        response = send(client, practice, since_year=year, since_month=month)
        assert response.status_code == 400 and f'id="{field}-error"' in response.content.decode()
    assert send(client, practice, since_year="2025", since_month="6").status_code == 302


def test_the_same_organisation_cannot_report_the_same_practice_twice(client, practice):
    first = make_adoption(client, practice)
    response = send(client, practice, address="10.9.9.9", organisation_name="HELSINGIN   kaupunginkirjasto")
    assert response.status_code == 400
    html = response.content.decode()
    assert "HELSINGIN kaupunginkirjasto on jo ilmoittanut" in html
    assert reports(practice).count() == 1
    # In another language version of the same practice too.
    response = client.post(f"/sv/adopt/{swedish(practice).pk}/", report_data(), REMOTE_ADDR="10.9.9.8")
    assert response.status_code == 400
    assert reports(practice).count() == 1
    # Once the first report was rejected, a new one is welcome.
    first.status = Adoption.Status.REJECTED
    first.save()
    assert send(client, practice, address="10.9.9.7").status_code == 302
    assert reports(practice).count() == 2


def test_honeypot_pretends_success_and_stores_nothing(client, practice, uusimaa_coordinators):
    response = send(client, practice, website="http://spam.example/")
    assert response.status_code == 302 and response["Location"].startswith("/fi/adopt/thanks/")
    assert not reports(practice).exists() and mail.outbox == []


def test_rate_limit_per_address(client, practice):
    for number in range(5):
        assert send(client, practice, organisation_name=f"Yhdistys {number}").status_code == 302
    response = send(client, practice, organisation_name="Kuudes yhdistys")
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    html = response.content.decode()
    assert "Kuudes yhdistys" in html and 'role="alert"' in html
    assert reports(practice).count() == 5
    assert send(client, practice, address="10.0.0.2", organisation_name="Toisesta verkosta").status_code == 302


def test_oversize_requests_are_refused(client, practice):
    response = send(client, practice, changes="x" * 40_000)
    assert response.status_code == 413
    assert 'role="alert"' in response.content.decode()
    assert not reports(practice).exists()


def test_a_busy_database_gives_a_503_that_keeps_everything_typed(client, practice, monkeypatch):
    """The database refuses the write as a locked SQLite does (the proposal tests lock a real file)."""
    def locked(form):
        cause = sqlite3.OperationalError("database is locked")
        cause.sqlite_errorname = "SQLITE_BUSY"
        error = OperationalError(*cause.args)
        error.__cause__ = cause
        raise error

    monkeypatch.setattr(AdoptionForm, "save", locked)
    response = send(client, practice, organisation_name="Kiireinen kirjasto")
    assert response.status_code == 503 and response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    html = response.content.decode()
    assert 'value="Kiireinen kirjasto"' in html and "lastenhoito.</textarea>" in html
    monkeypatch.undo()
    # The failed try did not count against the limit, and the same report now goes through.
    for number in range(5):
        assert send(client, practice, organisation_name=f"Kirjasto {number}").status_code == 302


def test_csrf_is_checked(practice):
    client = Client(enforce_csrf_checks=True)
    assert client.post(f"/fi/adopt/{practice.pk}/", report_data()).status_code == 403
    client.get(f"/fi/adopt/{practice.pk}/")
    token = client.cookies["csrftoken"].value
    assert client.post(f"/fi/adopt/{practice.pk}/", {**report_data(), "csrfmiddlewaretoken": token}).status_code == 302


ANY_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=120)
FIELDS = ["organisation_name", "municipality", "since_year", "since_month", "changes", "contact_name",
          "contact_email", "contact_phone", "publish_contact", "website"]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.fixed_dictionaries({name: ANY_TEXT for name in FIELDS}),
       valid=st.sets(st.sampled_from(FIELDS)))
def test_whatever_is_typed_is_answered_never_a_500(client, practice, values, valid):
    """Any Unicode in any field (with a random subset of fields valid): a report or a 4xx, never a 500."""
    data = {**values, **{name: value for name, value in report_data(website="").items() if name in valid}}
    data["organisation_name"] = data["organisation_name"] or "x"  # keep reports apart: no duplicates
    response = client.post(f"/fi/adopt/{practice.pk}/", data, REMOTE_ADDR=f"10.2.{next(_addresses) % 250}.1")
    assert response.status_code in (302, 400, 429), (data, response.status_code)
    if response.status_code == 400:
        assert "error-summary" in response.content.decode()


# --- The coordinators' review -----------------------------------------------------------------------


def refused(response) -> bool:
    """Wagtail answers "no permission" with 403, or with a redirect to the dashboard and a message."""
    return response.status_code == 403 or (response.status_code == 302 and response["Location"] == "/admin/")


def review(client, adoption, action):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(reverse(f"adoptions:{action}", args=(adoption.pk,)))


def test_the_adopting_regions_coordinator_approves_and_the_practices_coordinators_hear(
    client, practice, uusimaa_coordinators, pirkanmaa_coordinator
):
    swedish_speaker = make_member("coordinator", "06", username="pirkanmaa-2")
    profile = UserProfile.get_for_user(swedish_speaker)
    profile.preferred_language = "sv"
    profile.save()
    adoption = make_adoption(client, practice)
    coordinator = uusimaa_coordinators[0]
    client.force_login(coordinator)

    listing = client.get(reverse("adoptions:index"))
    assert listing.status_code == 200 and "Helsingin kaupunginkirjasto" in listing.content.decode()
    inspect = client.get(reverse("adoptions:inspect", args=(adoption.pk,))).content.decode()
    assert reverse("adoptions:approve", args=(adoption.pk,)) in inspect and "csrfmiddlewaretoken" in inspect
    assert client.get(reverse("adoptions:approve", args=(adoption.pk,))).status_code == 405  # POST only

    response = review(client, adoption, "approve")
    assert response.status_code == 302
    adoption.refresh_from_db()
    assert adoption.status == Adoption.Status.APPROVED
    assert adoption.reviewed_by == coordinator and adoption.reviewed_at is not None
    assert ModelLogEntry.objects.filter(action="kb.adoption.approve", object_id=str(adoption.pk),
                                        user=coordinator).exists()
    assert list(Adoption.objects.approved().of_practice(practice)) == [adoption]

    # The practice's own region (Pirkanmaa) is told, each coordinator in their admin language.
    assert sorted(address for message in mail.outbox for address in message.to) == sorted(
        [pirkanmaa_coordinator.email, swedish_speaker.email])
    finnish = next(message for message in mail.outbox if message.to == [pirkanmaa_coordinator.email])
    swedish = next(message for message in mail.outbox if message.to == [swedish_speaker.email])
    assert "Helsinki" in finnish.subject and "Kielikahvila Tampereella" in finnish.subject
    assert "Helsingfors" in swedish.subject
    assert finnish.subject != swedish.subject
    assert reverse("wagtailadmin_pages:edit", args=(practice.pk,)) in finnish.body

    # Rejecting afterwards is logged too, and tells nobody.
    mail.outbox.clear()
    assert review(client, adoption, "reject").status_code == 302
    adoption.refresh_from_db()
    assert adoption.status == Adoption.Status.REJECTED
    assert ModelLogEntry.objects.filter(action="kb.adoption.reject", object_id=str(adoption.pk)).exists()
    assert mail.outbox == []


def test_a_national_practice_notifies_the_national_coordinators(client, index_fi, uusimaa_coordinators):
    from practices.models import RegionPage

    national_page = RegionPage.objects.child_of(index_fi).get(region__isnull=True)
    practice = make_practice(national_page, title="Valtakunnallinen malli")
    national = make_member("coordinator", None, username="kansallinen")
    adoption = make_adoption(client, practice)
    client.force_login(uusimaa_coordinators[0])
    assert review(client, adoption, "approve").status_code == 302
    assert [message.to for message in mail.outbox] == [[national.email]]


def test_another_regions_coordinator_sees_and_changes_nothing(client, practice, uusimaa_coordinators,
                                                             pirkanmaa_coordinator):
    adoption = make_adoption(client, practice)  # Helsinki: Uusimaa's to review, though the practice is Pirkanmaa's
    outsiders = [pirkanmaa_coordinator, make_member("contributor", "01"), make_member("translator")]
    for outsider in outsiders:
        client.force_login(outsider)
        listing = client.get(reverse("adoptions:index"))
        assert refused(listing) or "Helsingin kaupunginkirjasto" not in listing.content.decode(), outsider
        for name in ("inspect", "edit", "delete", "history"):
            assert refused(client.get(reverse(f"adoptions:{name}", args=(adoption.pk,)))), (outsider, name)
        for action in ("approve", "reject"):
            assert refused(review(client, adoption, action)), (outsider, action)
        assert refused(client.post(reverse("adoptions:edit", args=(adoption.pk,)), {"status": "approved"}))
        assert refused(client.post(reverse("adoptions:delete", args=(adoption.pk,))))
    adoption.refresh_from_db()
    assert adoption.status == Adoption.Status.NEW and adoption.reviewed_by is None
    assert not ModelLogEntry.objects.filter(action__startswith="kb.adoption.", object_id=str(adoption.pk)).exists()
    assert mail.outbox == []


def test_a_national_editor_reviews_every_region(client, practice, uusimaa_coordinators):
    first = make_adoption(client, practice)
    second = make_adoption(client, practice, organisation_name="Tampereen seurakunta", municipality=TAMPERE)
    editor = make_member("national_editor", username="ministerio")
    client.force_login(editor)
    listing = client.get(reverse("adoptions:index")).content.decode()
    assert "Helsingin kaupunginkirjasto" in listing and "Tampereen seurakunta" in listing
    assert review(client, second, "reject").status_code == 302
    second.refresh_from_db()
    assert (second.status, second.reviewed_by) == (Adoption.Status.REJECTED, editor)
    # The index lists the reports waiting for review first.
    listing = client.get(reverse("adoptions:index")).content.decode()
    listing = listing[listing.index('<div id="listing-results">'):]  # not the message about the rejection
    assert listing.index("Helsingin kaupunginkirjasto") < listing.index("Tampereen seurakunta")
    filtered = client.get(reverse("adoptions:index") + "?status=rejected").content.decode()
    assert "Tampereen seurakunta" in filtered and "Helsingin kaupunginkirjasto" not in filtered
    assert first.status == Adoption.Status.NEW


def test_the_coordinator_edits_translations_and_may_only_withdraw_publication(client, practice,
                                                                            uusimaa_coordinators):
    adoption = make_adoption(client, practice)
    client.force_login(uusimaa_coordinators[0])
    edit_url = reverse("adoptions:edit", args=(adoption.pk,))
    form = {"status": "new", "changes_fi": adoption.changes_fi, "changes_sv": "Vi håller caféet på lördagar.",
            "changes_en": "", "publish_contact": ""}
    assert client.post(edit_url, form).status_code == 302
    adoption.refresh_from_db()
    assert adoption.changes_sv == "Vi håller caféet på lördagar." and not adoption.publish_contact
    # Publication of the contact was withdrawn; the coordinator cannot give consent in its place.
    response = client.post(edit_url, {**form, "publish_contact": "on"})
    assert response.status_code == 200  # the form again, with the error
    adoption.refresh_from_db()
    assert not adoption.publish_contact
    # Approving through the edit form records the review like the button does.
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert client.post(edit_url, {**form, "status": "approved"}).status_code == 302
    adoption.refresh_from_db()
    assert adoption.status == Adoption.Status.APPROVED and adoption.reviewed_by == uusimaa_coordinators[0]
    assert ModelLogEntry.objects.filter(action="kb.adoption.approve", object_id=str(adoption.pk)).exists()


def test_approval_needs_csrf(practice, uusimaa_coordinators):
    adoption = make_adoption(Client(), practice)
    client = Client(enforce_csrf_checks=True)
    client.force_login(uusimaa_coordinators[0])
    assert client.post(reverse("adoptions:approve", args=(adoption.pk,))).status_code == 403
    adoption.refresh_from_db()
    assert adoption.status == Adoption.Status.NEW


def test_the_regions_coordinator_deletes_a_report_with_its_personal_data(client, practice, uusimaa_coordinators):
    adoption = make_adoption(client, practice)
    client.force_login(uusimaa_coordinators[0])
    assert client.get(reverse("adoptions:delete", args=(adoption.pk,))).status_code == 200
    assert client.post(reverse("adoptions:delete", args=(adoption.pk,))).status_code == 302
    assert not reports(practice).exists()
