"""The front-end budget, measured in the browser: what a first visit transfers (Performance API),
no requests to other hosts, no render-blocking JavaScript; and the site without JavaScript at all."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from .helpers import dump, exact, t

pytestmark = pytest.mark.browser

BUDGET_BYTES = 150 * 1024
IMAGE = re.compile(r"\.(png|jpe?g|gif|webp|avif|svg|ico)(\?|$)", re.IGNORECASE)
PAGES = {
    "home": lambda site: site.urls["fi"]["home"],
    "search (results and facets)": lambda site: "/fi/search/?q=kieli&theme=language",
}

ENTRIES_JS = """() => [performance.getEntriesByType("navigation")[0], ...performance.getEntriesByType("resource")]
    .map(e => ({name: e.name, type: e.initiatorType, transferSize: e.transferSize,
                encodedBodySize: e.encodedBodySize, decodedBodySize: e.decodedBodySize,
                renderBlockingStatus: e.renderBlockingStatus}))"""

HEAD_SCRIPTS_JS = """() => Array.from(document.head.querySelectorAll("script")).map(s => ({
    src: s.getAttribute("src"), defer: s.defer, async: s.async, type: s.type}))"""


@pytest.fixture(scope="module")
def weights(artifacts):
    measured = {}
    yield measured
    dump(artifacts / "page-weights.json", {"budget_bytes": BUDGET_BYTES, "pages": measured})


@pytest.mark.parametrize("name", list(PAGES))
def test_first_visit_weight_and_no_render_blocking_script(contexts, site, weights, name):
    page = contexts.new().new_page()  # a new context: empty cache, as on a first visit
    page.goto(PAGES[name](site), wait_until="load")
    page.wait_for_load_state("networkidle")
    entries = page.evaluate(ENTRIES_JS)
    counted = [e for e in entries if e["type"] not in {"img", "image"} and not IMAGE.search(e["name"])]
    total = sum(e["transferSize"] for e in counted)
    weights[name] = {
        "url": page.url, "total_transfer_bytes": total, "total_kb": round(total / 1024, 1),
        "entries": [{k: e[k] for k in ("name", "type", "transferSize", "decodedBodySize", "renderBlockingStatus")}
                    for e in counted],
        "excluded_images": [e["name"] for e in entries if e not in counted],
    }
    print(f"page weight: {name}: {total} bytes ({total / 1024:.1f} KB) in {len(counted)} responses")
    assert entries[0]["transferSize"] > 0, "the Performance API reported no transfer size"
    assert total <= BUDGET_BYTES, f"{name}: {total} bytes > {BUDGET_BYTES}: {weights[name]['entries']}"

    assert not contexts.foreign_requests, f"requests to other hosts: {contexts.foreign_requests}"
    assert all(urlsplit(e["name"]).netloc == site.host for e in entries), [e["name"] for e in entries]

    scripts = [e for e in entries if e["type"] == "script"]
    assert scripts, "expected the site's own scripts to be measured"
    blocking = [e["name"] for e in scripts if e["renderBlockingStatus"] != "non-blocking"]
    assert not blocking, f"render-blocking scripts: {blocking}"
    head_scripts = page.evaluate(HEAD_SCRIPTS_JS)
    parser_blocking = [s for s in head_scripts if not (s["defer"] or s["async"] or s["type"] == "module")]
    assert not parser_blocking, f"scripts in <head> without defer/async/module: {parser_blocking}"


def test_the_site_works_without_javascript(contexts, site):
    page = contexts.new(java_script_enabled=False).new_page()
    page.goto(site.urls["fi"]["home"])
    header = page.get_by_role("search")
    header.get_by_role("searchbox", name=t("fi", "Search practices")).fill("")
    header.get_by_role("button", name=exact(t("fi", "Search"))).click()
    expect(page).to_have_url(re.compile(r"/fi/search/\?q=$"))
    expect(page.locator("ol.results > li")).to_have_count(20)

    # Tick the facet value with the most practices and submit the form with its button.
    language = page.get_by_role("group", name=t("fi", "Language offered"))
    finnish = language.get_by_role("checkbox", name=re.compile(r"^suomi\b", re.IGNORECASE))
    finnish.check()
    page.get_by_role("button", name=exact(t("fi", "Apply filters"))).click()
    expect(page).to_have_url(re.compile(r"language=fi"))
    expect(page.get_by_role("link", name=re.compile(rf"^{t('fi', 'Language offered')}: "))).to_be_visible()
    heading = page.locator("#results-heading").inner_text()
    total = int(re.search(r"\d+", heading).group())
    assert total > 20, "the test needs a second page of results"

    page.get_by_role("navigation", name=t("fi", "Pages")).get_by_role("link", name=t("fi", "Next")).click()
    expect(page).to_have_url(re.compile(r"page=2"))
    query = parse_qs(urlsplit(page.url).query)
    assert query["language"] == ["fi"] and query["page"] == ["2"]
    expect(page.locator("ol.results > li")).to_have_count(min(total - 20, 20))

    first = page.locator("ol.results h3 a").first
    title = first.inner_text()
    first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    # No autocomplete datalist was added: scripts really were off.
    expect(page.locator("datalist")).to_have_count(0)
