"""Score the people index against a labelled set: precision and recall per person and text. Pure.

A labelled case is `{"text": ..., "people": [...]}` where each person is a name as written,
or a list of the ways one person is written in that text (Persian script and the Latin
spelling beside it). Names are compared by `person_key`, as the index joins them. A person
found once is a true positive; found under a second spelling it is a duplicate, counted
as a false positive, because the index would then list one person twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from aggregator.people import find_people, person_key


@dataclass
class PeopleScore:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    #: (text, name) for each person the index missed
    missed: list[tuple[str, str]] = field(default_factory=list)
    #: (text, name) for each name the index gave that names no one expected (or someone twice)
    wrong: list[tuple[str, str]] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


def score_people(cases: Iterable[dict], find: Callable[[str], list[tuple[str, str, str]]] = find_people) -> PeopleScore:
    """Count each case's expected people against what `find` gives for its text."""
    score = PeopleScore()
    for case in cases:
        text = case["text"]
        expected = [[person_key(n) for n in ([p] if isinstance(p, str) else p)] for p in case["people"]]
        hit = [False] * len(expected)
        for name, key, _role in find(text):
            person = next((i for i, keys in enumerate(expected) if key in keys), None)
            if person is None or hit[person]:
                score.fp += 1
                score.wrong.append((text, name))
            else:
                hit[person] = True
                score.tp += 1
        for person, found in zip(case["people"], hit, strict=True):
            if not found:
                score.fn += 1
                score.missed.append((text, person if isinstance(person, str) else " / ".join(person)))
    return score
