"""Load the one configuration: defaults in code, then `wire.toml`, then environment variables.

Every key has a default here, so a fresh clone runs with no file at all. The file is
found from `--config`, then `WIRE_CONFIG`, then `./wire.toml` if it exists. Each key
can be overridden by `WIRE_<KEY>` in the environment (upper case), which is how tests,
the demo and containers set things. Values are checked when loaded; an error names the
key and the bad value (modelled on starlette's `Config` and miniflux's options).
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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
    site_name: str = "Solidarity Wire"
    contact_url: str = "http://127.0.0.1:8000/about"  # named in the crawler's User-Agent
    # -- mail
    smtp_url: str = "smtp://127.0.0.1:8025"  # smtp://[user:password@]host:port, smtps:// for TLS
    mail_from: str = "Solidarity Wire <newsletter@solidarity-wire.invalid>"
    send_rate: float = 10.0  # messages per second at most
    # -- collection
    allow_private_networks: bool = False  # fetch loopback/private addresses: demo and tests only
    allowed_hosts: tuple[str, ...] = ()  # when set, fetch only these hosts (the demo and tests: 127.0.0.1)
    crawl_per_host: int = 2  # concurrent requests to one host
    crawl_delay: float = 2.0  # seconds between requests to one host
    crawl_timeout: float = 30.0  # seconds per request
    max_response_bytes: int = 10 * 1024 * 1024  # bigger responses are refused
    max_items_per_feed: int = 200  # items taken from one feed in one run
    min_interval: int = 30 * 60  # seconds: the shortest polling interval of a source
    max_backoff: int = 24 * 3600  # seconds: errors never push the next fetch further than this
    failing_after: int = 3 * 24 * 3600  # seconds of failure before a source is marked failing
    # -- stories
    near_duplicate_threshold: float = 0.5  # MinHash Jaccard estimate at which two texts are one story
    containment_threshold: float = 0.7  # share of a shortened repost found in the original
    story_window_days: int = 10  # items further apart than this never join one story
    # -- editions
    languages: tuple[str, ...] = DEFAULT_LANGUAGES
    timezone: str = "Europe/Berlin"
    crawl_interval: int = 2 * 3600  # seconds between scheduled crawls in `wire serve`
    draft_at: str = "mon 06:00"  # weekday and local time when the week's edition is drafted
    section_cap: int = 8  # stories per section at most
    # -- web
    host: str = "127.0.0.1"
    port: int = 8000
    secret_key: str = field(default="", repr=False)  # signs unsubscribe links; generated if empty

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
    for key in ("crawl_per_host", "max_response_bytes", "max_items_per_feed", "min_interval",
                "max_backoff", "crawl_interval", "section_cap", "story_window_days"):
        if getattr(config, key) <= 0:
            raise ConfigError(f"{key}: must be greater than 0, got {getattr(config, key)!r}")
    for key in ("crawl_delay", "crawl_timeout", "send_rate"):
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
    try:
        ZoneInfo(config.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"timezone: unknown time zone {config.timezone!r}") from None
    parse_draft_at(config.draft_at)
    if not 0 < config.port < 65536:
        raise ConfigError(f"port: expected 1-65535, got {config.port!r}")


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


def load_config(path: str | os.PathLike | None = None, environ: dict[str, str] | None = None,
                **overrides: Any) -> Config:
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
