"""The email queue (mailqueue/) against a real SMTP server (aiosmtpd) on a free loopback port: every
email is stored in the sender's transaction, delivered when it commits, retried while the server is
down, delivered once when it is back, and visible to administrators when it fails for good.

STARTTLS and implicit TLS use a self-signed certificate made with `openssl` (skipped loudly on a
laptop without it, failed when CI=true), trusted by the client through SSL_CERT_FILE as a real CA
bundle would be.
"""

import datetime
import email
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
from email import policy
from pathlib import Path
from urllib.parse import quote

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

import mailqueue
from coordination.models import Proposal
from editorial.testing import make_member
from kb.settings import env
from mailqueue import delivery
from mailqueue.models import OutgoingEmail

from .test_proposals import propose, refused

ROOT = Path(__file__).resolve().parent.parent
SENDER = "KB <no-reply@kb.invalid>"


# --- A real SMTP server -------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """aiosmtpd handler: keeps every message the server accepted, parsed."""

    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        envelope.login = getattr(session.auth_data, "login", None)  # who authenticated (None without AUTH)
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def messages(self):
        return [parse(envelope.content) for envelope in self.envelopes]

    def to(self, address):
        return [message for message in self.messages() if message["To"] == address]


class SmtpServer:
    """An aiosmtpd server in a thread, stopped and started again on the same port."""

    def __init__(self, **options):
        self.port = free_port()
        self.inbox = Inbox()
        self.options = options
        self.controller = None

    def start(self):
        # start() returns once the server answers a connection (ready_timeout: generous on a busy machine).
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port, ready_timeout=60, **self.options)
        self.controller.start()

    def stop(self):
        self.controller.stop()
        self.controller = None


def parse(content: bytes):
    message = email.message_from_bytes(content, policy=policy.default)
    # A long encoded subject is folded onto the next line; the parsed value keeps that line's indent.
    message.replace_header("Subject", message["Subject"].strip())
    return message


def use_email_url(settings, url):
    """Apply EMAIL_URL ``url`` the way kb/settings/base.py does."""
    transport = env.parse_email_url(url)
    settings.MAILQUEUE_TRANSPORT = transport.backend
    settings.EMAIL_HOST, settings.EMAIL_PORT = transport.host, transport.port
    settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = transport.user, transport.password
    settings.EMAIL_USE_TLS, settings.EMAIL_USE_SSL = transport.use_tls, transport.use_ssl
    settings.EMAIL_TIMEOUT = 30


@pytest.fixture
def smtp(settings):
    server = SmtpServer()
    server.start()
    use_email_url(settings, f"smtp://127.0.0.1:{server.port}")
    yield server
    if server.controller:
        server.stop()


def make_due():
    """The backoff has passed (instead of waiting 30 s and more)."""
    OutgoingEmail.objects.filter(status=OutgoingEmail.Status.PENDING).update(next_attempt_at=timezone.now())


def send(subject="Testiviesti", to="vastaanottaja@kb.example", body="Hei!"):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return mail.send_mail(subject, body, None, [to])


# --- Proposals end to end -------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_proposal_reaches_the_smtp_server_with_finnish_headers(smtp, client):
    coordinators = [make_member("coordinator", "01", username=f"koordinaattori-{n}") for n in (1, 2)]
    assert propose(client, title="Äidinkielen ja öljyvärien kurssi").status_code == 302
    proposal = Proposal.objects.get()

    assert sorted(address for envelope in smtp.inbox.envelopes for address in envelope.rcpt_tos) == sorted(
        [user.email for user in coordinators] + ["maija@yhdistys.example"]
    )
    assert all(envelope.mail_from == "no-reply@kb.invalid" for envelope in smtp.inbox.envelopes)
    for envelope, message in zip(smtp.inbox.envelopes, smtp.inbox.messages(), strict=True):
        headers = envelope.content.split(b"\r\n\r\n", 1)[0]
        assert headers.isascii() and b"=?utf-8?" in headers  # RFC 2047: ä and ö survive any mail server
        assert message["From"] == SENDER and message["Message-ID"] and message["Date"]
        assert message.get_content_type() == "text/plain" and message.get_content_charset() == "utf-8"
    [to_coordinator] = smtp.inbox.to(coordinators[0].email)
    assert to_coordinator["Subject"] == "Uusi käytäntöehdotus (Uusimaa): Äidinkielen ja öljyvärien kurssi"
    assert reverse("proposals:inspect", args=(proposal.pk,)) in to_coordinator.get_content()
    [confirmation] = smtp.inbox.to("maija@yhdistys.example")
    assert confirmation["Subject"] == f"KB: vastaanotimme käytäntöehdotuksen (viite {proposal.pk})"
    assert f"Ehdotuksesi viitenumero on {proposal.pk}." in confirmation.get_content()
    assert set(OutgoingEmail.objects.values_list("status", "attempts")) == {("sent", 1)}


