"""Proposals from anyone: the public form end to end, spam resistance, and the coordinators'
one-click conversion into a draft practice (coordination app)."""

import pytest
from django.core import mail
from django.core.cache import cache
from django.urls import reverse

from coordination.models import Proposal
from coordination.views import RATE_LIMIT
from editorial.testing import make_member
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
    assert confirmation.subject == "We received your proposal: Kielikahvila kirjastossa"
    assert "Hello Maija Meikäläinen" in confirmation.body
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
