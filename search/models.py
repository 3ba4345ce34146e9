"""KB's own search index, kept in the main database for every backend.

One ``SearchDocument`` per (practice, locale it is searchable in): a live practice in its own
language, plus a *fallback* document in every other language the practice is not translated
into, so untranslated practices stay findable there (marked with their content language).
Facet values live in ``SearchFacetValue`` rows, the full-text terms in SQLite's FTS5 table
``search_fts`` or PostgreSQL's ``SearchText`` rows. Elasticsearch, when configured, gets the same
documents. ``IndexChange`` is the change log (a transactional outbox) that keeps both up to date:
see search/changelog.py.
"""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models


class SearchDocument(models.Model):
    # No index of its own: the unique (page, locale) constraint serves lookups by page.
    page = models.ForeignKey("practices.PracticePage", on_delete=models.CASCADE, related_name="+", db_index=False)
    locale = models.CharField(max_length=8)  # the language this document is searched in
    language = models.CharField(max_length=8)  # the language of its text
    is_fallback = models.BooleanField(default=False)
    translation_key = models.UUIDField()
    url = models.CharField(max_length=500)
    title = models.CharField(max_length=255)
    title_sort = models.CharField(max_length=255)
    summary = models.TextField()
    body_text = models.TextField()  # plain text for highlighted snippets
    first_published_at = models.DateTimeField(null=True)
    last_published_at = models.DateTimeField(null=True)
    facets = models.JSONField(default=dict)  # facet name -> codes, to render hits without joins
    # Analysed terms (search.analysis), the same for every backend.
    title_terms = models.TextField()
    summary_terms = models.TextField()
    body_terms = models.TextField()
    meta_terms = models.TextField()  # organisation names, municipalities, taxonomy labels
    extra_terms = models.TextField()  # other readings and compound parts
    surface_terms = models.TextField(default="")  # the title's and summary's words as written (ranking)
    adoption_count = models.IntegerField(default=0)  # approved adoptions of the practice ("most adopted")
    # The index version this document was written under (SearchIndexState.version): Elasticsearch
    # stores it as an external version, so an older write can never replace a newer one there.
    version = models.BigIntegerField(default=0)
    # A hash of everything written for the document (its fields, facet rows and vocabulary): an edit
    # rewrites only the languages whose document it changes (search.indexing.index_group).
    fingerprint = models.CharField(max_length=32, default="")
    # Its words as written, space-separated (SearchWord counts them per locale).
    vocabulary = models.TextField(default="")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["page", "locale"], name="unique_document_per_locale")]
        indexes = [
            models.Index(fields=["locale", "first_published_at"]),
            models.Index(fields=["locale", "last_published_at"]),
            models.Index(fields=["locale", "title_sort"]),
            models.Index(fields=["locale", "version"], name="search_document_written"),
            models.Index(fields=["translation_key"], name="search_document_group"),  # a group's documents
        ]

    def __str__(self):
        return f"{self.title} [{self.locale}]"


class SearchText(models.Model):
    """PostgreSQL: what matching and ranking read of a document, in a narrow row of its own (SQLite's
    counterpart is the FTS5 table ``search_fts``; this table stays empty there). A text search reads
    every match's row: in the document's wide row (its text, five term columns, its words) that took
    about ten buffer reads per match, here about one per page of matches."""

    # Column "id", as the document's: the ranking SQL is the same over either table.
    document = models.OneToOneField(SearchDocument, on_delete=models.CASCADE, primary_key=True, db_column="id",
                                    related_name="+")
    locale = models.CharField(max_length=8)
    last_published_at = models.DateTimeField(null=True)  # the newest first among equals
    surface_terms = models.TextField()  # the exact-words bonus
    vector = SearchVectorField()  # title A, summary B, body C, labels and other readings D

    class Meta:
        indexes = [GinIndex(fields=["vector"], name="search_text_vector"),
                   models.Index(fields=["locale"], name="search_text_locale")]

    def __str__(self):
        return f"text of document {self.pk} [{self.locale}]"


