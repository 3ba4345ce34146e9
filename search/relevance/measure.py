"""Relevance of the search on the project's own judged query set (queries.json): recall@10 and
nDCG@10 per backend and per kind, and whether every negative stays out of the results.

Practices are named in the set by their demo key (the Finnish slug); a hit counts for the practice
of its translation group, whatever the language of the page that answered.
"""

import json
import math
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.http import QueryDict
from django.test.utils import override_settings

from practices.models import PracticeIndexPage, PracticePage
from search.breaker import reset_breakers
from search.query import parse_request
from search.service import search

QUERIES = Path(__file__).resolve().parent / "queries.json"
CUTOFF = 10


@dataclass
class Outcome:
    query: dict
    top: list[str]  # practice keys of the first CUTOFF hits
    everything: list[str]  # practice keys of every hit on the first pages (negatives)
    recall: float | None = None
    ndcg: float | None = None
    negative_ok: bool | None = None
    missed: list[str] = field(default_factory=list)


def load_queries(path=QUERIES) -> list[dict]:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def graded(relevant) -> dict[str, int]:
    return dict(relevant) if isinstance(relevant, dict) else {key: 1 for key in relevant}


def practice_keys() -> dict:
    """translation_key -> the demo key (the Finnish page's slug)."""
    finnish = PracticeIndexPage.objects.get(locale__language_code="fi")
    return dict(PracticePage.objects.descendant_of(finnish).values_list("translation_key", "slug"))


class BackendMissing(RuntimeError):
    """The backend to measure did not answer."""


def run_query(query: dict, group_of: dict, key_of: dict, backend: str = "database") -> Outcome:
    params = QueryDict(mutable=True)
    params["q"] = query["query"]
    for facet, values in query.get("filters", {}).items():
        params.setlist(facet, values)
    params["page_size"] = "100"
    result = search(parse_request(params, query["language"], strict=True))
    if (result.backend == "elasticsearch") != (backend == "elasticsearch"):  # the database answered instead
        raise BackendMissing(f"{query['id']}: answered by {result.backend}, not {backend}: is Elasticsearch up "
                             "and its index built (manage.py reindex)?")
    keys = [key_of.get(group_of.get(hit.id)) for hit in result.hits]
    return score(Outcome(query=query, top=keys[:CUTOFF], everything=keys))


def score(outcome: Outcome) -> Outcome:
    query, relevant = outcome.query, graded(outcome.query.get("relevant", {}))
    if relevant:
        found = [key for key in relevant if key in outcome.top]
        outcome.recall = len(found) / len(relevant)
        outcome.missed = [key for key in relevant if key not in outcome.top]
        gains = [relevant.get(key, 0) for key in outcome.top]
        dcg = sum((2 ** gain - 1) / math.log2(rank + 2) for rank, gain in enumerate(gains))
        ideal = sorted(relevant.values(), reverse=True)[:CUTOFF]
        idcg = sum((2 ** gain - 1) / math.log2(rank + 2) for rank, gain in enumerate(ideal))
        outcome.ndcg = dcg / idcg if idcg else 0.0
    if query.get("must_not"):
        outcome.negative_ok = not set(query["must_not"]) & set(outcome.everything)
    return outcome


def measure(backend: str, elasticsearch_url: str = "") -> list[Outcome]:
    """Every query through the search service on one backend ("database" or "elasticsearch")."""
    key_of = practice_keys()
    group_of = dict(PracticePage.objects.values_list("pk", "translation_key"))
    if backend == "elasticsearch" and not elasticsearch_url:
        raise BackendMissing("Elasticsearch is not configured (ELASTICSEARCH_URL)")
    # Relevance, not speed, is measured: a busy machine's slow answer must not fall back to the database.
    timeout = max(settings.KB_ELASTICSEARCH_TIMEOUT, 30)
    reset_breakers()
    with override_settings(KB_ELASTICSEARCH_URL=elasticsearch_url if backend == "elasticsearch" else "",
                           KB_ELASTICSEARCH_TIMEOUT=timeout):
        return [run_query(query, group_of, key_of, backend) for query in load_queries()]


def summary(outcomes: list[Outcome]) -> dict:
    """kind -> (queries, mean recall@10, mean nDCG@10, negatives kept out / negatives), plus "all"."""
    groups = defaultdict(list)
    for outcome in outcomes:
        groups[(outcome.query["language"], outcome.query["kind"])].append(outcome)
        groups[("all", outcome.query["kind"])].append(outcome)
        groups[("all", "all")].append(outcome)
    table = {}
    for group, members in sorted(groups.items()):
        recalls = [o.recall for o in members if o.recall is not None]
        ndcgs = [o.ndcg for o in members if o.ndcg is not None]
        negatives = [o.negative_ok for o in members if o.negative_ok is not None]
        table[group] = {
            "queries": len(members),
            "recall": sum(recalls) / len(recalls) if recalls else None,
            "ndcg": sum(ndcgs) / len(ndcgs) if ndcgs else None,
            "negatives": (sum(negatives), len(negatives)),
        }
    return table
