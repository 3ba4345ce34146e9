import pytest

from practices.demo.loader import load_demo
from practices.models import PracticeIndexPage, RegionPage
from tests.databases import database_templates  # noqa: F401  (session fixture: migrated template databases)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The demo content, loaded once per test run; each test runs in a rolled-back transaction."""
    with django_db_blocker.unblock():
        load_demo()


@pytest.fixture
def index_fi(db):
    return PracticeIndexPage.objects.get(locale__language_code="fi")


@pytest.fixture
def uusimaa(index_fi):
    return RegionPage.objects.child_of(index_fi).get(region__code="01")


@pytest.fixture
def pirkanmaa(index_fi):
    return RegionPage.objects.child_of(index_fi).get(region__code="06")


@pytest.fixture(autouse=True)
def fresh_label_cache():
    """Each test's transaction is rolled back; so must be the labels cached in memory."""
    yield
    from search.facets import clear_label_cache

    clear_label_cache()


@pytest.fixture(autouse=True)
def emails_through_the_queue(settings):
    """As in production, every email goes through the durable queue (mailqueue/); Django's test set-up
    would replace EMAIL_BACKEND with locmem. The queue delivers to mail.outbox (MAILQUEUE_TRANSPORT)
    when the sending transaction commits: tests that read the outbox send inside
    ``django_capture_on_commit_callbacks(execute=True)``."""
    settings.EMAIL_BACKEND = "mailqueue.backends.QueuedEmailBackend"
