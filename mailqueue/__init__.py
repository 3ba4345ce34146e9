"""The durable email queue: every email KB sends is a row first (docs/email.md)."""


def backlog() -> dict:
    """``{"pending": int, "failed": int, "oldest_pending_seconds": float}`` for health checks."""
    from .delivery import backlog as queue_backlog

    return queue_backlog()
