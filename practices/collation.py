"""Alphabetical order for fi and sv: å, ä, ö come after z; other accents sort with their base letter."""

import unicodedata

_NORDIC_TAIL = {"å": "\U000fff01", "ä": "\U000fff02", "æ": "\U000fff02", "ö": "\U000fff03", "ø": "\U000fff03"}


def _fold(char: str) -> str:
    if char in _NORDIC_TAIL:
        return _NORDIC_TAIL[char]
    decomposed = unicodedata.normalize("NFD", char)
    return decomposed[0]


def sort_key(text: str) -> str:
    return "".join(_fold(char) for char in text.casefold())
