"""Search in the main database: SQLite FTS5 or PostgreSQL full text for the words, facet bitmaps
in memory (search.backends.facet_matrix) for the counts and the order.

A search reads the index state (one query; the locale's bitmaps are brought forward when it changed) and,
with text, the ids of the matching documents in relevance order (one query). Every facet's
disjunctive counts, the total, the totals without each selection and the page of ids are then
ANDs, ORs and popcounts of Python ints.
"""

from dataclasses import replace

from django.db import connection

from ..facets import FACETS, sync_labels
from ..query import ParsedQuery, SearchRequest
from .base import RawResult
from .facet_matrix import DOCUMENTS, TEXTS, matrix_for

# Field weights: title > summary (with the plain-language summary) > body > organisations, places and
# taxonomy labels > other readings and compound parts. PostgreSQL's vector has four weights: A title,
# B summary, C body, D labels and other readings; ts_rank lists them {D, C, B, A}.
SQLITE_BM25 = "bm25(search_fts, 10.0, 5.0, 1.0, 0.8, 0.5)"
POSTGRES_WEIGHTS = "{0.06, 0.1, 0.5, 1.0}"
SEPARATE_WORDS = "{title summary body}"  # SQLite columns of the words as written (not labels, not readings)


def _quoted(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _sqlite_terms(terms) -> str:
    return "(" + " OR ".join(_quoted(term) for term in terms) + ")"


def _sqlite_word(parsed: ParsedQuery, word) -> str:
    """FTS5: the word's terms, or the sides of one of a compound's splits as separate words anywhere
    in the title, summary or body."""
    options = [_sqlite_terms(word)]
    options += ["(" + " AND ".join(f"{SEPARATE_WORDS} : {_sqlite_terms(side)}" for side in split) + ")"
                for split in parsed.splits.get(word, ())]
    return "(" + " OR ".join(options) + ")"


CLOSE = 2  # words between two query words that still count as "close together"
CLOSE_BONUS = 2.0  # the score of a document having every pair of query words close, multiplied
EXACT_BONUS = 1.5  # … having every query word in its title or summary exactly as typed


def sqlite_close(parsed: ParsedQuery) -> str:
    """FTS5: every pair of adjacent query words close together in one field, or written as one compound."""
    groups = []
    for first, second, joined in parsed.pairs:
        near = "{title summary body meta} : NEAR(" + f"{_quoted(first[0])} {_quoted(second[0])}, {CLOSE})"
        groups.append("(" + " OR ".join([near] + ([_sqlite_terms(joined)] if joined else [])) + ")")
    return " AND ".join(groups)


def sqlite_match(parsed: ParsedQuery) -> str:
    """An FTS5 query: each word as (alternative OR alternative), phrases on positional columns."""
    groups = [_sqlite_word(parsed, word) for word in parsed.words]
    groups += ["{title summary body meta} : " + _quoted(" ".join(phrase)) for phrase in parsed.phrases]
    return f" {parsed.operator.upper()} ".join(groups)


def _ts_term(term: str) -> str:
    return "'" + term.replace("'", "''").replace("\\", "") + "'"


def _ts_terms(terms) -> str:
    return "(" + " | ".join(_ts_term(term) for term in terms) + ")"


def _postgres_word(parsed: ParsedQuery, word) -> str:
    options = [_ts_terms(word)]
    options += ["(" + " & ".join("(" + " | ".join(_ts_term(term) + ":ABC" for term in side) + ")" for side in split)
                + ")" for split in parsed.splits.get(word, ())]
    return "(" + " | ".join(options) + ")"


def postgres_close(parsed: ParsedQuery) -> str:
    """As ``sqlite_close``: "b follows a, or a follows b, at a distance of 1 to CLOSE + 1"."""
    groups = []
    for first, second, joined in parsed.pairs:
        a, b = _ts_term(first[0]), _ts_term(second[0])
        options = [f"{x} <{distance}> {y}" for distance in range(1, CLOSE + 2) for x, y in ((a, b), (b, a))]
        groups.append("(" + " | ".join(options + ([_ts_terms(joined)] if joined else [])) + ")")
    return " & ".join(groups)


def postgres_match(parsed: ParsedQuery) -> str:
    """A to_tsquery('simple', …) expression equivalent to ``sqlite_match``."""
    groups = [_postgres_word(parsed, word) for word in parsed.words]
    groups += ["(" + " <-> ".join(_ts_term(term) for term in phrase) + ")" for phrase in parsed.phrases]
    return (" & " if parsed.operator == "and" else " | ").join(groups)


class DatabaseBackend:
    def __init__(self):
        self.vendor = connection.vendor
        self.name = self.vendor

    def _text_ids(self, cursor, request: SearchRequest, parsed: ParsedQuery, ranked: bool) -> list[int]:
        """Ids of the documents matching the text, by relevance when ``ranked``: the documents having
        every word itself before those matching a compound only through its parts written apart, then
        by the weighted score with its bonuses (words close together, words exactly as typed), the most
        recently published first among equals."""
        sqlite = self.vendor == "sqlite"
        match = sqlite_match(parsed) if sqlite else postgres_match(parsed)
        params, order = [match, request.locale], ""
        if ranked:
            whole_words = ""
            if parsed.splits:
                own = replace(parsed, splits={})
                whole_words = ("d.id IN (SELECT rowid FROM search_fts WHERE search_fts MATCH %s) DESC, " if sqlite
                               else "d.vector @@ to_tsquery('simple', %s) DESC, ")
                params.append(sqlite_match(own) if sqlite else postgres_match(own))
            # ts_rank's normalisation 1 divides by 1 + log(length): a long text does not win by repetition,
            # as bm25's length normalisation on SQLite.
            score = SQLITE_BM25 if sqlite else f"ts_rank('{POSTGRES_WEIGHTS}', d.vector, q.query, 1)"
            if parsed.pairs:
                close = ("d.id IN (SELECT rowid FROM search_fts WHERE search_fts MATCH %s)" if sqlite
                         else "d.vector @@ to_tsquery('simple', %s)")
                score += f" * (CASE WHEN {close} THEN {CLOSE_BONUS} ELSE 1.0 END)"
                params.append(sqlite_close(parsed) if sqlite else postgres_close(parsed))
            if parsed.surfaces:
                find = "instr(' ' || d.surface_terms || ' ', %s)" if sqlite else "strpos(' ' || d.surface_terms || ' ', %s)"
                score += f" * (CASE WHEN {' AND '.join([f'{find} > 0'] * len(parsed.surfaces))}" \
                         f" THEN {EXACT_BONUS} ELSE 1.0 END)"
                params += [f" {word} " for word in parsed.surfaces]
            # bm25 is lower for better matches, ts_rank higher
            order = f" ORDER BY {whole_words}{score}{'' if sqlite else ' DESC'}, d.last_published_at DESC, d.id"
        if sqlite:
            # CROSS JOIN keeps the full-text match as the outer loop: without an ORDER BY (a text search
            # sorted by date or title) SQLite's planner otherwise walks every document of the locale and
            # runs the MATCH once per document (2 s instead of 6 ms at 10,000 practices).
            cursor.execute(f"SELECT d.id FROM search_fts CROSS JOIN {DOCUMENTS} d ON d.id = search_fts.rowid"
                           f" WHERE search_fts MATCH %s AND d.locale = %s{order}", params)
        else:
            # The narrow SearchText rows (same column names): the documents' own rows are wide.
            cursor.execute(f"SELECT d.id FROM {TEXTS} d, to_tsquery('simple', %s) AS q(query)"
                           f" WHERE d.vector @@ q.query AND d.locale = %s{order}", params)
        return [row[0] for row in cursor.fetchall()]

    def search(self, request: SearchRequest, parsed: ParsedQuery) -> RawResult:
        by_relevance = request.sort == "relevance" and not parsed.is_empty
        with connection.cursor() as cursor:
            matrix, updating_queries = matrix_for(cursor, request.locale)
            sync_labels(matrix.labels)
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
                         requests=1 + (text_ids is not None) + updating_queries)
