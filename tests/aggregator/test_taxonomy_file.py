"""Check that aggregator/data/taxonomy.toml is a valid, consistent tag taxonomy.

Editors change the taxonomy by hand, so these tests guard the conventions that
the header of the file promises: the shape of every tag, the required
languages, well-formed keywords, and no keyword shared by two tags of the
same kind. The last tests run a small reference matcher that follows the
matching rule written in the header of the file, on sentences that must (or
must not) be tagged; they pin the precision choices made there ("Kürtaj" is
not Kurdistan, Portuguese "irá" is not Iran).
"""

import re
import tomllib
import unicodedata
from collections import defaultdict
from pathlib import Path

import pytest

TAXONOMY_PATH = Path(__file__).resolve().parents[2] / "aggregator" / "data" / "taxonomy.toml"

REQUIRED_LANGUAGES = ("en", "de", "fr", "es", "it", "tr", "fa", "ar")
KNOWN_LANGUAGES = frozenset(REQUIRED_LANGUAGES + ("pt", "ku", "eu", "ru", "da", "tl"))
KINDS = frozenset({"theme", "country"})
TAG_KEYS = frozenset({"id", "kind", "label", "keywords"})
ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

# Keywords deliberately listed under two tags of the same kind in one language:
# (kind, language, normalised keyword) -> the tag ids allowed to share it.
# Empty on purpose: a shared place goes to the more specific tag (see header).
ALLOWED_SHARED_KEYWORDS: dict[tuple[str, str, str], frozenset[str]] = {}

# --- reference implementation of the matching rule in the file's header ------

_CHAR_MAP = str.maketrans(
    {
        "ı": "i",  # Turkish dotless i; dotted capital İ loses its dot below
        "ё": "е",
        "’": "'",
        "‘": "'",
        "ʼ": "'",
        "\u2010": "-",
        "\u2011": "-",
        "\u200c": " ",  # ZWNJ counts as a space
        "\u200d": "",
        "\u00ad": "",
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ي": "ی",
        "ى": "ی",
        "ك": "ک",
    }
)
_ARABIC_MARKS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_SEPARATOR = r"[\s\-]+"


def normalize(text: str) -> str:
    """Fold text the way the taxonomy header describes, for keywords and texts alike."""
    text = unicodedata.normalize("NFKC", text).casefold().replace("\u0307", "")
    return _ARABIC_MARKS.sub("", text.translate(_CHAR_MAP))


def keyword_regex(keyword: str) -> re.Pattern[str]:
    """Compile one keyword: whole words, `word*` as a prefix, spaces match spaces or hyphens."""
    parts = []
    for word in re.split(_SEPARATOR, normalize(keyword).strip()):
        if word.endswith("*"):
            parts.append(re.escape(word[:-1]) + r"\w*")
        else:
            parts.append(re.escape(word) + r"(?!\w)")
    return re.compile(r"(?<!\w)" + _SEPARATOR.join(parts))


def tags_for(text: str, language: str, tags: list[dict]) -> set[str]:
    """Return the ids of the tags whose keywords for `language` occur in `text`."""
    folded = normalize(text)
    return {
        tag["id"]
        for tag in tags
        if any(keyword_regex(kw).search(folded) for kw in tag["keywords"].get(language, ()))
    }


def comparable(keyword: str) -> str:
    """Reduce a keyword to the form two keywords collide on: folded, no star, hyphens as spaces."""
    return " ".join(re.split(_SEPARATOR, normalize(keyword).replace("*", "").strip()))


def scripts_of(word: str) -> set[str]:
    return {
        unicodedata.name(char, "UNKNOWN").split()[0]
        for char in word
        if unicodedata.category(char).startswith("L")
    }


# --- fixtures -----------------------------------------------------------------


@pytest.fixture(scope="module")
def taxonomy() -> dict:
    with TAXONOMY_PATH.open("rb") as handle:
        return tomllib.load(handle)


@pytest.fixture(scope="module")
def tags(taxonomy: dict) -> list[dict]:
    return taxonomy["tag"]


def all_keywords(tags: list[dict]):
    for tag in tags:
        for language, keywords in tag["keywords"].items():
            for keyword in keywords:
                yield tag, language, keyword


# --- shape --------------------------------------------------------------------


def test_file_has_version_and_tags(taxonomy):
    assert taxonomy.get("version") == 1
    assert set(taxonomy) == {"version", "tag"}, "unknown top-level key"
    assert isinstance(taxonomy["tag"], list) and taxonomy["tag"]


def test_every_tag_has_id_kind_label_keywords(tags):
    for tag in tags:
        assert set(tag) == TAG_KEYS, f"{tag.get('id')}: keys {sorted(tag)}"
        assert ID_PATTERN.match(tag["id"]), f"bad id {tag['id']!r}"
        assert tag["kind"] in KINDS, f"{tag['id']}: kind {tag['kind']!r}"
        assert isinstance(tag["label"], dict) and isinstance(tag["keywords"], dict)


