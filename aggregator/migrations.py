"""The schema, as an append-only list of migrations: never edit one that has shipped, add another.

Tables and columns are named for people (`sources.last_error`, `subscribers.language`)
so that `datasette data/wire.db` reads well as it stands. Times are ISO 8601 UTC text.
The schema version is the number of applied migrations (sqlite-utils' `Migrations`).
"""

from __future__ import annotations

import sqlite_utils
from sqlite_utils.migrations import Migrations

migrations = Migrations("solidarity-wire")


def _run(db: sqlite_utils.Database, script: str) -> None:
    """Execute statements one by one: `executescript` would COMMIT the migration's transaction."""
    for statement in script.split(";\n"):
        if statement.strip():
            db.execute(statement)


@migrations()
def m001_initial_schema(db: sqlite_utils.Database) -> None:
    _run(
        db,
        """
        CREATE TABLE partners (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            website TEXT,
            contact_email TEXT,
            language TEXT,
            priority INTEGER NOT NULL DEFAULT 0,      -- higher wins as a story's face
            created_at TEXT NOT NULL
        );
        CREATE TABLE sources (
            id INTEGER PRIMARY KEY,
            partner_id INTEGER REFERENCES partners(id) ON DELETE SET NULL,
            name TEXT NOT NULL,
            url TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL CHECK (kind IN ('feed', 'site')),
            feed_format TEXT,                          -- rss20, atom10, rss10, json11... as feedparser says
            language TEXT,                             -- declared by the partner, checked against text
            status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused', 'gone')),
            recipe TEXT,                               -- JSON: list pages and selectors for sites
            etag TEXT,
            last_modified TEXT,
            interval_seconds INTEGER NOT NULL DEFAULT 3600,
            next_fetch_at TEXT,
            last_fetch_at TEXT,
            last_success_at TEXT,
            last_status INTEGER,
            consecutive_failures INTEGER NOT NULL DEFAULT 0,
            failing_since TEXT,
            last_error TEXT,
            last_error_hint TEXT,
            not_modified_count INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL
        );
        CREATE TABLE stories (
            id INTEGER PRIMARY KEY,
            title TEXT NOT NULL,
            language TEXT,
            representative_item_id INTEGER,           -- the story's face; set after its items exist
            item_count INTEGER NOT NULL DEFAULT 0,
            first_published_at TEXT,
            last_published_at TEXT,
            created_at TEXT NOT NULL
        );
        CREATE TABLE items (
            id INTEGER PRIMARY KEY,
            source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
            story_id INTEGER REFERENCES stories(id) ON DELETE SET NULL,
            guid TEXT,
            url TEXT NOT NULL,
            canonical_url TEXT NOT NULL,
            title TEXT NOT NULL,
            author TEXT,
            summary TEXT,
            content_html TEXT,                         -- sanitised: safe tags only
            text TEXT,                                 -- plain text, paragraphs split by blank lines
            language TEXT,                             -- ISO 639-1
            language_source TEXT,                      -- 'declared', 'detected' or 'declared+checked'
            image_url TEXT,
            published_at TEXT,                         -- NULL when the partner gave no usable date
            published_note TEXT,                       -- why the date is missing or was corrected
            fetched_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            content_hash TEXT NOT NULL,                -- of normalised text: exact duplicates share it
            tags TEXT NOT NULL DEFAULT '[]'            -- JSON list of tag ids
        );
        CREATE UNIQUE INDEX items_canonical_url ON items(canonical_url);
        CREATE UNIQUE INDEX items_source_guid ON items(source_id, guid) WHERE guid IS NOT NULL;
        CREATE INDEX items_story ON items(story_id);
        CREATE INDEX items_published ON items(published_at);
        CREATE INDEX items_content_hash ON items(content_hash);
        CREATE TABLE item_revisions (
            id INTEGER PRIMARY KEY,
            item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
            title TEXT,
            text TEXT,
            replaced_at TEXT NOT NULL                  -- when this older version was replaced
        );
        CREATE TABLE translations (
            id INTEGER PRIMARY KEY,
            story_id INTEGER NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
            language TEXT NOT NULL,
            headline TEXT NOT NULL,
            summary TEXT,
            editor_id INTEGER REFERENCES editors(id) ON DELETE SET NULL,
            updated_at TEXT NOT NULL,
            UNIQUE (story_id, language)
        );
        CREATE TABLE editors (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            email TEXT NOT NULL UNIQUE,
            languages TEXT NOT NULL DEFAULT '[]',
            created_at TEXT NOT NULL
        );
        CREATE TABLE editions (
            id INTEGER PRIMARY KEY,
            week TEXT NOT NULL UNIQUE,                 -- ISO week, '2026-W48'
            status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'approved', 'sending', 'sent')),
            sections_by TEXT NOT NULL DEFAULT 'theme' CHECK (sections_by IN ('theme', 'region')),
            scheduled_at TEXT,
            sent_at TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE edition_entries (
            id INTEGER PRIMARY KEY,
            edition_id INTEGER NOT NULL REFERENCES editions(id) ON DELETE CASCADE,
            story_id INTEGER NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
            section TEXT NOT NULL,
            position INTEGER NOT NULL,
            pinned INTEGER NOT NULL DEFAULT 0,
            UNIQUE (edition_id, story_id)
        );
        CREATE TABLE edition_intros (
            edition_id INTEGER NOT NULL REFERENCES editions(id) ON DELETE CASCADE,
            language TEXT NOT NULL,
            text TEXT NOT NULL,
            PRIMARY KEY (edition_id, language)
        );
        CREATE TABLE subscribers (
            id INTEGER PRIMARY KEY,
            email TEXT NOT NULL UNIQUE COLLATE NOCASE,
            language TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('pending', 'active', 'unsubscribed')),
            token TEXT NOT NULL UNIQUE,                -- secret in links: preferences, unsubscribe
            created_at TEXT NOT NULL,
            confirmed_at TEXT,
            unsubscribed_at TEXT
        );
        CREATE TABLE deliveries (
            id INTEGER PRIMARY KEY,
            edition_id INTEGER NOT NULL REFERENCES editions(id) ON DELETE CASCADE,
            subscriber_id INTEGER REFERENCES subscribers(id) ON DELETE SET NULL,
            language TEXT NOT NULL,
            message_id TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('sent', 'failed')),
            error TEXT,
            attempted_at TEXT NOT NULL,
            UNIQUE (edition_id, subscriber_id)
        );
        CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,                       -- 'cli', 'crawler', an editor's e-mail
            action TEXT NOT NULL,
            entity TEXT NOT NULL,
            entity_id INTEGER,
            detail TEXT
        );
        """,
    )
    db.table("items").enable_fts(["title", "summary", "text"], create_triggers=True, tokenize="unicode61")


