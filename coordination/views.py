"""The public proposal form: anyone may propose a practice; nothing is published without review.

Spam resistance without third parties: a honeypot field (a filled one gets the thank-you page and
nothing is stored), a limit of accepted proposals per IP address and hour (Django's cache), and
size limits on every field and on the whole request.
"""

import hashlib
import logging

from django.core.cache import cache
from django.db import InterfaceError, OperationalError, transaction
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from search.query import ascii_int

from .emails import proposal_messages, send_all
from .forms import ProposalForm
from .models import Proposal
from .scope import coordinators_of

MAX_REQUEST_BYTES = 32 * 1024  # the form's fields at their maximum length fit in well under half of this
RATE_LIMIT = 5  # accepted proposals per IP address ...
RATE_WINDOW_SECONDS = 60 * 60  # ... per hour
RETRY_AFTER_SECONDS = 30  # when the database cannot store a proposal (busy, locked, unreachable)
# SQLite reports programming errors ("no such table") as OperationalError too: only these mean "busy".
SQLITE_UNAVAILABLE = ("SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_IOERR", "SQLITE_FULL", "SQLITE_CANTOPEN",
                      "SQLITE_READONLY", "SQLITE_PROTOCOL")

logger = logging.getLogger(__name__)


def _rate_key(request) -> str:
    address = request.META.get("REMOTE_ADDR", "")
    return "coordination:proposals:" + hashlib.sha256(address.encode()).hexdigest()


def _rate_limited(request) -> bool:
    return cache.get(_rate_key(request), 0) >= RATE_LIMIT


def _count_submission(request) -> None:
    key = _rate_key(request)
    if cache.add(key, 1, RATE_WINDOW_SECONDS):
        return
    try:
        cache.incr(key)
    except ValueError:  # expired in between
        cache.add(key, 1, RATE_WINDOW_SECONDS)


def _unavailable(error) -> bool:
    """Whether a database error means "try again in a moment" (locked, busy, connection lost), not a bug."""
    if isinstance(error, InterfaceError):
        return True
    if not isinstance(error, OperationalError):
        return False
    sqlite_name = getattr(error.__cause__, "sqlite_errorname", None)
    return sqlite_name is None or sqlite_name.startswith(SQLITE_UNAVAILABLE)


def _store(form) -> Proposal:
    data = form.cleaned_data
    with transaction.atomic():
        proposal = Proposal.objects.create(
            title=data["title"],
            summary=data["summary"],
            problem=data["problem"],
            how_it_works=data["how_it_works"],
            region_page=form.region_page,
            organisation_name=data["organisation_name"],
            proposer_name=data["proposer_name"],
            email=data["email"],
            phone=data["phone"],
            consent_to_contact=data["consent_to_contact"],
            language=(get_language() or "fi").split("-")[0],
        )
        proposal.themes.set(data["themes"])
        proposal.target_groups.set(data["target_groups"])
    return proposal


def _render(request, form, status=200, problem=None):
    return render(
        request,
        "coordination/propose.html",
        {"form": form, "problem": problem, "page_title": _("Propose a practice")},
        status=status,
    )


def _too_large(request) -> bool:
    length = ascii_int(request.META.get("CONTENT_LENGTH") or "0")
    return length is None or length > MAX_REQUEST_BYTES


@require_http_methods(["GET", "POST"])
def propose(request):
    if request.method == "GET":
        return _render(request, ProposalForm())
    if _too_large(request):
        return _render(request, ProposalForm(), status=413, problem=_(
            "Your proposal is too long to be sent. Please shorten the texts and try again."
        ))
    form = ProposalForm(request.POST)
    if _rate_limited(request):
        return _render(request, form, status=429, problem=_(
            "Many proposals have been sent from your network in the last hour. Your text is kept below: "
            "please try again in an hour, or send it to the coordinators of your region by email."
        ))
    if form.honeypot_filled():
        _count_submission(request)
        return redirect("proposal_thanks")
    if not form.is_valid():
        return _render(request, form, status=400)

    try:
        proposal = _store(form)
    except (OperationalError, InterfaceError) as error:
        if not _unavailable(error):
            raise
        # Nothing was stored (the transaction rolled back), so no email is sent and the attempt does
        # not count against the rate limit; the visitor gets the form back with everything typed.
        logger.exception("Could not store a proposal: the database is unavailable")
        response = _render(request, form, status=503, problem=_(
            "Your proposal could not be saved right now because the service is busy. Nothing you typed "
            "is lost: please send it again in a moment."
        ))
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    _count_submission(request)
    coordinators = list(coordinators_of(form.region_page.region))
    send_all(proposal_messages(proposal, coordinators))
    return redirect("proposal_thanks")


def thanks(request):
    return render(request, "coordination/propose_thanks.html", {"page_title": _("Thank you for your proposal")})
