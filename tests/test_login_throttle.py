"""Failed-login throttling through the real admin sign-in form (kb/login_throttle.py), on the local
cache and on a real Redis (tests/redis_server.py), and what editors see when Redis is down."""

import logging
import uuid

import pytest
from django.core.cache import caches
from django.urls import resolve

from editorial.testing import make_member
from kb.login_throttle import ACCOUNT_FAILURES, ADDRESS_FAILURES, WINDOW_SECONDS, ThrottledLoginView
from tests.redis_server import redis_server  # noqa: F401  (a pytest fixture)

pytestmark = pytest.mark.django_db

PASSWORD = "pass-word-123"  # editorial.testing.make_member's
LOCKED = {
    "fi": "Liian monta epäonnistunutta kirjautumisyritystä. Yritä uudelleen 15 minuutin kuluttua.",
    "sv": "För många misslyckade inloggningsförsök. Försök igen om 15 minuter.",
    "en": "Too many failed sign-in attempts. Please try again in 15 minutes.",
}
UNAVAILABLE = {
    "fi": "Kirjautuminen ei ole juuri nyt mahdollista, koska jokin palvelu ei ole käytettävissä.",
    "sv": "Det går inte att logga in just nu eftersom en tjänst inte är tillgänglig.",
}


@pytest.fixture(params=["locmem", "redis"])
def cache(request, settings):
    """Each test on the local memory cache and on the private Redis server."""
    caches["default"].clear()
    if request.param == "redis":
        server = request.getfixturevalue("redis_server")
        server.flush()
        settings.CACHES = server.caches(prefix=f"test-{uuid.uuid4().hex[:8]}")
        yield server
    else:
        yield None
    caches["default"].clear()


@pytest.fixture
def editor(db):
    return make_member("coordinator", "01", username="koordinaattori-throttle")


def sign_in(client, username, password, address="192.0.2.10", language="fi", **extra):
    return client.post("/admin/login/", {"username": username, "password": password, "next": "/admin/"},
                       REMOTE_ADDR=address, HTTP_ACCEPT_LANGUAGE=language, **extra)


def signed_in(client):
    return "_auth_user_id" in client.session


def test_the_sign_in_form_is_the_throttled_one():
    assert resolve("/admin/login/").func.view_class is ThrottledLoginView


def test_an_account_is_locked_after_five_failures_even_with_the_right_password(client, cache, editor):
    for _ in range(ACCOUNT_FAILURES.limit):
        response = sign_in(client, editor.username, "wrong password")
        assert response.status_code == 200 and not signed_in(client)  # Wagtail's "wrong password" form
    response = sign_in(client, editor.username, PASSWORD)
    assert response.status_code == 429 and not signed_in(client)
    assert WINDOW_SECONDS - 5 <= int(response["Retry-After"]) <= WINDOW_SECONDS
    html = response.content.decode()
    assert f'<p class="help-block help-critical" role="alert">{LOCKED["fi"]}</p>' in html
    assert 'name="username"' in html and f'value="{editor.username}"' in html  # the form, name kept
    # The user name is matched case-insensitively; the page itself still opens.
    assert sign_in(client, editor.username.upper(), PASSWORD).status_code == 429
    assert client.get("/admin/login/", REMOTE_ADDR="192.0.2.10").status_code == 200
    # Another account from the same address is not locked by this one.
    other = make_member("coordinator", "06", username="koordinaattori-toinen")
    assert sign_in(client, other.username, PASSWORD).status_code == 302 and signed_in(client)


@pytest.mark.parametrize("language", ["sv", "en"])
def test_the_message_is_in_the_editors_language(client, cache, editor, language):
    for _ in range(ACCOUNT_FAILURES.limit):
        sign_in(client, editor.username, "wrong password", language=language)
    response = sign_in(client, editor.username, "wrong password", language=language)
    assert response.status_code == 429
    html = response.content.decode()
    assert LOCKED[language] in html and f'<html lang="{language}"' in html


def test_a_successful_sign_in_resets_the_accounts_counter(client, cache, editor):
    for _ in range(ACCOUNT_FAILURES.limit - 1):
        assert sign_in(client, editor.username, "wrong password").status_code == 200
    assert sign_in(client, editor.username, PASSWORD).status_code == 302
    client.logout()
    # Four more failures would have made nine without the reset.
    for _ in range(ACCOUNT_FAILURES.limit - 1):
        assert sign_in(client, editor.username, "wrong password").status_code == 200
    assert sign_in(client, editor.username, PASSWORD).status_code == 302 and signed_in(client)


def test_one_address_guessing_many_accounts_is_stopped(client, cache, editor):
    for number in range(ADDRESS_FAILURES.limit):
        assert sign_in(client, f"arvaus-{number}", "wrong password", address="198.51.100.5").status_code == 200
    response = sign_in(client, editor.username, PASSWORD, address="198.51.100.5")
    assert response.status_code == 429 and not signed_in(client)
    assert LOCKED["fi"] in response.content.decode()
    # The same account from another address: not this address's lockout (the account had no failures).
    assert sign_in(client, editor.username, PASSWORD, address="198.51.100.6").status_code == 302


def test_the_address_behind_a_trusted_proxy_is_the_clients(client, cache, editor, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.1"]
    for number in range(ADDRESS_FAILURES.limit):
        sign_in(client, f"arvaus-{number}", "wrong password", address="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert sign_in(client, editor.username, PASSWORD, address="10.0.0.1",
                   HTTP_X_FORWARDED_FOR="203.0.113.7").status_code == 429
    # Another visitor behind the same proxy signs in.
    assert sign_in(client, editor.username, PASSWORD, address="10.0.0.1",
                   HTTP_X_FORWARDED_FOR="203.0.113.8").status_code == 302


def test_redis_down_refuses_sign_in_but_keeps_signed_in_editors_working(client, redis_server, settings, editor,  # noqa: F811
                                                                        caplog):
    """Fail closed for the sign-in form (503, logged); sessions (cached_db) and admin pages go on."""
    redis_server.flush()
    settings.CACHES = redis_server.caches(prefix=f"test-{uuid.uuid4().hex[:8]}")
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    signed_in_editor = client.__class__()
    assert sign_in(signed_in_editor, editor.username, PASSWORD).status_code == 302
    with caplog.at_level(logging.ERROR), redis_server.stopped():
        for language in ("fi", "sv"):
            response = sign_in(client, editor.username, PASSWORD, language=language)
            assert response.status_code == 503 and response["Retry-After"] == "60"
            assert UNAVAILABLE[language] in response.content.decode() and not signed_in(client)
        # Already signed in: the session comes from the database, the dashboard renders.
        assert signed_in_editor.get("/admin/", REMOTE_ADDR="192.0.2.10").status_code == 200
    messages = [record.getMessage() for record in caplog.records]
    assert any("Rate limit 'login-account' unavailable" in message and "refused" in message for message in messages)
    assert any(message.startswith("Cache unavailable") for message in messages), messages
    # Redis back: signing in works again.
    assert sign_in(client, editor.username, PASSWORD).status_code == 302 and signed_in(client)
