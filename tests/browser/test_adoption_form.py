"""The "we use this too" form in a real browser: filled by keyboard, an invalid submit and its error
summary, the thank-you page, axe-core with no violations in fi and sv; then the coordinator's review
page in the admin, audited and used (Approve)."""

import re

import pytest
from playwright.sync_api import expect

from .helpers import describe, exact, run_axe, t
from .test_journeys import log_in

pytestmark = pytest.mark.browser
ORGANISATION = "Espoon selkokielinen kirjasto"


def field(page, language, label):
    return page.get_by_label(re.compile("^" + re.escape(t(language, label))))


def type_into(page, locator, text):
    locator.focus()
    page.keyboard.type(text)


def assert_no_axe_violations(page):
    violations = run_axe(page)
    assert not violations, f"{page.url}: axe violations:\n{describe(violations)}"


@pytest.mark.parametrize("language", ["fi", "sv"])
def test_the_form_and_its_errors_pass_axe(page, site, language):
    practice_id = site.urls[language]["practice_id"]
    response = page.goto(f"/{language}/adopt/{practice_id}/")
    assert response.status == 200
    expect(page.get_by_role("heading", level=1)).to_have_text(t(language, "We use this too"))
    expect(page.locator("main")).to_contain_text(site.urls[language]["practice_title"])
    assert_no_axe_violations(page)

    page.get_by_role("button", name=t(language, "Send the report")).click()
    page.wait_for_load_state()
    summary = page.get_by_role("alert").filter(has=page.get_by_role("heading", name=t(language, "Please correct the following")))
    expect(summary).to_be_visible()
    expect(summary.get_by_role("link", name=re.compile(re.escape(t(language, "Choose the municipality where you use the practice."))))).to_be_visible()
    expect(field(page, language, "Municipality")).to_have_attribute("aria-invalid", "true")
    assert_no_axe_violations(page)


def test_report_by_keyboard_then_the_coordinator_approves(page, site):
    language = "fi"
    urls = site.urls[language]
    page.goto(f"/{language}/adopt/{urls['practice_id']}/")

    # First an invalid report: a year in the future. Everything typed is kept.
    type_into(page, field(page, language, "Adopting organisation"), ORGANISATION)
    field(page, language, "Municipality").select_option(label="Espoo")
    type_into(page, field(page, language, "In use since: year"), "2999")
    type_into(page, field(page, language, "What you changed (optional)"), "Selkokieliset ohjeet ja iltaryhmä.")
    type_into(page, field(page, language, "Contact email (optional)"), "kirjasto@espoo.example")
    checkbox = page.get_by_role("checkbox", name=t(language, "Show this contact on the practice page"))
    checkbox.focus()
    page.keyboard.press("Space")
    expect(checkbox).to_be_checked()
    page.get_by_role("button", name=t(language, "Send the report")).focus()
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    summary = page.get_by_role("alert").filter(has=page.get_by_role("heading", name=t(language, "Please correct the following")))
    expect(summary.get_by_role("link", name=re.compile(re.escape(t(language, "The year cannot be in the future."))))).to_be_visible()
    expect(field(page, language, "Adopting organisation")).to_have_value(ORGANISATION)
    expect(field(page, language, "What you changed (optional)")).to_have_value("Selkokieliset ohjeet ja iltaryhmä.")
    expect(checkbox).to_be_checked()

    # The error summary's link takes the keyboard to the field; correct it and send.
    summary.get_by_role("link", name=re.compile(re.escape(t(language, "The year cannot be in the future.")))).focus()
    page.keyboard.press("Enter")
    year = field(page, language, "In use since: year")
    expect(year).to_be_focused()
    page.keyboard.press("Control+A")
    page.keyboard.type("2023")
    page.get_by_role("button", name=t(language, "Send the report")).focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/{language}/adopt/thanks/\?practice={urls['practice_id']}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(t(language, "Thank you for your report"))
    expect(page.get_by_role("status")).to_be_visible()
    back = page.get_by_role("link", name=re.compile(re.escape(urls["practice_title"])))
    expect(back).to_have_attribute("href", urls["practice"])
    assert_no_axe_violations(page)

    # Espoo is in Uusimaa: its coordinator reviews the report in the Finnish admin.
    log_in(page, "coordinator-uusimaa", "kb-demo-coordinator")
    page.goto("/admin/adoptions/")
    page.get_by_role("link", name=ORGANISATION).first.click()
    page.wait_for_load_state()
    expect(page.locator("main")).to_contain_text("kirjasto@espoo.example")
    approve = page.get_by_role("button", name=exact(t(language, "Approve")))
    expect(approve).to_be_visible()
    violations = run_axe(page)
    assert not violations, f"{page.url}: axe violations:\n{describe(violations)}"

    approve.click()
    page.wait_for_load_state()
    expect(page.locator("main")).to_contain_text(t(language, "approved"))
    expect(page.get_by_role("button", name=exact(t(language, "Approve")))).to_have_count(0)

