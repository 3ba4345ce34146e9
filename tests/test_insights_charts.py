"""insights.charts: the SVG drawn from a Figure is well-formed, carries exactly the figure's numbers
(each mark tied to its row and column), links every number to its search, marks gaps and missing
values without colour alone, names itself with unique ids, keeps every text at 4.5:1 against what it
sits on (computed here, independently of the module), and is the same every time."""

import copy
import re
import xml.etree.ElementTree as ET

import pytest
from django.utils import translation

from insights.charts import HEAT, chart_id, heat_class, render_chart
from insights.figures import Cell, Figure, Row

SVG = "{http://www.w3.org/2000/svg}"
TRICKY = 'Ahvenanmaa <script>alert("x")</script> & "Åland" – Ålands landskapsregering\'s öppna väg'
LONG = "Pohjois-Pohjanmaan hyvinvointialueen monikulttuurisen perhetyön ja kotoutumisen palvelut"


def url(row, column):
    return f"/fi/search/?region={row}&theme={column}&q=%C3%A4"


def coverage(key="coverage"):
    """20 regions × 12 themes with every heat class, zeros (gaps), a None and awkward labels."""
    labels = ["Uusimaa", "Varsinais-Suomi", TRICKY, LONG, "Päijät-Häme", "Etelä-Savo", "Österbotten"]
    labels += [f"Maakunta {i}" for i in range(len(labels), 20)]
    themes = ["Kielen oppiminen", "Työ & yrittäjyys", 'Tema "citat" <b>', LONG] + [f"Teema {j}" for j in range(4, 12)]
    rows = []
    for i, label in enumerate(labels):
        cells = [Cell((i * 5 + j * 3) % 21 if (i + 2 * j) % 7 else 0, url(i, j)) for j in range(len(themes))]
        rows.append(Row(f"{i:02d}", label, cells))
    rows[2].cells[3] = Cell(None)
    rows[4].cells[0] = Cell(7, "")  # a number without a search to link to
    return Figure(key, "Coverage: region × theme <all>", "heatmap", "Region", themes, rows,
                  "Published practices per region and theme.", "practices", [f"t{j}" for j in range(len(themes))])


def bars():
    rows = [Row("strong", "Strong evidence", [Cell(12, "/fi/search/?evidence_level=strong")]),
            Row("long", LONG, [Cell(30, "/fi/search/?evidence_level=promising")]),
            Row("tricky", TRICKY, [Cell(0, "/fi/search/?evidence_level=none")]),
            Row("unknown", "Unknown", [Cell(None)])]
    return Figure("evidence_level", "By evidence level", "bars", "Evidence level", ["Practices"], rows,
                  "Live practices by evidence level.", "practices")


def grouped_bars():
    rows = [Row(code, label, [Cell(45.5, f"/sv/{code}", "45,5 %"), Cell(0.0, f"/en/{code}", "0 %")])
            for code, label in (("01", "Uusimaa"), ("21", TRICKY))]
    return Figure("translation", "Translation coverage", "bars", "Region", ["Swedish", "English"], rows,
                  "", "%", ["sv", "en"])


def proposals_by_region():
    """Like the admin's proposals per region: long column names, counts shown with their shares."""
    rows = [Row(code, label, [Cell(12, f"/admin/proposals/?region={code}"), Cell(5, "", "5 (42 %)"),
                              Cell(0, "", "0 (0 %)")])
            for code, label in (("01", "Uusimaa"), ("19", LONG))]
    return Figure("funnel_regions", "Proposals by region", "bars", "Region",
                  ["Received", "Converted to a draft practice", "Published"], rows, "", "proposals",
                  ["received", "converted", "published"])


def funnel_with_shares():
    rows = [Row("received", "Received", [Cell(40)]),
            Row("converted", "Converted to a draft practice", [Cell(10, "", "10 (25 %)")]),
            Row("published", "Published", [Cell(0, "", "0 (0 %)")])]
    return Figure("funnel_shares", "From proposal to published practice", "funnel", "Stage", ["Proposals"], rows,
                  "", "proposals", ["proposals"])


