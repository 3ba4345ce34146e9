"""Failed-login throttling for the admin: per account and per client address, shared by every process.

Failures are counted by the `user_login_failed` signal (whatever path called authenticate()), per
account (the user name as typed, case-insensitive; unknown names count too, so the answer never tells
whether an account exists) and per client address (kb/client_ip.py, IPv6 by /64). A successful login
resets its account's counter, not the address's (one valid account must not unlock guessing at others).

ThrottledLoginView replaces Wagtail's LoginView at /admin/login/ (kb/urls.py, the only login form: the
site has no django.contrib.admin). It checks the counters BEFORE the password: during a lockout even the
right password gets HTTP 429 with a Retry-After header and a message in the request's language (the
login page has no user yet, so LocaleMiddleware's cookie/Accept-Language choice).

When the shared cache is unreachable the form answers 503 (fail closed, kb/ratelimit.py): editors wait
for the operator instead of attackers guessing without limit. Editors already signed in are not affected.
"""

import math
import unicodedata

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from wagtail.admin.views.account import LoginView

from kb.client_ip import rate_limit_subject
from kb.ratelimit import RateLimit, RateLimitUnavailable

WINDOW_SECONDS = 15 * 60
ACCOUNT_FAILURES = RateLimit("login-account", limit=5, window=WINDOW_SECONDS, fail_open=False)
ADDRESS_FAILURES = RateLimit("login-address", limit=20, window=WINDOW_SECONDS, fail_open=False)
RETRY_WHEN_UNAVAILABLE_SECONDS = 60
TEMPLATE = "wagtailadmin/login_throttled.html"


def account_subject(username: str) -> str:
    return unicodedata.normalize("NFKC", username or "").strip().casefold()


def retry_after(request, username: str) -> int:
    """Seconds until this account and address may try again (0: now). Raises RateLimitUnavailable."""
    return max(ACCOUNT_FAILURES.retry_after(account_subject(username)),
               ADDRESS_FAILURES.retry_after(rate_limit_subject(request)))


@receiver(user_login_failed, dispatch_uid="kb.login_throttle.count_failure")
def count_failure(sender, credentials, request=None, **kwargs):
    username = credentials.get(get_user_model().USERNAME_FIELD, "")
    try:
        ACCOUNT_FAILURES.hit(account_subject(username))
        if request is not None:
            ADDRESS_FAILURES.hit(rate_limit_subject(request))
    except RateLimitUnavailable:
        pass  # logged by the limit; the visitor sees the wrong-password message this attempt earned


@receiver(user_logged_in, dispatch_uid="kb.login_throttle.reset_account")
def reset_account(sender, request, user, **kwargs):
    ACCOUNT_FAILURES.reset(account_subject(user.get_username()))


class ThrottledLoginView(LoginView):
    def post(self, request, *args, **kwargs):
        username = request.POST.get(get_user_model().USERNAME_FIELD, "")
        try:
            wait = retry_after(request, username)
        except RateLimitUnavailable:
            return self._refused(503, RETRY_WHEN_UNAVAILABLE_SECONDS, _(
                "Signing in is not possible right now because a service is unavailable. "
                "Please try again in a few minutes."))
        if wait:
            minutes = math.ceil(wait / 60)
            return self._refused(429, wait, ngettext(
                "Too many failed sign-in attempts. Please try again in %(minutes)d minute.",
                "Too many failed sign-in attempts. Please try again in %(minutes)d minutes.",
                minutes) % {"minutes": minutes})
        return super().post(request, *args, **kwargs)

    def _refused(self, status: int, retry_after_seconds: int, message: str):
        # An unbound form: rendering a bound one would validate it, and validating checks the password.
        form = self.get_form_class()(request=self.request,
                                     initial={"username": self.request.POST.get("username", "")})
        context = self.get_context_data(form=form, throttle_message=message)
        response = TemplateResponse(self.request, TEMPLATE, context, status=status)
        response["Retry-After"] = str(retry_after_seconds)
        return response
