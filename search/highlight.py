"""Highlighted snippets, made the same way for every backend from the stored plain text."""

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .analysis import TOKEN, analyse_word

WINDOW = 30  # words in a snippet


def _matches(language: str, word: str, wanted: set[str]) -> bool:
    primary, extras = analyse_word(language, word)  # cached: extras hold every other reading too
    return primary in wanted or not wanted.isdisjoint(extras)


def snippet(text: str, language: str, wanted: set[str]) -> SafeString:
    """The window of ``text`` with the most matching words, matches wrapped in <mark>."""
    spans = [(m.start(), m.end()) for m in TOKEN.finditer(text)]
    if not spans:
        return mark_safe("")
    hits = [i for i, (start, end) in enumerate(spans) if wanted and _matches(language, text[start:end], wanted)]
    first = 0
    if hits:
        first = max((sum(1 for h in hits if s <= h < s + WINDOW), -s) for s in hits[:50])
        first = max(0, -first[1] - 3)
    last = min(len(spans), first + WINDOW)
    pieces, cursor = [], spans[first][0]
    for index in range(first, last):
        start, end = spans[index]
        pieces.append(escape(text[cursor:start]))
        word = escape(text[start:end])
        pieces.append(f"<mark>{word}</mark>" if index in hits else word)
        cursor = end
    prefix = "… " if first > 0 else ""
    suffix = " …" if last < len(spans) else ""
    return mark_safe(prefix + "".join(pieces) + suffix)
