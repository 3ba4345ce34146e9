"""What every search backend returns: ids in order and exact facet counts."""

from dataclasses import dataclass, field


class BackendUnavailable(RuntimeError):
    """The backend could not answer (down, slow, misconfigured); the caller falls back."""


@dataclass
class RawResult:
    total: int
    ids: list[int]  # SearchDocument ids of the requested page, in order
    counts: dict[str, dict[str, int]]  # facet -> value -> documents (disjunctive)
    totals_without: dict[str, int] = field(default_factory=dict)  # facet -> total if its selection went
    requests: int = 0  # round trips used (SQL queries or Elasticsearch requests)
    documents: list | None = None  # the page's SearchDocuments when the backend returned them (Elasticsearch)
