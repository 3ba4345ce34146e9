"""Content-Security-Policy: a strict policy for the public site, a working one for Wagtail's admin.

django-csp's middleware sends ``CONTENT_SECURITY_POLICY`` (the strict public policy, kb/settings/base.py)
on every response; this subclass sends ``KB_ADMIN_CONTENT_SECURITY_POLICY`` instead under the admin's
URL prefixes, where Wagtail's own scripts and styles need more (see the comments in base.py).

A preview in the admin renders the public page through the middleware a second time, with a dummy
request to the page's public URL (``request.is_dummy``, wagtail/models/preview.py). That response keeps
the strict public policy — it is a public page — except that the admin may frame it. A view that sets
its own policy with django-csp's decorators keeps it.
"""

from csp.middleware import CSPMiddleware, PolicyParts
from csp.utils import default_config
from django.conf import settings


def uses_admin_policy(path: str) -> bool:
    return path.startswith(tuple(settings.KB_ADMIN_CSP_PREFIXES))


def preview_policy() -> dict:
    return {**settings.CONTENT_SECURITY_POLICY["DIRECTIVES"], "frame-ancestors": ["'self'"]}


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    def get_policy_parts(self, request, response, report_only=False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only=report_only)
        if report_only or parts.config is not None:
            return parts
        if getattr(request, "is_dummy", False):
            parts.config = default_config(preview_policy())
        elif uses_admin_policy(request.path_info):
            parts.config = default_config(settings.KB_ADMIN_CONTENT_SECURITY_POLICY["DIRECTIVES"])
        return parts
