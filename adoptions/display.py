"""What a public page shows of adoptions: the approved ones of a practice with a small map, and the
practices taken up in a region."""

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from practices.models import PracticePage
from search.map import short_name, tile_layout

from .models import Adoption


def practice_adoptions(page) -> list[Adoption]:
    """The approved adoptions of ``page`` (reported in any of its languages), most recent start first."""
    return list(
        Adoption.objects.approved().of_practice(page).select_related("region")
        .order_by("-since_year", "-since_month", "organisation_name", "pk")
    )


def adoption_map(adoptions, origin_region=None) -> dict:
    """A small map of the regions: how many adoptions each has, and the region the practice comes from.
    An image with a text alternative; the list next to it carries the same facts."""
    from search.facets import FACETS_BY_NAME, value_labels  # search imports the practice models

    labels = value_labels(FACETS_BY_NAME["region"], (get_language() or "fi").split("-")[0])
    counts = {}
    for adoption in adoptions:
        counts[adoption.region.code] = counts.get(adoption.region.code, 0) + 1
    origin = origin_region.code if origin_region is not None else None
    layout = tile_layout()
    tiles = [{
        "code": code, "short": short_name(labels.get(code, code)), "count": counts.get(code, 0),
        "origin": code == origin, "points": layout["hexagons"][code], "x": f"{x:.1f}", "y": f"{y:.1f}",
    } for code, (x, y) in layout["centres"].items()]
    named = [f"{labels.get(code, code)} ({count})" for code, count in sorted(counts.items(),
                                                                          key=lambda item: labels.get(item[0], ""))]
    description = _("Map of Finland's regions. Adopted in: %(regions)s.") % {"regions": ", ".join(named)}
    if origin is not None:
        description += " " + _("The practice comes from %(region)s.") % {"region": labels.get(origin, origin)}
    return {"tiles": tiles, "width": layout["width"], "height": layout["height"], "description": description}


def adoption_context(page) -> dict:
    adoptions = practice_adoptions(page)
    region_page = page.get_parent().specific
    return {
        "adoptions": adoptions,
        "adoption_map": adoption_map(adoptions, getattr(region_page, "region", None)) if adoptions else None,
    }


def adopted_in_region(region, locale_id, limit=20) -> list[dict]:
    """Practices taken up in ``region`` (approved adoptions), each once: the live version in the
    page's language if there is one, else in another language; with the adopting organisations."""
    adoptions = list(
        Adoption.objects.approved().filter(region=region).select_related("practice")
        .order_by("-since_year", "-since_month", "pk")
    )
    if not adoptions:
        return []
    keys = {adoption.practice.translation_key for adoption in adoptions}
    pages = PracticePage.objects.live().filter(translation_key__in=keys).select_related("locale")
    best = {}
    for candidate in sorted(pages, key=lambda p: (p.locale_id != locale_id, p.pk)):
        best.setdefault(candidate.translation_key, candidate)
    found = {}
    for adoption in adoptions:
        practice = best.get(adoption.practice.translation_key)
        if practice is None:
            continue
        entry = found.setdefault(practice.pk, {"practice": practice, "adoptions": []})
        entry["adoptions"].append(adoption)
    return list(found.values())[:limit]
