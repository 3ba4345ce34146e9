"""Spreadsheet import for regional coordinators (imports/): the sample in docs/ through the real admin
views (dry run, run in chunks, second run), the permission matrix, hostile files and the parser."""

import csv
import io
import re
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from wagtail.models import ModelLogEntry, PageLogEntry, WorkflowState

from editorial.roles import CONTRIBUTOR, COORDINATOR, NATIONAL_EDITOR, TRANSLATOR
from editorial.testing import make_member, speaking
from imports.models import ImportedPractice, ImportJob
from imports.parsing import COLUMN_KEYS, ImportFileError, read_table
from imports.services import CHUNK_SIZE
from practices.models import PracticePage, RegionPage

DOCS = Path(__file__).resolve().parents[1] / "docs"
SAMPLE_XLSX = DOCS / "import-sample.xlsx"
SAMPLE_CSV = DOCS / "import-sample.csv"
# The sample's deliberate problems: spreadsheet row -> what the dry run must say (admin in English).
DELIBERATE = {
    9: "Unknown theme: “Ruoanlaitto”.",
    16: "The title “Kotoutumisen kävelykierrokset Keravalla” is also on row 2.",
    26: "The summary is 387 characters long; the limit is 300.",
    27: "The row names only other regions than yours (Pirkanmaa): it is not imported into Uusimaa.",
    28: "Required field missing: problem.",
}
SAMPLE_ROWS = 27
VALID_ROWS = SAMPLE_ROWS - len(DELIBERATE)


@pytest.fixture
def coordinator(db):
    return speaking(make_member(COORDINATOR.key, "01"), "en")


def upload(client, data, name="import-sample.xlsx", region="01", language="fi"):
    return client.post(reverse("imports:upload"), {
        "file": SimpleUploadedFile(name, data), "region": region, "language": language,
    })


def upload_sample(client, **kwargs):
    response = upload(client, SAMPLE_XLSX.read_bytes(), **kwargs)
    assert response.status_code == 302, response.content.decode()[:2000]
    return ImportJob.objects.latest("pk")


def row_outcomes(html) -> dict:
    """Spreadsheet row -> outcome class of the report's table (create, update, unchanged, skip)."""
    return {int(line): action for line, action in re.findall(r'<tr id="import-row-(\d+)" class="kb-import-(\w+)">', html)}


def problems_of(html, line) -> list[str]:
    row = re.search(rf'<tr id="import-row-{line}".*?</tr>', html, re.S).group(0)
    return [re.sub(r"\s+", " ", text).strip() for text in re.findall(r'<li class="kb-import-problem">(.*?)</li>', row, re.S)]


