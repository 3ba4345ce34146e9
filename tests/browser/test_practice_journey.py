"""The practice page in Chromium (issue #12, items 2 and 3).

An English-speaking association opens, from the English region page, a practice that exists only in
Finnish: the interface stays English, a notice says the text is in Finnish, the text is marked
lang="fi", and the language switcher keeps them on the same practice in every language. The summary
box is on the first screen, the table of contents moves to its sections, the Print button prints,
body text lines stay readable (measured in the browser), and axe finds nothing, at 1280 and 390 px.
"""

import json
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from .helpers import describe, exact, run_axe, t

pytestmark = pytest.mark.browser

WIDTHS = (1280, 390)
FIRST_SCREEN = {"width": 1280, "height": 800}  # a laptop's first screen, browser chrome left out
MAX_CHARACTERS_PER_LINE = 80
ONLY_IN_FINNISH = "This practice is available only in Finnish. The description is shown in Finnish."
BROWSER_LOCALES = {"fi": "fi-FI", "sv": "sv-SE", "en": "en-GB"}

# Printed as JSON by `manage.py shell` in the site's database: every live practice that exists only
# in Finnish, in a region translated into every language, with the URL that shows it in each language.
FINNISH_ONLY = """
import json
from practices.models import PracticePage, RegionPage

found = {}
for practice in PracticePage.objects.live().filter(locale__language_code="fi").order_by("path"):
    if PracticePage.objects.live().filter(translation_key=practice.translation_key).count() != 1:
        continue
    region = practice.get_parent()
    regions = {page.locale.language_code: page for page in
               RegionPage.objects.live().filter(translation_key=region.translation_key).select_related("locale")}
    if set(regions) != {"fi", "sv", "en"}:
        continue
    urls = {"fi": practice.url, **PracticePage.fallback_urls(None, {"fi": practice}, regions)}
    found[practice.title] = {"urls": urls, "region": {code: page.url for code, page in regions.items()}}
print("KB-FINNISH-ONLY " + json.dumps(found))
"""

# Characters per rendered line of an element's text (from the boxes of its characters), and the
# element's width divided by the average width of its glyphs.
LINE_LENGTH_JS = """(element) => {
    const range = document.createRange();
    const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
    const lines = [];
    let lineTop = null, glyphWidth = 0, glyphs = 0;
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        for (let i = 0; i < node.length; i++) {
            range.setStart(node, i);
            range.setEnd(node, i + 1);
            const box = range.getClientRects()[0];
            if (!box || box.height === 0) continue;  // collapsed white space
            if (lineTop === null || box.top > lineTop + box.height / 2) {
                lines.push(0);
                lineTop = box.top;
            }
            lines[lines.length - 1] += 1;
            glyphWidth += box.width;
            glyphs += 1;
        }
    }
    const width = element.getBoundingClientRect().width;
    return {lines, width, averageGlyph: glyphWidth / glyphs, perWidth: width / (glyphWidth / glyphs)};
}"""


@pytest.fixture(scope="session")
def finnish_only(site):
    """Title -> URLs of the demo's Finnish-only practices."""
    found = site.shell(FINNISH_ONLY, "KB-FINNISH-ONLY ")
    assert found, "the demo content has no Finnish-only practice in a region translated into sv and en"
    return found


def visitor(contexts, language, width):
    return contexts.new(viewport={"width": width, "height": 800}, locale=BROWSER_LOCALES[language]).new_page()


def path_of(page) -> str:
    return urlsplit(page.url).path


def expect_interface_in(page, language):
    """The page's chrome and the practice template's own headings speak ``language``."""
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.get_by_role("navigation", name=exact(t(language, "Language")))).to_be_visible()
    expect(page.get_by_role("search").get_by_role("button", name=exact(t(language, "Search")))).to_be_visible()
    expect(page.locator("#summary-heading")).to_have_text(exact(t(language, "In brief")))
    expect(page.locator("#toc-heading")).to_have_text(exact(t(language, "On this page")))
    expect(page.locator("#who-heading")).to_have_text(exact(t(language, "Where and who")))


def expect_finnish_content(page, title):
    expect(page.locator("h1")).to_have_text(exact(title))
    expect(page.locator("h1")).to_have_attribute("lang", "fi")
    expect(page.locator(".summary-box dd[lang='fi']").first).to_be_visible()
    assert page.locator("article.practice section div[lang='fi']").count() >= 1, "the body text is not marked lang=fi"


# --- 1. The English-speaking association's journey ---------------------------------------------

@pytest.mark.parametrize("width", WIDTHS)
def test_english_visitor_reads_a_finnish_only_practice_in_english_and_stays_on_it(contexts, finnish_only, width):
    page = visitor(contexts, "en", width)
    region_paths = {data["region"]["en"] for data in finnish_only.values()}
    region_path = sorted(region_paths)[0]
    page.goto(region_path)
    listed = page.locator("section[aria-labelledby='untranslated-heading'] li a")
    titles = [title for title in listed.all_inner_texts() if title in finnish_only]
    assert titles, f"{region_path} lists no Finnish-only practice among {listed.all_inner_texts()}"
    title = titles[0]
    expected = finnish_only[title]["urls"]

    listed.get_by_text(title, exact=True).click()
    page.wait_for_load_state()
    assert path_of(page) == expected["en"], "the English region page must open the practice with the English interface"
    expect_interface_in(page, "en")
    expect(page.locator(".untranslated-notice")).to_be_visible()
    expect(page.locator(".untranslated-notice")).to_have_text(exact(t("en", ONLY_IN_FINNISH)))
    expect_finnish_content(page, title)

    # Every link of the switcher keeps the visitor on this practice, in that language's interface.
    for language in ("fi", "sv", "en"):
        page.goto(expected["en"])
        switch = page.locator(f".language-switcher a[hreflang='{language}']")
        expect(switch).to_have_attribute("href", expected[language])
        expect(switch).to_be_visible()
        switch.click()
        page.wait_for_load_state()
        assert path_of(page) == expected[language], f"the {language} link left the practice: {page.url}"
        expect_interface_in(page, language)
        if language == "fi":  # the original: no notice, no marks
            expect(page.locator("h1")).to_have_text(exact(title))
            expect(page.locator(".untranslated-notice")).to_have_count(0)
        else:
            expect_finnish_content(page, title)
            expect(page.locator(".untranslated-notice")).to_have_text(exact(t(language, ONLY_IN_FINNISH)))
        links = page.locator(".language-switcher a").evaluate_all(
            "links => Object.fromEntries(links.map(a => [a.hreflang, a.getAttribute('href')]))")
        assert links == expected, f"the switcher on {page.url} does not lead to the same practice"


