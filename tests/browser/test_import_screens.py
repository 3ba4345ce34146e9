"""A regional coordinator imports the sample spreadsheet in Chromium, in the Finnish admin: downloads
the template, uploads docs/import-sample.xlsx, reads the dry run, runs it with the page's script and
sees the progress and the done page; then runs the same file without the page's script, one chunk per
"Continue", into the Swedish page. axe-core finds no violation on any of the screens."""

import io
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from imports.parsing import COLUMN_KEYS

from .helpers import describe, run_axe, t
from .test_journeys import log_in

pytestmark = pytest.mark.browser

SAMPLE = Path(__file__).resolve().parents[2] / "docs" / "import-sample.xlsx"
SAMPLE_ROWS, PROBLEM_ROWS = 27, {9, 16, 26, 27, 28}


def no_violations(page, screen):
    """axe-core over the whole screen: no violation at all."""
    violations = run_axe(page)
    assert not violations, f"{screen}:\n{describe(violations)}"


def upload_sample(page, language="fi"):
    page.goto("/admin/import/")
    page.get_by_label(re.compile("^" + t("fi", "Spreadsheet"))).set_input_files(str(SAMPLE))
    page.get_by_label(re.compile("^" + t("fi", "Language of the texts"))).select_option(language)
    expect(page.get_by_label(re.compile("^" + t("fi", "Region")))).to_have_value("01")
    page.get_by_role("button", name=t("fi", "Check the file (dry run)")).click()
    page.wait_for_url(re.compile(r"/admin/import/\d+/$"))


def test_coordinator_imports_the_sample_spreadsheet(contexts, site):
    page = contexts.new(accept_downloads=True).new_page()
    log_in(page, "coordinator-uusimaa", "kb-demo-coordinator")

    # The menu leads to the import; the template downloads with its columns and codes.
    page.goto("/admin/")
    page.get_by_role("link", name=t("fi", "Import practices")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t("fi", "Import practices"))
    no_violations(page, "upload")
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile(re.escape(t("fi", "Template (XLSX, with the codes and help on their own sheets)")))).click()
    workbook = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()), read_only=True)
    assert [cell.value for cell in next(workbook.worksheets[0].iter_rows())] == list(COLUMN_KEYS)
    assert len(workbook.worksheets) == 3

    # The dry run: every row in a table, the problem rows linked from the summary.
    upload_sample(page)
    no_violations(page, "dry run")
    table = page.get_by_role("table", name=t("fi", "Row by row"))
    expect(table.locator("tbody tr")).to_have_count(SAMPLE_ROWS)
    links = page.locator(".kb-import-error-summary a")
    expect(links).to_have_count(len(PROBLEM_ROWS))
    links.first.click()
    expect(page).to_have_url(re.compile(r"#import-row-9$"))
    expect(page.locator("#import-row-9")).to_contain_text("Ruoanlaitto")

    # The run: the script posts chunk after chunk and opens the done page.
    page.get_by_role("button", name=re.compile(t("fi", "Import practices").split()[0])).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t("fi", "Import practices: done"), timeout=30_000)
    expect(page.locator("#import-progress")).to_have_attribute("value", str(SAMPLE_ROWS))
    expect(page.locator("#import-status")).to_contain_text("22")
    expect(page.get_by_role("link", name="Saunailta uusille asukkaille")).to_be_visible()
    no_violations(page, "done")


def test_the_run_goes_on_without_its_script_one_chunk_per_continue(contexts, site):
    """The page's script is blocked (as if JavaScript were off: axe itself needs JavaScript to run), so
    the form is what moves the run on."""
    page = contexts.new().new_page()
    page.route(re.compile(r"/static/imports/run\.[^/]*js$"), lambda route: route.abort())
    log_in(page, "coordinator-uusimaa", "kb-demo-coordinator")
    upload_sample(page, language="sv")  # the drafts go under the Swedish page: new, whatever ran before
    page.locator("form.kb-import-actions button").click()
    # The first 25 rows are handled; the page shows where it stands and offers "Continue".
    expect(page.get_by_role("heading", level=1)).to_have_text(t("fi", "Import practices: running"))
    expect(page.locator("#import-progress")).to_have_attribute("value", "25")
    expect(page.locator("#import-status")).to_contain_text(f"25/{SAMPLE_ROWS}")
    no_violations(page, "progress")
    page.get_by_role("button", name=t("fi", "Continue")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t("fi", "Import practices: done"))
    no_violations(page, "done without the script")
