"""Load the one configuration: defaults in code, then `wire.toml`, then environment variables.

Every key has a default here, so a fresh clone runs with no file at all. The file is
found from `--config`, then `WIRE_CONFIG`, then `./wire.toml` if it exists. Each key
can be overridden by `WIRE_<KEY>` in the environment (upper case), which is how tests,
the demo and containers set things. Values are checked when loaded; an error names the
key and the bad value (modelled on starlette's `Config` and miniflux's options).
"""

from __future__ import annotations

import dataclasses
import inspect
import io
import json
import os
import re
import tokenize
import tomllib
from dataclasses import dataclass, field
from email.utils import getaddresses
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import localedata

from aggregator.exceptions import ConfigError

#: Languages an edition is rendered in unless configured otherwise (ISO 639-1).
DEFAULT_LANGUAGES = ("en", "de", "fr", "es", "it", "pt", "tr", "ku", "fa", "ar", "eu", "ru")


@dataclass(frozen=True)
class Config:
    """All settings, typed. Build it with `load_config`, not by hand, outside tests."""

    # -- storage
    db: Path = Path("data/wire.db")  # SQLite file; WAL and foreign keys are always on
    # -- public identity
    base_url: str = "http://127.0.0.1:8000"  # where `wire serve` is reached; links in e-mails use it
    site_name: str = "Solidarity Wire"  # the newsletter's name, in e-mails and on pages
    contact_url: str = "http://127.0.0.1:8000/about"  # named in the crawler's User-Agent
    # -- mail
    smtp_url: str = "smtp://127.0.0.1:8025"  # smtp://[user:password@]host:port, smtps:// for TLS
    mail_from: str = "Solidarity Wire <newsletter@solidarity-wire.invalid>"  # sender: "Name <address>" or an address
    send_rate: float = 10.0  # messages per second at most
    smtp_ca_file: str = ""  # PEM file of CAs to trust for the SMTP server's certificate (default: the system's)
    bounce_address: str = (
        ""  # envelope sender where bounces go (a mailbox `wire bounces process` reads); default: mail_from
    )
    send_retry_limit: int = 5  # attempts for a subscriber whose server answers 4xx before the delivery fails
    send_retry_backoff: int = 600  # seconds before the first retry after a 4xx; doubled on each further retry
    bounce_limit: int = 3  # hard bounces after which an address is marked bouncing and no longer sent to
    dkim_key_file: str = ""  # PEM private key to sign messages with DKIM; empty: no signature
    dkim_selector: str = "wire"  # DKIM selector: the key is published at <selector>._domainkey.<domain>
    dkim_domain: str = ""  # DKIM signing domain (d=); default: the domain of mail_from
    # -- collection
    allow_private_networks: bool = False  # fetch loopback/private addresses: demo and tests only
    allowed_hosts: tuple[str, ...] = ()  # when set, fetch only these hosts (the demo and tests: 127.0.0.1)
    crawl_per_host: int = 2  # concurrent requests to one host
    crawl_delay: float = 2.0  # seconds between requests to one host
    crawl_timeout: float = 30.0  # seconds per request
    max_response_bytes: int = 10 * 1024 * 1024  # bigger responses are refused
    max_items_per_feed: int = 5000  # entries read from one feed response, newest first; the cap shows in health
    crawl_deadline: int = 1800  # seconds a scheduled crawl (serve, run-once) may take before it is stopped
    feed_parse_budget: float = 20.0  # seconds one feed may take to read; a slower feed is an error on that source
    min_interval: int = 30 * 60  # seconds: the shortest polling interval of a source
    max_backoff: int = 24 * 3600  # seconds: errors never push the next fetch further than this
    failing_after: int = 3 * 24 * 3600  # seconds of failure before a source is marked failing
    # -- stories
    near_duplicate_threshold: float = 0.5  # MinHash Jaccard estimate at which two texts are one story
    containment_threshold: float = 0.7  # share of a shortened repost found in the original
    story_window_days: int = 10  # items further apart than this never join one story
    # -- editions
    languages: tuple[str, ...] = DEFAULT_LANGUAGES  # ISO 639-1 codes an edition is rendered in
    timezone: str = "Europe/Berlin"  # IANA time zone of `draft_at` and approved sending times
    crawl_interval: int = 2 * 3600  # seconds between scheduled crawls in `wire serve`
    draft_at: str = "mon 06:00"  # weekday and local time when the week's edition is drafted
    section_cap: int = 8  # stories per section at most
    # -- web
    host: str = "127.0.0.1"  # interface `wire serve` listens on
    port: int = 8000  # port `wire serve` listens on (1-65535)
    secret_key: str = field(
        default="", repr=False
    )  # signs confirmation links and form tokens; generated once and kept in the database if empty
    # -- subscriptions
    confirm_link_max_age: int = 2 * 24 * 3600  # seconds a confirmation link in a sign-up e-mail stays valid
    pending_expiry: int = 7 * 24 * 3600  # seconds after which an unconfirmed sign-up is deleted
    erase_unsubscribed_after: int = 30 * 24 * 3600  # seconds after unsubscribing when the address is erased
    subscribe_limit_per_client: str = "10 per hour"  # sign-up form posts per client address (Flask-Limiter syntax)
    subscribe_limit_per_address: str = "3 per day"  # e-mails the sign-up and link forms send to one address at most
    rate_limit_storage: str = "memory://"  # where rate limits are counted: memory:// per process, or redis://...
    # -- translation help
    translate_url: str = ""  # a LibreTranslate-compatible service for the desk's "suggest"; empty: no such button
    translate_api_key: str = field(default="", repr=False)  # the service's API key, if it needs one
    translate_timeout: float = 10.0  # seconds to wait for a suggested translation

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def _parse_bool(key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off", ""}:
        return False
    raise ConfigError(f"{key}: expected true or false, got {value!r}")


def _coerce(key: str, kind: Any, value: Any) -> Any:
    """Turn a file or environment value into the field's type, or say which key is wrong."""
    try:
        if kind in (bool, "bool"):
            return _parse_bool(key, value)
        if kind in (int, "int"):
            if isinstance(value, bool):
                raise ValueError
            return int(value)
        if kind in (float, "float"):
            return float(value)
        if kind in (Path, "Path"):
            return Path(str(value)).expanduser()
        if kind in ("tuple[str, ...]",):
            if isinstance(value, str):
                value = [part for part in value.replace(",", " ").split() if part]
            return tuple(str(part).strip() for part in value)
        return str(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{key}: expected {getattr(kind, '__name__', kind)}, got {value!r}") from None


def _validate(config: Config) -> None:
    """Refuse values that would fail later in a confusing way."""
    for key in ("base_url", "contact_url"):
        parts = urlsplit(getattr(config, key))
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError(f"{key}: expected an http(s) URL, got {getattr(config, key)!r}")
    smtp = urlsplit(config.smtp_url)
    if smtp.scheme not in ("smtp", "smtps") or not smtp.hostname:
        raise ConfigError(f"smtp_url: expected smtp://host:port or smtps://host:port, got {config.smtp_url!r}")
    for key in (
        "crawl_per_host",
        "max_response_bytes",
        "max_items_per_feed",
        "min_interval",
        "crawl_deadline",
        "max_backoff",
        "crawl_interval",
        "section_cap",
        "story_window_days",
        "confirm_link_max_age",
        "pending_expiry",
        "erase_unsubscribed_after",
    ):
        if getattr(config, key) <= 0:
            raise ConfigError(f"{key}: must be greater than 0, got {getattr(config, key)!r}")
    for key in ("send_retry_limit", "bounce_limit"):
        if getattr(config, key) <= 0:
            raise ConfigError(f"{key}: must be greater than 0, got {getattr(config, key)!r}")
    for key in ("smtp_ca_file", "dkim_key_file"):
        if getattr(config, key) and not Path(getattr(config, key)).expanduser().is_file():
            raise ConfigError(f"{key}: no such file {getattr(config, key)!r}")
    if config.bounce_address and not is_mail_from(config.bounce_address):
        raise ConfigError(f"bounce_address: not an e-mail address, got {config.bounce_address!r}")
    for key in ("crawl_delay", "crawl_timeout", "send_rate", "feed_parse_budget", "send_retry_backoff"):
        if getattr(config, key) < 0:
            raise ConfigError(f"{key}: must not be negative, got {getattr(config, key)!r}")
    for key in ("near_duplicate_threshold", "containment_threshold"):
        if not 0 < getattr(config, key) <= 1:
            raise ConfigError(f"{key}: must be in (0, 1], got {getattr(config, key)!r}")
    if not config.languages:
        raise ConfigError("languages: at least one language is needed")
    for code in config.languages:
        if not (2 <= len(code) <= 3 and code.isalpha() and code.islower()):
            raise ConfigError(f"languages: expected ISO 639-1 codes such as 'en', got {code!r}")
        if not localedata.exists(code):  # Babel's CLDR data: what the dates and names render in
            raise ConfigError(f"languages: unknown language code {code!r} (ISO 639-1, such as 'en', 'fa', 'ku')")
    if not is_mail_from(config.mail_from):
        raise ConfigError(
            f"mail_from: not an e-mail address (expected 'Name <user@example.org>' or "
            f"'user@example.org'), got {config.mail_from!r}"
        )
    try:
        ZoneInfo(config.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"timezone: unknown time zone {config.timezone!r}") from None
    parse_draft_at(config.draft_at)
    for key in ("subscribe_limit_per_client", "subscribe_limit_per_address"):
        if not RATE.fullmatch(getattr(config, key)):
            raise ConfigError(f"{key}: expected a rate such as '10 per hour', got {getattr(config, key)!r}")
    if config.translate_url:
        parts = urlsplit(config.translate_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError(f"translate_url: expected an http(s) URL or nothing, got {config.translate_url!r}")
    if config.translate_timeout <= 0:
        raise ConfigError(f"translate_timeout: must be greater than 0, got {config.translate_timeout!r}")
    if not 0 < config.port < 65536:
        raise ConfigError(f"port: expected 1-65535, got {config.port!r}")


#: Flask-Limiter's rate notation ("10 per hour", "10/hour", "3 per day;10 per month"), checked here without
#: importing it: the configuration is loaded by every command, most of which never rate-limit anything.
RATE = re.compile(
    r"\s*\d+\s*(?:/|per)\s*(?:\d+\s*)?(?:second|minute|hour|day|month|year)s?\s*"
    r"(?:[;,]\s*\d+\s*(?:/|per)\s*(?:\d+\s*)?(?:second|minute|hour|day|month|year)s?\s*)*"
)


def is_mail_from(value: str) -> bool:
    """Accept one address, bare or with a display name; the rule is that of a simple e-mail address.

    One `@`, a local part and a domain with a dot, no spaces or angle brackets inside: the
    same rule as subscribers' addresses, so that a sender that would be refused as a
    subscriber is refused here too.
    """
    addresses = getaddresses([value or ""])
    if len(addresses) != 1:
        return False
    address = addresses[0][1]
    local, at, domain = address.rpartition("@")
    return bool(
        at
        and local
        and "." in domain.strip(".")
        and "@" not in local
        and not any(c.isspace() or c in "<>" for c in address)
    )


def check_db_path(config: Config) -> None:
    """Refuse a `db` that is a directory, or whose directory does not exist (a typo creates nothing).

    Called at start by the commands that open the database; `wire init` creates the directory
    instead. Not part of `load_config`, which also runs where no database is opened.
    """
    path = config.db
    if str(path) == ":memory:":
        return
    if path.is_dir():
        raise ConfigError(
            f"db: {str(path)!r} is a directory; expected a database file such as {str(path / 'wire.db')!r}"
        )
    parent = path.parent
    if not parent.is_dir():
        raise ConfigError(
            f"db: the directory {str(parent)!r} does not exist; create it, "
            f"or run `wire init` to create it with the database"
        )


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse_draft_at(value: str) -> tuple[int, int, int]:
    """Read 'mon 06:00' as (weekday 0-6, hour, minute)."""
    try:
        day, clock = value.strip().lower().split()
        hour, minute = (int(part) for part in clock.split(":"))
        if day[:3] not in WEEKDAYS or not (0 <= hour < 24 and 0 <= minute < 60):
            raise ValueError
    except ValueError:
        raise ConfigError(f"draft_at: expected a weekday and a time such as 'mon 06:00', got {value!r}") from None
    return WEEKDAYS.index(day[:3]), hour, minute


def find_config_file(explicit: str | os.PathLike | None, environ: dict[str, str]) -> Path | None:
    """Pick the file: --config, then WIRE_CONFIG, then ./wire.toml when present."""
    if explicit:
        return Path(explicit)
    if environ.get("WIRE_CONFIG"):
        return Path(environ["WIRE_CONFIG"])
    default = Path("wire.toml")
    return default if default.exists() else None


def load_config(
    path: str | os.PathLike | None = None, environ: dict[str, str] | None = None, **overrides: Any
) -> Config:
    """Build the configuration from defaults, the file, the environment and `overrides`, in that order."""
    environ = dict(os.environ if environ is None else environ)
    fields = {f.name: f for f in dataclasses.fields(Config)}
    values: dict[str, Any] = {}
    file = find_config_file(path, environ)
    if file is not None:
        if not file.exists():
            raise ConfigError(f"config: file {str(file)!r} does not exist")
        try:
            data = tomllib.loads(file.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise ConfigError(f"config: {file} is not valid TOML ({error})") from None
        for key, value in data.items():
            if key not in fields:
                raise ConfigError(f"{key}: unknown key in {file} (known: {', '.join(sorted(fields))})")
            values[key] = _coerce(key, fields[key].type, value)
    for key, spec in fields.items():
        env_key = f"WIRE_{key.upper()}"
        if env_key in environ:
            values[key] = _coerce(env_key, spec.type, environ[env_key])
    for key, value in overrides.items():
        if key not in fields:
            raise ConfigError(f"{key}: unknown configuration key")
        values[key] = _coerce(key, fields[key].type, value) if value is not None else None
    values = {k: v for k, v in values.items() if v is not None}
    config = Config(**values)
    _validate(config)
    return config


@dataclass(frozen=True)
class Setting:
    """One configuration key as documented: `wire init` writes these, the README tabulates them."""

    name: str
    default: str  # as written in TOML
    help: str
    section: str

    @property
    def env(self) -> str:
        return f"WIRE_{self.name.upper()}"


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(_toml_value(part) for part in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)  # a TOML basic string


def _field_comments() -> dict[str, tuple[str, str]]:
    """Read each field's trailing comment and its `# -- section` from the source of `Config`.

    The comments beside the fields are the documentation; reading them here means
    `wire init` and the README table cannot drift from the code.
    """
    comments: dict[str, tuple[str, str]] = {}
    section, line_name = "", None
    tokens = tokenize.generate_tokens(io.StringIO(inspect.getsource(Config)).readline)
    for token in tokens:
        if token.type == tokenize.COMMENT and token.string.startswith("# --"):
            section = token.string[4:].strip()
        elif token.type == tokenize.NAME and token.start[1] == 4 and line_name is None:
            line_name = token.string
        elif token.type == tokenize.COMMENT and line_name:
            comments[line_name] = (token.string.lstrip("#").strip(), section)
        if token.type == tokenize.NEWLINE:  # the end of a field, which may span lines (its comment on any of them)
            line_name = None
    return comments


def describe_settings() -> list[Setting]:
    """Every key of `Config` with its default, its one-line comment and its section, in order."""
    comments = _field_comments()
    defaults = Config()
    return [
        Setting(f.name, _toml_value(getattr(defaults, f.name)), *comments.get(f.name, ("", "")))
        for f in dataclasses.fields(Config)
    ]


def config_file_text() -> str:
    """A wire.toml with every key at its default and a one-line comment, grouped by section."""
    lines = [
        "# Solidarity Wire configuration. Every key is shown with its default; change what you need.",
        "# Each key can also be set in the environment as WIRE_<KEY>, e.g. WIRE_DB=/srv/wire/wire.db.",
    ]
    section = None
    for setting in describe_settings():
        if setting.section != section:
            section = setting.section
            lines += ["", f"# -- {section}"]
        lines += [f"# {setting.help}", f"{setting.name} = {setting.default}"]
    return "\n".join(lines) + "\n"
