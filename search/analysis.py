"""Language-aware text analysis shared by every search backend.

Text is analysed here, in Python, once — at index time and at query time — so SQLite, PostgreSQL
and Elasticsearch all match on exactly the same terms (and return the same totals):

- Finnish: Voikko (Debian's libvoikko1 + voikko-fi) gives base forms of inflected words and the
  parts and sub-compounds of compounds ("kielikahvilassa" -> kielikahvila, kieli, kahvila). Without
  Voikko, the Snowball Finnish stemmer is used instead (no compounds); ``analyzer_name`` says which.
- Swedish and English: Snowball stemmers, with lemmas and compound parts from a lexicon
  (search.lexicon: kaféer -> kafé, children -> child, lågtröskelfotboll -> låg, tröskel, fotboll).
- A compound typed in a query is also read as separate words (``query_splits``).

Each token yields one *primary* term (kept in position, so phrase queries work on base forms)
and possibly *extra* terms (other readings, compound parts) that single-word queries also match.
"""

import functools
import re
import threading
import unicodedata
from dataclasses import dataclass, field

import snowballstemmer

from . import lexicon

SNOWBALL = {"fi": "finnish", "sv": "swedish", "en": "english"}
KEEP_MARKS = {"å", "ä", "ö", "Å", "Ä", "Ö"}
TOKEN = re.compile(r"\w+", re.UNICODE)

# Words too common to be required in an all-words query (they still count inside "phrases").
STOP_WORDS = {
    "fi": {"ja", "tai", "on", "ei", "se", "että", "kuin", "mutta", "myös", "jos", "kun", "sekä", "ovat"},
    "sv": {"och", "i", "för", "att", "det", "som", "en", "ett", "på", "med", "av", "till", "är", "om", "de", "den"},
    "en": {"the", "a", "an", "and", "or", "for", "of", "in", "on", "to", "with", "at", "by", "is", "are", "from"},
}


def fold(text: str) -> str:
    """Lower case, compatibility-normalised, accents removed except the Nordic å, ä, ö."""
    if text.isascii():  # nothing to normalise or strip: most words
        return text.lower()
    if len(text) <= FOLD_CACHED_LENGTH:
        return _fold_word(text)
    return "".join(_fold_char(char) for char in unicodedata.normalize("NFC", text))


# A reindex folds every word of every document (the vocabulary, the surface words): the same few
# thousand words over and over. ASCII words need no cache (lower() is the fold); other words up to
# this length are kept, at most FOLD_CACHE of them (about 200 bytes each: 10 MB at most).
FOLD_CACHED_LENGTH = 40
FOLD_CACHE = 50_000


@functools.lru_cache(maxsize=FOLD_CACHE)
def _fold_word(word: str) -> str:
    return "".join(_fold_char(char) for char in unicodedata.normalize("NFC", word))


@functools.lru_cache(maxsize=4096)  # distinct characters: a few hundred in practice
def _fold_char(char: str) -> str:
    if char in KEEP_MARKS:
        return char.lower()
    decomposed = unicodedata.normalize("NFKD", char)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def tokenize(text: str) -> list[str]:
    return TOKEN.findall(text or "")


def surface_words(text: str) -> str:
    """The distinct words of ``text`` as written (folded, not analysed), for the exact-form bonus."""
    return " ".join(sorted({fold(word) for word in tokenize(text)}))


class _VoikkoHandle(threading.local):
    """One Voikko handle per thread (the C library's handles are not thread-safe)."""

    def get(self):
        if not hasattr(self, "handle"):
            self.handle = _open_voikko()
        return self.handle


def _open_voikko():
    try:
        import libvoikko

        return libvoikko.Voikko("fi")
    except Exception:  # library, dictionary or binding missing: fall back to Snowball
        return None


_voikko = _VoikkoHandle()


@functools.cache
def analyzer_name(language: str) -> str:
    if language == "fi" and _voikko.get() is not None:
        return "voikko"
    return "snowball"


class _Stemmers(threading.local):
    """Snowball stemmers per thread: a stemmer keeps the word it works on in itself, so two threads of a
    gunicorn worker sharing one corrupted each other's words (seen as IndexError under load)."""

    def get(self, language: str):
        cache = self.__dict__.setdefault("stemmers", {})
        if language not in cache:
            cache[language] = snowballstemmer.stemmer(SNOWBALL.get(language, "english"))
        return cache[language]


_stemmers = _Stemmers()


def _stemmer(language: str):
    return _stemmers.get(language)


def _stem(language: str, word: str) -> str:
    """Stem first, fold accents after: Snowball knows "kafé" is a word ending in a vowel."""
    return fold(_stemmer(language).stemWord(word.lower()))