def quarters(columns, key="growth", chart="columns"):
    rows = []
    for n, (year, quarter) in enumerate((y, q) for y in (2025, 2026) for q in (1, 2, 3, 4)):
        cells = [Cell((n * (k + 2)) % 9 if (n + k) % 6 else None, f"/fi/search/?q={k}") for k in range(len(columns))]
        rows.append(Row(f"{year}-Q{quarter}", f"{year} Q{quarter}", cells))
    return Figure(key, "Growth", chart, "Quarter", columns, rows, "Published per quarter.", "practices",
                  [f"c{k}" for k in range(len(columns))])


def funnel():
    rows = [Row("received", "Received", [Cell(120, "/admin/proposals/")]),
            Row("draft", "Converted to a draft", [Cell(64, "/admin/proposals/?status=draft")]),
            Row("published", "Published <live>", [Cell(31, "/admin/proposals/?status=published")])]
    return Figure("funnel", "Proposals", "funnel", "Stage", ["Proposals"], rows, "", "proposals")


FIGURES = {
    "heatmap": coverage,
    "bars": bars,
    "grouped_bars": grouped_bars,
    "columns": lambda: quarters(["Published"]),
    "lines": lambda: quarters([f"Region {k} & co" for k in range(7)], key="growth_region", chart="lines"),
    "one_line": lambda: quarters(["Total"], key="growth_total", chart="lines"),
    "funnel": funnel,
    "funnel_with_shares": funnel_with_shares,
    "proposals_by_region": proposals_by_region,
}


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def parse(markup):
    return ET.fromstring(str(markup))


def drawn_cells(figure):
    """(row key, column key, cell) of every cell the chart draws (see insights.charts' docstring)."""
    first_only = figure.chart in ("columns", "funnel") or (figure.chart == "bars" and len(figure.columns) == 1)
    for row in figure.rows:
        for index, cell in enumerate(row.cells[:1] if first_only else row.cells):
            column = figure.column_keys[index] if figure.column_keys else str(index)
            yield row, column, index, cell


def marks(root):
    return [element for element in root.iter() if "data-value" in element.attrib]


# --- structure ------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", FIGURES)
def test_well_formed_named_and_scalable(name):
    figure = FIGURES[name]()
    root = parse(render_chart(figure))
    assert root.tag == "div" and f"kb-chart--{figure.chart}" in root.get("class")
    svgs = [e for e in root.iter(f"{SVG}svg")]
    assert len(svgs) == 1 and list(root) == svgs
    svg = svgs[0]
    # A named group (not role=img, whose children would be hidden from assistive technology).
    assert svg.get("role") == "group"
    ident = chart_id(figure)
    assert svg.get("aria-labelledby") == f"{ident}-title" and svg.get("aria-describedby") == f"{ident}-desc"
    title, desc = svg.find(f"{SVG}title"), svg.find(f"{SVG}desc")
    assert title.get("id") == f"{ident}-title" and title.text == figure.title
    assert desc.get("id") == f"{ident}-desc" and desc.text.startswith(figure.description)
    assert "Largest: " in desc.text and "Smallest: " in desc.text
    # Scales with its container: a viewBox and a relative width, never a fixed pixel size.
    assert re.fullmatch(r"0 0 [\d.]+ [\d.]+", svg.get("viewBox"))
    assert svg.get("width") == "100%" and svg.get("height") is None
    # Strict CSP: no inline styles, no scripts, no event handlers; every label escaped into text.
    for element in root.iter():
        assert element.tag.split("}")[-1] not in ("script", "style", "foreignObject")
        assert not [a for a in element.attrib if a == "style" or a.startswith("on")], element.attrib


def test_summary_names_the_largest_and_smallest_and_counts_gaps():
    figure = bars()
    desc = parse(render_chart(figure)).find(f"{SVG}svg/{SVG}desc").text
    assert desc == (f"Live practices by evidence level. Largest: {LONG}: 30 practices. "
                    f"Smallest: {TRICKY}: 0 practices.")
    heat = parse(render_chart(coverage())).find(f"{SVG}svg/{SVG}desc").text
    gaps = sum(1 for row in coverage().rows for c in row.cells if c.value == 0)
    assert f"{gaps} cells are zero (gaps)." in heat


