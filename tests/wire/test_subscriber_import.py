"""`wire subscribers import` and `export`: every CSV case a list moving in brings.

Each case writes a small file in its own encoding and delimiter and says what must happen:
how many rows are imported and which lines are reported, by number.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from wire.cli import cli

HEADER = "email,language,status,consent_date"
GOOD = [
    "leyla@example.org,fa,confirmed,2025-03-01",
    "jon@example.org,eu,pending,",
    "ayse@example.org,tr,unsubscribed,2024-12-24T10:00:00Z",
]


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.setenv("WIRE_DB", str(tmp_path / "wire.db"))
    monkeypatch.delenv("WIRE_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)

    def invoke(*args):
        return CliRunner().invoke(cli, list(args))

    return invoke


def write(tmp_path, lines, encoding="utf-8", delimiter=","):
    path = tmp_path / "list.csv"
    text = "\r\n".join(line.replace(",", delimiter) for line in lines) + "\r\n"
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize(
    "encoding, delimiter",
    [
        ("utf-8", ","),
        ("utf-8-sig", ","),
        ("utf-16", ","),
        ("utf-16-le", ";"),
        ("utf-8", ";"),
        ("windows-1252", ";"),
    ],
    ids=["utf8", "utf8-bom", "utf16-bom", "utf16le-no-bom", "utf8-semicolon", "cp1252-semicolon"],
)
def test_encodings_and_delimiters(run, tmp_path, encoding, delimiter):
    extra = "rené.müller@example.org" if encoding != "windows-1252" else "jose@example.org"
    lines = [HEADER, *GOOD, f"{extra},de,confirmed,2025-01-01"]
    result = run("subscribers", "import", str(write(tmp_path, lines, encoding, delimiter)))
    assert result.exit_code == 0, result.output
    assert "imported 4, skipped 0" in result.output
    exported = run("subscribers", "export").output.splitlines()
    assert exported[0] == HEADER
    assert "leyla@example.org,fa,confirmed,2025-03-01T00:00:00+00:00" in exported
    assert "jon@example.org,eu,pending," in exported
    assert any(line.startswith("ayse@example.org,tr,unsubscribed,2024-12-24T10:00:00") for line in exported)
    if encoding != "windows-1252":
        assert any(line.startswith("rené.müller@example.org,de,confirmed") for line in exported)


def test_windows_1252_accented_names_in_other_columns_decode(run, tmp_path):
    """A Windows-1252 file whose bytes are not UTF-8: read as Windows-1252, the bad language names the text."""
    path = write(tmp_path, [HEADER, "a@example.org,français,confirmed,2025-01-01"], "windows-1252")
    result = run("subscribers", "import", str(path), "--dry-run")
    assert "line 2: language 'français' is not one of" in result.output


def test_dry_run_reports_every_bad_row_by_line_and_changes_nothing(run, tmp_path):
    lines = [
        HEADER,
        "good@example.org,en,confirmed,2025-01-01",  # 2
        "not-an-address,en,confirmed,2025-01-01",  # 3
        "nolang@example.org,,confirmed,2025-01-01",  # 4
        "badlang@example.org,xx,confirmed,2025-01-01",  # 5
        "badstatus@example.org,en,active,2025-01-01",  # 6
        "nodate@example.org,en,confirmed,",  # 7
        "baddate@example.org,en,confirmed,yesterday",  # 8
        "good@example.org,de,confirmed,2025-01-01",  # 9: twice in the file
        "short@example.org,en",  # 10
        "",  # 11: blank, ignored
        "user@nodot,en,pending,",
    ]  # 12
    path = write(tmp_path, lines)
    result = run("subscribers", "import", str(path), "--dry-run")
    assert result.exit_code == 1
    assert "dry run: 1 would be imported, 9 bad; nothing changed" in result.output
    for line, reason in [
        (3, "not an e-mail address"),
        (4, "no language"),
        (5, "language 'xx'"),
        (6, "status 'active'"),
        (7, "a confirmed address needs its consent_date"),
        (8, "consent_date 'yesterday'"),
        (9, "good@example.org is already on line 2"),
        (10, "2 fields, expected 4"),
        (12, "not an e-mail address"),
    ]:
        assert f"line {line}: {reason}" in result.output, (line, result.output)
    assert run("subscribers", "export").output.splitlines() == [HEADER]
    result = run("subscribers", "import", str(path))
    assert "imported 1, skipped 9" in result.output
    again = run("subscribers", "import", str(path), "--dry-run")
    assert "line 2: good@example.org is already subscribed" in again.output


@pytest.mark.parametrize(
    "first_line, message",
    [
        ("a@example.org,fa,confirmed,2025-01-01", "is the header missing?"),
        ("email,language", "missing status, consent_date"),
        ("email,lang,status,consent_date", "missing language; unknown 'lang'"),
        ("", "the file is empty"),
    ],
)
def test_header_is_required_and_checked(run, tmp_path, first_line, message):
    path = write(tmp_path, [first_line, "b@example.org,en,confirmed,2025-01-01"] if first_line else [""])
    result = run("subscribers", "import", str(path))
    assert result.exit_code != 0
    assert message in result.output
    # nothing imported, and the first row was not taken for a header
    assert run("subscribers", "export").output.splitlines() == [HEADER]


def test_header_in_another_order_and_case(run, tmp_path):
    path = write(
        tmp_path, ["Language;Email;Consent_Date;Status", "ru;olga@example.org;2025-02-02;confirmed"], delimiter=";"
    )
    result = run("subscribers", "import", str(path))
    assert "imported 1, skipped 0" in result.output
    exported = run("subscribers", "export").output.splitlines()
    assert exported[1] == "olga@example.org,ru,confirmed,2025-02-02T00:00:00+00:00"


def test_import_records_consent_and_source_and_sends_nothing(run, tmp_path, mail_sink, monkeypatch):
    monkeypatch.setenv("WIRE_SMTP_URL", mail_sink.url)
    run("subscribers", "import", str(write(tmp_path, [HEADER, *GOOD])))
    from aggregator.db import open_db
    from aggregator.storage.subscribers import find_by_email

    db = open_db(tmp_path / "wire.db")
    row = find_by_email(db, "leyla@example.org")
    assert (row["status"], row["consent_at"], row["consent_source"]) == (
        "active",
        "2025-03-01T00:00:00+00:00",
        "import",
    )
    assert find_by_email(db, "jon@example.org")["status"] == "pending"
    assert not mail_sink.messages()
    db.conn.close()
