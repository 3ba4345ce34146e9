"""Accessible SVG charts drawn on the server from a ``Figure`` (insights.figures).

``render_chart(figure)`` returns one ``<div class="kb-chart">`` holding one ``<svg>``; the page around
it supplies the heading, the ``<figcaption>`` and the data table. No scripts, no inline ``style=``
(strict CSP): geometry and colours are SVG presentation attributes, the rest is static/css/charts.css.

Every drawn number ("mark") is an ``<a href>`` to its search, or a ``<g role="img">`` when the cell
has no URL, named like "Uusimaa, Language learning: 5 practices" (the words it shows are always part
of that name: WCAG 2.5.3) and carrying ``data-value`` (the raw number, "" for None), ``data-row`` (the
row key) and ``data-column`` (the column key when the figure has ``column_keys``, else the column
index), so tests can compare a chart with its table. The <svg> is a named group with a <desc>
(the figure's description and its largest and smallest value); see ``_svg`` for why not role=img.

Sizes: a viewBox and width 100 %; text is 13–14 units in viewBoxes about 400 wide, so it stays
legible on a 390 px phone. The heat map (and a time series of more than 16 quarters) keeps a minimum
width and scrolls sideways in a focusable, named container instead.

What each kind draws:
- heatmap: rows × columns; fill by value in five equal-interval classes of a sequential blue scale;
  0 is a gap (hatched, outlined, its number on a white plate); None is "–" on white. Totals: not drawn.
- bars: one horizontal bar per row for the first column; with several columns, one bar per column
  in each row's group on one scale (the columns must share a unit: counts, shares in their display),
  each labelled "column: value" beside the bar, or under it when it does not fit. Totals: not drawn.
- columns: one vertical column per row (a time series) for the first cell; other columns and
  totals are left to the table.
- lines: small multiples, one panel per column (series) on a shared y scale, the latest value printed;
  with one column, a single full-width panel with every value printed.
- funnel: one centred bar per stage (row, first cell) with its count and share of the first stage
  (or the cell's own display, such as "64 (53 %)", when it has one).

Text colour is chosen per fill (dark ink or white, whichever contrasts more) from a palette where one
of them always reaches 4.5:1; all other text sits on white. Output is deterministic: same figure,
same bytes.
"""

import math
import re

from django.utils.formats import number_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, ngettext

from .figures import Cell, Figure, Row

KINDS = ("heatmap", "bars", "columns", "lines", "funnel")

INK = "#1b1f24"
WHITE = "#ffffff"
MUTED = "#4a5561"  # 7.5:1 on white
LINE = "#cfd6dd"
BAR = "#0b4f8a"  # the brand blue, 8.6:1 on white (bars need 3:1 as graphics)
BAR_ALT = "#6baed6"  # second series in grouped bars, outlined in ink
# Sequential scale for heat maps, light to dark. Luminances avoid the 0.17–0.30 band where neither
# ink nor white text reaches 4.5:1 (tests compute the contrast of every number on its cell).
HEAT = ("#eff3ff", "#c6dbef", "#6baed6", "#2171b5", "#08306b")

FONT = 14  # user units; the viewBoxes are sized so this stays legible at a 390 px wide screen
CHAR = 0.6  # average glyph width as a share of the font size, for layout estimates


# --- small helpers --------------------------------------------------------------------------------

def _n(number: float) -> str:
    """A coordinate: at most one decimal, no trailing ".0" (deterministic, compact)."""
    text = f"{number:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _tag(name: str, attrs: dict, content: str | None = None) -> str:
    """An element with escaped attribute values; ``content`` is markup already escaped."""
    parts = [name]
    for key, value in attrs.items():
        if value is None:
            continue
        parts.append(f'{key}="{escape(_n(value) if isinstance(value, float) else value)}"')
    opening = " ".join(parts)
    return f"<{opening}/>" if content is None else f"<{opening}>{content}</{name}>"