@migrations()
def m002_item_signatures(db: sqlite_utils.Database) -> None:
    _run(
        db,
        """
        CREATE TABLE item_signatures (
            item_id INTEGER PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE,
            minhash BLOB NOT NULL,                     -- 128 uint64 MinHash values of word 3-shingles
            shingles INTEGER NOT NULL                  -- how many distinct shingles the text has
        )
        """,
    )


@migrations()
def m003_editor_pins_and_people(db: sqlite_utils.Database) -> None:
    _run(
        db,
        """
        CREATE TABLE story_pins (
            item_id INTEGER PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE,
            pin TEXT NOT NULL,                         -- items with one pin always share a story, no other
            editor TEXT NOT NULL,
            decided_at TEXT NOT NULL
        );
        CREATE INDEX story_pins_pin ON story_pins(pin);
        CREATE TABLE people (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,                        -- as first written
            key TEXT NOT NULL UNIQUE                   -- folded spelling that joins spellings across languages
        );
        CREATE TABLE people_mentions (
            person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
            item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
            role TEXT,                                 -- the word that made them a prisoner, striker, defendant
            PRIMARY KEY (person_id, item_id)
        );
        CREATE TABLE tag_evidence (
            item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
            tag TEXT NOT NULL,
            words TEXT NOT NULL,                       -- JSON list of the words that matched
            PRIMARY KEY (item_id, tag)
        )
        """,
    )


