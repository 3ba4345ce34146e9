"""What every search backend returns: ids in order and exact facet counts."""

from dataclasses import dataclass, field
from datetime import datetime


class BackendUnavailable(RuntimeError):
    """The backend could not answer (down, slow, misconfigured); the caller falls back."""


@dataclass
class RawResult:
    total: int
    ids: list[int]  # SearchDocument ids of the requested page, in order
    counts: dict[str, dict[str, int]]  # facet -> value -> documents (disjunctive)
    totals_without: dict[str, int] = field(default_factory=dict)  # facet -> total if its selection went
    requests: int = 0  # round trips used (SQL queries or Elasticsearch requests)
    documents: list["StoredHit"] | None = None  # the page's hits when the backend returned them (Elasticsearch)


@dataclass(slots=True)
class StoredHit:
    """What a hit shows, as a search engine stored it: the fields of a SearchDocument that the
    service reads, without building a model instance per hit on every search."""

    pk: int  # the SearchDocument's id
    page_id: int
    url: str
    language: str
    is_fallback: bool
    title: str
    summary: str
    body_text: str
    facets: dict[str, list[str]]
    first_published_at: datetime | None
    last_published_at: datetime | None
    adoption_count: int
