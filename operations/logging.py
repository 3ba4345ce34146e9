"""Log records as JSON lines (production) or readable text (development), each with the request id.

Standard library only and no Django import, so the settings and gunicorn's config file can use it
before Django is set up:

- ``logging_config(fmt, level)`` is the LOGGING dict for Django's settings, ``configure`` its
  LOGGING_CONFIG;
- ``gunicorn_logconfig(fmt, level)`` is a ``logconfig_dict`` that gives gunicorn's own error log
  the same format;
- ``request_id`` is the context variable that ``operations.middleware.RequestIdMiddleware`` sets
  for the duration of a request, so every record logged while it runs carries its id.
"""

import contextvars
import json
import logging
import logging.config
from datetime import UTC, datetime

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")

FORMATS = ("json", "text")
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# Request fields the access log passes as ``extra``; nothing else of a record's extras is written,
# so an object handed to a logger (Django passes the request itself) cannot leak into the log.
REQUEST_FIELDS = ("method", "path", "status", "duration_ms")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


class RequestIdFilter(logging.Filter):
    """Stamps the current request id ("-" outside a request) on every record, for both formats."""

    def filter(self, record):
        if not getattr(record, "request_id", None):
            record.request_id = request_id.get() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line."""

    def format(self, record):
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace(
                "+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        current = getattr(record, "request_id", None) or request_id.get()
        if current and current != "-":
            entry["request_id"] = current
        for name in REQUEST_FIELDS:
            if hasattr(record, name):
                entry[name] = getattr(record, name)
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exc_info"] = record.exc_text
        if record.stack_info:
            entry["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure(config: dict):
    """LOGGING_CONFIG: Django's dictConfig, plus Python's warnings as log records ("py.warnings"),
    so they too are JSON lines with the request id instead of raw text on stderr."""
    logging.config.dictConfig(config)
    logging.captureWarnings(True)


def _formatters() -> dict:
    return {
        "json": {"()": "operations.logging.JsonFormatter"},
        "text": {"format": TEXT_FORMAT},
    }


def logging_config(fmt: str, level: str) -> dict:
    """Django's LOGGING: everything to stderr in ``fmt`` from ``level`` up.

    The Elasticsearch client logs every HTTP request at INFO (with the cluster's address): only its
    warnings are kept. Django's "django.server" logger (runserver's own access log) keeps its handler.
    """
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "operations.logging.RequestIdFilter"}},
        "formatters": _formatters(),
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": fmt, "filters": ["request_id"]},
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Django's own handlers (console when DEBUG, mail_admins) would print records twice.
            "django": {"handlers": [], "propagate": True},
            "elastic_transport": {"level": "WARNING"},
        },
    }


def gunicorn_logconfig(fmt: str, level: str) -> dict:
    """gunicorn's ``logconfig_dict``: its error log (worker starts, timeouts, crashes) in ``fmt``.

    gunicorn's access log is left off: the application logs one line per request itself, with the
    request id (operations.middleware).
    """
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "operations.logging.RequestIdFilter"}},
        "formatters": _formatters(),
        "handlers": {
            "error_console": {"class": "logging.StreamHandler", "formatter": fmt, "filters": ["request_id"],
                              "stream": "ext://sys.stderr"},
        },
        "root": {"handlers": ["error_console"], "level": level},
        "loggers": {
            "gunicorn.error": {"handlers": ["error_console"], "level": level, "propagate": False},
            "gunicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False},
        },
    }
