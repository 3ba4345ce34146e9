"""Who may import where, the row-by-row check (the dry run) and the run itself, in chunks.

The same ``check_rows`` serves the dry run and each chunk of the run (against the database as it is
then), so the run can never do something the report did not say. Every row is idempotent through its
external id: ``ImportedPractice`` maps (region, language, external id) to the page it made.
"""

import datetime
import hashlib
import json
import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from coordination.conversion import paragraphs, unique_slug
from editorial.models import EditorialGroup
from editorial.roles import COORDINATOR
from practices.models import (
    EvidenceLevel,
    Language,
    Organisation,
    PracticePage,
    Region,
    RegionPage,
    Status,
    TargetGroup,
    Theme,
)
from practices.models.pages import SUMMARY_MAX_LENGTH

from .models import ImportedPractice, ImportJob
from .parsing import LIST_SEPARATOR, REQUIRED_KEYS

LANGUAGES = ("fi", "sv", "en")
CHUNK_SIZE = 25
TITLE_MAX_LENGTH = 255
MUNICIPALITIES_MAX_LENGTH = 500
TERM_COLUMNS = {"regions": Region, "themes": Theme, "target_groups": TargetGroup, "languages": Language}
CHOICE_COLUMNS = {"status": Status, "evidence_level": EvidenceLevel}
CHOICE_DEFAULTS = {"status": Status.ONGOING, "evidence_level": EvidenceLevel.DESCRIBED}  # the model's defaults


# Who may import ------------------------------------------------------------------------------------


def coordinator_regions(user):
    """The regions ``user`` coordinates (by role and region code, never group names); all for superusers."""
    if not user.is_authenticated or not user.is_active:
        return Region.objects.none()
    if user.is_superuser:
        return Region.objects.order_by("code")
    own = EditorialGroup.objects.filter(group__user=user, role=COORDINATOR.key, region__isnull=False)
    return Region.objects.filter(pk__in=own.values("region")).order_by("code")


def import_target(user, region, language):
    """The region page the drafts go under, if ``user`` may import there; otherwise None."""
    if region is None or language not in LANGUAGES or not coordinator_regions(user).filter(pk=region.pk).exists():
        return None
    page = RegionPage.objects.filter(region=region, locale__language_code=language).first()
    if page is None or not page.permissions_for_user(user).can_add_subpage():
        return None
    return page


def may_import(user) -> bool:
    return coordinator_regions(user).exists()


# Matching the spreadsheet's values ------------------------------------------------------------------


def _key(value: str) -> str:
    return re.sub(r"\s+", " ", value).strip().casefold()


def split_list(value: str) -> list[str]:
    return [item.strip() for item in value.split(LIST_SEPARATOR) if item.strip()]


class Vocabulary:
    """Codes and fi/sv/en labels of the taxonomies and fixed choices, matched case-insensitively."""

    def __init__(self):
        self.terms = {}
        for column, model in TERM_COLUMNS.items():
            lookup = {}
            for term in model.objects.all():
                for text in (term.code, term.name_fi, term.name_sv, term.name_en):
                    lookup.setdefault(_key(text), term)
            self.terms[column] = lookup
        self.choices = {}
        for column, choices in CHOICE_COLUMNS.items():
            lookup = {}
            for value, label in choices.choices:
                lookup[_key(value)] = value
                for language in LANGUAGES:
                    with translation.override(language):
                        lookup.setdefault(_key(str(label)), value)
            self.choices[column] = lookup
        self.organisations = {_key(name): pk for pk, name in Organisation.objects.values_list("pk", "name")}


def parse_date(value: str):
    for pattern in ("%Y-%m-%d", "%d.%m.%Y", "%Y-%m-%dT%H:%M:%S"):
        try:
            return datetime.datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    return None


def _title_key(title: str) -> str:
    return _key(title)


# The check -------------------------------------------------------------------------------------------

CREATE, UPDATE, UNCHANGED, SKIP = "create", "update", "unchanged", "skip"


@dataclass
class RowResult:
    line: int
    external_id: str
    title: str
    action: str = CREATE
    problems: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    values: dict = field(default_factory=dict)
    mapping: ImportedPractice | None = None

    @property
    def page(self):
        return self.mapping.page if self.mapping else None

    def fingerprint(self) -> str:
        return hashlib.sha256(json.dumps(self.values, sort_keys=True, default=str).encode()).hexdigest()


