"""Read and write subscriber lists as CSV, for lists moving in and out. Pure: bytes in, rows and errors out.

Columns: email,language,status,consent_date. The header is required (a file without one
would lose its first address, or import it as a header), and its names are checked.
Lists come from many tools: UTF-8 with or without a BOM, UTF-16 (which always has a BOM
from the tools that write it), else Windows-1252; `,` or `;` between fields (spreadsheets
in many European locales write `;`). Every bad row is reported with its line number;
nothing is dropped silently.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from email_validator import EmailNotValidError, validate_email

COLUMNS = ("email", "language", "status", "consent_date")
#: Status in the file -> status in the database.
STATUSES = {"confirmed": "active", "pending": "pending", "unsubscribed": "unsubscribed"}
FILE_STATUS = {stored: written for written, stored in STATUSES.items()}


@dataclass(frozen=True)
class ImportRow:
    line: int
    email: str
    language: str
    status: str  # as stored: active, pending, unsubscribed
    consent_at: datetime | None


@dataclass(frozen=True)
class BadRow:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


class BadFile(ValueError):
    """The file as a whole cannot be read (encoding, header): nothing is imported."""


def decode(data: bytes) -> str:
    """Text of a CSV file in UTF-8 (BOM or not), UTF-16 (with a BOM), or else Windows-1252."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    if len(data) >= 4 and data[1:4:2] == b"\x00\x00" and data[0:1] != b"\x00":
        return data.decode("utf-16-le")  # UTF-16 without a BOM: every other byte of ASCII text is zero
    if len(data) >= 4 and data[0:4:2] == b"\x00\x00":
        return data.decode("utf-16-be")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            return data.decode("windows-1252")
        except UnicodeDecodeError as error:  # five code points are undefined in Windows-1252
            raise BadFile(f"the file is neither UTF-8, UTF-16 nor Windows-1252 ({error})") from None


def _delimiter(header: str) -> str:
    return ";" if header.count(";") > header.count(",") else ","


def _consent(value: str) -> datetime:
    value = value.strip()
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"consent_date {value!r} is not a date (expected 2024-03-01 or 2024-03-01T10:00:00Z)"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def read_subscribers(data: bytes, languages: Iterable[str]) -> tuple[list[ImportRow], list[BadRow]]:
    """Good rows and bad rows (with line numbers) of a CSV file; BadFile when the header is wrong."""
    text = decode(data)
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise BadFile(f"the file is empty; the first line must be the header {','.join(COLUMNS)}")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(lines[0]))
    header = [name.strip().lower() for name in next(reader)]
    if sorted(header) != sorted(COLUMNS):
        missing = [c for c in COLUMNS if c not in header]
        unknown = [c for c in header if c not in COLUMNS]
        detail = "; ".join(
            filter(
                None,
                [
                    f"missing {', '.join(missing)}" if missing else "",
                    f"unknown {', '.join(repr(c) for c in unknown)}" if unknown else "",
                ],
            )
        )
        hint = " (is the header missing?)" if any("@" in c for c in header) else ""
        raise BadFile(f"line 1: the header must name the columns {','.join(COLUMNS)}: {detail}{hint}")
    languages = set(languages)
    good: list[ImportRow] = []
    bad: list[BadRow] = []
    seen: dict[str, int] = {}
    line = 1
    for fields in reader:
        line = reader.line_num
        if not any(field.strip() for field in fields):
            continue
        if len(fields) != len(header):
            bad.append(BadRow(line, f"{len(fields)} fields, expected {len(header)} ({','.join(header)})"))
            continue
        row = {name: value.strip() for name, value in zip(header, fields, strict=True)}
        try:
            email = validate_email(row["email"], check_deliverability=False).normalized
        except EmailNotValidError as error:
            bad.append(BadRow(line, f"not an e-mail address: {row['email']!r} ({error})"))
            continue
        if not row["language"]:
            bad.append(BadRow(line, "no language; give one of " + ", ".join(sorted(languages))))
            continue
        if row["language"] not in languages:
            bad.append(BadRow(line, f"language {row['language']!r} is not one of {', '.join(sorted(languages))}"))
            continue
        status = row["status"].lower()
        if status not in STATUSES:
            bad.append(BadRow(line, f"status {row['status']!r} is not one of {', '.join(STATUSES)}"))
            continue
        consent = None
        if row["consent_date"]:
            try:
                consent = _consent(row["consent_date"])
            except ValueError as error:
                bad.append(BadRow(line, str(error)))
                continue
        elif status == "confirmed":
            bad.append(BadRow(line, "a confirmed address needs its consent_date"))
            continue
        key = email.lower()
        if key in seen:
            bad.append(BadRow(line, f"{email} is already on line {seen[key]}"))
            continue
        seen[key] = line
        good.append(ImportRow(line, email, row["language"], STATUSES[status], consent))
    return good, bad


def write_subscribers(rows: Iterable[dict]) -> str:
    """CSV text with the import's columns, from subscriber rows as stored."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        consent = row.get("consent_at") or row.get("confirmed_at") or ""
        writer.writerow([row["email"], row["language"], FILE_STATUS.get(row["status"], row["status"]), consent])
    return buffer.getvalue()
