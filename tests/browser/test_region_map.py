"""The map of Finland's regions (templates/components/region_map.html) on the home and search pages:
19 region links, reachable and visibly focused with the keyboard, Enter applies the region filter, and
its table tells the same counts as the map."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from .helpers import t

pytestmark = pytest.mark.browser

REGIONS = 19
MAP_LINKS = "figure[data-region-map] svg a[data-region]"
TABLE_ROWS = "figure[data-region-map] table.region-map__table tbody tr"

# What shows focus on a link: its own outline and shadow, and the strokes of the shapes inside it
# (an SVG link draws its focus ring on its shapes).
FOCUS_SIGNATURE_JS = """(el) => {
    const own = getComputedStyle(el);
    const shapes = Array.from(el.querySelectorAll("polygon, path, rect, circle")).map(shape => {
        const s = getComputedStyle(shape);
        return [s.stroke, s.strokeWidth, s.strokeDasharray, s.outlineStyle].join(" ");
    });
    return {outline: own.outlineStyle === "none" ? "none" : [own.outlineStyle, own.outlineWidth, own.outlineColor].join(" "),
            shadow: el instanceof SVGElement ? "none" : own.boxShadow, shapes: shapes.join(" | ")};
}"""

PATHS = {"home": lambda site: site.urls["fi"]["home"], "search": lambda site: "/fi/search/?q=kieli"}


def map_counts(page) -> dict[str, tuple[str, int, str]]:
    """region code -> (accessible name, the number in it, href), from the map's links."""
    counts = {}
    for link in page.locator(MAP_LINKS).all():
        label = link.get_attribute("aria-label")
        number = re.search(r":\s*(\d+)", label)
        assert number, f"no count in the map label {label!r}"
        counts[link.get_attribute("data-region")] = (label, int(number.group(1)), link.get_attribute("href"))
    return counts


@pytest.mark.parametrize("where", list(PATHS))
def test_map_has_a_link_per_region_and_its_table_agrees(page, site, where):
    page.goto(PATHS[where](site))
    links = page.locator(MAP_LINKS)
    expect(links).to_have_count(REGIONS)
    counts = map_counts(page)
    assert len(counts) == REGIONS
    rows = page.locator(TABLE_ROWS)
    expect(rows).to_have_count(REGIONS)
    by_href = {href: (label, count) for label, count, href in counts.values()}
    for row in rows.all():
        link = row.locator("a").first
        href = link.get_attribute("href")
        assert href in by_href, f"table link {href} is not on the map"
        label, count = by_href[href]
        name = link.text_content().strip()
        assert label.startswith(name), f"map label {label!r} does not name {name!r}"
        table_count = int(row.locator("td").last.text_content().strip())  # the table may be folded in <details>
        assert table_count == count, f"{name}: table says {table_count}, map says {count}"


@pytest.mark.parametrize("where", list(PATHS))
def test_keyboard_reaches_a_region_focus_shows_and_enter_filters(page, site, where):
    page.goto(PATHS[where](site))
    counts = map_counts(page)
    code = "01"
    target = page.locator(f"{MAP_LINKS}[data-region='{code}']")
    unfocused = target.evaluate(FOCUS_SIGNATURE_JS)
    for _ in range(400):
        page.keyboard.press("Tab")
        if target.evaluate("el => el === document.activeElement"):
            break
    else:
        pytest.fail(f"Tab never reached the map's link of region {code}")
    focused = target.evaluate(FOCUS_SIGNATURE_JS)
    assert focused != unfocused, f"no visible focus indicator on the region link: {focused}"
    shows = (focused["outline"] != "none" and focused["outline"] != unfocused["outline"]) or \
        (focused["shadow"] not in ("none", unfocused["shadow"])) or focused["shapes"] != unfocused["shapes"]
    assert shows, f"focus changes nothing visible: {unfocused} -> {focused}"

    with page.expect_navigation():
        page.keyboard.press("Enter")
    query = parse_qs(urlsplit(page.url).query)
    assert query["region"] == [code]
    expect(page.get_by_role("link", name=re.compile(rf"^{t('fi', 'Region')}: Uusimaa"))).to_be_visible()
    heading = page.locator("#results-heading").inner_text()
    total = int(re.search(r"\d+", heading).group())
    assert total == counts[code][1], f"the map promised {counts[code][1]} practices, the search shows {total}"
    hits = page.locator("ol.results > li")
    assert hits.count() == min(total, 20)
    # The region is now the selected one on the map.
    expect(page.locator(f"{MAP_LINKS}[data-region='{code}']")).to_have_attribute("aria-current", "true")
