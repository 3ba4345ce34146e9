"""Emails about proposals and reviews, each in its reader's language."""

import logging

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from wagtail.users.models import UserProfile

logger = logging.getLogger(__name__)
LANGUAGE_CODES = {code for code, _name in settings.LANGUAGES}


def admin_url(name, *args, query="") -> str:
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + reverse(name, args=args) + query


def user_languages(users) -> dict:
    """User id -> the language of their admin (Finnish unless they chose sv or en)."""
    languages = {}
    for profile in UserProfile.objects.filter(user__in=[user.pk for user in users]):
        code = (profile.preferred_language or "").split("-")[0]
        if code in LANGUAGE_CODES:
            languages[profile.user_id] = code
    return {user.pk: languages.get(user.pk, settings.LANGUAGE_CODE) for user in users}


def one_line(text: str) -> str:
    return " ".join(str(text).split())


def region_name(region) -> str:
    return region.label if region is not None else _("National")


def render_message(language, subject, template, context, to) -> EmailMessage:
    with translation.override(language):
        subject_text = one_line(subject() if callable(subject) else subject)
        body = render_to_string(template, context)
    return EmailMessage(subject_text, body, settings.DEFAULT_FROM_EMAIL, to)


def send_all(messages) -> int:
    """Send ``messages``; a mail server failure is logged, never shown to the visitor."""
    if not messages:
        return 0
    try:
        return get_connection().send_messages(messages) or 0
    except Exception:  # noqa: BLE001 - the proposal is stored; the coordinators see it in the admin
        logger.exception("Could not send %d email(s)", len(messages))
        return 0


def proposal_messages(proposal, coordinators) -> list[EmailMessage]:
    region = proposal.region_page.region
    themes = list(proposal.themes.all())
    target_groups = list(proposal.target_groups.all())
    context = {
        "proposal": proposal,
        "themes": themes,
        "target_groups": target_groups,
        "inspect_url": admin_url("proposals:inspect", proposal.pk),
        "listing_url": admin_url("proposals:index"),
    }
    messages = []
    languages = user_languages(coordinators)
    for user in coordinators:
        language = languages[user.pk]
        with translation.override(language):
            context["region_name"] = region_name(region)
        messages.append(render_message(
            language,
            lambda: _("New practice proposal for %(region)s: %(title)s") % {
                "region": region_name(region), "title": proposal.title,
            },
            "coordination/email/proposal_to_coordinator.txt",
            {**context, "user": user},
            [user.email],
        ))
    # The proposer, in the language of the form they filled in.
    with translation.override(proposal.language):
        confirmation_context = {**context, "region_name": region_name(region)}
    messages.append(render_message(
        proposal.language,
        lambda: _("We received your proposal: %(title)s") % {"title": proposal.title},
        "coordination/email/proposal_confirmation.txt",
        confirmation_context,
        [proposal.email],
    ))
    return messages


def reminder_message(user, language, region, practices) -> EmailMessage:
    with translation.override(language):
        name = region_name(region)
    code = region.code if region is not None else "national"
    context = {
        "user": user,
        "region_name": name,
        "practices": [
            {"page": page, "edit_url": admin_url("wagtailadmin_pages:edit", page.pk)} for page in practices
        ],
        "report_url": admin_url("coordination_stale_practices", query=f"?region={code}"),
    }
    return render_message(
        language,
        lambda: _("Practices due for review in %(region)s: %(count)s") % {"region": name, "count": len(practices)},
        "coordination/email/review_reminder.txt",
        context,
        [user.email],
    )
