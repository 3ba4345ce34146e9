"""Reading an uploaded spreadsheet (XLSX or CSV) into rows of text, refusing hostile or broken files.

The type is decided by the content, never by the name: an XLSX is a zip archive with a workbook in it,
a CSV is UTF-8 text. Before openpyxl opens an archive, its declared sizes are checked (zip bombs), and
any formula cell refuses the whole file, as does a CSV cell starting with "=". Everything refused
raises ``ImportFileError`` with a message for the coordinator; nothing else escapes ``read_table``.
"""

import csv
import datetime
import io
import zipfile

from django.utils.translation import gettext_lazy as _
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_ROWS = 1000
MAX_UNCOMPRESSED_BYTES = 20 * 1024 * 1024
MAX_COMPRESSION_RATIO = 100  # per member larger than 1 MB; real spreadsheets stay well under 20
MAX_ZIP_MEMBERS = 200
XLSX_PARTS = ("[Content_Types].xml", "xl/workbook.xml")
LIST_SEPARATOR = ";"


class Column:
    def __init__(self, key, required, help_text):
        self.key, self.required, self.help_text = key, required, help_text


COLUMNS = (
    Column("external_id", True, _("Your own stable id of the row (e.g. a number): a later import with the same id updates the practice instead of creating another.")),
    Column("title", True, _("Name of the practice.")),
    Column("summary", True, _("A short lead: what the practice is and for whom (at most 300 characters).")),
    Column("problem", True, _("The problem or need the practice addresses. Separate paragraphs with an empty line.")),
    Column("how_it_works", True, _("How it works. Separate paragraphs with an empty line.")),
    Column("regions", True, _("Regions where it runs: codes or names in Finnish, Swedish or English, separated by “;”. Your own region must be among them.")),
    Column("themes", True, _("Themes: codes or names, separated by “;”.")),
    Column("target_groups", False, _("Target groups: codes or names, separated by “;”.")),
    Column("languages", False, _("Languages the activity is offered in: codes or names, separated by “;”.")),
    Column("municipalities", False, _("Municipalities where it runs, as free text.")),
    Column("lead_organisation", False, _("Name of an organisation already in KB; an unknown name is left empty.")),
    Column("start_date", False, _("Start date, as 2024-08-15 or 15.8.2024.")),
    Column("end_date", False, _("End date, as 2024-08-15 or 15.8.2024.")),
    Column("status", False, _("Status: code or name (see the codes).")),
    Column("evidence_level", False, _("Evidence level: code or name (see the codes).")),
)
COLUMN_KEYS = tuple(column.key for column in COLUMNS)
REQUIRED_KEYS = tuple(column.key for column in COLUMNS if column.required)


class ImportFileError(Exception):
    """A file KB refuses: ``message`` says why, ``status`` is the HTTP status to answer with."""

    def __init__(self, message, status=400):
        super().__init__(str(message))
        self.message = message
        self.status = status


def read_table(data: bytes) -> list[dict]:
    """The rows of the file under its header: ``{"line": n, "<column>": "text", ...}``, empty rows left out."""
    if len(data) > MAX_FILE_BYTES:
        raise ImportFileError(_("The file is larger than 2 MB. Split it into smaller files."), status=413)
    if data.startswith(b"PK\x03\x04"):
        table = _xlsx_rows(data)
    else:
        table = _csv_rows(data)
    return _rows_under_header(table)


def _check_archive(data: bytes) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise ImportFileError(_("The file is not a readable XLSX workbook.")) from None
    names = {member.filename for member in members}
    if not all(part in names for part in XLSX_PARTS):
        raise ImportFileError(_("The file is a zip archive but not an XLSX workbook."))
    too_big = len(members) > MAX_ZIP_MEMBERS or sum(member.file_size for member in members) > MAX_UNCOMPRESSED_BYTES
    too_packed = any(
        member.file_size > 1024 * 1024 and member.file_size > MAX_COMPRESSION_RATIO * max(member.compress_size, 1)
        for member in members
    )
    if too_big or too_packed:
        raise ImportFileError(_("The workbook unpacks to more than 20 MB. Split it into smaller files."), status=413)


def _xlsx_rows(data: bytes) -> list[list[str]]:
    _check_archive(data)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:  # openpyxl raises many kinds of errors on broken parts: all mean "malformed"
        raise ImportFileError(_("The file is not a readable XLSX workbook.")) from None
    try:
        sheet = workbook.worksheets[0]
        table = []
        for row in sheet.iter_rows():
            if len(table) > MAX_ROWS + 1:
                break
            values = []
            for index, cell in enumerate(row, start=1):
                if getattr(cell, "data_type", None) == "f":
                    raise ImportFileError(_("Cell %(cell)s holds a formula. Formulas are not accepted: "
                                            "replace them with their values.") % {"cell": f"{get_column_letter(index)}{cell.row}"})
                values.append(_text(getattr(cell, "value", None)))
            table.append(values)
        return table
    except ImportFileError:
        raise
    except Exception:  # as above: a malformed sheet surfaces only while it is read
        raise ImportFileError(_("The file is not a readable XLSX workbook.")) from None
    finally:
        workbook.close()


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _csv_rows(data: bytes) -> list[list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError(_("The file is neither an XLSX workbook nor a CSV file in UTF-8.")) from None
    if "\x00" in text:
        raise ImportFileError(_("The file is neither an XLSX workbook nor a CSV file in UTF-8."))
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    table = []
    try:
        for line, row in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True), start=1):
            if line > MAX_ROWS + 2:
                break
            for index, value in enumerate(row, start=1):
                if value.lstrip().startswith("="):
                    raise ImportFileError(_("Cell %(cell)s starts with “=”, as a formula does. Formulas are not "
                                            "accepted: remove the “=”.") % {"cell": f"{get_column_letter(index)}{line}"})
            table.append([value.strip() for value in row])
    except csv.Error:
        raise ImportFileError(_("The CSV file is malformed (check its quotation marks).")) from None
    return table


def _header_key(value: str) -> str:
    return value.strip().strip("*").strip().lower().replace(" ", "_")


def _rows_under_header(table: list[list[str]]) -> list[dict]:
    first = next((index for index, values in enumerate(table) if any(values)), None)
    if first is None:
        raise ImportFileError(_("The file is empty."))
    header = [_header_key(value) for value in table[first]]
    missing = [key for key in REQUIRED_KEYS if key not in header]
    if missing:
        raise ImportFileError(_("The header row lacks these columns: %(columns)s. Start from the template.")
                              % {"columns": ", ".join(missing)})
    positions = {key: header.index(key) for key in COLUMN_KEYS if key in header}
    rows = []
    for line, values in enumerate(table[first + 1:], start=first + 2):
        if not any(values):
            continue
        if len(rows) == MAX_ROWS:
            raise ImportFileError(_("The file has more than 1,000 rows. Split it into smaller files."), status=413)
        row = {"line": line}
        for key in COLUMN_KEYS:
            position = positions.get(key)
            row[key] = values[position] if position is not None and position < len(values) else ""
        rows.append(row)
    if not rows:
        raise ImportFileError(_("The file has a header row but no practices under it."))
    return rows
