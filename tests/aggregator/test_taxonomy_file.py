"""Check that aggregator/data/taxonomy.toml is a valid, consistent tag taxonomy.

Editors change the taxonomy by hand, so these tests guard what the header of
the file promises: the shape of every tag, the required languages, keywords
written the way the matcher reads them, and no keyword shared by two tags of
the same kind. The last tests run the project's own tagger on sample sentences
that must, or must not, get a tag; they pin the precision choices the header
explains ("Kürtaj" is not Kurdistan, Spanish "hasta" is not health).
"""

import re
import tomllib
import unicodedata
from collections import defaultdict
from pathlib import Path

import pytest

from aggregator.tagging import load_taxonomy, tag_text

TAXONOMY_PATH = Path(__file__).resolve().parents[2] / "aggregator" / "data" / "taxonomy.toml"

REQUIRED_LANGUAGES = ("en", "de", "fr", "es", "it", "tr", "fa", "ar")
KNOWN_LANGUAGES = frozenset(REQUIRED_LANGUAGES + ("pt", "ku", "eu", "ru", "da", "tl"))
KINDS = frozenset({"theme", "country"})
TAG_KEYS = frozenset({"id", "kind", "label", "keywords"})
ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
ZWNJ = "\u200c"
INVISIBLE = re.compile("[\t\n\r\u00a0\u00ad\u200b\u200d\u200e\u200f\u2060\ufeff]")

# Keywords deliberately listed under two tags of the same kind:
# (kind, keyword as comparable() returns it) -> the tag ids allowed to share it.
# Empty on purpose: a shared place goes to the more specific tag (see the header).
ALLOWED_SHARED_KEYWORDS: dict[tuple[str, str], frozenset[str]] = {}


def comparable(keyword: str) -> str:
    """Fold a keyword the way the matcher compares text: case, Turkish i, spacing; drop the star."""
    folded = unicodedata.normalize("NFC", keyword).casefold().replace("\u0307", "").replace("ı", "i")
    return " ".join(folded.rstrip("*").split())


def scripts_of(word: str) -> set[str]:
    return {unicodedata.name(char, "?").split()[0] for char in word if unicodedata.category(char).startswith("L")}


@pytest.fixture(scope="module")
def taxonomy() -> dict:
    with TAXONOMY_PATH.open("rb") as handle:
        return tomllib.load(handle)


@pytest.fixture(scope="module")
def tags(taxonomy: dict) -> list[dict]:
    return taxonomy["tag"]


@pytest.fixture(scope="module")
def compiled():
    return load_taxonomy(TAXONOMY_PATH)


def all_keywords(tags: list[dict]):
    for tag in tags:
        for language, keywords in tag["keywords"].items():
            for keyword in keywords:
                yield tag, language, keyword


# --- shape ----------------------------------------------------------------------


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
    counts = defaultdict(int)
    for tag in tags:
        counts[tag["id"]] += 1
    assert not [tag_id for tag_id, count in counts.items() if count > 1]


def test_country_ids_say_country_and_both_kinds_exist(tags):
    for tag in tags:
        assert tag["id"].startswith("country-") == (tag["kind"] == "country"), tag["id"]
    assert {tag["kind"] for tag in tags} == KINDS


# --- labels ---------------------------------------------------------------------


def test_labels_exist_for_english_and_every_keyword_language(tags):
    for tag in tags:
        labels = tag["label"]
        assert set(labels) <= KNOWN_LANGUAGES, f"{tag['id']}: {sorted(set(labels) - KNOWN_LANGUAGES)}"
        assert "en" in labels, tag["id"]
        missing = set(tag["keywords"]) - set(labels)
        assert not missing, f"{tag['id']}: no label for {sorted(missing)}"
        for language, label in labels.items():
            assert isinstance(label, str) and label and label == label.strip(), (tag["id"], language)


# --- keywords -------------------------------------------------------------------


def test_every_tag_has_keywords_in_the_required_languages(tags):
    for tag in tags:
        unknown = set(tag["keywords"]) - KNOWN_LANGUAGES
        assert not unknown, f"{tag['id']}: unknown language {sorted(unknown)}"
        for language in REQUIRED_LANGUAGES:
            assert tag["keywords"].get(language), f"{tag['id']}: no keywords for {language}"


