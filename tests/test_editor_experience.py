"""The practice editor as a coordinator meets it, through the real admin views: checkbox lists for the
taxonomies, a searchable organisation chooser with "create new" for those who may add organisations,
labelled StreamField sections, consent warnings to the author and the reviewer, the review date
recorded on approval, the dashboard's two review counters and the KB branding."""

import datetime
import html
import re

import pytest
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone
from wagtail.models import Page
from wagtail.test.utils.form_data import inline_formset

from coordination.scope import stale_practices
from editorial.testing import make_member, practice_form, put_in_review, speaking
from practices.collation import sort_key
from practices.forms import CHECKBOX_TAXONOMIES
from practices.models import Organisation, PracticePage

from .factories import make_organisation, make_practice

pytestmark = pytest.mark.django_db

CHOOSER = "wagtailsnippetchoosers_practices_organisation"


@pytest.fixture
def coordinator(db):
    return speaking(make_member("coordinator", "01", username="koordinaattori-editori"), "fi")


@pytest.fixture
def reviewer(db):
    return speaking(make_member("coordinator", "01", username="tarkastaja-editori"), "fi")


@pytest.fixture
def contributor(db):
    return speaking(make_member("contributor", "01", username="avustaja-editori"), "fi")


def add_url(region_page):
    return reverse("wagtailadmin_pages:add", args=("practices", "practicepage", region_page.pk))


def edit_url(page):
    return reverse("wagtailadmin_pages:edit", args=(page.pk,))


def checkbox_labels(html_text, name):
    """The labels of the checkboxes named ``name``, in the order the editor shows them."""
    pattern = rf'<label[^>]*>\s*<input type="checkbox" name="{name}" value="\d+"[^>]*>\s*([^<]+?)\s*</label>'
    return [html.unescape(label) for label in re.findall(pattern, html_text)]


def messages_of(response):
    return [str(message) for message in response.context["messages"]]


# --- 1. Taxonomy fields ------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["fi", "sv"])
def test_taxonomies_are_checkbox_lists_in_label_order_of_the_editors_language(client, coordinator, uusimaa,
                                                                               language):
    client.force_login(speaking(coordinator, language))
    response = client.get(add_url(uusimaa))
    assert response.status_code == 200
    text = response.content.decode()
    for name in CHECKBOX_TAXONOMIES:
        assert not re.search(rf'<select[^>]*name="{name}"', text), name
        model = PracticePage._meta.get_field(name).related_model
        expected = [getattr(term, f"name_{language}") for term in model.objects.all()]
        assert checkbox_labels(text, name) == sorted(expected, key=sort_key), name


def test_partner_organisations_are_a_searchable_checkbox_list(client, coordinator, uusimaa):
    client.force_login(coordinator)
    text = client.get(add_url(uusimaa)).content.decode()
    assert not re.search(r'<select[^>]*name="partner_organisations"', text)
    assert checkbox_labels(text, "partner_organisations") == [o.name for o in Organisation.objects.order_by("name")]
    assert Organisation.objects.count() >= 90  # the list the search box is for
    assert "data-kb-searchable-choices" in text
    assert 'type="search" id="id_partner_organisations-search"' in text
    assert ">Hae listasta<" in text  # the search box's label, in Finnish


def test_checkbox_values_are_saved(client, coordinator, uusimaa):
    client.force_login(coordinator)
    partners = list(Organisation.objects.order_by("name")[:2])
    form = practice_form(title="Tallennetut valinnat", themes=("language", "employment"))
    form["partner_organisations"] = [o.pk for o in partners]
    response = client.post(add_url(uusimaa), form)
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    page = PracticePage.objects.get(title="Tallennetut valinnat").get_latest_revision_as_object()
    assert {theme.code for theme in page.themes.all()} == {"language", "employment"}
    assert set(page.partner_organisations.all()) == set(partners)


# --- 2. Organisation chooser -------------------------------------------------------------------------


def test_the_lead_organisation_chooser_finds_an_organisation_by_part_of_its_name(client, coordinator, uusimaa):
    wanted = make_organisation("Tampereen kaupunginkirjasto Metso")
    other = make_organisation("Oulun kansalaisopisto")
    client.force_login(coordinator)
    assert reverse(f"{CHOOSER}:choose") in client.get(add_url(uusimaa)).content.decode()  # the field's chooser
    response = client.get(reverse(f"{CHOOSER}:choose_results"), {"q": "kirjasto met"})
    assert response.status_code == 200
    assert wanted.name in response.content.decode()
    response = client.get(reverse(f"{CHOOSER}:choose_results"), {"q": "KAUPUNGINKIRJ"})
    text = response.content.decode()
    assert wanted.name in text and other.name not in text
    # The modal itself has the search box.
    modal = client.get(reverse(f"{CHOOSER}:choose")).json()["html"]
    assert 'name="q"' in modal and "Hae nimellä" in modal


