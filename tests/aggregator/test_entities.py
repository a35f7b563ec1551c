"""The cross-language rule answers as its plain formula does, whatever order it checks things in."""

from __future__ import annotations

import random

import pytest

from aggregator.entities import (
    EVIDENCE_WITH_NUMBER,
    EVIDENCE_WITHOUT_NUMBER,
    MIN_NAME_COVERAGE,
    MIN_SHARED_NAMES,
    Fingerprint,
    number_weight,
    same_story_across_languages,
    shared_names,
)


def _formula(a: Fingerprint, b: Fingerprint, common, weight) -> bool:
    """The rule as first written: coverage of the lighter side's names, then evidence and numbers."""
    shared = shared_names(a, b, common)
    if len(shared) < MIN_SHARED_NAMES:
        return False
    evidence = sum(weight(name) for name in shared)
    sizes = [sum(weight(name) for name in f.names) for f in (a, b) if not f.rtl]
    if sizes and evidence < MIN_NAME_COVERAGE * min(sizes):
        return False
    number = max((number_weight(n) for n in a.numbers & b.numbers), default=0.0)
    return evidence >= EVIDENCE_WITHOUT_NUMBER or (number > 0 and evidence + number >= EVIDENCE_WITH_NUMBER)


def _print(rng: random.Random, pool: list[str], rtl: bool) -> Fingerprint:
    names = frozenset(rng.sample(pool, rng.randint(0, 40)))
    numbers = frozenset(rng.sample(["12", "144", "2025", "7", "300", "48"], rng.randint(0, 3)))
    skeletons = frozenset(rng.sample(["nsrn", "lv", "shn", "krd"], rng.randint(0, 3))) if rtl else frozenset()
    return Fingerprint(frozenset() if rtl else names, numbers, rtl, skeletons)


@pytest.mark.parametrize("seed", range(4))
def test_same_answer_as_the_formula_on_random_fingerprints(seed):
    rng = random.Random(seed)
    pool = [f"name{n}" for n in range(60)]
    counts = {name: rng.randint(1, 6) for name in pool}
    weight = lambda name: 1.0 / counts.get(name, 1)  # noqa: E731 - the clustering's rarity, in small
    answers = []
    for _ in range(2_000):
        a, b = _print(rng, pool, rng.random() < 0.1), _print(rng, pool, rng.random() < 0.1)
        common = set(rng.sample(pool, 3))
        expected = _formula(a, b, common, weight)
        assert same_story_across_languages(a, b, common, weight) == expected
        answers.append(expected)
    assert any(answers) and not all(answers)  # both answers were met


def _names_by_finditer(text: str) -> set[str]:
    """`names` as first written: the look-behind pattern run with finditer."""
    from aggregator.entities import _CAPITALISED, _SENTENCE_START, fold

    found = set()
    for match in _CAPITALISED.finditer(text):
        if _SENTENCE_START.search(text[max(0, match.start() - 3) : match.start()]):
            continue
        key = fold(match.group(1))
        if len(key) >= 4:
            found.add(key)
    return found


TRICKY = [
    "the iPhone-Nutzer and aB-Cd met McCain-Feingold, al-Assad and O'Neill in İstanbul",
    "Kaplan'ın avukatı Şahin’in; l’Équipe d'Ekinci _Under_score x2Name Ünal-Öztürk",
    "«Selin Korkmaz» (Baran Yıldız) — Нина Петрова и Олег Сидоров. Day 144: Amnesty",
    "",
]


@pytest.mark.parametrize("text", TRICKY)
def test_names_find_what_the_look_behind_pattern_found(text):
    from aggregator.entities import names

    assert names(text) == _names_by_finditer(text)


def test_names_on_random_mixtures_of_tricky_pieces():
    from aggregator.entities import names

    rng = random.Random(3)
    pieces = [*" ".join(TRICKY).split(), "-", "'", "’", "x", "_", ".", "\n", "Aa", "bB", "Ünal", "de"]
    for _ in range(3_000):
        text = "".join(rng.choice(pieces) + rng.choice(["", " ", "", "-"]) for _ in range(rng.randint(0, 12)))
        assert names(text) == _names_by_finditer(text), text


def test_a_sentence_start_is_read_as_the_pattern_reads_it():
    """`starts_sentence` (string methods) against `_SENTENCE_START` on the three characters before
    a word, for random mixes of marks, spaces of every kind, line breaks and letters."""
    from aggregator.entities import _SENTENCE_START, starts_sentence

    alphabet = [*'.!?:;«»"“”„(', " ", "\t", "\u00a0", "\u2003", "\n", "\r", "\x0b", "a", "Z", ",", "-", "x"]
    rng = random.Random(11)
    seen = set()
    for _ in range(20_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 6))) + "Name"
        start = len(text) - 4
        expected = bool(_SENTENCE_START.search(text[max(0, start - 3) : start]))
        assert starts_sentence(text, start) == expected, repr(text)
        seen.add(expected)
    assert seen == {True, False}
