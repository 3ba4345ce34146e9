"""manage.py search_relevance: recall@10 and nDCG@10 of the search on the project's judged query set
(search/relevance/queries.json), per backend and per kind, on the demo content (docs/search.md,
"Relevance"). The database backend is the one of DATABASE_URL (SQLite or PostgreSQL); Elasticsearch
is the node of ELASTICSEARCH_URL, its index built (manage.py reindex)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from search.relevance import baseline
from search.relevance.measure import BackendMissing, measure


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("--backend", choices=("database", "elasticsearch", "all"), default="all",
                            help="all (default): the database, and Elasticsearch when ELASTICSEARCH_URL is set")
        parser.add_argument("--misses", action="store_true", help="list every query that missed something")
        parser.add_argument("--markdown", action="store_true", help="print only the table (for docs/search.md)")
        parser.add_argument("--from-baseline", action="store_true",
                            help="with --markdown: the table of the committed baseline, every family, no search")
        parser.add_argument("--write-baseline", action="store_true",
                            help=f"record the figures of the backends measured in {baseline.BASELINE.name}")
        parser.add_argument("--check", action="store_true",
                            help="exit status 1 on any query that misses or any drop below the baseline")

    def handle(self, *args, backend, misses, markdown, from_baseline, write_baseline, check, **options):
        if from_baseline:
            if not markdown or write_baseline or check:
                raise CommandError("--from-baseline goes with --markdown only")
            stored = baseline.load()
            if not stored:
                raise CommandError(f"no baseline in {baseline.BASELINE}: write one with --write-baseline")
            self.stdout.write(baseline.markdown_table(stored) + "\n")
            return
        outcomes = self.measure_all(backend)
        figures = {name: baseline.record(results) for name, results in outcomes.items()}
        if markdown:
            self.stdout.write(baseline.markdown_table(figures) + "\n")
        else:
            for name, results in outcomes.items():
                self.stdout.write(f"\n{name}\n{baseline.markdown_table({name: figures[name]})}\n")
                if misses:
                    self.list_misses(name, results)
        found = []
        if check:  # against the baseline as committed, before any rewrite
            stored = baseline.load()
            found = [f"{name}: {line}" for name, results in outcomes.items()
                     for line in baseline.problems(name, results, stored)]
        if write_baseline:
            baseline.write(figures)
            self.stderr.write(f"Baseline of {', '.join(figures)} written to {baseline.BASELINE}")
        if check:
            for line in found:
                self.stderr.write(line)
            if found:
                raise CommandError(f"{len(found)} relevance problem(s)", returncode=1)
            self.stderr.write(f"Relevance check passed on {', '.join(outcomes)}.")

    def measure_all(self, backend: str) -> dict:
        """family -> outcomes, for the backends asked for."""
        wanted = ["database", "elasticsearch"] if backend == "all" else [backend]
        url = settings.KB_ELASTICSEARCH_URL
        if backend == "all" and not url:
            wanted = ["database"]
            self.stderr.write("Elasticsearch is not configured (ELASTICSEARCH_URL): measuring the database only.")
        outcomes = {}
        for name in wanted:
            try:
                outcomes[baseline.family(name)] = measure(name, url)
            except BackendMissing as error:
                raise CommandError(f"cannot measure {name}: {error}") from error
        return outcomes

    def list_misses(self, name: str, results):
        for outcome in results:
            known = baseline.known_miss(outcome.query, name)
            lines = [f"{outcome.query['kind']}: {baseline.describe(outcome)}: missing {', '.join(outcome.missed)}"
                     f" (top 5: {', '.join(map(str, outcome.top[:5])) or 'nothing'})"] if outcome.missed else []
            if outcome.negative_ok is False:
                lines.append(f"{outcome.query['kind']}: {baseline.describe(outcome)}: returned a must_not practice")
            for line in lines:
                self.stdout.write(f"  {line}" + (f" [known miss: {known}]" if known else "") + "\n")
        for line in baseline.stale_marks(results, name):
            self.stdout.write(f"  {line}: marked known_miss but found now: the mark can go\n")
