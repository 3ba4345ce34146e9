"""Programme insights (insights/): every figure against counts made here independently from the pages
(live PracticePages grouped by translation group), every coverage cell against the search it links
to, the cache against a new practice, the downloads read back, the HTML table against the figure and
the chart, and the admin view by role and language."""

import csv
import datetime
import io
import statistics
from collections import Counter, defaultdict
from html.parser import HTMLParser
from urllib.parse import urlsplit

import openpyxl
import pytest
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone, translation

from coordination.models import Proposal
from coordination.scope import review_cutoff
from editorial.testing import make_member, speaking
from insights.figures import ADMIN_KEYS, PUBLIC_KEYS, admin_figures, public_figures, quarter_of
from practices.models import PracticePage, Region, Theme
from search.query import parse_request
from search.service import search
from tests.factories import make_practice
from tests.test_admin_language import content_strings, english_words, interface_text, page_html

pytestmark = pytest.mark.django_db
LANGUAGES = ("fi", "sv", "en")


def by_key(figures):
    return {figure.key: figure for figure in figures}


def values(figure) -> dict[str, list]:
    """row key -> the row's values (the totals row under its key too)."""
    rows = {row.key: [cell.value for cell in row.cells] for row in figure.rows}
    if figure.totals is not None:
        rows[figure.totals.key] = [cell.value for cell in figure.totals.cells]
    return rows


# Independent counts: from the pages themselves ---------------------------------------------------------


def practice_groups():
    """translation key -> the live language versions of one practice."""
    groups = defaultdict(list)
    pages = (PracticePage.objects.live().select_related("locale", "lead_organisation__type")
             .prefetch_related("regions", "themes", "target_groups"))
    for page in pages:
        groups[page.translation_key].append(page)
    return groups


def original(pages):
    """The Finnish version when there is one: taxonomy values and review dates are synchronised from it."""
    return next((page for page in pages if page.locale.language_code == "fi"), pages[0])


def regions_of(page):
    return [region.code for region in page.regions.all()] + (["national"] if page.is_national else [])


def independent_counts():
    groups = practice_groups()
    counts = defaultdict(Counter)
    cutoff = review_cutoff()
    for pages in groups.values():
        page = original(pages)
        languages = {version.locale.language_code for version in pages}
        regions = regions_of(page)
        first = min(version.first_published_at for version in pages)
        stale = page.last_reviewed is None or page.last_reviewed < cutoff
        for region in regions:
            counts["region"][region] += 1
            for theme in page.themes.all():
                counts["coverage"][(region, theme.code)] += 1
            counts["growth"][(quarter_of(first), region)] += 1
            counts["stale"][region] += stale
            if "fi" in languages:
                counts["finnish"][region] += 1
                for language in ("sv", "en"):
                    counts[f"finnish_{language}"][region] += language in languages
        counts["growth_total"][quarter_of(first)] += 1
        counts["stale_total"]["all"] += stale
        for theme in page.themes.all():
            counts["theme"][theme.code] += 1
        counts["evidence_level"][page.evidence_level] += 1
        counts["status"][page.status] += 1
        for group in page.target_groups.all():
            counts["target_group"][group.code] += 1
        if page.lead_organisation:
            counts["organisation_type"][page.lead_organisation.type.code] += 1
    counts["total"]["all"] = len(groups)
    return counts


