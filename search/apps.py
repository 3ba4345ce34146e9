from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "search"
    label = "kb_search"

    def ready(self):
        from . import signals  # noqa: F401  (connects the index upkeep)
