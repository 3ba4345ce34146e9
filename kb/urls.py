from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from kb.login_throttle import ThrottledLoginView
from operations import health
from search import views as search_views

urlpatterns = [
    # Probes: no language prefix, no trailing slash, no HTTPS redirect (SECURE_REDIRECT_EXEMPT).
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("api/v1/search/", search_views.search_api, name="search_api"),
    path("api/v1/autocomplete/", search_views.autocomplete_api, name="autocomplete_api"),
    path("api/v1/openapi.json", search_views.openapi_schema, name="openapi_schema"),
    # Wagtail's sign-in form with failed-login throttling (kb/login_throttle.py), ahead of Wagtail's own.
    # The open data files: one address for every language (the files carry their language).
    path("open-data/", include("opendata.file_urls")),
    path("admin/login/", ThrottledLoginView.as_view(), name="wagtailadmin_login"),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# Every public URL carries its language: /fi/…, /sv/…, /en/…; "/" redirects by the browser's preference.
urlpatterns += i18n_patterns(
    path("search/", search_views.search_page, name="search"),
    path("", include("insights.urls")),
    path("", include("opendata.urls")),
    path("", include("feeds.urls")),
    path("", include("alerts.urls")),
    path("", include("coordination.urls")),
    path("", include("adoptions.urls")),
    path("", include(wagtail_urls)),
    prefix_default_language=True,
)