@pytest.mark.parametrize("language", ["fi", "sv"])
def test_every_figure_equals_independent_counts(language):
    expected = independent_counts()
    assert expected["total"]["all"] > 30  # the demo content
    figures = by_key(public_figures(language))
    assert list(figures) == list(PUBLIC_KEYS)

    coverage = figures["coverage"]
    assert coverage.chart == "heatmap"
    assert "national" in [row.key for row in coverage.rows]
    for row in coverage.rows:
        for theme, cell in zip(coverage.column_keys, row.cells, strict=True):
            assert cell.value == expected["coverage"][(row.key, theme)], (row.key, theme)
    assert values(coverage)["all"] == [expected["theme"][theme] for theme in coverage.column_keys]
    assert any(cell.value == 0 for row in coverage.rows for cell in row.cells)  # the demo has gaps

    for facet in ("evidence_level", "status", "target_group", "organisation_type"):
        assert {key: row[0] for key, row in values(figures[facet]).items()} == {
            key: expected[facet][key] for key in values(figures[facet])}, facet
        assert sum(row[0] for row in values(figures[facet]).values()) >= expected["total"]["all"] * (
            facet in ("evidence_level", "status"))

    growth = figures["growth"]
    regions = growth.column_keys[1:]
    for row in growth.rows:
        year, quarter = (int(part) for part in row.key.split("-Q"))
        assert [cell.value for cell in row.cells] == [
            expected["growth_total"][(year, quarter)], *(expected["growth"][((year, quarter), r)] for r in regions)]
    assert sum(row.cells[0].value for row in growth.rows) == expected["total"]["all"]

    translated = values(figures["translations"])
    for region, row in translated.items():
        if region != "all":
            assert row == [expected["finnish"][region], expected["finnish_sv"][region],
                           expected["finnish_en"][region]], region
    assert translated["all"][0] == sum(1 for pages in practice_groups().values()
                                       if "fi" in {page.locale.language_code for page in pages})
    assert translated["all"][1] > 0 and translated["all"][2] > 0  # the demo translates some practices

    freshness = values(figures["freshness"])
    for region, row in freshness.items():
        if region != "all":
            assert row == [expected["region"][region], expected["stale"][region]], region
    assert freshness["all"] == [expected["total"]["all"], expected["stale_total"]["all"]]


def test_funnel_counts_proposals(uusimaa):
    received_at = timezone.now() - datetime.timedelta(days=40)
    before = by_key(public_figures("fi"))["funnel"]
    practice = make_practice(uusimaa)
    for index, (converted, days) in enumerate([(True, 10), (True, 20), (True, None), (False, None)]):
        proposal = Proposal.objects.create(
            title=f"Ehdotus {index}", summary="s", problem="p", how_it_works="h", region_page=uusimaa,
            organisation_name="o", proposer_name="n", email="n@kb.example", language="fi")
        Proposal.objects.filter(pk=proposal.pk).update(created_at=received_at)
        if converted:
            Proposal.objects.filter(pk=proposal.pk).update(
                status=Proposal.Status.CONVERTED, converted_at=received_at,
                converted_page=practice if days else make_practice(uusimaa, publish=False))
            if days:
                PracticePage.objects.filter(pk=practice.pk).update(
                    first_published_at=received_at + datetime.timedelta(days=days))
    proposals = list(Proposal.objects.select_related("converted_page"))
    published = [p for p in proposals if p.converted_page and p.converted_page.first_published_at]
    figure = by_key(public_figures("fi"))["funnel"]
    assert values(figure) == {
        "received": [len(proposals)], "converted": [sum(p.converted_at is not None for p in proposals)],
        "published": [len(published)]}
    assert values(figure)["received"][0] == values(before)["received"][0] + 4
    days = statistics.median((p.converted_page.first_published_at - p.created_at).days for p in published)
    assert f"{days:g}".replace(".", ",") in figure.note
    per_region = by_key(admin_figures("fi"))["funnel_regions"]
    assert values(per_region)["01"][0] == sum(p.region_page.region.code == "01" for p in proposals
                                              if p.region_page.region)


@pytest.mark.parametrize("language", ["fi", "sv"])
def test_every_coverage_cell_is_the_total_of_its_search(language):
    coverage = by_key(public_figures(language))["coverage"]
    with translation.override(language):
        search_path = reverse("search")
    for row in [*coverage.rows, coverage.totals]:
        for cell in row.cells:
            url = urlsplit(cell.url)
            assert url.path == search_path
            result = search(parse_request(QueryDict(url.query), language, strict=True))
            assert result.total == cell.value, cell.url


def test_a_new_practice_shows_up(uusimaa):
    before = by_key(public_figures("fi"))
    make_practice(uusimaa, themes=("language",), regions=("01",), evidence_level="promising")
    after = by_key(public_figures("fi"))
    theme = before["coverage"].column_keys.index("language")
    assert values(after["coverage"])["01"][theme] == values(before["coverage"])["01"][theme] + 1
    assert values(after["evidence_level"])["promising"][0] == values(before["evidence_level"])["promising"][0] + 1
    assert values(after["freshness"])["all"][0] == values(before["freshness"])["all"][0] + 1
    assert after["growth"].rows[-1].cells[0].value == before["growth"].rows[-1].cells[0].value + 1


