"""Language-aware text analysis shared by every search backend.

Text is analysed here, in Python, once — at index time and at query time — so SQLite, PostgreSQL
and Elasticsearch all match on exactly the same terms (and return the same totals):

- Finnish: Voikko (Debian's libvoikko1 + voikko-fi) gives base forms of inflected words and the
  parts of compounds ("kielikahvilassa" -> kielikahvila, kieli, kahvila). Without Voikko, the
  Snowball Finnish stemmer is used instead (no compound splitting); ``analyzer_name`` says which.
- Swedish and English: Snowball stemmers.

Each token yields one *primary* term (kept in position, so phrase queries work on base forms)
and possibly *extra* terms (other readings, compound parts) that single-word queries also match.
"""

import functools
import re
import threading
import unicodedata
from dataclasses import dataclass, field

import snowballstemmer

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
    out = []
    for char in unicodedata.normalize("NFC", text):
        if char in KEEP_MARKS:
            out.append(char.lower())
            continue
        decomposed = unicodedata.normalize("NFKD", char)
        out.append("".join(c for c in decomposed if not unicodedata.combining(c)).lower())
    return "".join(out)


def tokenize(text: str) -> list[str]:
    return TOKEN.findall(text or "")


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


def _compound_parts(word: str, analysis: dict) -> list[str]:
    """Base forms of the parts of a Finnish compound, from Voikko's STRUCTURE of the surface word."""
    structure = analysis.get("STRUCTURE", "")
    lengths = [len(part) for part in structure.split("=") if part]
    if len(lengths) < 2 or sum(lengths) != len(word):
        return []
    parts, start = [], 0
    for length in lengths[:-1]:
        parts.append(word[start:start + length])
        start += length
    baseform = analysis.get("BASEFORM", "")
    head = baseform[start:] if baseform[:start].lower() == word[:start].lower() else ""
    return [fold(part) for part in parts + ([head] if head else []) if len(part) > 1]


@functools.lru_cache(maxsize=200_000)
def analyse_word(language: str, word: str) -> tuple[str, tuple[str, ...]]:
    """(primary term, extra terms) of one word in ``language``."""
    if language == "fi":
        voikko = _voikko.get()
        analyses = voikko.analyze(word) if voikko is not None else []
        if analyses:
            baseforms = [fold(a["BASEFORM"]) for a in analyses if a.get("BASEFORM")]
            extras = set(baseforms[1:])
            for analysis in analyses:
                extras.update(_compound_parts(word, analysis))
            primary = baseforms[0]
            extras.discard(primary)
            return primary, tuple(sorted(extras))
    return _stem(language, word), ()


@dataclass
class AnalysedText:
    primary: list[str] = field(default_factory=list)  # one term per token, in order
    extra: set[str] = field(default_factory=set)

    def positional(self) -> str:
        return " ".join(self.primary)


def analyse_text(language: str, text: str) -> AnalysedText:
    result = AnalysedText()
    for word in tokenize(text):
        primary, extras = analyse_word(language, word)
        result.primary.append(primary)
        result.extra.update(extras)
    return result


@functools.lru_cache(maxsize=50_000)
def query_terms(language: str, word: str) -> tuple[str, ...]:
    """The terms a query word may match: its readings (a document's compound parts are indexed,
    so a query for a part finds the compound)."""
    if language == "fi":
        voikko = _voikko.get()
        analyses = voikko.analyze(word) if voikko is not None else []
        if analyses:
            return tuple(dict.fromkeys(fold(a["BASEFORM"]) for a in analyses if a.get("BASEFORM")))
    return (_stem(language, word),)


def is_stop_word(language: str, word: str) -> bool:
    return fold(word) in STOP_WORDS.get(language, set())
