"""Search in the main database: SQLite FTS5 or PostgreSQL full text for the words, facet bitmaps
in memory (search.backends.facet_matrix) for the counts and the order.

A search reads the index token (one query; the locale's bitmaps are rebuilt when it changed) and,
with text, the ids of the matching documents in relevance order (one query). Every facet's
disjunctive counts, the total, the totals without each selection and the page of ids are then
ANDs, ORs and popcounts of Python ints.
"""

from django.db import connection

from ..facets import FACETS, sync_labels
from ..query import ParsedQuery, SearchRequest
from .base import RawResult
from .facet_matrix import DOCUMENTS, matrix_for

# Column weights: title > summary > organisations and labels > body > other readings.
SQLITE_BM25 = "bm25(search_fts, 10.0, 5.0, 1.0, 2.0, 0.5)"


def _quoted(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def sqlite_match(parsed: ParsedQuery) -> str:
    """An FTS5 query: each word as (alternative OR alternative), phrases on positional columns."""
    groups = ["(" + " OR ".join(_quoted(term) for term in word) + ")" for word in parsed.words]
    groups += ["{title summary body meta} : " + _quoted(" ".join(phrase)) for phrase in parsed.phrases]
    return f" {parsed.operator.upper()} ".join(groups)


def _ts_term(term: str) -> str:
    return "'" + term.replace("'", "''").replace("\\", "") + "'"


def postgres_match(parsed: ParsedQuery) -> str:
    """A to_tsquery('simple', …) expression equivalent to ``sqlite_match``."""
    groups = ["(" + " | ".join(_ts_term(term) for term in word) + ")" for word in parsed.words]
    groups += ["(" + " <-> ".join(_ts_term(term) for term in phrase) + ")" for phrase in parsed.phrases]
    return (" & " if parsed.operator == "and" else " | ").join(groups)


class DatabaseBackend:
    def __init__(self):
        self.vendor = connection.vendor
        self.name = self.vendor

    def _text_ids(self, cursor, request: SearchRequest, parsed: ParsedQuery, ranked: bool) -> list[int]:
        """Ids of the documents matching the text, by relevance (ties by id) when ``ranked``."""
        if self.vendor == "sqlite":
            order = f" ORDER BY {SQLITE_BM25}, d.id" if ranked else ""
            cursor.execute(f"SELECT d.id FROM search_fts JOIN {DOCUMENTS} d ON d.id = search_fts.rowid"
                           f" WHERE search_fts MATCH %s AND d.locale = %s{order}",
                           [sqlite_match(parsed), request.locale])
        else:
            order = " ORDER BY ts_rank('{0.1, 0.2, 0.4, 1.0}', d.vector, q.query) DESC, d.id" if ranked else ""
            cursor.execute(f"SELECT d.id FROM {DOCUMENTS} d, to_tsquery('simple', %s) AS q(query)"
                           f" WHERE d.vector @@ q.query AND d.locale = %s{order}",
                           [postgres_match(parsed), request.locale])
        return [row[0] for row in cursor.fetchall()]

    def search(self, request: SearchRequest, parsed: ParsedQuery) -> RawResult:
        by_relevance = request.sort == "relevance" and not parsed.is_empty
        with connection.cursor() as cursor:
            matrix, rebuilt = matrix_for(cursor, request.locale)
            sync_labels(matrix.token)
            text_ids = None if parsed.is_empty else self._text_ids(cursor, request, parsed, by_relevance)
        matched = matrix.all if text_ids is None else matrix.bitmap(text_ids)
        chosen = {facet: matrix.selection(facet, values) for facet, values in request.selections.items()}

        def without(skip=None) -> int:
            """Documents matching the text and every selection but ``skip``'s."""
            bits = matched
            for facet, selection in chosen.items():
                if facet != skip:
                    bits &= selection
            return bits

        full = without()
        counts = {}
        for facet in FACETS:
            base = without(facet.name) if facet.name in chosen else full
            counts[facet.name] = {value: count for value, bits in matrix.values.get(facet.name, {}).items()
                                  if (count := (bits & base).bit_count())}
        ids = matrix.page(full, request.offset, request.offset + request.page_size,
                          sort="newest" if request.sort == "relevance" else request.sort,
                          ranked=text_ids if by_relevance else None)
        return RawResult(total=full.bit_count(), ids=ids, counts=counts,
                         totals_without={facet: without(facet).bit_count() for facet in chosen},
                         requests=1 + (text_ids is not None) + 2 * rebuilt)