def run_to_the_end(client, job):
    for _chunk in range(job.total // CHUNK_SIZE + 2):
        response = client.post(reverse("imports:run", args=(job.pk,)))
        assert response.status_code == 302
        job.refresh_from_db()
        if job.finished_at:
            return job
    raise AssertionError("the run did not finish")


def practices_elsewhere(uusimaa_fi):
    return PracticePage.objects.exclude(path__startswith=uusimaa_fi.path).count()


def unescape(html):
    from html import unescape as html_unescape

    return html_unescape(html)


# The sample ---------------------------------------------------------------------------------------


def test_the_sample_csv_and_xlsx_hold_the_same_rows():
    assert read_table(SAMPLE_CSV.read_bytes()) == read_table(SAMPLE_XLSX.read_bytes())
    assert len(read_table(SAMPLE_XLSX.read_bytes())) == SAMPLE_ROWS


def test_the_dry_run_lists_exactly_the_deliberate_problems_and_changes_nothing(client, coordinator, uusimaa):
    client.force_login(coordinator)
    pages_before = PracticePage.objects.count()
    job = upload_sample(client)
    response = client.get(reverse("imports:report", args=(job.pk,)))
    assert response.status_code == 200
    html = unescape(response.content.decode())
    outcomes = row_outcomes(html)
    assert len(outcomes) == SAMPLE_ROWS
    assert {line for line, action in outcomes.items() if action == "skip"} == set(DELIBERATE)
    assert {action for line, action in outcomes.items() if line not in DELIBERATE} == {"create"}
    for line, message in DELIBERATE.items():
        assert problems_of(html, line) == [message]
        assert f'href="#import-row-{line}"' in html  # the summary links to the row
    assert f"Will be created: {VALID_ROWS}" in html
    assert f"Skipped because of problems: {len(DELIBERATE)}" in html
    assert PracticePage.objects.count() == pages_before and not ImportedPractice.objects.exists()


def test_the_dry_run_speaks_the_editors_admin_language(client, coordinator):
    client.force_login(speaking(coordinator, "fi"))
    job = upload_sample(client)
    html = unescape(client.get(reverse("imports:report", args=(job.pk,))).content.decode())
    assert problems_of(html, 9) == ["Tuntematon teema: ”Ruoanlaitto”."]
    assert problems_of(html, 28) == ["Pakollinen tieto puuttuu: problem."]


def test_the_run_creates_exactly_the_valid_rows_as_drafts_in_the_uploaders_region(client, coordinator, uusimaa):
    client.force_login(coordinator)
    elsewhere = practices_elsewhere(uusimaa)
    before = set(PracticePage.objects.child_of(uusimaa).values_list("pk", flat=True))
    job = run_to_the_end(client, upload_sample(client))

    assert (job.created, job.updated, job.unchanged, job.skipped) == (VALID_ROWS, 0, 0, len(DELIBERATE))
    new = PracticePage.objects.child_of(uusimaa).exclude(pk__in=before)
    rows = {row["title"] for row in read_table(SAMPLE_XLSX.read_bytes()) if row["line"] not in DELIBERATE}
    assert set(new.values_list("title", flat=True)) == rows and new.count() == VALID_ROWS
    assert practices_elsewhere(uusimaa) == elsewhere
    for page in new:
        assert not page.live and page.owner == coordinator and page.latest_revision_id
        assert page.get_parent().specific.region.code == "01"
        assert list(page.regions.values_list("code", flat=True)) == ["01"]
        assert page.themes.exists()
    assert not WorkflowState.objects.filter(object_id__in=[str(pk) for pk in new.values_list("pk", flat=True)]).exists()
    assert PageLogEntry.objects.filter(page__in=new, action="wagtail.create", user=coordinator).count() == VALID_ROWS
    assert not PageLogEntry.objects.filter(page__in=new, action="wagtail.publish").exists()

    # One practice, read back: the spreadsheet's labels in three languages became the right terms.
    page = new.get(title="Äitien ja vauvojen kielikerho Porvoossa").get_latest_revision_as_object()
    assert sorted(page.themes.values_list("code", flat=True)) == ["family", "language"]
    assert sorted(page.target_groups.values_list("code", flat=True)) == ["parents_at_home", "women"]
    assert page.status == "pilot" and str(page.start_date) == "2024-01-10"
    assert page.problem == "<p>Kotona lasta hoitavat äidit jäävät usein kielikurssien ulkopuolelle.</p>"

    # The audit log: one entry for the job, with the file, region and counts, shown in words.
    entry = ModelLogEntry.objects.get(action="kb.import", object_id=str(job.pk))
    assert entry.data["file"] == "import-sample.xlsx" and entry.data["region"] == "01"
    assert (entry.data["created"], entry.data["skipped"]) == (VALID_ROWS, len(DELIBERATE))
    with translation.override("en"):
        assert f"{VALID_ROWS} created, 0 updated, 0 unchanged, {len(DELIBERATE)} skipped" in entry.message

    done = unescape(client.get(reverse("imports:progress", args=(job.pk,))).content.decode())
    assert "Created as a draft" in done and done.count('class="kb-import-problem"') == len(DELIBERATE)


def test_a_second_run_updates_instead_of_duplicating_and_a_live_page_stays_live(client, coordinator, uusimaa):
    client.force_login(coordinator)
    run_to_the_end(client, upload_sample(client))
    count = PracticePage.objects.child_of(uusimaa).count()
    published = ImportedPractice.objects.get(external_id="UM-002").page
    published.save_revision(user=coordinator).publish()
    live_summary = PracticePage.objects.get(pk=published.pk).summary

    # The same file again: nothing to do.
    job = upload_sample(client)
    html = client.get(reverse("imports:report", args=(job.pk,))).content.decode()
    assert set(row_outcomes(html).values()) == {"unchanged", "skip"}
    job = run_to_the_end(client, job)
    assert (job.created, job.updated, job.unchanged) == (0, 0, VALID_ROWS)

    # A changed summary (CSV this time, with ";" and a byte order mark) updates the pages as drafts.
    rows = list(csv.reader(io.StringIO(SAMPLE_CSV.read_text(encoding="utf-8"))))
    for row in rows[1:]:
        if row[0] in ("UM-002", "UM-003"):
            row[2] = row[2] + " Päivitetty."
    stream = io.StringIO()
    csv.writer(stream, delimiter=";").writerows(rows)
    data = ("\ufeff" + stream.getvalue()).encode()
    response = upload(client, data, name="päivitys.csv")
    assert response.status_code == 302
    job = ImportJob.objects.latest("pk")
    html = unescape(client.get(reverse("imports:report", args=(job.pk,))).content.decode())
    assert "Will update the live page “Työelämän suomen keskusteluryhmä Vantaalla”" in html
    assert "Will update the draft “Digiapu kauppakeskuksen kirjastossa”" in html
    job = run_to_the_end(client, job)
    assert (job.created, job.updated, job.unchanged) == (0, 2, VALID_ROWS - 2)
    assert PracticePage.objects.child_of(uusimaa).count() == count
    live = PracticePage.objects.get(pk=published.pk)
    assert live.live and live.has_unpublished_changes and live.summary == live_summary
    assert live.get_latest_revision_as_object().summary.endswith("Päivitetty.")


def test_the_run_goes_in_chunks_and_answers_the_pages_script_in_json(client, coordinator):
    client.force_login(coordinator)
    job = upload_sample(client)
    url = reverse("imports:run", args=(job.pk,))
    first = client.post(url, headers={"Accept": "application/json"}).json()
    assert (first["position"], first["total"], first["done"]) == (CHUNK_SIZE, SAMPLE_ROWS, False)
    progress = client.get(reverse("imports:progress", args=(job.pk,))).content.decode()
    assert f'<progress id="import-progress" max="{SAMPLE_ROWS}" value="{CHUNK_SIZE}"' in progress
    assert 'role="status" aria-live="polite"' in progress and "Continue</button>" in progress
    second = client.post(url, headers={"Accept": "application/json"}).json()
    assert second["done"] and second["position"] == SAMPLE_ROWS
    assert client.post(url, headers={"Accept": "application/json"}).json()["done"]  # a late click: nothing more
    job.refresh_from_db()
    assert job.created == VALID_ROWS and len(job.results) == SAMPLE_ROWS


# Who may import ---------------------------------------------------------------------------------------

ROLES = {
    "coordinator-own": (COORDINATOR.key, "01"),
    "coordinator-other": (COORDINATOR.key, "06"),
    "contributor": (CONTRIBUTOR.key, "01"),
    "national-editor": (NATIONAL_EDITOR.key, None),
    "translator": (TRANSLATOR.key, None),
}


@pytest.mark.parametrize(("who", "allowed"), [
    ("coordinator-own", True), ("coordinator-other", False), ("contributor", False),
    ("national-editor", False), ("translator", False), ("anonymous", False),
])
def test_permission_matrix_over_upload_dry_run_and_run(client, who, allowed, uusimaa):
    owner = make_member(COORDINATOR.key, "01")
    client.force_login(owner)
    job = upload_sample(client)
    client.logout()
    if who != "anonymous":
        role, region = ROLES[who]
        user = owner if who == "coordinator-own" else make_member(role, region)
        client.force_login(user)
    pages, jobs = PracticePage.objects.count(), ImportJob.objects.count()

    form = client.get(reverse("imports:upload"))
    posted = upload(client, SAMPLE_XLSX.read_bytes())
    report = client.get(reverse("imports:report", args=(job.pk,)))
    ran = client.post(reverse("imports:run", args=(job.pk,)))
    template = client.get(reverse("imports:download", args=("template.xlsx",)))
    if allowed:
        assert (form.status_code, posted.status_code, report.status_code, ran.status_code) == (200, 302, 200, 302)
        assert template.status_code == 200
        return
    # Wagtail's answers: anonymous users go to the login page, the others back to the dashboard with
    # "Sorry, you do not have permission to access this area."
    expected = reverse("wagtailadmin_login") if who == "anonymous" else reverse("wagtailadmin_home")
    refused = [posted, report, ran]
    if who == "coordinator-other":  # may import into their own region: the form and template are theirs too
        assert (form.status_code, template.status_code) == (200, 200)
    else:
        refused += [form, template]
    for response in refused:
        assert response.status_code == 302 and response["Location"].split("?")[0] == expected
    assert (PracticePage.objects.count(), ImportJob.objects.count()) == (pages, jobs)
    job.refresh_from_db()
    assert job.position == 0 and not job.started_at


def test_a_post_naming_another_region_is_refused_and_changes_nothing(client, coordinator):
    client.force_login(coordinator)
    pages, jobs = PracticePage.objects.count(), ImportJob.objects.count()
    for region in ("06", "zz"):
        response = upload(client, SAMPLE_XLSX.read_bytes(), region=region)
        assert response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home")  # refused
    assert (PracticePage.objects.count(), ImportJob.objects.count()) == (pages, jobs)


def test_a_coordinator_of_several_regions_chooses_one_of_theirs_and_a_superuser_any(client, coordinator, index_fi):
    from editorial.roles import role_group
    from practices.models import Region

    coordinator.groups.add(role_group(COORDINATOR.key, Region.objects.get(code="06")))
    client.force_login(coordinator)
    html = client.get(reverse("imports:upload")).content.decode()
    assert re.findall(r'<option value="(\d\d)"', html) == ["01", "06"]
    job = upload_sample(client, region="06")
    html = unescape(client.get(reverse("imports:report", args=(job.pk,))).content.decode())
    # In Pirkanmaa the rows of Uusimaa are the other region's; the row of Pirkanmaa is the one to create.
    assert {line for line, action in row_outcomes(html).items() if action == "create"} == {27}

    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.create_superuser("import-admin", "a@kb.example", "pass-word-123")
    client.force_login(admin)
    html = client.get(reverse("imports:upload")).content.decode()
    assert len(re.findall(r'<option value="(\d\d)"', html)) == RegionPage.objects.child_of(index_fi).exclude(region=None).count()


def test_the_menu_item_shows_only_to_those_who_may_import(client, coordinator):
    client.force_login(coordinator)
    assert "import-practices" in client.get(reverse("wagtailadmin_home")).content.decode()
    client.force_login(make_member(CONTRIBUTOR.key, "01"))
    assert "import-practices" not in client.get(reverse("wagtailadmin_home")).content.decode()


def test_another_coordinators_job_is_refused(client, coordinator):
    client.force_login(coordinator)
    job = upload_sample(client)
    client.force_login(make_member(COORDINATOR.key, "01"))  # same region, another person's upload
    for response in (client.get(reverse("imports:report", args=(job.pk,))),
                     client.post(reverse("imports:run", args=(job.pk,)))):
        assert response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home")  # refused
    job.refresh_from_db()
    assert job.position == 0 and not ImportedPractice.objects.exists()


# Template downloads ----------------------------------------------------------------------------------


def test_template_downloads(client, coordinator):
    client.force_login(coordinator)
    response = client.get(reverse("imports:download", args=("template.xlsx",)))
    workbook = load_workbook(io.BytesIO(response.content), read_only=True)
    practices, codes, help_sheet = workbook.worksheets
    assert [cell.value for cell in next(practices.iter_rows())] == list(COLUMN_KEYS)
    code_rows = [[cell.value for cell in row] for row in codes.iter_rows()]
    assert ["regions", "01", "Uusimaa", "Nyland", "Uusimaa"] in code_rows
    assert ["themes", "language", "Kielen oppiminen", "Språkinlärning", "Language learning"] in code_rows
    assert ["status", "ongoing", "Käynnissä", "Pågående", "Ongoing"] in code_rows or any(
        row[:2] == ["status", "ongoing"] for row in code_rows)
    assert {row[1] for row in code_rows if row[0] == "evidence_level"} == {"described", "emerging", "promising", "established"}
    assert len(list(help_sheet.iter_rows())) == len(COLUMN_KEYS) + 1

    csv_template = client.get(reverse("imports:download", args=("template.csv",))).content.decode("utf-8-sig")
    assert csv_template.strip() == ",".join(COLUMN_KEYS)
    codes_csv = client.get(reverse("imports:download", args=("codes.csv",))).content.decode("utf-8-sig")
    assert "target_groups,refugees," in codes_csv
    assert client.get(reverse("imports:download", args=("other.exe",))).status_code == 404


# Hostile and broken files ----------------------------------------------------------------------------


def xlsx(rows) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    stream = io.BytesIO()
    workbook.save(stream)
    return stream.getvalue()


def valid_row(**values):
    row = {"external_id": "X1", "title": "Testi", "summary": "Lyhyt.", "problem": "Tarve.", "how_it_works": "Näin.",
           "regions": "01", "themes": "language"}
    row.update(values)
    return [row.get(key, "") for key in COLUMN_KEYS]


def zip_bomb() -> bytes:
    stream = io.BytesIO()
    with zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (30 * 1024 * 1024))
    return stream.getvalue()


