"""The region map on the home and search pages: every region once, counts equal to the region facet
of the same search, links that apply the filter, the selection marked, an equivalent table, and a
tile layout that follows the real map (docs/map.md)."""

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.http import QueryDict

from practices.models import Region
from search.facets import NATIONAL
from search.map import TILES, class_ranges, short_name, tile_centre
from search.query import SearchRequest, parse_request
from search.service import search

pytestmark = pytest.mark.django_db

MAP_TAG = re.compile(r"<a\s([^>]*)>")
ATTRIBUTE = re.compile(r'\s*([\w:-]+)(?:="([^"]*)")?')
TABLE_ROW = re.compile(r'<tr[^>]*><th scope="row"><a href="([^"]*)"[^>]*>([^<]*)</a>.*?</th><td>(\d+)</td></tr>')
NATIONAL_LINK = re.compile(r'<a href="([^"]*)" data-region-national[^>]*>([^<]*)</a>')
PRACTICES = {"fi": ("käytäntö", "käytäntöä"), "sv": ("praxis", "praxis"), "en": ("practice", "practices")}
SELECTED = {"fi": "(valittu)", "sv": "(vald)", "en": "(selected)"}


def figure(page_html):
    start = page_html.index("<figure class=\"region-map\" data-region-map>")
    return page_html[start:page_html.index("</figure>", start)]


def map_links(page_html):
    """code -> (href, aria-label, other attributes) of the SVG's region links, whatever the attribute
    order (#12 added data-name, the tooltip's text). Every link in the SVG must be a region link."""
    svg = figure(page_html).split("<svg", 1)[1].split("</svg>", 1)[0]
    links = {}
    for attributes in MAP_TAG.findall(svg):
        attrs = {}
        for name, value in ATTRIBUTE.findall(attributes):
            assert name not in attrs, f"{name} twice in <a {attributes}>"
            attrs[name] = value
        code = attrs.pop("data-region")
        assert re.fullmatch(r"\d\d", code), code
        assert code not in links, f"region {code} twice"
        href, label = attrs.pop("href"), attrs.pop("aria-label")
        rest = "".join(f' {name}="{value}"' for name, value in attrs.items())
        links[code] = (html.unescape(href), html.unescape(label), rest)
    return links


def table_rows(page_html):
    table = figure(page_html).split('<table class="region-map__table">', 1)[1].split("</table>", 1)[0]
    return [(html.unescape(href), html.unescape(name), int(count))
            for href, name, count in TABLE_ROW.findall(table.replace("\n", ""))]


def counts_from(label):
    return int(re.search(r": (\d+) ", label).group(1))


def facet_counts(result):
    return {bucket.value: bucket.count for bucket in result.facets["region"]}


def query(href):
    return parse_qs(urlsplit(href).query)


# --- Layout ---------------------------------------------------------------------------------------
def test_layout_has_one_tile_per_region_and_no_overlaps():
    assert set(TILES) == set(Region.objects.values_list("code", flat=True))
    assert len(TILES) == 19
    assert len(set(TILES.values())) == len(TILES)


def test_tiles_follow_the_real_map():
    x = {code: tile_centre(code)[0] for code in TILES}
    y = {code: tile_centre(code)[1] for code in TILES}  # grows to the south
    assert y["19"] == min(y.values())  # Lapland at the top
    assert y["19"] < y["17"] < y["13"] < y["01"]  # Lapland, North Ostrobothnia, Central Finland, Uusimaa
    assert y["01"] == max(y.values())  # Uusimaa on the south coast
    assert x["21"] == min(x.values()) and x["21"] < x["02"]  # Åland west of Southwest Finland, in the sea
    assert y["21"] >= y["02"]
    assert x["12"] > x["11"]  # North Karelia east of North Savo
    assert x["12"] == max(x.values())  # and on the eastern border
    assert x["15"] < x["14"] < x["13"]  # Ostrobothnia on the west coast, then South Ostrobothnia, Central Finland
    assert x["04"] < x["06"] and x["02"] < x["01"] < x["09"]  # Satakunta west of Pirkanmaa; the south coast
    assert y["18"] < y["11"] and x["18"] > x["17"]  # Kainuu north of North Savo, east of North Ostrobothnia


