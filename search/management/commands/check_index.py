from django.core.management.base import BaseCommand

from search import changelog
from search.consistency import differences, engine_for_checks, repair


class Command(BaseCommand):
    help = (
        "Compare the live practices with the database search index and every Elasticsearch index "
        "(ids, live status, versions, titles, URLs, facets) and print the differences; exit status 1 "
        "when there are any. --repair re-indexes the groups concerned through the change log."
    )

    def add_arguments(self, parser):
        parser.add_argument("--repair", action="store_true", help="Fix what differs, then check again.")

    def handle(self, *args, **options):
        engine = engine_for_checks()
        found = differences(engine)
        for difference in found:
            self.stdout.write(str(difference))
        waiting = changelog.backlog()
        if waiting["pending_changes"]:
            self.stdout.write(f"Change log: {waiting['pending_changes']} changes of {waiting['pending_groups']} "
                              f"groups waiting (oldest {waiting['oldest_seconds']} s) {waiting['last_error']}")
        if found and options["repair"]:
            report = repair(found, engine)
            self.stdout.write(f"Repaired: {report.database} groups in the database index, {report.engine} in "
                              f"Elasticsearch, {report.failed} failed.")
            found = differences(engine)
        self.stdout.write(f"{len(found)} differences")
        if found:
            raise SystemExit(1)
