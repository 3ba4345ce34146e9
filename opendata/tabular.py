"""Tables out of KB as CSV or XLSX: search results, the insights tables, the open data dump.

One writer for every export, so every one of them is protected the same way against spreadsheet
formula injection: a text cell that a spreadsheet would read as a formula (it starts with = + - @,
a tab or a carriage return, after any spaces) is written as text. In CSV the cell gets a leading
apostrophe, which spreadsheets show as "this is text"; in XLSX the cell is stored with the string
type and the quote-prefix style, so the text is kept exactly as typed and is never evaluated.
"""

import csv
import datetime
import io
import re
from collections.abc import Iterable

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
LIST_SEPARATOR = "; "
XLSX_MAX_CELL = 32_767  # characters a spreadsheet cell holds
SHEET_TITLE_MAX = 31
# What XML 1.0, and so XLSX, cannot hold: most C0 control characters (openpyxl's own list), lone
# surrogates and the non-characters U+FFFE and U+FFFF (lxml refuses these with a ValueError). They are
# dropped from XLSX cells; CSV keeps every character.
UNSTORABLE_IN_XLSX = re.compile(ILLEGAL_CHARACTERS_RE.pattern + "|[\ud800-\udfff\ufffe\uffff]")


def looks_like_formula(text: str) -> bool:
    return text.startswith(FORMULA_STARTS) or text.lstrip(" ").startswith(FORMULA_STARTS)


def plain(value):
    """A cell's value as a spreadsheet should hold it: lists joined, None empty, the rest as is."""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return LIST_SEPARATOR.join(str(item) for item in value)
    return value


def csv_cell(value):
    value = plain(value)
    if isinstance(value, str) and looks_like_formula(value):
        return "'" + value
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    return value


def write_csv(stream, header: list[str], rows: Iterable[list]) -> None:
    writer = csv.writer(stream)
    writer.writerow([csv_cell(cell) for cell in header])
    for row in rows:
        writer.writerow([csv_cell(cell) for cell in row])


def csv_bytes(header: list[str], rows: Iterable[list]) -> bytes:
    """UTF-8 with a byte order mark, so spreadsheet programs read ä, å and ö right."""
    stream = io.StringIO()
    write_csv(stream, header, rows)
    return ("\ufeff" + stream.getvalue()).encode("utf-8")


def _xlsx_cell(sheet, value, bold=False):
    value = plain(value)
    if isinstance(value, datetime.datetime) and value.tzinfo is not None:
        value = value.astimezone(datetime.UTC).replace(tzinfo=None)  # XLSX has no time zones: UTC
    if isinstance(value, str):
        value = UNSTORABLE_IN_XLSX.sub("", value)[:XLSX_MAX_CELL]
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str) and looks_like_formula(value):
        cell.data_type = "s"  # text, never a formula
        cell.style = "Normal"
        cell.quotePrefix = True
    if bold:
        cell.font = Font(bold=True)
    return cell


def xlsx_bytes(header: list[str], rows: Iterable[list], sheet_title: str = "") -> bytes:
    return workbook_bytes([(sheet_title, header, rows)])


def workbook_bytes(sheets: Iterable[tuple[str, list[str], Iterable[list]]]) -> bytes:
    """An XLSX workbook of (title, header, rows) sheets, in order; the header row in bold."""
    workbook = Workbook(write_only=True)
    for title, header, rows in sheets:
        sheet = workbook.create_sheet(title=_sheet_title(title))
        sheet.append([_xlsx_cell(sheet, cell, bold=True) for cell in header])
        for row in rows:
            sheet.append([_xlsx_cell(sheet, cell) for cell in row])
    stream = io.BytesIO()
    workbook.save(stream)
    return stream.getvalue()


def _sheet_title(title: str) -> str:
    cleaned = "".join(" " if char in "[]:*?/\\" else char for char in UNSTORABLE_IN_XLSX.sub("", title)).strip()
    return cleaned[:SHEET_TITLE_MAX] or "KB"


def table_response(fmt: str, filename_stem: str, header: list[str], rows: Iterable[list],
                   sheet_title: str = "") -> HttpResponse:
    """A download of the table; ``fmt`` is "csv" or "xlsx" (callers answer 404 for anything else)."""
    if fmt == "csv":
        content = csv_bytes(header, rows)
    elif fmt == "xlsx":
        content = xlsx_bytes(header, rows, sheet_title)
    else:
        raise ValueError(f"unknown export format {fmt!r}")
    response = HttpResponse(content, content_type=FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="{filename_stem}.{fmt}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