# --- 2. Summary box, table of contents, Print button --------------------------------------------

def practice_paths(site, finnish_only):
    """The translated demo practice in English and the Finnish-only one shown in English."""
    return {"translated": site.urls["en"]["practice"], "fallback": next(iter(finnish_only.values()))["urls"]["en"]}


@pytest.mark.parametrize("kind", ["translated", "fallback"])
def test_summary_box_is_on_the_first_screen_and_toc_and_print_work(contexts, site, finnish_only, kind):
    page = contexts.new(viewport=FIRST_SCREEN, locale="en-GB").new_page()
    page.goto(practice_paths(site, finnish_only)[kind])
    summary = page.locator("section.summary-box")
    expect(summary).to_be_visible()
    top = summary.evaluate("box => box.getBoundingClientRect().top")
    assert 0 <= top < FIRST_SCREEN["height"], f"the summary box starts at {top} px, below the first screen"
    for label in ("What it is", "Where", "Who runs it", "Evidence level", "Cost", "Whom to contact"):
        expect(summary.locator("dt", has_text=exact(t("en", label)))).to_have_count(1)

    toc = page.get_by_role("navigation", name=exact(t("en", "On this page")))
    anchors = toc.get_by_role("link").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert len(anchors) >= 4 and all(anchor.startswith("#") for anchor in anchors), anchors
    for anchor in anchors:
        page.evaluate("window.scrollTo(0, 0)")
        toc.locator(f"a[href='{anchor}']").click()
        page.wait_for_function("anchor => location.hash === anchor", arg=anchor)
        section = page.locator(anchor)
        expect(section).to_be_in_viewport()
        assert section.evaluate("element => element.matches(':target')"), f"{anchor} is not the target"
        top = section.evaluate("element => element.getBoundingClientRect().top")
        # At the top of the window, unless the page ends before the section can scroll there.
        at_end = page.evaluate("Math.ceil(scrollY + innerHeight) >= document.documentElement.scrollHeight")
        assert abs(top) <= 2 or at_end, f"{anchor} is at {top} px after following its link"

    page.evaluate("window.scrollTo(0, 0)")
    button = page.get_by_role("button", name=exact(t("en", "Print")))
    expect(button).to_be_visible()
    expect(button).to_be_in_viewport()
    # window.print is the browser's API (a dialog headless Chromium cannot show): count the calls.
    page.evaluate("() => { window.printCalls = 0; window.print = () => { window.printCalls += 1; }; }")
    button.click()
    assert page.evaluate("window.printCalls") == 1


# --- 3. Line length ---------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["translated", "fallback"])
def test_body_text_lines_have_at_most_80_characters_at_1280_px(contexts, site, finnish_only, kind, artifacts):
    page = contexts.new(viewport=FIRST_SCREEN, locale="en-GB").new_page()
    page.goto(practice_paths(site, finnish_only)[kind])
    paragraphs = page.locator("article.practice section div p")
    lengths = paragraphs.evaluate_all("ps => ps.map(p => p.textContent.trim().length)")
    assert lengths, "the practice has no body paragraph"
    longest = paragraphs.nth(lengths.index(max(lengths)))
    measured = longest.evaluate(LINE_LENGTH_JS)
    full_lines = measured["lines"][:-1]  # the last line of a paragraph is as short as it happens to be
    (artifacts / f"line-length-{kind}.json").write_text(json.dumps({"url": page.url, **measured}, indent=2) + "\n")
    assert full_lines, f"the longest body paragraph ({max(lengths)} characters) fits on one line: nothing to measure"
    assert max(full_lines) <= MAX_CHARACTERS_PER_LINE, f"lines of {measured['lines']} characters"
    assert measured["perWidth"] <= MAX_CHARACTERS_PER_LINE, f"the text column holds {measured['perWidth']:.0f} characters"


# --- 4. axe ---------------------------------------------------------------------------------------

AUDITED = [("translated", language) for language in ("fi", "sv", "en")] + [("fallback", "en"), ("fallback", "sv")]


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize(("kind", "language"), AUDITED)
def test_practice_page_has_no_axe_violations(contexts, site, finnish_only, kind, language, width):
    page = visitor(contexts, language, width)
    if kind == "translated":
        path = site.urls[language]["practice"]
    else:
        path = next(iter(finnish_only.values()))["urls"][language]
    response = page.goto(path)
    assert response.status == 200, f"{page.url}: HTTP {response.status}"
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator("section.summary-box")).to_be_visible()
    if kind == "fallback":
        expect(page.locator(".untranslated-notice")).to_have_text(exact(t(language, ONLY_IN_FINNISH)))
    violations = run_axe(page)
    assert not violations, f"{page.url} at {width} px: axe violations:\n{describe(violations)}"
