"""Subscribe (POST from the search page), confirm (a page, then POST: mail scanners follow links),
unsubscribe (a page, then POST; also RFC 8058 one-click POST from the mail client, without CSRF).

Spam resistance as the proposal form (coordination/views.py): a honeypot, subscriptions per client
address and confirmation emails per address limited (kb/ratelimit.py), a size limit on the request.
Every answer to a valid subscription is the same page, so nobody learns whether an address is subscribed.
"""

import logging

from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from kb.client_ip import rate_limit_subject
from kb.database import RETRY_AFTER_SECONDS, database_unavailable
from kb.ratelimit import RateLimit
from search.query import InvalidSearch, ascii_int, parse_request

from .emails import confirmation_message, describe, search_url
from .forms import SubscribeForm
from .models import UNCONFIRMED_DAYS, Subscription

logger = logging.getLogger(__name__)
MAX_REQUEST_BYTES = 8 * 1024
SUBSCRIPTIONS = RateLimit("alert-subscriptions", 10, 60 * 60, fail_open=True)  # per client address and hour
CONFIRMATIONS = RateLimit("alert-confirmations", 3, 24 * 60 * 60, fail_open=True)  # per email address and day


def _language() -> str:
    return (get_language() or "fi").split("-")[0]


def _render_form(request, form, status=200, problem=None):
    return render(request, "alerts/subscribe.html", {
        "form": form, "problem": problem, "page_title": _("Email me new practices like these"),
    }, status=status)


def _too_many(request, form, retry_after: int, problem: str):
    response = _render_form(request, form, status=429, problem=problem)
    response["Retry-After"] = str(retry_after)
    return response


def _network_limit() -> str:
    return _("Many alerts have been ordered from your network in the last hour. Please try again in an hour.")


def _address_key(email: str) -> str:
    return email.strip().lower()


@never_cache
@require_http_methods(["GET", "POST"])
def subscribe(request):
    language = _language()
    if request.method == "GET":  # the form alone, for the search in the address (e.g. after an error)
        return _render_form(request, SubscribeForm(language=language, initial={
            "search": request.GET.urlencode()}))
    length = ascii_int(request.META.get("CONTENT_LENGTH") or "0")
    if length is None or length > MAX_REQUEST_BYTES:
        return _render_form(request, SubscribeForm(language=language), status=413,
                            problem=_("The request is too large. Go back to the search and try again."))
    form = SubscribeForm(request.POST, language=language)
    client = rate_limit_subject(request)
    if wait := SUBSCRIPTIONS.retry_after(client):
        return _too_many(request, form, wait, _network_limit())
    if form.honeypot_filled():
        SUBSCRIPTIONS.hit(client)
        return redirect("alerts_subscribed")
    if not form.is_valid():
        return _render_form(request, form, status=400)
    if not SUBSCRIPTIONS.acquire(client):
        return _too_many(request, form, SUBSCRIPTIONS.retry_after(client), _network_limit())
    address = _address_key(form.cleaned_data["email"])
    if not CONFIRMATIONS.acquire(address):
        # Says only that emails were sent to the address lately, not whether it is subscribed.
        return _too_many(request, form, CONFIRMATIONS.retry_after(address), _(
            "Several confirmation emails have already been sent to this address today. Please look for "
            "them in your inbox (and spam folder), or try again tomorrow."))
    try:
        _store(form.cleaned_data, language)
    except (OperationalError, InterfaceError) as error:
        SUBSCRIPTIONS.release(client)
        CONFIRMATIONS.release(address)
        if not database_unavailable(error):
            raise
        # Nothing was stored and no email queued (rolled back): the form comes back as typed.
        logger.exception("Could not store a saved-search alert: the database is unavailable")
        response = _render_form(request, form, status=503, problem=_(
            "Your alert could not be saved right now because the service is busy. Please send the form again "
            "in a moment."))
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return redirect("alerts_subscribed")


def _store(data, language):
    """One subscription per address and search: asking again re-sends the confirmation. A confirmed
    subscription is left as it is (nobody can change another person's alert without its links)."""
    search_request = parse_request(QueryDict(data["search"]), language, strict=True)
    for _attempt in range(2):  # two identical requests at once: the second finds the first's row
        try:
            with transaction.atomic():
                subscription = Subscription.objects.select_for_update().filter(
                    email__iexact=data["email"], query=data["search"]).first()
                if subscription is None:
                    subscription = Subscription.objects.create(
                        email=data["email"], language=language, query=data["search"], frequency=data["frequency"])
                elif subscription.confirmed_at is None:
                    subscription.language, subscription.frequency = language, data["frequency"]
                    subscription.save(update_fields=["language", "frequency"])
                # Queued in the same transaction: the subscription and its email are stored together.
                confirmation_message(subscription, search_request).send()
            return
        except IntegrityError:
            continue
    raise RuntimeError("could not store a subscription")


@never_cache
def subscribed(request):
    return render(request, "alerts/subscribed.html", {"page_title": _("Check your email")})


def _invalid_link(request):
    return render(request, "alerts/invalid_link.html", {"page_title": _("This link is no longer valid")},
                  status=404)


def _valid(subscription) -> bool:
    if subscription is None:
        return False
    expired = timezone.now() - subscription.created_at > timezone.timedelta(days=UNCONFIRMED_DAYS)
    return subscription.confirmed_at is not None or not expired


def _search_context(subscription):
    try:
        search_request = parse_request(QueryDict(subscription.query), subscription.language, strict=True)
    except InvalidSearch:  # a filter value removed since: the page still lets the visitor unsubscribe
        return {"search_lines": [], "search_url": search_url(subscription)}
    return {"search_lines": describe(search_request), "search_url": search_url(subscription)}


@never_cache
@require_http_methods(["GET", "POST"])
def confirm(request, token):
    subscription = Subscription.from_token(token)
    if not _valid(subscription):
        return _invalid_link(request)
    if request.method == "POST":
        with transaction.atomic():
            subscription = Subscription.objects.select_for_update().get(pk=subscription.pk)
            if subscription.confirmed_at is None:
                subscription.confirmed_at = subscription.watermark = timezone.now()
                subscription.save(update_fields=["confirmed_at", "watermark"])
        return render(request, "alerts/confirmed.html", {
            "page_title": _("Your alert is on"), "subscription": subscription, **_search_context(subscription)})
    return render(request, "alerts/confirm.html", {
        "page_title": _("Confirm your alert"), "subscription": subscription, **_search_context(subscription)})


@csrf_exempt  # RFC 8058: mail clients POST here without cookies; the token in the address is the credential
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    subscription = Subscription.from_token(token)
    if subscription is None:
        return _invalid_link(request)
    if request.method == "POST":
        logger.info("Search alert %s unsubscribed", subscription.pk)
        subscription.delete()
        return render(request, "alerts/unsubscribed.html", {"page_title": _("You have unsubscribed")})
    return render(request, "alerts/unsubscribe.html", {
        "page_title": _("Unsubscribe from this alert"), "subscription": subscription,
        **_search_context(subscription)})
