"""Proposals from anyone: the public form end to end, spam resistance, and the coordinators'
one-click conversion into a draft practice (coordination app)."""

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import mail
from django.core.cache import cache
from django.db import IntegrityError, InterfaceError, OperationalError, ProgrammingError, connection
from django.test import TestCase
from django.urls import reverse
from wagtail.models import PageLogEntry

from coordination import views
from coordination.models import Proposal
from coordination.views import RATE_LIMIT
from editorial.testing import make_member
from kb.database import RETRY_AFTER_SECONDS, database_unavailable
from practices.models import PracticePage, TargetGroup, Theme

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clear_rate_limits():
    cache.clear()
    yield
    cache.clear()


def proposal_data(**overrides):
    data = {
        "title": "Kielikahvila kirjastossa",
        "summary": "Viikoittainen kielikahvila, jossa vapaaehtoiset ja vastatulleet harjoittelevat suomea.",
        "problem": "Suomea on vaikea harjoitella arjessa.",
        "how_it_works": "Vapaaehtoiset ohjaavat keskustelua.\n\nKerran viikossa kirjaston tiloissa.",
        "region": "01",
        "themes": ["language"],
        "target_groups": [TargetGroup.objects.order_by("code").first().code],
        "organisation_name": "Testiyhdistys ry",
        "proposer_name": "Maija Meikäläinen",
        "email": "maija@yhdistys.example",
        "phone": "+358 40 123 4567",
        "consent_to_contact": "on",
        "website": "",
    }
    data.update(overrides)
    return data


@pytest.fixture
def coordinators(db):
    return [make_member("coordinator", "01", username=f"koordinaattori-{n}") for n in (1, 2)]


@pytest.fixture
def other_coordinator(db):
    return make_member("coordinator", "06", username="koordinaattori-pirkanmaa")


@pytest.fixture
def national_editor(db):
    return make_member("national_editor", username="ministerio")


def propose(client, language="fi", address="10.0.0.1", **overrides):
    # The queued emails are delivered when the proposal's transaction commits (inside a test: here).
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(f"/{language}/propose/", proposal_data(**overrides), REMOTE_ADDR=address)


