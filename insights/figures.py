"""The programme's figures: what the insights page (public, /<lang>/programme/) and the admin's
insights view show, every number with the search that lists the same practices.

A ``Figure`` is one table of numbers: the chart (insights.charts), the data table beside it and the
CSV/XLSX export (opendata.tabular) are all drawn from the same Figure, so they cannot disagree.
"""

import datetime
import statistics
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Min, Q, Sum
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from adoptions.models import Adoption
from coordination.models import Proposal
from coordination.scope import REVIEW_INTERVAL_MONTHS, stale_practices
from home.caching import cache_call  # the page cache's guard: a failing cache costs speed, never the page
from search.backends.facet_matrix import current_token
from search.facets import FACETS_BY_NAME, NATIONAL, value_labels
from search.models import SearchDocument, SearchFacetValue


@dataclass
class Cell:
    value: int | float | None  # None: not applicable (shown as "–"); 0 is a real zero (a gap)
    url: str = ""  # the matching search (or admin listing) for this number; "" when there is none
    display: str = ""  # how to show the value when not the plain number ("45 %", "12 d")


@dataclass
class Row:
    key: str  # stable code (region code, theme code, "2026-Q3"…)
    label: str  # in the active language
    cells: list[Cell]


@dataclass
class Figure:
    key: str  # stable, used in URLs and file names: "coverage", "evidence_level", "growth"…
    title: str  # in the active language
    chart: str  # how insights.charts draws it: "heatmap", "bars", "columns", "lines", "funnel"
    row_header: str  # header of the first column (what the rows are)
    columns: list[str]  # column headers in the active language
    rows: list[Row]
    description: str = ""  # one or two sentences: what the numbers count (the chart's <desc>)
    unit: str = ""  # "practices", "%", "days"…: shown in the caption and the axis
    column_keys: list[str] = field(default_factory=list)  # stable codes of the columns, when they have them
    totals: Row | None = None  # an optional totals row (not drawn in heat maps)
    note: str = ""  # a sentence shown under the table (e.g. the median time to publication)

    def table(self) -> tuple[list[str], list[list]]:
        """(header, rows) for an export: labels and plain values."""
        header = [self.row_header, *self.columns]
        rows = [[row.label, *[cell.value for cell in row.cells]] for row in self.rows]
        if self.totals is not None:
            rows.append([self.totals.label, *[cell.value for cell in self.totals.cells]])
        return header, rows


# Computing the figures ---------------------------------------------------------------------------
#
# Every practice figure is read from the search index (search.models) of the active language: one
# document per practice (translation group) and language, live practices only, with the facet values
# the search counts. The numbers are therefore the search's own facet counts for the same selection,
# by construction, and each figure is one grouped query. The funnel is read from the proposals.

CACHE_SECONDS = 24 * 3600  # the key changes with the index token and the date anyway
BAR_FACETS = ("evidence_level", "status", "target_group", "organisation_type")
DEFAULT_LANGUAGE = settings.LANGUAGE_CODE
OTHER_LANGUAGES = [code for code, _name in settings.LANGUAGES if code != DEFAULT_LANGUAGE]
ADOPTION_KEYS = ("adoptions", "adoption_regions", "most_adopted")
MOST_ADOPTED = 10  # practices in the "most adopted" figure
PUBLIC_KEYS = ("coverage", *BAR_FACETS, "growth", "translations", "freshness", *ADOPTION_KEYS, "funnel")
ADMIN_KEYS = (*PUBLIC_KEYS, "funnel_regions")


def search_url(**selection) -> str:
    """The search (in the active language) listing the practices of ``selection`` (facet -> code)."""
    return f"{reverse('search')}?{urlencode(list(selection.items()))}"


def percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def percent_text(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{formats.number_format(value, 0 if value == int(value) else 1)}\u00a0%"


def share_cell(count: int, whole: int, url: str = "") -> Cell:
    """A count shown with its share of ``whole``: "9 (45 %)"."""
    return Cell(count, url, f"{count} ({percent_text(percent(count, whole))})")


def quarter_of(moment: datetime.datetime) -> tuple[int, int]:
    local = timezone.localtime(moment)
    return local.year, (local.month - 1) // 3 + 1


def quarter_label(year: int, quarter: int) -> str:
    return _("%(year)s Q%(quarter)s") % {"year": year, "quarter": quarter}


def _labels(facet: str, language: str) -> dict[str, str]:
    return value_labels(FACETS_BY_NAME[facet], language)


def _facet_counts(locale: str, facets) -> dict[str, dict[str, int]]:
    """facet -> value -> live practices having it (the search's facet counts without a selection)."""
    counts: dict[str, dict[str, int]] = {}
    rows = (SearchFacetValue.objects.filter(locale=locale, facet__in=facets)
            .values_list("facet", "value").annotate(n=Count("id")).order_by())
    for facet, value, n in rows:
        counts.setdefault(facet, {})[value] = n
    return counts


def _pair_counts(locale: str, first: str, second: str) -> dict[tuple[str, str], int]:
    """(value of ``first``, value of ``second``) -> live practices having both: one grouped self-join."""
    table = SearchFacetValue._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT a.value, b.value, COUNT(*) FROM {table} a"
            f" JOIN {table} b ON b.document_id = a.document_id AND b.facet = %s"
            " WHERE a.locale = %s AND a.facet = %s GROUP BY a.value, b.value",
            [second, locale, first],
        )
        return {(a, b): n for a, b, n in cursor.fetchall()}


def coverage(locale: str, counts: dict) -> Figure:
    regions, themes = _labels("region", locale), _labels("theme", locale)
    pairs = _pair_counts(locale, "region", "theme")
    rows = [Row(region, label, [Cell(pairs.get((region, theme), 0), search_url(region=region, theme=theme))
                                for theme in themes])
            for region, label in regions.items()]
    totals = Row("all", _("All of Finland"), [Cell(counts.get("theme", {}).get(theme, 0), search_url(theme=theme))
                                               for theme in themes])
    return Figure(
        key="coverage", title=_("Coverage: practices by region and theme"), chart="heatmap",
        row_header=_("Region"), columns=list(themes.values()), column_keys=list(themes), rows=rows, totals=totals,
        unit=_("practices"),
        description=_("Live practices that run in the region (or nationally) and have the theme. A practice can "
                      "run in several regions and have several themes; an empty cell is a gap."),
    )


BAR_TEXTS = {  # facet -> (title, row header, description)
    "evidence_level": (lambda: _("Practices by evidence level"), lambda: _("Evidence level"),
                       lambda: _("Live practices by the level of evidence of their results.")),
    "status": (lambda: _("Practices by status"), lambda: _("Status"),
               lambda: _("Live practices by their status (pilot, permanent, ended…).")),
    "target_group": (lambda: _("Practices by target group"), lambda: _("Target group"),
                     lambda: _("Live practices by target group; a practice can have several.")),
    "organisation_type": (lambda: _("Practices by type of lead organisation"), lambda: _("Organisation type"),
                          lambda: _("Live practices by the type of their lead organisation.")),
}


def bars(facet: str, locale: str, counts: dict) -> Figure:
    title, header, description = (text() for text in BAR_TEXTS[facet])
    values = counts.get(facet, {})
    rows = [Row(code, label, [Cell(values.get(code, 0), search_url(**{facet: code}))])
            for code, label in _labels(facet, locale).items()]
    return Figure(key=facet, title=title, chart="bars", row_header=header, columns=[_("Practices")],
                  column_keys=["practices"], rows=rows, unit=_("practices"), description=description)


