"""The map of Finland's regions: a hexagon tile cartogram whose shading shows how many practices match.

One tile per region (maakunta), placed by its real position; see docs/map.md for the layout and
why. The counts are the region facet of a search (``SearchResult.facets["region"]``): the search
page passes its own result, the home page the empty search of its language (``home_map``).
"""

import math
import re
from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .facets import FACETS_BY_NAME, NATIONAL, value_labels
from .query import SearchRequest
from .service import search

# Statistics Finland region code -> (column, row) on a grid of pointy-top hexagons, row 0 in the
# north; odd rows are shifted half a tile to the east ("odd-r" offset coordinates).
TILES = {
    "19": (4, 0),  # Lappi / Lapland
    "16": (2, 1),  # Keski-Pohjanmaa / Central Ostrobothnia
    "17": (3, 1),  # Pohjois-Pohjanmaa / North Ostrobothnia
    "18": (4, 1),  # Kainuu
    "15": (1, 2),  # Pohjanmaa / Ostrobothnia
    "14": (2, 2),  # Etelä-Pohjanmaa / South Ostrobothnia
    "13": (3, 2),  # Keski-Suomi / Central Finland
    "11": (4, 2),  # Pohjois-Savo / North Savo
    "12": (5, 2),  # Pohjois-Karjala / North Karelia
    "04": (1, 3),  # Satakunta
    "06": (2, 3),  # Pirkanmaa
    "07": (3, 3),  # Päijät-Häme
    "10": (4, 3),  # Etelä-Savo / South Savo
    "02": (2, 4),  # Varsinais-Suomi / Southwest Finland
    "05": (3, 4),  # Kanta-Häme
    "08": (4, 4),  # Kymenlaakso
    "09": (5, 4),  # Etelä-Karjala / South Karelia
    "21": (0, 5),  # Ahvenanmaa / Åland, in the sea south-west of the mainland
    "01": (3, 5),  # Uusimaa, the south coast
}

TILE_WIDTH = 64  # SVG units between the centres of two neighbouring tiles in a row
RADIUS = TILE_WIDTH / math.sqrt(3)  # centre to corner
ROW_HEIGHT = 1.5 * RADIUS
GAP = 5  # between tiles, room for the focus and selection outlines
MARGIN = 6
CLASSES = 4  # shades for regions with practices; 0 practices has a shade of its own


def tile_centre(code: str) -> tuple[float, float]:
    """(x, y) of a region's tile in map units; x grows to the east, y to the south."""
    column, row = TILES[code]
    return column + 0.5 * (row % 2), row * 1.5 / math.sqrt(3)


def _hexagon(cx: float, cy: float) -> str:
    r = RADIUS - GAP / math.sqrt(3)
    corners = ((cx + r * math.cos(math.radians(a)), cy + r * math.sin(math.radians(a)))
               for a in (30, 90, 150, 210, 270, 330))
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in corners)


def short_name(label: str) -> str:
    """A tile's abbreviation: initials of a compound name ("Etelä-Karjala" -> "EK"), otherwise
    the first three letters ("Uusimaa" -> "UUS")."""
    parts = [part for part in re.split(r"[\s-]+", label) if part]
    if len(parts) > 1:
        return "".join(part[0] for part in parts).upper()
    return label[:3].upper()


def class_ranges(maximum: int) -> list[tuple[int, int]]:
    """(low, high) counts of the shades 1..n: 1..maximum split into at most CLASSES equal parts."""
    classes = min(CLASSES, maximum)
    if classes < 1:
        return []
    bounds = [round(maximum * step / classes) for step in range(classes + 1)]
    return [(bounds[i] + 1, bounds[i + 1]) for i in range(classes)]


def _shade(count: int, ranges) -> int:
    return next((index + 1 for index, (_low, high) in enumerate(ranges) if count <= high), 0) if count else 0


