"""The open data dump: every live practice, per language, as JSON Lines and CSV (docs/open-data.md).

One record per translation group and language: the practice's version in that language or, when it
has none, its original (Finnish when there is one) with ``untranslated`` true, exactly as the search
shows it (``search.indexing.documents_for_group``). Labels are in the dump's language, codes are
stable. Contacts appear only with their consent (``PracticePage.public_contacts``).

Each file is written to a temporary file in the same directory and renamed over the old one, so a
reader (the web process serving /open-data/) sees the old file or the new one, never half of one. A
file whose content has not changed is left alone: its ETag and Last-Modified stay the same, and the
timer that regenerates the dump (deploy/systemd/kb-open-data.timer) rewrites nothing when nothing
changed.
"""

import html
import json
import logging
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db.models import F, Prefetch
from django.utils import timezone, translation
from django.utils.html import strip_tags
from django.utils.translation import gettext as _

from adoptions.models import Adoption
from practices.models import BudgetBand, EvaluationType, EvidenceLevel, Organisation, PracticePage, Status
from search.facets import FACETS_BY_NAME, value_labels
from search.indexing import document_url, documents_for_group
from search.places import municipality_codes_in

from .tabular import csv_bytes

logger = logging.getLogger(__name__)

LANGUAGES = tuple(code for code, _name in settings.LANGUAGES)
SCHEMA_PATH = Path(__file__).resolve().parent / "schema" / "practice.schema.json"
SCHEMA_NAME = "schema.json"
METADATA_NAME = "metadata.json"
LICENCE = {
    "id": "CC-BY-4.0",
    "name": "Creative Commons Attribution 4.0 International (CC BY 4.0)",
    "url": "https://creativecommons.org/licenses/by/4.0/",
}
# The text sections of a practice, in page order; "model" is the StreamField "how it works".
SECTIONS = ("problem", "goals", "model", "core_components", "adaptable_parts", "resources", "results",
            "feedback", "lessons_learned", "transferability")
TERM_LISTS = {  # record field -> (page relation, search facet whose labels it uses)
    "themes": ("themes", "theme"),
    "target_groups": ("target_groups", "target_group"),
    "activity_forms": ("activity_forms", "activity_form"),
    "languages_offered": ("languages", "language"),
    "funding_sources": ("funding_sources", "funding"),
}
CHOICES = {"status": Status, "evidence_level": EvidenceLevel, "evaluation_type": EvaluationType,
           "budget_band": BudgetBand}
CONTACT_FIELDS = ("name", "role", "organisation", "email", "phone")


def file_names(language: str) -> tuple[str, str]:
    return f"practices-{language}.jsonl", f"practices-{language}.csv"


def attribution(language: str) -> str:
    with translation.override(language):
        return _("Source: KB – good practices for integration, Ministry of Economic Affairs and Employment "
                 "of Finland. Licence: CC BY 4.0.")


# --- Plain text -------------------------------------------------------------------------------------
_BLOCK_END = re.compile(r"</(p|h[1-6]|li|blockquote|div)>|<br\s*/?>", re.IGNORECASE)
_SPACES = re.compile(r"[^\S\n]+")


def text_of(markup: str) -> str:
    """Rich text as plain text: one line per paragraph or list item, spaces collapsed."""
    text = html.unescape(strip_tags(_BLOCK_END.sub("\n", markup or "")))
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def _stream_texts(raw) -> list[str]:
    """Every text of raw StreamField data in order (ids, types, numbers and file references skipped)."""
    if isinstance(raw, str):
        return [text_of(raw)]
    if isinstance(raw, list):
        return [text for item in raw for text in _stream_texts(item)]
    if isinstance(raw, dict):
        if "type" in raw and "value" in raw:
            return _stream_texts(raw["value"])
        return [text for key, value in raw.items() if key not in {"id", "url", "image", "document"}
                for text in _stream_texts(value)]
    return []


def section_text(page, name: str) -> str:
    if name == "model":
        return "\n".join(text for text in _stream_texts(page.model.get_prep_value()) if text)
    return text_of(getattr(page, name))


# --- Records -----------------------------------------------------------------------------------------
def live_groups():
    """Live practices by translation group, with everything a record reads prefetched."""
    pages = (
        PracticePage.objects.live()
        .select_related("locale", "lead_organisation__type")
        .prefetch_related("regions", "themes", "target_groups", "languages", "activity_forms", "funding_sources",
                          "contacts", Prefetch("partner_organisations",
                                               queryset=Organisation.objects.select_related("type")))
        .order_by("first_published_at", "pk")
    )
    groups = {}
    for page in pages:
        groups.setdefault(page.translation_key, []).append(page)
    return groups


