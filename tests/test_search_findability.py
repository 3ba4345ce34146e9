"""Findability (issue #14): compounds both ways, lexicon-based Swedish and English forms, and the
ranking principles, on the database backend (SQLite or PostgreSQL, whichever the run uses) and on a
real Elasticsearch node. The per-kind figures over the judged set are in test_search_relevance.py."""

import pytest

from search.analysis import analyse_text, analyse_word, query_splits
from search.query import parse_query

from .factories import make_practice
from .search_helpers import run, titles
from .test_search_elasticsearch import es_settings, worker_drain  # noqa: F401  (fixtures: a real Elasticsearch)

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["database", "elasticsearch"])
def backend(request):
    """Which backend answers; on Elasticsearch, practices made in a test reach it through the worker."""
    if request.param == "elasticsearch":
        request.getfixturevalue("es_settings")
        from search.backends.elasticsearch import ElasticsearchBackend

        ElasticsearchBackend.for_administration().rebuild()
    return request.param


def publish(parent, backend, **fields):
    page = make_practice(parent, **fields)
    if backend == "elasticsearch":
        worker_drain()
    return page


def ranked(result):
    return [hit.title for hit in result.hits]


# --- analysis ------------------------------------------------------------------------------------
def test_a_finnish_compound_is_indexed_with_its_sub_compounds():
    _primary, extras = analyse_word("fi", "perhekerhotoiminnassa")
    assert {"perhekerho", "kerhotoiminta", "perhe", "kerho", "toiminta"} <= set(extras)


def test_a_coordination_indexes_the_elided_compound():
    assert analyse_word("fi", "ompeluryhmä")[0] in analyse_text("fi", "naisten ompelu- ja kieliryhmä").extra


@pytest.mark.parametrize(("language", "form", "lemma"), [
    ("sv", "kaféer", "kafé"), ("sv", "kaféet", "kafé"), ("sv", "idéerna", "idé"), ("sv", "museerna", "museum"),
    ("en", "women", "woman"), ("en", "children", "child"),
])
def test_swedish_and_english_forms_reach_their_lemma(language, form, lemma):
    assert analyse_word(language, form)[0] == analyse_word(language, lemma)[0]


@pytest.mark.parametrize(("language", "word", "parts"), [
    ("sv", "lågtröskelfotboll", {"låg", "tröskel", "fotboll"}), ("en", "childcare", {"child", "care"}),
])
def test_closed_compounds_are_split_by_the_lexicon(language, word, parts):
    _primary, extras = analyse_word(language, word)
    assert {analyse_word(language, part)[0] for part in parts} <= set(extras)


def test_listed_words_are_not_split_into_accidental_parts():
    assert analyse_word("sv", "invandrare")[1] == () or "rar" not in analyse_word("sv", "invandrare")[1]
    assert query_splits("sv", "bibliotekarie") == ()


def test_a_query_compound_is_read_at_every_joint():
    splits = query_splits("fi", "työpaikkaohjaajakoulutus")
    assert (("työpaikkaohjaaja",), ("koulutus",)) in splits
    assert any(split[0] == ("työpaikka",) for split in splits)


# --- matching and ranking, on every backend ------------------------------------------------------
def test_an_inflected_sub_compound_finds_the_longer_compound(uusimaa, backend):
    publish(uusimaa, backend, title="Perhekerhotoiminta Keravalla")
    assert "Perhekerhotoiminta Keravalla" in titles(run(q="perhekerhossa"))


def test_a_query_compound_finds_its_parts_written_apart_ranked_below_the_compound(uusimaa, backend):
    publish(uusimaa, backend, title="Testi apart", summary="Annamme neuvontaa asumiseen liittyvissä asioissa.")
    publish(uusimaa, backend, title="Testi whole", summary="Asumisneuvontaa Keravalla.")
    order = [title for title in ranked(run(q="asumisneuvonta", page_size="100")) if title.startswith("Testi")]
    assert order == ["Testi whole", "Testi apart"]


def test_parts_inside_other_compounds_do_not_make_a_match(uusimaa, backend):
    publish(uusimaa, backend, title="Testi museo", summary="Kielitaito kasvaa museokahvilassa.")
    assert "Testi museo" not in titles(run(q="kielikahvila", page_size="100"))


def test_the_elided_compound_of_a_coordination_is_found(uusimaa, backend):
    publish(uusimaa, backend, title="Testi neulansilmä", summary="Naisten ompelu- ja kieliryhmä kokoontuu.")
    assert "Testi neulansilmä" in titles(run(q="ompeluryhmässä"))


def test_swedish_loanwords_and_english_compounds_in_the_demo(backend):
    assert "Språkkafé och lättläst läsecirkel i Joensuu huvudbibliotek" in titles(run("sv", q="kaféer"))
    assert "Swimming school for women in Kotka" in titles(run("en", q="child care"))


def test_words_close_together_rank_first(uusimaa, backend):
    # Equal fields and lengths; without the bonus the tie would go to the later one ("Testi apart").
    publish(uusimaa, backend, title="Testi close", summary="Mentorointi yrittäjille ja muuta tekemistä yhdessä.")
    publish(uusimaa, backend, title="Testi apart", summary="Mentorointi ja muuta tekemistä yhdessä yrittäjille.")
    order = [title for title in ranked(run(q="mentorointi yrittäjille")) if title.startswith("Testi")]
    assert order == ["Testi close", "Testi apart"]


def test_the_title_outweighs_the_body(uusimaa, backend):
    publish(uusimaa, backend, title="Testi body", summary="Lyhyt kuvaus.",
            problem="<p>Kaupunkiviljely yhdistää naapureita.</p>")
    publish(uusimaa, backend, title="Testi kaupunkiviljely", summary="Lyhyt kuvaus.")
    order = [title for title in ranked(run(q="kaupunkiviljelyä")) if title.startswith("Testi")]
    assert order == ["Testi kaupunkiviljely", "Testi body"]


def test_adjacent_query_words_that_form_a_word_are_joined():
    parsed = parse_query("en", "child care")
    assert parsed.pairs and parsed.pairs[0][2]  # "childcare" is a word: its terms are the bonus
