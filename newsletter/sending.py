"""Send an edition over SMTP, each subscriber in their language, exactly once, as a state machine.

The audience is frozen first: one delivery row per (edition, subscriber), `queued`. Each row is
marked `sending` and committed before its SMTP transaction; its outcome (`sent`...) is committed
together with the next row's `sending` mark, or at the end, or before a pause for the send rate,
so a process killed at any moment leaves at most the row it was talking about (or had just
finished) in `sending`. The next
run sends every queued row and reports those `sending` rows by count; only the operator decides
whether they went out (`assume_sent`) or go again (`resend`). A 4xx answer defers the row with a
doubling backoff up to `send_retry_limit` attempts; a 5xx answer fails it. The edition is `sent`
once nothing is queued, deferred or in flight, whatever failed.

One sender per edition: the edition is claimed with a conditional update and released at the
end; the claim of a process that died (same host, no such pid, or silent for CLAIM_STALE_AFTER)
is taken over. The connection is opened once and reused; EHLO, then STARTTLS whenever offered,
verified with `ssl.create_default_context()`, always before AUTH; a password never crosses an
unencrypted connection. Messages are DKIM-signed with dkimpy when a key is configured.

Speed (benchmarks/sending.py): each language's message is serialised once and each reader's
bytes made from it (`newsletter.messages.MessageTemplate`); the next message is made and signed
by a helper thread while the server answers the current one.

No log line, error column or exception names an address or a token: rows are named by their
delivery and subscriber ids, and servers' answers are redacted.
"""

from __future__ import annotations

import base64
import logging
import os
import smtplib
import socket
import ssl
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from email import policy
from email.utils import parseaddr
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

import sqlite_utils

from aggregator.config import Config
from aggregator.db import iso, parse_iso, utcnow
from aggregator.exceptions import ConflictError, InvalidInput
from aggregator.storage import deliveries as store
from aggregator.storage.editions import get_edition, set_edition_status
from newsletter.deliveries import classify, redact
from newsletter.editions import freeze_edition, load_edition
from newsletter.exceptions import InsecureSmtp, SenderBusy, SmtpUnavailable
from newsletter.i18n import FALLBACK_LANGUAGE
from newsletter.messages import MessageTemplate, build_message
from newsletter.render import Rendered, render_edition

logger = logging.getLogger(__name__)

#: A claim whose holder showed no sign of life for this long is taken over (a sender on another host).
CLAIM_STALE_AFTER = timedelta(minutes=15)
#: Rows read from the database at a time.
BATCH = 200
CANONICALIZE = (b"relaxed", b"simple")
DKIM_HEADERS = (
    b"From",
    b"To",
    b"Subject",
    b"Date",
    b"Message-ID",
    b"List-Unsubscribe",
    b"List-Unsubscribe-Post",
    b"List-Id",
    b"Content-Type",
    b"MIME-Version",
    b"Content-Language",
)


@dataclass
class SendReport:
    sent: int = 0
    failed: int = 0
    deferred: int = 0
    in_flight: int = 0  # rows found `sending` from an interrupted run and left as they are
    resolved: int = 0  # in-flight rows settled by resend or assume_sent
    queued_now: int = 0  # rows added by freezing the audience in this run
    languages: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)  # "delivery N (subscriber M): 550 ..." with no address
    status: str = ""  # the edition's status after the run
    next_retry_at: str | None = None


def open_smtp(url: str, timeout: float = 30, ca_file: str = "") -> smtplib.SMTP:
    """Connect, EHLO, STARTTLS when offered (verified), EHLO again, then log in only over TLS."""
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    port = parts.port or (465 if parts.scheme == "smtps" else 25)
    where = f"{host}:{port}"
    try:
        context = ssl.create_default_context(cafile=ca_file or None)
    except (OSError, ssl.SSLError) as error:
        raise SmtpUnavailable(f"smtp_ca_file: cannot read {ca_file!r} as PEM certificates ({error})") from None
    client: smtplib.SMTP | None = None
    try:
        if parts.scheme == "smtps":
            client = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
            client.ehlo()
        else:
            client = smtplib.SMTP(host, port, timeout=timeout)
            client.ehlo()
            if client.has_extn("starttls"):
                client.starttls(context=context)
                client.ehlo()
        if parts.username:
            if not isinstance(client.sock, ssl.SSLSocket):
                raise InsecureSmtp(
                    f"refusing to send the SMTP password to {where} over an unencrypted connection: "
                    f"the server offers no STARTTLS; use smtps:// or a server that offers STARTTLS"
                )
            client.login(unquote(parts.username), unquote(parts.password or ""))
        return client
    except InsecureSmtp:
        _close(client)
        raise
    except ssl.SSLCertVerificationError as error:
        _close(client)
        raise SmtpUnavailable(
            f"SMTP server {where}: its certificate is not trusted ({error.verify_message}); "
            f"set smtp_ca_file to the CA that signed it"
        ) from None
    except smtplib.SMTPAuthenticationError as error:
        _close(client)
        raise SmtpUnavailable(
            f"SMTP server {where} refused the login ({error.smtp_code}); check the user and password in smtp_url"
        ) from None
    except (smtplib.SMTPException, OSError) as error:
        _close(client)
        raise SmtpUnavailable(
            f"cannot reach the SMTP server {where} ({error.__class__.__name__}: {error}); "
            f"nothing was lost: run the same send again when it is back"
        ) from None