def test_tiles_of_neighbouring_regions_mostly_touch():
    def touching(a, b):
        (x1, y1), (x2, y2) = tile_centre(a), tile_centre(b)
        return abs(((x1 - x2) ** 2 + (y1 - y2) ** 2) ** 0.5 - 1) < 1e-6

    borders = ["19-17", "17-18", "17-16", "17-11", "17-13", "18-11", "18-12", "16-14", "16-13", "15-14",
               "15-04", "14-13", "14-06", "14-04", "13-11", "13-07", "13-06", "11-12", "11-10", "12-10",
               "10-07", "10-08", "10-09", "09-08", "08-07", "08-01", "07-05", "07-06", "06-05", "06-04",
               "06-02", "05-01", "05-02", "04-02"]
    assert all(touching(*border.split("-")) for border in borders)
    assert not any(touching("21", code) for code in TILES if code != "21")  # Åland: across the sea


def test_short_names_and_shades():
    assert short_name("Uusimaa") == "UUS" and short_name("Etelä-Karjala") == "EK"
    assert short_name("Southwest Finland") == "SF"
    for language in ("fi", "sv", "en"):
        shorts = [short_name(region.labels()[language]) for region in Region.objects.all()]
        assert len(set(shorts)) == len(shorts), language
    assert class_ranges(0) == []
    assert class_ranges(2) == [(1, 1), (2, 2)]
    assert class_ranges(12) == [(1, 3), (4, 6), (7, 9), (10, 12)]


# --- Home page ------------------------------------------------------------------------------------
@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_home_map_shows_every_region_with_the_empty_search_counts(client, language):
    page_html = client.get(f"/{language}/").content.decode()
    links = map_links(page_html)
    assert set(links) == set(TILES)
    expected = facet_counts(search(SearchRequest(locale=language)))
    singular, plural = PRACTICES[language]
    for region in Region.objects.all():
        href, label, rest = links[region.code]
        name = region.labels()[language]
        count = expected.get(region.code, 0)
        assert label == f"{name}, {short_name(name)}: {count} {singular if count == 1 else plural}"
        assert href == f"/{language}/search/?region={region.code}"
        assert f'data-name="{html.escape(name)}"' in rest  # the full name for sight (#12, region-map.js)
    assert sum(expected.get(code, 0) for code in TILES) > 0
    national = NATIONAL_LINK.search(figure(page_html))
    assert national.group(1) == f"/{language}/search/?region={NATIONAL}"
    assert f": {expected.get(NATIONAL, 0)} " in html.unescape(national.group(2))


def test_home_map_table_equals_the_map(client):
    page_html = client.get("/en/").content.decode()
    links = map_links(page_html)
    rows = table_rows(page_html)
    assert len(rows) == len(links) == 19
    names = {region.code: region.name_en for region in Region.objects.all()}
    for (href, name, count), code in zip(rows, sorted(links), strict=True):
        assert (href, name, count) == (links[code][0], names[code], counts_from(links[code][1]))
    assert '<details class="region-map__details">' in page_html  # collapsed: one tab stop per region


def test_map_has_an_accessible_name_and_a_caption(client):
    page_html = figure(client.get("/fi/").content.decode())
    assert "<figcaption>" in page_html
    assert 'role="group" aria-labelledby="region-map-title"' in page_html
    assert 'id="region-map-title">Käytännöt alueittain<' in page_html
    assert "<caption>Käytännöt alueittain</caption>" in page_html


