"""End-to-end journeys through the public site and the admin, driven like a person would: by the
accessible names of links, buttons and fields in the page's language (which also tests labelling)."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from .helpers import exact, t

pytestmark = pytest.mark.browser


def params(page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def result_count(page) -> int:
    heading = page.locator("#results-heading").inner_text()
    return int(re.search(r"\d+", heading.replace("\u00a0", "")).group())


def apply_filters(page, language="fi"):
    page.get_by_role("button", name=exact(t(language, "Apply filters"))).click()
    page.wait_for_load_state()


def test_search_facets_sort_pages_and_open_a_practice(page, site):
    page.goto(site.urls["fi"]["home"])
    header_search = page.get_by_role("search")
    # A searchbox, or a combobox once autocomplete.js has given it suggestions: found by its label.
    header_search.get_by_label(t("fi", "Search practices"), exact=True).fill("kieli")
    header_search.get_by_role("button", name=exact(t("fi", "Search"))).click()
    expect(page).to_have_url(re.compile(r"/fi/search/\?q=kieli$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(t("fi", "Search practices"))
    total = result_count(page)
    assert total > 1
    assert page.locator("ol.results > li").count() == min(total, 20)

    # Tick a region facet and apply: the filter is in the URL, as a chip, and narrows the results.
    regions = page.get_by_role("group", name=t("fi", "Region"))
    uusimaa = regions.get_by_role("checkbox", name=re.compile(r"^Uusimaa\b"))
    uusimaa.check()
    apply_filters(page)
    assert params(page)["region"] == ["01"]
    chip = page.get_by_role("link", name=re.compile(rf"{t('fi', 'Region')}: Uusimaa .*{t('fi', 'remove filter')}"))
    expect(chip).to_be_visible()
    narrowed = result_count(page)
    assert 0 < narrowed <= total
    expect(page.get_by_role("group", name=t("fi", "Region")).get_by_role("checkbox", name=re.compile(r"^Uusimaa\b"))).to_be_checked()

    # Untick it: back to every region.
    page.get_by_role("group", name=t("fi", "Region")).get_by_role("checkbox", name=re.compile(r"^Uusimaa\b")).uncheck()
    apply_filters(page)
    assert "region" not in params(page)
    assert result_count(page) == total

    # Two filters, then remove one with its chip's link.
    page.get_by_role("group", name=t("fi", "Region")).get_by_role("checkbox", name=re.compile(r"^Uusimaa\b")).check()
    page.get_by_role("group", name=t("fi", "Theme")).get_by_role("checkbox").first.check()
    apply_filters(page)
    assert params(page)["region"] == ["01"] and "theme" in params(page)
    page.get_by_role("link", name=re.compile(rf"^{t('fi', 'Region')}: Uusimaa")).click()
    page.wait_for_load_state()
    assert "region" not in params(page) and "theme" in params(page)
    expect(page.get_by_role("link", name=re.compile(rf"^{t('fi', 'Region')}: "))).to_have_count(0)

    # Sort by title.
    page.get_by_role("link", name=exact(t("fi", "Clear all filters"))).click()
    page.get_by_role("combobox", name=t("fi", "Sort by")).select_option(label=t("fi", "title"))
    page.get_by_role("button", name=exact(t("fi", "Apply"))).click()
    page.wait_for_load_state()
    assert params(page)["sort"] == ["title"] and params(page)["q"] == ["kieli"]
    expect(page.get_by_role("combobox", name=t("fi", "Sort by"))).to_have_value("title")

    # Every practice, page 2.
    page.goto("/fi/search/")
    all_practices = result_count(page)
    assert all_practices > 20, "the demo content should need more than one page of results"
    pagination = page.get_by_role("navigation", name=t("fi", "Pages"))
    first_page_titles = page.locator("ol.results h3").all_inner_texts()
    pagination.get_by_role("link", name=t("fi", "Next")).click()
    page.wait_for_load_state()
    assert params(page)["page"] == ["2"]
    pages = -(-all_practices // 20)
    expect(page.get_by_role("navigation", name=t("fi", "Pages"))).to_contain_text(
        t("fi", "Page %(number)s of %(total)s") % {"number": 2, "total": pages}
    )
    second_page_titles = page.locator("ol.results h3").all_inner_texts()
    assert second_page_titles and not set(first_page_titles) & set(second_page_titles)
    assert page.locator("ol.results").get_attribute("start") == "21"

    # Open a practice from the results.
    first = page.locator("ol.results h3 a").first
    title = first.inner_text()
    first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)


def test_language_switcher_and_back(page, site):
    fi, sv = site.urls["fi"], site.urls["sv"]
    page.goto(fi["practice"])
    expect(page.get_by_role("heading", level=1)).to_have_text(fi["practice_title"])
    switcher = page.get_by_role("navigation", name=t("fi", "Language"))
    expect(switcher.get_by_role("link", name="Suomi")).to_have_attribute("aria-current", "true")
    switcher.get_by_role("link", name="Svenska").click()
    expect(page).to_have_url(site.url(sv["practice"]))
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    expect(page.get_by_role("heading", level=1)).to_have_text(sv["practice_title"])
    page.get_by_role("navigation", name=t("sv", "Language")).get_by_role("link", name="Suomi").click()
    expect(page).to_have_url(site.url(fi["practice"]))
    expect(page.get_by_role("heading", level=1)).to_have_text(fi["practice_title"])


def field(page, language, label):
    return page.get_by_label(re.compile("^" + re.escape(t(language, label))))


def test_proposal_form_error_then_success(page, site):
    language = "en"
    page.goto("/en/propose/")
    field(page, language, "Name of the practice").fill("Homework club in the library")
    field(page, language, "Summary").fill("Volunteers help pupils with homework twice a week.")
    field(page, language, "Your email").fill("not-an-email")
    page.get_by_role("button", name=t(language, "Send the proposal")).click()

    summary = page.get_by_role("alert").filter(has=page.get_by_role("heading", name=t(language, "Please correct the following")))
    expect(summary).to_be_visible()
    expect(summary.get_by_role("link", name=re.compile(t(language, "Choose at least one theme.")))).to_be_visible()
    expect(field(page, language, "Name of the practice")).to_have_value("Homework club in the library")
    expect(field(page, language, "Your email")).to_have_value("not-an-email")
    expect(field(page, language, "Your email")).to_have_attribute("aria-invalid", "true")

    field(page, language, "The problem or need it addresses").fill("Pupils who recently moved to Finland fall behind.")
    field(page, language, "How it works").fill("The library hosts volunteers on Tuesdays and Thursdays.")
    field(page, language, "Region where it runs").select_option(label="Uusimaa")
    page.get_by_role("group", name=re.compile("^" + t(language, "Themes"))).get_by_role("checkbox").first.check()
    field(page, language, "Organisation that runs it").fill("Example library")
    field(page, language, "Your name").fill("Test Person")
    field(page, language, "Your email").fill("test.person@kb.example")
    page.get_by_role("checkbox", name=re.compile(re.escape(t(language, "The region's coordinators may contact me about this proposal.")))).check()
    page.get_by_role("button", name=t(language, "Send the proposal")).click()

    expect(page).to_have_url(re.compile(r"/en/propose/thanks/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(t(language, "Thank you for your proposal"))
    expect(page.get_by_role("status")).to_be_visible()


def log_in(page, username, password):
    page.goto("/admin/login/")
    page.get_by_label(re.compile("Käyttäjätunnus")).fill(username)
    page.get_by_label(re.compile("Salasana|Password")).fill(password)
    page.get_by_role("button", name="Kirjaudu sisään").click()
    page.wait_for_url("**/admin/")


def test_coordinator_submits_a_practice_for_review(page, site):
    """The coordinator of Uusimaa, in the Finnish admin, sends a practice to the region's review workflow."""
    practice_id = site.urls["fi"]["practice_id"]
    log_in(page, "coordinator-uusimaa", "kb-demo-coordinator")
    page.goto(f"/admin/pages/{practice_id}/edit/")
    title = page.get_by_role("textbox", name=re.compile("^Otsikko|^Title"))
    expect(title).to_have_value(site.urls["fi"]["practice_title"])
    page.get_by_role("button", name="Lisää toimintoja").click()
    submit = page.get_by_role("button", name=re.compile(r"^Lähetä tarkastettavaksi: Uusimaa – Nyland"))
    expect(submit).to_be_visible()
    submit.click()
    page.wait_for_load_state()
    expect(page.get_by_text(re.compile(r"lähetetty tarkastettavaksi"))).to_be_visible()
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=site.urls["fi"]["practice_title"]))
    expect(row).to_contain_text(re.compile("tarkastettavana", re.IGNORECASE))
    page.goto(f"/admin/pages/{practice_id}/edit/")
    expect(page.locator("body")).to_contain_text(re.compile(r"Uusimaa – Nyland"))


def test_on_a_phone_results_come_first_and_a_link_leads_to_the_filters(contexts, site):
    """Visual order follows source order (WCAG 1.3.2, 2.4.3): results, then the filters."""
    page = contexts.new(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True).new_page()
    page.goto("/fi/search/?q=kieli")
    results = page.locator("#results-heading").bounding_box()
    filters = page.locator("#facets-heading").bounding_box()
    assert results["y"] < filters["y"]
    jump = page.get_by_role("link", name=exact(t("fi", "Filter results")))
    expect(jump).to_be_visible()
    jump.click()
    expect(page).to_have_url(re.compile(r"#facets-heading$"))
    expect(page.locator("#facets-heading")).to_be_in_viewport()
    desktop = contexts.new().new_page()
    desktop.goto("/fi/search/?q=kieli")
    expect(desktop.get_by_role("link", name=exact(t("fi", "Filter results")))).to_be_hidden()
