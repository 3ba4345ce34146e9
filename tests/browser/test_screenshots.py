"""Full-page screenshots of the home page, a search with results, a practice page and the programme page
(1280 px) and mobile (390 px) widths, into artifacts/screenshots/; with KB_SCREENSHOTS_TO_DOCS=1
(`make screenshots`) also into docs/screenshots/, which README.md shows."""

import os

import pytest
from PIL import Image
from playwright.sync_api import expect

from .conftest import ROOT

pytestmark = pytest.mark.browser

VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "mobile": {"width": 390, "height": 844}}
PAGES = {
    "home": lambda site: site.urls["fi"]["home"],
    "search": lambda site: "/fi/search/?q=kieli",
    "practice": lambda site: site.urls["fi"]["practice"],
}


def open_page(contexts, artifacts, viewport):
    context = contexts.new(viewport=VIEWPORTS[viewport], device_scale_factor=1,
                           is_mobile=viewport == "mobile", has_touch=viewport == "mobile")
    folder = artifacts / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return context.new_page(), folder


def keep(target):
    """A screenshot big enough to show something, and with KB_SCREENSHOTS_TO_DOCS=1 a copy for README."""
    assert target.stat().st_size > 10_000
    if os.environ.get("KB_SCREENSHOTS_TO_DOCS") == "1":
        docs = ROOT / "docs" / "screenshots"
        docs.mkdir(parents=True, exist_ok=True)
        # 256 colours: a third of the size in git, indistinguishable for flat UI colours.
        with Image.open(target) as image:
            image.convert("RGB").quantize(colors=256).save(docs / target.name, optimize=True)


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_screenshots(contexts, site, artifacts, viewport):
    page, folder = open_page(contexts, artifacts, viewport)
    for name, path in PAGES.items():
        page.goto(path(site))
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        target = folder / f"{name}-{viewport}.png"
        page.screenshot(path=str(target), full_page=True, animations="disabled", caret="hide")
        keep(target)


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_insights_screenshots(contexts, site, artifacts, viewport):
    """The programme page (insights/): the whole page into artifacts/, and for README.md
    (docs/screenshots/insights-<viewport>.png) its top down to the end of the coverage heat map."""
    page, folder = open_page(contexts, artifacts, viewport)
    page.goto("/fi/programme/")
    chart = page.locator("#figure-coverage svg")
    expect(chart).to_be_visible()
    page.screenshot(path=str(folder / f"insights-full-{viewport}.png"), full_page=True, animations="disabled",
                    caret="hide")
    box = chart.bounding_box()
    bottom = box["y"] + box["height"] + 16 + page.evaluate("window.scrollY")
    target = folder / f"insights-{viewport}.png"
    page.screenshot(path=str(target), full_page=True, animations="disabled", caret="hide",
                    clip={"x": 0, "y": 0, "width": VIEWPORTS[viewport]["width"], "height": bottom})
    keep(target)
