"""Facet bitmaps kept in each process, the way search engines cache filters (Solr's filter cache,
roaring bitmaps), with Python ints as bitsets.

A ``FacetMatrix`` holds one locale's index: a bit position per document, one bitmap per
(facet, value), the bitmap of every live document and the positions in each sort order. Counting
a facet value is then one AND and one ``int.bit_count()`` (about a microsecond at 10,000 documents)
instead of a SQL GROUP BY.

The matrix follows the index state (``SearchIndexState``: a random token and a version that every
transaction writing the index replaces, see search.indexing.index_changed). Each search reads the
state; a matrix of another token is brought forward *incrementally*: the documents written after
its version are added at new positions (inserted into the orders by their sort keys), the
documents removed since (``SearchDocumentRemoval``) lose their bits and leave a hole. That needs its
own version to be one the index really had (``SearchIndexVersion`` still holds its token: not a
rolled-back write seen by this connection, nor an emptied or restored database, nor forgotten);
otherwise, and for a large gap or many holes, the matrix is built afresh. One thread per locale updates the matrix at a time; the others
answer from the previous one meanwhile. Matrices are never changed in place: an update makes a new
one and swaps it in whole.
"""

import bisect
import itertools
import sys
import threading
from array import array
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

DOCUMENTS = "kb_search_searchdocument"
TEXTS = "kb_search_searchtext"  # PostgreSQL's full-text rows (SearchText)
FACET_VALUES = "kb_search_searchfacetvalue"
STATE = "kb_search_searchindexstate"
REMOVALS = "kb_search_searchdocumentremoval"
VERSIONS = "kb_search_searchindexversion"
SORTS = ("newest", "updated", "title", "adopted")
KEY_COLUMNS = "id, first_published_at, last_published_at, title_sort, adoption_count"
NO_TIME = -(2 ** 62)  # a missing date sorts last in the newest-first orders, as SQL's NULLS LAST
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
# An update bigger than this (documents added and removed) is a full build instead; so is one
# that would leave more holes than this (deleted documents keep their position until a build).
LARGE_GAP = 2000
MAX_HOLES = 5000


def order_sql(sort: str, vendor: str) -> str:
    """The SQL order of ``sort``, the one ``_sort_key`` follows: titles by code point (the sort key
    is made for that, practices.collation), a missing date last."""
    title = 'title_sort COLLATE "C"' if vendor == "postgresql" else "title_sort"
    return {
        "newest": "first_published_at DESC NULLS LAST, id DESC",
        "updated": "last_published_at DESC NULLS LAST, id DESC",
        "title": f"{title}, id",
        "adopted": "adoption_count DESC, first_published_at DESC NULLS LAST, id DESC",  # then newest
    }[sort]


def _micros(value) -> int:
    """A date column as microseconds since 1970 (SQLite gives naive UTC datetimes or text)."""
    if value is None:
        return NO_TIME
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return (value - _EPOCH) // _MICROSECOND