@migrations()
def m004_lsh_bands_and_names(db: sqlite_utils.Database) -> None:
    _run(
        db,
        """
        CREATE TABLE item_bands (
            key INTEGER NOT NULL,                      -- hash of one LSH band of the item's MinHash
            item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE
        );
        CREATE INDEX item_bands_key ON item_bands(key);
        CREATE INDEX item_bands_item ON item_bands(item_id);
        CREATE TABLE item_names (
            name TEXT NOT NULL,                        -- a folded proper name, or a consonant skeleton
            kind TEXT NOT NULL CHECK (kind IN ('name', 'latin', 'rtl')),
            item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE
        );
        CREATE INDEX item_names_name ON item_names(kind, name);
        CREATE INDEX item_names_item ON item_names(item_id);
        ALTER TABLE item_signatures ADD COLUMN numbers TEXT NOT NULL DEFAULT '[]';
        ALTER TABLE item_signatures ADD COLUMN rtl INTEGER NOT NULL DEFAULT 0
        """,
    )


@migrations()
def m005_items_moment_index(db: sqlite_utils.Database) -> None:
    # the time an item counts from: its publication, else when it was fetched; windows query it
    _run(db, "CREATE INDEX items_moment ON items(coalesce(published_at, fetched_at))")


@migrations()
def m006_items_per_source(db: sqlite_utils.Database) -> None:
    """Items are unique per source, never across partners; the update policy's facts are stored."""
    _run(
        db,
        """
        DROP INDEX items_canonical_url;
        CREATE INDEX items_canonical_url ON items(canonical_url);
        -- 'guid:<guid>' or 'url:<canonical link>': what identifies an entry within its source
        ALTER TABLE items ADD COLUMN entry_key TEXT;
        -- a hash of the entry exactly as the feed gave it: an unchanged entry is not processed again
        ALTER TABLE items ADD COLUMN feed_hash TEXT;
        -- where the text came from: 'page' (fetched), 'feed' (full content) or 'excerpt'
        ALTER TABLE items ADD COLUMN text_origin TEXT;
        -- 1 after a real change of title or text: cluster, tag and index it again
        ALTER TABLE items ADD COLUMN reprocess INTEGER NOT NULL DEFAULT 0;
        UPDATE items SET entry_key = CASE WHEN guid IS NOT NULL THEN 'guid:' || guid ELSE 'url:' || canonical_url END;
        CREATE UNIQUE INDEX items_source_entry ON items(source_id, entry_key);
        CREATE INDEX items_source_url ON items(source_id, url);
        CREATE INDEX items_reprocess ON items(reprocess) WHERE reprocess = 1;
        CREATE INDEX people_mentions_item ON people_mentions(item_id);
        CREATE INDEX item_revisions_item ON item_revisions(item_id)
        """,
    )


@migrations()
def m007_edition_entries_story_index(db: sqlite_utils.Database) -> None:
    # merges and rebuilds look up which editions refer to a story
    _run(db, "CREATE INDEX edition_entries_story ON edition_entries(story_id)")


