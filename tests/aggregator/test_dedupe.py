"""Signatures: the fast path computes datasketch's MinHash values exactly, so stored signatures stay valid."""

from __future__ import annotations

import random

import numpy as np
import pytest
from datasketch import MinHash

from aggregator.dedupe import (
    BANDS,
    NUM_PERM,
    ROWS,
    SCHEME,
    SEED,
    band_key_matrix,
    band_keys,
    from_bytes,
    jaccard,
    shingles,
    signature_of,
    to_bytes,
)

WORDS = ["grev", "açlık", "hunger", "strike", "prisoner", "Şahin", "زندان", "نسرین", "day", "144", "İstanbul"]


def _datasketch(text: str) -> MinHash:
    """datasketch's own MinHash of the text, built the slow way (one update per shingle)."""
    from aggregator.dedupe import _hash32

    minhash = MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME, hashfunc=_hash32)
    minhash.update_batch([s.encode("utf-8") for s in shingles(text)])
    return minhash


@pytest.mark.parametrize("seed", range(6))
def test_signature_of_equals_datasketch_minhash(seed):
    rng = random.Random(seed)
    text = " ".join(rng.choices(WORDS, k=rng.randint(0, 300)))
    values, size = signature_of(text)
    assert size == len(shingles(text))
    assert np.array_equal(values, _datasketch(text).hashvalues.astype(np.uint64))


def test_stored_signatures_read_back_and_estimate_jaccard_like_datasketch():
    a, b = "one two three four five six seven eight nine ten " * 3, "one two three four five six seven eight nine"
    values_a, _ = signature_of(a)
    restored = from_bytes(to_bytes(values_a))
    assert np.array_equal(restored, values_a)
    assert jaccard(restored, signature_of(b)[0]) == pytest.approx(_datasketch(a).jaccard(_datasketch(b)))


def test_band_keys_are_equal_exactly_where_a_band_is():
    """Two signatures share a band's key when that band's values are equal, and (for random
    values) nowhere else; the vectorised form gives every row the keys of the single form."""
    values, _ = signature_of("a repost of a statement about a hunger strike in its day 144")
    other = values.copy()
    other[ROWS * 5] += 1  # band 5 changes, the others stay
    keys, changed = band_keys(values), band_keys(other)
    assert len(keys) == BANDS
    assert [a == b for a, b in zip(keys, changed, strict=True)] == [band != 5 for band in range(BANDS)]
    assert len(set(keys)) == BANDS  # equal values in two bands still give two keys
    rng = np.random.default_rng(3)
    rows = rng.integers(0, 2**32, size=(500, NUM_PERM), dtype=np.uint64)
    matrix = band_key_matrix(rows)
    assert matrix.shape == (500, BANDS)
    assert matrix[7].tolist() == band_keys(rows[7])
    assert len(np.unique(matrix)) == 500 * BANDS  # no collision among 18,500 random bands


def test_the_near_rule_for_many_neighbours_answers_as_the_rule_for_one():
    """`near_mask` (numpy, one item against its band neighbours) against `near_by_similarity` on
    random Jaccards (as MinHash gives them, k/128) and shingle counts, empty texts included."""
    import random

    import numpy as np

    from aggregator.dedupe import near_by_similarity, near_mask, near_rows

    rng = random.Random(5)
    answers = set()
    for _ in range(300):
        size = rng.choice([0, 1, 24, 25, 40, 100, 250, rng.randint(0, 600)])
        sims = np.array([rng.randint(0, 128) / 128 for _ in range(60)])
        sizes = np.array([rng.choice([0, 10, size, rng.randint(0, 600)]) for _ in range(60)], dtype=np.int64)
        for threshold, containment in ((0.5, 0.7), (0.3, 0.9)):
            mask = near_mask(sims, size, sizes, threshold, containment).tolist()
            expected = [
                near_by_similarity(float(s), size, int(n), threshold, containment)
                for s, n in zip(sims, sizes, strict=True)
            ]
            assert mask == expected
            for few in (3, 12, 13, 60):  # Python for a few neighbours, numpy for more
                rows = near_rows(sims[:few], size, sizes[:few].tolist(), threshold, containment)
                assert rows == [row for row in range(few) if expected[row]]
            answers.update(expected)
    assert answers == {True, False}
