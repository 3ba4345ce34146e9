"""Saved-search alerts (alerts app): the form on the search page, double opt-in, rate limits, the digest
and its watermark, pruning, unsubscribing (also RFC 8058 one-click), in fi, sv and en."""

import datetime
import re
from io import StringIO
from urllib.parse import urlencode

import pytest
from django.core import mail
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.test import Client, TestCase
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alerts import digest
from alerts.models import Subscription
from alerts.views import CONFIRMATIONS, SUBSCRIPTIONS
from kb.database import RETRY_AFTER_SECONDS
from search.models import IndexChange
from tests.factories import make_practice
from tests.test_proposals import send_while_busy

pytestmark = pytest.mark.django_db

ADDRESS = "liisa@kunta.example"
SEARCH = "region=01&theme=language"
CONFIRM_LINK = re.compile(r"http://testserver/(fi|sv|en)/alerts/confirm/([0-9]+-[0-9a-f]+)/")
UNSUBSCRIBE_LINK = re.compile(r"http://testserver/(fi|sv|en)/alerts/unsubscribe/([0-9]+-[0-9a-f]+)/")
SUBJECTS = {
    "fi": "KB: vahvista hakuvahti",
    "sv": "KB: bekräfta din sökbevakning",
    "en": "KB: confirm your saved-search alert",
}


@pytest.fixture(autouse=True)
def clear_rate_limits():
    cache.clear()
    yield
    cache.clear()


def subscribe(client, email=ADDRESS, search=SEARCH, language="fi", frequency="weekly", address="10.0.0.1",
              **extra):
    data = {"email": email, "frequency": frequency, "search": search, "website": "", **extra}
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(f"/{language}/alerts/subscribe/", data, REMOTE_ADDR=address)


def confirm_path(message) -> str:
    language, token = CONFIRM_LINK.search(message.body).groups()
    return f"/{language}/alerts/confirm/{token}/"


def confirmed(email=ADDRESS, query=SEARCH, language="fi", frequency="weekly", watermark=None):
    now = timezone.now()
    return Subscription.objects.create(email=email, query=query, language=language, frequency=frequency,
                                       confirmed_at=now, watermark=watermark or now)


def send_due(now, **kwargs):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return digest.send_due(now, **kwargs)


# --- The form on the search page ------------------------------------------------------------------


@pytest.mark.parametrize("language,heading", [("fi", "Lähetä minulle uudet tämänkaltaiset käytännöt"),
                                              ("sv", "Mejla mig nya praxis som dessa"),
                                              ("en", "Email me new practices like these")])
def test_the_search_page_offers_the_form_with_its_search(client, language, heading):
    html = client.get(f"/{language}/search/", {"theme": "language", "region": "01", "page": "2"}).content.decode()
    assert heading in html
    form = html[html.index('class="alert-form"'):]
    form = form[:form.index("</form>")]
    assert f'action="/{language}/alerts/subscribe/"' in html
    assert 'name="csrfmiddlewaretoken"' in form
    assert f'name="search" value="{SEARCH.replace("&", "&amp;")}"' in form  # canonical, without the page
    assert '<label for="alert-email">' in form and "<legend>" in form
    assert '<div class="visually-hidden" aria-hidden="true">' in form and 'tabindex="-1"' in form
    assert re.search(rf'<a href="/{language}/[^"]+/">', form)  # the privacy notice


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_subscribing_sends_a_confirmation_in_the_pages_language(client, language):
    response = subscribe(client, language=language)
    assert response.status_code == 302 and response["Location"] == f"/{language}/alerts/subscribe/sent/"
    subscription = Subscription.objects.get()
    assert (subscription.email, subscription.query, subscription.language, subscription.frequency) == (
        ADDRESS, SEARCH, language, "weekly")
    assert subscription.confirmed_at is None and subscription.watermark is None
    [message] = mail.outbox
    assert message.to == [ADDRESS] and message.subject == SUBJECTS[language]
    assert CONFIRM_LINK.search(message.body).group(1) == language
    html = message.alternatives[0][0]
    assert confirm_path(message) in html and f'<html lang="{language}">' in html
    unsubscribe = UNSUBSCRIBE_LINK.search(message.body).group(0)
    assert message.extra_headers["List-Unsubscribe"] == f"<{unsubscribe}>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # The database holds no token: the link's secret is an HMAC made with SECRET_KEY.
    token = CONFIRM_LINK.search(message.body).group(2)
    assert token.split("-")[1] not in str(Subscription.objects.values().get())
    page = client.get(response["Location"])
    assert page.status_code == 200


