"""Full-page screenshots of the home page, a search with results and a practice page, at desktop
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


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_screenshots(contexts, site, artifacts, viewport):
    context = contexts.new(viewport=VIEWPORTS[viewport], device_scale_factor=1,
                           is_mobile=viewport == "mobile", has_touch=viewport == "mobile")
    page = context.new_page()
    folder = artifacts / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    for name, path in PAGES.items():
        page.goto(path(site))
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        target = folder / f"{name}-{viewport}.png"
        page.screenshot(path=str(target), full_page=True, animations="disabled", caret="hide")
        assert target.stat().st_size > 10_000
        if os.environ.get("KB_SCREENSHOTS_TO_DOCS") == "1":
            docs = ROOT / "docs" / "screenshots"
            docs.mkdir(parents=True, exist_ok=True)
            # 256 colours: a third of the size in git, indistinguishable for flat UI colours.
            with Image.open(target) as image:
                image.convert("RGB").quantize(colors=256).save(docs / target.name, optimize=True)
