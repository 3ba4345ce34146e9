"""The public proposal form: anyone may propose a practice; nothing is published without review.

Spam resistance without third parties: a honeypot field (a filled one gets the thank-you page and
nothing is stored), a limit of accepted proposals per client address and hour (kb/ratelimit.py on the
shared cache, the address from kb/client_ip.py), and size limits on every field and on the whole request.
When the shared cache is down the limit is not enforced (logged for every proposal): see kb/ratelimit.py.
"""

import logging

from django.db import InterfaceError, OperationalError, transaction
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kb.client_ip import rate_limit_subject
from kb.database import RETRY_AFTER_SECONDS, database_unavailable
from kb.ratelimit import RateLimit
from search.query import ascii_int

from .emails import proposal_messages, send_all
from .forms import ProposalForm
from .models import Proposal
from .scope import coordinators_of

MAX_REQUEST_BYTES = 32 * 1024  # the form's fields at their maximum length fit in well under half of this
RATE_LIMIT = 5  # accepted proposals per IP address ...
RATE_WINDOW_SECONDS = 60 * 60  # ... per hour
PROPOSALS = RateLimit("proposals", RATE_LIMIT, RATE_WINDOW_SECONDS, fail_open=True)
logger = logging.getLogger(__name__)


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
        # Queued in the same transaction: the proposal and its emails are stored together or not at all.
        send_all(proposal_messages(proposal, list(coordinators_of(form.region_page.region))))
    return proposal


def _render(request, form, status=200, problem=None):
    return render(
        request,
        "coordination/propose.html",
        {"form": form, "problem": problem, "page_title": _("Propose a practice")},
        status=status,
    )


def too_large(request, max_bytes=MAX_REQUEST_BYTES) -> bool:
    length = ascii_int(request.META.get("CONTENT_LENGTH") or "0")
    return length is None or length > max_bytes


def submit_public_form(request, form, *, limit, store, render_form, success, texts):
    """The steps every public form takes with a POST whose size was checked: the rate limit per client
    address, the honeypot (a filled one gets ``success`` and nothing is stored), validation (400 with
    everything typed), then ``store(form)`` with a database that may be busy (503, everything typed).

    ``render_form(form, status, problem)`` renders the form page; ``success(stored)`` is the response
    once stored (``stored`` is None for the honeypot); ``texts`` has "too_many", "busy" (shown to the
    visitor) and "what" (for the log).
    """
    subject = rate_limit_subject(request)

    def too_many(retry_after):
        response = render_form(form, 429, texts["too_many"])
        response["Retry-After"] = str(retry_after or limit.window)
        return response

    if wait := limit.retry_after(subject):
        return too_many(wait)
    if form.honeypot_filled():
        limit.hit(subject)
        return success(None)
    if not form.is_valid():
        return render_form(form, 400, None)
    # Counted before storing, in one atomic step, so parallel requests in several processes cannot all
    # pass the check above; taken back below when nothing could be stored.
    if not limit.acquire(subject):
        return too_many(limit.retry_after(subject))
    try:
        stored = store(form)
    except (OperationalError, InterfaceError) as error:
        limit.release(subject)
        if not database_unavailable(error):
            raise
        # Nothing was stored (the transaction rolled back), so no email is sent and the attempt does
        # not count against the rate limit; the visitor gets the form back with everything typed.
        logger.exception("Could not store %s: the database is unavailable", texts["what"])
        response = render_form(form, 503, texts["busy"])
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return success(stored)


@require_http_methods(["GET", "POST"])
def propose(request):
    if request.method == "GET":
        return _render(request, ProposalForm())
    if too_large(request):
        return _render(request, ProposalForm(), status=413, problem=_(
            "Your proposal is too long to be sent. Please shorten the texts and try again."
        ))
    return submit_public_form(
        request, ProposalForm(request.POST), limit=PROPOSALS, store=_store,
        render_form=lambda form, status, problem: _render(request, form, status, problem),
        success=lambda proposal: redirect("proposal_thanks"),
        texts={
            "what": "a proposal",
            "too_many": _(
                "Many proposals have been sent from your network in the last hour. Your text is kept below: "
                "please try again in an hour, or send it to the coordinators of your region by email."
            ),
            "busy": _(
                "Your proposal could not be saved right now because the service is busy. Nothing you typed "
                "is lost: please send it again in a moment."
            ),
        },
    )


def thanks(request):
    return render(request, "coordination/propose_thanks.html", {"page_title": _("Thank you for your proposal")})