def describe(label: str, count: int, selected: bool, short: str = "") -> str:
    """A link's accessible name. A tile's name also holds its visible text ("UUS" and the count,
    in that order) so that speech-input users can say what they see (WCAG 2.5.3 Label in Name)."""
    if short:
        text = ngettext("%(name)s, %(short)s: %(count)s practice", "%(name)s, %(short)s: %(count)s practices",
                        count) % {"name": label, "short": short, "count": count}
    else:
        text = ngettext("%(name)s: %(count)s practice", "%(name)s: %(count)s practices", count) % {
            "name": label, "count": count}
    return _("%(description)s (selected)") % {"description": text} if selected else text


@dataclass
class MapRegion:
    code: str
    label: str
    short: str
    count: int
    selected: bool
    url: str
    shade: int
    description: str
    points: str  # the hexagon
    check: str  # the tick drawn on a selected region
    x: str  # centre, formatted for SVG (not localised: "12.5", never "12,5")
    y: str


def region_map(result, url_for) -> dict:
    """Template context of the map for a search result; ``url_for(code)`` is a region's link."""
    language = result.request.locale
    labels = value_labels(FACETS_BY_NAME["region"], language)
    buckets = {bucket.value: bucket for bucket in result.facets["region"]}
    selected = set(result.request.selected("region"))
    counts = {code: buckets[code].count if code in buckets else 0 for code in labels}
    ranges = class_ranges(max((counts[code] for code in TILES), default=0))
    layout = tile_layout()
    regions = []
    for code, (x, y) in layout["centres"].items():
        short = short_name(labels[code])
        regions.append(MapRegion(
            code=code, label=labels[code], short=short, count=counts[code],
            selected=code in selected, url=url_for(code), shade=_shade(counts[code], ranges),
            description=describe(labels[code], counts[code], code in selected, short),
            points=layout["hexagons"][code], check=f"M{x - 6:.1f} {y - 21:.1f}l4 4l8-8", x=f"{x:.1f}", y=f"{y:.1f}",
        ))
    national = {
        "label": labels[NATIONAL], "count": counts[NATIONAL], "selected": NATIONAL in selected,
        "url": url_for(NATIONAL), "description": describe(labels[NATIONAL], counts[NATIONAL], NATIONAL in selected),
    }
    return {
        "regions": regions,
        "national": national,
        "legend": [{"shade": 0, "low": 0, "high": 0}]
        + [{"shade": index + 1, "low": low, "high": high} for index, (low, high) in enumerate(ranges)],
        "width": layout["width"],
        "height": layout["height"],
    }


def tile_layout() -> dict:
    """Where each region's tile goes, in SVG units: ``centres`` (code -> (x, y), in code order),
    ``hexagons`` (code -> polygon points), and the drawing's ``width`` and ``height``."""
    centres = {code: tile_centre(code) for code in TILES}
    west = min(x for x, _y in centres.values())
    east = max(x for x, _y in centres.values())
    south = max(y for _x, y in centres.values())
    placed = {code: (MARGIN + TILE_WIDTH / 2 + TILE_WIDTH * (centres[code][0] - west),
                     MARGIN + RADIUS + TILE_WIDTH * centres[code][1]) for code in sorted(TILES)}
    return {
        "centres": placed,
        "hexagons": {code: _hexagon(x, y) for code, (x, y) in placed.items()},
        "width": round(2 * MARGIN + TILE_WIDTH * (1 + east - west)),
        "height": round(2 * MARGIN + 2 * RADIUS + TILE_WIDTH * south),
    }


def home_map(language: str) -> dict:
    """The map of the home page: every live practice of the language, each region linking to the
    search page filtered by it (the empty search: the same code path as the search page)."""
    search_url = reverse("search")
    # Counts only: Elasticsearch gets a short budget, then the database answers (search.service).
    return region_map(search(SearchRequest(locale=language, page_size=1), budget=settings.KB_ELASTICSEARCH_COUNTS_TIMEOUT),
                      lambda code: f"{search_url}?region={code}")
