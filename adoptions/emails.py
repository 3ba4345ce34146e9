"""Emails about adoption reports, each in its reader's language, queued in the caller's transaction
(coordination/emails.py has the shared pieces)."""

from django.core.mail import EmailMessage
from django.utils import translation
from django.utils.translation import gettext as _

from coordination.emails import admin_url, region_name, render_message, user_languages


def _to_each(users, subject, template, context) -> list[EmailMessage]:
    """One message per user in their admin language; ``subject`` is called in that language."""
    languages = user_languages(users)
    messages = []
    for user in users:
        language = languages[user.pk]
        with translation.override(language):
            localized = {**context, "user": user, "region_name": region_name(context["region"])}
        messages.append(render_message(language, subject, template, localized, [user.email]))
    return messages


def report_messages(adoption, coordinators) -> list[EmailMessage]:
    """To the coordinators of the adopting municipality's region, and a confirmation to the contact."""
    context = {
        "adoption": adoption, "region": adoption.region,
        "inspect_url": admin_url("adoptions:inspect", adoption.pk),
    }
    messages = _to_each(
        coordinators,
        lambda: _("New adoption report for %(region)s: %(practice)s") % {
            "region": region_name(adoption.region), "practice": adoption.practice.title,
        },
        "adoptions/email/report_to_coordinator.txt",
        context,
    )
    if adoption.contact_email:
        messages.append(confirmation_message(adoption))
    return messages


def confirmation_message(adoption) -> EmailMessage:
    """To the address typed into the public form, in the form's language. Fixed text and the reference
    number only: nothing the visitor wrote, so the form cannot send someone a message of their choosing."""
    return render_message(
        adoption.language,
        lambda: _("KB: we received your adoption report (reference %(reference)s)") % {"reference": adoption.pk},
        "adoptions/email/report_confirmation.txt",
        {"reference": adoption.pk},
        [adoption.contact_email],
    )


def approval_messages(adoption, coordinators, practice_region) -> list[EmailMessage]:
    """To the coordinators of the practice's own region: their practice was taken up elsewhere."""
    return _to_each(
        coordinators,
        lambda: _("Your practice was taken up in %(municipality)s: %(practice)s") % {
            "municipality": adoption.municipality_name, "practice": adoption.practice.title,
        },
        "adoptions/email/approved_to_practice_coordinator.txt",
        {"adoption": adoption, "region": practice_region,
         "practice_url": admin_url("wagtailadmin_pages:edit", adoption.practice_id)},
    )
