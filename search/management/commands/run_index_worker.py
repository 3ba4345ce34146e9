import signal
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections, connection

from alerts import digest as alert_digest
from mailqueue import delivery as email_delivery
from search import changelog, indexing


class Command(BaseCommand):
    help = (
        "Apply the search index change log continuously: the database index, then Elasticsearch "
        "(with the administrative timeout; a cluster that is down is retried every few seconds). "
        "SIGTERM or Ctrl-C finishes the current batch and exits. Run one per site (more are safe). "
        "Each round also delivers the queued emails (as `manage.py send_queued_email` does), so one "
        "worker process serves both, and queues the saved-search alert digests that are due (every 10 minutes)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Drain until nothing is due, then exit "
                            "(status 1 if changes are still waiting, e.g. for a cluster that is down).")
        parser.add_argument("--interval", type=float, default=0.5, help="Seconds to wait when nothing is due.")
        parser.add_argument("--batch", type=int, default=200, help="Translation groups per batch.")

    def handle(self, *args, once=False, interval=0.5, batch=200, **options):
        stopping = []
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_args: stopping.append(True))
        engine = None
        if indexing.search_engine_configured():
            from search.backends.elasticsearch import ElasticsearchBackend

            engine = ElasticsearchBackend.for_administration()
        self.stdout.write(f"Index worker started ({'database and Elasticsearch' if engine else 'database'}).")
        while not stopping:
            if not connection.in_atomic_block:  # a connection the database dropped is replaced
                close_old_connections()
            report = changelog.drain(limit=batch, engine=engine)
            email_delivery.work()  # logs its own errors and never raises
            alert_digest.work()  # due saved-search digests, every 10 minutes; logs its own errors
            if report.applied:
                self.stdout.write(f"Applied {report.database} groups to the database index and "
                                  f"{report.engine} to Elasticsearch ({report.failed} waiting for a retry).")
            if once and not report.applied:
                waiting = changelog.backlog()
                if waiting["pending_changes"]:
                    self.stderr.write(f"{waiting['pending_changes']} changes still waiting: {waiting['last_error']}")
                    raise SystemExit(1)
                break
            if not report.applied:
                time.sleep(interval)
        self.stdout.write("Index worker stopped.")
