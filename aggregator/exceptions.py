"""Errors of the core, each saying what happened, with which value, and what to do next.

    WireError                      every error a user can cause or fix
    ├── ConfigError                a bad key or value in wire.toml or the environment
    ├── NotFound                   a source, item, story, edition or subscriber id that does not exist
    ├── InvalidInput               a value a user typed that cannot be used (URL, e-mail, week, language)
    └── ConflictError              an action that clashes with the current state (sending a sent edition)

The CLI prints `str(error)` as one line and exits with status 2; the web app answers 4xx.
"""


class WireError(Exception):
    """Base of every error a user can cause or fix."""


class ConfigError(WireError):
    """A configuration key has a value that cannot be used."""


class NotFound(WireError):
    """An id or name that does not exist in the database."""


class InvalidInput(WireError):
    """A value typed by a user that cannot be used."""


class ConflictError(WireError):
    """An action that the current state does not allow."""
