"""Search in the main database: SQLite FTS5 or PostgreSQL full text, facets by SQL.

One round trip counts everything (every facet's disjunctive counts, the total and the totals
without each selection, as one UNION ALL); a second fetches the page of ids.
"""

from django.db import connection

from ..facets import FACETS
from ..query import ParsedQuery, SearchRequest
from .base import RawResult

DOCUMENTS = "kb_search_searchdocument"
FACET_VALUES = "kb_search_searchfacetvalue"
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

    # --- SQL pieces ---------------------------------------------------------------------------
    def _match(self, parsed: ParsedQuery, column: str):
        """SQL restricting a document id column to the text match, or None without text."""
        if parsed.is_empty:
            return None
        if self.vendor == "sqlite":
            return f"{column} IN (SELECT rowid FROM search_fts WHERE search_fts MATCH %s)", [sqlite_match(parsed)]
        return (f"{column} IN (SELECT id FROM {DOCUMENTS} WHERE vector @@ to_tsquery('simple', %s))",
                [postgres_match(parsed)])

    @staticmethod
    def _selection(facet: str, values, column: str, locale: str):
        placeholders = ", ".join(["%s"] * len(values))
        return (f"{column} IN (SELECT document_id FROM {FACET_VALUES} WHERE locale = %s AND facet = %s"
                f" AND value IN ({placeholders}))", [locale, facet, *values])

    def _conditions(self, request: SearchRequest, parsed: ParsedQuery, column: str, skip_facet=None):
        conditions = []
        match = self._match(parsed, column)
        if match:
            conditions.append(match)
        for facet, values in request.selections.items():
            if facet != skip_facet:
                conditions.append(self._selection(facet, values, column, request.locale))
        return conditions

    @staticmethod
    def _where(base_sql, base_params, conditions):
        sql = " AND ".join([base_sql] + [c[0] for c in conditions])
        params = list(base_params) + [p for c in conditions for p in c[1]]
        return sql, params

    # --- the search -----------------------------------------------------------------------------
    def search(self, request: SearchRequest, parsed: ParsedQuery) -> RawResult:
        parts, params = [], []
        for facet in FACETS:
            where, where_params = self._where(
                "fv.locale = %s AND fv.facet = %s", [request.locale, facet.name],
                self._conditions(request, parsed, "fv.document_id", skip_facet=facet.name),
            )
            parts.append(f"SELECT %s, fv.value, COUNT(*) FROM {FACET_VALUES} fv WHERE {where} GROUP BY fv.value")
            params += [facet.name, *where_params]
        where, where_params = self._where("d.locale = %s", [request.locale],
                                          self._conditions(request, parsed, "d.id"))
        parts.append(f"SELECT '', '', COUNT(*) FROM {DOCUMENTS} d WHERE {where}")
        params += where_params
        for facet in request.selections:
            without, without_params = self._where(
                "d.locale = %s", [request.locale], self._conditions(request, parsed, "d.id", skip_facet=facet))
            parts.append(f"SELECT '', %s, COUNT(*) FROM {DOCUMENTS} d WHERE {without}")
            params += [facet, *without_params]

        counts = {facet.name: {} for facet in FACETS}
        total, totals_without = 0, {}
        with connection.cursor() as cursor:
            cursor.execute(" UNION ALL ".join(parts), params)
            for facet, value, count in cursor.fetchall():
                if facet:
                    counts[facet][value] = count
                elif value:
                    totals_without[value] = count
                else:
                    total = count
            ids = self._page_ids(cursor, request, parsed)
        return RawResult(total=total, ids=ids, counts=counts, totals_without=totals_without, requests=2)

    def _page_ids(self, cursor, request: SearchRequest, parsed: ParsedQuery) -> list[int]:
        limit = [request.page_size, request.offset]
        if request.sort == "relevance" and not parsed.is_empty:
            filters = self._conditions(request, parsed, "d.id")[1:]  # the text match is the join below
            if self.vendor == "sqlite":
                where, params = self._where("search_fts MATCH %s AND d.locale = %s",
                                            [sqlite_match(parsed), request.locale], filters)
                cursor.execute(
                    f"SELECT d.id FROM search_fts JOIN {DOCUMENTS} d ON d.id = search_fts.rowid WHERE {where}"
                    f" ORDER BY {SQLITE_BM25}, d.id LIMIT %s OFFSET %s", params + limit)
            else:
                where, params = self._where("d.vector @@ q.query AND d.locale = %s", [request.locale], filters)
                cursor.execute(
                    f"SELECT d.id FROM {DOCUMENTS} d, to_tsquery('simple', %s) AS q(query) WHERE {where}"
                    " ORDER BY ts_rank('{0.1, 0.2, 0.4, 1.0}', d.vector, q.query) DESC, d.id"
                    " LIMIT %s OFFSET %s", [postgres_match(parsed), *params, *limit])
        else:
            order = {
                "relevance": "d.first_published_at DESC, d.id DESC",
                "newest": "d.first_published_at DESC, d.id DESC",
                "updated": "d.last_published_at DESC, d.id DESC",
                "title": "d.title_sort ASC, d.id",
            }[request.sort]
            where, params = self._where("d.locale = %s", [request.locale], self._conditions(request, parsed, "d.id"))
            cursor.execute(f"SELECT d.id FROM {DOCUMENTS} d WHERE {where} ORDER BY {order} LIMIT %s OFFSET %s",
                           params + limit)
        return [row[0] for row in cursor.fetchall()]

    # --- typo tolerance -----------------------------------------------------------------------------
    def similar_terms(self, locale: str, term: str, limit: int = 3) -> list[str]:
        """Vocabulary terms within Elasticsearch-style AUTO edit distance of an unknown ``term``.
        PostgreSQL preselects candidates by trigram similarity (pg_trgm); SQLite by first letter and
        length. A term the vocabulary knows is not corrected."""
        from ..typos import close_terms

        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM kb_search_searchterm WHERE locale = %s AND term = %s", [locale, term])
            if cursor.fetchone():
                return []
            if self.vendor == "postgresql":
                cursor.execute(
                    "SELECT term FROM kb_search_searchterm WHERE locale = %s AND term %% %s"
                    " ORDER BY similarity(term, %s) DESC, term LIMIT 50", [locale, term, term])
            else:
                cursor.execute(
                    "SELECT term FROM kb_search_searchterm WHERE locale = %s AND substr(term, 1, 1) = %s"
                    " AND length(term) BETWEEN %s AND %s", [locale, term[:1], len(term) - 2, len(term) + 2])
            return close_terms(term, [row[0] for row in cursor.fetchall()], limit)