def test_labels_are_escaped_not_markup():
    markup = str(render_chart(coverage()))
    assert "<script" not in markup and "<b>" not in markup
    assert "&lt;script&gt;" in markup
    root = parse(markup)
    names = [a.get("aria-label") for a in root.iter(f"{SVG}a")]
    assert f"{TRICKY}, Kielen oppiminen: 10 practices" in names
    assert 'Uusimaa, Tema "citat" <b>: 6 practices' in names


# --- the chart's numbers are the table's ----------------------------------------------------------

@pytest.mark.parametrize("name", FIGURES)
def test_every_cell_is_a_mark_with_its_row_column_and_link(name):
    figure = FIGURES[name]()
    root = parse(render_chart(figure))
    drawn = {(m.get("data-row"), m.get("data-column")): m for m in marks(root)}
    expected = list(drawn_cells(figure))
    assert len(marks(root)) == len(expected) == len(drawn)
    for row, column, index, cell in expected:
        mark = drawn[(row.key, column)]
        assert mark.get("data-value") == ("" if cell.value is None else repr(cell.value))
        if cell.value is not None:
            assert float(mark.get("data-value")) == cell.value
        if cell.url:
            assert mark.tag == f"{SVG}a" and mark.get("href") == cell.url
        else:
            # Not a link: a named image, so a screen reader hears the same words as for a link.
            assert mark.tag == f"{SVG}g" and mark.get("href") is None and mark.get("role") == "img"
        where = f"{row.label}, {figure.columns[index]}" if len(figure.columns) > 1 else row.label
        amount = "n/a" if cell.value is None else cell.display or f"{cell.value:g} {figure.unit}".strip()
        funnel_share = figure.chart == "funnel" and not cell.display
        share = f" ({round(cell.value / figure.rows[0].cells[0].value * 100)} %)" if funnel_share else ""
        assert mark.get("aria-label") == f"{where}: {amount}{share}"
    # Every link in the chart is a mark's link: nothing else is focusable.
    assert all("data-value" in a.attrib for a in root.iter(f"{SVG}a"))


def test_heatmap_prints_every_number_in_its_cell():
    figure = coverage()
    root = parse(render_chart(figure))
    drawn = {(m.get("data-row"), m.get("data-column")): m for m in marks(root)}
    for row, column, _, cell in drawn_cells(figure):
        texts = ["".join(t.itertext()) for t in drawn[(row.key, column)].iter(f"{SVG}text")]
        assert texts == ["–" if cell.value is None else str(cell.value)]


def test_zero_cells_are_hatched_and_outlined_none_cells_are_na():
    figure = coverage()
    root = parse(render_chart(figure))
    ident = chart_id(figure)
    pattern = root.find(f".//{SVG}defs/{SVG}pattern")
    assert pattern.get("id") == f"{ident}-hatch" and pattern.find(f"{SVG}line") is not None
    zeros = nones = 0
    for mark in marks(root):
        cell_rect = mark.find(f"{SVG}rect")
        if mark.get("data-value") == "0":
            zeros += 1
            assert "kb-chart__mark--gap" in mark.get("class")
            assert cell_rect.get("fill") == f"url(#{ident}-hatch)"
            assert cell_rect.get("stroke") and float(cell_rect.get("stroke-width")) >= 2
        else:
            assert cell_rect.get("fill") != f"url(#{ident}-hatch)"
        if mark.get("data-value") == "":
            nones += 1
            assert "kb-chart__mark--na" in mark.get("class")
            assert "".join(mark.find(f"{SVG}text").itertext()) == "–"
            assert mark.get("aria-label").endswith(": n/a")
    assert zeros == sum(1 for row in figure.rows for c in row.cells if c.value == 0) > 0
    assert nones == 1
    # The legend explains the hatch, and every class of the scale is in use here.
    legend = " ".join("".join(t.itertext()) for t in root.iter(f"{SVG}text") if t.get("class") == "kb-chart__legend")
    assert "0 (gap)" in legend and "– no data" in legend
    fills = {m.find(f"{SVG}rect").get("fill") for m in marks(root)}
    assert set(HEAT) <= fills


