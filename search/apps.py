from django.apps import AppConfig
from django.core.signals import request_finished


class SearchConfig(AppConfig):
    name = "search"
    label = "kb_search"

    def ready(self):
        from . import signals  # noqa: F401  (connects the index upkeep)
        from .changelog import drain_from_request

        request_finished.connect(drain_from_request, dispatch_uid="kb-search-drain-from-request")