def check_rows(rows, region, region_page, only=None) -> list[RowResult]:
    """Every row's outcome and problems; ``only`` limits the results to those lines (a chunk of the run),
    while duplicates are still found against the whole file."""
    vocabulary = Vocabulary()
    mappings = {
        mapping.external_id: mapping
        for mapping in ImportedPractice.objects.filter(region=region, language=region_page.locale.language_code)
        .select_related("page")
    }
    existing_titles = {}
    for pk, title, draft_title in PracticePage.objects.child_of(region_page).values_list("pk", "title", "draft_title"):
        for text in {title, draft_title}:
            existing_titles.setdefault(_title_key(text or ""), set()).add(pk)
    first_line_of_id, first_line_of_title = {}, {}
    results = []
    for row in rows:
        result = _check_row(row, region, vocabulary, mappings, existing_titles, first_line_of_id, first_line_of_title)
        if only is None or row["line"] in only:
            results.append(result)
    return results


def _check_row(row, region, vocabulary, mappings, existing_titles, first_line_of_id, first_line_of_title):
    external_id, title = row["external_id"], re.sub(r"\s+", " ", row["title"]).strip()
    result = RowResult(line=row["line"], external_id=external_id, title=title)
    problems = result.problems
    for key in REQUIRED_KEYS:
        if not row[key]:
            problems.append(_("Required field missing: %(field)s.") % {"field": key})
    if external_id:
        if external_id in first_line_of_id:
            problems.append(_("The external id “%(id)s” is also on row %(line)s.")
                            % {"id": external_id, "line": first_line_of_id[external_id]})
        else:
            first_line_of_id[external_id] = row["line"]
        if len(external_id) > 100:
            problems.append(_("The external id is %(length)s characters long; the limit is %(limit)s.")
                            % {"length": len(external_id), "limit": 100})
    result.mapping = mappings.get(external_id) if external_id else None
    if len(title) > TITLE_MAX_LENGTH:
        problems.append(_("The title is %(length)s characters long; the limit is %(limit)s.")
                        % {"length": len(title), "limit": TITLE_MAX_LENGTH})
    if len(row["summary"]) > SUMMARY_MAX_LENGTH:
        problems.append(_("The summary is %(length)s characters long; the limit is %(limit)s.")
                        % {"length": len(row["summary"]), "limit": SUMMARY_MAX_LENGTH})
    if len(row["municipalities"]) > MUNICIPALITIES_MAX_LENGTH:
        problems.append(_("The municipalities are %(length)s characters long; the limit is %(limit)s.")
                        % {"length": len(row["municipalities"]), "limit": MUNICIPALITIES_MAX_LENGTH})
    if title:
        key = _title_key(title)
        if key in first_line_of_title:
            problems.append(_("The title “%(title)s” is also on row %(line)s.")
                            % {"title": title, "line": first_line_of_title[key]})
        else:
            first_line_of_title[key] = row["line"]
        own_page = result.mapping.page_id if result.mapping else None
        if existing_titles.get(key, set()) - {own_page}:
            problems.append(_("The region already has a practice titled “%(title)s”.") % {"title": title})

    terms = {}
    messages = {
        "regions": _("Unknown region: “%(value)s”."),
        "themes": _("Unknown theme: “%(value)s”."),
        "target_groups": _("Unknown target group: “%(value)s”."),
        "languages": _("Unknown language: “%(value)s”."),
    }
    for column in TERM_COLUMNS:
        found = []
        for value in split_list(row[column]):
            term = vocabulary.terms[column].get(_key(value))
            if term is None:
                problems.append(messages[column] % {"value": value})
            elif term.pk not in found:
                found.append(term.pk)
        terms[column] = sorted(found)
    region_ids = terms["regions"]
    if region_ids and region.pk not in region_ids:
        names = Region.objects.filter(pk__in=region_ids).order_by("code")
        problems.append(_("The row names only other regions than yours (%(regions)s): it is not imported into %(region)s.")
                        % {"regions": ", ".join(term.label for term in names), "region": region.label})

    choices = {}
    choice_messages = {"status": _("Unknown status: “%(value)s”."), "evidence_level": _("Unknown evidence level: “%(value)s”.")}
    for column in CHOICE_COLUMNS:
        value = row[column]
        if not value:
            choices[column] = str(CHOICE_DEFAULTS[column])
        elif _key(value) in vocabulary.choices[column]:
            choices[column] = vocabulary.choices[column][_key(value)]
        else:
            problems.append(choice_messages[column] % {"value": value})
    dates = {}
    for column in ("start_date", "end_date"):
        dates[column] = parse_date(row[column]) if row[column] else None
        if row[column] and dates[column] is None:
            problems.append(_("Not a date: “%(value)s” (write 2024-08-15 or 15.8.2024).") % {"value": row[column]})
    organisation = None
    if row["lead_organisation"]:
        organisation = vocabulary.organisations.get(_key(row["lead_organisation"]))
        if organisation is None:
            result.warnings.append(_("No organisation “%(name)s” in KB: the lead organisation is left empty.")
                                   % {"name": row["lead_organisation"]})

    result.values = {
        "title": title, "summary": row["summary"], "problem": row["problem"], "how_it_works": row["how_it_works"],
        "municipalities": row["municipalities"], "lead_organisation": organisation, **terms, **choices,
        "start_date": dates["start_date"].isoformat() if dates["start_date"] else None,
        "end_date": dates["end_date"].isoformat() if dates["end_date"] else None,
    }
    if problems:
        result.action = SKIP
    elif result.mapping is not None:
        result.action = UNCHANGED if result.mapping.fingerprint == result.fingerprint() else UPDATE
    return result


