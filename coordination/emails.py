"""Emails about proposals and reviews, each in its reader's language, sent through the queue (mailqueue/)."""

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from wagtail.users.models import UserProfile

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
    """Queue ``messages`` in the caller's transaction (mailqueue/): they are delivered when it commits,
    and retried until the mail server accepts them. An error storing them is raised, never hidden."""
    if not messages:
        return 0
    return get_connection().send_messages(messages)


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
    messages.append(confirmation_message(proposal))
    return messages


def confirmation_message(proposal) -> EmailMessage:
    """To the address typed into the public form, in the form's language. Only fixed text, the
    reference number and the region: nothing the visitor wrote, so the form cannot be used to send
    someone else a message of the visitor's choosing."""
    with translation.override(proposal.language):
        name = region_name(proposal.region_page.region)
    return render_message(
        proposal.language,
        lambda: _("KB: we received a practice proposal (reference %(reference)s)") % {"reference": proposal.pk},
        "coordination/email/proposal_confirmation.txt",
        {"reference": proposal.pk, "region_name": name},
        [proposal.email],
    )


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