def _close(client: smtplib.SMTP | None) -> None:
    if client is None:
        return
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        try:
            client.close()
        except OSError:
            pass


def reader_language(language: str, config: Config) -> str:
    """A subscriber's language if the edition is rendered in it, else the fallback (English)."""
    return language if language in config.languages else FALLBACK_LANGUAGE


class Signer:
    """DKIM-sign message bytes with dkimpy, relaxed/simple, when a key is configured.

    Simple body canonicalisation (dkimpy's default): the body is quoted-printable or base64 in
    lines of at most 76 characters with no trailing white space, so relaxed body rules would
    forgive nothing a relay could change, and they cost 9 ms of regular expressions per 100 KB
    message. Headers stay relaxed (relays refold them).

    dkimpy does the canonicalisation, the hashes and the header; only the RSA step is done by
    the key loaded once by `cryptography` (OpenSSL): dkimpy reads the PEM file again for every
    message and signs with Python integers, 16 ms a message on the benchmark machine against 1 ms.
    The signature is the same (RSASSA-PKCS1-v1_5 is deterministic; tested against dkimpy's own).
    """

    def __init__(self, config: Config):
        self.key = Path(config.dkim_key_file).expanduser().read_bytes() if config.dkim_key_file else None
        self.selector = config.dkim_selector.encode()
        domain = config.dkim_domain or parseaddr(config.mail_from)[1].rpartition("@")[2]
        self.domain = domain.encode()
        self.loaded = None
        if self.key is not None:
            from cryptography.exceptions import UnsupportedAlgorithm
            from cryptography.hazmat.primitives.asymmetric import rsa
            from cryptography.hazmat.primitives.serialization import load_pem_private_key

            try:
                loaded = load_pem_private_key(self.key, password=None)
            except (ValueError, TypeError, UnsupportedAlgorithm) as error:
                raise InvalidInput(
                    f"dkim_key_file: cannot read {config.dkim_key_file} as an unencrypted PEM private key ({error})"
                ) from None
            if not isinstance(loaded, rsa.RSAPrivateKey):
                raise InvalidInput(f"dkim_key_file: {config.dkim_key_file} holds no RSA private key")
            self.loaded = loaded

    def __call__(self, data: bytes) -> bytes:
        if self.key is None:
            return data
        signing = _dkim_with_key()(data)
        signing.loaded_key = self.loaded
        signature = signing.sign(
            self.selector,
            self.domain,
            self.key,
            include_headers=list(DKIM_HEADERS),
            canonicalize=CANONICALIZE,
        )
        return signature + data


@lru_cache(maxsize=1)
def _dkim_with_key() -> type:
    """dkimpy's DKIM with the RSA step of `gen_header` done by a loaded key (the rest as dkimpy 1.1 does it)."""
    import dkim
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

    class KeyedDKIM(dkim.DKIM):
        loaded_key = None

        def gen_header(self, fields, include_headers, canon_policy, header_name, pk, standardize=False):
            if self.loaded_key is None or self.signature_algorithm != b"rsa-sha256" or standardize:
                return super().gen_header(fields, include_headers, canon_policy, header_name, pk, standardize)
            value = dkim.fold(b"; ".join(b"=".join(x) for x in fields), namelen=len(header_name), linesep=b"\r\n")
            value = dkim.RE_BTAG.sub(b"\\1", value)
            hasher = self.hasher()
            headers = canon_policy.canonicalize_headers(self.headers)
            self.signed_headers = dkim.hash_headers(
                hasher, canon_policy, headers, include_headers, (header_name, b" " + value), dict(fields)
            )
            signature = self.loaded_key.sign(hasher.digest(), padding.PKCS1v15(), Prehashed(hashes.SHA256()))
            index = next(i for i, field in enumerate(fields) if field[0] == b"b")
            fields[index] = (b"b", base64.b64encode(signature))
            value = b"; ".join(b"=".join(x) for x in fields) + self.linesep
            return dkim.fold(value, namelen=len(header_name), linesep=self.linesep)

    return KeyedDKIM