def test_keywords_are_written_the_way_the_matcher_reads_them(tags):
    problems = []
    for tag, language, keyword in all_keywords(tags):
        where = f"{tag['id']} [{language}] {keyword!r}"
        if not isinstance(keyword, str) or not keyword.strip():
            problems.append(f"{where}: empty")
            continue
        if keyword != keyword.strip() or "  " in keyword or INVISIBLE.search(keyword):
            problems.append(f"{where}: stray or invisible whitespace")
        if keyword.startswith(ZWNJ) or keyword.endswith(ZWNJ) or f" {ZWNJ}" in keyword or f"{ZWNJ} " in keyword:
            problems.append(f"{where}: half-space (ZWNJ) next to a space or at an end")
        if "*" in keyword[:-1]:
            problems.append(f"{where}: * may only end the keyword")
        if keyword.endswith("*") and " " not in keyword and len(comparable(keyword)) < 3:
            problems.append(f"{where}: stem before * shorter than 3 letters")
        for word in keyword.split():
            if len(scripts_of(word)) > 1:
                problems.append(f"{where}: word mixes scripts {sorted(scripts_of(word))}")
        bare = keyword.rstrip("*")
        if len(bare) < 4 and bare[:1].lower() != bare[:1].upper() and not bare[0].isupper():
            problems.append(f"{where}: a keyword under 4 letters starts with a capital (acronym or checked name)")
    assert not problems, "\n".join(problems)


def test_no_duplicate_keywords_within_a_tag(tags):
    duplicates = []
    for tag in tags:
        for language, keywords in tag["keywords"].items():
            seen = set()
            for keyword in keywords:
                key = comparable(keyword) + ("*" if keyword.endswith("*") else "")
                if key in seen:
                    duplicates.append(f"{tag['id']} [{language}] {keyword!r}")
                seen.add(key)
    assert not duplicates, "\n".join(duplicates)


def test_no_keyword_under_two_tags_of_the_same_kind(tags):
    # Every language's keywords are tried on every text, so this holds across languages too.
    owners = defaultdict(set)
    for tag, _language, keyword in all_keywords(tags):
        owners[(tag["kind"], comparable(keyword))].add(tag["id"])
    shared = [
        f"{kind} {keyword!r}: {sorted(ids)}"
        for (kind, keyword), ids in sorted(owners.items())
        if len(ids) > 1 and ALLOWED_SHARED_KEYWORDS.get((kind, keyword)) != frozenset(ids)
    ]
    assert not shared, "\n".join(shared)


def test_every_keyword_tags_its_own_text(tags, compiled):
    broken = [
        f"{tag['id']} [{language}] {keyword!r}"
        for tag, language, keyword in all_keywords(tags)
        if tag["id"] not in tag_text("", keyword.rstrip("*"), compiled)
    ]
    assert not broken, "\n".join(broken)


# --- sample sentences through the project's tagger -------------------------------------
# The language is noted for the reader; the tagger tries every language's keywords.

SHOULD_TAG = [
    ("en", "She has been on hunger-strike for 144 days in Silivri.", {"hunger-strike", "country-tr"}),
    ("en", "Three hunger strikers were released from prison on Monday.", {"hunger-strike", "release"}),
    ("de", "Die Hungerstreikenden im Todesfasten brauchen Vitamin B1.", {"hunger-strike", "health"}),
    ("de", "Prozess nach §129b vor dem Oberlandesgericht Stuttgart", {"trial-sentence", "terror-lists", "country-de"}),
    ("fr", "Il est en grève de la faim depuis 40 jours à Lannemezan.", {"hunger-strike", "country-fr"}),
    ("es", "Fue excarcelado tras 20 años en régimen de aislamiento.", {"release", "isolation"}),
    ("es", "Seguimos en huelga de hambre frente al consulado.", {"hunger-strike", "solidarity-action"}),
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
    ("ru", "Политзаключённый освобождён и вышел на свободу", {"release"}),
    (
        "da",
        "Sultestrejken fortsætter foran ambassaden i København.",
        {"hunger-strike", "solidarity-action", "country-dk"},
    ),
    ("tl", "Pinalaya ang bilanggong pulitikal sa Pilipinas.", {"release", "country-ph"}),
    ("en", "Two peasant organisers released after four years in detention.", {"release"}),
    ("ku", "Ew sê sal in di hucreyeke yekkesî de tê girtin.", {"isolation"}),
]