@pytest.mark.parametrize("language,theme_field", [("fi", "name_fi"), ("sv", "name_sv"), ("en", "name_en")])
def test_form_is_multilingual_and_accessible(client, language, theme_field):
    response = client.get(f"/{language}/propose/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<html lang="{language}">' in html
    theme = Theme.objects.get(code="language")
    assert getattr(theme, theme_field) in html
    assert '<label for="id_title">' in html and "<legend>" in html
    # The honeypot is hidden from people, screen readers and the keyboard.
    assert '<div class="visually-hidden" aria-hidden="true">' in html
    assert 'tabindex="-1"' in html and 'autocomplete="off"' in html
    # The footer links to the form.
    assert f'href="/{language}/propose/"' in html


def test_valid_proposal_end_to_end(client, coordinators, other_coordinator, national_editor, uusimaa):
    response = propose(client, language="en")
    assert response.status_code == 302
    assert response["Location"] == "/en/propose/thanks/"
    thanks = client.get(response["Location"])
    assert thanks.status_code == 200
    assert "Thank you for your proposal" in thanks.content.decode()

    proposal = Proposal.objects.get()
    assert proposal.title == "Kielikahvila kirjastossa"
    assert proposal.region_page.pk == uusimaa.pk
    assert proposal.status == Proposal.Status.NEW
    assert proposal.language == "en"
    assert proposal.email == "maija@yhdistys.example" and proposal.phone == "+358 40 123 4567"
    assert proposal.consent_to_contact
    assert [theme.code for theme in proposal.themes.all()] == ["language"]
    assert proposal.target_groups.count() == 1
    assert proposal.created_at is not None

    recipients = sorted(address for message in mail.outbox for address in message.to)
    assert recipients == sorted([user.email for user in coordinators] + ["maija@yhdistys.example"])
    to_coordinators = [message for message in mail.outbox if message.to != ["maija@yhdistys.example"]]
    assert len(to_coordinators) == 2  # one each; nobody sees the other's address
    assert all("Kielikahvila kirjastossa" in message.subject for message in to_coordinators)
    assert all(reverse("proposals:inspect", args=(proposal.pk,)) in message.body for message in to_coordinators)
    confirmation = next(message for message in mail.outbox if message.to == ["maija@yhdistys.example"])
    # Fixed text only (tests/test_mailqueue.py: nothing the visitor typed is sent to the typed address).
    assert confirmation.subject == f"KB: we received a practice proposal (reference {proposal.pk})"
    assert f"The reference number of your proposal is {proposal.pk}." in confirmation.body
    assert "Meikäläinen" not in confirmation.body and "Kielikahvila" not in confirmation.body
    assert "PracticePage" not in confirmation.body
    assert not PracticePage.objects.filter(title="Kielikahvila kirjastossa").exists()  # nothing published


def test_national_proposal_goes_to_national_coordinators(client, coordinators, index_fi):
    national_coordinator = make_member("coordinator", None, username="kansallinen-koordinaattori")
    assert propose(client, region="national").status_code == 302
    proposal = Proposal.objects.get()
    assert proposal.region_page.specific.region is None
    assert proposal.region_page.get_parent().pk == index_fi.pk
    assert sorted(address for message in mail.outbox for address in message.to) == sorted(
        [national_coordinator.email, "maija@yhdistys.example"]
    )


def test_invalid_proposal_keeps_everything_typed(client, coordinators):
    response = propose(
        client, summary="x" * 301, themes=[], consent_to_contact="", email="not-an-email",
        title="Perhekerho <b>tiistaisin</b>",
    )
    assert response.status_code == 400
    html = response.content.decode()
    # What was typed is still there (escaped), and every error is linked to its input.
    assert "Perhekerho &lt;b&gt;tiistaisin&lt;/b&gt;" in html
    assert "x" * 301 in html
    assert 'value="not-an-email"' in html
    assert "Maija Meikäläinen" in html and "+358 40 123 4567" in html
    assert 'value="01" selected' in html
    assert 'aria-describedby="summary-help summary-error"' in html
    assert 'id="summary-error"' in html and 'aria-invalid="true"' in html
    assert 'aria-describedby="themes-error"' in html
    assert 'id="themes-error"' in html
    assert 'id="consent_to_contact-error"' in html
    assert 'href="#id_themes_0"' in html  # the error summary links to the first checkbox
    assert not Proposal.objects.exists()
    assert mail.outbox == []


def test_invalid_proposal_in_swedish_keeps_checked_themes(client):
    response = propose(client, language="sv", title="", themes=["language", "work"])
    assert response.status_code == 400
    html = response.content.decode()
    assert '<html lang="sv">' in html
    assert html.count("checked") >= 3  # two themes and the consent
    assert 'aria-describedby="title-error"' in html


def test_honeypot_pretends_success_and_stores_nothing(client, coordinators):
    response = propose(client, website="http://spam.example/")
    assert response.status_code == 302
    assert response["Location"] == "/fi/propose/thanks/"
    assert not Proposal.objects.exists()
    assert mail.outbox == []


def test_rate_limit_per_address(client, coordinators):
    for number in range(RATE_LIMIT):
        assert propose(client, title=f"Ehdotus {number}").status_code == 302
    response = propose(client, title="Kuudes ehdotus")
    assert response.status_code == 429
    html = response.content.decode()
    assert "Kuudes ehdotus" in html  # the typed text is kept
    assert 'role="alert"' in html
    assert Proposal.objects.count() == RATE_LIMIT
    # Another address is not affected.
    assert propose(client, address="10.0.0.2", title="Toisesta verkosta").status_code == 302
    assert Proposal.objects.count() == RATE_LIMIT + 1


def test_oversize_requests_and_fields_are_rejected(client, coordinators):
    response = propose(client, how_it_works="x" * 40_000)
    assert response.status_code == 413
    response = propose(client, how_it_works="x" * 4001)
    assert response.status_code == 400
    assert "4000" in response.content.decode()
    response = propose(client, title="x" * 201)
    assert response.status_code == 400
    assert not Proposal.objects.exists()
    assert mail.outbox == []


# A public form (the proposal form; tests/test_alerts.py sends the alert form) on a SQLite file of its
# own (tables straight from the models, a region, a theme and a target group) with a busy timeout of
# 1 second: another connection holds the write lock while the form is sent, then lets go and the same
# form is sent again. Input: {"path", "form", "model" (the rows it stores)}.
BUSY_DATABASE = """
import json, sqlite3, sys, time
import django
from django.conf import settings

django.setup()
from django.apps import apps
from django.core import mail
from django.core.management import call_command
from django.test import Client
from wagtail.models import Locale, Page, Site

from practices.models import Region, RegionPage, TargetGroup, Theme

settings.MIGRATION_MODULES = {app.label: None for app in apps.get_app_configs()}
call_command("migrate", run_syncdb=True, verbosity=0)
locale = Locale.objects.create(language_code="fi")
root = Page.add_root(instance=Page(title="Root", slug="root", locale=locale))
Site.objects.create(hostname="testserver", root_page=root, is_default_site=True)
region = Region.objects.create(code="01", name_fi="Uusimaa", name_sv="Nyland", name_en="Uusimaa")
root.add_child(instance=RegionPage(title="Uusimaa", slug="uusimaa", region=region, locale=locale))
Theme.objects.create(code="language", name_fi="Kieli", name_sv="Språk", name_en="Language")
TargetGroup.objects.create(code="adults", name_fi="Aikuiset", name_sv="Vuxna", name_en="Adults")

request = json.loads(sys.stdin.read())
path, data, stored = request["path"], request["form"], apps.get_model(request["model"]).objects
client = Client()
locker = sqlite3.connect(settings.DATABASES["default"]["NAME"], isolation_level=None, timeout=0)
locker.execute("BEGIN IMMEDIATE")
started = time.monotonic()
busy = client.post(path, data, REMOTE_ADDR="10.0.0.1")
waited = time.monotonic() - started
stored_while_busy, emails_while_busy = stored.count(), len(getattr(mail, "outbox", []))
locker.execute("ROLLBACK")
again = client.post(path, data, REMOTE_ADDR="10.0.0.1")
print(json.dumps({
    "status": busy.status_code, "retry_after": busy.get("Retry-After"), "html": busy.content.decode(),
    "waited": waited, "stored_while_busy": stored_while_busy, "emails_while_busy": emails_while_busy,
    "status_again": again.status_code, "stored_again": stored.count(),
}))
"""
BUSY_MESSAGE_FI = ("Ehdotustasi ei voitu tallentaa juuri nyt, koska palvelu on ruuhkautunut. Mitään kirjoittamaasi "
                   "ei ole menetetty: lähetä ehdotus uudelleen hetken kuluttua.")


def assert_everything_typed_is_kept(html, data):
    for name in ("title", "organisation_name", "proposer_name", "email", "phone"):
        assert f'name="{name}" value="{data[name]}"' in html, name
    for name in ("summary", "problem", "how_it_works"):
        assert f"{data[name]}</textarea>" in html, name
    assert 'value="01" selected' in html
    assert 'name="themes" value="language"' in html and 'name="target_groups"' in html
    assert html.count("checked") == 3  # the theme, the target group and the consent


def send_while_busy(tmp_path, path, form, model):
    """(the outcome, the subprocess's stderr) of BUSY_DATABASE: a real lock on a real SQLite file,
    through the real view (in a subprocess: the suite's own database is in memory or PostgreSQL, so
    this runs in both phases)."""
    environment = {k: v for k, v in os.environ.items() if k != "ELASTICSEARCH_URL"}
    environment.update(DJANGO_SETTINGS_MODULE="kb.settings.test", SQLITE_BUSY_TIMEOUT="1",
                       DATABASE_URL=f"sqlite:///{tmp_path / 'kb.sqlite3'}")
    result = subprocess.run([sys.executable, "-c", BUSY_DATABASE],
                            input=json.dumps({"path": path, "form": form, "model": model}), capture_output=True,
                            text=True, timeout=120, env=environment, cwd=Path(__file__).resolve().parent.parent)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout), result.stderr