# --- Search page ----------------------------------------------------------------------------------
def test_search_map_counts_are_the_facet_counts_of_the_same_search(client):
    params = "q=kieli&theme=language&page=1"
    page_html = client.get(f"/fi/search/?{params}").content.decode()
    result = search(parse_request(QueryDict(params), "fi", strict=False, fixed_page_size=20))
    expected = facet_counts(result)
    links = map_links(page_html)
    assert {code: counts_from(label) for code, (_href, label, _rest) in links.items()} == {
        code: expected.get(code, 0) for code in TILES}
    assert any(expected.get(code) for code in TILES) and not all(expected.get(code) for code in TILES)


def test_search_map_links_add_the_region_and_keep_the_other_parameters(client):
    page_html = client.get("/fi/search/?q=kieli&theme=language&sort=newest&page=2").content.decode()
    links = map_links(page_html)
    assert set(links) == set(TILES)  # not vacuous: every region's link is checked
    for code, (href, _label, _rest) in links.items():
        assert href.startswith("?")
        assert query(href) == {"q": ["kieli"], "theme": ["language"], "sort": ["newest"], "region": [code]}
    for href, _name, _count in table_rows(page_html):
        assert "page=" not in href


def test_search_map_marks_and_toggles_the_selected_regions(client):
    page_html = client.get("/en/search/?theme=language&region=01&region=19").content.decode()
    links = map_links(page_html)
    for code in ("01", "19"):
        href, label, rest = links[code]
        assert label.endswith(SELECTED["en"]) and 'aria-current="true"' in rest and "is-selected" in rest
        other = {"01": "19", "19": "01"}[code]
        assert query(href) == {"theme": ["language"], "region": [other]}  # choosing it again removes it
    href, label, rest = links["02"]
    assert SELECTED["en"] not in label and "aria-current" not in rest
    assert query(href) == {"theme": ["language"], "region": ["01", "19", "02"]}
    selected_rows = [name for href, name, count in table_rows(page_html)
                     if query(href).get("region") in (["19"], ["01"])]
    assert sorted(selected_rows) == ["Lapland", "Uusimaa"]
    assert figure(page_html).count('class="region-map__check"') == 2


def test_following_a_map_link_applies_the_filter(client):
    href = map_links(client.get("/fi/search/?q=kieli").content.decode())["01"][0]
    followed = client.get("/fi/search/" + href)
    assert followed.status_code == 200
    assert map_links(followed.content.decode())["01"][1].endswith(SELECTED["fi"])
    assert 'name="region" value="01" checked' in followed.content.decode()


def test_search_without_results_shows_an_empty_map(client):
    page_html = client.get("/fi/search/?q=xyzzyquux").content.decode()
    links = map_links(page_html)
    assert len(links) == 19
    assert all(label.endswith(": 0 käytäntöä") for _href, label, _rest in links.values())
    assert "region-map__region--0" in page_html and "region-map__region--1" not in page_html


def test_search_page_stays_small(client):
    response = client.get("/fi/search/?q=kieli")
    assert len(response.content) <= 150 * 1024


def test_each_tile_name_contains_its_visible_text_in_order(client):
    """WCAG 2.5.3 Label in Name: "UUS" and "5" on the tile, "Uusimaa, UUS: 5 practices" as its name."""
    svg = figure(client.get("/en/search/?q=library").content.decode()).split("<svg", 1)[1]
    tiles = re.findall(r'aria-label="([^"]*)".*?region-map__short"[^>]*>([^<]*)</text>.*?'
                       r'region-map__count"[^>]*>(\d+)</text>', svg, flags=re.S)
    assert len(tiles) == 19
    for label, short, count in tiles:
        assert f"{short}: {count} " in html.unescape(label), (label, short, count)


@pytest.mark.parametrize("language", ["fi", "sv"])
def test_home_region_list_shows_the_map_counts(client, language):
    page_html = client.get(f"/{language}/").content.decode()
    links = map_links(page_html)
    listed = dict(re.findall(r'<li><a href="[^"]*">([^<]*)</a> <span class="count">\((\d+)\)</span></li>',
                             page_html.split('id="regions-heading"', 1)[1]))
    for region in Region.objects.all():
        assert int(listed[html.escape(region.labels()[language])]) == counts_from(links[region.code][1])