@dataclass
class Labels:
    """Every label a record needs in one language, read once per dump."""

    language: str
    facets: dict = field(default_factory=dict)
    choices: dict = field(default_factory=dict)

    @classmethod
    def read(cls, language: str):
        labels = cls(language)
        labels.facets = {name: value_labels(facet, language) for name, facet in FACETS_BY_NAME.items()}
        with translation.override(language):
            labels.choices = {name: {code: str(label) for code, label in choices.choices}
                              for name, choices in CHOICES.items()}
        return labels

    def term(self, facet: str, code: str) -> dict:
        return {"code": code, "label": self.facets[facet].get(code, code)}

    def choice(self, name: str, code: str) -> dict | None:
        return {"code": code, "label": self.choices[name].get(code, code)} if code else None


def _date(value):
    return value.isoformat() if value else None


def approved_adoptions() -> dict:
    """Practice translation key -> its approved adoptions, oldest report first (one query)."""
    found = {}
    for adoption in (Adoption.objects.approved().select_related("region")
                     .annotate(key=F("practice__translation_key")).order_by("created_at", "pk")):
        found.setdefault(adoption.key, []).append(adoption)
    return found


def adoption_record(adoption, language: str, labels: Labels) -> dict:
    """An approved adoption in the dump of ``language``: what the adopter changed in that language when
    translated, else as reported; the contact only with consent (``Adoption.public_contact``)."""
    with translation.override(language):
        changes, changes_language = adoption.changes, adoption.changes_language
    month = f"-{adoption.since_month:02d}" if adoption.since_month else ""
    return {
        "organisation": adoption.organisation_name,
        "municipality": labels.term("municipality", adoption.municipality),
        "region": labels.term("region", adoption.region.code),
        "since": f"{adoption.since_year:04d}{month}",
        "changes": changes,
        "changes_language": changes_language,
        "contact": adoption.public_contact(),
    }


def _organisation(organisation, labels: Labels):
    if organisation is None:
        return None
    return {"name": organisation.name, "type": labels.term("organisation_type", organisation.type.code)}


def record(page, language: str, labels: Labels, url: str, adoptions=()) -> dict:
    """The open data record of ``page`` in the dump of ``language`` (see the schema); ``adoptions``: the
    practice's approved adoptions."""
    return {
        "id": str(page.translation_key),
        "page_id": page.pk,
        "language": language,
        "text_language": page.locale.language_code,
        "untranslated": page.locale.language_code != language,
        "url": url,
        "title": page.title,
        "summary": page.summary,
        "plain_summary": page.plain_summary,
        "sections": {name: section_text(page, name) for name in SECTIONS},
        "regions": [labels.term("region", region.code) for region in page.regions.all()],
        "is_national": page.is_national,
        "municipalities": [labels.term("municipality", code) for code in municipality_codes_in(page.municipalities)],
        **{name: [labels.term(facet, term.code) for term in getattr(page, relation).all()]
           for name, (relation, facet) in TERM_LISTS.items()},
        "lead_organisation": _organisation(page.lead_organisation, labels),
        "partner_organisations": [_organisation(o, labels) for o in page.partner_organisations.all()],
        "status": labels.choice("status", page.status),
        "evidence_level": labels.choice("evidence_level", page.evidence_level),
        "evaluation_type": labels.choice("evaluation_type", page.evaluation_type),
        "budget_band": labels.choice("budget_band", page.budget_band),
        "start_date": _date(page.start_date),
        "end_date": _date(page.end_date),
        "is_permanent": page.is_permanent,
        "last_reviewed": _date(page.last_reviewed),
        "first_published_at": _date(page.first_published_at),
        "last_published_at": _date(page.last_published_at),
        # Only the contacts who agreed to publication: the one rule templates follow too.
        "contacts": [{name: getattr(contact, name) for name in CONTACT_FIELDS} for contact in page.public_contacts()],
        "adoption_count": len(adoptions),
        "adoptions": [adoption_record(adoption, language, labels) for adoption in adoptions],
        "licence": LICENCE["id"],
    }


def records(groups: dict, language: str, base_url: str, adoptions: dict | None = None) -> list[dict]:
    """``adoptions``: approved_adoptions(), read once for every language (read here when not given)."""
    labels, region_urls = Labels.read(language), {}
    adoptions = approved_adoptions() if adoptions is None else adoptions
    found = []
    for key, pages in groups.items():
        page = dict(documents_for_group(pages))[language]
        found.append(record(page, language, labels, base_url + document_url(page, language, region_urls),
                            adoptions.get(key, ())))
    return found


# --- Files -------------------------------------------------------------------------------------------
CSV_HEADER = [
    "id", "page_id", "language", "text_language", "untranslated", "url", "title", "summary", "plain_summary",
    *(f"section_{name}" for name in SECTIONS),
    "region_codes", "region_labels", "is_national", "municipality_codes", "municipality_labels",
    *(f"{name}_{part}" for name in TERM_LISTS for part in ("codes", "labels")),
    "lead_organisation_name", "lead_organisation_type_code", "lead_organisation_type_label",
    "partner_organisation_names",
    *(f"{name}_{part}" for name in CHOICES for part in ("code", "label")),
    "start_date", "end_date", "is_permanent", "last_reviewed", "first_published_at", "last_published_at",
    "contacts", "adoption_count", "adoptions", "licence",
]


