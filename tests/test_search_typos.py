"""Typo correction (search/typos.py): words as typed corrected to words as written in the documents,
chosen so that they find something with the request's filters, shown as "Showing results for …" with
a link that searches the text as typed."""

import datetime
import json
import re

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alerts import digest
from alerts.models import Subscription
from search.models import SearchDocument, SearchWord
from search.typos import allowed_edits, corrected_parts, corrected_text, corrections, vocabulary_words

from .factories import make_practice
from .search_helpers import run, titles
from .test_search_elasticsearch import es, es_settings  # noqa: F401  (fixtures: a real Elasticsearch)

pytestmark = pytest.mark.django_db


def get_json(client, params):
    response = client.get("/api/v1/search/", params)
    assert response.status_code == 200, response.content[:300]
    return json.loads(response.content)


def test_the_edits_allowed_follow_the_typed_words_length():
    assert [allowed_edits("x" * length) for length in (1, 3, 4, 7, 8, 20)] == [0, 0, 1, 1, 2, 2]


def documents_with(word: str, locale: str = "fi") -> int:
    return SearchWord.objects.filter(locale=locale, word=word).values_list("documents", flat=True).first() or 0


def test_the_vocabulary_is_the_words_as_written(uusimaa, django_capture_on_commit_callbacks):
    page = make_practice(uusimaa, title="Zorbasklubi Kirjastoissa", summary="Café-ilta 2024 ja x9 Åbossa.")
    words = set(SearchDocument.objects.get(page=page, locale="fi").vocabulary.split())
    assert {"zorbasklubi", "kirjastoissa", "cafe", "ilta", "åbossa"} <= words  # folded, inflected as written
    assert "kirjasto" not in words and "2024" not in words and "x9" not in words and "ja" not in words
    # Every language's document of the practice (here fallbacks) counts its words, and they leave with it.
    assert [documents_with("zorbasklubi", locale) for locale in ("fi", "sv", "en")] == [1, 1, 1]
    second = make_practice(uusimaa, title="Kvarkkinen zorbasklubi")
    assert documents_with("zorbasklubi") == 2 and documents_with("kvarkkinen") == 1
    before = documents_with("kirjastoissa")  # the demo content has it too
    with django_capture_on_commit_callbacks(execute=True):
        page.unpublish()
    assert documents_with("zorbasklubi") == 1 and documents_with("kirjastoissa") == before - 1
    with django_capture_on_commit_callbacks(execute=True):
        second.delete()
    assert not SearchWord.objects.filter(word__in=["zorbasklubi", "kvarkkinen"]).exists()  # no row kept at 0


def test_an_edit_counts_only_the_words_it_changes(uusimaa, django_capture_on_commit_callbacks):
    page = make_practice(uusimaa, title="Zuppapiiri", summary="Plimsoja ja kvarkkeja.")
    make_practice(uusimaa, title="Toinen zuppapiiri")
    assert documents_with("zuppapiiri") == 2 and documents_with("plimsoja") == 1
    with django_capture_on_commit_callbacks(execute=True):
        page.summary = "Plumsoja ja kvarkkeja."
        page.save_revision().publish()
    assert documents_with("zuppapiiri") == 2 and documents_with("kvarkkeja") == 1
    assert documents_with("plimsoja") == 0 and documents_with("plumsoja") == 1


def test_vocabulary_words_keep_letters_only_and_bounded():
    assert vocabulary_words("Ääni-kirja 3D ab " + "a" * 101) == {"ääni", "kirja"}


def test_a_short_english_word_with_one_slip_is_corrected_to_the_word():
    result = run("en", q="womn")
    assert result.corrections == {"womn": "women"} and result.corrected_text == "women"
    assert result.total and titles(result) == titles(run("en", q="women"))
    children = run("en", q="chidren")
    assert children.corrections == {"chidren": "children"}
    assert titles(children) == titles(run("en", q="children"))


def test_a_three_letter_word_is_not_corrected():
    assert corrections("en", "wmn") == [] and run("en", q="bok").corrections == {}


def test_a_finnish_inflected_word_with_a_slip():
    result = run("fi", q="lapsiperheile")
    assert result.corrections == {"lapsiperheile": "lapsiperheille"}
    assert result.total and titles(result) == titles(run("fi", q="lapsiperheille"))
    # Two slips in a long word (8 letters or more allow two edits).
    assert run("fi", q="maahanmutajat").corrections == {"maahanmutajat": "maahanmuuttajat"}


def test_a_swedish_word_with_a_slip():
    result = run("sv", q="språkinlärnig")
    assert result.corrections == {"språkinlärnig": "språkinlärning"}
    assert result.total and titles(result) == titles(run("sv", q="språkinlärning"))