def test_a_busy_database_gives_a_503_that_keeps_everything_typed(tmp_path):
    data = proposal_data(target_groups=["adults"], title="Kielikahvila & lukupiiri", phone="+358 40 765 4321")
    outcome, stderr = send_while_busy(tmp_path, "/fi/propose/", data, "coordination.Proposal")

    assert outcome["status"] == 503 and outcome["retry_after"] == str(RETRY_AFTER_SECONDS)
    assert 0.9 <= outcome["waited"] < 10  # it waited for the busy timeout, then gave up
    html = outcome["html"]
    assert f'<p class="error notice" role="alert">{BUSY_MESSAGE_FI}</p>' in html
    data["title"] = "Kielikahvila &amp; lukupiiri"
    assert_everything_typed_is_kept(html, data)
    assert 'name="csrfmiddlewaretoken"' in html  # it can be sent again as it is
    assert outcome["stored_while_busy"] == 0 and outcome["emails_while_busy"] == 0
    # What the operator sees: the error with its traceback.
    assert "Could not store a proposal: the database is unavailable" in stderr
    assert "OperationalError: database is locked" in stderr
    # Once the lock is gone, the same proposal goes through (the failed try did not count as sent).
    assert outcome["status_again"] == 302 and outcome["stored_again"] == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL table lock (SQLite: the test above)")
