"""Edit distance for typo tolerance where the database has no fuzzy matching of its own (SQLite)."""


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


def allowed_edits(term: str) -> int:
    """Like Elasticsearch's AUTO fuzziness: exact up to 2 letters, 1 edit up to 5, else 2."""
    return 0 if len(term) <= 2 else 1 if len(term) <= 5 else 2


def close_terms(term: str, candidates, limit: int) -> list[str]:
    edits = allowed_edits(term)
    scored = sorted((edit_distance(term, candidate, edits), candidate) for candidate in candidates)
    return [candidate for distance, candidate in scored if 0 < distance <= edits][:limit]