@migrations()
def m008_frozen_editions(db: sqlite_utils.Database) -> None:
    """Sent means frozen: what went out is stored per language, and no story an edition refers to
    can be deleted from under it (no cascade from stories to edition entries or translations)."""
    _run(
        db,
        """
        CREATE TABLE edition_entries_new (
            id INTEGER PRIMARY KEY,
            edition_id INTEGER NOT NULL REFERENCES editions(id) ON DELETE CASCADE,
            story_id INTEGER NOT NULL REFERENCES stories(id),   -- a merge moves it; a delete is refused
            section TEXT NOT NULL,
            position INTEGER NOT NULL,
            pinned INTEGER NOT NULL DEFAULT 0,
            UNIQUE (edition_id, story_id)
        );
        INSERT INTO edition_entries_new SELECT id, edition_id, story_id, section, position, pinned FROM edition_entries;
        DROP TABLE edition_entries;
        ALTER TABLE edition_entries_new RENAME TO edition_entries;
        CREATE INDEX edition_entries_story ON edition_entries(story_id);
        CREATE TABLE translations_new (
            id INTEGER PRIMARY KEY,
            story_id INTEGER NOT NULL REFERENCES stories(id),   -- a merge moves it; a delete is refused
            language TEXT NOT NULL,
            headline TEXT NOT NULL,
            summary TEXT,
            editor_id INTEGER REFERENCES editors(id) ON DELETE SET NULL,
            updated_at TEXT NOT NULL,
            UNIQUE (story_id, language)
        );
        INSERT INTO translations_new
          SELECT id, story_id, language, headline, summary, editor_id, updated_at FROM translations;
        DROP TABLE translations;
        ALTER TABLE translations_new RENAME TO translations;
        -- exactly what was sent, per language; personal parts (the token in links) as a placeholder
        CREATE TABLE edition_copies (
            edition_id INTEGER NOT NULL REFERENCES editions(id) ON DELETE CASCADE,
            language TEXT NOT NULL,
            subject TEXT NOT NULL,
            preheader TEXT NOT NULL,
            html TEXT NOT NULL,
            text TEXT NOT NULL,
            frozen_at TEXT NOT NULL,
            PRIMARY KEY (edition_id, language)
        );
        -- the edition's entries as they were sent (JSON): stories, headlines, links, reports, translations
        CREATE TABLE edition_records (
            edition_id INTEGER PRIMARY KEY REFERENCES editions(id) ON DELETE CASCADE,
            entries TEXT NOT NULL,
            intros TEXT NOT NULL,
            frozen_at TEXT NOT NULL
        )
        """,
    )


@migrations()
def m009_subscriber_consent_and_erasure(db: sqlite_utils.Database) -> None:
    """Consent (when and from where), pausing, token age, an anonymous erasure count, the stored secret."""
    _run(
        db,
        """
        -- when the reader (or the list they came from) said yes, and where: 'web', 'partner:<name>', 'import'
        ALTER TABLE subscribers ADD COLUMN consent_at TEXT;
        ALTER TABLE subscribers ADD COLUMN consent_source TEXT;
        -- set while the reader has paused the newsletter
        ALTER TABLE subscribers ADD COLUMN paused_at TEXT;
        -- when the personal link was last (re)issued
        ALTER TABLE subscribers ADD COLUMN token_issued_at TEXT;
        CREATE TABLE erasures (
            reason TEXT PRIMARY KEY,                                  -- 'deleted by reader', 'expired', ...
            count INTEGER NOT NULL DEFAULT 0                          -- how many addresses; nothing else is kept
        );
        CREATE TABLE app_secrets (
            name TEXT PRIMARY KEY,
            value TEXT NOT NULL
        )
        """,
    )
    db.execute("UPDATE subscribers SET consent_at = confirmed_at, consent_source = 'cli', token_issued_at = created_at")


