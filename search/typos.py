"""Typo correction: words as typed, corrected to words as written in the documents.

The vocabulary (search.models.SearchWord) holds the documents' words as written, folded (lower
case, accents off but å, ä, ö), letters only, with the number of documents of each language that
have them. When a search finds nothing, each typed word the
vocabulary of its language lacks gets candidates within an edit distance scaled to its length
(Damerau-Levenshtein: a swap of neighbours is one edit), ranked by distance and then by how many
documents have them. search.service tries the best few corrected texts with the request's filters
and keeps the first that finds something; the corrected text is analysed like any query, so every
backend answers it alike.
"""

import itertools
from dataclasses import dataclass

from django.db import connection

from .analysis import TOKEN, fold, is_stop_word, tokenize

TABLE = "kb_search_searchword"
MIN_WORD, MAX_WORD = 3, 100  # shorter words are never within reach of a correctable one (see allowed_edits)
# Edits allowed by the length of the word as typed: none up to 3 letters (short words lie one edit
# apart from too many others: "job", "jog"), one up to 7, two beyond. Measured on the typed word, not
# on its stem: a stem is shorter than the word and would be given too few edits, or a short stem one
# edit that matches an unrelated stem.
EDIT_LIMITS = ((3, 0), (7, 1))
MAX_EDITS = 2
CANDIDATES_PER_WORD = 3
MAX_CORRECTED_WORDS = 5  # unknown words looked up per search (one query each); later ones stay as typed
MAX_RETRIES = 3  # corrected searches tried at most, best first
PRESELECT = 100  # PostgreSQL: vocabulary words by trigram similarity, before the exact distance


def edit_distance(a: str, b: str, limit: int) -> int:
    """Damerau-Levenshtein distance (adjacent swaps count once), stopping early past ``limit``."""
    previous2, previous = None, list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, char_b in enumerate(b, 1):
            cost = 0 if char_a == char_b else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if previous2 is not None and i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def allowed_edits(word: str) -> int:
    return next((edits for length, edits in EDIT_LIMITS if len(word) <= length), MAX_EDITS)


def vocabulary_word(token: str) -> str | None:
    """A token as the vocabulary keeps it, or None for what it does not keep (digits, too short or long)."""
    word = fold(token)
    return word if MIN_WORD <= len(word) <= MAX_WORD and word.isalpha() else None


def vocabulary_words(*texts: str) -> set[str]:
    """The distinct words of texts, as the vocabulary keeps them."""
    return {word for text in texts for token in tokenize(text) if (word := vocabulary_word(token))}


@dataclass(frozen=True)
class Candidate:
    word: str
    distance: int
    documents: int  # documents of the language with the word


def _known(cursor, locale: str, words: list[str]) -> set[str]:
    marks = ", ".join(["%s"] * len(words))
    cursor.execute(f"SELECT word FROM {TABLE} WHERE locale = %s AND word IN ({marks})", [locale, *words])
    return {row[0] for row in cursor.fetchall()}


def _candidates(cursor, locale: str, word: str) -> list[Candidate]:
    """Vocabulary words within the allowed distance of ``word``, best first. PostgreSQL preselects by
    trigram similarity (pg_trgm's index); SQLite by the first letter (a range of the index) and length."""
    edits = allowed_edits(word)
    lengths = [len(word) - edits, len(word) + edits]
    if connection.vendor == "postgresql":
        cursor.execute(f"SELECT word, documents FROM {TABLE} WHERE locale = %s AND word %% %s"
                       " AND length(word) BETWEEN %s AND %s"
                       " ORDER BY similarity(word, %s) DESC, word LIMIT %s",
                       [locale, word, *lengths, word, PRESELECT])
    else:
        cursor.execute(f"SELECT word, documents FROM {TABLE} WHERE locale = %s AND word >= %s AND word < %s"
                       " AND length(word) BETWEEN %s AND %s",
                       [locale, word[0], chr(ord(word[0]) + 1), *lengths])
    found = [Candidate(term, distance, documents) for term, documents in cursor.fetchall()
             if 0 < (distance := edit_distance(word, term, edits)) <= edits]
    found.sort(key=lambda candidate: (candidate.distance, -candidate.documents, candidate.word))
    return found[:CANDIDATES_PER_WORD]


def corrections(locale: str, text: str) -> list[dict[str, str]]:
    """At most MAX_RETRIES ways to correct ``text`` (typed word -> vocabulary word, both folded), best
    first: the least edits in all, then the commonest words. [] when every word is known or nothing
    is close. Words too short to correct, stop words and words with digits are left alone."""
    words = list(dict.fromkeys(
        word for token in tokenize(text)
        if (word := vocabulary_word(token)) and allowed_edits(word) and not is_stop_word(locale, token)))
    if not words:
        return []
    with connection.cursor() as cursor:
        known = _known(cursor, locale, words)
        unknown = [word for word in words if word not in known][:MAX_CORRECTED_WORDS]
        options = {word: found for word in unknown if (found := _candidates(cursor, locale, word))}
    if not options:
        return []
    typed = list(options)
    # At most CANDIDATES_PER_WORD ** MAX_CORRECTED_WORDS combinations: cheap to rank all.
    ranked = sorted(itertools.product(*(options[word] for word in typed)),
                    key=lambda chosen: (sum(c.distance for c in chosen), -sum(c.documents for c in chosen)))
    return [{word: candidate.word for word, candidate in zip(typed, chosen, strict=True)}
            for chosen in ranked[:MAX_RETRIES]]


def corrected_text(text: str, replacements: dict[str, str]) -> str:
    """``text`` with every word that ``replacements`` corrects replaced (the rest as typed)."""
    return TOKEN.sub(lambda match: replacements.get(fold(match.group()), match.group()), text)


def corrected_parts(text: str, replacements: dict[str, str]) -> list[tuple[str, bool]]:
    """``corrected_text`` as (piece, corrected?) pairs, for showing the corrected words emphasised."""
    parts, position = [], 0
    for match in TOKEN.finditer(text):
        word = replacements.get(fold(match.group()))
        if word is not None:
            parts += [(text[position:match.start()], False), (word, True)]
            position = match.end()
    parts.append((text[position:], False))
    return [(piece, corrected) for piece, corrected in parts if piece]
