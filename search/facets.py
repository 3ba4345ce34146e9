"""The facets of practice search: names (API parameters), how a page's values are read, labels."""

import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import models
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from adoptions.models import Adoption
from practices.models import (
    ActivityForm,
    EvidenceLevel,
    FundingSource,
    Language,
    OrganisationType,
    Region,
    Status,
    TargetGroup,
    Theme,
)
from practices.models.pages import related

from .places import municipality_codes_in, municipality_labels

NATIONAL = "national"  # region facet value of practices that run across Finland
ADOPTION_COUNT = "kb_adoption_count"  # attribute holding a page's approved adoptions (with_adoption_counts)


class Adopted(models.TextChoices):
    ADOPTED = "adopted", _("Adopted elsewhere")
    NOT_ADOPTED = "not_adopted", _("Not adopted elsewhere yet")


@dataclass(frozen=True)
class Facet:
    name: str
    label: str
    values: Callable  # page -> list of codes
    term_model: type | None = None  # taxonomy model whose codes are the values
    choices: type | None = None  # or a TextChoices class
    labels: Callable | None = None  # or language -> {code: label} in display order


def _codes(relation):
    return lambda page: sorted({term.code for term in related(page, relation)})


def _regions(page):
    codes = {region.code for region in related(page, "regions")}
    if page.is_national:
        codes.add(NATIONAL)
    return sorted(codes)


def _municipalities(page):
    return municipality_codes_in(page.municipalities)


def _organisation_type(page):
    organisation = page.lead_organisation
    return [organisation.type.code] if organisation else []


def with_adoption_counts(pages):
    """Give each page its practice's approved adoptions, for every page in one grouped query."""
    pages = list(pages)
    keys = {page.translation_key for page in pages}
    # Many pages (check_index reads every practice): every count at once rather than a huge IN list.
    counts = Adoption.objects.counts(keys if len(keys) <= 500 else None) if keys else {}
    for page in pages:
        setattr(page, ADOPTION_COUNT, counts.get(page.translation_key, 0))
    return pages


def adoption_count_annotation():
    """For ``PracticePage`` querysets: ``.annotate(**{ADOPTION_COUNT: adoption_count_annotation()})`` reads
    every practice's approved adoptions inside the same SELECT (lists of cards: no extra query)."""
    approved = (Adoption.objects.approved().filter(practice__translation_key=OuterRef("translation_key"))
                .order_by().values("practice__translation_key").annotate(n=Count("pk")).values("n"))
    return Coalesce(Subquery(approved, output_field=IntegerField()), 0)


def adoption_count(page) -> int:
    """The practice's approved adoptions (all its languages): read in bulk by with_adoption_counts, else here."""
    if getattr(page, ADOPTION_COUNT, None) is None:
        with_adoption_counts([page])
    return getattr(page, ADOPTION_COUNT)


def _adoption(page):
    return [(Adopted.ADOPTED if adoption_count(page) else Adopted.NOT_ADOPTED).value]


FACETS = (
    Facet("region", _("Region"), _regions, Region),
    Facet("municipality", _("Municipality"), _municipalities, labels=municipality_labels),
    Facet("theme", _("Theme"), _codes("themes"), Theme),
    Facet("target_group", _("Target group"), _codes("target_groups"), TargetGroup),
    Facet("organisation_type", _("Organisation type"), _organisation_type, OrganisationType),
    Facet("language", _("Language offered"), _codes("languages"), Language),
    Facet("funding", _("Funding"), _codes("funding_sources"), FundingSource),
    Facet("activity_form", _("Activity form"), _codes("activity_forms"), ActivityForm),
    Facet("status", _("Status"), lambda page: [page.status], choices=Status),
    Facet("evidence_level", _("Evidence level"), lambda page: [page.evidence_level], choices=EvidenceLevel),
    Facet("adoption", _("Adoption"), _adoption, choices=Adopted),
)
FACETS_BY_NAME = {facet.name: facet for facet in FACETS}


def facet_values(page) -> dict[str, list[str]]:
    return {facet.name: facet.values(page) for facet in FACETS}


# Taxonomy labels are read on every search: keep them in memory while the labels token is unchanged
# (a term's save or delete replaces it, see search.signals; searches call sync_labels with the token
# they read; publishing practices leaves it alone), with a time limit for processes that serve no
# searches.
_LABEL_TTL = 60
_term_cache: dict = {}  # term model -> (read at, {code: labels}, [codes in order])
_value_labels: dict = {}  # (facet name, language) -> (its terms read at, {code: label})
_labels_token = {"token": ""}


def _term_names(model):
    cached = _term_cache.get(model)
    if cached is None or cached[0] < time.monotonic() - _LABEL_TTL:
        terms = list(model.objects.all())
        cached = (time.monotonic(), {term.code: term.labels() for term in terms}, [term.code for term in terms])
        _term_cache[model] = cached
    return cached


def clear_label_cache(**kwargs):
    _term_cache.clear()
    _value_labels.clear()


def sync_labels(token: str):
    """Drop the cached labels when the labels token changed since they were read."""
    if token != _labels_token["token"]:
        clear_label_cache()
        _labels_token["token"] = token


def value_labels(facet: Facet, language: str) -> dict[str, str]:
    """code -> label in ``language`` for every possible value of the facet, in display order.
    Kept like the terms they come from (every search reads every facet's): do not change the dict."""
    cached = _value_labels.get((facet.name, language))
    if cached is None or cached[0] < time.monotonic() - _LABEL_TTL:
        cached = _value_labels[facet.name, language] = _read_value_labels(facet, language)
    return cached[1]


def _read_value_labels(facet: Facet, language: str) -> tuple[float, dict[str, str]]:
    if facet.labels is not None:
        return time.monotonic(), facet.labels(language)
    if facet.choices is not None:
        with translation.override(language):
            return time.monotonic(), {code: str(label) for code, label in facet.choices.choices}
    read_at, names, order = _term_names(facet.term_model)
    labels = {code: names[code].get(language) or names[code]["fi"] for code in order}
    if facet.name == "region":
        with translation.override(language):
            labels[NATIONAL] = str(_("National"))
    return read_at, labels
