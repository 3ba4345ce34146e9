"""Search results as CSV or XLSX, the open data files and the page that describes them."""

import datetime
import logging
import os

from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date, quote_etag
from django.utils.translation import get_language, get_language_info, gettext_lazy, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_safe

from kb.client_ip import rate_limit_subject
from kb.ratelimit import RateLimit
from search.query import InvalidSearch, parse_request
from search.views import HTML_PAGE_SIZE

from . import dump, exports
from .tabular import table_response

logger = logging.getLogger(__name__)

# An export runs the whole search at once (up to EXPORT_LIMIT rows): heavier than a page of results.
EXPORT_RATE_LIMIT = 20
EXPORT_RATE_WINDOW_SECONDS = 600
EXPORTS = RateLimit("search_exports", EXPORT_RATE_LIMIT, EXPORT_RATE_WINDOW_SECONDS, fail_open=True)

FILE_TYPES = {
    ".jsonl": "application/jsonl; charset=utf-8",
    ".csv": "text/csv; charset=utf-8; header=present",
    ".json": "application/json",
}
SCHEMA_TYPE = "application/schema+json"
FILES_MAX_AGE = 300  # seconds a cache may reuse a file before asking again (with its ETag)


def _language() -> str:
    return (get_language() or "fi").split("-")[0]


def _problem(request, status: int, message: str) -> HttpResponse:
    return render(request, "opendata/export_problem.html", {
        "page_title": _("The export could not be made"), "problem": message,
        "search_url": reverse("search") + ("?" + request.GET.urlencode() if request.GET else ""),
    }, status=status)


