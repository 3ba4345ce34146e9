"""The public "we use this too" form: anyone reports that their organisation took a practice up.

Nothing is shown before the coordinators of the adopting municipality's region approve it. Spam
resistance as the proposal form (coordination/views.py, submit_public_form): a honeypot, a limit of
reports per client address and hour, size limits on every field and on the whole request.
"""

from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from coordination.emails import send_all
from coordination.scope import coordinators_of
from coordination.views import submit_public_form, too_large
from kb.ratelimit import RateLimit
from practices.models import PracticePage
from search.query import ascii_int

from .emails import report_messages
from .forms import AdoptionForm

ADOPTIONS = RateLimit("adoptions", 5, 60 * 60, fail_open=True)  # accepted reports per client address and hour


def _practice(practice_id):
    """The live practice with this id, in any language (404 otherwise)."""
    fits = practice_id < 2**63  # larger ids overflow the database's integer
    practice = PracticePage.objects.live().filter(pk=practice_id).first() if fits else None
    if practice is None:
        raise Http404
    return practice


def _render(request, form, status=200, problem=None):
    return render(request, "adoptions/report.html", {
        "form": form, "problem": problem, "practice": form.practice.localized,
        "page_title": _("We use this too"),
    }, status=status)


def _store(form):
    with transaction.atomic():
        adoption = form.save()
        # Queued in the same transaction: the report and its emails are stored together or not at all.
        send_all(report_messages(adoption, list(coordinators_of(adoption.region))))
    return adoption


@require_http_methods(["GET", "POST"])
def report(request, practice_id):
    practice = _practice(practice_id)
    if request.method == "GET":
        return _render(request, AdoptionForm(practice=practice))
    if too_large(request):
        return _render(request, AdoptionForm(practice=practice), status=413, problem=_(
            "Your report is too long to be sent. Please shorten the texts and try again."
        ))
    thanks = reverse("adoption_thanks") + f"?practice={practice.pk}"
    return submit_public_form(
        request, AdoptionForm(request.POST, practice=practice), limit=ADOPTIONS, store=_store,
        render_form=lambda form, status, problem: _render(request, form, status, problem),
        success=lambda adoption: redirect(thanks),
        texts={
            "what": "an adoption report",
            "too_many": _(
                "Many reports have been sent from your network in the last hour. Your text is kept below: "
                "please try again in an hour."
            ),
            "busy": _(
                "Your report could not be saved right now because the service is busy. Nothing you typed "
                "is lost: please send it again in a moment."
            ),
        },
    )


def thanks(request):
    practice_id = ascii_int(request.GET.get("practice", ""))
    practice = PracticePage.objects.live().filter(pk=practice_id).first() if practice_id else None
    return render(request, "adoptions/thanks.html", {
        "practice": practice.localized if practice else None, "page_title": _("Thank you for your report"),
    })
