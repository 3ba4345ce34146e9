"""A saved-search alert end to end through the real email queue to a real SMTP server (aiosmtpd) on
loopback: subscribe on the page, the confirmation arrives, its link confirms, a matching practice is
published, the digest command runs, the digest arrives with the practice, its unsubscribe link deletes
the subscription."""

import datetime
import re
from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client, TestCase
from django.utils import timezone

from alerts.models import Subscription
from mailqueue.models import OutgoingEmail
from tests.factories import make_practice

from .test_mailqueue import SmtpServer, use_email_url

pytestmark = pytest.mark.django_db
ADDRESS = "kotoutuminen@kunta.example"
LINK = re.compile(r"http://testserver(/fi/alerts/(?:confirm|unsubscribe)/[0-9]+-[0-9a-f]+/)")


@pytest.fixture
def smtp(settings):
    cache.clear()
    server = SmtpServer()
    server.start()
    use_email_url(settings, f"smtp://127.0.0.1:{server.port}")
    yield server
    server.stop()
    cache.clear()


def links(message) -> dict:
    text = message.get_body(("plain",)).get_content()
    return {path.split("/")[3]: path for path in LINK.findall(text)}


def test_subscribe_confirm_publish_digest_unsubscribe(smtp, client, uusimaa):
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post("/fi/alerts/subscribe/", {
            "email": ADDRESS, "frequency": "weekly", "search": "theme=language&region=01", "website": "",
        }, REMOTE_ADDR="10.0.0.5")
    assert response.status_code == 302

    [confirmation] = smtp.inbox.to(ADDRESS)
    assert confirmation["Subject"] == "KB: vahvista hakuvahti"
    assert confirmation["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert confirmation.get_body(("html",)) is not None
    confirm = links(confirmation)["confirm"]
    assert client.get(confirm).status_code == 200
    assert Subscription.objects.get().confirmed_at is None  # opening the link is not enough
    assert client.post(confirm).status_code == 200
    assert Subscription.objects.get().confirmed_at is not None

    page = make_practice(uusimaa, title="Kielipolku työpaikoille", themes=("language",))
    make_practice(uusimaa, title="Yrittäjyysklinikka", themes=("work",))  # another theme: not in the digest
    out = StringIO()
    moment = (timezone.now() + datetime.timedelta(days=7, minutes=1)).isoformat()
    with TestCase.captureOnCommitCallbacks(execute=True):
        call_command("send_search_alerts", "--now", moment, stdout=out)
    assert out.getvalue().startswith("1 digest(s) queued")

    digest = smtp.inbox.to(ADDRESS)[1]
    assert digest["Subject"] == "KB: 1 uusi tai päivitetty käytäntö hakuvahdissasi"
    text = digest.get_body(("plain",)).get_content()
    html = digest.get_body(("html",)).get_content()
    assert "Kielipolku työpaikoille (uusi)" in text and "Yrittäjyysklinikka" not in text
    assert f"http://testserver{page.url}" in text and f'href="http://testserver{page.url}"' in html
    unsubscribe = links(digest)["unsubscribe"]
    assert digest["List-Unsubscribe"].strip() == f"<http://testserver{unsubscribe}>"  # (folded: long)
    assert set(OutgoingEmail.objects.values_list("status", flat=True)) == {"sent"}

    # The mail client's one-click POST (RFC 8058): no cookies, no CSRF token.
    response = Client(enforce_csrf_checks=True).post(
        unsubscribe, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert not Subscription.objects.exists()
    assert client.get(unsubscribe).status_code == 404