def test_heat_classes_split_the_range_evenly():
    assert [heat_class(v, 20) for v in (1, 4, 5, 8, 12, 13, 16, 17, 20)] == [0, 0, 1, 1, 2, 3, 3, 4, 4]
    assert [heat_class(v, 2) for v in (1, 2)] == [2, 4]


@pytest.mark.parametrize("name", ["bars", "grouped_bars", "funnel"])
def test_none_and_zero_in_bars_are_written_out(name):
    figure = FIGURES[name]()
    root = parse(render_chart(figure))
    for mark in marks(root):
        text = " ".join("".join(t.itertext()) for t in mark.iter(f"{SVG}text"))
        value = mark.get("data-value")
        if value == "":
            assert text == "–"
        else:
            bar = mark.find(f"{SVG}rect")
            assert float(bar.get("width")) >= 0
            if float(value) == 0:
                assert float(bar.get("width")) == 0


def test_bar_lengths_are_proportional():
    root = parse(render_chart(bars()))
    widths = {m.get("data-row"): float(m.find(f"{SVG}rect").get("width")) for m in marks(root)}
    assert widths["long"] > widths["strong"] > 0 == widths["tricky"] == widths["unknown"]
    assert widths["strong"] / widths["long"] == pytest.approx(12 / 30, abs=0.01)


def test_funnel_shows_share_of_the_first_stage():
    root = parse(render_chart(funnel()))
    texts = ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]
    assert "Received: 120 proposals (100 %)" in texts and "Converted to a draft: 64 proposals (53 %)" in texts
    assert "Published <live>: 31 proposals (26 %)" in texts
    with translation.override("fi"):
        texts = ["".join(t.itertext()) for t in parse(render_chart(funnel())).iter(f"{SVG}text")]
    assert "Converted to a draft: 64 proposals (53 %)" in texts


# --- identity, determinism ------------------------------------------------------------------------

def test_texts_that_do_not_fit_beside_a_bar_go_under_it_whole():
    """Grouped bars name their column in words; a text too long for the room beside its bar is wrapped
    under it, never cut, so the link's visible words stay inside its accessible name (WCAG 2.5.3)."""
    root = parse(render_chart(proposals_by_region()))
    for mark in marks(root):
        shown = " ".join("".join(t.itertext()) for t in mark.iter(f"{SVG}text"))
        assert "…" not in shown and shown in mark.get("aria-label"), (shown, mark.get("aria-label"))
    texts = {"".join(t.itertext()) for t in root.iter(f"{SVG}text")}
    assert "Converted to a draft practice: 5 (42 %)" in texts
    funnel_texts = ["".join(t.itertext()) for t in parse(render_chart(funnel_with_shares())).iter(f"{SVG}text")]
    assert funnel_texts == ["Received: 40 proposals (100 %)", "Converted to a draft practice: 10 (25 %)",
                            "Published: 0 (0 %)"]


def test_ids_are_unique_across_charts_on_one_page():
    page = parse("<div>" + render_chart(coverage("coverage")) + render_chart(coverage("coverage-admin"))
                 + "".join(render_chart(make()) for name, make in FIGURES.items() if name != "heatmap") + "</div>")
    ids = [e.get("id") for e in page.iter() if e.get("id")]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    known = set(ids)
    for svg in page.iter(f"{SVG}svg"):
        assert svg.get("aria-labelledby") in known and svg.get("aria-describedby") in known
    # Each heat map points at its own hatch pattern.
    hatches = {m.find(f"{SVG}rect").get("fill") for m in page.iter(f"{SVG}a") if "mark--gap" in m.get("class")}
    assert {"url(#chart-coverage-hatch)", "url(#chart-coverage-admin-hatch)"} <= hatches


@pytest.mark.parametrize("name", FIGURES)
def test_same_figure_same_svg(name):
    figure = FIGURES[name]()
    assert render_chart(figure) == render_chart(copy.deepcopy(figure)) == render_chart(FIGURES[name]())


