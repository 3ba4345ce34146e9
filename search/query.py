"""Reading a search request: validation with clear messages, and the parsed query text."""

import re
import unicodedata
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext as _

from .analysis import analyse_text, fold, is_stop_word, is_word, query_splits, query_terms, tokenize
from .facets import FACETS, FACETS_BY_NAME, clear_label_cache, value_labels
from .places import municipalities

MAX_QUERY_LENGTH = 200
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20
MAX_RESULT_WINDOW = 10_000  # deepest result reachable by paging (Elasticsearch's default window)
SORTS = ("relevance", "newest", "updated", "title", "adopted")
OPERATORS = ("and", "or")
LANGUAGES = tuple(code for code, _name in settings.LANGUAGES)
_PHRASE = re.compile(r'"([^"]*)"')


class InvalidSearch(ValueError):
    """A request that cannot be answered as asked; ``message`` is safe to show to the user."""

    def __init__(self, parameter: str, message: str):
        super().__init__(message)
        self.parameter = parameter
        self.message = message


@dataclass(frozen=True)
class SearchRequest:
    locale: str
    text: str = ""
    selections: dict[str, tuple[str, ...]] = field(default_factory=dict)
    sort: str = "relevance"
    operator: str = "and"
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE
    literal: bool = False  # literal=1: municipality names in the text stay words
    neighbours: bool = False  # neighbours=1: selected regions (or municipalities' regions) plus neighbours
    places: tuple[str, ...] = ()  # municipalities recognised in the typed text (place=<code>)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size

    def selected(self, facet: str) -> tuple[str, ...]:
        return self.selections.get(facet, ())

    def params(self) -> list[tuple[str, str]]:
        """The query parameters that ask for this search (for links), defaults left out."""
        params = [("q", self.text)] if self.text else []
        params += [(facet.name, value) for facet in FACETS for value in self.selected(facet.name)]
        params += [(name, value) for name, value, default in (
            ("sort", self.sort, "relevance"), ("operator", self.operator, "and")) if value != default]
        params += [(name, "1") for name in ("literal", "neighbours") if getattr(self, name)]
        params += [("place", code) for code in self.places]
        return params