@migrations()
def m010_delivery_states(db: sqlite_utils.Database) -> None:
    """Deliveries as a state machine with the audience frozen first; one sender per edition; bounces.

    A row is queued when the audience is frozen, marked sending (and committed) before the SMTP
    transaction and sent right after, so a killed sender leaves every row in a known state. The
    error column holds the server's answer with addresses removed: nothing personal is kept.
    """
    _run(
        db,
        """
        CREATE TABLE deliveries_new (
            id INTEGER PRIMARY KEY,
            edition_id INTEGER NOT NULL REFERENCES editions(id) ON DELETE CASCADE,
            subscriber_id INTEGER REFERENCES subscribers(id) ON DELETE SET NULL,
            language TEXT NOT NULL,
            message_id TEXT,                           -- set when the message is built
            status TEXT NOT NULL DEFAULT 'queued'
                CHECK (status IN ('queued', 'sending', 'sent', 'deferred', 'failed', 'bounced')),
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT,                      -- a deferred row is tried again from then
            smtp_code INTEGER,                         -- the last answer's code (250, 450, 550...)
            error TEXT,                                -- the last answer, addresses removed
            queued_at TEXT,
            attempted_at TEXT,
            UNIQUE (edition_id, subscriber_id)
        );
        INSERT INTO deliveries_new (id, edition_id, subscriber_id, language, message_id, status, error, queued_at,
                                    attempted_at, attempts)
            SELECT id, edition_id, subscriber_id, language, message_id, status, NULL, attempted_at, attempted_at, 1
            FROM deliveries;
        DROP TABLE deliveries;
        ALTER TABLE deliveries_new RENAME TO deliveries;
        CREATE INDEX deliveries_edition_status ON deliveries(edition_id, status);
        CREATE INDEX deliveries_message_id ON deliveries(message_id);
        -- who receives the edition is fixed from then; 'host pid N' sending it, and its last sign of life
        ALTER TABLE editions ADD COLUMN audience_frozen_at TEXT;
        ALTER TABLE editions ADD COLUMN sender TEXT;
        ALTER TABLE editions ADD COLUMN sender_seen_at TEXT;
        -- set after bounce_limit hard bounces: the address is no longer sent to
        ALTER TABLE subscribers ADD COLUMN hard_bounces INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE subscribers ADD COLUMN bouncing_since TEXT
        """,
    )


@migrations()
def m011_fts_on_text_changes_only(db: sqlite_utils.Database) -> None:
    """Re-index an item's full text only when its title, summary or text changes.

    The trigger sqlite-utils made fired on every update: placing an item in a story, marking it
    for reprocessing or storing its tags deleted and re-inserted its whole text in the FTS index,
    which was most of the cost of clustering and tagging, and of the time they held the write lock.
    """
    db.execute("DROP TRIGGER IF EXISTS items_au")  # one statement each: the body holds semicolons
    db.execute("""
        CREATE TRIGGER items_au AFTER UPDATE OF title, summary, text ON items BEGIN
          INSERT INTO items_fts (items_fts, rowid, title, summary, text)
            VALUES ('delete', old.rowid, old.title, old.summary, old.text);
          INSERT INTO items_fts (rowid, title, summary, text) VALUES (new.rowid, new.title, new.summary, new.text);
        END""")


def migrate(db: sqlite_utils.Database) -> list[str]:
    """Apply pending migrations; return the names applied (empty when up to date)."""
    pending = [m.name for m in migrations.pending(db)]
    if pending:
        migrations.apply(db)
    return pending


def schema_version(db: sqlite_utils.Database) -> int:
    return len(migrations.applied(db))


@migrations()
def m012_editor_accounts(db: sqlite_utils.Database) -> None:
    """Editors log in: a password hash, a role, a page language, lockout counters, and revocable sessions.

    A removed editor is disabled rather than deleted, so that the translations and editions
    that name them keep their author. A session's random id lives in the editor's signed
    cookie; only its SHA-256 is stored, so a copy of the database opens no session.
    """
    _run(
        db,
        """
        ALTER TABLE editors ADD COLUMN password_hash TEXT;
        ALTER TABLE editors ADD COLUMN role TEXT NOT NULL DEFAULT 'editor' CHECK (role IN ('editor', 'admin'));
        ALTER TABLE editors ADD COLUMN language TEXT NOT NULL DEFAULT 'en';
        ALTER TABLE editors ADD COLUMN failed_logins INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE editors ADD COLUMN locked_until TEXT;
        ALTER TABLE editors ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE editors ADD COLUMN last_login_at TEXT;
        CREATE TABLE editor_sessions (
            id INTEGER PRIMARY KEY,
            token_hash TEXT NOT NULL UNIQUE,           -- SHA-256 of the random id in the cookie
            editor_id INTEGER NOT NULL REFERENCES editors(id) ON DELETE CASCADE,
            created_at TEXT NOT NULL,
            last_seen_at TEXT NOT NULL,
            revoked_at TEXT
        );
        CREATE INDEX editor_sessions_editor ON editor_sessions(editor_id)
        """,
    )


