"""A practice for a meeting: Chromium's own print (PDF, A4) of every Finnish demo practice fits on one
or two pages and carries the page's address and contacts; the share button copies the address."""

import re

import pytest
from playwright.sync_api import expect

from .helpers import exact, t

pytestmark = pytest.mark.browser

PDF_PAGE = re.compile(rb"/Type\s*/Page(?![s\w])")


def practice_urls(page) -> list[str]:
    """Every live Finnish practice, from the search page's results (all pages)."""
    urls, next_url = [], "/fi/search/?sort=title&page_size=100"
    while next_url:
        page.goto(next_url)
        urls += page.locator("ol.results h3 a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
        following = page.get_by_role("navigation", name=t("fi", "Pages")).get_by_role("link", name=t("fi", "Next"))
        next_url = following.get_attribute("href") if following.count() else None
        if next_url and next_url.startswith("?"):
            next_url = "/fi/search/" + next_url
    return urls


def test_every_practice_prints_on_one_or_two_pages_with_its_address(contexts, site, artifacts):
    page = contexts.new().new_page()
    urls = practice_urls(page)
    assert len(urls) >= 40, "the demo has 44 Finnish practices"
    pages_per_practice = {}
    for url in urls:
        page.goto(url)
        pdf = page.pdf(format="A4", print_background=False)
        pages_per_practice[url] = len(PDF_PAGE.findall(pdf))
    (artifacts / "print-pages.txt").write_text(
        "".join(f"{count}\t{url}\n" for url, count in sorted(pages_per_practice.items(), key=lambda kv: -kv[1])))
    too_long = {url: count for url, count in pages_per_practice.items() if not 1 <= count <= 2}
    assert not too_long, f"practices that do not print on one or two A4 pages: {too_long}"
    print(f"print: {len(urls)} practices, pages: max {max(pages_per_practice.values())}, "
          f"{sum(1 for c in pages_per_practice.values() if c == 1)} on one page")


def test_print_shows_content_contacts_and_address_without_screen_furniture(page, site):
    page.goto(site.urls["fi"]["practice"])
    address = site.url(site.urls["fi"]["practice"])
    printed_from = page.get_by_text(t("fi", "Printed from %(url)s") % {"url": address})
    expect(printed_from).to_be_hidden()  # on screen the share box shows the address instead
    page.emulate_media(media="print")
    expect(printed_from).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(site.urls["fi"]["practice_title"])
    expect(page.get_by_role("heading", name=t("fi", "Contacts"))).to_be_visible()
    for hidden in (page.get_by_role("search"), page.get_by_role("navigation", name=t("fi", "Language")),
                   page.get_by_role("contentinfo"), page.locator("[data-share]")):
        expect(hidden).to_be_hidden()


def test_share_button_copies_the_address_and_says_so(contexts, site):
    context = contexts.new(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.goto(site.urls["fi"]["practice"])
    address = site.url(site.urls["fi"]["practice"])
    expect(page.get_by_role("link", name=address)).to_have_attribute("href", address)
    page.get_by_role("button", name=exact(t("fi", "Copy link"))).click()
    expect(page.get_by_role("status").filter(has_text=t("fi", "Link copied"))).to_be_visible()
    assert page.evaluate("() => navigator.clipboard.readText()") == address


def test_without_javascript_the_address_is_a_plain_link(contexts, site):
    page = contexts.new(java_script_enabled=False).new_page()
    page.goto(site.urls["fi"]["practice"])
    address = site.url(site.urls["fi"]["practice"])
    expect(page.get_by_role("link", name=address)).to_have_attribute("href", address)
    expect(page.get_by_role("button", name=exact(t("fi", "Copy link")))).to_have_count(0)
