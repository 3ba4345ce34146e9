"""The Content-Security-Policy in a real browser: nothing KB or Wagtail's admin needs is blocked.

Every ``securitypolicyviolation`` event (in every frame: the admin's preview is one) is reported to the
test, and so is every console message about the policy; the public pages and the admin screens of the
coordinator of Uusimaa must cause none. The header itself is asserted in tests/test_security_headers.py.
"""

import re

import pytest
from playwright.sync_api import expect

from .test_journeys import log_in

pytestmark = pytest.mark.browser

REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
    window.kbCspViolation({
        page: location.pathname, directive: event.effectiveDirective, blocked: event.blockedURI,
        source: event.sourceFile, line: event.lineNumber, sample: event.sample,
    });
});
"""


class ViolationLog:
    """Collects the policy violations of one browser context."""

    def __init__(self, context):
        self.violations = []
        context.expose_function("kbCspViolation", self._violation)
        context.add_init_script(REPORT_VIOLATIONS)
        context.on("console", self._console)

    def _violation(self, details):
        self.violations.append(details)

    def _console(self, message):
        if "Content Security Policy" in message.text:
            self.violations.append({"console": message.text})

    def settle(self, page):
        """Wait until the page is idle; violation events are queued before the last round trip returns."""
        page.wait_for_load_state("networkidle")
        for frame in page.frames:
            frame.evaluate("() => new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve)))")


@pytest.fixture
def watched(contexts):
    context = contexts.new()
    log = ViolationLog(context)
    return context.new_page(), log


def visit(page, log, path, status=200):
    response = page.goto(path)
    assert response.status == status, (path, response.status)
    assert "Content-Security-Policy" in {name.title() for name in response.headers}, path
    log.settle(page)


def test_public_pages_cause_no_violations(watched, site):
    page, log = watched
    fi = site.urls["fi"]
    for language in ("fi", "sv", "en"):
        visit(page, log, site.urls[language]["home"])
    for path in (fi["index"], fi["region"], fi["practice"], fi["highlights"], "/fi/search/?q=kieli",
                 "/fi/propose/"):
        visit(page, log, path)
    visit(page, log, "/fi/ei-ole-olemassa/", status=404)
    # Interactions that run the site's own scripts: autocomplete and the share button.
    page.goto("/fi/search/")
    page.get_by_role("combobox").first.fill("kiel")
    log.settle(page)
    assert not log.violations, log.violations


def test_admin_screens_of_a_coordinator_cause_no_violations(watched, site):
    page, log = watched
    fi = site.urls["fi"]
    log_in(page, "coordinator-uusimaa", "kb-demo-coordinator")
    log.settle(page)  # the dashboard
    visit(page, log, f"/admin/pages/{fi['region_id']}/")
    visit(page, log, "/admin/pages/search/?q=kieli")
    visit(page, log, "/admin/proposals/")
    visit(page, log, "/admin/stale-practices/")

    visit(page, log, f"/admin/pages/{fi['practice_id']}/edit/")
    # The preview panel frames the page being edited.
    preview_toggle = page.get_by_role("button", name=re.compile("toggle preview|esikatsel", re.IGNORECASE))
    preview_toggle.click()
    preview = page.frame_locator("#w-preview-iframe")
    expect(preview.locator("h1")).to_contain_text(fi["practice_title"])
    log.settle(page)

    # The page chooser modal, from the rich text editor's link tool (Ctrl+K), browsing and searching.
    preview_toggle.click()
    editor = page.locator(".Draftail-Editor [contenteditable='true']").first
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Control+K")
    modal = page.locator(".modal-content")
    expect(modal).to_be_visible()
    expect(modal.locator(".choose-page, .navigate-pages").first).to_be_visible()
    log.settle(page)
    modal.get_by_role("textbox").first.fill("kieli")
    expect(modal.locator(".choose-page").first).to_be_visible()
    log.settle(page)

    assert not log.violations, log.violations