def _readings(voikko, surface: str) -> list[str]:
    """Base forms of a word standing alone; a compound-initial "-s" form of a "-nen" word (asumis-,
    ihmis-, vertais-) is read as that word."""
    analyses = voikko.analyze(surface)
    if not analyses and surface.endswith("s"):
        analyses = voikko.analyze(surface[:-1] + "nen")
    return list(dict.fromkeys(fold(a["BASEFORM"]) for a in analyses if a.get("BASEFORM")))


def _structure_parts(word: str, analysis: dict) -> tuple[str, ...]:
    """The surface parts of ``word`` by one Voikko analysis's STRUCTURE; () if it is no compound."""
    lengths = [len(part) for part in analysis.get("STRUCTURE", "").split("=") if part]
    if len(lengths) < 2 or sum(lengths) != len(word):
        return ()
    starts = [sum(lengths[:index]) for index in range(len(lengths))]
    return tuple(word[start:start + length] for start, length in zip(starts, lengths, strict=True))


def _compound_terms(voikko, word: str, analysis: dict) -> set[str]:
    """The parts of a Finnish compound and every meaningful sub-compound, as base forms, from
    Voikko's STRUCTURE of the surface word: "perhekerhotoiminta" gives perhe, kerho, toiminta,
    perhekerho and kerhotoiminta (a span of parts counts when Voikko knows it as a word)."""
    parts = _structure_parts(word, analysis)
    if not parts:
        return set()
    last, modifier, baseform = len(parts) - 1, "".join(parts[:-1]), analysis.get("BASEFORM", "")
    # The head in its base form (the word is inflected on its last part only).
    head = baseform[len(modifier):] if baseform[:len(modifier)].lower() == modifier.lower() else ""
    terms = set()
    for first in range(len(parts)):
        for end in range(first, len(parts)):
            if first == 0 and end == last:
                continue  # the whole word: the primary term already
            if end == last:
                if not head:
                    continue
                surface = "".join(parts[first:last]) + head
            else:
                surface = "".join(parts[first:end + 1])
            if len(surface) > 1:
                terms.update(_readings(voikko, surface) or ([fold(surface)] if first == end else []))
    return terms


def _lexicon_terms(language: str, word: str) -> set[str]:
    """Swedish and English: the stem of the word's lemma when Snowball cannot reach it (kaféer ->
    kafé, women -> woman), and of a closed compound's parts and sub-compounds (lågtröskelfotboll ->
    låg, tröskel, fotboll, lågtröskel, tröskelfotboll)."""
    terms = {_stem(language, lemma)} if (lemma := lexicon.lemma(language, word)) else set()
    parts = lexicon.compound_parts(language, word)
    for first in range(len(parts)):
        for end in range(first + 1, len(parts) + 1):
            if end - first < len(parts):
                surface = "".join(parts[first:end])
                terms.add(_stem(language, lexicon.lemma(language, surface) or surface))
    return terms


# Every analysis a process makes, per (language, word): a reindex meets the same words in thousands of
# practices. A miss costs 0.25-1.1 ms (Voikko, the lexicon's compound splits), a hit about 1 µs. At
# most WORD_CACHE words, about 300 bytes each (measured with tracemalloc on 20,000 fi/sv/en word forms):
# 60 MB per process at the very most. Nothing changes the analysis while a process runs (the lexicon
# and Voikko's dictionary are read once per process), so the cache never needs clearing; a new
# dictionary takes a restart and `manage.py reindex`. lru_cache is thread-safe.
WORD_CACHE = 200_000


@functools.lru_cache(maxsize=WORD_CACHE)
def analyse_word(language: str, word: str) -> tuple[str, tuple[str, ...]]:
    """(primary term, extra terms) of one word in ``language``."""
    if language == "fi":
        voikko = _voikko.get()
        analyses = voikko.analyze(word) if voikko is not None else []
        if analyses:
            baseforms = [fold(a["BASEFORM"]) for a in analyses if a.get("BASEFORM")]
            extras = set(baseforms[1:])
            for analysis in analyses:
                extras.update(_compound_terms(voikko, word, analysis))
            primary = baseforms[0]
            extras.discard(primary)
            return primary, tuple(sorted(extras))
        return _stem(language, word), ()
    # The lemma's stem in position (children -> child), so phrases and proximity see it too.
    surface = _stem(language, word)
    primary = _stem(language, lemma) if (lemma := lexicon.lemma(language, word)) else surface
    return primary, tuple(sorted((_lexicon_terms(language, word) | {surface}) - {primary}))