@never_cache  # a download of the current search results: never kept by caches (Cache-Control: private, no-store)
@require_GET
def search_export(request, fmt):
    language = _language()
    try:
        search_request = _export_request(request, language)
    except InvalidSearch as error:
        return _problem(request, 400, error.message)
    subject = rate_limit_subject(request)
    if not EXPORTS.acquire(subject):
        wait = EXPORTS.retry_after(subject) or EXPORT_RATE_WINDOW_SECONDS
        minutes = -(-wait // 60)  # rounded up
        logger.warning("Search export refused: over %d exports in %d s from one address",
                       EXPORT_RATE_LIMIT, EXPORT_RATE_WINDOW_SECONDS)
        response = _problem(request, 429, ngettext(
            "Many exports have been downloaded from your network recently. Please try again in %(minutes)d minute.",
            "Many exports have been downloaded from your network recently. Please try again in %(minutes)d minutes.",
            minutes) % {"minutes": minutes})
        response["Retry-After"] = str(wait)
        return response
    try:
        result = exports.export_result(search_request)
    except exports.TooManyResults as error:
        return _problem(request, 400, _(
            "This search has %(total)d practices: an export holds at most %(limit)d. Please narrow the search "
            "with the filters and try again.") % {"total": error.total, "limit": exports.EXPORT_LIMIT})
    stem = f"kb-search-{timezone.localdate().isoformat()}"
    return table_response(fmt, stem, exports.header(), exports.rows(result, request.build_absolute_uri),
                          sheet_title=_("Practices"))


def _export_request(request, language):
    """The search page's parameters, read as the search page reads them; its page number is left out
    (the export has every result)."""
    params = request.GET.copy()
    params.pop("page", None)
    return parse_request(params, language, strict=False, fixed_page_size=HTML_PAGE_SIZE)


def _missing(name: str) -> HttpResponse:
    logger.warning("Open data file %s was requested but has not been generated: run `manage.py export_open_data`"
                   " (OPEN_DATA_ROOT=%s)", name, dump.root())
    return HttpResponse(_(
        "The open data files have not been generated yet. The site's operator generates them with the command "
        "`manage.py export_open_data`; please try again later."), status=404, content_type="text/plain; charset=utf-8")


def served_names() -> set[str]:
    return {name for language in dump.LANGUAGES for name in dump.file_names(language)} | {
        dump.SCHEMA_NAME, dump.METADATA_NAME}


@require_safe  # GET and HEAD: a client may ask for the headers (ETag, Last-Modified) alone
def open_data_file(request, name):
    """One file of the dump, with ETag and Last-Modified of the file actually opened (a regeneration
    replaces files by renaming, so the open file stays whole and its headers match it)."""
    if name not in served_names():
        raise Http404
    try:
        stream = open(dump.root() / name, "rb")  # FileResponse closes it
    except FileNotFoundError:
        return _missing(name)
    status = os.fstat(stream.fileno())
    etag = quote_etag(f"{status.st_size:x}-{status.st_mtime_ns:x}")
    last_modified = int(status.st_mtime)
    conditional = get_conditional_response(request, etag=etag, last_modified=last_modified)
    if conditional is not None:
        stream.close()
        response = conditional
    else:
        content_type = SCHEMA_TYPE if name == dump.SCHEMA_NAME else FILE_TYPES[os.path.splitext(name)[1]]
        response = FileResponse(stream, content_type=content_type)
        response["Content-Disposition"] = f'inline; filename="{name}"' if name.endswith(".json") else \
            f'attachment; filename="{name}"'
    response["ETag"] = etag
    response["Last-Modified"] = http_date(last_modified)
    response["Access-Control-Allow-Origin"] = "*"  # open data: any site's scripts may read it
    response["X-Content-Type-Options"] = "nosniff"
    response["Link"] = f'<{dump.LICENCE["url"]}>; rel="license"'
    patch_cache_control(response, public=True, max_age=FILES_MAX_AGE)
    return response


FIELD_GROUPS = (
    ("id, page_id", gettext_lazy("The practice's stable identifier (the same in every language and every "
                                 "update) and the id of the language version shown.")),
    ("language, text_language, untranslated", gettext_lazy(
        "The file's language, the language of the text, and whether the practice is shown in its original "
        "language because it has not been translated.")),
    ("title, summary, plain_summary, sections", gettext_lazy(
        "The description: title, summary, plain-language summary and the text sections as plain text.")),
    ("regions, is_national, municipalities", gettext_lazy(
        "Where it runs, with Statistics Finland codes and names.")),
    ("themes, target_groups, activity_forms, languages_offered, funding_sources", gettext_lazy(
        "The classifications, each value with its code and its name in the file's language.")),
    ("lead_organisation, partner_organisations", gettext_lazy("Who runs it: names and organisation types.")),
    ("status, evidence_level, evaluation_type, budget_band", gettext_lazy(
        "Status, evidence level, evaluation and budget, each with its code and name.")),
    ("start_date, end_date, is_permanent, last_reviewed, first_published_at, last_published_at", gettext_lazy(
        "Dates of the practice and of its description.")),
    ("url", gettext_lazy("The practice's page on KB.")),
    ("contacts", gettext_lazy("Contact details, only of the people who agreed to their publication.")),
    ("licence", gettext_lazy("The licence: CC-BY-4.0.")),
)


@require_GET
def open_data_page(request):
    language = _language()
    metadata = dump.read_metadata()
    downloads = []
    if metadata is not None:
        for code in dump.LANGUAGES:
            jsonl, csv = dump.file_names(code)
            downloads.append({"code": code, "name": str(get_language_info(code)["name_translated"]), "count": metadata.get("practices", {}).get(code),
                              "jsonl": reverse("open_data_file", args=(jsonl,)),
                              "csv": reverse("open_data_file", args=(csv,))})
    generated = None
    if metadata and metadata.get("generated_at"):
        try:
            generated = datetime.datetime.fromisoformat(metadata["generated_at"])
        except ValueError:
            logger.error("The open data metadata has an unreadable generated_at: %r", metadata["generated_at"])
    return render(request, "opendata/open_data.html", {
        "page_title": _("Open data"), "downloads": downloads, "generated": generated,
        "schema_url": reverse("open_data_file", args=(dump.SCHEMA_NAME,)),
        "metadata_url": reverse("open_data_file", args=(dump.METADATA_NAME,)),
        "licence": dump.LICENCE, "attribution": dump.attribution(language), "field_groups": FIELD_GROUPS,
    })
