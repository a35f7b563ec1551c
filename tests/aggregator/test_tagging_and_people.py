"""Tags with their evidence, from a taxonomy file editors can change; people indexed across languages."""

import pytest

from aggregator.people import find_people, person_key
from aggregator.tagging import load_taxonomy, tag_text

SMALL = """
version = 1
[[tag]]
id = "hunger-strike"
kind = "theme"
[tag.label]
en = "Hunger strike"
[tag.keywords]
en = ["hunger strike*", "death fast*"]
de = ["Hungerstreik*"]
tr = ["açlık grev*", "ölüm orucu*"]
fa = ["اعتصاب غذا*"]
[[tag]]
id = "country-tr"
kind = "country"
[tag.label]
en = "Turkey"
[tag.keywords]
en = ["Turkey", "Turkish"]
de = ["Türkei", "türkisch*"]
tr = ["Türkiye*"]
"""


@pytest.fixture
def taxonomy(tmp_path):
    path = tmp_path / "taxonomy.toml"
    path.write_text(SMALL, encoding="utf-8")
    return load_taxonomy(path)


@pytest.mark.parametrize(
    "text, tags",
    [
        (
            "Der Hungerstreik der Gefangenen in der Türkei dauert an",
            {"hunger-strike": ["Hungerstreik"], "country-tr": ["Türkei"]},
        ),
        (
            "Tutsakların açlık grevi 40. gününde; Türkiye'de ölüm orucu",
            {"hunger-strike": ["açlık grevi", "ölüm orucu"], "country-tr": ["Türkiye"]},
        ),
        ("اعتصاب غذای زندانیان ادامه دارد", {"hunger-strike": ["اعتصاب غذای"]}),
        ("Dockworkers' strike in Turkish ports", {"country-tr": ["Turkish"]}),  # a labour strike is no hunger strike
    ],
)
def test_tags_keep_their_evidence(taxonomy, text, tags):
    assert tag_text("", text, taxonomy) == tags


def test_taxonomy_file_of_the_project_loads():
    from aggregator.tagging import TAXONOMY

    if not TAXONOMY.exists():
        pytest.fail(f"{TAXONOMY} is missing")
    tags = load_taxonomy(TAXONOMY)
    assert {"hunger-strike", "trial-sentence", "release", "isolation"} <= {tag.id for tag in tags}
    assert tag_text("Day 87 of the hunger strike", "", tags).get("hunger-strike")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Political prisoner Deniz Aksoy reached day 40.", [("Deniz Aksoy", "political prisoner")]),
        ("Tutsak Mahir Ekinci'nin açlık grevi sürüyor.", [("Mahir Ekinci", "tutsak")]),
        ("Der Gefangene Ali Kaya wurde verlegt.", [("Ali Kaya", "gefangene")]),
        ("La journaliste Nora Benali est toujours détenue.", [("Nora Benali", "journaliste")]),
        ("The prisoners in Kuzeykent Prison wrote a letter.", []),
    ],
)
def test_find_people(text, expected):
    assert [(name, role) for name, _, role in find_people(text)] == expected


def test_one_person_across_spellings():
    assert person_key("İlknur Şahin") == person_key("Ilknur Sahin") == "ilknur sahin"


def test_a_broken_taxonomy_file_is_one_clear_error(tmp_path):
    from aggregator.tagging import TaxonomyError

    path = tmp_path / "taxonomy.toml"
    path.write_text('[[tag]]\nid = "x\n', encoding="utf-8")
    with pytest.raises(TaxonomyError, match=r"taxonomy: .*taxonomy.toml cannot be read .*items are kept untagged"):
        load_taxonomy(path)


def test_theme_words_are_read_in_the_items_language(taxonomy):
    # "açlık grevi" in a text declared English is not taken as a theme word of English
    mixed = "Solidarity evening: songs, and a film about the açlık grevi of 1996 in Turkey"
    assert "hunger-strike" in tag_text("", mixed, taxonomy)
    assert "hunger-strike" not in tag_text("", mixed, taxonomy, language="en")
    assert tag_text("", mixed, taxonomy, language="en")["country-tr"] == ["Turkey"]
