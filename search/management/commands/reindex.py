from django.core.management.base import BaseCommand

from practices.demo.synthetic import Progress
from search.indexing import rebuild_index
from search.sync import rebuild_engine


class Command(BaseCommand):
    help = (
        "Rebuild the search index from the live practices: the database index in one transaction, "
        "and, when Elasticsearch is configured, a new index per language swapped in atomically "
        "(the old one serves until the new one is complete)."
    )

    def handle(self, *args, **options):
        documents = rebuild_index(progress=Progress(1, self.stderr).show_of)
        self.stdout.write(self.style.SUCCESS(f"Database search index: {documents} documents."))
        engine = rebuild_engine(progress=Progress(1, self.stderr).show_of)
        if engine is not None:
            self.stdout.write(self.style.SUCCESS(f"Elasticsearch: {engine}"))