@migrations()
def m013_story_desk(db: sqlite_utils.Database) -> None:
    """The desk's story work: an editor's headline and summary, rejection, undoable audit entries, inbox indexes.

    Selected and pinned are not stored on the story: a story is selected when it is in the week's
    draft (`edition_entries`), pinned when that entry is, so the desk, the composer and the CLI
    read one truth. A rejected story leaves the draft and is hidden from the inbox.
    """
    _run(
        db,
        """
        -- the editor's headline and one-line summary in the story's language; NULL: the face item's own
        ALTER TABLE stories ADD COLUMN headline TEXT;
        ALTER TABLE stories ADD COLUMN summary TEXT;
        -- set when an editor rejected the story: out of the draft, hidden from the inbox, never redrafted
        ALTER TABLE stories ADD COLUMN rejected_at TEXT;
        -- the story a change concerns, what reverts it (JSON), and the undo entry that reverted it
        ALTER TABLE audit_log ADD COLUMN story_id INTEGER;
        ALTER TABLE audit_log ADD COLUMN undo TEXT;
        ALTER TABLE audit_log ADD COLUMN undone_by INTEGER;
        CREATE INDEX audit_log_story ON audit_log(story_id, id);
        CREATE INDEX audit_log_actor ON audit_log(actor, id);
        -- the inbox: a week's stories newest first, and stories by tag (country and theme filters)
        CREATE INDEX stories_moment ON stories(coalesce(last_published_at, created_at));
        CREATE INDEX tag_evidence_tag ON tag_evidence(tag, item_id)
        """,
    )


@migrations()
def m014_partner_registrations(db: sqlite_utils.Database) -> None:
    """Partners who register themselves: the registration, its check, its decision; the partner's own link.

    A registration moves `previewed` (the site was checked, the partner has not confirmed the
    preview) -> `unconfirmed` (the mail with the confirmation link is out) -> `pending` (the
    address is confirmed; an editor decides) -> `approved` or `rejected`. The partner's page
    link is signed over `partners.link_version`: raising it revokes every older link.
    """
    _run(
        db,
        """
        CREATE TABLE partner_registrations (
            id INTEGER PRIMARY KEY,
            organisation TEXT NOT NULL,
            website TEXT NOT NULL,
            contact_email TEXT NOT NULL,
            feed_url TEXT NOT NULL,                    -- what the partner typed: a feed or just the website
            found_url TEXT,                            -- what the site check found to register
            found_kind TEXT CHECK (found_kind IN ('feed', 'site')),
            canonical_url TEXT NOT NULL,               -- aggregator.urls.canonical_url of found_url (or feed_url)
            languages TEXT NOT NULL,                   -- comma-separated ISO 639-1 codes
            countries TEXT NOT NULL DEFAULT '',        -- comma-separated, as the partner wrote them
            description TEXT NOT NULL DEFAULT '',
            ui_language TEXT NOT NULL,                 -- the language of the form: mails are sent in it
            report TEXT,                               -- the site check (JSON)
            status TEXT NOT NULL DEFAULT 'previewed'
                CHECK (status IN ('previewed', 'unconfirmed', 'pending', 'approved', 'rejected')),
            nonce TEXT NOT NULL,                       -- ties the confirmation link to this row
            reason TEXT,                               -- the editor's reason, sent to the partner
            decided_by TEXT,
            partner_id INTEGER REFERENCES partners(id) ON DELETE SET NULL,
            created_at TEXT NOT NULL,
            confirmed_at TEXT,
            decided_at TEXT
        );
        CREATE INDEX partner_registrations_canonical ON partner_registrations(canonical_url);
        CREATE INDEX partner_registrations_status ON partner_registrations(status, id);
        -- the partner's page link is signed over this number; raising it revokes older links
        ALTER TABLE partners ADD COLUMN link_version INTEGER NOT NULL DEFAULT 0;
        -- the language the partner reads our mails and pages in
        ALTER TABLE partners ADD COLUMN ui_language TEXT;
        -- comma-separated languages the partner writes in
        ALTER TABLE partners ADD COLUMN languages TEXT;
        -- set when the partner withdrew the source from their page (it is paused; nothing is deleted)
        ALTER TABLE sources ADD COLUMN withdrawn_at TEXT
        """,
    )


