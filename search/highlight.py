"""Highlighted snippets, made the same way for every backend from the stored plain text."""

from html import escape  # what django.utils.html.escape does, without its lazy-string wrapper

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
    for index in sorted(set(hits).intersection(range(first, last))):  # plain text escaped in runs
        start, end = spans[index]
        pieces += [escape(text[cursor:start]), "<mark>", escape(text[start:end]), "</mark>"]
        cursor = end
    pieces.append(escape(text[cursor:spans[last - 1][1]]))
    prefix = "… " if first > 0 else ""
    suffix = " …" if last < len(spans) else ""
    return mark_safe(prefix + "".join(pieces) + suffix)