class SearchFacetValue(models.Model):
    # No index of its own: the unique (document, facet, value) constraint serves lookups by document.
    document = models.ForeignKey(SearchDocument, on_delete=models.CASCADE, related_name="facet_values",
                                 db_index=False)
    locale = models.CharField(max_length=8)  # copied from the document: counts need no join
    facet = models.CharField(max_length=32)
    value = models.CharField(max_length=40)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["document", "facet", "value"], name="unique_facet_value")
        ]
        indexes = [models.Index(fields=["locale", "facet", "value", "document"], name="search_facet_lookup")]

    def __str__(self):
        return f"{self.facet}={self.value}"


class SearchWord(models.Model):
    """A word as written (folded, letters only) in the documents of a locale, and in how many: the
    vocabulary that typo correction draws on (search.typos). One row per word, not per document and
    word: the same few thousand words recur in every document, and a row each made most of a
    reindex's writes. Each document keeps its own words (``SearchDocument.vocabulary``), counted in
    when it is written and out when it is deleted (search.indexing.count_words); a word no document
    has any more is deleted."""

    locale = models.CharField(max_length=8)
    word = models.CharField(max_length=100)
    documents = models.IntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["locale", "word"], name="unique_word_per_locale")]

    def __str__(self):
        return f"{self.word} [{self.locale}] in {self.documents}"


class IndexChange(models.Model):
    """One entry of the change log: a translation group whose documents must be recomputed.

    Written in the same transaction as the content change (publish, unpublish, move, delete,
    relabel), so a committed change is never forgotten; applied by search.changelog to the
    database index and then to Elasticsearch, retried with backoff, and deleted once every index
    has applied it. ``seq`` orders the log; ``version`` is the index version it was applied under.
    """

    seq = models.BigAutoField(primary_key=True)
    translation_key = models.UUIDField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    db_pending = models.BooleanField(default=True)
    engine_pending = models.BooleanField(default=False)  # Elasticsearch has yet to receive it
    version = models.BigIntegerField(null=True)  # set when the database index applied it
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True)  # after a failure: not before this time
    last_error = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["db_pending", "engine_pending", "seq"], name="index_change_pending")]

    def __str__(self):
        return f"#{self.seq} {self.translation_key}"


class IndexRebuild(models.Model):
    """A rebuild in progress: of Elasticsearch, or of the database index with its pages read outside
    the index lock (several builder processes). Changes applied after ``position`` (an index version)
    are kept in the log until it ends: an Elasticsearch rebuild replays them into its new indexes, a
    database rebuild reads those groups again."""

    position = models.BigIntegerField()
    started_at = models.DateTimeField(auto_now_add=True)
    heartbeat_at = models.DateTimeField()  # a rebuild silent for long has died: its marker is ignored

    def __str__(self):
        return f"rebuild from {self.position}"


class SearchIndexState(models.Model):
    """One row whose random ``token`` changes in every transaction that writes the index: a
    process's in-memory facet bitmaps (search.backends.facet_matrix) are valid while it is
    unchanged. Random, not a counter: after a rollback a counter would repeat with
    different data. ``version`` counts committed index writes: updating the row also serialises
    them, so versions follow the order in which the documents were read."""

    token = models.CharField(max_length=32)
    version = models.BigIntegerField(default=0)
    # Replaced when a taxonomy term is saved or deleted: the cached labels (search.facets) follow it.
    labels_token = models.CharField(max_length=32, default="", db_default="")

    def __str__(self):
        return self.token


class SearchIndexVersion(models.Model):
    """The token of each recent index version (pruned with the removals): a process's facet bitmaps
    of version v and token t may be brought forward only while (v, t) is still here, so a rolled-back
    write, an emptied or a restored database, whose versions come again with other data, cost a
    full build instead of a wrong update."""

    version = models.BigIntegerField(primary_key=True)
    token = models.CharField(max_length=32)

    def __str__(self):
        return f"{self.version}: {self.token}"


class SearchDocumentRemoval(models.Model):
    """A document deleted from the index under ``version``: with the documents written after a
    version, what a process needs to bring its facet bitmaps up to date without rebuilding them
    (search.backends.facet_matrix). Kept for the latest versions (search.indexing.prune_history)."""

    document_id = models.BigIntegerField()
    locale = models.CharField(max_length=8)
    version = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["locale", "version"], name="search_removal_since")]

    def __str__(self):
        return f"{self.document_id} [{self.locale}] at {self.version}"
