import signal
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections, connection

from mailqueue import delivery


class Command(BaseCommand):
    help = (
        "Deliver the queued emails continuously (mailqueue/, docs/email.md). `manage.py run_index_worker` "
        "does the same in each round, so a site that runs the index worker needs no separate email worker. "
        "SIGTERM or Ctrl-C finishes the current email and exits."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Deliver what is due, then exit "
                            "(status 1 if an attempt failed).")
        parser.add_argument("--interval", type=float, default=5.0, help="Seconds to wait when nothing is due.")

    def handle(self, *args, once=False, interval=5.0, **options):
        stopping = []
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_args: stopping.append(True))
        sent_total = failed_total = 0
        while not stopping:
            if not connection.in_atomic_block:  # a connection the database dropped is replaced
                close_old_connections()
            sent, failed = delivery.work()
            sent_total, failed_total = sent_total + sent, failed_total + failed
            if sent or failed:
                self.stdout.write(f"{sent} email(s) sent, {failed} attempt(s) failed.")
            elif once:
                break
            else:
                time.sleep(interval)
        if once:
            waiting = delivery.backlog()
            self.stdout.write(f"{waiting['pending']} email(s) pending, {waiting['failed']} failed.")
            if failed_total:
                raise SystemExit(1)
