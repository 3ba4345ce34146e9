"""The search results page in a real browser (issue 12, item 1): the library worker's journey from
the home page to a language café near Tampere in at most four steps, at 1280 px and at 390 px;
filters that apply at once without a page load, keep focus and every selection, announce the new
count, follow the back button and fall back to a normal submit; metadata on every result; axe."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import translation
from playwright.sync_api import expect

from .helpers import describe, exact, run_axe, t

pytestmark = pytest.mark.browser

DESKTOP = {"viewport": {"width": 1280, "height": 900}}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
NO_PAGE_LOAD = "() => window.__kbSamePage === true"  # set once; a page load forgets it


def params(page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def result_count(page) -> int:
    return int(re.search(r"\d+", page.locator("#results-heading").inner_text()).group())


def counted(language, singular, plural, **values) -> re.Pattern:
    """An accessible-name pattern for a plural message with any count."""
    with translation.override(language):
        text = translation.ngettext(singular, plural, 2) % {**values, "counter": "999"}
    return re.compile("^" + re.escape(text).replace("999", r"\d+") + "$")


def mark_page(page):
    page.evaluate("() => { window.__kbSamePage = true; }")


def assert_no_violations(page):
    violations = run_axe(page)
    assert not violations, f"{page.url}: axe violations:\n{describe(violations)}"


@pytest.mark.parametrize("device", [DESKTOP, PHONE], ids=["desktop-1280", "phone-390"])
def test_library_worker_reaches_a_language_cafe_near_tampere_in_four_steps(contexts, site, device):
    page = contexts.new(**device).new_page()
    page.goto(site.urls["fi"]["home"])
    steps = 0
    search = page.get_by_role("search")
    search.get_by_label(t("fi", "Search practices"), exact=True).fill("kielikahvila tampere")
    steps += 1
    search.get_by_role("button", name=exact(t("fi", "Search"))).click()
    steps += 1

    # Tampere is read as a place: the filter is on, the word left the text, and the page says so.
    expect(page).to_have_url(re.compile(r"municipality=837"))
    assert params(page)["q"] == ["kielikahvila"]
    results = page.locator("#search-results")
    expect(results.locator(".interpretation").first).to_contain_text("Tampere")
    expect(results).not_to_contain_text(t("fi", "No exact matches: showing results for similar words"))
    # On a phone too, the answer starts on the first screen.
    assert page.locator("#results-heading").bounding_box()["y"] < device["viewport"]["height"]

    if result_count(page) == 0:  # no café in Tampere itself: the wider search through the neighbours
        page.get_by_role("link", name=counted(
            "fi", "%(regions)s and neighbouring regions: %(counter)s practice",
            "%(regions)s and neighbouring regions: %(counter)s practices", regions="Pirkanmaa")).click()
        steps += 1
        expect(page).to_have_url(re.compile(r"neighbours=1"))
    assert result_count(page) > 0

    # The answer can be judged from the list: a language café, and where it is.
    region_label = t("fi", "Region")
    cafe = page.locator("ol.results > li").filter(has_text=re.compile("kielikahvila", re.IGNORECASE)).first
    expect(cafe).to_be_visible()
    where = cafe.locator(".result-meta__region dd").inner_text()
    added = page.locator(".interpretation").inner_text()
    assert "Pirkanmaa" in where or any(name.strip() and name.strip() in added for name in where.split(",")), (
        f"{region_label}: {where!r} is neither Pirkanmaa nor a neighbour ({added!r})")
    title = cafe.locator("h3 a").inner_text()
    cafe.locator("h3 a").click()
    steps += 1
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    assert steps <= 4, f"{steps} steps"


def test_a_facet_applies_at_once_keeps_focus_and_every_selection(contexts, site):
    page = contexts.new(**DESKTOP).new_page()
    page.goto("/fi/search/?q=kieli")
    mark_page(page)
    total = result_count(page)
    status = page.locator("#search-status")
    expect(status).to_have_attribute("role", "status")

    # Keyboard: Space on a theme checkbox. The results change, the focus does not move.
    theme = page.get_by_role("group", name=t("fi", "Theme")).get_by_role("checkbox").first
    theme_value = theme.get_attribute("value")
    theme.focus()
    page.keyboard.press("Space")
    expect(page).to_have_url(re.compile(rf"theme={theme_value}"))
    expect(status).to_have_text(re.compile(r"\d+"))
    assert status.inner_text() == page.locator("#results-heading").inner_text()
    narrowed = result_count(page)
    assert narrowed < total
    assert page.evaluate("() => [document.activeElement.name, document.activeElement.value]") == ["theme", theme_value]
    assert page.evaluate(NO_PAGE_LOAD), "the page was loaded again"

    # A second facet, then a region: the earlier choices stay ticked and in the address.
    forms = page.get_by_role("group", name=t("fi", "Activity form")).get_by_role("checkbox")
    form_value = forms.first.get_attribute("value")
    forms.first.check()
    expect(page).to_have_url(re.compile(rf"activity_form={form_value}"))
    regions = page.get_by_role("group", name=t("fi", "Region")).get_by_role("checkbox")
    region_value = regions.first.get_attribute("value")
    regions.first.check()
    expect(page).to_have_url(re.compile(rf"region={region_value}"))
    chosen = {"theme": [theme_value], "activity_form": [form_value], "region": [region_value]}
    for name, values in chosen.items():
        assert params(page)[name] == values
        expect(page.locator(f".facets input[name={name}][value='{values[0]}']")).to_be_checked()
    focused = page.evaluate("() => [document.activeElement.name, document.activeElement.value]")
    assert focused == ["region", region_value]
    # "Include neighbouring regions" appears with the first region.
    expect(page.get_by_role("checkbox", name=t("fi", "Include neighbouring regions"))).to_be_visible()
    assert page.evaluate(NO_PAGE_LOAD)

    # The same address loaded afresh shows the same results: the update is the server's answer.
    heading = page.locator("#results-heading").inner_text()
    fresh = contexts.new(**DESKTOP).new_page()
    fresh.goto(page.url)
    assert fresh.locator("#results-heading").inner_text() == heading
    assert fresh.locator("ol.results h3").all_inner_texts() == page.locator("ol.results h3").all_inner_texts()

    # Back: the region is off again, without a page load.
    page.go_back()
    expect(page).not_to_have_url(re.compile(r"region="))
    expect(page.locator(f".facets input[name=region][value='{region_value}']")).not_to_be_checked()
    expect(page.locator(f".facets input[name=activity_form][value='{form_value}']")).to_be_checked()
    assert page.evaluate(NO_PAGE_LOAD)


def test_rapid_clicks_make_one_update_and_sort_applies_too(contexts, site):
    page = contexts.new(**DESKTOP).new_page()
    requests = []
    page.on("request", lambda request: requests.append(request.url) if "/search/" in request.url else None)
    page.goto("/fi/search/?q=kieli")
    mark_page(page)
    boxes = page.get_by_role("group", name=t("fi", "Theme")).get_by_role("checkbox")
    values = [boxes.nth(i).get_attribute("value") for i in range(3)]
    requests.clear()
    for i in range(3):
        boxes.nth(i).check()
    expect(page).to_have_url(re.compile("&".join(f"theme={v}" for v in values)))
    expect(page.locator("#search-status")).not_to_be_empty()
    assert len(requests) == 1, requests

    sort = page.get_by_label(t("fi", "Sort by"))
    sort.focus()
    sort.select_option("title")
    expect(page).to_have_url(re.compile(r"sort=title"))
    assert page.evaluate("() => document.activeElement.id") == "sort"
    titles = page.locator("ol.results h3").all_inner_texts()
    assert titles == sorted(titles, key=str.casefold) or len(titles) < 2 or titles[0] <= titles[-1]
    assert params(page)["theme"] == values and page.evaluate(NO_PAGE_LOAD)


def test_a_failed_update_falls_back_to_submitting_the_form(contexts, site):
    page = contexts.new(**DESKTOP).new_page()
    page.route("**/search/?*", lambda route: route.abort("failed") if route.request.resource_type == "fetch"
               else route.fallback())
    page.goto("/fi/search/?q=kieli")
    mark_page(page)
    box = page.get_by_role("group", name=t("fi", "Theme")).get_by_role("checkbox").first
    value = box.get_attribute("value")
    with page.expect_navigation():
        box.check()
    assert params(page)["theme"] == [value]
    expect(page.locator(f".facets input[name=theme][value='{value}']")).to_be_checked()
    assert not page.evaluate("() => window.__kbSamePage === true"), "the form should have been submitted"


@pytest.mark.parametrize("device", [DESKTOP, PHONE], ids=["desktop-1280", "phone-390"])
def test_layout_results_first_and_filters_at_hand(contexts, site, device):
    page = contexts.new(**device).new_page()
    page.goto("/fi/search/?q=kieli")
    height = device["viewport"]["height"]
    assert page.locator("#results-heading").bounding_box()["y"] < height
    apply = page.get_by_role("button", name=exact(t("fi", "Apply filters")))
    page.locator(".facets fieldset input[type=checkbox]").first.scroll_into_view_if_needed()
    expect(apply).to_be_in_viewport()  # sticky: not 1,900 px below the first checkbox
    back = page.get_by_role("link", name=counted("fi", "Show %(counter)s result", "Show %(counter)s results"))
    if device is PHONE:
        expect(back).to_be_visible()
        back.click()
        expect(page.locator("#results-heading")).to_be_in_viewport()
    else:
        expect(back).to_be_hidden()
    # Every result shows where it is, its evidence level and status, labelled.
    for item in page.locator("ol.results > li").all():
        for row in ("region", "evidence_level", "status"):
            expect(item.locator(f".result-meta__{row} dd")).not_to_be_empty()
    # Keyboard users can skip the search box to the results.
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name=exact(t("fi", "Skip to results")))
    skip.focus()
    expect(skip).to_be_visible()


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_search_page_axe_with_results_and_with_selections(contexts, site, language):
    page = contexts.new(**DESKTOP, locale={"fi": "fi-FI", "sv": "sv-FI", "en": "en-GB"}[language]).new_page()
    query = {"fi": "kieli", "sv": "språk", "en": "language"}[language]
    page.goto(f"/{language}/search/?q={query}")
    expect(page.locator("ol.results > li").first).to_be_visible()
    assert_no_violations(page)
    # Selections made in place (a region, so the neighbours choice shows too), then audited again.
    mark_page(page)
    page.get_by_role("group", name=t(language, "Region")).get_by_role("checkbox").first.check()
    expect(page).to_have_url(re.compile(r"region="))
    page.get_by_role("checkbox", name=t(language, "Include neighbouring regions")).check()
    expect(page).to_have_url(re.compile(r"neighbours=1"))
    expect(page.locator("#search-status")).not_to_be_empty()
    assert page.evaluate(NO_PAGE_LOAD)
    assert_no_violations(page)
    # The Tampere reading and its wider searches, in this language.
    page.goto(f"/{language}/search/?q=kielikahvila+tampere")
    expect(page).to_have_url(re.compile(r"municipality=837"))
    assert_no_violations(page)