def test_only_the_unknown_word_is_corrected_and_the_rest_stays_as_typed():
    result = run("en", q="Language womn")
    assert result.corrections == {"womn": "women"} and result.corrected_text == "Language women"
    assert titles(result) == titles(run("en", q="language women"))


def test_nothing_is_corrected_when_the_words_are_known(uusimaa):
    make_practice(uusimaa, title="Zorbasklubi")
    assert corrections("fi", "kielikahvila zorbasklubi") == []
    result = run("fi", q="kielikahvila zorbasklubi")  # known words that find nothing together
    assert result.total == 0 and result.corrections == {} and result.corrected_text == ""


def test_the_correction_that_finds_something_in_the_selection_is_chosen(uusimaa, pirkanmaa):
    # "zorbus" is one edit from both; "zorbas" is in more documents, so it ranks first...
    for number in range(2):
        make_practice(uusimaa, title=f"Zorbas-kerho {number}", regions=("01",))
    make_practice(pirkanmaa, title="Zorbis-kerho", regions=("06",))
    assert [c["zorbus"] for c in corrections("fi", "zorbus")] == ["zorbas", "zorbis"]
    assert run("fi", q="zorbus").corrections == {"zorbus": "zorbas"}
    # ...but finds nothing in Pirkanmaa, where "zorbis" does.
    result = run("fi", q="zorbus", region="06")
    assert result.corrections == {"zorbus": "zorbis"} and titles(result) == {"Zorbis-kerho"}
    # Nothing close finds anything in Lapland: no correction is offered.
    assert run("fi", q="zorbus", region="19").corrections == {}


def test_the_page_shows_the_corrected_text_and_a_link_to_the_typed_text(client):
    html = client.get("/en/search/", {"q": "Language womn"}).content.decode()
    assert "Showing results for Language <strong>women</strong>" in html
    assert 'value="Language womn"' in html  # the typed text stays in the search box
    link = re.search(r'<a href="(\?[^"]*)">Search instead for ‘Language womn’</a>', html)
    assert link and "literal=1" in link.group(1)
    typed = client.get("/en/search/" + link.group(1).replace("&amp;", "&")).content.decode()
    assert "0 practices found" in typed and "Showing results for" not in typed
    assert run("en", q="Language womn", literal="1").total == 0


def test_the_link_to_the_typed_text_keeps_the_filters(client):
    html = client.get("/en/search/", {"q": "chidren", "theme": "language", "page": "1"}).content.decode()
    link = re.search(r'<a href="\?([^"]*)">Search instead for', html).group(1).split("&amp;")
    assert sorted(link) == ["literal=1", "q=chidren", "theme=language"]


def test_the_api_reports_the_corrections(client):
    data = get_json(client, {"q": "Language womn", "lang": "en"})
    assert data["query"] == "Language womn" and data["count"] > 0
    assert data["corrections"] == {"womn": "women"} and data["corrected_query"] == "Language women"
    typed = get_json(client, {"q": "Language womn", "lang": "en", "literal": "1"})
    assert typed["count"] == 0 and typed["corrections"] == {} and typed["corrected_query"] is None
    known = get_json(client, {"q": "women", "lang": "en"})
    assert known["corrections"] == {} and known["corrected_query"] is None


def test_alert_digests_skip_corrected_results(uusimaa):
    since = timezone.now() - datetime.timedelta(minutes=1)
    make_practice(uusimaa, title="Zorbas-kerho")
    upto = timezone.now() + datetime.timedelta(minutes=1)
    assert run("fi", q="zorbus").corrections == {"zorbus": "zorbas"}  # the page would show it ...
    _request, hits, _more = digest.new_matches(Subscription(query="q=zorbus", language="fi"), since, upto)
    assert hits == []  # ... an alert for what was typed does not
    _request, hits, _more = digest.new_matches(Subscription(query="q=zorbas", language="fi"), since, upto)
    assert [hit.title for hit in hits] == ["Zorbas-kerho"]


def test_corrected_text_and_parts():
    replacements = {"womn": "women"}
    assert corrected_text('"Womn" and womn2, WOMN!', replacements) == '"women" and womn2, women!'
    assert corrected_parts("help for womn", replacements) == [("help for ", False), ("women", True)]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(locale=st.sampled_from(["fi", "sv", "en"]), text=st.text(max_size=200))
def test_corrections_never_fail_on_any_unicode(locale, text):
    for replacements in corrections(locale, text):
        assert corrected_text(text, replacements) != text or not replacements


def test_elasticsearch_gets_the_corrected_words_too(es):  # noqa: F811  (the fixture)
    result = run("en", q="Language womn")
    assert result.backend == "elasticsearch" and result.corrections == {"womn": "women"}
    assert titles(result) == titles(run("en", q="language women"))
    result = run("sv", q="språkinlärnig")
    assert result.backend == "elasticsearch" and result.corrections == {"språkinlärnig": "språkinlärning"}
