"""The open data dump: `manage.py export_open_data`, its files, how they are served, the page about them."""

import configparser
import csv
import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from jsonschema import Draft202012Validator
from wagtail.models import Page

from opendata import dump
from practices.models import PracticeContact, PracticePage

from .factories import make_practice

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads(dump.SCHEMA_PATH.read_text())
VALIDATOR = Draft202012Validator(SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER)


@pytest.fixture
def open_data(tmp_path, settings):
    settings.OPEN_DATA_ROOT = str(tmp_path)
    return tmp_path


def export(directory) -> dict:
    call_command("export_open_data", stdout=io.StringIO())
    return {path.name: path.read_bytes() for path in directory.iterdir()}


def jsonl(directory, language) -> list[dict]:
    return [json.loads(line) for line in (directory / f"practices-{language}.jsonl").read_text().splitlines()]


def csv_rows(directory, language) -> list[dict]:
    text = (directory / f"practices-{language}.csv").read_bytes().decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_every_line_validates_and_the_csv_has_the_same_practices(open_data):
    files = export(open_data)
    assert set(files) == {"schema.json", "metadata.json", *(f"practices-{language}.{ext}"
                          for language in ("fi", "sv", "en") for ext in ("jsonl", "csv"))}
    assert json.loads(files["schema.json"]) == SCHEMA
    groups = set(PracticePage.objects.live().values_list("translation_key", flat=True))
    for language in ("fi", "sv", "en"):
        items = jsonl(open_data, language)
        for item in items:
            errors = sorted(VALIDATOR.iter_errors(item), key=str)
            assert not errors, (item["title"], [error.message for error in errors])
        # Every translation group once, in every language.
        assert len(items) == len(groups) and {item["id"] for item in items} == {str(key) for key in groups}
        rows = csv_rows(open_data, language)
        assert [row["id"] for row in rows] == [item["id"] for item in items]
        assert list(rows[0]) == dump.CSV_HEADER
        assert all(item["language"] == language for item in items)


def test_counts_equal_the_live_practices(open_data):
    export(open_data)
    live_fi = PracticePage.objects.live().filter(locale__language_code="fi")
    fi = jsonl(open_data, "fi")
    assert len([item for item in fi if not item["untranslated"]]) == live_fi.count() > 20
    assert {item["page_id"] for item in fi if not item["untranslated"]} == set(live_fi.values_list("pk", flat=True))
    metadata = json.loads((open_data / "metadata.json").read_text())
    assert metadata["practices"]["fi"] == len(fi)
    assert metadata["licence"]["id"] == "CC-BY-4.0"
    assert "CC BY 4.0" in metadata["attribution"]["fi"] and "KB" in metadata["attribution"]["sv"]


def test_untranslated_practices_come_in_their_original_language(open_data, uusimaa):
    practice = make_practice(uusimaa, title="Vain suomeksi kuvattu kerho")
    export(open_data)
    live_sv = PracticePage.objects.live().filter(locale__language_code="sv")
    sv = jsonl(open_data, "sv")
    translated = [item for item in sv if not item["untranslated"]]
    assert {item["page_id"] for item in translated} == set(live_sv.values_list("pk", flat=True))
    assert all(item["text_language"] == "sv" for item in translated)
    item = next(item for item in sv if item["id"] == str(practice.translation_key))
    assert (item["untranslated"], item["text_language"], item["page_id"]) == (True, "fi", practice.pk)
    assert item["title"] == "Vain suomeksi kuvattu kerho"
    # The interface in Swedish, the labels in Swedish, the address under the Swedish region page.
    assert item["url"].startswith("http://testserver/sv/") and item["url"].endswith(f"/{practice.slug}/")
    assert {term["label"] for term in item["regions"]} == {"Nyland"}
    row = next(row for row in csv_rows(open_data, "sv") if row["id"] == item["id"])
    assert (row["untranslated"], row["text_language"], row["region_labels"]) == ("true", "fi", "Nyland")