@migrations()
def m015_api_tokens(db: sqlite_utils.Database) -> None:
    """Partners' API tokens: one live token per registration, shown once, only its SHA-256 stored.

    A token is 32 random bytes, so a plain SHA-256 is enough to make a copy of the database
    useless for calling the API (no password stretching needed). Issuing a new token revokes
    the old one; a revoked token stays as a row so that its last use can still be read.
    Whoever calls the API to register gets a token, but only a token tied to the contact
    address (`verified_at`: the e-mailed code was shown with it, or an editor issued it) may
    change the partner's sources, as only the address's owner gets the partner page's link.
    """
    _run(
        db,
        """
        CREATE TABLE api_tokens (
            id INTEGER PRIMARY KEY,
            registration_id INTEGER NOT NULL REFERENCES partner_registrations(id) ON DELETE CASCADE,
            token_hash TEXT NOT NULL UNIQUE,           -- SHA-256 (hex) of the token the partner holds
            created_at TEXT NOT NULL,
            verified_at TEXT,                          -- tied to the contact address: may change sources
            last_used_at TEXT,
            revoked_at TEXT
        );
        CREATE INDEX api_tokens_registration ON api_tokens(registration_id)
        """,
    )


@migrations()
def m017_outbox(db: sqlite_utils.Database) -> None:
    """Requests from the subscriber forms waiting for the background sender (sign-up, personal link).

    The forms only add a row and answer: the same work whatever the address (new, pending,
    active), so that neither the page nor its response time tells whether someone subscribes.
    The web app's sender thread does the rest off the request (the pending row, the e-mail)
    and deletes the row; a row left by a crash is sent at the next start. Rows hold an address
    only until they are sent (minutes), or until the attempts are spent.
    """
    _run(
        db,
        """
        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,                        -- 'sign-up' or 'personal-link'
            email TEXT NOT NULL,
            language TEXT,
            source TEXT,
            requested_at TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT                       -- after a failed attempt; NULL: due now
        )
        """,
    )


@migrations()
def m018_lsh_bands_in_memory(db: sqlite_utils.Database) -> None:
    """The LSH band keys are no longer stored: clustering computes them for the window it reads.

    37 indexed rows per item cost 0.3-0.5 ms per item to write and grew with the database (3.7
    million rows at 100,000 items); reading the window's signatures and computing their keys
    at once costs a few tens of milliseconds per crawl (benchmarks/clustering.py).
    """
    _run(db, "DROP TABLE IF EXISTS item_bands")


@migrations()
def m019_items_tagged(db: sqlite_utils.Database) -> None:
    """Which items wait to be tagged and indexed: a crawl tags in a child process, and an item
    placed in its story but not yet tagged when that child was stopped (Ctrl-C) or killed is
    tagged by the next crawl instead of staying untagged. Items stored before are counted as tagged.
    """
    _run(
        db,
        """
        ALTER TABLE items ADD COLUMN tagged INTEGER NOT NULL DEFAULT 1;
        CREATE INDEX items_untagged ON items(id) WHERE tagged = 0;
        """,
    )