SPAM = {
    "title": "Halpoja pillereitä https://spam.example/osta",
    "summary": "Klikkaa http://spam.example/voita ja voita iPhone",
    "problem": "Osta nyt www.spam.example",
    "how_it_works": "Lähetä pankkitunnuksesi osoitteeseen huijari@spam.example",
    "organisation_name": "Voitto Oy https://spam.example",
    "proposer_name": "Onnittelut, voitit! https://spam.example/palkinto",
    "email": "uhri@muualla.example",
}


@pytest.mark.django_db
def test_the_form_cannot_send_a_stranger_the_visitors_text(smtp, client):
    coordinator = make_member("coordinator", "01")
    assert propose(client, language="sv", **SPAM).status_code == 302
    proposal = Proposal.objects.get()

    [envelope] = [envelope for envelope in smtp.inbox.envelopes if envelope.rcpt_tos == ["uhri@muualla.example"]]
    confirmation = parse(envelope.content)
    text = confirmation["Subject"] + "\n" + confirmation.get_content()
    for typed in ("spam", "http", "www.", "pillere", "iPhone", "Voitto", "Onnittelut", "pankkitunnu", "huijari"):
        assert typed.lower() not in text.lower(), typed
        assert typed.lower().encode() not in envelope.content.lower(), typed
    # Only the reference number and the chosen region (a fixed list), in the form's language.
    assert confirmation["Subject"] == f"KB: vi har tagit emot ett förslag på en praxis (referens {proposal.pk})"
    assert "Nyland" in text
    # The coordinators get the whole proposal, to judge it themselves.
    [to_coordinator] = smtp.inbox.to(coordinator.email)
    assert "https://spam.example/osta" in to_coordinator["Subject"]


# --- Down, up, exactly once -------------------------------------------------------------------------


@pytest.mark.django_db
def test_mail_server_down_then_up_the_email_arrives_once(smtp, client, caplog):
    make_member("coordinator", "01", username="koordinaattori-1")
    smtp.stop()
    assert propose(client).status_code == 302  # the visitor does not notice

    rows = list(OutgoingEmail.objects.order_by("pk"))
    assert len(rows) == 2 and {row.status for row in rows} == {"pending"}
    first = rows[0]
    assert first.attempts == 1 and "ConnectionRefusedError" in first.last_error
    assert first.next_attempt_at > timezone.now() + datetime.timedelta(seconds=20)  # backed off ~30 s
    assert f"Email {first.pk} to " in caplog.text and "attempt 1 failed" in caplog.text
    assert smtp.inbox.envelopes == []
    assert mailqueue.backlog()["pending"] == 2

    assert delivery.deliver_due() == (0, 1)  # the other one (not tried at once: the server was down)
    smtp.start()  # same port
    make_due()
    assert delivery.deliver_due() == (2, 0)
    assert delivery.deliver_due() == (0, 0)
    make_due()
    assert delivery.deliver_due() == (0, 0)

    recipients = [address for envelope in smtp.inbox.envelopes for address in envelope.rcpt_tos]
    assert sorted(recipients) == ["koordinaattori-1@kb.example", "maija@yhdistys.example"]
    assert len({message["Message-ID"] for message in smtp.inbox.messages()}) == 2
    assert set(OutgoingEmail.objects.values_list("status", flat=True)) == {"sent"}
    assert mailqueue.backlog() == {"pending": 0, "failed": 0, "oldest_pending_seconds": 0.0}


@pytest.mark.django_db
def test_a_rolled_back_transaction_sends_nothing(smtp):
    with TestCase.captureOnCommitCallbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            mail.send_mail("Ei lähde", "Peruttu", None, ["kukaan@kb.example"])
            raise RuntimeError("the proposal could not be stored")
    assert not OutgoingEmail.objects.exists() and smtp.inbox.envelopes == []


@pytest.mark.django_db
def test_the_worker_command_delivers_what_is_due(smtp):
    smtp.stop()
    send()
    smtp.start()
    make_due()
    call = run_command("send_queued_email", "--once")
    assert "1 email(s) sent, 0 attempt(s) failed." in call
    assert len(smtp.inbox.envelopes) == 1


def run_command(*args):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


# --- Authentication and TLS -------------------------------------------------------------------------


