"""Places in search: Finland's municipalities and the regions' borders (search/data/*.json).

- ``municipality_codes_in``: the municipalities a practice's free-text ``municipalities`` field
  names (by Finnish or Swedish name, any case): the values of the ``municipality`` facet.
- ``recognise``: municipality names in the query text, in any inflection ("Tampereella",
  "i Tammerfors"), matched on the analysed terms of search.analysis on both sides.
- ``widened_regions``: a region plus its neighbours, for "include neighbouring regions".
"""

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path

from practices.collation import sort_key

from .analysis import TOKEN, fold, is_stop_word, query_terms

DATA = Path(__file__).resolve().parent / "data"
NAME_LANGUAGES = ("fi", "sv")  # a municipality has a Finnish and a Swedish name; English uses the Finnish one

# Words that are also a common noun more likely meant as text than as the place ("kolari" is a car
# crash, "koski" rapids, "luoto" an islet, "perho" a fishing fly, "kannus" a spur, "II" a roman
# numeral; "pelloilla" reads both as Pello and as "pelto", a field). A reading of the typed word in
# this set keeps the word as text. Salo, Kotka, Hanko and Lieto stay recognised: in this knowledge
# base they are far more likely the town.
COMMON_WORDS = {
    "fi": {"kolari", "koski", "luoto", "perho", "kannus", "rusko", "ii", "pelto"},
    "sv": {"kemi", "sund", "ingå", "geta"},  # chemistry, healthy, to be included, to graze
    "en": set(),
}
# A preposition right before a recognised name goes with it ("i Tammerfors", "in Turku").
PLACE_PREPOSITIONS = {"i", "in", "på"}
_QUOTED = re.compile(r'"[^"]*"')


@dataclass(frozen=True)
class Municipality:
    code: str  # Statistics Finland, 3 digits
    fi: str
    sv: str
    region: str  # maakunta code

    def name(self, language: str) -> str:
        return self.sv if language == "sv" else self.fi


@functools.cache
def municipalities() -> dict[str, Municipality]:
    with open(DATA / "municipalities.json", encoding="utf-8") as file:
        rows = json.load(file)["municipalities"]
    return {row["code"]: Municipality(**row) for row in rows}


@functools.cache
def region_neighbours() -> dict[str, tuple[str, ...]]:
    with open(DATA / "region_neighbours.json", encoding="utf-8") as file:
        return {code: tuple(codes) for code, codes in json.load(file)["neighbours"].items()}


@functools.cache
def municipality_labels(language: str) -> dict[str, str]:
    """code -> name in ``language``, in alphabetical order of the names (shared: do not change it)."""
    names = {code: municipality.name(language) for code, municipality in municipalities().items()}
    return dict(sorted(names.items(), key=lambda item: sort_key(item[1])))


@functools.cache
def _name_pattern():
    """One regular expression finding any fi or sv name as whole words in folded text."""
    names = {fold(municipality.name(language)): code for code, municipality in municipalities().items()
             for language in NAME_LANGUAGES}
    alternatives = "|".join(re.escape(name) for name in sorted(names, key=len, reverse=True))
    return re.compile(rf"(?<!\w)({alternatives})(?!\w)"), names


def municipality_codes_in(text: str) -> list[str]:
    """Codes of the municipalities named in a free-text list ("Vaasa, Mustasaari och Korsholm")."""
    if not text:
        return []
    pattern, names = _name_pattern()
    return sorted({names[match] for match in pattern.findall(fold(text))})


def region_of(code: str) -> str:
    return municipalities()[code].region


def widened_regions(regions) -> list[str]:
    """The regions and their neighbours, the given ones first; other values (e.g. "national") kept."""
    widened = list(dict.fromkeys(regions))
    for region in list(widened):
        widened += region_neighbours().get(region, ())
    return list(dict.fromkeys(widened))


# --- recognition in the query -------------------------------------------------------------------
def _readings(word: str, languages) -> frozenset[str]:
    """The word itself (folded) and every analysed term it may stand for in ``languages``."""
    return frozenset({fold(word), *(term for language in languages for term in query_terms(language, word))})


def _query_languages(locale: str) -> tuple[str, ...]:
    """Finnish names are typed in every language; Swedish inflections only in a Swedish search (the
    Swedish stemmer would also read Finnish words as names: "vasen" as Vasa)."""
    return ("fi", "sv") if locale == "sv" else ("fi",)


@functools.cache
def _names_by_first_reading() -> dict[str, list[tuple[tuple[frozenset, ...], str]]]:
    """first word's reading -> [(readings of each word of the name, code)], longest names first."""
    index: dict[str, list] = {}
    for code, municipality in municipalities().items():
        for language in NAME_LANGUAGES:
            words = tuple(_readings(word, (language,)) for word in TOKEN.findall(municipality.name(language)))
            for reading in words[0]:
                entries = index.setdefault(reading, [])
                if (words, code) not in entries:
                    entries.append((words, code))
    for entries in index.values():
        entries.sort(key=lambda entry: -len(entry[0]))
    return index


@dataclass(frozen=True)
class Recognised:
    text: str  # the query without the recognised names
    codes: tuple[str, ...]  # the municipalities, in the order typed


def recognise(locale: str, text: str) -> Recognised | None:
    """Municipality names in ``text`` (outside "quoted phrases"), or None if there are none."""
    quoted = [match.span() for match in _QUOTED.finditer(text)]
    tokens = [match for match in TOKEN.finditer(text)
              if not any(start <= match.start() < end for start, end in quoted)]
    common = COMMON_WORDS["fi"] | COMMON_WORDS.get(locale, set())
    index, languages = _names_by_first_reading(), _query_languages(locale)
    codes, removed = [], []
    position = 0
    while position < len(tokens):
        readings = _readings(tokens[position].group(), languages)
        length, code = 0, None
        for reading in readings:
            for words, candidate in index.get(reading, ()):
                following = tokens[position:position + len(words)]
                if len(words) > length and len(following) == len(words) and all(
                        _readings(token.group(), languages) & wanted for token, wanted in zip(following, words, strict=True)):
                    length, code = len(words), candidate
        if code is None or (length == 1 and readings & common):  # "Koski Tl" is the place, "koski" rapids
            position += 1
            continue
        start = tokens[position].start()
        if position and fold(tokens[position - 1].group()) in PLACE_PREPOSITIONS:
            start = tokens[position - 1].start()
        removed.append((start, tokens[position + length - 1].end()))
        codes.append(code)
        position += length
    if not codes:
        return None
    for start, end in reversed(removed):
        text = text[:start] + " " + text[end:]
    if all(is_stop_word(locale, word) for word in TOKEN.findall(text)):  # "Helsingissä ja Turussa"
        text = ""
    return Recognised(text=" ".join(text.split()), codes=tuple(dict.fromkeys(codes)))