def test_the_confirmation_does_not_repeat_the_typed_words(client):
    subscribe(client, search="q=osta+pillereit%C3%A4+spam.example")
    [message] = mail.outbox
    assert "spam" not in message.body and "pillere" not in message.body
    assert "spam" not in message.alternatives[0][0]


def test_a_bad_email_keeps_the_input_and_says_why(client):
    response = subscribe(client, email="liisa(at)kunta", frequency="daily")
    assert response.status_code == 400
    html = response.content.decode()
    assert "Anna sähköpostiosoite, esimerkiksi nimi@esimerkki.fi." in html
    assert 'value="liisa(at)kunta"' in html and 'aria-invalid="true"' in html
    assert re.search(r'value="daily"[^>]*checked', html)
    assert not Subscription.objects.exists() and not mail.outbox


@pytest.mark.parametrize("search,message", [
    ("theme=nonexistent", "Parametrin theme tuntematon arvo: nonexistent."),
    ("zzz=1", "Tuntematon parametri: zzz."),
    ("q=" + "a" * 201, "Hakuteksti on liian pitkä"),
    ("q=%22puolikas", "Lainausmerkki puuttuu"),
])
def test_a_bad_search_is_a_400_with_the_reason(client, search, message):
    response = subscribe(client, search=search)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Subscription.objects.exists() and not mail.outbox


def test_the_honeypot_stores_and_sends_nothing(client):
    response = subscribe(client, website="https://spam.example")
    assert response.status_code == 302 and response["Location"] == "/fi/alerts/subscribe/sent/"
    assert not Subscription.objects.exists() and not mail.outbox


def test_the_search_is_stored_in_canonical_form(client):
    subscribe(client, search="theme=language&page=3&region=01&sort=relevance")
    assert Subscription.objects.get().query == SEARCH


# --- No duplicates, nothing revealed, rate limits ---------------------------------------------------


def test_subscribing_again_resends_without_a_duplicate_and_looks_the_same(client):
    first = subscribe(client)
    again = subscribe(client, email=ADDRESS.upper(), frequency="daily")
    assert (first.status_code, first["Location"]) == (again.status_code, again["Location"])
    subscription = Subscription.objects.get()
    assert subscription.frequency == "daily"  # still unconfirmed: the latest choice counts
    assert len(mail.outbox) == 2 and confirm_path(mail.outbox[0]) == confirm_path(mail.outbox[1])
    # A confirmed alert is not changed by somebody else typing the address in.
    client.post(confirm_path(mail.outbox[0]))
    third = subscribe(client, frequency="weekly")
    assert (third.status_code, third["Location"]) == (first.status_code, first["Location"])
    assert Subscription.objects.get().frequency == "daily"
    # Another search is another subscription.
    cache.clear()  # (three confirmations per address and day)
    subscribe(client, search="theme=language")
    assert Subscription.objects.count() == 2


def test_confirmation_emails_per_address_are_limited(client):
    for number in range(CONFIRMATIONS.limit):
        assert subscribe(client, address=f"10.0.1.{number}").status_code == 302
    response = subscribe(client, address="10.0.2.1")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "vahvistusviestejä" in response.content.decode()
    assert 'value="liisa@kunta.example"' in response.content.decode()  # the input is kept
    assert len(mail.outbox) == CONFIRMATIONS.limit and Subscription.objects.count() == 1


