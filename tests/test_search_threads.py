"""Analysis is shared by the threads of a gunicorn worker (gthread): it must give each thread the same
answers it gives one thread alone."""

import threading

from search.analysis import _stem

WORDS = {
    "sv": ["språkkaféerna", "föreningarna", "integrationen", "kvinnorna", "barnfamiljernas", "idéerna"],
    "en": ["mentoring", "associations", "libraries", "newcomers", "guidance", "integration"],
    "fi": ["kielikahviloissa", "perhekerhoissa", "neuvonnassa", "kirjastoissa", "ohjauspisteissä"],
}


def test_stemming_in_many_threads_matches_one_thread():
    expected = {(language, word): _stem(language, word) for language, words in WORDS.items() for word in words}
    wrong, errors = [], []
    start = threading.Barrier(8)

    def stem_repeatedly():
        try:
            start.wait(timeout=60)
            for _round in range(300):
                for (language, word), stem in expected.items():
                    if _stem(language, word) != stem:
                        wrong.append((language, word))
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(repr(error))

    threads = [threading.Thread(target=stem_repeatedly) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not errors and not wrong, (errors[:3], wrong[:3])
