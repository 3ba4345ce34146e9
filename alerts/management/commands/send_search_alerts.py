from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime
from django.utils.timezone import is_naive, make_aware

from alerts.digest import send_due
from alerts.models import Subscription


class Command(BaseCommand):
    help = ("Queue the saved-search digests that are due (only where something new matched), and delete "
            "subscriptions left unconfirmed for 7 days. The index worker does this every 10 minutes; "
            "this command is for cron, tests and a manual run.")

    def add_arguments(self, parser):
        parser.add_argument("--frequency", choices=Subscription.Frequency.values, help="Only daily or weekly ones.")
        parser.add_argument("--now", help="Act as if it were this moment (ISO 8601), e.g. 2026-12-09T08:00:00+02:00.")

    def handle(self, *args, frequency=None, now=None, **options):
        moment = None
        if now:
            try:
                moment = parse_datetime(now)
            except ValueError:  # well formed but impossible, e.g. month 13
                moment = None
            if moment is None:
                raise CommandError(f"--now: not an ISO 8601 date and time: {now!r}")
            if is_naive(moment):
                moment = make_aware(moment)
        report = send_due(moment, frequency)
        if report.postponed:
            self.stderr.write("The search index has changes still waiting; no digests were sent. Run again "
                              "once the index worker has applied them.")
            raise SystemExit(1)
        self.stdout.write(f"{report.sent} digest(s) queued, {report.nothing_new} subscription(s) with nothing "
                          f"new, {report.pruned} unconfirmed subscription(s) deleted.")
        if report.failed:
            self.stderr.write(f"{report.failed} digest(s) failed (see the log); they are tried again next round.")
            raise SystemExit(1)