def test_a_locked_table_on_postgresql_gives_the_503_too(client, coordinators):
    other = connection.get_new_connection(connection.get_connection_params())
    try:
        other.execute("SET lock_timeout = '5s'")
        other.execute("LOCK TABLE coordination_proposal IN ACCESS EXCLUSIVE MODE")
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = '300ms'")
        response = propose(client, language="sv")
    finally:
        other.rollback()
        other.close()
    assert response.status_code == 503 and response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    html = response.content.decode()
    assert "Ditt förslag kunde inte sparas just nu eftersom tjänsten är överbelastad." in html
    assert_everything_typed_is_kept(html, proposal_data())
    assert not Proposal.objects.exists() and mail.outbox == []


def django_error(error_class, cause):
    """A database error as Django raises it: its own class, the driver's error as the cause."""
    error = error_class(*cause.args)
    error.__cause__ = cause
    return error


def sqlite_error(message, name):
    error = sqlite3.OperationalError(message)
    error.sqlite_errorname = name
    return error


def test_a_bug_is_not_shown_as_a_busy_service(client, coordinators, monkeypatch):
    """SQLite reports a missing table as an OperationalError too: that is a 500 for the operator to fix."""
    def fails(form):
        raise django_error(OperationalError, sqlite_error("no such table: coordination_proposal", "SQLITE_ERROR"))

    monkeypatch.setattr(views, "_store", fails)
    with pytest.raises(OperationalError, match="no such table"):
        propose(client)
    assert mail.outbox == []


def test_which_database_errors_mean_unavailable():
    unavailable = database_unavailable
    assert unavailable(django_error(OperationalError, sqlite_error("database is locked", "SQLITE_BUSY")))
    assert unavailable(django_error(OperationalError, sqlite_error("database table is locked", "SQLITE_LOCKED")))
    assert unavailable(django_error(OperationalError, sqlite_error("disk I/O error", "SQLITE_IOERR_WRITE")))
    assert not unavailable(django_error(OperationalError, sqlite_error("no such table: x", "SQLITE_ERROR")))
    assert unavailable(OperationalError("server closed the connection unexpectedly"))  # PostgreSQL
    assert unavailable(InterfaceError("connection already closed"))
    assert not unavailable(IntegrityError("duplicate key")) and not unavailable(ProgrammingError("syntax error"))


def refused(response) -> bool:
    """Wagtail answers "no permission" with 403, or with a redirect to the dashboard and a message."""
    return response.status_code == 403 or (response.status_code == 302 and response["Location"] == "/admin/")


def make_proposal(client, region="01", **overrides):
    assert propose(client, region=region, **overrides).status_code == 302
    mail.outbox.clear()
    return Proposal.objects.latest("pk")