def test_fields_are_plain_text_with_codes_and_labels(open_data, uusimaa):
    practice = make_practice(uusimaa, title="Kenttätesti", themes=("language", "employment"), regions=("01", "06"),
                             municipalities="Tampere, Espoo", problem="<p>Ensimmäinen &amp; kappale</p><ul>"
                             "<li>kohta</li></ul>", budget_band="under_5k")
    export(open_data)
    item = next(item for item in jsonl(open_data, "en") if item["id"] == str(practice.translation_key))
    assert item["sections"]["problem"] == "Ensimmäinen & kappale\nkohta"
    assert item["sections"]["model"] == "Näin malli toimii."
    assert [term["code"] for term in item["regions"]] == ["01", "06"]
    assert {term["code"] for term in item["themes"]} == {"language", "employment"}
    assert {term["label"] for term in item["municipalities"]} == {"Tampere", "Espoo"}
    assert item["budget_band"] == {"code": "under_5k", "label": "Under €5,000 a year"}
    assert item["lead_organisation"]["name"] == practice.lead_organisation.name
    assert item["lead_organisation"]["type"]["code"] == "association"
    assert item["licence"] == "CC-BY-4.0"


def test_no_contact_without_consent_appears_anywhere(open_data, uusimaa):
    make_practice(uusimaa, title="Yhteystietotesti", contacts=[
        {"name": "Salainen Sanna", "email": "salainen.sanna@kb.example", "phone": "040 1234567",
         "publish_consent": False},
        {"name": "Julkinen Jussi", "email": "julkinen.jussi@kb.example", "publish_consent": True},
    ])
    files = export(open_data)
    everything = b"\n".join(files.values())
    for secret in ("Salainen Sanna", "salainen.sanna@kb.example", "040 1234567"):
        assert secret.encode() not in everything
    for name in ("practices-fi.jsonl", "practices-fi.csv", "practices-sv.jsonl", "practices-en.csv"):
        assert b"julkinen.jussi@kb.example" in files[name]
    # And none of the demo content's contacts without consent (unless the same details were published).
    public = {value for contact in PracticeContact.objects.filter(publish_consent=True)
              for value in (contact.name, contact.email)}
    private = [value for contact in PracticeContact.objects.filter(publish_consent=False, page__live=True)
               for value in (contact.name, contact.email) if value and value not in public]
    assert private, "the demo content has contacts without consent"
    assert not [value for value in private if value.encode() in everything]


def test_csv_cells_that_look_like_formulas_are_text(open_data, uusimaa):
    practice = make_practice(uusimaa, title="=HYPERLINK(\"http://example.invalid\")", summary="@SUM(A1)")
    export(open_data)
    row = next(row for row in csv_rows(open_data, "fi") if row["id"] == str(practice.translation_key))
    assert row["title"] == "'=HYPERLINK(\"http://example.invalid\")" and row["summary"] == "'@SUM(A1)"
    item = next(item for item in jsonl(open_data, "fi") if item["id"] == str(practice.translation_key))
    assert item["title"] == "=HYPERLINK(\"http://example.invalid\")"  # JSON keeps the text exactly


def test_a_second_run_without_changes_rewrites_nothing(open_data, uusimaa):
    export(open_data)
    before = {path.name: path.stat().st_mtime_ns for path in open_data.iterdir()}
    out = io.StringIO()
    call_command("export_open_data", stdout=out)
    assert "nothing changed" in out.getvalue()
    assert {path.name: path.stat().st_mtime_ns for path in open_data.iterdir()} == before
    assert not [path for path in open_data.iterdir() if path.name.endswith(".tmp")]
    practice = make_practice(uusimaa, title="Uusi käytäntö avoimeen dataan")
    out = io.StringIO()
    call_command("export_open_data", stdout=out)
    assert "practices-fi.jsonl" in out.getvalue() and "schema.json" not in out.getvalue()
    assert str(practice.translation_key) in (open_data / "practices-fi.jsonl").read_text()
    practice.unpublish()
    call_command("export_open_data", stdout=io.StringIO())
    assert str(practice.translation_key) not in (open_data / "practices-en.csv").read_text()


