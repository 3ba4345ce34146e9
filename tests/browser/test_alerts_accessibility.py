"""Saved-search alerts in the browser, in fi, sv and en: subscribing from the search page with the
keyboard-reachable form, and an axe audit (WCAG 2.1 A and AA) of every alerts page: the form with
errors, "check your email", confirm, unsubscribe and the invalid-link page."""

import json
import re

import pytest
from playwright.sync_api import expect

from .helpers import describe, run_axe, serious, t

pytestmark = pytest.mark.browser


def audit(page):
    failing = serious(run_axe(page))
    assert not failing, f"{page.url}: serious or critical axe violations:\n{describe(failing)}"


def emailed_token(site, address):
    """The token in the confirmation email the site queued for ``address`` (mailqueue/): the shell runs
    with another SECRET_KEY than the server, so it cannot make a valid link itself."""
    code = ("import json; from mailqueue.models import OutgoingEmail; "
            f"row = OutgoingEmail.objects.filter(recipients__contains='{address}').latest('pk'); "
            "print('MAIL' + json.dumps(row.message))")
    return re.search(r"/alerts/confirm/([0-9]+-[0-9a-f]+)/", json.dumps(site.shell(code, "MAIL"))).group(1)


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_alert_pages_pass_axe(page, site, language):
    page.goto(f"/{language}/search/?theme=language")
    form = page.locator("form.alert-form")
    form.get_by_label(t(language, "Your email")).fill("ei-osoite")
    form.get_by_role("button", name=t(language, "Email me new practices")).click()
    page.wait_for_load_state()
    expect(page.get_by_role("heading", name=t(language, "Please correct the following"))).to_be_visible()
    audit(page)  # the form again, with the error and what was typed

    address = f"selain-{language}@kunta.example"
    page.get_by_label(t(language, "Your email")).fill(address)
    page.get_by_label(t(language, "Daily")).check()
    page.get_by_role("button", name=t(language, "Email me new practices")).click()
    page.wait_for_load_state()
    expect(page.get_by_role("heading", name=t(language, "Check your email"))).to_be_visible()
    audit(page)

    link = emailed_token(site, address)
    page.goto(f"/{language}/alerts/confirm/{link}/")
    expect(page.get_by_role("button", name=t(language, "Confirm"))).to_be_visible()
    audit(page)
    page.get_by_role("button", name=t(language, "Confirm")).click()
    expect(page.get_by_role("heading", name=t(language, "Your alert is on"))).to_be_visible()
    audit(page)

    page.goto(f"/{language}/alerts/unsubscribe/{link}/")
    audit(page)
    page.get_by_role("button", name=t(language, "Unsubscribe")).click()
    expect(page.get_by_role("heading", name=t(language, "You have unsubscribed"))).to_be_visible()
    audit(page)

    response = page.goto(f"/{language}/alerts/unsubscribe/{link}/")
    assert response.status == 404
    expect(page.get_by_role("heading", name=t(language, "This link is no longer valid"))).to_be_visible()
    audit(page)