@dataclass
class AnalysedText:
    primary: list[str] = field(default_factory=list)  # one term per token, in order
    extra: set[str] = field(default_factory=set)

    def positional(self) -> str:
        return " ".join(self.primary)


# "ompelu- ja kieliryhmä", "språk- och kulturkafé": the first compound shares the second one's head.
_ELLIPSIS = re.compile(r"(\w+)-\s+(?:ja|tai|sekä|eli|och|eller|samt|and|or)\s+(\w+)", re.IGNORECASE)


def _elided_compounds(language: str, text: str):
    """The compounds a coordination leaves out, inflected as written: "ompelu- ja kieliryhmässä" ->
    "ompeluryhmässä"."""
    for modifier, compound in _ELLIPSIS.findall(text or ""):
        parts = compound_parts(language, compound)
        if parts:
            yield modifier + parts[-1]


def analyse_text(language: str, text: str) -> AnalysedText:
    result = AnalysedText()
    for word in tokenize(text):
        primary, extras = analyse_word(language, word)
        result.primary.append(primary)
        result.extra.update(extras)
    for word in _elided_compounds(language, text):
        primary, extras = analyse_word(language, word)
        result.extra.update((primary, *extras))
    return result


@functools.lru_cache(maxsize=50_000)
def query_terms(language: str, word: str) -> tuple[str, ...]:
    """The terms a query word may match: its readings (a document's compound parts are indexed,
    so a query for a part finds the compound) and, in Swedish and English, its lemma's stem."""
    if language == "fi":
        voikko = _voikko.get()
        analyses = voikko.analyze(word) if voikko is not None else []
        if analyses:
            return tuple(dict.fromkeys(fold(a["BASEFORM"]) for a in analyses if a.get("BASEFORM")))
        return (_stem(language, word),)
    lemma = lexicon.lemma(language, word)
    return tuple(dict.fromkeys([_stem(language, word)] + ([_stem(language, lemma)] if lemma else [])))


@functools.lru_cache(maxsize=50_000)
def compound_parts(language: str, word: str) -> tuple[str, ...]:
    """The surface parts of a compound, the last one inflected as the word: Voikko's structure in
    Finnish, the lexicon in Swedish and English. () for a word that is not a compound."""
    if language != "fi":
        return lexicon.compound_parts(language, word)
    voikko = _voikko.get()
    for analysis in voikko.analyze(word) if voikko is not None else []:
        if parts := _structure_parts(word, analysis):
            return parts
    return ()


@functools.lru_cache(maxsize=50_000)
def query_splits(language: str, word: str) -> tuple[tuple[tuple[str, ...], ...], ...]:
    """The ways to read a compound typed in a query as separate words, each as its terms, so that a
    document writing them apart (in any inflection) matches too: two sides at each joint,
    "työpaikkaohjaajakoulutus" -> ((työpaikkaohjaaja,), (koulutus,)) and ((työpaikka,), (ohjaajakoulutus,)),
    and every part on its own; "asumisneuvonta" -> ((asuminen, …), (neuvonta,)). A side counts when it is
    a word of its own. () for other words."""
    parts = compound_parts(language, word)
    splits = []
    for cut in range(1, len(parts)):
        sides = (_side_terms(language, "".join(parts[:cut])), _side_terms(language, "".join(parts[cut:])))
        if all(sides):
            splits.append(sides)
    if len(parts) > 2 and all(every := tuple(_side_terms(language, part) for part in parts)):
        splits.append(every)  # "rådgivning med låg tröskel" for lågtröskelrådgivning
    return tuple(splits)


def _side_terms(language: str, surface: str) -> tuple[str, ...]:
    if language == "fi":
        voikko = _voikko.get()
        return tuple(_readings(voikko, surface)) if voikko is not None else ()
    lemma = lexicon.lemma(language, surface)
    if lemma is None and language == "sv" and surface.endswith("s"):  # fotbolls-: the linking -s
        lemma = lexicon.lemma(language, surface[:-1])
    return (_stem(language, lemma),) if lemma else ()


@functools.lru_cache(maxsize=50_000)
def is_word(language: str, word: str) -> bool:
    """Whether ``word`` is a word of ``language`` (Voikko in Finnish, the lexicon in Swedish and English)."""
    if language == "fi":
        voikko = _voikko.get()
        return bool(voikko is not None and voikko.analyze(word))
    return lexicon.is_word(language, word) or bool(lexicon.compound_parts(language, word))


def is_stop_word(language: str, word: str) -> bool:
    return fold(word) in STOP_WORDS.get(language, set())
