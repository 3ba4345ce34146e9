"""The template coordinators fill in (XLSX or CSV), the list of codes, and the sample in docs/.

The XLSX has three sheets: the practices (header row only, or the sample's rows), the codes with their
names in fi/sv/en, and help on each column. The CSV template is the header row; the codes are a
separate CSV download. Cells go through opendata.tabular's writer, safe against formula injection.
"""

import csv

from django.utils import translation
from django.utils.translation import gettext as _

from opendata.tabular import csv_bytes, workbook_bytes
from practices.models import EvidenceLevel, Language, Region, Status, TargetGroup, Theme

from .parsing import COLUMN_KEYS, COLUMNS

CODE_LISTS = (
    ("regions", Region), ("themes", Theme), ("target_groups", TargetGroup), ("languages", Language),
    ("status", Status), ("evidence_level", EvidenceLevel),
)


def codes_header() -> list[str]:
    return [_("Column"), _("Code"), "fi", "sv", "en"]


def code_rows() -> list[list[str]]:
    rows = []
    for column, source in CODE_LISTS:
        if hasattr(source, "objects"):
            rows += [[column, term.code, term.name_fi, term.name_sv, term.name_en] for term in source.objects.all()]
            continue
        for value, label in source.choices:
            names = []
            for language in ("fi", "sv", "en"):
                with translation.override(language):
                    names.append(str(label))
            rows.append([column, value, *names])
    return rows


def help_rows() -> list[list[str]]:
    return [[column.key, _("required") if column.required else _("optional"), str(column.help_text)]
            for column in COLUMNS]


def template_xlsx(rows=()) -> bytes:
    """The template; ``rows`` (lists in COLUMN_KEYS order) fill the first sheet, as in the sample."""
    return workbook_bytes([
        (_("Practices"), list(COLUMN_KEYS), rows),
        (_("Codes"), codes_header(), code_rows()),
        (_("Help"), [_("Column"), _("Required"), _("What to write")], help_rows()),
    ])


def template_csv() -> bytes:
    return csv_bytes(list(COLUMN_KEYS), [])


def codes_csv() -> bytes:
    return csv_bytes(codes_header(), code_rows())


def read_sample_csv(path) -> list[list[str]]:
    """The sample's rows (under its header, in COLUMN_KEYS order) as the CSV holds them."""
    with open(path, encoding="utf-8-sig", newline="") as stream:
        reader = csv.DictReader(stream)
        return [[row.get(key, "") for key in COLUMN_KEYS] for row in reader]
