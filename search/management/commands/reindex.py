import os
import time

from django.core.management.base import BaseCommand, CommandError

from search.changelog import rebuild_engine
from search.indexing import LANGUAGE_CODES, rebuild_index, search_engine_configured


def duration(seconds: float) -> str:
    seconds = round(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}" if seconds >= 3600 else (
        f"{seconds // 60}:{seconds % 60:02d}")


class Throughput:
    """Progress of one part of a reindex: done of total, documents per second and the time left,
    redrawn on one line on a terminal, a line every ``every`` seconds in a log."""

    def __init__(self, label: str, out, every: float = 10.0):
        self.label, self.out, self.every = label, out, every
        self.tty = hasattr(out, "isatty") and out.isatty()
        self.started = self.shown = time.monotonic()
        self.documents = self.done = self.total = 0
        self.unit = "documents"
        self.finished_before, self.language = 0, 1  # the Elasticsearch rebuild's languages

    def rate(self) -> float:
        return self.documents / max(time.monotonic() - self.started, 1e-9)

    def line(self) -> str:
        elapsed = time.monotonic() - self.started
        left = elapsed * (self.total - self.done) / self.done if self.done else 0.0
        of = (f"{self.done:,}/{self.total:,} practices, {self.documents:,} documents" if self.unit == "practices"
              else f"language {self.language}/{len(LANGUAGE_CODES)}, {self.done:,}/{self.total:,} documents")
        return (f"{self.label}: {of} ({100 * self.done // max(self.total, 1)} %), {self.rate():,.0f} documents/s, "
                f"{duration(elapsed)} elapsed, about {duration(left)} left")

    def _show(self):
        now, finished = time.monotonic(), self.done >= self.total
        if self.tty:
            self.out.write(f"\r{self.line()}\033[K" + ("\n" if finished else ""))
        elif finished or now - self.shown >= self.every:
            self.out.write(self.line() + "\n")
            self.shown = now
        self.out.flush()

    def groups(self, done: int, total: int, documents: int):
        """rebuild_index's report: translation groups done, of total, and documents written."""
        self.unit, self.done, self.total, self.documents = "practices", done, total, documents
        self._show()

    def sent(self, done: int, total: int):
        """The Elasticsearch rebuild's progress, one language (one new index) after the other:
        documents sent of that language's total."""
        if self.total and self.done >= self.total:  # the previous language was finished
            if (done, total) == (self.done, self.total):
                return  # its closing call repeated
            self.finished_before += self.done
            self.language += 1
        self.done, self.total, self.documents = done, total, self.finished_before + done
        self._show()


class Command(BaseCommand):
    help = (
        "Rebuild the search index from the live practices while publishing goes on: the database "
        "index a chunk of translation groups per short transaction, then, when Elasticsearch is "
        "configured, a new index per language that replays the changes made meanwhile and is swapped "
        "in atomically (the old one serves until then; a failure deletes the unfinished new one). "
        "Progress (documents/s, time left) goes to stderr. --elasticsearch-only skips the database index."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--elasticsearch-only", action="store_true",
            help="Only new Elasticsearch indexes, copied from the database index as it is: after losing or "
                 "replacing the cluster, or to apply new shard or replica settings. The database index is "
                 "not analysed again (run check_index first if it may be wrong).")
        parser.add_argument(
            "--workers", type=int, default=len(os.sched_getaffinity(0)),
            help="Processes that read the practices and build their documents while this one writes "
                 "(default: the CPUs this process may use; 1: one process, each chunk read under its lock).")

    def handle(self, *args, **options):
        if options["elasticsearch_only"] and not search_engine_configured():
            raise CommandError("--elasticsearch-only: no Elasticsearch is configured (ELASTICSEARCH_URL).")
        if options["workers"] < 1:
            raise CommandError(f"--workers: at least 1 (given {options['workers']}).")
        if not options["elasticsearch_only"]:
            database = Throughput("Database index", self.stderr)
            documents = rebuild_index(report=database.groups, workers=options["workers"])
            self.stdout.write(self.style.SUCCESS(
                f"Database search index: {documents:,} documents in {time.monotonic() - database.started:.1f} s "
                f"({database.rate():,.0f} documents/s)."))
        engine_progress = Throughput("Elasticsearch", self.stderr)
        engine = rebuild_engine(progress=engine_progress.sent)
        if engine is not None:
            self.stdout.write(self.style.SUCCESS(
                f"Elasticsearch: {engine} ({time.monotonic() - engine_progress.started:.1f} s, "
                f"{engine_progress.rate():,.0f} documents/s)"))