def totals(results) -> dict:
    counts = {CREATE: 0, UPDATE: 0, UNCHANGED: 0, SKIP: 0}
    for result in results:
        counts[result.action] += 1
    return counts


# The run ---------------------------------------------------------------------------------------------


def _fill(page, values):
    """Set the imported fields on ``page`` (a new page, or the latest revision of an imported one)."""
    page.title = values["title"]
    page.draft_title = values["title"]
    page.summary = values["summary"]
    page.problem = paragraphs(values["problem"])
    page.model = json.dumps([{"type": "paragraph", "value": paragraphs(values["how_it_works"])}])
    page.municipalities = values["municipalities"]
    page.lead_organisation_id = values["lead_organisation"]
    page.status = values["status"]
    page.evidence_level = values["evidence_level"]
    page.start_date = values["start_date"]
    page.end_date = values["end_date"]
    page.is_national = False
    page.regions = list(Region.objects.filter(pk__in=values["regions"]))
    page.themes = list(Theme.objects.filter(pk__in=values["themes"]))
    page.target_groups = list(TargetGroup.objects.filter(pk__in=values["target_groups"]))
    page.languages = list(Language.objects.filter(pk__in=values["languages"]))


def _apply(result, job, region_page):
    """Create or update the draft of one checked row; a ValidationError leaves nothing behind."""
    user = job.user
    if result.mapping is None:
        page = PracticePage(slug=unique_slug(region_page, result.title), owner=user, live=False,
                            has_unpublished_changes=True)
        _fill(page, result.values)
        region_page.add_child(instance=page)  # Wagtail logs "wagtail.create" by the owner, the uploader
        page.save_revision(user=user, log_action=False)
        ImportedPractice.objects.create(region=job.region, language=job.language, external_id=result.external_id,
                                        page=page, fingerprint=result.fingerprint())
        return page
    page = result.mapping.page.specific
    if not page.path.startswith(region_page.path) or page.depth != region_page.depth + 1:
        raise ValidationError(_("The practice this row updates is no longer under the region's page."))
    if not page.permissions_for_user(user).can_edit():
        raise ValidationError(_("You may not edit the practice this row updates."))
    draft = page.get_latest_revision_as_object()
    _fill(draft, result.values)
    # A new draft revision only: a live page keeps its live content until the update is published.
    draft.save_revision(user=user, log_action=True)
    result.mapping.fingerprint = result.fingerprint()
    result.mapping.save(update_fields=["fingerprint"])
    return page


def run_chunk(job: ImportJob, region_page, size=CHUNK_SIZE) -> ImportJob:
    """Handle the next ``size`` rows of ``job`` (each row in its own savepoint) and record the outcome."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if job.finished_at:
            return job
        job.started_at = job.started_at or timezone.now()
        lines = {row["line"] for row in job.rows[job.position:job.position + size]}
        for result in check_rows(job.rows, job.region, region_page, only=lines):
            entry = {"line": result.line, "external_id": result.external_id, "title": result.title,
                     "action": result.action, "problems": result.problems, "warnings": result.warnings}
            if result.action in (CREATE, UPDATE):
                try:
                    with transaction.atomic():
                        page = _apply(result, job, region_page)
                    entry["page_id"] = page.pk
                except ValidationError as error:
                    entry["action"] = SKIP
                    entry["problems"] = [" ".join(error.messages)]
            elif result.page is not None:
                entry["page_id"] = result.page.pk
            setattr(job, _counter(entry["action"]), getattr(job, _counter(entry["action"])) + 1)
            job.results.append(entry)
        job.position = min(job.position + size, job.total)
        if job.position >= job.total:
            job.finished_at = timezone.now()
            log(instance=job, action="kb.import", user=job.user, data=audit_data(job))
        job.save()
    return job


def _counter(action) -> str:
    return {CREATE: "created", UPDATE: "updated", UNCHANGED: "unchanged", SKIP: "skipped"}[action]


def audit_data(job) -> dict:
    return {"file": job.file_name, "region": job.region.code, "language": job.language, "rows": job.total,
            "created": job.created, "updated": job.updated, "unchanged": job.unchanged, "skipped": job.skipped}