class Transport:
    """One reused SMTP connection, opened on first use, reopened after the server drops it.

    `send` says which stage an error reached: before DATA the message certainly did not go out;
    a connection lost during DATA leaves it unknown (the row stays in flight).
    """

    def __init__(self, config: Config):
        self.config = config
        self.client: smtplib.SMTP | None = None
        self.envelope_from = parseaddr(config.bounce_address or config.mail_from)[1]

    def connect(self) -> None:
        if self.client is None:
            self.client = open_smtp(
                self.config.smtp_url, timeout=self.config.crawl_timeout, ca_file=self.config.smtp_ca_file
            )

    def drop(self) -> None:
        client, self.client = self.client, None
        if client is not None:
            try:
                client.close()
            except OSError:
                pass

    def close(self) -> None:
        client, self.client = self.client, None
        _close(client)

    def send(self, recipient: str, data: bytes) -> tuple[int, bytes]:
        """Run MAIL, RCPT, DATA; return the deciding (code, answer). Raises `_Lost(certain=...)`."""
        self.connect()
        client = self.client
        assert client is not None
        options = []
        if not data.isascii() and client.has_extn("8bitmime"):
            options.append("BODY=8BITMIME")
        try:
            code, answer = client.mail(self.envelope_from, options)
            if code != 250:
                client.rset()
                return code, answer
            code, answer = client.rcpt(recipient)
            if code not in (250, 251):
                client.rset()
                return code, answer
        except (smtplib.SMTPException, OSError) as error:
            self.drop()
            raise _Lost(certain=True, error=error) from None
        try:
            code, answer = client.data(data)
            return code, answer if isinstance(answer, bytes) else str(answer).encode()
        except smtplib.SMTPDataError as error:  # DATA itself refused (no 354): nothing was sent
            reply = error.smtp_error
            return error.smtp_code, reply if isinstance(reply, bytes) else str(reply).encode()
        except (smtplib.SMTPException, OSError) as error:
            self.drop()
            raise _Lost(certain=False, error=error) from None


class _Lost(Exception):
    def __init__(self, certain: bool, error: Exception):
        super().__init__(error.__class__.__name__)
        self.certain, self.error = certain, error


def sender_name() -> str:
    return f"{socket.gethostname()} pid {os.getpid()}"


def _holder_is_dead(holder: str, seen_at: str | None) -> bool:
    host, _, pid = holder.partition(" pid ")
    if host == socket.gethostname() and pid.isdigit():
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False
    seen = parse_iso(seen_at)
    return seen is None or utcnow() - seen > CLAIM_STALE_AFTER


def claim(db: sqlite_utils.Database, edition_id: int, me: str) -> None:
    """Hold the edition for this process, taking over from a dead sender; SenderBusy names a live one."""
    holder = store.claim_edition(db, edition_id, me)
    if holder is None:
        return
    _, seen_at = store.get_sender(db, edition_id)
    if holder != me and _holder_is_dead(holder, seen_at):
        logger.warning("edition %s: taking over from %s, which stopped while sending", edition_id, holder)
        holder = store.claim_edition(db, edition_id, me, stale=holder)
        if holder is None:
            return
    raise SenderBusy(
        f"edition {edition_id} is being sent by {holder} (since {seen_at}); "
        f"wait for it to finish, or stop that process and run send again"
    )