@dataclass
class ParsedQuery:
    """Required words (each a tuple of alternative terms) and phrases (positional terms)."""

    words: list[tuple[str, ...]] = field(default_factory=list)
    phrases: list[list[str]] = field(default_factory=list)
    operator: str = "and"
    # A compound word's readings as two separate words (search.analysis.query_splits): the word also
    # matches a document that has both, ranked below the documents that have the word itself.
    splits: dict[tuple[str, ...], tuple[tuple[tuple[str, ...], ...], ...]] = field(default_factory=dict)
    # Ranking only: each pair of adjacent words (their terms) and the terms of the compound they make
    # when written together ("child care" -> childcare; () if none). Documents having every pair
    # close together, or as that compound, get a bonus.
    pairs: list[tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = field(default_factory=list)
    # Ranking only: the words as typed (folded); a document whose title or summary has them all in
    # exactly that form gets a bonus.
    surfaces: list[str] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not self.words and not self.phrases


def clean_text(raw: str) -> str:
    text = raw.replace("\t", " ").replace("\n", " ").replace("\r", " ")
    if any(unicodedata.category(char) in {"Cc", "Cs", "Co", "Cn"} for char in text):
        raise InvalidSearch("q", _("The search text contains control characters. Please type it again."))
    text = " ".join(text.split())
    if len(text) > MAX_QUERY_LENGTH:
        raise InvalidSearch("q", _("The search text is too long: at most %(max)d characters.") % {"max": MAX_QUERY_LENGTH})
    if text.count('"') % 2:
        raise InvalidSearch("q", _("A quotation mark is missing: put phrases between two quotation marks."))
    return text


def parse_query(locale: str, text: str, operator: str = "and") -> ParsedQuery:
    parsed = ParsedQuery(operator=operator)
    for phrase in _PHRASE.findall(text):
        terms = analyse_text(locale, phrase).primary
        if len(terms) == 1:
            parsed.words.append(_alternatives(locale, tokenize(phrase)[0]))
        elif terms:
            parsed.phrases.append(terms)
    previous = None
    for word in tokenize(_PHRASE.sub(" ", text)):
        if not is_stop_word(locale, word):
            alternatives = _alternatives(locale, word)
            parsed.words.append(alternatives)
            # In every language, as the terms: an untranslated practice is searched in its own.
            splits = tuple(dict.fromkeys(split for language in (locale, *LANGUAGES)
                                         for split in query_splits(language, word)))
            if splits:
                parsed.splits[alternatives] = splits
            if previous is not None:
                parsed.pairs.append((previous[1], alternatives, _joined(locale, previous[0] + word)))
            previous = (word, alternatives)
            parsed.surfaces.append(fold(word))
    parsed.words = list(dict.fromkeys(parsed.words))
    return parsed


def _joined(locale: str, compound: str) -> tuple[str, ...]:
    """The terms of two words written as one, in the languages where that is a word."""
    return tuple(dict.fromkeys(term for language in (locale, *LANGUAGES) if is_word(language, compound)
                               for term in query_terms(language, compound)))


def _alternatives(locale: str, word: str) -> tuple[str, ...]:
    """A word's terms in the search language first, then in the other languages: untranslated
    practices are searched in their own language (see SearchDocument.is_fallback)."""
    terms = list(query_terms(locale, word))
    for language in LANGUAGES:
        if language != locale:
            terms += query_terms(language, word)
    return tuple(dict.fromkeys(terms))


def ascii_int(raw: str | None, max_digits: int = 18) -> int | None:
    """``raw`` as a whole number if it is 1 to ``max_digits`` ASCII digits (0-9), else None.

    For every integer typed by a user (query parameters, form fields, headers): ``str.isdigit()``
    also accepts superscripts and circled digits ('²', '①'), which ``int()`` then refuses with a
    ValueError, and ``int()`` itself reads other scripts' digits ('٣', '３'), spaces, signs and
    underscores. 18 digits always fit a 64-bit integer column.
    """
    if not raw or not raw.isascii() or not raw.isdigit() or len(raw) > max_digits:
        return None
    return int(raw)


def _positive_int(parameter: str, raw: str | None, default: int) -> int:
    if raw in (None, ""):
        return default
    number = ascii_int(raw, max_digits=9)
    if number is None or number < 1:
        raise InvalidSearch(parameter, _("%(parameter)s must be a whole number of 1 or more.") % {"parameter": parameter})
    return number


def _switch(params, name: str) -> bool:
    value = params.get(name) or "0"
    if value not in ("0", "1"):
        raise InvalidSearch(name, _("%(parameter)s must be 0 or 1.") % {"parameter": name})
    return value == "1"


def parse_request(params, locale: str, *, strict: bool, fixed_page_size: int | None = None) -> SearchRequest:
    """Validate query parameters (a QueryDict). ``strict`` rejects unknown parameter names (API)."""
    allowed = {"q", "lang", "sort", "page", "page_size", "operator", "literal", "neighbours", "place",
               *FACETS_BY_NAME}
    unknown = sorted(set(params) - allowed)
    if strict and unknown:
        raise InvalidSearch(unknown[0], _("Unknown parameter: %(name)s.") % {"name": unknown[0]})
    if locale not in LANGUAGES:
        raise InvalidSearch("lang", _("Unknown language: choose fi, sv or en."))
    text = clean_text(params.get("q", ""))
    sort = params.get("sort") or "relevance"
    if sort not in SORTS:
        raise InvalidSearch("sort", _("Unknown sort order: choose relevance, newest, updated, title or adopted."))
    operator = params.get("operator") or "and"
    if operator not in OPERATORS:
        raise InvalidSearch("operator", _("Unknown operator: choose and or or."))
    page = _positive_int("page", params.get("page"), 1)
    page_size = fixed_page_size or _positive_int("page_size", params.get("page_size"), DEFAULT_PAGE_SIZE)
    if page_size > MAX_PAGE_SIZE:
        raise InvalidSearch("page_size", _("page_size can be at most %(max)d.") % {"max": MAX_PAGE_SIZE})
    if page * page_size > MAX_RESULT_WINDOW:
        raise InvalidSearch("page", _("That page is too far: narrow the search instead."))
    selections = {}
    for facet in FACETS:
        values = tuple(dict.fromkeys(value for value in params.getlist(facet.name) if value != ""))
        if not values:
            continue
        known = value_labels(facet, locale)
        if not known.keys() >= set(values):  # perhaps a term another process has just added
            clear_label_cache()
            known = value_labels(facet, locale)
        for value in values:
            if value not in known:
                raise InvalidSearch(facet.name, _("Unknown value for %(facet)s: %(value)s.")
                                    % {"facet": facet.name, "value": value[:40]})
        selections[facet.name] = values
    places = tuple(dict.fromkeys(params.getlist("place")))
    for code in places:
        if code not in municipalities():
            raise InvalidSearch("place", _("Unknown municipality code: %(value)s.") % {"value": code[:40]})
    return SearchRequest(locale=locale, text=text, selections=selections, sort=sort, operator=operator,
                         page=page, page_size=page_size, literal=_switch(params, "literal"),
                         neighbours=_switch(params, "neighbours"), places=places)
