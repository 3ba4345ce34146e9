"""Accessibility in the browser: axe-core (WCAG 2.0/2.1 A and AA) on every public page type in fi,
sv and en; keyboard-only use of the search page; an axe report (not a gate) of the admin pages
coordinators use most.

Every violation found is written to artifacts/axe/ (public.json, admin.json); serious and critical
ones on public pages fail the test, with their nodes in the message."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from .helpers import FOCUS_STYLE_JS, describe, dump, exact, run_axe, serious, t, visible_focus

pytestmark = pytest.mark.browser

QUERY = {"fi": "kieli", "sv": "språk", "en": "language"}


def _submit_empty_proposal(page, language):
    page.get_by_role("button", name=t(language, "Send the proposal")).click()
    page.wait_for_load_state()
    expect(page.get_by_role("heading", name=t(language, "Please correct the following"))).to_be_visible()


# page type -> (path in a language, expected HTTP status, an action before the audit or None)
PUBLIC_PAGES = {
    "home": (lambda site, lang: site.urls[lang]["home"], 200, None),
    "practice-index": (lambda site, lang: site.urls[lang]["index"], 200, None),
    "region": (lambda site, lang: site.urls[lang]["region"], 200, None),
    "practice": (lambda site, lang: site.urls[lang]["practice"], 200, None),
    "highlights": (lambda site, lang: site.urls[lang]["highlights"], 200, None),
    "search-results": (lambda site, lang: f"/{lang}/search/?q={QUERY[lang]}", 200, None),
    "search-facets": (lambda site, lang: f"/{lang}/search/?q={QUERY[lang]}&region=01&theme=language", 200, None),
    "search-empty": (lambda site, lang: f"/{lang}/search/?q=xqzvwk", 200, None),
    "search-bad-input": (lambda site, lang: f"/{lang}/search/?q=%22unclosed", 400, None),
    "proposal-form": (lambda site, lang: f"/{lang}/propose/", 200, None),
    "proposal-errors": (lambda site, lang: f"/{lang}/propose/", 200, _submit_empty_proposal),
    "programme": (lambda site, lang: f"/{lang}/programme/", 200, None),
    "open-data": (lambda site, lang: f"/{lang}/open-data/", 200, None),
    "not-found": (lambda site, lang: f"/{lang}/no-such-page/", 404, None),
}


@pytest.fixture(scope="module")
def public_report(artifacts):
    report = {}
    yield report
    dump(artifacts / "axe" / "public.json", {
        "tags": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"],
        "summary": {key: {"violations": len(found), "serious_or_critical": len(serious(found))}
                    for key, found in sorted(report.items())},
        "pages": report,
    })


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
@pytest.mark.parametrize("page_type", list(PUBLIC_PAGES))
def test_public_page_has_no_serious_axe_violations(page, site, public_report, page_type, language):
    path, status, action = PUBLIC_PAGES[page_type]
    response = page.goto(path(site, language))
    assert response.status == status, f"{page.url}: HTTP {response.status}"
    expect(page.locator("html")).to_have_attribute("lang", language)
    if page_type.startswith("search-") and page_type != "search-bad-input":
        expect(page.locator("#results-heading")).to_be_visible()
    if page_type == "search-bad-input":
        expect(page.get_by_role("alert")).to_contain_text(
            t(language, "A quotation mark is missing: put phrases between two quotation marks."))
    if page_type == "search-empty":
        expect(page.locator(".empty")).to_contain_text(t(language, "No practices match this search."))
    if action:
        action(page, language)
    violations = run_axe(page)
    public_report[f"{language} {page_type}"] = violations
    failing = serious(violations)
    assert not failing, f"{page.url}: serious or critical axe violations:\n{describe(failing)}"


# --- Keyboard ------------------------------------------------------------------------------------

MARK_FOCUSABLE_JS = """() => {
    const selector = "a[href], area[href], input:not([type=hidden]), select, textarea, button, summary, [tabindex]";
    const all = Array.from(document.querySelectorAll(selector));
    all.forEach((el, i) => el.setAttribute("data-kb-order", i));
    window.__kbUnfocused = all.map(el => FOCUS_STYLE(el));
    return all.length;
}"""

FOCUSED_JS = """() => {
    const el = document.activeElement;
    if (!el || el === document.body) return null;
    const label = el.labels && el.labels.length ? el.labels[0].innerText : "";
    return {order: el.hasAttribute("data-kb-order") ? Number(el.getAttribute("data-kb-order")) : -1,
            tag: el.tagName.toLowerCase(), type: el.type || "", name: el.name || "",
            text: (el.getAttribute("aria-label") || el.innerText || label || el.value || "").trim().slice(0, 60),
            region: el.closest("[data-region-map]") ? (el.getAttribute("data-region") || "map") : "",
            classes: el.className && el.className.baseVal !== undefined ? el.className.baseVal : el.className,
            inFacets: !!el.closest(".facets fieldset"), inResults: !!el.closest("ol.results"),
            inLanguages: !!el.closest(".language-switcher"), inFooter: !!el.closest("footer"),
            style: FOCUS_STYLE(el)};
}"""


def _with_focus_style(js):
    return js.replace("FOCUS_STYLE", f"({FOCUS_STYLE_JS})")


def tab_through(page, limit=400):
    """Press Tab from the top of the page until the footer; the focused elements in order."""
    page.evaluate(_with_focus_style(MARK_FOCUSABLE_JS))
    stops = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(_with_focus_style(FOCUSED_JS))
        if focused is None:
            break
        stops.append(focused)
        if focused["inFooter"]:
            break
    return stops


def test_keyboard_order_and_visible_focus_on_search(page, site):
    page.goto("/fi/search/?q=kieli&sort=title")
    unfocused = page.evaluate("() => window.__kbUnfocused || null")
    assert unfocused is None
    stops = tab_through(page)
    unfocused = page.evaluate("() => window.__kbUnfocused")
    described = [f"{s['order']}:{s['tag']}:{s['text']!r}" for s in stops]

    # DOM order: no positive tabindex or reordering; every stop a marked element.
    orders = [s["order"] for s in stops]
    assert -1 not in orders, f"focus reached an unexpected element: {described}"
    assert orders == sorted(orders) and len(set(orders)) == len(orders), f"tab order is not DOM order: {described}"

    # The landmarks a keyboard user passes, in this order.
    assert stops[0]["text"] == t("fi", "Skip to content"), described[:3]
    language_links = [i for i, s in enumerate(stops) if s["inLanguages"]]
    header_box = next(i for i, s in enumerate(stops) if s["name"] == "q")
    results = [i for i, s in enumerate(stops) if s["inResults"]]
    facets = [i for i, s in enumerate(stops) if s["inFacets"] and s["type"] == "checkbox"]
    assert len(language_links) == 3
    assert 0 < language_links[0] and language_links[-1] < header_box, described[:10]
    assert results and facets, described
    assert header_box < min(results[0], facets[0])
    assert len(results) == page.locator("ol.results a").count()
    assert len(facets) == page.locator(".facets fieldset input[type=checkbox]").count()
    assert stops[-1]["inFooter"], "Tab never reached the footer"

    # Every stop shows a focus indicator that the element does not have unfocused.
    invisible = [
        f"{s['tag']} {s['text']!r}: focused {s['style']} / unfocused {unfocused[s['order']]}"
        for s in stops if not visible_focus(s["style"], unfocused[s["order"]])
    ]
    assert not invisible, "no visible focus indicator:\n" + "\n".join(invisible)


def test_space_toggles_a_facet_and_the_filter_applies(page, site):
    page.goto("/fi/search/?q=kieli")
    checkbox = page.get_by_role("group", name=t("fi", "Theme")).get_by_role("checkbox").first
    value = checkbox.get_attribute("value")
    checkbox.focus()
    page.keyboard.press("Space")
    expect(checkbox).to_be_checked()
    page.keyboard.press("Space")
    expect(checkbox).not_to_be_checked()
    page.keyboard.press("Space")
    expect(checkbox).to_be_checked()
    # Without any script: Tab on to the form's "Apply filters" button and press Enter.
    apply = page.get_by_role("button", name=exact(t("fi", "Apply filters")))
    for _ in range(200):
        page.keyboard.press("Tab")
        if apply.evaluate("el => el === document.activeElement"):
            break
    else:
        pytest.fail("Tab never reached the Apply filters button")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert parse_qs(urlsplit(page.url).query)["theme"] == [value]
    expect(page.get_by_role("link", name=re.compile(rf"^{t('fi', 'Theme')}: "))).to_be_visible()
    expect(page.get_by_role("group", name=t("fi", "Theme")).locator(f"input[value='{value}']")).to_be_checked()


# --- The admin: a report, not a gate ---------------------------------------------------------------

def test_admin_pages_axe_report(page, site, artifacts):
    from .test_journeys import log_in

    log_in(page, "coordinator-uusimaa", "kb-demo-coordinator")
    pages = {
        "dashboard": "/admin/",
        "page explorer (Uusimaa)": f"/admin/pages/{site.urls['fi']['region_id']}/",
        "page edit (a practice)": f"/admin/pages/{site.urls['fi']['practice_id']}/edit/",
        "proposals (listing)": "/admin/proposals/",
        "pages in workflows (report)": "/admin/reports/workflow/",
    }
    report = {}
    for name, path in pages.items():
        response = page.goto(path)
        violations = run_axe(page)
        report[name] = {"url": path, "status": response.status, "final_url": page.url,
                        "violations": len(violations), "serious_or_critical": len(serious(violations)),
                        "details": violations}
        print(f"admin axe: {name}: HTTP {response.status}, {len(violations)} violations "
              f"({len(serious(violations))} serious/critical)")
    dump(artifacts / "axe" / "admin.json", report)
    assert report["dashboard"]["status"] == 200
