"""A regional coordinator creates a practice in the Finnish admin without training: taxonomies as
checkboxes, the organisation chooser's search, the labelled "Add a section" button of "how it works",
and submission for review, with the consent warning. No console error and no Content-Security-Policy
violation on the way (tests/browser/test_csp.py collects them)."""

import re

import pytest
from playwright.sync_api import expect

from .test_csp import ViolationLog
from .test_journeys import log_in

pytestmark = pytest.mark.browser

ORGANISATION_SEARCH = "kirjasto"


@pytest.fixture
def watched(contexts):
    context = contexts.new()
    log = ViolationLog(context)
    page = context.new_page()
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("response", lambda response: errors.append(f"{response.status} {response.request.method} {response.url}")
            if response.status >= 400 else None)
    return page, log, errors


def unexpected(errors, add_url):
    """The errors, less Wagtail 8's autosave of the unfinished form: while the coordinator types, the
    editor posts the form to the add view (WAGTAIL_AUTOSAVE_INTERVAL) and gets 400 while required
    fields are still empty (the browser logs each as a failed resource)."""
    checks = {f"400 POST {add_url}", "Failed to load resource: the server responded with a status of 400 (Bad Request)"}
    return [error for error in errors if error not in checks]


def open_tab(page, name):
    page.get_by_role("tab", name=name).click()


def test_coordinator_creates_and_submits_a_practice_in_finnish(watched, site):
    page, log, errors = watched
    title = "Kielikahvila kirjastossa (selainkoe)"
    log_in(page, "coordinator-uusimaa", "kb-demo-coordinator")
    add_url = site.url(f"/admin/pages/add/practices/practicepage/{site.urls['fi']['region_id']}/")
    page.goto(add_url)
    expect(page).to_have_title(re.compile(r" - KB$"))

    # The practice: title, summary, need.
    page.get_by_role("textbox", name=re.compile("^Otsikko")).fill(title)
    page.get_by_role("textbox", name=re.compile("^Tiivistelmä")).fill("Viikoittainen kielikahvila kirjastossa.")
    problem = page.locator("[data-contentpath='problem'] [contenteditable='true']")
    problem.click()
    page.keyboard.type("Suomea on vaikea harjoitella arjessa.")

    # "How it works": the add button says what it does; its menu offers the labelled sections.
    how = page.locator("[data-contentpath='model']")
    add = how.get_by_role("button", name="Lisää osio").first
    expect(add).to_be_visible()
    add.click()
    page.get_by_role("option", name=re.compile("^Tekstikappale")).click()
    paragraph = how.locator("[contenteditable='true']").first
    expect(paragraph).to_be_visible()
    paragraph.click()
    page.keyboard.type("Vapaaehtoiset ohjaavat keskustelua joka tiistai.")

    # Where and who: checkboxes, the lead organisation's chooser with search, the partners' search box.
    open_tab(page, "Missä ja kuka")
    page.get_by_role("checkbox", name="Uusimaa", exact=True).check()
    page.locator("[data-contentpath='lead_organisation'] [data-chooser-action-choose]").click()
    modal = page.locator(".modal-content")
    modal.get_by_role("textbox", name=re.compile("Hae nimellä")).fill(ORGANISATION_SEARCH)
    first_result = modal.locator("table tbody tr a").first
    expect(first_result).to_contain_text(re.compile(ORGANISATION_SEARCH, re.IGNORECASE))
    chosen = first_result.inner_text().strip()
    first_result.click()
    expect(modal).to_be_hidden()
    expect(page.locator("[data-contentpath='lead_organisation']")).to_contain_text(chosen)

    partners = page.locator("[data-contentpath='partner_organisations']")
    partners.get_by_role("searchbox", name="Hae listasta").fill("opisto")
    visible = partners.locator("input[type='checkbox']:visible")
    expect(visible.first).to_be_visible()
    total = partners.locator("input[type='checkbox']").count()
    assert 0 < visible.count() < total  # the search narrowed the list
    visible.first.check()
    partners.get_by_role("searchbox", name="Hae listasta").fill("")
    page.get_by_role("checkbox", name="Kielen oppiminen", exact=True).check()

    # Submit for review: the practice goes to Uusimaa's review, with the consent warning (no contact).
    # As a person would pause: the autosave of the last change has finished. (Wagtail 8's create view
    # can answer 500 when the submit lands in the same instant as the first autosave: a known race.)
    page.wait_for_load_state("networkidle")
    page.get_by_role("button", name="Lisää toimintoja").click()
    page.get_by_role("button", name=re.compile(r"^Lähetä tarkastettavaksi")).click()
    page.wait_for_load_state()
    expect(page.get_by_text(re.compile(r"lähetetty tarkastettavaksi"))).to_be_visible()
    expect(page.get_by_text(re.compile("Käytännöllä ei ole julkista yhteyshenkilöä")).first).to_be_visible()
    log.settle(page)

    assert not log.violations, log.violations
    assert not unexpected(errors, add_url), errors