def test_coordinators_see_only_their_regions_proposals(client, coordinators, other_coordinator, national_editor):
    uusimaa_proposal = make_proposal(client, title="Uudenmaan ehdotus")
    pirkanmaa_proposal = make_proposal(client, region="06", title="Pirkanmaan ehdotus")

    client.force_login(coordinators[0])
    listing = client.get(reverse("proposals:index")).content.decode()
    assert "Uudenmaan ehdotus" in listing and "Pirkanmaan ehdotus" not in listing
    assert refused(client.get(reverse("proposals:inspect", args=(pirkanmaa_proposal.pk,))))
    assert refused(client.get(reverse("proposals:edit", args=(pirkanmaa_proposal.pk,))))
    assert refused(client.post(reverse("proposals:delete", args=(pirkanmaa_proposal.pk,))))
    assert client.get(reverse("proposals:inspect", args=(uusimaa_proposal.pk,))).status_code == 200

    client.force_login(national_editor)
    listing = client.get(reverse("proposals:index")).content.decode()
    assert "Uudenmaan ehdotus" in listing and "Pirkanmaan ehdotus" in listing

    client.force_login(make_member("contributor", "01"))
    assert refused(client.get(reverse("proposals:index")))


def test_conversion_creates_a_draft_for_the_regions_coordinators_only(
    client, coordinators, other_coordinator, national_editor, uusimaa
):
    proposal = make_proposal(client)
    convert_url = reverse("proposals:convert", args=(proposal.pk,))

    # Another region's coordinator, and a national editor (who may not create practices), are refused.
    for outsider in (other_coordinator, national_editor, make_member("contributor", "01")):
        client.force_login(outsider)
        assert refused(client.post(convert_url))
    assert not PracticePage.objects.filter(title=proposal.title).exists()

    coordinator = coordinators[0]
    client.force_login(coordinator)
    inspect = client.get(reverse("proposals:inspect", args=(proposal.pk,))).content.decode()
    assert convert_url in inspect and "csrfmiddlewaretoken" in inspect
    assert client.get(convert_url).status_code == 405  # POST only

    response = client.post(convert_url)
    page = PracticePage.objects.get(title=proposal.title)
    assert response.status_code == 302
    assert response["Location"] == reverse("wagtailadmin_pages:edit", args=(page.pk,))
    assert page.get_parent().pk == uusimaa.pk
    assert not page.live and page.first_published_at is None
    assert page.owner == coordinator
    assert page.summary == proposal.summary
    assert "Suomea on vaikea harjoitella arjessa." in page.problem
    assert [theme.code for theme in page.themes.all()] == ["language"]
    assert [region.code for region in page.regions.all()] == ["01"]
    contact = page.contacts.get()
    assert (contact.name, contact.email, contact.publish_consent) == (
        "Maija Meikäläinen", "maija@yhdistys.example", False
    )
    assert page.public_contacts() == []
    assert page.latest_revision is not None
    assert list(PageLogEntry.objects.filter(page=page).values_list("action", "user")) == [
        ("wagtail.create", coordinator.pk)]  # logged once, by the coordinator
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.CONVERTED
    assert proposal.converted_page_id == page.pk and proposal.converted_by == coordinator

    # The editor opens the draft; converting again creates nothing.
    assert client.get(response["Location"]).status_code == 200
    assert client.post(convert_url).status_code == 302
    assert PracticePage.objects.filter(title=proposal.title).count() == 1
    # Not public.
    client.logout()
    assert client.get(page.url or "/fi/nothing/").status_code == 404


def test_csrf_is_checked_on_the_form_and_on_conversion(coordinators):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    assert client.post("/fi/propose/", proposal_data()).status_code == 403
    client.get("/fi/propose/")  # sets the CSRF cookie, as a browser would
    token = client.cookies["csrftoken"].value
    response = client.post("/fi/propose/", {**proposal_data(), "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    proposal = Proposal.objects.get()

    client.force_login(coordinators[0])
    assert client.post(reverse("proposals:convert", args=(proposal.pk,))).status_code == 403
    assert not PracticePage.objects.filter(title=proposal.title).exists()
