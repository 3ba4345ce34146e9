"""The public site in a real browser: Debian's Chromium driven by Playwright.

One server per session: a temporary SQLite database with the demo content (and the demo accounts),
collected static files served by WhiteNoise with production settings, on a free localhost port.
One browser per session; a new context (cookies, cache) per test, in which every request to a host
other than the local server is blocked and recorded — and a test that caused one fails.

In CI (CI=true) a missing /usr/bin/chromium or node_modules/axe-core fails the run; on a laptop
without them the browser tests are skipped with a loud reason.
"""

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "artifacts"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run",
]
LANGUAGES = ("fi", "sv", "en")
STARTUP_TIMEOUT = 60  # seconds for runserver to answer once the database is ready

# Printed as JSON by `manage.py shell` in the server's database: the URLs of one page of each type.
DISCOVER_URLS = """
import json
from highlights.models import HighlightsPage
from home.models import HomePage
from practices.models import PracticeIndexPage, PracticePage, RegionPage

urls = {}
first = None
for language in ("fi", "sv", "en"):
    home = HomePage.objects.live().get(locale__language_code=language)
    index = PracticeIndexPage.objects.live().get(locale__language_code=language)
    region = RegionPage.objects.live().child_of(index).get(region__code="01")
    practices = PracticePage.objects.live().child_of(region).order_by("path")
    if first is None:
        first = next(p for p in practices
                     if PracticePage.objects.live().filter(translation_key=p.translation_key).count() == 3)
    practice = PracticePage.objects.live().get(translation_key=first.translation_key, locale__language_code=language)
    highlights = HighlightsPage.objects.live().get(locale__language_code=language)
    urls[language] = {
        "home": home.url, "index": index.url, "region": region.url, "practice": practice.url,
        "practice_title": practice.title, "practice_id": practice.pk, "region_id": region.pk,
        "highlights": highlights.url,
    }
print("KB-URLS " + json.dumps(urls))
"""


def _unavailable(reason: str):
    if os.environ.get("CI") == "true":
        pytest.fail(f"Browser tests cannot run: {reason}; CI requires them.", pytrace=False)
    banner = "#" * 70
    sys.stderr.write(f"\n{banner}\nSKIPPED: browser tests ({reason}).\n{banner}\n")
    pytest.skip(f"browser tests need {reason} (run `make install` as root, or install chromium and npm)")


@pytest.fixture(scope="session")
def browser_tools():
    """Chromium and axe-core, or a CI failure / a loud skip."""
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing (Debian package chromium)")
    if not AXE.exists():
        _unavailable(f"{AXE.relative_to(ROOT)} is missing (npm ci, run by `make install`)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _unavailable("the Python package playwright is missing (requirements-dev.txt)")
    return {"chromium": str(CHROMIUM), "axe": str(AXE)}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _manage(env, *args, capture=False):
    completed = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, text=True,
        stdout=subprocess.PIPE if capture else subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    if completed.returncode:
        pytest.fail(f"manage.py {' '.join(args)} failed:\n{completed.stderr[-4000:]}", pytrace=False)
    return completed.stdout


class Site:
    def __init__(self, base_url, urls, shell_env):
        self.base_url = base_url
        self.host = urlsplit(base_url).netloc
        self.urls = urls
        self.shell_env = shell_env

    def shell(self, code: str, marker: str):
        """What ``code`` prints as JSON after ``marker``, run by `manage.py shell` on the site's database
        (Playwright's event loop runs in the test process, and Django refuses queries next to it)."""
        return json.loads(_manage(self.shell_env, "shell", "-c", code, capture=True).split(marker, 1)[1])

    def url(self, path: str) -> str:
        return self.base_url + path


@pytest.fixture(scope="session")
def site(browser_tools, tmp_path_factory):
    """The site with the demo content, served like production (DEBUG off, WhiteNoise) on a free port."""
    workdir = tmp_path_factory.mktemp("kb-site")
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    common = {
        key: value for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "ELASTICSEARCH_")) and key not in {"DATABASE_URL", "DEBUG"}
    }
    common.update(
        DATABASE_URL=f"sqlite:///{workdir}/db.sqlite3", MEDIA_ROOT=str(workdir / "media"),
        STATIC_ROOT=str(workdir / "static"), PYTHONUNBUFFERED="1",
    )
    # The database as `make db` makes it: development settings create the demo accounts too.
    setup = {**common, "DJANGO_SETTINGS_MODULE": "kb.settings.dev", "DEBUG": "1"}
    _manage(setup, "migrate", "--noinput", "-v0")
    _manage(setup, "load_demo")
    urls = Site(base_url, {}, setup).shell(DISCOVER_URLS, "KB-URLS ")
    production = {
        **common, "DJANGO_SETTINGS_MODULE": "kb.settings.production", "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(64), "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0", "SECURE_HSTS_SECONDS": "0", "BASE_URL": base_url,
    }
    _manage(production, "collectstatic", "--noinput", "-v0")
    log = open(workdir / "server.log", "w")  # noqa: SIM115 - closed on teardown
    # --nostatic: WhiteNoise serves the collected, compressed, hashed files, as in production.
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", "--nostatic", f"127.0.0.1:{port}"],
        cwd=ROOT, env=production, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            if server.poll() is not None:
                pytest.fail(f"the server exited:\n{(workdir / 'server.log').read_text()[-4000:]}", pytrace=False)
            try:
                with urllib.request.urlopen(base_url + urls["fi"]["home"], timeout=5) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the server did not answer within {STARTUP_TIMEOUT} s", pytrace=False)
            time.sleep(0.3)
        yield Site(base_url, urls, setup)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()
        if os.environ.get("KB_BROWSER_KEEP_LOG"):
            shutil.copy(workdir / "server.log", ARTIFACTS / "browser-server.log")


@pytest.fixture(scope="session")
def playwright_instance(browser_tools):
    from playwright.sync_api import sync_playwright

    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_instance, browser_tools):
    browser = playwright_instance.chromium.launch(executable_path=browser_tools["chromium"], args=CHROMIUM_ARGS)
    yield browser
    browser.close()


class Contexts:
    """New browser contexts for one test; each blocks and records requests to other hosts."""

    def __init__(self, browser, site):
        self.browser = browser
        self.site = site
        self.foreign_requests = []
        self.opened = []

    def new(self, **options):
        options.setdefault("viewport", {"width": 1280, "height": 900})
        options.setdefault("locale", "fi-FI")
        context = self.browser.new_context(base_url=self.site.base_url, **options)
        context.set_default_timeout(15_000)
        context.route("**/*", self._guard)
        self.opened.append(context)
        return context

    def _guard(self, route):
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in {"data", "blob"} or parts.netloc == self.site.host:
            route.continue_()
        else:
            self.foreign_requests.append(url)
            route.abort("blockedbyclient")

    def close(self):
        for context in self.opened:
            context.close()


@pytest.fixture
def contexts(browser, site):
    made = Contexts(browser, site)
    yield made
    made.close()
    assert not made.foreign_requests, f"requests to other hosts: {made.foreign_requests}"


@pytest.fixture
def page(contexts):
    return contexts.new().new_page()


@pytest.fixture(scope="session")
def artifacts():
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
