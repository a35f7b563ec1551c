"""Signing ahead: a crawl's tagging child computes new items' signatures and names while it waits,
and placing reads them instead of computing them (the folding child is the crawl's slowest step).

Real SQLite databases, real texts of the labelled story set, and, for the child's loop, a real
multiprocessing queue.
"""

from __future__ import annotations

import multiprocessing
import queue
import threading

from aggregator.clustering import SigningAhead, _item_text, cluster_new_items
from aggregator.db import open_db, writing
from aggregator.dedupe import signature_of, to_bytes
from aggregator.entities import fingerprint
from aggregator.storage.items import save_item
from aggregator.storage.signatures import list_match_data, list_unsigned_new_items, save_new_match_data
from aggregator.storage.sources import add_source
from aggregator.text import content_hash
from benchmarks.story_sets import fold, labelled_set
from crawlers.folding import _next_chunk

TEXT = (
    "Nasrin Alavi, held in Evin prison, is on the 40th day of a hunger strike, her lawyer Reza Tabrizi said. "
    "The court refused an independent doctor for the third time. "
)


def _store(db, source: int, guid: str, text: str, language: str = "en") -> int:
    title = f"Hunger strike {guid}"
    return save_item(
        db,
        {
            "source_id": source,
            "guid": guid,
            "url": f"http://127.0.0.1/{guid}",
            "title": title,
            "text": text,
            "language": language,
            "content_hash": content_hash(title, text),
            "published_at": "2026-11-20T10:00:00+00:00",
        },
    )[1]


def list_stored_match_data(db, ids: list[int]) -> dict[int, dict]:
    """item id -> its stored signature and names (what signing ahead stores), by `list_match_data`."""
    fields = ("minhash", "shingles", "numbers", "rtl", "names")
    return {row["id"]: {key: row[key] for key in fields} for row in list_match_data(db, ids)}


def _names(mine) -> set[tuple[str, str]]:
    return {("name", n) for n in mine.names} | {("rtl" if mine.rtl else "latin", k) for k in mine.skeletons}


def test_items_signed_ahead_fold_into_the_same_stories(tmp_path):
    items = labelled_set()
    assert fold(items, tmp_path, sign_first=True) == fold(items, tmp_path)


def test_what_is_signed_ahead_is_what_placing_computes(tmp_path):
    db = open_db(tmp_path / "wire.db")
    source = add_source(db, "http://127.0.0.1/feed", "partner", "feed")
    texts = {
        _store(db, source, f"g{n}", f"{TEXT} Statement {n}.", language): language
        for n, language in enumerate(("en", "fa", "de"))
    }
    texts[_store(db, source, "fa2", "نسرین علوی در زندان اوین در روز چهلم اعتصاب غذا است.", "fa")] = "fa"
    signer = SigningAhead(db)
    assert signer.page(2) == 2  # newest first, a page at a time
    assert set(list_stored_match_data(db, list(texts))) == set(list(texts)[2:])
    assert signer.page(10) == 2
    assert signer.page(10) == 0
    later = _store(db, source, "g9", f"{TEXT} A later statement.")
    assert signer.page(10) == 1  # a new sweep: only what came since
    assert signer.page(10) == 0
    texts[later] = "en"
    stored = list_stored_match_data(db, list(texts))
    for row in db.query("SELECT id, title, text, language FROM items"):
        text = _item_text(row)
        values, size = signature_of(text)
        assert stored[row["id"]]["minhash"] == to_bytes(values)
        assert stored[row["id"]]["shingles"] == size
        mine = fingerprint(text, row["language"])
        assert set(stored[row["id"]]["names"]) == _names(mine)
        assert set(stored[row["id"]]["numbers"]) == set(mine.numbers)
        assert bool(stored[row["id"]]["rtl"]) == mine.rtl
    report = cluster_new_items(db)
    assert report.items == 5
    assert list_stored_match_data(db, list(texts)) == stored  # placing kept them as they were