def test_subscriptions_per_client_address_are_limited(client):
    for number in range(SUBSCRIPTIONS.limit):
        assert subscribe(client, email=f"henkilo{number}@kunta.example").status_code == 302
    response = subscribe(client, email="viimeinen@kunta.example", language="en")
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert "Many alerts have been ordered from your network" in response.content.decode()
    assert not Subscription.objects.filter(email="viimeinen@kunta.example").exists()
    assert subscribe(client, email="viimeinen@kunta.example", address="10.9.9.9").status_code == 302


def test_a_too_large_request_is_a_413(client):
    response = subscribe(client, filler="x" * 10_000)
    assert response.status_code == 413 and not Subscription.objects.exists()


def test_a_busy_database_gives_a_503_that_keeps_what_was_typed(tmp_path):
    """A real write lock on a real SQLite file (the proposal form's drill, tests/test_proposals.py)."""
    form = {"email": ADDRESS, "frequency": "daily", "search": SEARCH, "website": ""}
    outcome, stderr = send_while_busy(tmp_path, "/fi/alerts/subscribe/", form, "alerts.Subscription")
    assert outcome["status"] == 503 and outcome["retry_after"] == str(RETRY_AFTER_SECONDS)
    assert outcome["stored_while_busy"] == 0 and outcome["emails_while_busy"] == 0
    html = outcome["html"]
    assert f'value="{ADDRESS}"' in html and re.search(r'value="daily"[^>]* checked', html)
    assert "palvelu on ruuhkautunut" in html
    assert "Could not store a saved-search alert: the database is unavailable" in stderr
    assert outcome["status_again"] == 302 and outcome["stored_again"] == 1


def test_the_form_page_alone_and_a_get_never_subscribes(client):
    response = client.get("/sv/alerts/subscribe/", {"theme": "language"})
    assert response.status_code == 200 and "Mejla mig nya praxis som dessa" in response.content.decode()
    assert not Subscription.objects.exists()


# --- Double opt-in ------------------------------------------------------------------------------------


def test_opening_the_link_does_not_confirm_pressing_the_button_does(client):
    subscribe(client)
    path = confirm_path(mail.outbox[0])
    page = client.get(path)
    assert page.status_code == 200
    html = page.content.decode()
    assert "<form method=\"post\"" in html and "Vahvista</button>" in html
    assert "<li>Alue: Uusimaa</li><li>Teema: Kielen oppiminen</li>" in html  # what is being confirmed
    assert Subscription.objects.get().confirmed_at is None

    before = timezone.now()
    response = client.post(path)
    assert response.status_code == 200 and "Hakuvahti on päällä" in response.content.decode()
    subscription = Subscription.objects.get()
    assert subscription.confirmed_at >= before and subscription.watermark == subscription.confirmed_at
    client.post(path)  # pressed twice: nothing changes
    assert Subscription.objects.get().confirmed_at == subscription.confirmed_at


def test_confirming_needs_the_csrf_token(client):
    subscribe(client)
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(confirm_path(mail.outbox[0])).status_code == 403
    assert Subscription.objects.get().confirmed_at is None


def test_an_expired_confirmation_link_is_a_friendly_404(client):
    subscribe(client)
    Subscription.objects.update(created_at=timezone.now() - datetime.timedelta(days=8))
    response = client.get(confirm_path(mail.outbox[0]))
    assert response.status_code == 404 and "Linkki ei ole enää voimassa" in response.content.decode()
    assert client.post(confirm_path(mail.outbox[0])).status_code == 404