@migrations()
def m020_settled_changes(db: sqlite_utils.Database) -> None:
    """A count of the times a settled item left its story or the settled set (an editor moved it,
    its story was deleted, its text changed, the item was deleted).

    The folding child of a crawl keeps what it read of the placed items (signatures, names,
    stories) from one pass to the next instead of reading it again each pass; the count tells
    it when someone else changed any of that, so that it reads afresh (`aggregator.clustering`).
    Triggers count every writer alike, the web app's and the command line's included.
    """
    _run(
        db,
        """
        CREATE TABLE settled_changes (id INTEGER PRIMARY KEY CHECK (id = 1), count INTEGER NOT NULL);
        INSERT INTO settled_changes (id, count) VALUES (1, 0);
        CREATE TRIGGER items_unsettled AFTER UPDATE OF story_id, reprocess ON items
          WHEN old.story_id IS NOT NULL AND old.reprocess = 0
            AND (new.story_id IS NOT old.story_id OR new.reprocess != 0)
          BEGIN UPDATE settled_changes SET count = count + 1 WHERE id = 1; END;
        CREATE TRIGGER items_settled_deleted AFTER DELETE ON items
          WHEN old.story_id IS NOT NULL AND old.reprocess = 0
          BEGIN UPDATE settled_changes SET count = count + 1 WHERE id = 1; END;
        """,
    )


@migrations()
def m021_item_names_keyed(db: sqlite_utils.Database) -> None:
    """`item_names` keyed by (kind, name, item_id) without a rowid, and without a foreign key.

    Every placed item writes about sixteen names while the folding holds SQLite's write lock,
    and the crawl waits for it. As a rowid table with two indexes, each name went into three
    B-trees and had its item looked up for the foreign key: 67,004 names of 4,000 items took
    0.57 s of CPU; keyed, 0.23 s. Lookups by name read the key itself. A trigger deletes an
    item's names with it, as the foreign key's cascade did.
    """
    _run(
        db,
        """
        CREATE TABLE item_names_keyed (
            kind TEXT NOT NULL CHECK (kind IN ('name', 'latin', 'rtl')),
            name TEXT NOT NULL,                        -- a folded proper name, or a consonant skeleton
            item_id INTEGER NOT NULL,
            PRIMARY KEY (kind, name, item_id)
        ) WITHOUT ROWID;
        INSERT OR IGNORE INTO item_names_keyed (kind, name, item_id) SELECT kind, name, item_id FROM item_names;
        DROP TABLE item_names;
        ALTER TABLE item_names_keyed RENAME TO item_names;
        CREATE INDEX item_names_item ON item_names(item_id);
        CREATE TRIGGER items_names_deleted AFTER DELETE ON items
          BEGIN DELETE FROM item_names WHERE item_id = old.id; END;
        """,
    )


@migrations()
def m022_items_indexed_without_insert_trigger(db: sqlite_utils.Database) -> None:
    """New items enter the full-text index from `save_item`, not from an insert trigger.

    FTS5 writes its pending terms out as a new segment at every savepoint, and a trigger's
    statement is one: each item of a crawl's transaction became a segment of its own, merged
    again and again. 10,000 items of the clustering benchmark: 0.66 s of CPU inserted into the
    index directly, 2.6-3.0 s through the trigger. The delete and update triggers stay (deletes
    cascade from sources; revisions are rare) and touch the index only for an item it holds
    (FTS5 keeps one `items_fts_docsize` row per indexed item): an item whose own insert into the
    index failed leaves without corrupting it.
    """
    for trigger in ("items_ai", "items_ad", "items_au"):
        db.execute(f"DROP TRIGGER IF EXISTS {trigger}")  # one statement each: the bodies hold semicolons
    db.execute("""
        CREATE TRIGGER items_ad AFTER DELETE ON items
          WHEN EXISTS (SELECT 1 FROM items_fts_docsize WHERE id = old.rowid) BEGIN
          INSERT INTO items_fts (items_fts, rowid, title, summary, text)
            VALUES ('delete', old.rowid, old.title, old.summary, old.text);
        END""")
    db.execute("""
        CREATE TRIGGER items_au AFTER UPDATE OF title, summary, text ON items BEGIN
          INSERT INTO items_fts (items_fts, rowid, title, summary, text)
            SELECT 'delete', old.rowid, old.title, old.summary, old.text
            WHERE EXISTS (SELECT 1 FROM items_fts_docsize WHERE id = old.rowid);
          INSERT INTO items_fts (rowid, title, summary, text) VALUES (new.rowid, new.title, new.summary, new.text);
        END""")
