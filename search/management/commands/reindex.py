from django.core.management.base import BaseCommand

from kb.progress import Progress
from search.changelog import rebuild_engine
from search.indexing import rebuild_index


class Command(BaseCommand):
    help = (
        "Rebuild the search index from the live practices while publishing goes on: the database "
        "index a chunk of translation groups per short transaction, then, when Elasticsearch is "
        "configured, a new index per language that replays the changes made meanwhile and is swapped "
        "in atomically (the old one serves until then; a failure deletes the unfinished new one)."
    )

    def handle(self, *args, **options):
        documents = rebuild_index(progress=Progress(1, self.stderr).show_of)
        self.stdout.write(self.style.SUCCESS(f"Database search index: {documents} documents."))
        engine = rebuild_engine(progress=Progress(1, self.stderr).show_of)
        if engine is not None:
            self.stdout.write(self.style.SUCCESS(f"Elasticsearch: {engine}"))