def _bitmap(positions, size: int) -> int:
    buffer = bytearray((size + 7) // 8)
    for position in positions:
        buffer[position >> 3] |= 1 << (position & 7)
    return int.from_bytes(buffer, "little")


@dataclass(frozen=True)
class FacetMatrix:
    token: str
    version: int  # the index version it shows: every document written up to it, none after
    ids: array  # bit position -> SearchDocument id (0: a hole, the document was removed)
    positions: dict[int, int]  # SearchDocument id -> bit position, live documents only
    all: int  # every live document of the locale
    values: dict[str, dict[str, int]]  # facet -> value -> bitmap of the documents having it
    orders: dict[str, array]  # sort -> bit positions in that order (holes included, never set)
    first: array  # bit position -> sort keys: first and last published (microseconds),
    last: array
    titles: list[str]  # the title's sort key,
    adoptions: array  # and the approved adoptions
    labels: str = ""  # the taxonomy labels' token when it was read (SearchIndexState.labels_token)

    # --- Building ---------------------------------------------------------------------------------
    @classmethod
    def build(cls, cursor, locale: str, token: str, version: int) -> "FacetMatrix":
        """Every document of the locale written up to ``version``: two queries."""
        vendor = cursor.db.vendor
        others = [sort for sort in SORTS if sort != "newest"]
        ranks = ", ".join(f"ROW_NUMBER() OVER (ORDER BY {order_sql(sort, vendor)})" for sort in others)
        cursor.execute(f"SELECT {KEY_COLUMNS}, {ranks} FROM {DOCUMENTS} WHERE locale = %s AND version <= %s"
                       f" ORDER BY {order_sql('newest', vendor)}", [locale, version])
        rows = cursor.fetchall()
        size = len(rows)
        orders = {"newest": array("i", range(size))}
        orders.update({sort: array("i", bytes(4 * size)) for sort in others})
        for position, row in enumerate(rows):
            for sort, rank in zip(others, row[5:], strict=True):
                orders[sort][rank - 1] = position
        ids = array("q", (row[0] for row in rows))
        positions = {pk: position for position, pk in enumerate(ids)}
        # One row per (facet, value) with its documents' ids: 100-odd rows instead of 160,000.
        ids_of = "GROUP_CONCAT(document_id)" if vendor == "sqlite" else "STRING_AGG(document_id::text, ',')"
        cursor.execute(f"SELECT facet, value, {ids_of} FROM {FACET_VALUES} WHERE locale = %s"
                       " GROUP BY facet, value ORDER BY facet, value", [locale])
        values: dict[str, dict[str, int]] = {}
        for facet, value, members in cursor.fetchall():
            found = [positions.get(pk) for pk in map(int, members.split(","))]
            # None: a document written after ``version``; the next update adds it
            values.setdefault(facet, {})[value] = _bitmap((p for p in found if p is not None), size)
        return cls(token=token, version=version, ids=ids, positions=positions, all=(1 << size) - 1,
                   values=values, orders=orders, first=array("q", (_micros(row[1]) for row in rows)),
                   last=array("q", (_micros(row[2]) for row in rows)), titles=[row[3] for row in rows],
                   adoptions=array("q", (row[4] for row in rows)))

    def advance(self, cursor, locale: str, token: str, version: int) -> "FacetMatrix | None":
        """This matrix brought to ``version``: the removals and the new documents since (three
        queries), or None when a full build is the better way."""
        cursor.execute(f"SELECT document_id FROM {REMOVALS} WHERE locale = %s AND version > %s AND version <= %s",
                       [locale, self.version, version])
        removed = [pk for (pk,) in cursor.fetchall() if pk in self.positions]
        cursor.execute(f"SELECT {KEY_COLUMNS} FROM {DOCUMENTS} WHERE locale = %s AND version > %s AND version <= %s",
                       [locale, self.version, version])
        added = [row for row in cursor.fetchall() if row[0] not in self.positions]
        holes = len(self.ids) - len(self.positions) + len(removed)
        if len(removed) + len(added) > LARGE_GAP or holes > MAX_HOLES:
            return None
        if not removed and not added:  # a write to other locales: the same bitmaps at the new version
            return replace(self, token=token, version=version)
        facets_of = {}
        if added:
            marks = ", ".join(["%s"] * len(added))
            cursor.execute(f"SELECT document_id, facet, value FROM {FACET_VALUES} WHERE document_id IN ({marks})",
                           [row[0] for row in added])
            for pk, facet, value in cursor.fetchall():
                facets_of.setdefault(pk, []).append((facet, value))
        return self._changed(token, version, removed, added, facets_of)

    def _changed(self, token, version, removed, added, facets_of) -> "FacetMatrix":
        ids, positions = array("q", self.ids), dict(self.positions)
        first, last, titles, adoptions = array("q", self.first), array("q", self.last), list(self.titles), \
            array("q", self.adoptions)
        values = {facet: dict(bitmaps) for facet, bitmaps in self.values.items()}
        orders = {sort: array("i", order) for sort, order in self.orders.items()}
        everything = self.all
        keys = _SortKeys(ids, first, last, titles, adoptions)
        for pk in removed:
            position = positions.pop(pk)
            ids[position] = 0
            bit = 1 << position
            everything &= ~bit
            for bitmaps in values.values():
                for value, bits in bitmaps.items():
                    if bits & bit:
                        bitmaps[value] = bits & ~bit
        for pk, first_at, last_at, title, adoption in added:
            position = positions[pk] = len(ids)
            ids.append(pk)
            first.append(_micros(first_at))
            last.append(_micros(last_at))
            titles.append(title)
            adoptions.append(adoption)
            bit = 1 << position
            everything |= bit
            for facet, value in facets_of.get(pk, ()):
                bitmaps = values.setdefault(facet, {})
                bitmaps[value] = bitmaps.get(value, 0) | bit
            for sort, order in orders.items():
                key = keys.of(sort)
                order.insert(bisect.bisect_left(order, key(position), key=key), position)
        return FacetMatrix(token=token, version=version, ids=ids, positions=positions, all=everything,
                           values=values, orders=orders, first=first, last=last, titles=titles,
                           adoptions=adoptions)

    # --- Reading -----------------------------------------------------------------------------------
    def bitmap(self, ids) -> int:
        """The documents among ``ids`` (other locales' and unknown ids are left out)."""
        positions = self.positions
        return _bitmap((positions[pk] for pk in ids if pk in positions), len(self.ids))

    def selection(self, facet: str, values) -> int:
        """Documents having any of ``values`` (OR within a facet)."""
        bits = 0
        for value in values:
            bits |= self.values.get(facet, {}).get(value, 0)
        return bits

    def page(self, bits: int, start: int, stop: int, sort: str = "newest", ranked=None) -> list[int]:
        """Ids of the set bits from the start-th to before the stop-th, in ``sort`` order or, when
        ``ranked`` (ids by relevance) is given, in that order."""
        flags = format(bits, f"0{len(self.ids) or 1}b")[::-1]  # flags[position] == "1": in the result
        if ranked is not None:
            positions = self.positions
            chosen = (pk for pk in ranked if pk in positions and flags[positions[pk]] == "1")
            return list(itertools.islice(chosen, start, stop))
        chosen = (position for position in self.orders[sort] if flags[position] == "1")
        return [self.ids[position] for position in itertools.islice(chosen, start, stop)]

    def memory(self) -> int:
        """Bytes held by this matrix (bitmaps, arrays, the id dictionary and the title keys)."""
        total = sys.getsizeof(self.positions) + sum(sys.getsizeof(pk) for pk in self.positions)
        total += sum(sys.getsizeof(bits) for bitmaps in self.values.values() for bits in bitmaps.values())
        total += sum(sys.getsizeof(column) for column in (self.ids, self.first, self.last, self.adoptions,
                                                          *self.orders.values()))
        return total + sys.getsizeof(self.titles) + sum(sys.getsizeof(title) for title in self.titles)


@dataclass(frozen=True)
class _SortKeys:
    """Each order's key of a bit position, ascending along the order (as ``order_sql``)."""

    ids: array
    first: array
    last: array
    titles: list
    adoptions: array

    def of(self, sort: str):
        ids, first, last, titles, adoptions = self.ids, self.first, self.last, self.titles, self.adoptions
        return {
            "newest": lambda p: (-first[p], -ids[p]),
            "updated": lambda p: (-last[p], -ids[p]),
            "title": lambda p: (titles[p], ids[p]),
            "adopted": lambda p: (-adoptions[p], -first[p], -ids[p]),
        }[sort]


_matrices: dict[str, FacetMatrix] = {}  # locale -> the latest matrix of this process
_updating: dict[str, threading.Lock] = {}  # locale -> held by the thread bringing it forward
_updating_guard = threading.Lock()


def current_token(cursor) -> str:
    cursor.execute(f"SELECT token FROM {STATE} WHERE id = 1")
    row = cursor.fetchone()
    return row[0] if row else ""


def labels_token(cursor) -> str:
    """Replaced whenever a taxonomy term is saved or deleted (search.signals): cached labels are
    valid while it is unchanged, whatever practices are published meanwhile."""
    cursor.execute(f"SELECT labels_token FROM {STATE} WHERE id = 1")
    row = cursor.fetchone()
    return row[0] if row else ""


def _state(cursor, since: int) -> tuple[str, int, str | None, str]:
    """The index's token and version, the token version ``since`` had (None once forgotten) and the
    labels' token."""
    cursor.execute(f"SELECT token, version, (SELECT token FROM {VERSIONS} WHERE version = %s), labels_token"
                   f" FROM {STATE} WHERE id = 1", [since])
    return cursor.fetchone() or ("", 0, None, "")


def _lock(locale: str) -> threading.Lock:
    with _updating_guard:
        return _updating.setdefault(locale, threading.Lock())


def matrix_for(cursor, locale: str) -> tuple[FacetMatrix, int]:
    """The locale's matrix for the index as this connection sees it now, and the queries spent
    bringing it forward (0 when it was current, or another thread is updating it)."""
    matrix = _matrices.get(locale)
    token, version, then, labels = _state(cursor, matrix.version if matrix is not None else -1)
    if matrix is not None and matrix.token == token:
        return matrix, 0
    lock = _lock(locale)
    if not lock.acquire(blocking=matrix is None):
        return matrix, 0  # another thread is bringing it forward: answer from the previous state
    try:
        if _matrices.get(locale) is not matrix:  # another thread brought it forward meanwhile
            return _matrices[locale], 0
        updated, queries = None, 3
        # Forward only, and only from the version as it was committed (then == its token).
        if matrix is not None and then == matrix.token and matrix.version < version:
            updated = matrix.advance(cursor, locale, token, version)
        if updated is None:
            updated, queries = FacetMatrix.build(cursor, locale, token, version), 2
        updated = _matrices[locale] = replace(updated, labels=labels)
        return updated, queries
    finally:
        lock.release()
