"""Pushing queued translation groups to Elasticsearch; a no-op without Elasticsearch."""

from django.conf import settings


def sync_pending(limit: int = 500) -> int:
    """Send up to ``limit`` queued groups; returns how many were sent. Never raises for a down cluster."""
    if not getattr(settings, "KB_ELASTICSEARCH_URL", ""):
        return 0
    from .backends.elasticsearch import ElasticsearchBackend

    return ElasticsearchBackend.from_settings().sync_queue(limit)


def rebuild_engine(progress=None):
    """Rebuild the Elasticsearch indexes (new index, alias swap); None without Elasticsearch."""
    if not getattr(settings, "KB_ELASTICSEARCH_URL", ""):
        return None
    from .backends.elasticsearch import ElasticsearchBackend

    return ElasticsearchBackend.from_settings().rebuild(progress)