def send_edition(
    db: sqlite_utils.Database,
    config: Config,
    edition_id: int,
    limit: int | None = None,
    in_flight: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SendReport:
    """Send the edition to its frozen audience; resume after any interruption without sending twice.

    `in_flight` settles rows a killed sender left `sending`: 'resend' queues them again,
    'assume-sent' marks them sent; by default they are counted in the report and left alone.
    `limit` stops after that many attempts; `progress(done, total)` is called after each one.
    """
    if in_flight not in (None, "resend", "assume-sent"):
        raise InvalidInput(f"in_flight: expected 'resend' or 'assume-sent', got {in_flight!r}")
    edition_row = get_edition(db, edition_id)
    me = sender_name()
    claim(db, edition_id, me)
    report = SendReport()
    transport = Transport(config)
    try:
        counts = store.count_deliveries(db, edition_id)
        if (
            edition_row["status"] == "sent"
            and edition_row["audience_frozen_at"]
            and not counts["queued"]
            and not counts["deferred"]
            and not counts["sending"]
        ):
            raise ConflictError(f"edition {edition_id} ({edition_row['week']}) was already sent to everyone")
        # frozen before the first message: every reader of every language gets the stored copy
        rendered: dict[str, Rendered] = freeze_edition(db, config, edition_id)
        report.queued_now = store.freeze_audience(db, edition_id)
        if report.queued_now:
            logger.info("edition %s: audience frozen, %s deliveries queued", edition_id, report.queued_now)
        store.drop_orphans(db, edition_id)
        counts = store.count_deliveries(db, edition_id)
        if counts["sending"]:
            if in_flight:
                report.resolved = store.resolve_in_flight(db, edition_id, "queued" if in_flight == "resend" else "sent")
                logger.warning(
                    "edition %s: %s in-flight deliveries %s",
                    edition_id,
                    report.resolved,
                    "queued again" if in_flight == "resend" else "assumed sent",
                )
            else:
                report.in_flight = counts["sending"]
                logger.warning(
                    "edition %s: %s deliveries were in flight when an earlier send stopped; they may or "
                    "may not have arrived and are left alone",
                    edition_id,
                    report.in_flight,
                )
        set_edition_status(db, edition_id, "sending")
        _send_due(db, config, edition_id, rendered, transport, report, limit, progress, me)
    finally:
        transport.close()
        try:
            _settle(db, edition_id, report)
        finally:
            store.release_edition(db, edition_id, me)
    logger.info(
        "edition %s: %s sent, %s deferred, %s failed, %s in flight; edition %s",
        edition_id,
        report.sent,
        report.deferred,
        report.failed,
        report.in_flight,
        report.status,
    )
    return report


def _send_due(db, config, edition_id, rendered, transport, report, limit, progress, me) -> None:
    """Send every due row once, in id order.

    Two costs are taken off the SMTP round trips. The next reader's message is made (and signed)
    by a helper thread while this one waits for the server's answer (the wait releases the GIL).
    And a row's outcome is written in the same transaction that marks the next row `sending`, so
    one commit per message instead of two, with the same guarantee: when a row's SMTP transaction
    starts, its `sending` mark is committed; a process killed at any moment leaves in flight only
    the row it was talking about (or had just finished with), as before.
    """
    sign = Signer(config)
    # each language's message serialised once; a reader's message is that template with their parts put in
    now = utcnow()
    templates = {
        language: MessageTemplate(copy, config.mail_from, config.base_url, now) for language, copy in rendered.items()
    }

    def prepare(row: dict) -> tuple[str, str, bytes]:
        language = reader_language(row["language"], config)
        if language not in templates:  # configured languages changed since the edition was frozen
            language = FALLBACK_LANGUAGE if FALLBACK_LANGUAGE in templates else next(iter(templates))
        message_id, data = templates[language].render(row["email"], row["token"], utcnow())
        return language, message_id, sign(data)

    interval = 1.0 / config.send_rate if config.send_rate else 0.0
    next_slot = time.monotonic()
    started = iso(utcnow()) or ""
    total = _due_count(db, edition_id, started)
    if limit:
        total = min(total, limit)
    done = 0
    last_touch = time.monotonic()
    last_id = 0
    pending = _Pending()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="wire-prepare") as helper:
        try:
            while not limit or done < limit:
                batch = store.next_due_deliveries(
                    db, edition_id, started, min(BATCH, (limit - done) if limit else BATCH), after_id=last_id
                )
                if not batch:
                    break
                if limit:
                    batch = batch[: limit - done]
                following = helper.submit(prepare, batch[0])
                for index, row in enumerate(batch):
                    last_id = row["id"]
                    prepared = following.result()
                    if index + 1 < len(batch):
                        following = helper.submit(prepare, batch[index + 1])
                    if interval:
                        delay = next_slot - time.monotonic()
                        if delay > 0:
                            pending.flush(db)  # the last outcome is not left unwritten while we wait
                            time.sleep(delay)
                        next_slot = max(next_slot + interval, time.monotonic())
                    _deliver(db, config, edition_id, row, prepared, transport, report, pending)
                    done += 1
                    if progress:
                        progress(done, total)
                    if time.monotonic() - last_touch > 10:
                        store.touch_claim(db, edition_id, me)
                        last_touch = time.monotonic()
        finally:
            pending.flush(db)


def _due_count(db, edition_id, now) -> int:
    row = next(
        db.query(
            "SELECT count(*) AS n FROM deliveries WHERE edition_id = ? AND subscriber_id IS NOT NULL AND "
            "(status = 'queued' OR (status = 'deferred' AND next_attempt_at <= ?))",
            [edition_id, now],
        )
    )
    return row["n"]


