"""Programme insights in the browser: axe-core (WCAG 2.0/2.1 A and AA) on the public page in fi, sv
and en and on the admin view of a national editor; the charts and tables are really there."""

import pytest
from playwright.sync_api import expect

from insights.figures import PUBLIC_KEYS

from .helpers import describe, run_axe, serious, t
from .test_journeys import log_in

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_programme_page_passes_axe(page, site, language):
    response = page.goto(f"/{language}/programme/")
    assert response.status == 200
    expect(page.get_by_role("heading", level=1)).to_have_text(t(language, "Programme at a glance"))
    expect(page.locator("section.insight svg")).to_have_count(len(PUBLIC_KEYS))
    expect(page.locator("section.insight table caption")).to_have_count(len(PUBLIC_KEYS))
    failing = serious(run_axe(page))
    assert not failing, f"{page.url}: serious or critical axe violations:\n{describe(failing)}"


def test_programme_page_reflows_at_320_px(contexts, site):
    """WCAG 1.4.10: no sideways scrolling of the page; wide charts and tables scroll inside their box."""
    page = contexts.new(viewport={"width": 320, "height": 640}).new_page()
    page.goto("/fi/programme/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 320


def test_programme_page_numbers_lead_to_the_search(page, site):
    page.goto("/fi/programme/")
    link = page.locator("#figure-coverage tbody a").first
    number = int(link.inner_text())
    link.click()
    page.wait_for_url("**/fi/search/?region=*")
    expect(page.locator("#results-heading")).to_be_visible()
    assert str(number) in page.locator("#results-heading").inner_text()


def test_admin_insights_pass_axe(page, site):
    log_in(page, "national-editor", "kb-demo-national-editor")
    response = page.goto("/admin/programme-insights/")
    assert response.status == 200
    expect(page.locator("#figure-funnel_regions table")).to_be_visible()
    # Gate on what this view adds (the figures); the admin's own frame is audited as a report elsewhere
    # (test_accessibility.test_admin_pages_axe_report), and is printed here.
    violations = serious(run_axe(page))
    ours = [{**violation, "nodes": nodes} for violation in violations
            if (nodes := [node for node in violation["nodes"] if page.evaluate(
                "([target, container]) => !!document.querySelector(target)?.closest(container)",
                [node["target"][0], ".insights"])])]
    print(f"admin insights, outside the figures:\n{describe(violations)}")
    assert not ours, f"{page.url}: serious or critical axe violations:\n{describe(ours)}"
