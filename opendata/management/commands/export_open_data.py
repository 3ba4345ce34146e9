import logging

from django.core.management.base import BaseCommand

from opendata import dump

logger = logging.getLogger("opendata")


class Command(BaseCommand):
    help = (
        "Write the open data dump: every live practice per language (fi, sv, en) as JSON Lines and CSV, the JSON "
        "Schema and metadata.json, into OPEN_DATA_ROOT (served at /open-data/). Each file is replaced atomically, "
        "and only when its content changed; run it from cron or deploy/systemd/kb-open-data.timer."
    )

    def add_arguments(self, parser):
        parser.add_argument("--directory", help="Write here instead of OPEN_DATA_ROOT.")
        parser.add_argument("--base-url", help="Address of the site in the practices' URLs (default: BASE_URL).")

    def handle(self, *args, directory=None, base_url=None, **options):
        report = dump.export(directory, base_url)
        counts = ", ".join(f"{language} {count}" for language, count in report.counts.items())
        if report.written:
            message = f"Open data in {report.directory}: practices {counts}; updated {', '.join(report.written)}."
        else:
            message = f"Open data in {report.directory}: practices {counts}; nothing changed."
        logger.info(message)
        self.stdout.write(message)
