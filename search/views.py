from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from wagtail.models import Locale

from practices.models import PracticePage, Region, Theme
from practices.models.pages import paginate

from .service import InvalidSearch, SearchRequest, clean_query, find_practices, selected_terms


@never_cache
def search(request):
    locale = Locale.get_active()
    context = {"query": request.GET.get("q", ""), "themes": Theme.objects.all(), "regions": Region.objects.all()}
    try:
        search_request = SearchRequest(
            locale=locale,
            query=clean_query(request.GET.get("q", "")),
            themes=request.GET.getlist("theme"),
            regions=request.GET.getlist("region"),
        )
    except InvalidSearch as error:
        context["error"] = str(error)
        return render(request, "search/search.html", context, status=400)
    results = find_practices(search_request)
    page = paginate(request, results)
    from django.db.models import prefetch_related_objects

    prefetch_related_objects(list(page.object_list), *PracticePage.CARD_PREFETCH)
    context.update(
        search_request=search_request,
        results=page,
        selected=selected_terms(search_request),
        page_title=_("Search"),
    )
    return render(request, "search/search.html", context)
