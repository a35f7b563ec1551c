"""What every command shares: the configuration and the database, opened lazily so that `--help` needs neither."""

from __future__ import annotations

import sqlite3

import click
import sqlite_utils

from aggregator.config import Config, check_db_path, load_config
from aggregator.db import open_db
from aggregator.exceptions import ConfigError, InvalidInput


class State:
    """Configuration and database of one invocation; the database is checked before it is opened."""

    def __init__(self, config_path: str | None):
        self.config_path = config_path
        self._config: Config | None = None
        self._db: sqlite_utils.Database | None = None

    @property
    def config(self) -> Config:
        if self._config is None:
            self._config = load_config(self.config_path)
        return self._config

    @property
    def db(self) -> sqlite_utils.Database:
        if self._db is None:
            self._db = self.open_db()
        return self._db

    def open_db(self, migrate: bool = True, create_directory: bool = False) -> sqlite_utils.Database:
        """Open the configured database; a path that cannot hold one is a ConfigError naming `db`."""
        path = self.config.db
        if create_directory and str(path) != ":memory:" and not path.is_dir():
            path.parent.mkdir(parents=True, exist_ok=True)
        check_db_path(self.config)
        try:
            return open_db(path, migrate=migrate)
        except sqlite3.DatabaseError as error:  # not a database, unreadable, locked for good
            raise ConfigError(f"db: cannot open {str(path)!r} as a database ({error})") from None


pass_state = click.make_pass_decorator(State)


def check_language(state: State, language: str) -> None:
    """Refuse a reader language the editions are not rendered in."""
    if language not in state.config.languages:
        raise InvalidInput(
            f"language {language!r} is not one of the edition languages ({', '.join(state.config.languages)})"
        )