@pytest.mark.parametrize("token", ["1-abc", "x-y", "999999-" + "0" * 40, "-", "١-abc", "1" * 30 + "-a"])
def test_a_malformed_or_forged_token_is_a_friendly_404(client, token):
    subscription = confirmed()
    for url in (f"/en/alerts/confirm/{token}/", f"/en/alerts/unsubscribe/{token}/"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "This link is no longer valid" in response.content.decode()
    forged = f"{subscription.pk}-{'0' * 40}"
    assert client.post(f"/en/alerts/unsubscribe/{forged}/").status_code == 404
    assert Subscription.objects.filter(pk=subscription.pk).exists()


# --- Unsubscribe -----------------------------------------------------------------------------------


def test_unsubscribe_shows_a_button_and_the_post_deletes_the_row(client):
    subscription = confirmed(language="sv")
    path = f"/sv/alerts/unsubscribe/{subscription.token}/"
    page = client.get(path)
    assert page.status_code == 200 and "Avsluta prenumerationen</button>" in page.content.decode()
    assert Subscription.objects.filter(pk=subscription.pk).exists()
    response = client.post(path)
    assert response.status_code == 200 and "Du har avslutat prenumerationen" in response.content.decode()
    assert not Subscription.objects.filter(pk=subscription.pk).exists()
    assert client.post(path).status_code == 404  # a used link
    assert client.get(path).status_code == 404


def test_one_click_unsubscribe_works_without_csrf_or_cookies():
    subscription = confirmed()
    mail_client = Client(enforce_csrf_checks=True)  # RFC 8058: a POST from the mail provider, no cookies
    response = mail_client.post(f"/fi/alerts/unsubscribe/{subscription.token}/",
                                "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert not Subscription.objects.exists()


def test_an_unconfirmed_subscription_can_be_unsubscribed_from_the_confirmation(client):
    subscribe(client)
    language, token = UNSUBSCRIBE_LINK.search(mail.outbox[0].body).groups()
    assert client.post(f"/{language}/alerts/unsubscribe/{token}/").status_code == 200
    assert not Subscription.objects.exists()


# --- The digest --------------------------------------------------------------------------------------


def test_the_digest_holds_exactly_the_new_and_updated_matches(uusimaa, pirkanmaa):
    old_match = make_practice(uusimaa, title="Vanha kielikahvila", themes=("language",))
    subscription = confirmed(query="theme=language")
    start = subscription.watermark
    new_match = make_practice(uusimaa, title="Uusi kielikerho", themes=("language",))
    make_practice(uusimaa, title="Työnhakukerho", themes=("work",))  # does not match
    revision = old_match.save_revision()
    with TestCase.captureOnCommitCallbacks(execute=True):
        revision.publish()  # updated since the watermark: matches again
    make_practice(pirkanmaa, title="Luonnos", themes=("language",), publish=False)  # not live

    now = timezone.now() + datetime.timedelta(days=7, seconds=1)
    report = send_due(now)
    assert (report.sent, report.nothing_new) == (1, 0)
    [message] = mail.outbox
    assert message.to == [ADDRESS]
    assert message.subject == "KB: 2 uutta tai päivitettyä käytäntöä hakuvahdissasi"
    titles = re.findall(r"^(.+) \((uusi|päivitetty)\)$", message.body, re.MULTILINE)
    assert sorted(titles) == [("Uusi kielikerho", "uusi"), ("Vanha kielikahvila", "päivitetty")]
    assert f"http://testserver{new_match.url}" in message.body
    assert "http://testserver/fi/search/?theme=language" in message.body
    html = message.alternatives[0][0]
    assert message.alternatives[0][1] == "text/html"
    assert "Uusi kielikerho" in html and "Työnhakukerho" not in html and "Luonnos" not in html
    unsubscribe = f"http://testserver/fi/alerts/unsubscribe/{subscription.token}/"
    assert unsubscribe in message.body and unsubscribe in html
    assert message.extra_headers["List-Unsubscribe"] == f"<{unsubscribe}>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    subscription.refresh_from_db()
    assert subscription.watermark == now and subscription.last_sent_at == now and subscription.watermark > start

    # A week later with nothing new: no email, the watermark still moves on.
    mail.outbox.clear()
    later = now + datetime.timedelta(days=7)
    report = send_due(later)
    assert (report.sent, report.nothing_new) == (0, 1) and not mail.outbox
    subscription.refresh_from_db()
    assert subscription.watermark == later and subscription.last_sent_at == now


def test_a_subscription_that_is_not_due_is_left_alone(uusimaa):
    subscription = confirmed(query="theme=language")
    make_practice(uusimaa, title="Uusi kielikerho", themes=("language",))
    assert send_due(timezone.now() + datetime.timedelta(days=6)).sent == 0  # weekly: not yet
    assert not mail.outbox
    subscription.refresh_from_db()
    assert subscription.last_sent_at is None
    assert send_due(timezone.now() + datetime.timedelta(days=7, seconds=1)).sent == 1


def test_daily_and_weekly_and_the_frequency_option(uusimaa):
    daily = confirmed(email="paiva@kunta.example", query="theme=language", frequency="daily")
    weekly = confirmed(email="viikko@kunta.example", query="theme=language")
    make_practice(uusimaa, title="Uusi kielikerho", themes=("language",))
    tomorrow = timezone.now() + datetime.timedelta(days=1, seconds=1)
    assert send_due(tomorrow, frequency="weekly").sent == 0
    assert send_due(tomorrow).sent == 1
    assert [message.to for message in mail.outbox] == [[daily.email]]
    week = timezone.now() + datetime.timedelta(days=7, seconds=1)
    assert send_due(week, frequency="weekly").sent == 1
    assert mail.outbox[-1].to == [weekly.email]


@pytest.mark.parametrize("language,subject,new_word", [
    ("fi", "KB: 1 uusi tai päivitetty käytäntö hakuvahdissasi", "uusi"),
    ("sv", "KB: 1 ny eller uppdaterad praxis i din sökbevakning", "ny"),
    ("en", "KB: 1 new or updated practice for your saved search", "new"),
])
def test_the_digest_is_in_the_subscriptions_language(uusimaa, language, subject, new_word):
    confirmed(query="theme=language", language=language)
    page = make_practice(uusimaa, title="Kielikerho kaikille", themes=("language",))
    send_due(timezone.now() + datetime.timedelta(days=8))
    [message] = mail.outbox
    assert message.subject == subject
    assert f"Kielikerho kaikille ({new_word})" in message.body
    # An untranslated Finnish practice is linked in the reader's language tree (the fallback address).
    assert f"http://testserver/{language}/" in message.body and page.slug in message.body
    assert f'<html lang="{language}">' in message.alternatives[0][0]


def test_digests_wait_while_the_index_is_behind(uusimaa):
    confirmed(query="theme=language")
    make_practice(uusimaa, title="Uusi kielikerho", themes=("language",))
    change = IndexChange.objects.create(translation_key=uusimaa.translation_key)
    report = send_due(timezone.now() + datetime.timedelta(days=8))
    assert report.postponed and report.sent == 0 and not mail.outbox
    change.delete()
    assert send_due(timezone.now() + datetime.timedelta(days=8)).sent == 1


def test_a_search_that_became_invalid_is_logged_and_does_not_hold_up_the_others(uusimaa, caplog):
    broken = confirmed(email="rikki@kunta.example", query="theme=vanhentunut")
    confirmed(query="theme=language")
    make_practice(uusimaa, title="Uusi kielikerho", themes=("language",))
    now = timezone.now() + datetime.timedelta(days=8)
    report = send_due(now)
    assert (report.sent, report.nothing_new, report.failed) == (1, 1, 0)
    assert [message.to for message in mail.outbox] == [[ADDRESS]]
    assert f"Search alert {broken.pk}: its search is no longer valid (theme:" in caplog.text
    broken.refresh_from_db()
    assert broken.watermark == now  # logged once per period, not every round
    client = Client()
    assert client.get(f"/fi/alerts/unsubscribe/{broken.token}/").status_code == 200  # still possible
    assert client.post(f"/fi/alerts/unsubscribe/{broken.token}/").status_code == 200
    assert not Subscription.objects.filter(pk=broken.pk).exists()


def test_unconfirmed_subscriptions_are_deleted_after_seven_days(client):
    subscribe(client, email="vanha@kunta.example")
    subscribe(client, email="tuore@kunta.example")
    Subscription.objects.filter(email="vanha@kunta.example").update(
        created_at=timezone.now() - datetime.timedelta(days=7, minutes=1))
    Subscription.objects.filter(email="tuore@kunta.example").update(
        created_at=timezone.now() - datetime.timedelta(days=6, hours=23))
    kept = confirmed(email="vahvistettu@kunta.example")
    Subscription.objects.filter(pk=kept.pk).update(created_at=timezone.now() - datetime.timedelta(days=30))
    assert send_due(timezone.now()).pruned == 1
    assert sorted(Subscription.objects.values_list("email", flat=True)) == [
        "tuore@kunta.example", "vahvistettu@kunta.example"]


def test_the_command(uusimaa):
    confirmed(query="theme=language")
    make_practice(uusimaa, title="Uusi kielikerho", themes=("language",))
    out = StringIO()
    moment = (timezone.now() + datetime.timedelta(days=8)).isoformat()
    with TestCase.captureOnCommitCallbacks(execute=True):
        call_command("send_search_alerts", "--frequency", "weekly", "--now", moment, stdout=out)
    assert out.getvalue().startswith("1 digest(s) queued, 0 subscription(s) with nothing new")
    assert len(mail.outbox) == 1
    for bad in ("eilen", "2026-13-01T00:00:00"):
        with pytest.raises(CommandError, match="not an ISO 8601"):
            call_command("send_search_alerts", "--now", bad)


def test_the_worker_hook_runs_at_most_every_ten_minutes(uusimaa, monkeypatch):
    subscription = confirmed(query="theme=language", watermark=timezone.now() - datetime.timedelta(days=8))
    monkeypatch.setitem(digest._last_work, "at", 0.0)
    with TestCase.captureOnCommitCallbacks(execute=True):
        digest.work()
    subscription.refresh_from_db()
    assert subscription.watermark > timezone.now() - datetime.timedelta(minutes=1)  # checked (nothing new)
    Subscription.objects.filter(pk=subscription.pk).update(watermark=timezone.now() - datetime.timedelta(days=8))
    digest.work()  # too soon: not checked again
    subscription.refresh_from_db()
    assert subscription.watermark < timezone.now() - datetime.timedelta(days=7)


# --- Whatever is typed: never a 500 ---------------------------------------------------------------------

ANY_CHARACTER = st.characters(exclude_categories=["Cs"])
ANY_TEXT = st.text(ANY_CHARACTER, max_size=300)
SEARCH_PARAMS = st.lists(st.tuples(st.sampled_from(["q", "theme", "region", "sort", "page", "place", "zzz", ""]),
                                   ANY_TEXT | st.sampled_from(["language", "01", "updated", "091"])), max_size=4)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(email=ANY_TEXT | st.emails(), params=SEARCH_PARAMS, raw=st.none() | ANY_TEXT,
       frequency=st.sampled_from(["weekly", "daily", "", "hourly"]) | ANY_TEXT)
def test_any_email_and_search_is_answered_never_a_500(client, email, params, raw, frequency):
    cache.clear()
    search = raw if raw is not None else urlencode(params)
    response = subscribe(client, email=email, search=search, frequency=frequency)
    assert response.status_code in (302, 400, 413), (email, search, response.status_code)
    if response.status_code == 302:
        assert Subscription.objects.filter(email__iexact=email.strip()).exists()