def growth(locale: str, today: datetime.date) -> Figure:
    """Practices by the quarter of their first publication (the earliest of their language versions)."""
    regions = _labels("region", locale)
    first = dict(SearchDocument.objects.values_list("translation_key").annotate(first=Min("first_published_at"))
                 .order_by())
    quarters = {key: quarter_of(moment) for key, moment in first.items() if moment is not None}
    totals: dict[tuple, int] = {}
    by_region: dict[tuple, int] = {}
    for key in SearchDocument.objects.filter(locale=locale).values_list("translation_key", flat=True):
        if key in quarters:
            totals[quarters[key]] = totals.get(quarters[key], 0) + 1
    for key, region in (SearchFacetValue.objects.filter(locale=locale, facet="region")
                        .values_list("document__translation_key", "value")):
        if key in quarters:
            by_region[(quarters[key], region)] = by_region.get((quarters[key], region), 0) + 1
    rows = []
    if totals:
        year, quarter = min(totals)
        last = (today.year, (today.month - 1) // 3 + 1)
        while (year, quarter) <= last:
            rows.append(Row(f"{year}-Q{quarter}", quarter_label(year, quarter),
                            [Cell(totals.get((year, quarter), 0)),
                             *(Cell(by_region.get(((year, quarter), region), 0)) for region in regions)]))
            year, quarter = (year + 1, 1) if quarter == 4 else (year, quarter + 1)
    return Figure(
        key="growth", title=_("Growth: practices published per quarter"), chart="columns",
        row_header=_("Quarter"), columns=[_("All practices"), *regions.values()], column_keys=["all", *regions],
        rows=rows, unit=_("practices"),
        description=_("Live practices by the quarter in which the practice was first published (its earliest "
                      "language version), in all and by region where it runs. Practices no longer live are not "
                      "counted."),
    )


LIVE_IN = {"sv": lambda: _("Live in Swedish"), "en": lambda: _("Live in English")}


def translations(locale: str) -> Figure:
    finnish = SearchDocument.objects.filter(locale=DEFAULT_LANGUAGE, is_fallback=False).values("translation_key")
    live = {language: SearchDocument.objects.filter(locale=language, is_fallback=False).values("translation_key")
            for language in OTHER_LANGUAGES}
    counted = {language: Count("id", filter=Q(document__translation_key__in=keys)) for language, keys in live.items()}
    per_region = {row["value"]: row for row in (
        SearchFacetValue.objects.filter(locale=locale, facet="region", document__translation_key__in=finnish)
        .values("value").annotate(total=Count("id"), **counted).order_by())}
    overall = SearchDocument.objects.filter(locale=locale, translation_key__in=finnish).aggregate(
        total=Count("id"), **{language: Count("id", filter=Q(translation_key__in=keys))
                              for language, keys in live.items()})

    def row(key, label, numbers):
        total = numbers.get("total", 0)
        return Row(key, label, [Cell(total), *(share_cell(numbers.get(language, 0), total)
                                               for language in OTHER_LANGUAGES)])

    return Figure(
        key="translations", title=_("Translation coverage"), chart="bars", row_header=_("Region"),
        columns=[_("Practices in Finnish"), *(LIVE_IN[language]() for language in OTHER_LANGUAGES)],
        column_keys=[DEFAULT_LANGUAGE, *OTHER_LANGUAGES],
        rows=[row(region, label, per_region.get(region, {})) for region, label in _labels("region", locale).items()],
        totals=row("all", _("All of Finland"), overall), unit=_("practices"),
        description=_("Live practices with a Finnish version, and how many of them also have a live Swedish and "
                      "English translation (the share in brackets)."),
    )


def freshness(locale: str, counts: dict, today: datetime.date) -> Figure:
    stale = stale_practices(today).values("translation_key")
    per_region = dict(SearchFacetValue.objects.filter(locale=locale, facet="region", document__translation_key__in=stale)
                      .values_list("value").annotate(n=Count("id")).order_by())
    stale_total = SearchDocument.objects.filter(locale=locale, translation_key__in=stale).count()
    live_total = SearchDocument.objects.filter(locale=locale).count()
    regions = counts.get("region", {})
    rows = [Row(region, label, [Cell(regions.get(region, 0), search_url(region=region)),
                                share_cell(per_region.get(region, 0), regions.get(region, 0))])
            for region, label in _labels("region", locale).items()]
    return Figure(
        key="freshness", title=_("Review freshness"), chart="bars", row_header=_("Region"),
        columns=[_("Live practices"), _("Past their review date")], column_keys=["live", "stale"], rows=rows,
        totals=Row("all", _("All of Finland"), [Cell(live_total), share_cell(stale_total, live_total)]),
        unit=_("practices"),
        description=ngettext(
            "Live practices by region where they run, and how many of them were last reviewed more than "
            "%(months)s month ago or never.",
            "Live practices by region where they run, and how many of them were last reviewed more than "
            "%(months)s months ago or never.", REVIEW_INTERVAL_MONTHS) % {"months": REVIEW_INTERVAL_MONTHS},
    )


# Adoptions: read from the index too (each document carries its practice's approved adoptions), so the
# numbers are those of the search's "adoption" facet and "adopted" sort; the regions from the approved
# adoptions of the same live practices.


def adoption_numbers(locale: str) -> dict:
    """Approved adoptions of live practices, and the practices adopted (one query)."""
    numbers = SearchDocument.objects.filter(locale=locale).aggregate(
        adoptions=Sum("adoption_count"), practices=Count("id", filter=Q(adoption_count__gt=0)))
    return {"adoptions": numbers["adoptions"] or 0, "practices": numbers["practices"]}


def adoptions(numbers: dict) -> Figure:
    return Figure(
        key="adoptions", title=_("Adoptions: practices taken up elsewhere"), chart="bars", row_header=_("Measure"),
        columns=[_("Number")], column_keys=["number"],
        rows=[Row("adoptions", _("Approved adoptions"), [Cell(numbers["adoptions"])]),
              Row("practices", _("Practices adopted elsewhere"),
                  [Cell(numbers["practices"], search_url(adoption="adopted"))])],
        description=_("Reports of organisations that took a live practice up (“we use this too”), once a "
                      "coordinator of their region approved them, and how many practices they concern."),
    )


def adoption_regions(locale: str, overall: dict) -> Figure:
    """``overall``: adoption_numbers(), the totals row (the same adoptions, read from the index)."""
    live = SearchDocument.objects.filter(locale=locale).values("translation_key")
    per_region = {row["region__code"]: row for row in (
        Adoption.objects.approved().filter(practice__translation_key__in=live).values("region__code")
        .annotate(adoptions=Count("id"), practices=Count("practice__translation_key", distinct=True)).order_by())}

    def cells(numbers):
        return [Cell(numbers.get("adoptions", 0)), Cell(numbers.get("practices", 0))]

    return Figure(
        key="adoption_regions", title=_("Adoptions by adopting region"), chart="bars", row_header=_("Region"),
        columns=[_("Approved adoptions"), _("Practices adopted")], column_keys=["adoptions", "practices"],
        rows=[Row(region, label, cells(per_region.get(region, {})))
              for region, label in _labels("region", locale).items() if region != NATIONAL],
        totals=Row("all", _("All of Finland"), cells(overall)), unit=_("adoptions"),
        description=_("Approved adoptions of live practices by the region of the adopting municipality, and how "
                      "many different practices were adopted there."),
    )


def most_adopted(locale: str) -> Figure:
    top = (SearchDocument.objects.filter(locale=locale, adoption_count__gt=0)
           .order_by("-adoption_count", "title_sort", "id").values("translation_key", "title", "url", "adoption_count"))
    return Figure(
        key="most_adopted", title=_("The most adopted practices"), chart="bars", row_header=_("Practice"),
        columns=[_("Approved adoptions")], column_keys=["adoptions"], unit=_("adoptions"),
        rows=[Row(str(row["translation_key"]), row["title"], [Cell(row["adoption_count"], row["url"])])
              for row in top[:MOST_ADOPTED]],
        description=_("The %(count)s live practices with the most approved adoptions (fewer while fewer have "
                      "been adopted); each number leads to the practice.") % {"count": MOST_ADOPTED},
    )


def _proposals():
    """(region code, received at, converted at, first published at) of every proposal."""
    return [(region or NATIONAL, received, converted, published) for region, received, converted, published in
            Proposal.objects.values_list("region_page__region__code", "created_at", "converted_at",
                                         "converted_page__first_published_at").order_by()]


def _funnel_numbers(proposals) -> tuple[int, int, int, list[float]]:
    converted = [p for p in proposals if p[2] is not None]
    published = [p for p in converted if p[3] is not None]
    days = [(p[3] - p[1]).total_seconds() / 86400 for p in published]
    return len(proposals), len(converted), len(published), days


def funnel(proposals) -> Figure:
    received, converted, published, days = _funnel_numbers(proposals)
    if days:
        median = round(statistics.median(days), 1)
        note = ngettext("Median time from proposal to publication: %(days)s day (published proposals: %(count)s).",
                        "Median time from proposal to publication: %(days)s days (published proposals: %(count)s).",
                        round(median)) % {"days": formats.number_format(median, 0 if median == int(median) else 1),
                                          "count": len(days)}
    else:
        note = _("No proposal has been published yet.")
    return Figure(
        key="funnel", title=_("From proposal to published practice"), chart="funnel", row_header=_("Stage"),
        columns=[_("Proposals")], column_keys=["proposals"], unit=_("proposals"), note=note,
        rows=[Row("received", _("Received"), [Cell(received)]),
              Row("converted", _("Converted to a draft practice"), [share_cell(converted, received)]),
              Row("published", _("Published"), [share_cell(published, received)])],
        description=_("Proposals sent through the public form, how many a coordinator converted to a draft "
                      "practice, and how many of those drafts have been published."),
    )


def funnel_regions(proposals, locale: str) -> Figure:
    """Admin only: the funnel per region the proposal was sent to."""
    rows = []
    for region, label in _labels("region", locale).items():
        received, converted, published, _days = _funnel_numbers([p for p in proposals if p[0] == region])
        rows.append(Row(region, label, [Cell(received), share_cell(converted, received),
                                        share_cell(published, received)]))
    received, converted, published, _days = _funnel_numbers(proposals)
    return Figure(
        key="funnel_regions", title=_("Proposals by region"), chart="bars", row_header=_("Region"),
        columns=[_("Received"), _("Converted to a draft practice"), _("Published")],
        column_keys=["received", "converted", "published"], rows=rows, unit=_("proposals"),
        totals=Row("all", _("All of Finland"), [Cell(received), share_cell(converted, received),
                                               share_cell(published, received)]),
        description=_("Proposals by the region they were sent to (national: the national coordinators), with "
                      "how many were converted to a draft practice and published."),
    )


def _practice_figures(language: str, today: datetime.date) -> list[Figure]:
    counts = _facet_counts(language, ("region", "theme", *BAR_FACETS))
    numbers = adoption_numbers(language)
    return [coverage(language, counts), *(bars(facet, language, counts) for facet in BAR_FACETS),
            growth(language, today), translations(language), freshness(language, counts, today),
            adoptions(numbers), adoption_regions(language, numbers), most_adopted(language)]


def practice_figures(language: str) -> list[Figure]:
    """The practice figures of ``language``, cached under the search index token (replaced by every
    index write, relabelled terms included) and the date (review dates and quarters move with it)."""
    today = timezone.localdate()
    with connection.cursor() as cursor:
        token = current_token(cursor)
    key = f"kb-insights:{language}:{token}:{today.isoformat()}"
    figures = cache_call(cache.get, key)
    if figures is None:
        with translation.override(language):
            figures = _practice_figures(language, today)
        with connection.cursor() as cursor:
            if current_token(cursor) == token:  # else the index changed while reading: do not keep a mix
                cache_call(cache.set, key, figures, CACHE_SECONDS)
    return figures


def _site_language(language: str | None) -> str:
    """One of the site's languages (the index has no other): an admin in another language sees Finnish."""
    code = (language or "").split("-")[0]
    return code if code in dict(settings.LANGUAGES) else DEFAULT_LANGUAGE


def public_figures(language: str) -> list[Figure]:
    """What the public page shows: aggregates only."""
    language = _site_language(language)
    with translation.override(language):
        return [*practice_figures(language), funnel(_proposals())]


def admin_figures(language: str) -> list[Figure]:
    """The public figures plus the funnel per region (admin only)."""
    language = _site_language(language)
    with translation.override(language):
        proposals = _proposals()
        return [*practice_figures(language), funnel(proposals), funnel_regions(proposals, language)]