SHOULD_NOT_TAG = [
    ("en", "Dock workers went on strike at the port.", "hunger-strike"),
    ("en", "The text was translated into German and Turkish.", "country-de"),
    ("en", "The text was translated into German and Turkish.", "country-tr"),
    ("en", "Greetings to comrades across Latin America.", "country-us"),
    ("en", "The Helsinki Committee published its report.", "country-fi"),
    ("en", "A concerted effort by vigilant families.", "event-call"),
    ("en", "A concerted effort by vigilant families.", "solidarity-action"),
    ("en", "We salute the Roma community and its doctoral students.", "health"),
    ("en", "We salute the Roma community and its doctoral students.", "country-it"),
    ("de", "Die Aktion war gegen die Abschiebung gerichtet.", "trial-sentence"),
    ("de", "Sie wurden aus dem Betrieb entlassen.", "release"),
    ("fr", "Nous appelons à condamner cette attaque.", "trial-sentence"),
    ("fr", "À court terme, le Rassemblement national progresse.", "trial-sentence"),
    ("fr", "À court terme, le Rassemblement national progresse.", "solidarity-action"),
    ("fr", "La prise de parole des familles.", "release"),
    ("es", "Seguiremos hasta el final.", "health"),
    ("es", "Esto puso de manifiesto la violación de derechos.", "statement"),
    ("es", "Esto puso de manifiesto la violación de derechos.", "class-race-gender"),
    ("es", "Trabajamos por la paz en todo el país.", "country-bo"),
    ("es", "El tribunal dictó sentencia ayer.", "tribunals"),
    ("es", "Es una fruta madura y un hombre maduro.", "country-ve"),
    ("it", "Liberate tutti e tutte!", "release"),
    ("pt", "O tribunal irá decidir amanhã.", "country-ir"),
    ("pt", "O tribunal irá decidir amanhã.", "tribunals"),
    ("tr", "Kürtaj hakkı için kadınlar sokakta.", "country-kurdistan"),
    ("tr", "Evin önünde bekledik.", "country-ir"),
    ("tr", "Cezaevinde tutulan tutsaklar", "trial-sentence"),
    ("tr", "Baskılar artıyor, baskınlar sürüyor.", "country-basque"),
    ("tr", "Tarlada mısır hasadı yapıldı.", "country-eg"),
    ("fa", "او این کار را کرد و به خانه آمد.", "country-kurdistan"),
    ("fa", "ما این اقدام سرکوبگرانه را محکوم می‌کنیم", "trial-sentence"),
    ("ar", "البيانات الرسمية تظهر ذلك", "statement"),
    ("ar", "فتح الباب أمام الحوار", "country-ps"),
    ("ar", "لولا التضامن لما نجحنا", "country-br"),
    ("ru", "Он пытался уйти, но это была попытка.", "prisoner-conditions"),
    ("ru", "Цены на газ выросли.", "country-ps"),
    ("ru", "Международная изоляция страны усилилась.", "isolation"),
    ("ru", "Мы осуждаем это решение.", "trial-sentence"),
    ("da", "Retten til asyl skal beskyttes, og der er rabat på billetter.", "trial-sentence"),
    ("da", "Retten til asyl skal beskyttes, og der er rabat på billetter.", "country-ma"),
    ("da", "En lille gruppe samledes inde i byen.", "country-fr"),
    ("da", "En lille gruppe samledes inde i byen.", "country-in"),
    ("en", "After months alone he could not finish a sentence.", "trial-sentence"),
    ("de", "Die Kundgebung gegen Antiziganismus: Solidarität mit Sinti und Roma.", "country-it"),
    ("fr", "Le texte est traduit en italien et en allemand.", "country-it"),
    ("it", "Grazie a tutti per la solidarietà.", "country-at"),
    ("tr", "Dersimizi bitirdik; onu kandırarak götürdüler.", "country-kurdistan"),
    ("tr", "Dersimizi bitirdik; onu kandırarak götürdüler.", "country-tr"),
    ("tr", "Mektuplar göndericisine iade ediliyor.", "expulsion-refugees"),
    ("ar", "العراقيل كثيرة في مشهد مؤلم", "country-iq"),
    ("ar", "العراقيل كثيرة في مشهد مؤلم", "country-ir"),
    ("tl", "Puting bahay sa ilalim ng puno.", "country-ru"),
    ("tl", "Puting bahay sa ilalim ng puno.", "country-pe"),
]


@pytest.mark.parametrize(("language", "text", "expected"), SHOULD_TAG)
def test_sample_sentences_get_their_tags(compiled, language, text, expected):
    assert expected <= set(tag_text("", text, compiled))


@pytest.mark.parametrize(("language", "text", "tag_id"), SHOULD_NOT_TAG)
def test_sample_sentences_avoid_false_tags(compiled, language, text, tag_id):
    assert tag_id not in tag_text("", text, compiled)