def test_heatmap_scroll_container_is_focusable_and_named():
    root = parse(render_chart(coverage()))
    assert root.get("tabindex") == "0" and root.get("role") == "region"
    assert root.get("aria-label") == "Coverage: region × theme <all> (chart, scrolls sideways)"


@pytest.mark.parametrize("kind", ["heatmap", "bars", "columns", "lines", "funnel"])
def test_empty_and_all_missing_figures_still_draw(kind):
    """No rows, or only None values (a new programme, a filter that matches nothing): a chart that says
    so, never an exception on the page."""
    empty = Figure("empty", "Nothing yet", kind, "Region", ["A", "B"], [], "", "practices")
    desc = parse(render_chart(empty)).find(f"{SVG}svg/{SVG}desc").text
    assert desc == "No values to show."
    missing = Figure("missing", "Unknown", kind, "Region", ["A", "B"],
                     [Row("01", "Uusimaa", [Cell(None), Cell(None)])], "", "practices")
    root = parse(render_chart(missing))
    assert {m.get("data-value") for m in marks(root)} == {""}
    shown = ["".join(t.itertext()) for m in marks(root) for t in m.iter(f"{SVG}text")]
    assert shown and all(text.endswith(("–", "n/a")) for text in shown), shown


def test_a_long_time_series_scrolls_instead_of_shrinking():
    short, long = quarters(["Published"]), quarters(["Published"])
    long.rows = [Row(f"r{i}", f"{2015 + i // 4} Q{i % 4 + 1}", [Cell(i, "")]) for i in range(40)]
    assert parse(render_chart(short)).get("tabindex") is None
    root = parse(render_chart(long))
    assert "kb-chart--wide" in root.get("class") and root.get("tabindex") == "0" and root.get("role") == "region"
    assert len(marks(root)) == 40


def test_unknown_kind_is_refused():
    figure = bars()
    figure.chart = "pie"
    with pytest.raises(ValueError, match="pie"):
        render_chart(figure)


# --- contrast, computed here ----------------------------------------------------------------------

def luminance(colour):
    def channel(c):
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (int(colour.lstrip("#")[i: i + 2], 16) for i in (0, 2, 4))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def ratio(a, b):
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def backgrounds(root):
    """Each <text> with the fill of the topmost rect painted under its middle (painter's order)."""
    in_patterns = {id(rect) for pattern in root.iter(f"{SVG}pattern") for rect in pattern.iter()}
    painted = []
    for element in root.iter():
        tag = element.tag.split("}")[-1]
        if tag == "rect" and id(element) not in in_patterns:  # a pattern's rects are painted only through it
            box = [float(element.get(k, 0)) for k in ("x", "y", "width", "height")]
            painted.append((box, element.get("fill")))
        elif tag == "text":
            x, y, size = float(element.get("x")), float(element.get("y")), float(element.get("font-size"))
            shift = {"start": size * 0.3, "middle": 0, "end": -size * 0.3}[element.get("text-anchor")]
            px, py = x + shift, y - size * 0.35
            under = [fill for (bx, by, bw, bh), fill in painted if bx <= px <= bx + bw and by <= py <= by + bh]
            yield element, under[-1] if under else None


@pytest.mark.parametrize("name", FIGURES)
def test_every_text_contrasts_4_5_with_what_it_sits_on(name):
    root = parse(render_chart(FIGURES[name]()))
    checked = 0
    for text, ground in backgrounds(root):
        content = "".join(text.itertext())
        assert ground is not None and ground.startswith("#"), f"{content!r} sits on {ground}"
        assert ratio(text.get("fill"), ground) >= 4.5, f"{content!r}: {text.get('fill')} on {ground}"
        checked += 1
    assert checked >= len(marks(root)) - sum(1 for m in marks(root) if not list(m.iter(f"{SVG}text")))


def test_heat_scale_keeps_ink_or_white_readable():
    for fill in HEAT:
        assert max(ratio("#1b1f24", fill), ratio("#ffffff", fill)) >= 4.5, fill
