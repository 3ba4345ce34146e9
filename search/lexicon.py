"""Swedish and English word knowledge from a real lexicon: simplemma's word-form lists (from
Wiktionary, shipped on PyPI), not hand-written suffix rules.

Two uses, both in search.analysis:
- the lemma of an inflected or irregular form that Snowball cannot reach (kaféer, idéerna and
  museerna -> kafé, idé, museum; women -> woman; children -> child);
- the parts of a closed compound (lågtröskelfotboll -> låg, tröskel, fotboll; childcare -> child,
  care), found by splitting the word where both sides are words of the lexicon.

A language's list is loaded on first use (Swedish about 1 s and 100 MB per process, English about
0.2 s and 20 MB) and kept for the life of the process.
"""

import functools
import logging

logger = logging.getLogger(__name__)
LANGUAGES = ("sv", "en")
LINKING = {"sv": ("s",), "en": ()}  # Swedish joins with -s- (fotbollsförening): dropped to find the part
MIN_PART = 3  # shorter pieces are too often accidental (kom|munen)
MIN_PART_OF_KNOWN_WORD = 4  # a word the lexicon lists as a whole is split only into longer parts
LONGEST_COMPOUND = 60  # longer "words" (codes, run-together text) are not compounds worth the search


@functools.cache
def _forms(language: str):
    """Word form -> lemma for ``language``, or None if the lexicon cannot be loaded (logged once)."""
    try:
        from simplemma.strategies.dictionaries import DefaultDictionaryFactory

        forms = DefaultDictionaryFactory(cache_max_size=0).get_dictionary(language)
    except Exception:
        logger.exception("The %s lexicon (simplemma) could not be loaded: inflected loanwords and compounds "
                         "are then searched by Snowball stems only", language)
        return None
    logger.info("Loaded the %s lexicon: %d word forms", language, len(forms))
    return forms


def word_forms(language: str) -> int:
    """How many word forms the loaded list of ``language`` has (0: not available)."""
    forms = _forms(language)
    return len(forms) if forms is not None else 0


def lemma(language: str, word: str) -> str | None:
    """The base form of ``word`` (lower case) if the lexicon knows the word."""
    forms = _forms(language) if language in LANGUAGES else None
    return forms.get(word.lower()) if forms is not None else None


def is_word(language: str, word: str) -> bool:
    return lemma(language, word) is not None


@functools.lru_cache(maxsize=100_000)
def compound_parts(language: str, word: str) -> tuple[str, ...]:
    """The surface parts of a closed compound, the last one inflected as the word is: "lågtröskelfotbollen"
    -> ("låg", "tröskel", "fotbollen"); () when the word is not a compound the lexicon can explain."""
    if language not in LANGUAGES or len(word) > LONGEST_COMPOUND or _forms(language) is None:
        return ()
    word = word.lower()
    whole = lemma(language, word)
    if whole is None:
        return _split(language, word, MIN_PART)
    parts = _split(language, word, MIN_PART_OF_KNOWN_WORD)
    # A listed word is a compound only if its lemma ends in its head's: fotbollsföreningen (-förening)
    # is, invandrare (invand|rare) and bibliotekarie (bibliotek|arie) are not.
    return parts if parts and whole.endswith(lemma(language, parts[-1]) or "\0") else ()


@functools.lru_cache(maxsize=100_000)  # every prefix is tried once: quadratic, never exponential
def _split(language: str, word: str, shortest: int) -> tuple[str, ...]:
    # The longest head first: "rådgivning", not "givning", in "lågtröskelrådgivning".
    for cut in range(shortest, len(word) - shortest + 1):
        head = word[cut:]
        if not is_word(language, head):
            continue
        modifier = word[:cut]
        for link in ("", *LINKING[language]):
            if not modifier.endswith(link):
                continue
            stem = modifier[:len(modifier) - len(link)]
            if len(stem) < shortest:
                continue
            if is_word(language, stem):
                return (stem, head)
            if parts := _split(language, stem, shortest):
                return (*parts, head)
    return ()
