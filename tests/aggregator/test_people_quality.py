"""The people index measured on a labelled set in 14 languages, and the rules that make it: who is a person.

tests/data/stories/people.toml holds the set (its header says what it tests); the figures
with the date and the machine are in benchmarks/RESULTS.md (benchmarks/people_quality.py).
"""

import tomllib
from pathlib import Path

import pytest

from aggregator.evaluation import score_people
from aggregator.people import find_people, person_key

LABELLED = Path(__file__).parent.parent / "data" / "stories" / "people.toml"


def cases():
    return tomllib.loads(LABELLED.read_text(encoding="utf-8"))["case"]


def test_the_labelled_set_covers_every_partner_language_and_both_right_to_left_scripts():
    languages = {case["lang"] for case in cases()}
    assert {"en", "de", "fr", "es", "it", "tr", "ku", "fa", "ar", "eu", "pt", "ru", "da"} <= languages
    names = [
        name
        for case in cases()
        for person in case["people"]
        for name in ([person] if isinstance(person, str) else person)
    ]
    assert any("\u0600" <= c <= "\u06ff" for name in names for c in name)


def test_people_index_precision_and_recall_on_the_labelled_set():
    score = score_people(cases())
    detail = "\n".join(
        [f"wrong: {name!r} in {text[:70]!r}" for text, name in score.wrong]
        + [f"missed: {name!r} in {text[:70]!r}" for text, name in score.missed]
    )
    assert score.precision >= 0.95, f"precision {score.precision:.3f}\n{detail}"
    assert score.recall >= 0.85, f"recall {score.recall:.3f}\n{detail}"


def test_score_counts_a_second_spelling_as_a_duplicate_and_misses_as_misses():
    labelled = [{"text": "t1", "people": [["لیلا غفاری", "Leyla Ghaffari"], "Deniz Aksoy"]}]
    found = [
        ("لیلا غفاری", person_key("لیلا غفاری"), ""),
        ("Leyla Ghaffari", "leyla ghaffari", ""),
        ("Kuzeykent Prison", "kuzeykent prison", ""),
    ]
    score = score_people(labelled, lambda text: found)
    assert (score.tp, score.fp, score.fn) == (1, 2, 1)
    assert score.missed == [("t1", "Deniz Aksoy")]
    assert (round(score.precision, 3), score.recall) == (0.333, 0.5)


@pytest.mark.parametrize(
    "text, expected",
    [
        # named without a role word next to them
        ("Mahir Ekinci, who has been on hunger strike for 87 days, was moved.", ["Mahir Ekinci"]),
        ("Carla Reyes fue condenada a tres años.", ["Carla Reyes"]),
        ("Tomas Berg, 61, stopped eating in March.", ["Tomas Berg"]),
        # a list shares the role word: "hunger strikers X and Y"
        ("The court released hunger strikers Selin Korkmaz and Baran Yıldız.", ["Selin Korkmaz", "Baran Yıldız"]),
        # a name ends at the end of its line, and capitalised function words are no part of it
        ("free the teacher Nasrin Alavi\nAt the same session", ["Nasrin Alavi"]),
        ("gegen den Aktivisten Serhat Demirel\nDie Anklage", ["Serhat Demirel"]),
        # organisations, bands, prisons and acronyms are no persons
        ("The musician Grup Çınaraltı Grup played.", []),
        ("Grup Çınaraltı üyesi müzisyen Zeynep Karahan'ın duruşması", ["Zeynep Karahan"]),
        ("Prisoners Watch International said the prisoner Ali Kaya is ill.", ["Ali Kaya"]),
        # titles and Turkish case suffixes
        ("Dr. Helen Okafor warned of lasting harm.", ["Helen Okafor"]),
        ("Mustafa Kanat'a destek için eylem yapıldı.", ["Mustafa Kanat"]),
        # Persian and Arabic script: after a role word of that script, or before a Latin spelling
        ("زندانی سیاسی پروین صادقی اعتصاب غذا را آغاز کرد.", ["پروین صادقی"]),
        ("يواصل الأسير خليل سمارة إضرابه عن الطعام", ["خليل سمارة"]),
        ("دانشجویان بازداشت شده آزاد شدند", []),  # students (plural), were arrested: no name
    ],
)
def test_who_is_a_person(text, expected):
    assert [name for name, _, _ in find_people(text)] == expected


def test_a_name_in_persian_script_with_its_latin_spelling_is_one_person_keyed_by_the_latin():
    persian = find_people("نسرین علوی (Nasrin Alavi)، معلم زندانی، آزاد شد.")
    english = find_people("The teacher Nasrin Alavi was released.")
    assert [(name, key) for name, key, _ in persian] == [("نسرین علوی", "nasrin alavi")]
    assert [key for _, key, _ in english] == ["nasrin alavi"]


def test_keys_fold_letter_variants_of_arabic_and_persian():
    # Arabic yeh and kaf against the Persian ones, the zero-width non-joiner, a teh marbuta
    assert person_key("كوروش نيكپور") == person_key("کوروش نیک‌پور")
    assert person_key("سمارة") == person_key("سماره")


def test_a_person_is_found_by_either_spelling(db):
    from aggregator.indexing import index_items
    from aggregator.storage.items import save_item
    from aggregator.storage.people import get_person
    from aggregator.storage.sources import add_source

    source = add_source(db, "http://127.0.0.1/hambastegi/feed/", "Hambastegi", "feed")
    text = "نسرین علوی (Nasrin Alavi)، معلم زندانی، آزاد شد."
    _, item = save_item(
        db,
        {
            "source_id": source,
            "url": "http://127.0.0.1/hambastegi/1/",
            "canonical_url": "http://127.0.0.1/hambastegi/1/",
            "title": "آزادی یک معلم",
            "text": text,
            "summary": text,
            "language": "fa",
            "published_at": "2026-11-28T14:00:00+00:00",
            "content_hash": "h1",
        },
    )
    index_items(db, [item])
    for name in ("Nasrin Alavi", "نسرین علوی"):
        assert get_person(db, person_key(name), name)["name"] == "نسرین علوی"