class _Pending:
    """The outcome of the last SMTP transaction, until the next row's `sending` mark commits it (or a flush)."""

    def __init__(self) -> None:
        self.outcome: tuple | None = None

    def flush(self, db) -> None:
        outcome, self.outcome = self.outcome, None
        if outcome is not None:
            store.mark_delivery(db, *outcome)


def _deliver(db, config, edition_id, row, prepared, transport, report, pending: _Pending) -> None:
    language, message_id, data = prepared
    try:
        transport.connect()  # before the row is marked: a server that is down leaves it queued
    except SmtpUnavailable:
        pending.flush(db)
        raise
    previous, pending.outcome = pending.outcome, None
    store.mark_sending(db, row["id"], message_id, previous=previous)
    for attempt in (1, 2):
        try:
            code, answer = transport.send(row["email"], data)
            break
        except _Lost as lost:
            if not lost.certain:
                report.in_flight += 1
                logger.warning(
                    "edition %s: connection lost during DATA of delivery %s (subscriber %s); it stays in flight",
                    edition_id,
                    row["id"],
                    row["subscriber_id"],
                )
                return
            if attempt == 2:
                store.mark_delivery(db, row["id"], "queued", error=redact(str(lost.error), row["email"], row["token"]))
                raise SmtpUnavailable(
                    f"the SMTP server dropped the connection ({lost.error.__class__.__name__}); "
                    f"nothing was lost: run the same send again"
                ) from None
            try:
                transport.connect()
            except SmtpUnavailable:
                store.mark_delivery(db, row["id"], "queued")
                raise
    outcome = classify(
        code,
        answer,
        row["attempts"] + 1,
        config.send_retry_limit,
        config.send_retry_backoff,
        utcnow(),
        row["email"],
        row["token"],
    )
    pending.outcome = (row["id"], outcome.status, outcome.code, outcome.error, iso(outcome.next_attempt_at))
    if outcome.status == "sent":
        report.sent += 1
        report.languages[language] = report.languages.get(language, 0) + 1
        logger.debug(
            "edition %s: delivery %s (subscriber %s, %s) sent", edition_id, row["id"], row["subscriber_id"], language
        )
        return
    line = f"delivery {row['id']} (subscriber {row['subscriber_id']}): {outcome.error}"
    report.errors.append(line)
    if outcome.status == "deferred":
        report.deferred += 1
        logger.info("edition %s: %s; deferred until %s", edition_id, line, iso(outcome.next_attempt_at))
    else:
        report.failed += 1
        logger.warning("edition %s: %s; failed", edition_id, line)


def _settle(db: sqlite_utils.Database, edition_id: int, report: SendReport) -> None:
    """`sent` when nothing is queued, deferred or in flight; `sending` while in-flight rows await a decision;
    `approved` when rows wait (the scheduler, or the next send, continues)."""
    counts = store.count_deliveries(db, edition_id)
    frozen = get_edition(db, edition_id)["audience_frozen_at"]
    report.next_retry_at = store.next_retry_at(db, edition_id)
    if frozen and not (counts["queued"] or counts["deferred"] or counts["sending"]):
        report.status = "sent"
        set_edition_status(db, edition_id, "sent", sent_at=iso(utcnow()))
    elif counts["sending"]:
        report.status = "sending"
        set_edition_status(db, edition_id, "sending")
    else:
        report.status = "approved"
        set_edition_status(db, edition_id, "approved")


def send_test(db: sqlite_utils.Database, config: Config, edition_id: int, address: str, language: str) -> str:
    """Send the edition as it stands now (not frozen, no delivery row) to one address; return its Message-ID."""
    edition = load_edition(db, edition_id)
    rendered = render_edition(edition, language, config.site_name, config.base_url, config.zone)
    message = build_message(rendered, config.mail_from, address, "test-preview", config.base_url, utcnow())
    message.replace_header("Subject", f"[test] {message['Subject']}")
    transport = Transport(config)
    try:
        code, answer = transport.send(address, Signer(config)(message.as_bytes(policy=policy.SMTP)))
    except _Lost as lost:
        raise SmtpUnavailable(f"the SMTP server dropped the connection ({lost.error.__class__.__name__})") from None
    finally:
        transport.close()
    if code != 250:
        raise SmtpUnavailable(f"the SMTP server refused the test message: {redact(f'{code} {answer!r}', address)}")
    return message["Message-ID"]


def is_due(db: sqlite_utils.Database, edition_id: int) -> bool:
    """Whether a send would do anything now: audience not frozen yet, or rows queued or due again."""
    if not get_edition(db, edition_id)["audience_frozen_at"]:
        return True
    return _due_count(db, edition_id, iso(utcnow())) > 0