@pytest.mark.parametrize("role, region, allowed", [
    ("coordinator", "01", True),
    ("national_editor", None, True),
    ("contributor", "01", False),
    ("translator", None, False),
])
def test_create_new_organisation_in_the_chooser(client, role, region, allowed):
    user = speaking(make_member(role, region), "fi")
    client.force_login(user)
    modal = client.get(reverse(f"{CHOOSER}:choose")).json()["html"]
    assert ('id="id_name"' in modal) is allowed, role
    name = f"Uusi yhdistys ({role})"
    response = client.post(reverse(f"{CHOOSER}:create"), {
        "name": name, "type": make_organisation().type_id, "region": "", "website": "",
    })
    assert Organisation.objects.filter(name=name).exists() is allowed, role
    if allowed:
        assert response.status_code == 200 and response.json()["step"] == "chosen"
    else:
        assert response.status_code in (302, 403)  # Wagtail's permission denied


# --- 3. "How it works" -------------------------------------------------------------------------------


def test_how_it_works_has_a_labelled_add_button_and_help_texts(client, coordinator, uusimaa):
    client.force_login(coordinator)
    text = html.unescape(client.get(add_url(uusimaa)).content.decode())
    assert 'src="/static/practices/admin/editor.js" data-add-block-label="Lisää osio"' in text
    # The blocks' definitions travel as JSON, with non-ASCII letters escaped.
    text = re.sub(r"\\u([0-9a-f]{4})", lambda match: chr(int(match.group(1), 16)), text)
    for help_text in (
        "Kuvaa käytännön toiminta osioina",  # the field's own help text
        "Teksti siitä, miten käytäntö toimii",  # paragraph
        "Käytäntö numeroituina vaiheina",  # steps
        "Kuva tai kaavio",  # image
        "Mitä osallistuja tai työntekijä",  # quote
        "Opas, lomake tai muu tiedosto",  # document
    ):
        assert help_text in text, help_text


def test_how_it_works_is_still_required(client, coordinator, uusimaa):
    client.force_login(coordinator)
    # Saving a draft may leave required fields empty (Wagtail defers them); submitting may not.
    form = practice_form(title="Ilman mallia", **{"action-submit": "Submit"})
    form.update({"model-count": "0"})
    response = client.post(add_url(uusimaa), form)
    assert response.status_code == 200
    assert "model" in response.context["form"].errors


# --- 4. Consent warnings -----------------------------------------------------------------------------


def contacts(*consents):
    return inline_formset([
        {"name": f"Yhteyshenkilö {number}", "role": "", "organisation": "", "email": "", "phone": "",
         "publish_consent": "on" if consent else ""}
        for number, consent in enumerate(consents)
    ])


def submit(client, page, consents):
    form = practice_form(title=page.title, slug=page.slug, **{"action-submit": "Submit"})
    from wagtail.test.utils.form_data import nested_form_data

    form.update(nested_form_data({"contacts": contacts(*consents)}))
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(edit_url(page), form, follow=True)


NO_PUBLIC_CONTACT = "Käytännöllä ei ole julkista yhteyshenkilöä"


def test_author_is_warned_at_submit_when_no_contact_agreed_to_publication(client, coordinator, uusimaa):
    page = make_practice(uusimaa, title="Ilman suostumusta", publish=False, live=False)
    client.force_login(coordinator)
    response = submit(client, page, consents=[False])
    assert response.status_code == 200
    assert any(NO_PUBLIC_CONTACT in message for message in messages_of(response)), messages_of(response)
    page.refresh_from_db()
    assert page.current_workflow_state is not None  # a warning, not a refusal: it went to review


def test_author_is_warned_about_each_contact_left_out(client, coordinator, uusimaa):
    page = make_practice(uusimaa, title="Osittain suostunut", publish=False, live=False)
    client.force_login(coordinator)
    response = client.post(edit_url(page), practice_form(
        title=page.title, slug=page.slug, contacts=contacts(True, False, False)), follow=True)
    assert any("2 yhteyshenkilöä ei ole antanut" in message for message in messages_of(response)), \
        messages_of(response)


def test_no_warning_when_every_contact_agreed(client, coordinator, uusimaa):
    page = make_practice(uusimaa, title="Kaikki suostuneet", publish=False, live=False)
    client.force_login(coordinator)
    response = submit(client, page, consents=[True])
    assert not any("yhteyshenkilö" in message for message in messages_of(response))
    assert "data-consent-notice" not in client.get(edit_url(page)).content.decode()


