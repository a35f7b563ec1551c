"""The desk's library with real SQLite: the inbox (filters, search, no query per story), triage of
stories into the week's draft, headline, translation and tag edits, and undo from the audit log."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from aggregator.curation import (
    edit_story,
    fix_tags,
    merge_stories,
    move_item,
    split_item,
    translate_story,
    undo_last_change,
)
from aggregator.exceptions import ConflictError, InvalidInput, NotFound
from aggregator.inbox import InboxFilters, load_inbox
from aggregator.storage.desk import list_audit
from aggregator.storage.editions import find_edition, get_edition, set_edition_status
from aggregator.storage.items import get_item, save_item
from aggregator.storage.partners import ensure_partner
from aggregator.storage.sources import add_source
from aggregator.storage.stories import attach_item, create_story, get_story
from aggregator.storage.tags import replace_tag_evidence
from aggregator.text import content_hash
from newsletter.editions import draft_edition, load_edition
from newsletter.triage import triage_stories, triage_story
from newsletter.weeks import week_bounds

WEEK = "2026-W47"
ZONE = ZoneInfo("Europe/Berlin")
START, END = week_bounds(WEEK, ZONE)
EDITOR, OTHER = "ayse@example.org", "jon@example.org"


class Newsroom:
    """Partners, sources and stories stored through the library, as a crawl would leave them."""

    def __init__(self, db):
        self.db, self.sources, self.count = db, {}, 0

    def source(self, partner: str, language: str) -> int:
        if partner not in self.sources:
            partner_id = ensure_partner(self.db, partner)
            self.sources[partner] = add_source(
                self.db, f"http://127.0.0.1:9/{len(self.sources)}/feed/", partner, "feed", partner_id, language
            )
        return self.sources[partner]

    def item(self, partner, language, title, text, when, tags=None, story=None):
        self.count += 1
        url = f"http://127.0.0.1:9/article/{self.count}"
        _, item_id = save_item(
            self.db,
            {
                "source_id": self.source(partner, language),
                "guid": url,
                "url": url,
                "canonical_url": url,
                "title": title,
                "text": text,
                "summary": text[:80],
                "language": language,
                "published_at": when.isoformat(),
                "content_hash": content_hash(title, text),
            },
        )
        replace_tag_evidence(self.db, [(item_id, tags or {})])
        if story is None:
            return create_story(self.db, get_item(self.db, item_id)), item_id
        attach_item(self.db, item_id, story)
        return story, item_id


@pytest.fixture
def room(db):
    return Newsroom(db)


@pytest.fixture
def week(room):
    """This week: a Turkish hunger strike told by two partners, a Turkish trial, a German hunger strike;
    and last week a Turkish hunger strike (found by search only)."""
    day = START + timedelta(days=2)
    strike, first = room.item(
        "Özgürlük Komitesi",
        "tr",
        "Açlık grevinde 120. gün",
        "Cezaevinde açlık grevi 120. gününde.",
        day,
        {"hunger-strike": ["açlık grevi"], "country-tr": ["Cezaevinde"]},
    )
    _, second = room.item(
        "Red Aid Basel",
        "de",
        "Hungerstreik: Tag 120",
        "Der Hungerstreik dauert seit 120 Tagen.",
        day + timedelta(hours=3),
        {"hunger-strike": ["Hungerstreik"], "country-tr": ["Türkei"]},
        story=strike,
    )
    trial, _ = room.item(
        "Hukuk Ağı",
        "tr",
        "Duruşma ertelendi",
        "Gazetecilerin duruşması ertelendi.",
        day + timedelta(days=1),
        {"trial-sentence": ["duruşma"], "country-tr": ["İstanbul"]},
    )
    german, _ = room.item(
        "Red Aid Basel",
        "de",
        "Hungerstreik in Stammheim",
        "Ein Hungerstreik in Stammheim.",
        day + timedelta(days=2),
        {"hunger-strike": ["Hungerstreik"], "country-de": ["Stammheim"]},
    )
    old, _ = room.item(
        "Özgürlük Komitesi",
        "tr",
        "Hunger-strike begins",
        "A hunger-strike began in the prison.",
        START - timedelta(days=3),
        {"hunger-strike": ["hunger-strike"]},
    )
    return {"strike": strike, "trial": trial, "german": german, "old": old, "first": first, "second": second}


def inbox(db, edition_id=None, **filters):
    return load_inbox(db, InboxFilters(**filters), START, END, edition_id)


def ids(page):
    return [story.id for story in page.stories]


def test_filters_combine(db, room, week):
    partners = {row["name"]: row["id"] for row in db.query("SELECT id, name FROM partners")}
    assert set(ids(inbox(db))) == {week["strike"], week["trial"], week["german"]}  # last week's is not in the week
    assert set(ids(inbox(db, language="tr"))) == {week["strike"], week["trial"]}
    assert ids(inbox(db, language="tr", theme="hunger-strike")) == [week["strike"]]
    assert ids(inbox(db, language="tr", theme="hunger-strike", partner_id=partners["Hukuk Ağı"])) == []
    assert ids(inbox(db, language="de", country="country-tr")) == [week["strike"]]  # the German report of it
    assert set(ids(inbox(db, country="country-tr"))) == {week["strike"], week["trial"]}
    assert ids(inbox(db, theme="hunger-strike", partner_id=partners["Red Aid Basel"], country="country-de")) == [
        week["german"]
    ]


def test_a_story_shows_its_items_partners_and_why_it_is_tagged(db, week):
    story = next(s for s in inbox(db).stories if s.id == week["strike"])
    assert story.items[0] is story.face  # the face first, then the other reports
    assert {item.partner for item in story.items} == {"Özgürlük Komitesi", "Red Aid Basel"}
    assert story.also_reported_by == sorted({"Özgürlük Komitesi", "Red Aid Basel"} - {story.face.partner})
    german = next(item for item in story.items if item.language == "de")
    assert german.evidence == {"hunger-strike": ["Hungerstreik"], "country-tr": ["Türkei"]}
    turkish = next(item for item in story.items if item.language == "tr")
    assert turkish.partner == "Özgürlük Komitesi" and turkish.published.startswith("2026-11-17T23:00")
    assert story.tags == ["country-tr", "hunger-strike"]
    assert story.evidence == {  # gathered across the reports in their order, each word once
        "country-tr": ["Cezaevinde", "Türkei"],
        "hunger-strike": ["açlık grevi", "Hungerstreik"],
    }
    assert story.status == "new"


@pytest.mark.parametrize("typed", ["hunger-strike", '"x', "AND", "OR NOT", "NEAR(", "*", '"', "hunger AND", "-"])
def test_search_accepts_what_people_type(db, week, typed):
    page = inbox(db, search=typed)
    assert page.searched or typed.strip('*"-') == ""
    if typed == "hunger-strike":
        assert ids(page) == [week["old"]]  # across all weeks, not only this one


def test_search_combines_with_filters(db, week):
    assert set(ids(inbox(db, search="120"))) == {week["strike"]}
    assert ids(inbox(db, search="Hungerstreik", language="tr")) == [week["strike"]]
    assert ids(inbox(db, search="Hungerstreik", partner_id=999)) == []


def test_bad_filters_are_refused_with_their_value(db, week):
    with pytest.raises(InvalidInput, match="status: .*'maybe'"):
        inbox(db, status="maybe")
    with pytest.raises(InvalidInput, match="language"):
        inbox(db, language="<script>")


def test_the_inbox_reads_a_page_in_a_fixed_number_of_queries(db, room, week):
    """No query per story: a page of 40 stories costs what a page of 4 does."""

    def count_queries():
        statements = []
        db.conn.set_trace_callback(statements.append)
        try:
            page = inbox(db, edition_id=1)
        finally:
            db.conn.set_trace_callback(None)
        return len(page.stories), len([sql for sql in statements if sql.lstrip().upper().startswith("SELECT")])

    few = count_queries()
    day = START + timedelta(days=3)
    for number in range(36):
        story, _ = room.item("Hukuk Ağı", "tr", f"Haber {number}", f"Metin {number} burada.", day, {"arrest": ["x"]})
        room.item("Red Aid Basel", "de", f"Nachricht {number}", f"Text {number} hier.", day, story=story)
    many = count_queries()
    assert many[0] == few[0] + 36
    assert many[1] == few[1] <= 6, (few, many)


def test_paging(db, room, week):
    day = START + timedelta(days=4)
    for number in range(5):
        room.item("Hukuk Ağı", "tr", f"Haber {number}", f"Metin {number}.", day + timedelta(minutes=number))
    first = load_inbox(db, InboxFilters(), START, END, None, per_page=5)
    second = load_inbox(db, InboxFilters(page=2), START, END, None, per_page=5)
    assert first.has_next and not second.has_next
    assert len(first.stories) == 5 and len(second.stories) == 3
    assert not set(ids(first)) & set(ids(second))


def test_select_reject_and_pin_move_stories_in_and_out_of_the_draft(db, config, week):
    assert triage_stories(db, [week["strike"], week["trial"], week["german"]], "select", WEEK, EDITOR) == 3
    edition = find_edition(db, WEEK)
    assert [e["story_id"] for e in edition["entries"]] == [week["strike"], week["trial"], week["german"]]
    assert edition["entries"][0]["section"] == "hunger-strike"
    assert not triage_story(db, week["strike"], "select", WEEK, EDITOR)  # already selected: nothing changes
    triage_story(db, week["german"], "pin", WEEK, EDITOR)
    triage_story(db, week["trial"], "reject", WEEK, OTHER)
    edition = get_edition(db, edition["id"])
    assert [(e["story_id"], e["position"], e["pinned"]) for e in edition["entries"]] == [
        (week["strike"], 1, 0),
        (week["german"], 2, 1),
    ]
    statuses = {s.id: s.status for s in inbox(db, edition["id"], status="all").stories}
    assert statuses == {week["strike"]: "selected", week["german"]: "pinned", week["trial"]: "rejected"}
    assert week["trial"] not in ids(inbox(db, edition["id"]))  # rejected: hidden by default
    assert ids(inbox(db, edition["id"], status="rejected")) == [week["trial"]]
    assert ids(inbox(db, edition["id"], status="pinned")) == [week["german"]]
    assert ids(inbox(db, edition["id"], status="new")) == []
    # drafting the week again never brings a rejected story back
    draft_edition(db, config, week=WEEK, now=END - timedelta(hours=1))
    assert week["trial"] not in {e["story_id"] for e in get_edition(db, edition["id"])["entries"]}
    # selecting it again takes the rejection back
    triage_story(db, week["trial"], "select", WEEK, EDITOR)
    assert week["trial"] in ids(inbox(db, edition["id"], status="selected"))


def test_a_sent_edition_cannot_be_changed_from_the_inbox(db, week):
    triage_story(db, week["strike"], "select", WEEK, EDITOR)
    set_edition_status(db, find_edition(db, WEEK)["id"], "sent")
    with pytest.raises(ConflictError, match="sent"):
        triage_story(db, week["trial"], "select", WEEK, EDITOR)
    with pytest.raises(ConflictError, match="sent"):
        triage_story(db, week["strike"], "reject", WEEK, EDITOR)
    with pytest.raises(InvalidInput, match="unknown action"):
        triage_story(db, week["strike"], "delete", WEEK, EDITOR)


def test_an_audit_entry_names_the_editor_and_undo_restores_the_headline(db, week):
    story = week["strike"]
    edit_story(db, story, EDITOR, "  120 days  of hunger strike ", "Two partners report it.")
    edit_story(db, story, OTHER, "Day 120 of the hunger strike", "Two partners report it.")
    entries = list_audit(db, story_id=story)
    assert [(e["actor"], e["action"]) for e in entries[:2]] == [(OTHER, "headline edited"), (EDITOR, "headline edited")]
    assert datetime.fromisoformat(entries[0]["at"]) > datetime.now(UTC) - timedelta(minutes=1)
    assert next(s for s in inbox(db).stories if s.id == story).headline == "Day 120 of the hunger strike"
    undone = undo_last_change(db, story, EDITOR)
    assert undone["actor"] == OTHER
    assert get_story(db, story)["headline"] == "120 days of hunger strike"  # the previous one, spaces tidied
    assert list_audit(db, story_id=story)[0]["action"] == "undo: headline edited"
    assert list_audit(db, story_id=story)[0]["actor"] == EDITOR
    undo_last_change(db, story, EDITOR)
    assert get_story(db, story)["headline"] is None  # back to the face's own title
    with pytest.raises(NotFound, match="no change left"):
        undo_last_change(db, story, EDITOR)


def test_the_edition_uses_the_editors_headline_and_summary(db, week):
    triage_story(db, week["strike"], "select", WEEK, EDITOR)
    edit_story(db, week["strike"], EDITOR, "Day 120", "Two partners report it.")
    translate_story(db, week["strike"], "fa", "روز ۱۲۰ اعتصاب غذا", None, EDITOR)
    entry = load_edition(db, find_edition(db, WEEK)["id"]).entries[0]
    assert (entry.headline, entry.summary) == ("Day 120", "Two partners report it.")
    assert entry.headline_in("fa") == ("روز ۱۲۰ اعتصاب غذا", "fa")


def test_undo_restores_a_split(db, week):
    story, second = week["strike"], week["second"]
    new_story = split_item(db, second, EDITOR)
    assert new_story != story and get_item(db, second)["story_id"] == new_story
    entry = list_audit(db, story_id=story)[0]
    assert (entry["actor"], entry["action"], entry["entity_id"]) == (EDITOR, "story split", second)
    undo_last_change(db, story, OTHER)
    assert get_item(db, second)["story_id"] == story
    assert get_story(db, story)["item_count"] == 2
    assert db.execute("SELECT count(*) FROM stories WHERE id = ?", [new_story]).fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM story_pins").fetchone()[0] == 0  # the pins as they were: none
    with pytest.raises(InvalidInput, match="only item"):
        split_item(db, get_story(db, week["trial"])["items"][0]["id"], EDITOR)  # a story of one item


def test_undo_restores_a_merge_and_a_move(db, week):
    survivor = merge_stories(db, week["strike"], week["german"], EDITOR)
    assert get_story(db, survivor)["item_count"] == 3
    undo_last_change(db, survivor, EDITOR)
    assert get_story(db, week["strike"])["item_count"] == 2
    german_item = next(r["id"] for r in db.query("SELECT id FROM items WHERE title = 'Hungerstreik in Stammheim'"))
    assert get_item(db, german_item)["story_id"] != week["strike"]
    move_item(db, week["second"], week["trial"], EDITOR)
    assert get_item(db, week["second"])["story_id"] == week["trial"]
    undo_last_change(db, week["strike"], EDITOR)
    assert get_item(db, week["second"])["story_id"] == week["strike"]


def test_translations_and_their_undo(db, week):
    story = week["trial"]
    translate_story(db, story, "fa", "دادگاه به تعویق افتاد", "جلسه دادگاه روزنامه‌نگاران", EDITOR)
    translate_story(db, story, "fa", "جلسه دادگاه به تعویق افتاد", None, OTHER)
    assert get_story(db, story)["translations"]["fa"]["headline"] == "جلسه دادگاه به تعویق افتاد"
    undo_last_change(db, story, EDITOR)
    assert get_story(db, story)["translations"]["fa"]["summary"] == "جلسه دادگاه روزنامه‌نگاران"
    undo_last_change(db, story, EDITOR)
    assert "fa" not in get_story(db, story)["translations"]
    with pytest.raises(InvalidInput, match="needs a headline"):
        translate_story(db, story, "fa", " ", "only a summary", EDITOR)
    with pytest.raises(InvalidInput, match="at most 300"):
        translate_story(db, story, "fa", "x" * 301, None, EDITOR)


def test_fixing_tags_and_undoing_it(db, week):
    story = week["trial"]
    known = {"trial-sentence", "country-tr", "isolation", "arrest"}
    fix_tags(db, story, EDITOR, add=["isolation"], remove=["country-tr"], known=known)
    assert inbox(db, theme="isolation").stories[0].id == story
    assert story not in ids(inbox(db, country="country-tr"))
    item = get_story(db, story)["items"][0]
    assert json.loads(item["tags"]) == ["isolation", "trial-sentence"]
    assert next(s for s in inbox(db).stories if s.id == story).face.evidence["isolation"] == [f"(added by {EDITOR})"]
    with pytest.raises(InvalidInput, match="unknown tag 'nonsense'"):
        fix_tags(db, story, EDITOR, add=["nonsense"], known=known)
    undo_last_change(db, story, OTHER)
    assert json.loads(get_story(db, story)["items"][0]["tags"]) == ["country-tr", "trial-sentence"]
    assert story in ids(inbox(db, country="country-tr"))


def test_undo_of_a_rejection_puts_the_entry_back_where_it_was(db, week):
    triage_stories(db, [week["strike"], week["trial"], week["german"]], "select", WEEK, EDITOR)
    triage_story(db, week["trial"], "reject", WEEK, EDITOR)
    undo_last_change(db, week["trial"], OTHER)
    entries = find_edition(db, WEEK)["entries"]
    assert [e["story_id"] for e in entries] == [week["strike"], week["trial"], week["german"]]
    assert get_story(db, week["trial"])["rejected_at"] is None
    undo_last_change(db, week["trial"], OTHER)  # the selection itself
    assert week["trial"] not in [e["story_id"] for e in find_edition(db, WEEK)["entries"]]


@pytest.mark.parametrize("search, index", [(None, "stories_moment"), ('"hunger"', "items_fts")])
def test_inbox_queries_use_indexes(db, search, index):
    """The week's stories come through the moment index, a search through the full-text index: never a scan."""
    from aggregator.storage.desk import InboxQuery, inbox_sql

    sql, params = inbox_sql(
        InboxQuery(since=START, until=END, edition_id=1, language="tr", tags=("country-tr",), search=search)
    )
    plan = " ".join(row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {sql}", params).fetchall())
    assert index in plan, plan
    assert "sqlite_autoindex_tag_evidence_1" in plan, plan  # a story's items' tags by key, not all of a tag's
    assert "SCAN s " not in plan + " " and "SCAN items " not in plan + " ", plan


def test_a_change_to_a_story_merged_away_cannot_be_undone_silently(db, week):
    edit_story(db, week["german"], EDITOR, "Stammheim: Tag 3", None)
    survivor = merge_stories(db, week["strike"], week["german"], EDITOR)
    assert survivor == week["strike"]
    with pytest.raises(ConflictError, match="no longer exists"):
        undo_last_change(db, week["german"], EDITOR)