def test_a_signature_of_a_text_revised_meanwhile_is_not_saved(tmp_path):
    db = open_db(tmp_path / "wire.db")
    source = add_source(db, "http://127.0.0.1/feed", "partner", "feed")
    item_id = _store(db, source, "g1", TEXT)
    (read,) = list_unsigned_new_items(db, 0, item_id + 1, 10)
    revised = TEXT + " Update: she was taken to the prison clinic on Monday and her family was not told."
    assert _store(db, source, "g1", revised) == item_id  # the partner corrected the article meanwhile
    values, size = signature_of(_item_text(read))
    mine = fingerprint(_item_text(read), "en")
    row = {
        "item_id": item_id,
        "minhash": to_bytes(values),
        "shingles": size,
        "numbers": mine.numbers,
        "rtl": mine.rtl,
        "names": sorted(_names(mine)),
        "content_hash": read["content_hash"],
        "language": "en",
    }
    with writing(db):
        assert save_new_match_data(db, [row]) == 0
    assert list_stored_match_data(db, [item_id]) == {}
    cluster_new_items(db)
    (stored,) = list_stored_match_data(db, [item_id]).values()
    now = db.execute("SELECT title, text FROM items WHERE id = ?", [item_id]).fetchone()
    assert stored["minhash"] == to_bytes(signature_of(f"{now[0]}\n{now[1]}")[0]) != row["minhash"]


def test_the_tagging_child_signs_while_no_chunk_waits_and_then_takes_the_next(tmp_path):
    db = open_db(tmp_path / "wire.db")
    source = add_source(db, "http://127.0.0.1/feed", "partner", "feed")
    ids = [_store(db, source, f"g{n}", f"{TEXT} Statement {n}.") for n in range(120)]
    to_index = multiprocessing.get_context("fork").Queue()
    watcher = open_db(tmp_path / "wire.db", migrate=False)

    def hand_over_once_all_are_signed() -> None:
        while len(list_stored_match_data(watcher, ids)) < len(ids):
            threading.Event().wait(0.05)
        to_index.put([ids[0]])

    helper = threading.Thread(target=hand_over_once_all_are_signed)
    helper.start()
    signer = SigningAhead(db)
    assert _next_chunk(to_index, signer) == [ids[0]]
    helper.join()
    assert not signer.stopped
    assert len(list_stored_match_data(db, ids)) == 120
    to_index.put(None)
    assert _next_chunk(to_index, signer) is None


def test_signing_that_fails_stops_and_the_chunks_still_come(tmp_path):
    db = open_db(tmp_path / "wire.db")
    source = add_source(db, "http://127.0.0.1/feed", "partner", "feed")
    item_id = _store(db, source, "g1", TEXT)
    db.execute("DROP TABLE item_names")  # a broken database: signing ahead cannot store names
    # a queue of this process: what is put is there at once (a multiprocessing queue's feeder
    # thread may deliver it later), so the order below is the function's, not the feeder's
    to_index: queue.Queue = queue.Queue()
    signer = SigningAhead(db)
    to_index.put([item_id])
    assert _next_chunk(to_index, signer) == [item_id]  # a waiting chunk comes before signing
    assert not signer.stopped
    helper = threading.Timer(0.5, to_index.put, [[item_id]])
    helper.start()
    assert _next_chunk(to_index, signer) == [item_id]  # none waited: it signed, failed, then waited
    helper.join()
    assert signer.stopped
    assert not db.conn.in_transaction
    # the failed page left nothing half written (its names table is the one missing)
    assert db.execute("SELECT count(*) FROM item_signatures WHERE item_id = ?", [item_id]).fetchone()[0] == 0
    to_index.put(None)
    assert _next_chunk(to_index, signer) is None