def test_ids_are_unique(tags):
    seen = defaultdict(int)
    for tag in tags:
        seen[tag["id"]] += 1
    assert not [tag_id for tag_id, count in seen.items() if count > 1]


def test_country_ids_say_country(tags):
    for tag in tags:
        assert tag["id"].startswith("country-") == (tag["kind"] == "country"), tag["id"]


def test_both_kinds_are_present(tags):
    assert {tag["kind"] for tag in tags} == KINDS


# --- labels -------------------------------------------------------------------


def test_labels_exist_for_english_and_every_keyword_language(tags):
    for tag in tags:
        labels = tag["label"]
        assert set(labels) <= KNOWN_LANGUAGES, f"{tag['id']}: {sorted(set(labels) - KNOWN_LANGUAGES)}"
        assert "en" in labels, tag["id"]
        missing = set(tag["keywords"]) - set(labels)
        assert not missing, f"{tag['id']}: no label for {sorted(missing)}"
        for language, label in labels.items():
            assert isinstance(label, str) and label.strip() == label and label, (tag["id"], language)


# --- keywords -----------------------------------------------------------------


def test_every_tag_has_keywords_in_required_languages(tags):
    for tag in tags:
        for language in REQUIRED_LANGUAGES:
            keywords = tag["keywords"].get(language)
            assert keywords, f"{tag['id']}: no keywords for {language}"


def test_keyword_languages_are_known(tags):
    for tag in tags:
        unknown = set(tag["keywords"]) - KNOWN_LANGUAGES
        assert not unknown, f"{tag['id']}: unknown language {sorted(unknown)}"


def test_keywords_are_well_formed(tags):
    problems = []
    for tag, language, keyword in all_keywords(tags):
        where = f"{tag['id']} [{language}] {keyword!r}"
        if not isinstance(keyword, str) or not keyword.strip():
            problems.append(f"{where}: empty")
            continue
        if keyword != keyword.strip() or "  " in keyword or re.search(r"[\t\n\r\u200c\u200d]", keyword):
            problems.append(f"{where}: stray whitespace or ZWNJ (write a plain space)")
        words = keyword.split(" ")
        for word in words:
            if "*" in word[:-1]:
                problems.append(f"{where}: * only at the end of a word")
            if len(words) == 1 and word.endswith("*") and len(normalize(word[:-1])) < 3:
                problems.append(f"{where}: stem before * shorter than 3 letters")
            if len(scripts_of(word)) > 1:
                problems.append(f"{where}: word mixes scripts {sorted(scripts_of(word))}")
        bare = keyword.replace("*", "")
        if len(bare) < 4 and bare[0].isalpha() and bare[0].lower() != bare[0].upper() and not bare[0].isupper():
            problems.append(f"{where}: short keyword must start with a capital (acronym or checked name)")
    assert not problems, "\n".join(problems)


def test_no_duplicate_keywords_within_a_tag(tags):
    duplicates = []
    for tag in tags:
        for language, keywords in tag["keywords"].items():
            seen = set()
            for keyword in keywords:
                key = normalize(keyword)
                if key in seen:
                    duplicates.append(f"{tag['id']} [{language}] {keyword!r}")
                seen.add(key)
    assert not duplicates, "\n".join(duplicates)


def test_no_keyword_under_two_tags_of_the_same_kind(tags):
    owners = defaultdict(set)
    for tag, language, keyword in all_keywords(tags):
        owners[(tag["kind"], language, comparable(keyword))].add(tag["id"])
    shared = [
        f"{kind} [{language}] {keyword!r}: {sorted(ids)}"
        for (kind, language, keyword), ids in sorted(owners.items())
        if len(ids) > 1 and ALLOWED_SHARED_KEYWORDS.get((kind, language, keyword)) != frozenset(ids)
    ]
    assert not shared, "\n".join(shared)


def test_every_keyword_matches_its_own_text(tags):
    broken = [
        f"{tag['id']} [{language}] {keyword!r}"
        for tag, language, keyword in all_keywords(tags)
        if not keyword_regex(keyword).search(normalize(keyword.replace("*", "")))
    ]
    assert not broken, "\n".join(broken)


# --- precision and recall on sample sentences -----------------------------------

