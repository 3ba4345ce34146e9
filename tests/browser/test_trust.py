"""Trust and law in the browser (issue #12, item 6): the footer leads to the pages about the service in
the visitor's language; the information pages and the home page (owner identity, footer, the map's
key) have no axe violations in fi, sv and en at 1280 and 390 px; the map shows a tile's full name on
hover and on keyboard focus, keeps it while the pointer is on it and hides it on Escape (WCAG 1.4.13),
and its key of abbreviations is visible on a phone (touch)."""

import re

import pytest
from playwright.sync_api import expect

from operations.bootstrap import read_data

from .helpers import describe, dump, run_axe, t

pytestmark = pytest.mark.browser

LANGUAGES = ("fi", "sv", "en")
INFO_PAGES = {text["purpose"]: text for text in read_data("pages.json")["info_pages"]}
FOOTER = {"about": "About KB", "contact": "Contact us", "accessibility": "Accessibility statement",
          "privacy": "Privacy notice"}
WIDTHS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
# South Ostrobothnia: its abbreviation and name in each language, and a neighbour to move to.
REGION = {"fi": ("EP", "Etelä-Pohjanmaa"), "sv": ("SÖ", "Södra Österbotten"), "en": ("SO", "South Ostrobothnia")}


def info_url(purpose: str, language: str) -> str:
    return f"/{language}/{INFO_PAGES[purpose][language]['slug']}/"


@pytest.fixture(scope="module")
def trust_report(artifacts):
    report = {}
    yield report
    dump(artifacts / "axe" / "trust.json", report)


@pytest.mark.parametrize("language", LANGUAGES)
def test_footer_links_lead_to_the_pages_in_the_visitors_language(page, site, language):
    for kind, message in FOOTER.items():
        page.goto(site.urls[language]["home"])
        footer = page.locator("footer")
        footer.get_by_role("link", name=t(language, message), exact=True).click()
        page.wait_for_load_state()
        purpose = "about" if kind == "contact" else kind
        expect(page.locator("html")).to_have_attribute("lang", language)
        expect(page.get_by_role("heading", level=1)).to_have_text(INFO_PAGES[purpose][language]["title"])
        if kind == "contact":
            assert page.url.endswith("#contact")
            contact = page.get_by_role("heading", name=t(language, "Contact details"))
            expect(contact).to_be_in_viewport()
            expect(page.locator("#contact").get_by_role("link", name="kirjaamo.tem@gov.fi")).to_be_visible()


@pytest.mark.parametrize("language", LANGUAGES)
def test_owner_is_named_in_the_header(page, site, language):
    for width in WIDTHS.values():
        page.set_viewport_size(width)
        page.goto(site.urls[language]["home"])
        owner = t(language, "Ministry of Economic Affairs and Employment of Finland · Partnership Programme for Integration")
        expect(page.locator("header").get_by_text(owner)).to_be_visible()


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("target", ["home", *INFO_PAGES])
def test_no_axe_violations(contexts, site, trust_report, target, language, width):
    page = contexts.new(viewport=WIDTHS[width]).new_page()
    url = site.urls[language]["home"] if target == "home" else info_url(target, language)
    response = page.goto(url)
    assert response.status == 200, url
    violations = run_axe(page)
    trust_report[f"{target}/{language}/{width}"] = violations
    if target == "home":
        # The home page holds other parts' content too: here, what this part added must be clean.
        violations = [v for v in violations
                      if any(re.search(r"site-footer|brand|region-map", " ".join(map(str, n["target"])) + n["html"])
                             for n in v["nodes"])]
    assert violations == [], describe(violations)


def tip_of(page):
    return page.locator("[data-region-tip]")


@pytest.mark.parametrize("language", LANGUAGES)
def test_map_shows_the_full_name_on_hover_and_keeps_it_while_hovered(page, site, language):
    short, name = REGION[language]
    page.goto(site.urls[language]["home"])
    tile = page.locator('[data-region-map] a[data-region="14"]')
    expect(tile.locator(".region-map__short")).to_have_text(short)
    tip = tip_of(page)
    expect(tip).to_be_hidden()

    tile.hover()
    expect(tip).to_be_visible()
    expect(tip).to_have_text(name)
    expect(page.locator('[data-region-key="14"]')).to_have_class(re.compile(r"\bis-active\b"))
    # Hoverable: the pointer can move onto the tooltip without it vanishing (to its lower edge, which
    # overlaps the tile: what is under the pointer once the tooltip is gone is the same tile).
    box = tip.bounding_box()
    tip.hover(position={"x": box["width"] / 2, "y": box["height"] - 2})
    expect(tip).to_be_visible()
    # Dismissable without moving the pointer, and it stays dismissed while the pointer is there.
    page.keyboard.press("Escape")
    expect(tip).to_be_hidden()
    expect(page.locator('[data-region-key="14"]')).not_to_have_class(re.compile(r"\bis-active\b"))
    tile.hover()
    expect(tip).to_be_hidden()
    # Back on the tile after leaving it: shown again; leaving the map hides it.
    page.locator("h1").hover()
    tile.hover()
    expect(tip).to_be_visible()
    page.locator("h1").hover()
    expect(tip).to_be_hidden()


@pytest.mark.parametrize("language", LANGUAGES)
def test_map_shows_the_full_name_on_keyboard_focus(page, site, language):
    short, name = REGION[language]
    page.goto(site.urls[language]["home"])
    tiles = page.locator("[data-region-map] a[data-region]")
    tip = tip_of(page)
    # From the link before the map, Tab reaches the first tile (the tiles follow in code order).
    first_code = tiles.first.get_attribute("data-region")
    tiles.first.focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    expect(tiles.first).to_be_focused()
    expect(tip).to_be_visible()
    expect(tip).to_have_text(tiles.first.get_attribute("data-name"))
    expect(page.locator(f'[data-region-key="{first_code}"]')).to_have_class(re.compile(r"\bis-active\b"))
    # Tab along to South Ostrobothnia: the tooltip follows the focus.
    for _ in range(20):
        if page.evaluate("document.activeElement.getAttribute('data-region')") == "14":
            break
        page.keyboard.press("Tab")
    expect(page.locator('[data-region-map] a[data-region="14"]')).to_be_focused()
    expect(tip).to_have_text(name)
    page.keyboard.press("Escape")
    expect(tip).to_be_hidden()
    # Focus leaving the map hides it too.
    page.keyboard.press("Tab")
    page.locator("footer a").first.focus()
    expect(tip).to_be_hidden()


@pytest.mark.parametrize("language", LANGUAGES)
def test_map_key_is_visible_on_a_phone(contexts, site, language):
    page = contexts.new(viewport=WIDTHS["phone"], has_touch=True, is_mobile=True).new_page()
    short, name = REGION[language]
    page.goto(site.urls[language]["home"])
    item = page.locator('[data-region-key="14"]')
    item.scroll_into_view_if_needed()
    expect(item).to_be_visible()
    expect(item).to_have_text(f"{short} {name}")
    assert page.locator("[data-region-key]").count() == 19
    # Nothing of the key overflows the phone's width.
    right = page.evaluate("Math.max(...[...document.querySelectorAll('[data-region-key]')]"
                          ".map(e => e.getBoundingClientRect().right))")
    assert right <= 390