# Downloads ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["coverage", "translations", "funnel"])
def test_downloads_read_back(client, key):
    figure = by_key(public_figures("fi"))[key]
    header, rows = figure.table()
    response = client.get(f"/fi/programme/{key}.csv")
    assert response.status_code == 200
    read = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert read == [header, *[[str(value) for value in row] for row in rows]]
    response = client.get(f"/fi/programme/{key}.xlsx")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert [list(row) for row in sheet.iter_rows(values_only=True)] == [header, *rows]


@pytest.mark.parametrize("path", ["/fi/programme/nothing.csv", "/fi/programme/coverage.pdf",
                                  "/fi/programme/funnel_regions.csv"])
def test_unknown_table_or_format_is_404(client, path):
    assert client.get(path).status_code == 404


# The page: tables, charts, links -----------------------------------------------------------------------


class _Marks(HTMLParser):
    """Per figure section: the table's cells (row key, column index, data-value) and the chart's marks."""

    def __init__(self):
        super().__init__()
        self.section, self.row, self.column, self.in_svg, self.in_table = None, None, 0, False, False
        self.table, self.chart, self.captions = defaultdict(list), defaultdict(list), {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section" and (attrs.get("id") or "").startswith("figure-"):
            self.section = attrs["id"][len("figure-"):]
        elif tag == "svg":
            self.in_svg = True
        elif tag == "table":
            self.in_table = True
        elif tag == "tr" and self.in_table:
            self.row, self.column = attrs.get("data-row"), 0
        elif tag == "td" and self.in_table and "data-value" in attrs:
            self.table[self.section].append((self.row, self.column, attrs["data-value"]))
            self.column += 1
        elif self.in_svg and "data-value" in attrs:
            self.chart[self.section].append((attrs.get("data-row"), attrs.get("data-column"), attrs["data-value"]))

    def handle_endtag(self, tag):
        if tag == "svg":
            self.in_svg = False
        elif tag == "table":
            self.in_table = False


def number(text: str):
    return None if text in ("", "None") else float(text)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_page_shows_every_figure_with_its_table_and_chart(client, language):
    response = client.get(f"/{language}/programme/")
    assert response.status_code == 200
    html = response.content.decode()
    marks = _Marks()
    marks.feed(html)
    for figure in public_figures(language):
        table = [(row.key, index, cell.value) for row in figure.rows for index, cell in enumerate(row.cells)]
        if figure.totals:
            table += [(figure.totals.key, index, cell.value) for index, cell in enumerate(figure.totals.cells)]
        assert [(row, column, number(value)) for row, column, value in marks.table[figure.key]] == table
        assert f'href="/{language}/programme/{figure.key}.csv"' in html
        assert f'href="/{language}/programme/{figure.key}.xlsx"' in html
        # The chart (insights.charts) draws every cell, or the first column for columns and funnels,
        # and its marks carry the table's values.
        cells = {(row.key, index): cell.value for row in figure.rows for index, cell in enumerate(row.cells)
                 if index == 0 or figure.chart not in ("columns", "funnel")}
        assert len(marks.chart[figure.key]) == len(cells), figure.key
        for row, column, value in marks.chart[figure.key]:
            index = figure.column_keys.index(column) if figure.column_keys else int(column)
            assert number(value) == cells[(row, index)], (figure.key, row, column)
    coverage = by_key(public_figures(language))["coverage"]
    assert f'href="{coverage.rows[0].cells[0].url.replace("&", "&amp;")}"' in html
    assert "<caption" in html and 'scope="row"' in html and 'scope="col"' in html


def test_the_page_has_no_personal_data(client):
    html = client.get("/fi/programme/").content.decode()
    assert "@" not in html.split("<main", 1)[1].split("</main>", 1)[0]


def test_the_home_page_links_to_the_programme(client):
    for language in LANGUAGES:
        response = client.get(f"/{language}/")
        assert f'href="/{language}/programme/"' in response.content.decode()


# Admin -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_national_editor_sees_the_admin_view(client, language):
    client.force_login(speaking(make_member("national_editor"), language))
    response = client.get(reverse("insights_admin"))
    assert response.status_code == 200
    html = response.content.decode()
    for key in ADMIN_KEYS:
        assert f'id="figure-{key}"' in html
    assert reverse("insights_admin") in client.get("/admin/").content.decode()  # the Reports menu
    download = client.get(reverse("insights_admin_table", kwargs={"key": "funnel_regions", "fmt": "csv"}))
    assert download.status_code == 200


def test_superuser_sees_the_admin_view(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("paakayttaja", "p@kb.example", "pw-12345678"))
    assert client.get(reverse("insights_admin")).status_code == 200


def refused(response) -> bool:
    """Wagtail's answer to PermissionDenied in the admin: back to the dashboard with an error message."""
    return response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home")


@pytest.mark.parametrize("role", [("coordinator", "01"), ("contributor", "01"), ("translator", None)])
def test_other_roles_do_not(client, role):
    client.force_login(make_member(*role))
    assert refused(client.get(reverse("insights_admin")))
    assert refused(client.get(reverse("insights_admin_table", kwargs={"key": "coverage", "fmt": "csv"})))
    assert reverse("insights_admin") not in client.get("/admin/").content.decode()


@pytest.mark.parametrize("language", ["fi", "sv"])
def test_the_admin_view_has_no_english(client, language):
    client.force_login(speaking(make_member("national_editor"), language))
    response = client.get(reverse("insights_admin"))
    assert english_words(interface_text(page_html(response)), content_strings()) == {}


def test_the_aging_pages_report_shows_no_none(client, django_user_model):
    """The demo's pages were published by a command, without a user: Wagtail printed "None" as publisher."""
    client.force_login(django_user_model.objects.create_superuser("paakayttaja", "p@kb.example", "pw-12345678"))
    response = client.get("/admin/reports/aging-pages/")
    assert response.status_code == 200
    assert ">None<" not in "".join(response.content.decode().split())


def test_a_few_queries_not_one_per_cell(django_assert_max_num_queries):
    from django.core.cache import cache

    cache.clear()
    with django_assert_max_num_queries(20):  # computed: one grouped query per figure
        public_figures("fi")
    with django_assert_max_num_queries(3):  # cached: the index token and the proposals
        public_figures("fi")


def test_ten_thousand_practices_take_a_few_grouped_queries(django_assert_max_num_queries):
    """10,000 synthetic practices in the index (3 languages, 8 facet values each), inside the test's
    transaction: computing every figure stays a few grouped queries (a count, not a timing: speed is for
    benchmarks, and a timed test flakes on a busy machine). The documents point at
    page ids that do not exist (foreign keys are checked at commit, which never comes: they are
    deleted before the test ends)."""
    import random
    import uuid

    from django.db import connection

    from search.indexing import index_changed
    from search.models import SearchDocument, SearchFacetValue

    first_id = 10_000_000
    pick = random.Random(13)
    regions = [*Region.objects.values_list("code", flat=True), "national"]
    themes = list(Theme.objects.values_list("code", flat=True))
    documents, facets = [], []
    for number in range(10_000):
        key = uuid.uuid4()
        moment = timezone.now() - datetime.timedelta(days=pick.randrange(2000))
        for locale in LANGUAGES:
            documents.append(SearchDocument(
                page_id=first_id + number, locale=locale, language="fi",
                is_fallback=locale != "fi" and number % 3 == 0, translation_key=key, url="/", title="x",
                title_sort="x", summary="", body_text="", first_published_at=moment, title_terms="",
                summary_terms="", body_terms="", meta_terms="", extra_terms=""))
    try:
        for document in SearchDocument.objects.bulk_create(documents, batch_size=2000):
            for facet, value in [("region", pick.choice(regions)), ("region", "national"),
                                 ("theme", pick.choice(themes)), ("theme", themes[0]), ("status", "permanent"),
                                 ("evidence_level", "promising"), ("target_group", "adults"),
                                 ("organisation_type", "municipality")]:
                facets.append(SearchFacetValue(document=document, locale=document.locale, facet=facet, value=value))
        SearchFacetValue.objects.bulk_create(facets, batch_size=5000, ignore_conflicts=True)
        index_changed()  # as every index writer does: the cached figures are out of date
        with django_assert_max_num_queries(20):
            figures = by_key(public_figures("fi"))
        assert values(figures["freshness"])["all"][0] >= 10_000
        coverage = figures["coverage"]
        assert values(coverage)["national"][coverage.column_keys.index(themes[0])] >= 10_000
    finally:
        documents = SearchDocument._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {SearchFacetValue._meta.db_table} WHERE document_id IN"
                           f" (SELECT id FROM {documents} WHERE page_id >= %s)", [first_id])
            cursor.execute(f"DELETE FROM {documents} WHERE page_id >= %s", [first_id])