def _text(x, y, text, *, size=FONT, fill=INK, anchor="start", cls="kb-chart__text", full=None, **extra) -> str:
    """A <text>; when the shown text was shortened, ``full`` goes in a <title> (a tooltip)."""
    content = escape(text)
    if full and text.endswith("…") and full != text:
        content = _tag("title", {}, escape(full)) + content
    attrs = {"class": cls, "x": float(x), "y": float(y), "font-size": size, "fill": fill, "text-anchor": anchor}
    attrs.update(extra)
    return _tag("text", attrs, content)


def _multiline(x, y, lines, *, size=FONT, fill=INK, anchor="start", cls="kb-chart__text", full=None) -> str:
    """One <text> of several lines (<tspan>s), read as one phrase: each line but the last ends with a
    space, so the words do not run together for a screen reader or for axe's label-in-name check."""
    content = "".join(
        (escape(line + " ") if n == 0 else _tag("tspan", {"x": float(x), "dy": "1.2em"}, escape(line + " ")))
        if n < len(lines) - 1 else
        (escape(line) if n == 0 else _tag("tspan", {"x": float(x), "dy": "1.2em"}, escape(line)))
        for n, line in enumerate(lines))
    if full and lines and lines[-1].endswith("…"):
        content = _tag("title", {}, escape(full)) + content
    attrs = {"class": cls, "x": float(x), "y": float(y), "font-size": size, "fill": fill, "text-anchor": anchor}
    return _tag("text", attrs, content)


def _fits(text: str, width: float, size: float = FONT) -> int:
    """How many characters of ``text`` fit in ``width`` (an estimate)."""
    return max(1, int(width / (size * CHAR)))


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(1, limit - 1)].rstrip() + "…"


def _wrap(text: str, limit: int, lines: int = 2) -> list[str]:
    """``text`` in at most ``lines`` lines of about ``limit`` characters; the last one shortened."""
    words, out, current = text.split(), [], ""
    for word in words:
        if current and len(current) + 1 + len(word) > limit:
            out.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    out.append(current)
    if len(out) > lines:
        out = out[: lines - 1] + [" ".join(out[lines - 1:])]
    return [_shorten(line, limit) for line in out] or [""]


