"""The alert emails (confirmation, digest), in the subscription's language, with absolute links and the
one-click unsubscribe headers of RFC 8058. Sent through the durable queue (mailqueue/)."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from search.facets import FACETS, value_labels


def absolute(path: str) -> str:
    """A link for an email: the site's root URL (BASE_URL) and a path (as coordination/emails.py does)."""
    if path.startswith(("http://", "https://")):
        return path
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + path


def link(subscription, name: str) -> str:
    with translation.override(subscription.language):
        return absolute(reverse(name, args=(subscription.token,)))


def search_url(subscription) -> str:
    with translation.override(subscription.language):
        path = reverse("search")
    return absolute(path + (f"?{subscription.query}" if subscription.query else ""))


def describe(search_request, with_text: bool = True) -> list[str]:
    """The search in words for the email: the text and each filter with its labels."""
    lines = []
    if search_request.text:
        lines.append(_("Search words: %(text)s") % {"text": search_request.text} if with_text
                     else _("Search words: shown on the page the link opens"))
    for facet in FACETS:
        selected = search_request.selected(facet.name)
        if selected:
            labels = value_labels(facet, search_request.locale)
            lines.append(f"{facet.label}: {', '.join(labels.get(code, code) for code in selected)}")
    return lines or [_("All practices")]


def _message(subscription, subject: str, template: str, context: dict) -> EmailMultiAlternatives:
    unsubscribe = link(subscription, "alerts_unsubscribe")
    context = {**context, "subscription": subscription, "unsubscribe_url": unsubscribe,
               "search_url": search_url(subscription)}
    with translation.override(subscription.language):
        text = render_to_string(f"alerts/email/{template}.txt", context)
        html = render_to_string(f"alerts/email/{template}.html", context)
    message = EmailMultiAlternatives(" ".join(subject.split()), text, settings.DEFAULT_FROM_EMAIL,
                                     [subscription.email], headers={
                                         "List-Unsubscribe": f"<{unsubscribe}>",
                                         "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                                     })
    message.attach_alternative(html, "text/html")
    return message


def confirmation_message(subscription, search_request) -> EmailMultiAlternatives:
    """Only fixed text and the search's filters (labels from fixed lists), not the words typed: the
    form cannot be used to send a stranger a message of the visitor's choosing (as the proposal form)."""
    with translation.override(subscription.language):
        subject = _("KB: confirm your saved-search alert")
        context = {"confirm_url": link(subscription, "alerts_confirm"), "search_lines": describe(search_request, with_text=False),
                   "frequency": subscription.get_frequency_display()}
    return _message(subscription, subject, "confirmation", context)


def digest_message(subscription, search_request, items, more: bool) -> EmailMultiAlternatives:
    """``items``: dicts with title, summary, url, is_new, language."""
    with translation.override(subscription.language):
        subject = ngettext(
            "KB: %(count)d new or updated practice for your saved search",
            "KB: %(count)d new or updated practices for your saved search", len(items),
        ) % {"count": len(items)}
        context = {"items": items, "more": more, "search_lines": describe(search_request)}
    return _message(subscription, subject, "digest", context)
