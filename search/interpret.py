"""How a search request is read before it is run: municipality names typed in the text become the
municipality filter, ``neighbours=1`` widens the place filters, and with nothing found the wider
searches worth offering. The page, the API and the benchmarks get the same reading (search.service).
"""

from dataclasses import dataclass, replace

from .places import municipalities, recognise, region_of, widened_regions
from .query import SearchRequest

PLACE_FACETS = ("region", "municipality")
MAX_ALTERNATIVES = 3  # links offered when nothing was found


def _with(request: SearchRequest, **selections) -> dict:
    """The request's selections with some facets replaced (an empty tuple removes one)."""
    chosen = {**request.selections, **selections}
    return {name: values for name, values in chosen.items() if values}


def interpret(request: SearchRequest):
    """(request, recognised): the municipalities named in the text moved to the municipality filter
    and marked as ``places``; recognised is None when nothing was (or literal=1)."""
    if request.literal or not request.text:
        return request, None
    recognised = recognise(request.locale, request.text)
    if recognised is None:
        return request, None
    municipality = tuple(dict.fromkeys(request.selected("municipality") + recognised.codes))
    places = tuple(dict.fromkeys(request.places + recognised.codes))
    return replace(request, text=recognised.text, selections=_with(request, municipality=municipality),
                   places=places), recognised


def widen(request: SearchRequest):
    """(request to run, regions added): with neighbours=1 every selected region, and the region of
    every selected municipality instead of the municipality, plus their neighbouring regions."""
    regions = request.selected("region")
    chosen = regions + tuple(region_of(code) for code in request.selected("municipality"))
    if not request.neighbours or not chosen:
        return request, []
    widened = tuple(widened_regions(chosen))
    added = [code for code in widened if code not in regions]
    return replace(request, selections=_with(request, region=widened, municipality=())), added


def selected_places(request: SearchRequest) -> tuple[str, ...]:
    """The recognised municipalities still selected (a removed filter takes its reading with it)."""
    return tuple(code for code in request.places if code in request.selected("municipality"))


def literal_request(request: SearchRequest) -> SearchRequest:
    """The search as typed: recognised municipality names back in the text, their filter removed."""
    places = selected_places(request)
    names = " ".join(municipalities()[code].name(request.locale) for code in places)
    municipality = tuple(code for code in request.selected("municipality") if code not in places)
    return replace(request, text=f"{request.text} {names}".strip(), places=(), literal=True,
                   selections=_with(request, municipality=municipality), page=1)


@dataclass
class Alternative:
    kind: str  # "region", "neighbours", "finland" or "literal"
    request: SearchRequest
    regions: tuple[str, ...] = ()  # the regions it searches ("neighbours": and their neighbours)
    count: int = 0


def alternatives(request: SearchRequest) -> list[Alternative]:
    """Wider searches worth trying when ``request`` found nothing, most specific first."""
    municipality, regions = request.selected("municipality"), request.selected("region")
    own = tuple(dict.fromkeys(regions + tuple(region_of(code) for code in municipality)))
    candidates = []
    first = replace(request, page=1, page_size=1)
    if municipality and not request.neighbours:
        candidates.append(Alternative("region", replace(first, places=(), selections=_with(
            request, region=own, municipality=())), regions=own))
    if own and not request.neighbours:
        candidates.append(Alternative("neighbours", replace(first, neighbours=True), regions=own))
    if municipality or regions:
        candidates.append(Alternative("finland", replace(first, neighbours=False, places=(), selections=_with(
            request, region=(), municipality=()))))
    if selected_places(request):
        candidates.append(Alternative("literal", replace(literal_request(request), page_size=1)))
    return candidates