def _luminance(colour: str) -> float:
    channels = [int(colour[i: i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    """WCAG 2.1 contrast ratio of two #rrggbb colours."""
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _text_on(fill: str) -> str:
    return INK if contrast(INK, fill) >= contrast(WHITE, fill) else WHITE


def _number(value: int | float) -> str:
    if isinstance(value, int) or float(value).is_integer():
        return number_format(int(value), use_l10n=True)
    return number_format(value, decimal_pos=1, use_l10n=True)


def _shown(cell: Cell) -> str:
    """The value as printed in the chart: "–" for None, the cell's own display, or the number."""
    if cell.value is None:
        return "–"
    return cell.display or _number(cell.value)


def _spoken(cell: Cell, unit: str) -> str:
    """The value as read out: "5 practices", "45 %", "n/a"."""
    if cell.value is None:
        return gettext("n/a")
    if cell.display:
        return cell.display
    return f"{_number(cell.value)} {unit}".strip()


def _column_key(figure: Figure, index: int) -> str:
    keys = figure.column_keys
    return keys[index] if index < len(keys) and keys[index] else str(index)


def _name(figure: Figure, row: Row, index: int, cell: Cell) -> str:
    """The accessible name of a mark: "Uusimaa, Language learning: 5 practices"."""
    where = row.label
    if len(figure.columns) > 1 and index < len(figure.columns):
        where = f"{row.label}, {figure.columns[index]}"
    return f"{where}: {_spoken(cell, figure.unit)}"


def _mark(figure: Figure, row: Row, index: int, cell: Cell, content: str, cls: str = "", name: str = "") -> str:
    """A mark: <a> when the number links to its search, else <g>; data-* tie it to the table. Its name
    must contain the text it shows (WCAG 2.5.3, axe's label-content-name-mismatch)."""
    name = name or _name(figure, row, index, cell)
    classes = " ".join(c for c in ("kb-chart__mark", cls, "kb-chart__mark--na" if cell.value is None else "") if c)
    attrs = {
        "class": classes,
        "data-value": "" if cell.value is None else str(cell.value),
        "data-row": row.key,
        "data-column": _column_key(figure, index),
    }
    if cell.url:
        return _tag("a", {"href": cell.url, "aria-label": name, **attrs}, content)
    # Without a link: a named image, so a screen reader hears the row and column with the number.
    return _tag("g", {"role": "img", "aria-label": name, **attrs}, content)


def _cells(figure: Figure, first_only: bool):
    for row in figure.rows:
        for index, cell in enumerate(row.cells[:1] if first_only else row.cells):
            yield row, index, cell


def _summary(figure: Figure, first_only: bool) -> str:
    """One sentence naming the largest and the smallest value (first in table order on ties)."""
    known = [(row, index, cell) for row, index, cell in _cells(figure, first_only) if cell.value is not None]
    if not known:
        return gettext("No values to show.")
    largest = max(known, key=lambda item: item[2].value)
    smallest = min(known, key=lambda item: item[2].value)
    return gettext("Largest: %(largest)s. Smallest: %(smallest)s.") % {
        "largest": _name(figure, *largest), "smallest": _name(figure, *smallest),
    }


def chart_id(figure: Figure) -> str:
    """The id prefix of a figure's chart, unique per figure key on a page."""
    return "chart-" + (re.sub(r"[^a-z0-9_-]+", "-", figure.key.lower()).strip("-") or "figure")


def _svg(figure: Figure, width: float, height: float, body: str, summary: str, defs: str = "") -> str:
    ident = chart_id(figure)
    description = " ".join(part for part in (figure.description.strip(), summary) if part)
    # role="group", not "img": the children of role=img are presentational, so the links to the
    # searches inside would be focusable yet hidden from screen readers. A named group keeps them in
    # the accessibility tree (as the region map does); axe's svg-img-alt rule does not apply to it.
    attrs = {
        "xmlns": "http://www.w3.org/2000/svg",
        "class": "kb-chart__svg",
        "role": "group",
        "aria-labelledby": f"{ident}-title",
        "aria-describedby": f"{ident}-desc",
        "viewBox": f"0 0 {_n(width)} {_n(height)}",
        "width": "100%",
        "preserveAspectRatio": "xMinYMin meet",
        "id": ident,
    }
    content = (
        _tag("title", {"id": f"{ident}-title"}, escape(figure.title))
        + _tag("desc", {"id": f"{ident}-desc"}, escape(description))
        + (_tag("defs", {}, defs) if defs else "")
        # An explicit white ground: what every text outside a mark sits on (also when printed).
        + _tag("rect", {"class": "kb-chart__ground", "x": 0, "y": 0, "width": _n(width), "height": _n(height),
                        "fill": WHITE})
        + body
    )
    return _tag("svg", attrs, content)


# --- heat map -------------------------------------------------------------------------------------

def heat_class(value: float, top: float) -> int:
    """0–4: the equal-interval class of a positive value on a scale up to ``top``."""
    for k in range(len(HEAT)):
        if value <= top * (k + 1) / len(HEAT):
            return k
    return len(HEAT) - 1


def _legend_ranges(top: float, integers: bool) -> list[tuple[int, str]]:
    ranges = []
    for k in range(len(HEAT)):
        low, high = top * k / len(HEAT), top * (k + 1) / len(HEAT)
        if integers:
            first, last = math.floor(low) + 1, math.floor(high)
            if first > last:
                continue
            ranges.append((k, _number(first) if first == last else f"{_number(first)}–{_number(last)}"))
        else:
            ranges.append((k, f"{_number(round(low, 1))}–{_number(round(high, 1))}"))
    return ranges


def _heatmap(figure: Figure) -> str:
    ident = chart_id(figure)
    cell_w, cell_h, size = 58.0, 36.0, 13
    longest_row = max((len(row.label) for row in figure.rows), default=4)
    label_w = min(max(longest_row, 8), 24) * size * CHAR + 12
    header_chars = min(max((len(c) for c in figure.columns), default=4), 30)
    header_h = header_chars * size * CHAR * 0.71 + 16  # rotated by 45°
    left, top = label_w, header_h
    grid_w = cell_w * len(figure.columns)
    width = left + grid_w + header_h * 0.71 + 8  # the last header leans right
    values = [c.value for _, _, c in _cells(figure, False) if c.value is not None]
    top_value = max([v for v in values if v > 0], default=0)
    integers = all(float(v).is_integer() for v in values)

    body = []
    for j, column in enumerate(figure.columns):
        x, y = left + cell_w * (j + 0.5), top - 8
        shown = _shorten(column, 30)
        body.append(_text(x, y, shown, size=size, anchor="start", full=column, cls="kb-chart__label",
                          transform=f"rotate(-45 {_n(x)} {_n(y)})"))
    for i, row in enumerate(figure.rows):
        y = top + cell_h * i
        lines = _wrap(row.label, _fits(row.label, label_w - 12, size), 2)
        first_y = y + cell_h / 2 + size * 0.35 - (len(lines) - 1) * size * 0.6
        body.append(_multiline(left - 8, first_y, lines, size=size, anchor="end", cls="kb-chart__label", full=row.label))
        for j, cell in enumerate(row.cells[: len(figure.columns)]):
            x = left + cell_w * j
            cx, cy = x + cell_w / 2, y + cell_h / 2 + size * 0.35
            box = {"x": x + 1, "y": y + 1, "width": cell_w - 2, "height": cell_h - 2}
            if cell.value is None:
                parts = [_tag("rect", {"class": "kb-chart__cell", **box, "fill": WHITE, "stroke": LINE}),
                         _text(cx, cy, "–", size=size, anchor="middle", cls="kb-chart__value")]
                cls = ""
            elif cell.value <= 0:
                # A gap: hatched and outlined, not told by colour alone; the 0 on a white plate.
                plate_w = len(_shown(cell)) * size * CHAR + 10
                parts = [
                    _tag("rect", {"class": "kb-chart__cell", **box, "fill": f"url(#{ident}-hatch)",
                                  "stroke": INK, "stroke-width": 2}),
                    _tag("rect", {"class": "kb-chart__plate", "x": cx - plate_w / 2, "y": y + cell_h / 2 - size * 0.7,
                                  "width": plate_w, "height": size * 1.4, "fill": WHITE}),
                    _text(cx, cy, _shown(cell), size=size, anchor="middle", cls="kb-chart__value"),
                ]
                cls = "kb-chart__mark--gap"
            else:
                fill = HEAT[heat_class(cell.value, top_value)]
                parts = [_tag("rect", {"class": "kb-chart__cell", **box, "fill": fill}),
                         _text(cx, cy, _shown(cell), size=size, anchor="middle", fill=_text_on(fill),
                               cls="kb-chart__value")]
                cls = ""
            body.append(_mark(figure, row, j, cell, "".join(parts), cls))

    # Legend: the classes, the gap and n/a, each a swatch with its words (on white).
    y = top + cell_h * len(figure.rows) + 18
    items = [(HEAT[k], text, "") for k, text in _legend_ranges(top_value, integers)] if top_value else []
    items.append((f"url(#{ident}-hatch)", gettext("0 (gap)"), INK))
    items.append((WHITE, gettext("– no data"), LINE))
    x, legend = 0.0, []
    for fill, text, stroke in items:
        item_w = 26 + len(text) * size * CHAR + 16
        if x and x + item_w > width:
            x, y = 0.0, y + 26
        legend.append(_tag("rect", {"class": "kb-chart__swatch", "x": x, "y": y, "width": 20.0, "height": 20.0,
                                    "fill": fill, "stroke": stroke or None}))
        legend.append(_text(x + 26, y + 15, text, size=size, cls="kb-chart__legend"))
        x += item_w
    body.append(_tag("g", {"class": "kb-chart__legend-items"}, "".join(legend)))
    height = y + 30

    hatch = _tag("pattern", {"id": f"{ident}-hatch", "patternUnits": "userSpaceOnUse", "width": 8, "height": 8,
                             "patternTransform": "rotate(45)"},
                 _tag("rect", {"width": 8, "height": 8, "fill": WHITE})
                 + _tag("line", {"x1": 0, "y1": 0, "x2": 0, "y2": 8, "stroke": MUTED, "stroke-width": 3}))
    gaps = sum(1 for _, _, cell in _cells(figure, False) if cell.value is not None and cell.value <= 0)
    summary = _summary(figure, False)
    if gaps:
        summary += " " + ngettext("%(count)d cell is zero (a gap).", "%(count)d cells are zero (gaps).", gaps) % {
            "count": gaps}
    return _svg(figure, width, height, "".join(body), summary, hatch)


# --- bars and funnel ------------------------------------------------------------------------------

def _bars(figure: Figure) -> str:
    width, size = 400.0, FONT
    several = len(figure.columns) > 1
    bar_h, gap = (16.0, 4.0) if several else (20.0, 4.0)
    # Room for the text after the longest bar: the value, and with several columns "column: value"
    # (the column named in words, not by colour alone). Bars keep at least 60 % of the width; a text
    # that does not fit beside its bar goes under it, whole (a link's visible words must be in its name).
    texts = [_bar_text(figure, j, cell, several) for _, j, cell in _cells(figure, not several)]
    text_room = min(max((len(t) for t in texts), default=4) * size * CHAR + 12, width * 0.4)
    values = [c.value for _, _, c in _cells(figure, not several) if c.value is not None]
    top_value = max([v for v in values if v > 0], default=1)
    scale = (width - text_room) / top_value
    body, y = [], 4.0
    for row in figure.rows:
        lines = _wrap(row.label, _fits(row.label, width, size), 2)
        body.append(_multiline(0, y + size * 1.2, lines, size=size, cls="kb-chart__label", full=row.label))
        y += len(lines) * size * 1.2 + 6
        for j, cell in enumerate(row.cells if several else row.cells[:1]):
            length = max(cell.value or 0, 0) * scale
            fill = BAR_ALT if several and j % 2 else BAR
            text = _bar_text(figure, j, cell, several)
            parts = [_tag("rect", {"class": "kb-chart__bar", "x": 0.0, "y": y, "width": length, "height": bar_h,
                                   "fill": fill, "stroke": INK if fill == BAR_ALT else None})]
            if len(text) <= _fits("", width - length - 6, size):
                parts.append(_text(length + 6, y + bar_h / 2 + size * 0.35, text, size=size, cls="kb-chart__value"))
                y += bar_h + gap
            else:
                lines = _wrap(text, _fits("", width, size), 3)
                parts.append(_multiline(0, y + bar_h + size * 1.1, lines, size=size, cls="kb-chart__value"))
                y += bar_h + len(lines) * size * 1.2 + gap + 2
            body.append(_mark(figure, row, j, cell, "".join(parts)))
        y += 8
    # The axis: where the bars start.
    body.append(_tag("line", {"class": "kb-chart__axis", "x1": 0.5, "y1": 4.0, "x2": 0.5, "y2": y, "stroke": INK}))
    return _svg(figure, width, y + 4, "".join(body), _summary(figure, not several))


def _bar_text(figure: Figure, index: int, cell: Cell, several: bool) -> str:
    if several and index < len(figure.columns):
        return f"{figure.columns[index]}: {_shown(cell)}"
    return _shown(cell)


def _percent(share: float) -> str:
    return f"{_number(round(share))} %"  # with a space, as Finnish, Swedish and SI style write it


def _funnel(figure: Figure) -> str:
    width, size, bar_h = 400.0, FONT, 24.0
    first = figure.rows[0].cells[0].value if figure.rows and figure.rows[0].cells else None
    values = [c.value for _, _, c in _cells(figure, True) if c.value is not None]
    top_value = max([v for v in values if v > 0], default=1)
    body, y = [], 4.0
    for row in figure.rows:
        cell = row.cells[0] if row.cells else Cell(None)
        # The words shown are the link's name: "Published: 31 proposals (26 %)".
        # (A cell with its own display, such as "64 (53 %)", already shows its share.)
        text = _name(figure, row, 0, cell)
        if cell.value is not None and first and not cell.display:
            text += f" ({_percent(cell.value / first * 100)})"
        lines = _wrap(text, _fits(text, width, size), 3)
        parts = [_multiline(width / 2, y + size * 1.2, lines, size=size, anchor="middle", cls="kb-chart__value")]
        y += len(lines) * size * 1.2 + 6
        length = max(cell.value or 0, 0) / top_value * width
        parts.insert(0, _tag("rect", {"class": "kb-chart__bar", "x": (width - length) / 2, "y": y, "width": length,
                                      "height": bar_h, "fill": BAR}))
        body.append(_mark(figure, row, 0, cell, "".join(parts), name=text))
        y += bar_h + 10
    summary = _summary(figure, True)
    if first and len(figure.rows) > 1 and figure.rows[-1].cells and figure.rows[-1].cells[0].value is not None:
        last = figure.rows[-1]
        summary += " " + gettext("%(last)s: %(share)s of %(first)s.") % {
            "last": last.label, "share": _percent(last.cells[0].value / first * 100), "first": figure.rows[0].label}
    return _svg(figure, width, y, "".join(body), summary)


# --- columns and lines (time series) --------------------------------------------------------------

def _columns(figure: Figure) -> str:
    size = 13
    count = max(len(figure.rows), 1)
    slot = max(360.0 / count, 30.0)
    longest = max((len(row.label) for row in figure.rows), default=4)
    rotate = longest * size * CHAR > slot - 4
    label_h = (min(longest, 20) * size * CHAR * 0.71 + 14) if rotate else size * 1.6
    plot_top, plot_h = 8.0 + size * 1.4, 180.0
    left = label_h if rotate else 4.0  # rotated labels lean left from their column
    width = left + slot * count + 4
    values = [c.value for _, _, c in _cells(figure, True) if c.value is not None]
    top_value = max([v for v in values if v > 0], default=1)
    base = plot_top + plot_h
    body = []
    for i, row in enumerate(figure.rows):
        cell = row.cells[0] if row.cells else Cell(None)
        x = left + slot * i
        height = max(cell.value or 0, 0) / top_value * plot_h
        parts = [_tag("rect", {"class": "kb-chart__bar", "x": x + slot * 0.15, "y": base - height,
                               "width": slot * 0.7, "height": height, "fill": BAR}),
                 _text(x + slot / 2, base - height - 5, _shown(cell), size=size, anchor="middle",
                       cls="kb-chart__value")]
        body.append(_mark(figure, row, 0, cell, "".join(parts)))
        lx, ly = x + slot / 2, base + size * 1.3
        shown = _shorten(row.label, 20)
        if rotate:
            body.append(_text(lx, ly, shown, size=size, anchor="end", cls="kb-chart__label", full=row.label,
                              transform=f"rotate(-45 {_n(lx)} {_n(ly)})"))
        else:
            body.append(_text(lx, ly, shown, size=size, anchor="middle", cls="kb-chart__label", full=row.label))
    body.append(_tag("line", {"class": "kb-chart__axis", "x1": left, "y1": base + 0.5, "x2": left + slot * count,
                              "y2": base + 0.5, "stroke": INK}))
    return _svg(figure, width, base + label_h + 6, "".join(body), _summary(figure, True))


def _lines(figure: Figure) -> str:
    size = 13
    series = len(figure.columns)
    per_row = 1 if series <= 1 else 2
    width = 400.0
    panel_w, plot_h = width / per_row, 100.0 if per_row > 1 else 160.0
    panel_h = size * 1.5 + 18 + plot_h + size * 2.6
    values = [c.value for _, _, c in _cells(figure, False) if c.value is not None]
    top_value = max([v for v in values if v > 0], default=1)
    steps = max(len(figure.rows) - 1, 1)
    body = []
    for j, column in enumerate(figure.columns):
        px, py = panel_w * (j % per_row), panel_h * (j // per_row)
        inner_l, inner_r = px + 8, px + panel_w - 40  # room on the right for the latest value
        plot_top = py + size * 1.5 + 18
        base = plot_top + plot_h

        def point(i, value, inner_l=inner_l, inner_r=inner_r, base=base):
            return inner_l + (inner_r - inner_l) * i / steps, base - max(value, 0) / top_value * plot_h

        body.append(_text(px + 8, py + size * 1.2, _shorten(column, _fits("", panel_w - 16, size)), size=size,
                          cls="kb-chart__label", full=column, **{"font-weight": "bold"}))
        body.append(_tag("line", {"class": "kb-chart__axis", "x1": inner_l, "y1": base + 0.5, "x2": inner_r,
                                  "y2": base + 0.5, "stroke": MUTED}))
        # The shared scale: a dotted line at the largest value of all series, with the value.
        body.append(_tag("line", {"class": "kb-chart__grid", "x1": inner_l, "y1": plot_top + 0.5, "x2": inner_r,
                                  "y2": plot_top + 0.5, "stroke": MUTED, "stroke-dasharray": "2 3"}))
        body.append(_text(inner_l, plot_top - 4, _number(top_value), size=size, fill=MUTED, cls="kb-chart__label"))
        known = [(i, row.cells[j]) for i, row in enumerate(figure.rows)
                 if j < len(row.cells) and row.cells[j].value is not None]
        if len(known) > 1:
            points = " ".join(f"{_n(x)},{_n(y)}" for x, y in (point(i, c.value) for i, c in known))
            body.append(_tag("polyline", {"class": "kb-chart__line", "points": points, "fill": "none",
                                          "stroke": BAR, "stroke-width": 2}))
        last_known = known[-1][0] if known else None
        for i, row in enumerate(figure.rows):
            cell = row.cells[j] if j < len(row.cells) else Cell(None)
            x, y = point(i, cell.value or 0)
            if cell.value is None:
                parts = [_text(x, base - 4, "–", size=size, anchor="middle", cls="kb-chart__value")]
            else:
                parts = [_tag("circle", {"class": "kb-chart__point", "cx": x, "cy": y, "r": 4.0, "fill": BAR,
                                         "stroke": WHITE})]
                # One series: every value printed; small multiples: the latest only (the table has all).
                if per_row == 1:
                    parts.append(_text(x, y - 8, _shown(cell), size=size, anchor="middle", cls="kb-chart__value"))
                elif i == last_known:
                    parts.append(_text(x + 7, y + size * 0.35, _shown(cell), size=size, cls="kb-chart__value"))
            body.append(_mark(figure, row, j, cell, "".join(parts)))
        if figure.rows:
            first, last = figure.rows[0].label, figure.rows[-1].label
            body.append(_text(inner_l, base + size * 1.4, _shorten(first, 12), size=size, cls="kb-chart__label",
                              full=first))
            if len(figure.rows) > 1:
                body.append(_text(inner_r, base + size * 1.4, _shorten(last, 12), size=size, anchor="end",
                                  cls="kb-chart__label", full=last))
    rows_of_panels = max(math.ceil(series / per_row), 1)
    return _svg(figure, width, panel_h * rows_of_panels, "".join(body), _summary(figure, False))


WIDE_COLUMNS = 16  # a longer time series scrolls sideways rather than shrinking its numbers

DRAW = {"heatmap": _heatmap, "bars": _bars, "columns": _columns, "lines": _lines, "funnel": _funnel}


def render_chart(figure: Figure) -> SafeString:
    """The figure's chart: a container and one accessible <svg> (see the module docstring)."""
    if figure.chart not in DRAW:
        raise ValueError(f"Unknown chart kind {figure.chart!r} for figure {figure.key!r}; expected one of {KINDS}")
    svg = DRAW[figure.chart](figure)
    attrs = {"class": f"kb-chart kb-chart--{figure.chart}"}
    if figure.chart == "heatmap" or (figure.chart == "columns" and len(figure.rows) > WIDE_COLUMNS):
        # Wider than a phone: the container scrolls sideways, so it takes focus (keyboard scrolling)
        # and carries a name (axe: scrollable-region-focusable; a focusable region needs a label).
        attrs["class"] += " kb-chart--wide"
        attrs.update({"tabindex": "0", "role": "region",
                      "aria-label": gettext("%(title)s (chart, scrolls sideways)") % {"title": figure.title}})
    return mark_safe(_tag("div", attrs, svg))  # noqa: S308 — every label and value is escaped by _tag/_text
