"""Optional error reporting to Sentry (or a compatible service), only when SENTRY_DSN is set.

Nothing personal leaves the server: no cookies, session, user or IP address (send_default_pii off),
no request bodies (the proposal form holds names and email addresses), no query strings (what a
visitor searched for), no local variables of the failing frames (they hold the same data), and
email addresses are masked in whatever text remains (exception messages, ERROR log lines).
What is sent: the exception, its stack (file, line, function), the method and path, the release,
the environment and the request id, which finds the request's log lines. Breadcrumbs (recent log
lines and SQL) are dropped too: a log line may name an email recipient; the logs themselves, found
by the request id, stay on our servers.
"""

import re
import subprocess
from pathlib import Path


def git_commit(directory: Path) -> str | None:
    """The checkout's commit, as the release, when the code is deployed as a git checkout."""
    try:
        result = subprocess.run(["git", "rev-parse", "HEAD"], cwd=directory, capture_output=True, text=True,
                                timeout=5, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.strip() or None


EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")


def _without_emails(value):
    """Every string of the event with email addresses masked: an error message or a log line
    (ERROR lines are reported too) may name a recipient."""
    if isinstance(value, str):
        return EMAIL.sub("[email]", value)
    if isinstance(value, dict):
        return {key: _without_emails(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_without_emails(item) for item in value]
    return value


def _without_personal_data(event, hint):
    request = event.get("request")
    if request:
        for key in ("cookies", "data", "query_string", "env"):
            request.pop(key, None)
        if "url" in request:
            request["url"] = request["url"].split("?", 1)[0]
    event.pop("breadcrumbs", None)
    from .logging import request_id

    if request_id.get():
        event.setdefault("tags", {})["request_id"] = request_id.get()
    return _without_emails(event)


def init_sentry(dsn: str, environment: str, release: str | None, traces_sample_rate: float):
    import sentry_sdk
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        integrations=[DjangoIntegration()],
        environment=environment,
        release=release,
        send_default_pii=False,
        max_request_body_size="never",
        include_local_variables=False,
        traces_sample_rate=traces_sample_rate,
        before_send=_without_personal_data,
    )