def _contact_text(contact: dict) -> str:
    return ", ".join(contact[name] for name in CONTACT_FIELDS if contact[name])


def _adoption_text(adoption: dict) -> str:
    return f"{adoption['organisation']} ({adoption['municipality']['label']}, {adoption['since']})"


def csv_row(item: dict) -> list:
    """One record as a CSV row (CSV_HEADER): lists joined with "; ", booleans as true/false."""
    lead = item["lead_organisation"] or {"name": "", "type": {"code": "", "label": ""}}
    flat = {
        **{name: item[name] for name in ("id", "page_id", "language", "text_language", "url", "title", "summary",
                                         "plain_summary", "start_date", "end_date", "last_reviewed",
                                         "first_published_at", "last_published_at", "licence")},
        **{f"section_{name}": text for name, text in item["sections"].items()},
        **{name: str(item[name]).lower() for name in ("untranslated", "is_national", "is_permanent")},
        "region_codes": [t["code"] for t in item["regions"]], "region_labels": [t["label"] for t in item["regions"]],
        "municipality_codes": [t["code"] for t in item["municipalities"]],
        "municipality_labels": [t["label"] for t in item["municipalities"]],
        **{f"{name}_{key}s": [t[key] for t in item[name]] for name in TERM_LISTS for key in ("code", "label")},
        "lead_organisation_name": lead["name"], "lead_organisation_type_code": lead["type"]["code"],
        "lead_organisation_type_label": lead["type"]["label"],
        "partner_organisation_names": [o["name"] for o in item["partner_organisations"]],
        **{f"{name}_{part}": (item[name] or {}).get(part, "") for name in CHOICES for part in ("code", "label")},
        "contacts": [_contact_text(contact) for contact in item["contacts"]],
        "adoption_count": item["adoption_count"],
        "adoptions": [_adoption_text(adoption) for adoption in item["adoptions"]],
    }
    return [flat[name] for name in CSV_HEADER]


def jsonl_bytes(items: list[dict]) -> bytes:
    return "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in items).encode("utf-8")


def root() -> Path:
    return Path(settings.OPEN_DATA_ROOT)


def write_atomically(path: Path, content: bytes) -> bool:
    """Replace ``path`` with ``content`` unless it holds exactly that already; True when written."""
    try:
        if path.read_bytes() == content:
            return False
    except FileNotFoundError:
        pass
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(content)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o644)  # readable by the web process, whatever the umask of the writer
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return True


@dataclass
class DumpReport:
    counts: dict[str, int]
    written: list[str]
    directory: Path


def export(directory: Path | None = None, base_url: str | None = None) -> DumpReport:
    """Write the dump (every language's JSONL and CSV, the schema, the metadata) into ``directory``."""
    directory = Path(directory or root())
    directory.mkdir(parents=True, exist_ok=True)
    base_url = (base_url or settings.WAGTAILADMIN_BASE_URL).rstrip("/")
    groups, adoptions = live_groups(), approved_adoptions()
    files, counts = {SCHEMA_NAME: SCHEMA_PATH.read_bytes()}, {}
    for language in LANGUAGES:
        items = records(groups, language, base_url, adoptions)
        jsonl_name, csv_name = file_names(language)
        files[jsonl_name] = jsonl_bytes(items)
        files[csv_name] = csv_bytes(CSV_HEADER, (csv_row(item) for item in items))
        counts[language] = len(items)
    written = [name for name, content in files.items() if write_atomically(directory / name, content)]
    metadata_path = directory / METADATA_NAME
    if written or not metadata_path.exists():
        metadata = {
            "title": "KB – good practices for integration: practices",
            "publisher": "Ministry of Economic Affairs and Employment of Finland (TEM)",
            "licence": LICENCE,
            "attribution": {language: attribution(language) for language in LANGUAGES},
            "generated_at": timezone.now().isoformat(timespec="seconds"),
            "practices": counts,
            "files": {language: dict(zip(("jsonl", "csv"), file_names(language), strict=True))
                      for language in LANGUAGES},
            "schema": SCHEMA_NAME,
        }
        write_atomically(metadata_path, json.dumps(metadata, ensure_ascii=False, indent=2).encode("utf-8"))
        written.append(METADATA_NAME)
    return DumpReport(counts=counts, written=written, directory=directory)


def read_metadata(directory: Path | None = None) -> dict | None:
    """The dump's metadata, or None when the dump has not been generated (or cannot be read)."""
    path = Path(directory or root()) / METADATA_NAME
    try:
        return json.loads(path.read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        logger.error("The open data metadata %s cannot be read (%s): run manage.py export_open_data", path, error)
        return None
