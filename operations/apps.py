from django.apps import AppConfig


class OperationsConfig(AppConfig):
    """Running KB as a service: health checks, logs, backups and the site's bootstrap."""

    name = "operations"