def test_reviewer_sees_the_notice_in_the_editor(client, coordinator, reviewer, uusimaa):
    page = make_practice(uusimaa, title="Tarkistettava ilman yhteyshenkilöä", publish=False, live=False)
    client.force_login(coordinator)
    submit(client, page, consents=[False])
    client.force_login(reviewer)
    text = html.unescape(client.get(edit_url(page)).content.decode())
    assert "data-consent-notice" in text
    assert NO_PUBLIC_CONTACT + ": sivulla lukee ”ota yhteyttä vastuuorganisaatioon”" in text


# --- 5. last_reviewed on approval --------------------------------------------------------------------


def approve(client, page):
    task_state = page.current_workflow_task_state
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(
            reverse("wagtailadmin_pages:workflow_action", args=(page.pk, "approve", task_state.pk)), {"comment": ""})
    assert response.status_code in (200, 302)
    page.refresh_from_db()
    return page


def test_approval_records_the_review_and_the_practice_is_not_overdue(client, reviewer, contributor, uusimaa):
    old = timezone.localdate() - datetime.timedelta(days=800)
    page = make_practice(uusimaa, title="Vanhasti tarkistettu", last_reviewed=old)
    assert stale_practices().filter(pk=page.pk).exists()
    put_in_review(page, contributor, title="Vanhasti tarkistettu, päivitetty")
    client.force_login(reviewer)
    page = approve(client, page)
    today = timezone.localdate()
    assert page.live and page.title == "Vanhasti tarkistettu, päivitetty"
    assert page.last_reviewed == today
    assert page.live_revision.as_object().last_reviewed == today  # the next draft starts from it
    assert not stale_practices().filter(pk=page.pk).exists()
    text = client.get(reverse("coordination_stale_practices")).content.decode()
    assert "Vanhasti tarkistettu" not in text


def test_a_new_practice_approved_a_minute_ago_is_not_overdue(client, reviewer, contributor, uusimaa):
    page = make_practice(uusimaa, title="Juuri hyväksytty", last_reviewed=None, publish=False, live=False)
    put_in_review(page, contributor)
    client.force_login(reviewer)
    page = approve(client, page)
    assert page.live and page.last_reviewed == timezone.localdate()
    assert not stale_practices().filter(pk=page.pk).exists()


def test_requesting_changes_records_no_review(client, reviewer, contributor, uusimaa):
    page = make_practice(uusimaa, title="Muutoksia pyydetty", last_reviewed=None, publish=False, live=False)
    task_state = put_in_review(page, contributor)
    client.force_login(reviewer)
    client.post(reverse("wagtailadmin_pages:workflow_action", args=(page.pk, "reject", task_state.pk)),
                {"comment": "Lisää tulokset."})
    page.refresh_from_db()
    assert page.workflow_states.filter(status="needs_changes").exists()
    assert not page.live and page.get_latest_revision_as_object().last_reviewed is None


# --- 6. Dashboard ------------------------------------------------------------------------------------


@pytest.mark.parametrize("language, waiting, overdue", [
    ("en", "Submitted, waiting for review", "Periodic review overdue (over 12 months since the last review)"),
    ("fi", "Lähetetty tarkistettavaksi", "Määräaikaistarkistus myöhässä (yli 12 kuukautta edellisestä tarkistuksesta)"),
    ("sv", "Skickad för granskning", "Periodisk granskning försenad (över 12 månader sedan senaste granskningen)"),
])
def test_dashboard_names_the_two_review_counters_distinctly(client, language, waiting, overdue):
    for user in (make_member("coordinator", "01"), make_member("national_editor")):
        client.force_login(speaking(user, language))
        text = html.unescape(client.get(reverse("wagtailadmin_home")).content.decode())
        assert waiting in text and overdue in text, (user, language)


# --- 7. Branding -------------------------------------------------------------------------------------


@pytest.mark.parametrize("language, heading", [("fi", "Kirjaudu KB-palveluun"), ("sv", "Logga in i KB"),
                                               ("en", "Sign in to KB")])
def test_admin_login_and_titles_say_kb(client, language, heading):
    text = client.get(reverse("wagtailadmin_login"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert f"<h1>{heading}</h1>" in text
    assert re.search(r"<title>[^<]* - KB</title>", text)
    assert "Wagtail" not in text.split("<h1>", 1)[1].split("</h1>", 1)[0]
    assert 'class="login-logo"' not in text
    client.force_login(make_member("coordinator", "01"))
    home = client.get(reverse("wagtailadmin_home")).content.decode()
    assert re.search(r"<title>[^<]* - KB</title>", home)
    assert 'class="kb-admin-mark"' in home


def test_every_page_type_still_opens_in_the_editor(client, coordinator, uusimaa):
    """The editor's additions (panels, widgets, hooks) do not break the region page or its practices."""
    client.force_login(coordinator)
    practice = make_practice(uusimaa, title="Avautuu")
    for page in (uusimaa, practice, Page.objects.get(pk=practice.pk)):
        assert client.get(edit_url(page)).status_code == 200