SHOULD_TAG = [
    ("en", "She has been on hunger-strike for 144 days in Silivri.", {"hunger-strike", "country-tr"}),
    ("en", "Three hunger strikers were released from prison on Monday.", {"hunger-strike", "release"}),
    ("de", "Die Hungerstreikenden im Todesfasten brauchen Vitamin B1.", {"hunger-strike", "health"}),
    ("de", "Prozess nach §129b vor dem Oberlandesgericht Stuttgart", {"trial-sentence", "terror-lists", "country-de"}),
    ("fr", "Il est en grève de la faim depuis 40 jours à Lannemezan.", {"hunger-strike", "country-fr"}),
    ("es", "Fue excarcelado tras 20 años en régimen de aislamiento.", {"release", "isolation"}),
    ("it", "Presidio sotto il carcere per i detenuti in 41 bis.", {"solidarity-action", "isolation"}),
    ("pt", "Ele foi preso pela polícia no Irã.", {"arrest", "country-ir"}),
    ("tr", "AÇLIK GREVİNDEKİ TUTSAK TAHLİYE EDİLDİ", {"hunger-strike", "release"}),
    ("tr", "Türkiye'deki F tipi cezaevlerinde tecride karşı", {"country-tr", "isolation"}),
    ("tr", "Mısır'daki cezaevlerinde ölüm orucu", {"country-eg", "hunger-strike"}),
    ("ku", "Girtiyên li Amedê di greva birçîbûnê de ne.", {"hunger-strike", "country-kurdistan"}),
    ("fa", "زندانیان سیاسی بند زنان اوین در اعتصاب غذا هستند", {"hunger-strike", "class-race-gender", "country-ir"}),
    ("fa", "او در سلول‌های انفرادی نگهداری می‌شود", {"isolation"}),
    ("ar", "يواصل الأسير إضرابه عن الطعام رفضا لاعتقاله الإداري", {"hunger-strike"}),
    ("ar", "اعتقلت قوات الاحتلال الشاب من مدينة جنين", {"arrest", "country-ps"}),
    ("ar", "تجديد الاعتقال الإداري للأسير في سجن عوفر", {"administrative-detention", "country-ps"}),
    ("eu", "Euskal Herrian elkarretaratzeak egin dira euskal presoen alde.", {"solidarity-action", "country-basque"}),
    ("ru", "Суд приговорил активиста к пяти годам колонии.", {"trial-sentence"}),
    ("ru", "Политзаключённый ОСВОБОЖДЁН и вышел на свободу", {"release"}),
    ("da", "Sultestrejken fortsætter foran ambassaden i København.", {"hunger-strike", "solidarity-action", "country-dk"}),
    ("tl", "Pinalaya ang bilanggong pulitikal sa Pilipinas.", {"release", "country-ph"}),
]

SHOULD_NOT_TAG = [
    ("en", "Dock workers went on strike at the port.", "hunger-strike"),
    ("en", "The text was translated into German and Turkish.", "country-de"),
    ("en", "The text was translated into German and Turkish.", "country-tr"),
    ("en", "Greetings to comrades across Latin America.", "country-us"),
    ("en", "The Helsinki Committee published its report.", "country-fi"),
    ("en", "A concerted effort by the families.", "event-call"),
    ("de", "Die Aktion war gegen die Abschiebung gerichtet.", "trial-sentence"),
    ("de", "Sie wurden aus dem Betrieb entlassen.", "release"),
    ("fr", "Nous appelons à condamner cette attaque.", "trial-sentence"),
    ("fr", "Le Rassemblement national progresse.", "solidarity-action"),
    ("es", "Esto puso de manifiesto la violación de derechos.", "statement"),
    ("es", "Esto puso de manifiesto la violación de derechos.", "class-race-gender"),
    ("es", "Trabajamos por la paz en La Paz.", "country-bo"),
    ("it", "Liberate tutti e tutte!", "release"),
    ("pt", "O tribunal irá decidir amanhã.", "country-ir"),
    ("tr", "Kürtaj hakkı için kadınlar sokakta.", "country-kurdistan"),
    ("tr", "Evin önünde bekledik.", "country-ir"),
    ("tr", "Cezaevinde tutulan tutsaklar", "trial-sentence"),
    ("tr", "Baskılar artıyor, baskınlar sürüyor.", "country-basque"),
    ("tr", "Tarlada mısır hasadı yapıldı.", "country-eg"),
    ("ku", "Welatên Rojhilata Navîn û rojavayê Ewropayê", "country-kurdistan"),
    ("fa", "او این کار را کرد و به خانه آمد.", "country-kurdistan"),
    ("fa", "ما این اقدام سرکوبگرانه را محکوم می‌کنیم", "trial-sentence"),
    ("ar", "البيانات الرسمية تظهر ذلك", "statement"),
    ("ar", "فتح الباب أمام الحوار", "country-ps"),
    ("ar", "لولا التضامن لما نجحنا", "country-br"),
    ("ru", "Он пытался уйти, но это была попытка.", "prisoner-conditions"),
    ("ru", "Цены на газ выросли.", "country-ps"),
    ("ru", "Международная изоляция страны усилилась.", "isolation"),
    ("ru", "Мы осуждаем это решение.", "trial-sentence"),
    ("da", "Retten til asyl skal beskyttes.", "trial-sentence"),
]


@pytest.mark.parametrize(("language", "text", "expected"), SHOULD_TAG)
def test_sample_sentences_get_their_tags(tags, language, text, expected):
    assert expected <= tags_for(text, language, tags)


@pytest.mark.parametrize(("language", "text", "tag_id"), SHOULD_NOT_TAG)
def test_sample_sentences_avoid_false_tags(tags, language, text, tag_id):
    assert tag_id not in tags_for(text, language, tags)