def zip_of(**members) -> bytes:
    stream = io.BytesIO()
    with zipfile.ZipFile(stream, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return stream.getvalue()


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
HEADER = ",".join(COLUMN_KEYS) + "\n"
HOSTILE = {
    "over 2 MB": ("big.csv", (HEADER + "x" * (2 * 1024 * 1024)).encode(), 413, "larger than 2 MB"),
    "over 1,000 rows": ("many.csv", (HEADER + "X,T,S,P,H,01,language\n" * 1001).encode(), 413, "more than 1,000 rows"),
    "a PNG named .xlsx": ("kuva.xlsx", PNG, 400, "neither an XLSX workbook nor a CSV file"),
    "a binary .csv": ("data.csv", b"\x00\x01\x02" * 100, 400, "neither an XLSX workbook nor a CSV file"),
    "a zip bomb": ("bomb.xlsx", zip_bomb(), 413, "unpacks to more than 20 MB"),
    "a zip that is no workbook": ("archive.xlsx", zip_of(**{"readme.txt": "hello"}), 400, "not an XLSX workbook"),
    "a broken workbook": ("broken.xlsx", zip_of(**{"[Content_Types].xml": "<x", "xl/workbook.xml": "garbage"}), 400,
                          "not a readable XLSX workbook"),
    "a truncated workbook": ("cut.xlsx", xlsx([list(COLUMN_KEYS), valid_row()])[:900], 400, "not a readable XLSX"),
    "a formula in the workbook": ("f.xlsx", xlsx([list(COLUMN_KEYS), valid_row(summary="=HYPERLINK(\"http://x\")")]),
                                  400, "Cell C2 holds a formula"),
    "a formula in the CSV": ("f.csv", (HEADER + 'X,T,"  =1+1",P,H,01,language\n').encode(), 400, "Cell C2 starts with “=”"),
    "a malformed CSV": ("bad.csv", (HEADER + 'X,"T\n').encode(), 400, "malformed"),
    "missing columns": ("cols.csv", b"external_id,title\nX,T\n", 400, "lacks these columns: summary, problem"),
    "an empty file": ("empty.csv", b"", 400, "The submitted file is empty"),
    "only empty rows": ("blank.csv", b",,,\n,,\n", 400, "The file is empty"),
    "only a header": ("header.csv", HEADER.encode(), 400, "no practices under it"),
    "Latin-1 text": ("latin.csv", (HEADER + "X,Tämä,S,P,H,01,language\n").encode("latin-1"), 400, "UTF-8"),
}


@pytest.mark.parametrize("case", HOSTILE, ids=list(HOSTILE))
def test_hostile_and_broken_files_are_refused_with_a_message_and_change_nothing(client, coordinator, case):
    name, data, status, message = HOSTILE[case]
    client.force_login(coordinator)
    pages, jobs = PracticePage.objects.count(), ImportJob.objects.count()
    response = upload(client, data, name=name, region="01", language="sv")
    assert response.status_code == status
    html = unescape(response.content.decode())
    assert message in html
    assert 'class="kb-import-error-summary" role="alert"' in html and 'aria-invalid="true"' in html
    # What the coordinator chose is kept.
    assert re.search(r'<option value="sv" selected>', html) and re.search(r'<option value="01" selected>', html)
    assert (PracticePage.objects.count(), ImportJob.objects.count()) == (pages, jobs)


def test_a_form_without_a_file_is_a_400_with_the_choices_kept(client, coordinator):
    client.force_login(coordinator)
    response = client.post(reverse("imports:upload"), {"region": "01", "language": "en"})
    assert response.status_code == 400
    assert re.search(r'<option value="en" selected>', response.content.decode())


def test_a_formula_as_text_is_not_a_formula():
    """A quote-prefixed cell (how KB's own exports store text that starts with "=") is text."""
    from opendata.tabular import xlsx_bytes

    data = xlsx_bytes(list(COLUMN_KEYS), [valid_row(summary="=1+1")])
    assert read_table(data)[0]["summary"] == "=1+1"


# The parser never raises anything but its own error ---------------------------------------------------

ANY_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cells=st.lists(st.lists(ANY_TEXT, min_size=0, max_size=len(COLUMN_KEYS) + 2), max_size=6),
       delimiter=st.sampled_from([",", ";"]), bom=st.booleans(), header=st.booleans())
