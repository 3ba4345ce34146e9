"""Are the indexes right? The live practices in the database against the database index, its
full-text rows against its documents, the vocabulary's counts against the documents' words, and
the database index against every
Elasticsearch index: ids, live status, versions, titles, URLs, facets. ``manage.py check_index``
reports the differences; ``--repair`` logs a change for every group concerned and applies the log
(search.changelog), and counts the vocabulary again."""

from dataclasses import dataclass

from django.db.models.expressions import RawSQL

from . import changelog, indexing
from .facets import adoption_count, facet_values, with_adoption_counts
from .models import SearchDocument, SearchWord

COMPARED = ("page_id", "title", "url", "facets", "adoption_count")


@dataclass(frozen=True)
class Difference:
    index: str  # "database", "vocabulary" or "elasticsearch"
    translation_key: object  # None for the vocabulary
    locale: str
    problem: str
    engine_version: int = 0  # the version Elasticsearch holds, when it differs

    def __str__(self):
        group = "" if self.translation_key is None else f" {self.translation_key}"
        return f"{self.index} [{self.locale}]{group}: {self.problem}"


def _expected() -> dict:
    """(translation key, locale) -> what its document must say, from the live practices."""
    groups = {}
    for page in with_adoption_counts(indexing.live_practices()):
        groups.setdefault(page.translation_key, []).append(page)
    region_urls = {}
    return {(key, locale): {"page_id": page.pk, "title": page.title,
                            "url": indexing.document_url(page, locale, region_urls),
                            "facets": facet_values(page), "adoption_count": adoption_count(page)}
            for key, pages in groups.items() for locale, page in indexing.documents_for_group(pages)}


def _compare(index, key, locale, want: dict, have: dict | None) -> list[Difference]:
    if have is None:
        return [Difference(index, key, locale, "missing")]
    return [Difference(index, key, locale, f"{field} is {have.get(field)!r}, should be {want[field]!r}")
            for field in COMPARED if have.get(field) != want[field]]


def differences(engine=None) -> list[Difference]:
    expected = _expected()
    stored = {(d["translation_key"], d["locale"]): d
              for d in SearchDocument.objects.values("translation_key", "locale", "version", *COMPARED)}
    found = []
    for (key, locale), want in expected.items():
        found += _compare("database", key, locale, want, stored.get((key, locale)))
    found += [Difference("database", key, locale, "not live, still indexed")
              for key, locale in stored.keys() - expected.keys()]
    found += _fulltext_differences()
    found += _vocabulary_differences()
    if engine is not None:
        for locale in indexing.LANGUAGE_CODES:
            seen = set()
            for key, version, source in engine.documents(locale):
                seen.add(key)
                document = stored.get((key, locale))
                if document is None:
                    found.append(Difference("elasticsearch", key, locale, "not in the database index, still indexed"))
                    continue
                found += _compare("elasticsearch", key, locale, document, source)
                if version != document["version"]:
                    found.append(Difference("elasticsearch", key, locale,
                                            f"version is {version}, should be {document['version']}", version))
            found += [Difference("elasticsearch", key, locale, "missing")
                      for key, document_locale in stored if document_locale == locale and key not in seen]
    return found


def _fulltext_differences() -> list[Difference]:
    """Documents that text search cannot find: no full-text row (SQLite's search_fts, PostgreSQL's
    SearchText)."""
    table, column = indexing.fulltext_table()
    without = SearchDocument.objects.exclude(pk__in=RawSQL(f"SELECT {column} FROM {table}", []))
    return [Difference("database", key, locale, "no full-text row")
            for key, locale in without.values_list("translation_key", "locale")]


def _vocabulary_differences() -> list[Difference]:
    """One difference per locale whose word counts (SearchWord) are not those of its documents' words."""
    counted = indexing.word_counts(SearchDocument.objects.values_list("locale", "vocabulary").iterator())
    stored = {(locale, word): documents for locale, word, documents
              in SearchWord.objects.values_list("locale", "word", "documents")}
    wrong = sorted(key for key in counted.keys() | stored.keys() if counted.get(key, 0) != stored.get(key, 0))
    found = []
    for locale in sorted({locale for locale, _word in wrong}):
        words = [word for word_locale, word in wrong if word_locale == locale]
        examples = ", ".join(f"{word!r} counted in {stored.get((locale, word), 0)}, is in {counted[(locale, word)]}"
                             for word in words[:3])
        found.append(Difference("vocabulary", None, locale, f"{len(words)} words miscounted ({examples})"))
    return found


def engine_for_checks():
    if not indexing.search_engine_configured():
        return None
    from .backends.elasticsearch import ElasticsearchBackend

    return ElasticsearchBackend.for_administration()


def repair(found: list[Difference], engine=None) -> changelog.Drained:
    """Log a change for every group that differs, and apply the log until nothing is due. Versions
    in Elasticsearch ahead of the database (a restored backup) would refuse every write: the
    index version first moves past them. The groups' fingerprints are forgotten, so that every
    document is written again at a new version, even one whose stored copy was changed behind
    the index's back."""
    if any(difference.index == "vocabulary" for difference in found):
        indexing.recount_words()
    keys = {difference.translation_key for difference in found if difference.translation_key is not None}
    indexing.raise_version(max(difference.engine_version for difference in found))
    SearchDocument.objects.filter(translation_key__in=keys).update(fingerprint="")
    changelog.record(keys)
    total = changelog.Drained()
    while True:
        report = changelog.drain(engine=engine)
        total.database, total.engine, total.failed = (total.database + report.database,
                                                      total.engine + report.engine, report.failed)
        if not report.applied:
            return total