def test_what_is_signed_while_waiting_is_held_until_a_write_saves_it(tmp_path, monkeypatch):
    import aggregator.clustering as clustering

    monkeypatch.setattr(clustering, "MAX_SIGNED", 3)  # what memory may hold before a write saves it
    db = open_db(tmp_path / "wire.db")
    source = add_source(db, "http://127.0.0.1/feed", "partner", "feed")
    ids = [_store(db, source, f"g{n}", f"{TEXT} Statement {n}.") for n in range(5)]
    signer = SigningAhead(db)
    while signer.sign_some():  # waiting for the write turn: it only reads
        assert not db.conn.in_transaction
    assert len(signer.signed) == 3
    assert list_stored_match_data(db, ids) == {}
    with writing(db):  # the tagging child's next write
        signer.save()
    stored = list_stored_match_data(db, ids)
    assert sorted(stored) == ids[2:]  # the newest first
    for item_id in ids[2:]:
        row = db.execute("SELECT title, text FROM items WHERE id = ?", [item_id]).fetchone()
        assert stored[item_id]["minhash"] == to_bytes(signature_of(f"{row[0]}\n{row[1]}")[0])
    assert signer.signed == [] and signer.sign_some()  # room again: the sweep goes on
    assert len(signer.signed) == 2 and not signer.sign_some()  # the two left; none waits now
    assert signer.page(10) == 0  # nothing more to sign: the page saves what was held
    assert sorted(list_stored_match_data(db, ids)) == ids
    assert cluster_new_items(db).items == 5


def test_the_next_chunk_is_completed_while_waiting_and_takes_what_was_signed_ahead_meanwhile(tmp_path, monkeypatch):
    import aggregator.clustering as clustering

    monkeypatch.setattr(clustering, "STEP_SECONDS", 0.0)  # one item a step
    db = open_db(tmp_path / "wire.db")
    source = add_source(db, "http://127.0.0.1/feed", "partner", "feed")
    ids = [_store(db, source, f"g{n}", f"{TEXT} Statement {n}.", ("en", "de", "fa")[n % 3]) for n in range(6)]
    pending = clustering._prepare(db)
    completing = clustering._Completing(db, pending)
    assert completing.step()  # the first step reads what is stored and the texts
    assert completing.step() and completing.step()  # two items computed, one a step
    assert SigningAhead(db).page(2) == 2  # meanwhile the tagging child signs the newest two
    completing.finish()
    assert [p.signed for p in pending] == [False, False, False, False, True, True]
    again = clustering._prepare(db)  # completed in one go
    clustering._Completing(db, again).finish()
    for done, fresh in zip(pending, again, strict=True):
        assert (done.blob, done.size, done.print_) == (fresh.blob, fresh.size, fresh.print_)
    assert sorted(p.item["id"] for p in pending) == ids


def test_tagging_saves_what_was_signed_while_it_waited_in_its_own_write(tmp_path):
    from aggregator.indexing import index_items

    db = open_db(tmp_path / "wire.db")
    source = add_source(db, "http://127.0.0.1/feed", "partner", "feed")
    ids = [_store(db, source, f"g{n}", f"{TEXT} Statement {n}.") for n in range(4)]
    signer = SigningAhead(db)
    assert signer.sign_some()  # as while waiting for the write turn of the chunk below
    held = [row["item_id"] for row in signer.signed]
    assert held and list_stored_match_data(db, ids) == {}
    report = index_items(db, ids[:1], while_waiting=signer.sign_some, with_writes=signer.save)
    assert report.items == 1 and db.execute("SELECT tagged FROM items WHERE id = ?", [ids[0]]).fetchone() == (1,)
    assert sorted(list_stored_match_data(db, ids)) == sorted(held)  # saved with the chunk's tags
    assert signer.signed == []


def test_tagging_goes_on_when_saving_what_was_signed_fails(tmp_path):
    from aggregator.indexing import index_items

    db = open_db(tmp_path / "wire.db")
    source = add_source(db, "http://127.0.0.1/feed", "partner", "feed")
    ids = [_store(db, source, f"g{n}", f"{TEXT} Statement {n}.") for n in range(3)]
    signer = SigningAhead(db)
    assert signer.sign_some() and signer.signed
    db.execute("DROP TABLE item_names")  # a broken database: the names of what was signed cannot be stored
    report = index_items(db, ids, while_waiting=signer.sign_some, with_writes=signer.save)
    assert report.items == 3  # the chunk is tagged all the same
    assert [row[0] for row in db.execute("SELECT tagged FROM items ORDER BY id")] == [1, 1, 1]
    assert signer.stopped and not signer.sign_some()
    # no signature was left without its names: the folding child signs these items itself
    assert db.execute("SELECT count(*) FROM item_signatures").fetchone() == (0,)