def require_openssl():
    if shutil.which("openssl") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("openssl is not installed; CI requires the TLS tests", pytrace=False)
        pytest.skip("SKIPPED LOUDLY: openssl is not installed, so the STARTTLS/SMTPS tests cannot run")


@pytest.fixture
def certificate(tmp_path, monkeypatch):
    """A self-signed certificate for 127.0.0.1, trusted by the client as its CA bundle."""
    require_openssl()
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # read by ssl.create_default_context(), which Django uses
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    return server_context


def authenticator(user, password):
    def check(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (user, password)
        return AuthResult(success=ok, handled=False, auth_data=auth_data)
    return check


@pytest.mark.django_db
def test_starttls_with_a_user_and_a_percent_encoded_password(settings, certificate):
    server = SmtpServer(tls_context=certificate, require_starttls=True, auth_required=True, auth_require_tls=True,
                        authenticator=authenticator(b"kb@site", b"p@ss:w/rd"))
    server.start()
    try:
        url = f"smtp+tls://{quote('kb@site', safe='')}:{quote('p@ss:w/rd', safe='')}@127.0.0.1:{server.port}"
        use_email_url(settings, url)
        send(subject="Salattu yhteys")
        assert [envelope.login for envelope in server.inbox.envelopes] == [b"kb@site"]
        assert server.inbox.messages()[0]["Subject"] == "Salattu yhteys"

        use_email_url(settings, f"smtp+tls://kb%40site:wrong@127.0.0.1:{server.port}")
        send(subject="Väärä salasana")
        row = OutgoingEmail.objects.get(subject="Väärä salasana")
        assert row.status == "pending" and "SMTPAuthenticationError" in row.last_error
        assert len(server.inbox.envelopes) == 1
    finally:
        server.stop()


@pytest.mark.django_db
def test_the_server_refuses_plain_text_when_tls_is_required(settings, certificate):
    server = SmtpServer(tls_context=certificate, require_starttls=True)
    server.start()
    try:
        use_email_url(settings, f"smtp://127.0.0.1:{server.port}")  # forgot +tls
        send()
        assert OutgoingEmail.objects.get().status == "pending" and server.inbox.envelopes == []
    finally:
        server.stop()


@pytest.mark.django_db
def test_implicit_tls(settings, certificate):
    server = SmtpServer(ssl_context=certificate)
    server.start()
    try:
        use_email_url(settings, f"smtps://127.0.0.1:{server.port}")
        send(subject="SMTPS")
        assert [message["Subject"] for message in server.inbox.messages()] == ["SMTPS"]
    finally:
        server.stop()


# --- Failing for good, and what the administrator sees ----------------------------------------------


@pytest.mark.django_db
def test_failed_after_max_attempts_visible_to_superusers_and_retried(smtp, settings, client, django_user_model):
    settings.MAILQUEUE_MAX_ATTEMPTS = 3
    smtp.stop()
    send(subject="Katselmointimuistutus", to="koordinaattori@kb.example")
    row = OutgoingEmail.objects.get()
    delays = [row.next_attempt_at - timezone.now()]
    make_due()
    assert delivery.deliver_due() == (0, 1)
    row.refresh_from_db()
    delays.append(row.next_attempt_at - timezone.now())
    assert [round(delay.total_seconds() / 10) for delay in delays] == [3, 6]  # 30 s, then 60 s
    make_due()
    assert delivery.deliver_due() == (0, 1)
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("failed", 3) and "ConnectionRefusedError" in row.last_error
    make_due()
    assert delivery.deliver_due() == (0, 0)  # failed stays failed
    assert mailqueue.backlog()["failed"] == 1

    coordinator = make_member("coordinator", "01")
    client.force_login(coordinator)
    assert refused(client.get(reverse("outgoing_email:index")))
    assert refused(client.get(reverse("outgoing_email:inspect", args=(row.pk,))))
    assert refused(client.post(reverse("outgoing_email:retry", args=(row.pk,))))
    assert "/admin/outgoing_email/" not in client.get(reverse("wagtailadmin_home")).content.decode()

    admin = django_user_model.objects.create_superuser("paakayttaja", "paakayttaja@kb.example", "x" * 16)
    client.force_login(admin)
    listing = client.get(reverse("outgoing_email:index"))
    assert listing.status_code == 200
    html = listing.content.decode()
    assert "Katselmointimuistutus" in html and "koordinaattori@kb.example" in html
    assert "ConnectionRefusedError" in html
    inspect = client.get(reverse("outgoing_email:inspect", args=(row.pk,))).content.decode()
    assert reverse("outgoing_email:retry", args=(row.pk,)) in inspect
    for action in ("add", "edit", "delete"):  # read-only
        url = reverse("outgoing_email:add") if action == "add" else reverse(f"outgoing_email:{action}", args=(row.pk,))
        assert refused(client.get(url)), action

    smtp.start()
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(reverse("outgoing_email:retry", args=(row.pk,)))
    assert response.status_code == 302
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("sent", 1)
    assert [message["Subject"] for message in smtp.inbox.messages()] == ["Katselmointimuistutus"]


@pytest.mark.django_db
def test_old_sent_rows_are_pruned(smtp):
    send(subject="Vanha")
    send(subject="Uusi")
    OutgoingEmail.objects.filter(subject="Vanha").update(sent_at=timezone.now() - datetime.timedelta(days=31))
    assert delivery.prune_sent() == 1
    assert list(OutgoingEmail.objects.values_list("subject", flat=True)) == ["Uusi"]


@pytest.mark.django_db
def test_alternatives_headers_and_attachments_survive_the_queue(smtp):
    message = mail.EmailMultiAlternatives("Liitteitä", "Tekstinä", None, ["a@kb.example"], bcc=["piilo@kb.example"],
                                          reply_to=["vastaus@kb.example"], headers={"Auto-Submitted": "auto-generated"})
    message.attach_alternative("<p>HTML:nä</p>", "text/html")
    message.attach("raportti.csv", "alue;määrä\n01;3\n", "text/csv")
    message.attach("kuva.bin", bytes(range(256)), "application/octet-stream")
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert message.send() == 1
    [envelope] = smtp.inbox.envelopes
    assert sorted(envelope.rcpt_tos) == ["a@kb.example", "piilo@kb.example"]
    received = parse(envelope.content)
    assert received["Bcc"] is None and received["Reply-To"] == "vastaus@kb.example"
    assert received["Auto-Submitted"] == "auto-generated"
    assert received.get_body(("html",)).get_content().strip() == "<p>HTML:nä</p>"
    assert received.get_body(("plain",)).get_content().strip() == "Tekstinä"
    attachments = {part.get_filename(): part.get_content() for part in received.iter_attachments()}
    assert attachments["kuva.bin"] == bytes(range(256))
    assert attachments["raportti.csv"].replace("\r\n", "\n") == "alue;määrä\n01;3\n"  # text travels with CRLF


# --- Two workers over the same rows -----------------------------------------------------------------

WORKER = """
import json, sys
import django
django.setup()
from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import timezone
from mailqueue import delivery
from mailqueue.messages import message_to_json
from mailqueue.models import OutgoingEmail

mode, port = sys.argv[1], int(sys.argv[2])
settings.MAILQUEUE_TRANSPORT = "django.core.mail.backends.smtp.EmailBackend"
settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 30
if mode == "seed":  # rows as the backend stores them, without delivering them
    for number in range(int(sys.argv[3])):
        message = EmailMessage(f"Rinnakkain {number}", "Kerran", None, [f"r{number}@kb.example"])
        OutgoingEmail.objects.create(message=message_to_json(message), subject=message.subject,
                                     recipients=message.to[0], next_attempt_at=timezone.now())
elif mode == "deliver":
    print("ready", flush=True)
    sys.stdin.readline()
    sent, failed = delivery.deliver_due()
    print(json.dumps({"sent": sent, "failed": failed}), flush=True)
elif mode == "finish":
    rows = OutgoingEmail.objects.filter(subject__startswith="Rinnakkain ")
    print(json.dumps(sorted(set(rows.values_list("status", flat=True)))), flush=True)
    rows.delete()
"""


def worker_database_url(database_templates, tmp_path) -> str:
    """PostgreSQL: the test database (the workers' rows are committed there and removed by "finish").
    SQLite: a file of its own, a copy of the session's migrated template (tests/databases.py; the
    suite's database is in memory)."""
    if connection.vendor == "postgresql":
        params = connection.settings_dict
        credentials = quote(params["USER"], safe="") + (f":{quote(params['PASSWORD'], safe='')}" if params["PASSWORD"] else "")
        return f"postgres://{credentials}@{quote(params['HOST'] or 'localhost', safe='')}:{params['PORT'] or 5432}/{params['NAME']}"
    return f"sqlite:///{database_templates.sqlite('migrated', tmp_path / 'queue.sqlite3')}"


def worker_env(url):
    return {**os.environ, "DJANGO_SETTINGS_MODULE": "kb.settings.test", "DATABASE_URL": url}


@pytest.mark.django_db
def test_two_workers_send_each_email_once(smtp, database_templates, tmp_path):
    url = worker_database_url(database_templates, tmp_path)
    run_worker = [sys.executable, "-c", WORKER]
    subprocess.run([*run_worker, "seed", str(smtp.port), "40"], cwd=ROOT, env=worker_env(url), check=True, timeout=120)
    workers = [
        subprocess.Popen([*run_worker, "deliver", str(smtp.port)], cwd=ROOT, env=worker_env(url), text=True,
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        for _ in range(2)
    ]
    try:
        assert [worker.stdout.readline().strip() for worker in workers] == ["ready", "ready"]
        for worker in workers:  # both start at once
            worker.stdin.write("go\n")
            worker.stdin.flush()
        reports = [json.loads(worker.communicate(timeout=300)[0]) for worker in workers]
    finally:
        for worker in workers:
            worker.kill() if worker.poll() is None else None
        finish = subprocess.run([*run_worker, "finish", str(smtp.port)], cwd=ROOT, env=worker_env(url),
                                check=True, timeout=120, capture_output=True, text=True)
    assert json.loads(finish.stdout) == ["sent"]
    assert sum(report["sent"] for report in reports) == 40 and all(report["failed"] == 0 for report in reports)
    subjects = [message["Subject"] for message in smtp.inbox.messages()]
    assert sorted(subjects) == sorted(f"Rinnakkain {number}" for number in range(40))  # each exactly once
    print(f"{connection.vendor}: the workers sent {[report['sent'] for report in reports]}")


# --- EMAIL_URL ------------------------------------------------------------------------------------


SMTP = "django.core.mail.backends.smtp.EmailBackend"


@pytest.mark.parametrize("url,expected", [
    ("", env.EmailTransport(SMTP, "localhost", 25)),
    ("smtp://mail.example.fi", env.EmailTransport(SMTP, "mail.example.fi", 25)),
    ("smtp://kb:salasana@mail.example.fi:2525", env.EmailTransport(SMTP, "mail.example.fi", 2525, "kb", "salasana")),
    ("smtp+tls://kb%40kunta.fi:p%40ss%3Aw%2Frd@smtp.kunta.fi", env.EmailTransport(
        SMTP, "smtp.kunta.fi", 587, "kb@kunta.fi", "p@ss:w/rd", use_tls=True)),
    ("smtps://smtp.kunta.fi", env.EmailTransport(SMTP, "smtp.kunta.fi", 465, use_ssl=True)),
    ("SMTPS://smtp.kunta.fi:4650/", env.EmailTransport(SMTP, "smtp.kunta.fi", 4650, use_ssl=True)),
    ("smtp://[::1]:25", env.EmailTransport(SMTP, "::1", 25)),
    ("console:", env.EmailTransport("django.core.mail.backends.console.EmailBackend")),
    ("locmem://", env.EmailTransport("django.core.mail.backends.locmem.EmailBackend")),
])
def test_email_url_forms(url, expected):
    assert env.parse_email_url(url) == expected


@pytest.mark.parametrize("url,message", [
    ("mail.example.fi", "EMAIL_URL must start with smtp://"),
    ("http://mail.example.fi", "EMAIL_URL must start with smtp://"),
    ("smtp://", "must name the mail server's host"),
    ("smtp://mail.example.fi:abc", "invalid port"),
    ("smtp://mail.example.fi:0", "invalid port"),
    ("smtp://mail.example.fi:70000", "invalid port"),
    ("smtp://mail.example.fi/inbox", "no path or options"),
    ("smtp://mail.example.fi?tls=1", "no path or options"),
    ("smtp://kb@mail.example.fi", "both a user and a password"),
    ("console:stdout", "takes nothing after the colon"),
])
def test_bad_email_urls_are_clear_errors(url, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        env.parse_email_url(url)


def test_a_password_is_not_shown_in_the_error():
    with pytest.raises(ImproperlyConfigured) as error:
        env.parse_email_url("smtp://kb:salainen@mail.example.fi:x")
    assert "salainen" not in str(error.value) and "kb:***@mail.example.fi" in str(error.value)


def test_settings_refuse_a_bad_email_url_and_timeout():
    for variable, value, message in [("EMAIL_URL", "smtp://host:x", "EMAIL_URL has an invalid port"),
                                     ("EMAIL_TIMEOUT", "0", "EMAIL_TIMEOUT must be more than 0")]:
        result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, capture_output=True, text=True,
                                timeout=120, env={**os.environ, "DJANGO_SETTINGS_MODULE": "kb.settings.dev", variable: value})
        assert result.returncode != 0 and message in result.stderr, result.stderr
