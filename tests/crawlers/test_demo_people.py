"""The people index after one crawl of the bundled demo network: the hunger strikers are there, no junk names.

Found when tried: `wire people list` on the demo listed the lawyer but not the hunger striker,
and "Nasrin Alavi At", "Serhat Demirel Die", "Grup Çınaraltı Grup" beside "Grup Çınaraltı",
with no name in Persian or Arabic script. The crawl is the one production runs
(`crawl_in_subprocess`, which indexes people after clustering), as in test_crawl_demo.py.
"""

import pytest

from aggregator.db import open_db
from aggregator.storage.people import list_people
from crawlers.run import crawl_in_subprocess
from tests.conftest import make_config
from tests.crawlers.test_crawl_demo import register

#: capitalised function words that ended junk names, and words of bands and bodies
JUNK_WORDS = {"at", "die", "der", "the", "in", "on", "grup", "group", "prison", "committee", "cezaevi"}


@pytest.fixture(scope="module")
def people(tmp_path_factory, demo_network):
    config = make_config(tmp_path_factory.mktemp("people"))
    db = open_db(config.db)
    register(db, demo_network)
    crawl_in_subprocess(config)
    rows = list_people(db)
    assert rows, "the crawl indexed no people"
    return {row["name"]: row for row in rows}


def test_the_hunger_strikers_are_listed(people):
    assert "Mahir Ekinci" in people  # on hunger strike for 87 days, named without a role word beside him
    assert "رضا توکلی" in people  # on hunger strike in Marzdaran prison, in the Persian partner's articles
    assert len(people["Mahir Ekinci"]["languages"].split(",")) >= 2


def test_names_in_persian_script_join_their_latin_spelling(people):
    # "نسرین علوی (Nasrin Alavi)" in the Persian article and "Nasrin Alavi" in the English one: one person
    # (listed under the spelling the crawl met first)
    spellings = [name for name in ("Nasrin Alavi", "نسرین علوی") if name in people]
    assert len(spellings) == 1, spellings
    assert set(people[spellings[0]]["languages"].split(",")) >= {"en", "fa"}


def test_no_junk_names(people):
    for name in people:
        words = name.split()
        assert 2 <= len(words) <= 4, name
        assert not JUNK_WORDS & {word.lower() for word in words}, name
        assert "\n" not in name, repr(name)
    for name in people:  # one person listed twice: "Grup Çınaraltı" and "Grup Çınaraltı Grup"
        longer = [other for other in people if other != name and other.startswith(name + " ")]
        assert not longer, (name, longer)