def test_the_parser_reads_any_unicode_csv_or_refuses_it_clearly(cells, delimiter, bom, header):
    stream = io.StringIO()
    writer = csv.writer(stream, delimiter=delimiter)
    if header:
        writer.writerow(COLUMN_KEYS)
    writer.writerows(cells)
    data = (("\ufeff" if bom else "") + stream.getvalue()).encode("utf-8")
    try:
        rows = read_table(data)
    except ImportFileError as error:
        assert str(error.message)
        return
    assert all(set(row) == {"line", *COLUMN_KEYS} for row in rows)


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=300) | ANY_TEXT.map(lambda text: text.encode("utf-8")))
def test_the_parser_refuses_any_bytes_clearly(data):
    for candidate in (data, b"PK\x03\x04" + data):
        try:
            read_table(candidate)
        except ImportFileError as error:
            assert error.status in (400, 413)


def test_the_audit_entry_shows_in_the_admins_site_history(client, coordinator):
    from tests.factories import log_in_superuser

    client.force_login(coordinator)
    job = run_to_the_end(client, upload_sample(client))
    log_in_superuser(client, "en")
    html = unescape(client.get(reverse("wagtailadmin_reports:site_history")).content.decode())
    assert f"Imported “import-sample.xlsx” into region 01: {job.created} created" in html