def test_files_are_served_with_etag_last_modified_and_304(client, open_data, uusimaa):
    export(open_data)
    response = client.get("/open-data/practices-fi.jsonl")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/jsonl; charset=utf-8"
    body = b"".join(response.streaming_content)
    assert body == (open_data / "practices-fi.jsonl").read_bytes()
    etag, modified = response["ETag"], response["Last-Modified"]
    assert etag.startswith('"') and modified.endswith("GMT")
    assert "public" in response["Cache-Control"]
    assert 'rel="license"' in response["Link"]
    again = client.get("/open-data/practices-fi.jsonl", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again["ETag"] == etag
    assert client.get("/open-data/practices-fi.jsonl", HTTP_IF_MODIFIED_SINCE=modified).status_code == 304
    assert client.get("/open-data/practices-fi.jsonl", HTTP_IF_NONE_MATCH='"other"').status_code == 200
    head = client.head("/open-data/practices-fi.jsonl")
    assert head.status_code == 200 and head["ETag"] == etag
    assert client.get("/open-data/practices-sv.csv")["Content-Type"] == "text/csv; charset=utf-8; header=present"
    assert client.get("/open-data/schema.json")["Content-Type"] == "application/schema+json"
    assert client.get("/open-data/metadata.json")["Content-Type"] == "application/json"
    # A regeneration that changed the file: a new ETag, and the old one no longer answers 304.
    make_practice(uusimaa, title="Muutos ETagiin")
    export(open_data)
    changed = client.get("/open-data/practices-fi.jsonl", HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag


def test_a_missing_dump_is_a_clear_404(client, settings, tmp_path, caplog):
    settings.OPEN_DATA_ROOT = str(tmp_path / "never-generated")
    with caplog.at_level(logging.WARNING, logger="opendata.views"):
        response = client.get("/open-data/practices-fi.csv", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert "manage.py export_open_data" in response.content.decode()
    assert any("export_open_data" in record.getMessage() for record in caplog.records)
    assert client.get("/open-data/passwords.txt").status_code == 404
    assert client.get("/open-data/..%2Fdb.sqlite3").status_code == 404


@pytest.mark.parametrize("language, heading, licence", [
    ("fi", "Avoin data", "Nimeä lähde"),
    ("sv", "Öppna data", "Ange källan"),
    ("en", "Open data", "Name the source"),
])
def test_the_page_renders_in_every_language(client, open_data, language, heading, licence):
    missing = client.get(f"/{language}/open-data/")
    assert missing.status_code == 200 and b"practices-fi.jsonl" not in missing.content
    export(open_data)
    response = client.get(f"/{language}/open-data/")
    html = response.content.decode()
    assert response.status_code == 200
    assert f"<h1>{heading}</h1>" in html and licence in html
    assert 'href="https://creativecommons.org/licenses/by/4.0/"' in html
    assert dump.attribution(language) in html
    for name in ("practices-fi.jsonl", "practices-sv.csv", "practices-en.jsonl", "schema.json"):
        assert f'href="/open-data/{name}"' in html
    count = Page.objects.live().type(PracticePage).values("translation_key").distinct().count()
    assert f"<td>{count}</td>" in html


def test_the_footer_links_to_the_open_data_page(client):
    assert b'href="/sv/open-data/"' in client.get("/sv/search/").content


def test_the_timer_regenerates_the_dump_where_the_site_serves_it():
    """deploy/systemd: the service runs the command with the site's environment and may write its directory."""
    service = configparser.ConfigParser(strict=False, interpolation=None)
    service.read(ROOT / "deploy/systemd/kb-open-data.service")
    assert service["Service"]["ExecStart"].endswith("manage.py export_open_data")
    assert service["Service"]["EnvironmentFile"] == "/etc/kb/env"
    directory = service["Service"]["ReadWritePaths"]
    assert f"OPEN_DATA_ROOT={directory}" in (ROOT / "README.md").read_text()
    timer = configparser.ConfigParser(strict=False, interpolation=None)
    timer.read(ROOT / "deploy/systemd/kb-open-data.timer")
    assert timer["Timer"]["OnCalendar"] and timer["Install"]["WantedBy"] == "timers.target"


@pytest.mark.parametrize("value, expected", [("", str(ROOT / "var" / "open-data")), ("/srv/od", "/srv/od")])
def test_open_data_root_comes_from_the_environment(value, expected):
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "kb.settings.test", "OPEN_DATA_ROOT": value}
    result = subprocess.run([sys.executable, "-c", "import django; django.setup(); from django.conf import settings; "
                             "print(settings.OPEN_DATA_ROOT)"], cwd=ROOT, env=environment, capture_output=True,
                            text=True, timeout=120, check=True)
    assert result.stdout.strip() == expected


def test_the_command_takes_a_directory_and_a_base_url(tmp_path, settings):
    settings.OPEN_DATA_ROOT = str(tmp_path / "not-this-one")
    out = io.StringIO()
    call_command("export_open_data", directory=str(tmp_path / "here"), base_url="https://kb.example.fi/", stdout=out)
    assert not (tmp_path / "not-this-one").exists()
    assert f"fi {len(jsonl(tmp_path / 'here', 'fi'))}" in out.getvalue()
    assert all(item["url"].startswith("https://kb.example.fi/en/") for item in jsonl(tmp_path / "here", "en"))
