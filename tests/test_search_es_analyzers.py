"""The Elasticsearch indexes score with each language's own analyzer, on the real test node.

The test node's distribution lacks Elasticsearch's analysis-common module; scripts/with-elasticsearch.sh
gives it Lucene's Finnish, Swedish and English analyzers under the built-in names
(scripts/elasticsearch/language-analyzers), so these are the analyzers production uses.
"""

import pytest

from search.backends.elasticsearch import LANGUAGE_ANALYZERS

from .test_search_elasticsearch import es, es_settings  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("locale, text, stems", [
    ("fi", "kielikahviloissa", ["kielikahvilo"]),
    ("fi", "Kotoutumisen palvelut", ["kotoutumis", "palvelu"]),
    ("sv", "språkkaféerna", ["språkkafé"]),
    ("en", "mentoring for women", ["mentor", "women"]),
])
def test_text_fields_use_the_language_analyzer(es, locale, text, stems):  # noqa: F811
    alias = es.alias(locale)
    mapping = next(iter(es.client.indices.get_mapping(index=alias).body.values()))["mappings"]
    assert {mapping["properties"][field]["analyzer"] for field in ("title", "summary", "body")} == {
        LANGUAGE_ANALYZERS[locale]}
    tokens = es.client.indices.analyze(index=alias, field="title", text=text).body["tokens"]
    assert [token["token"] for token in tokens] == stems
