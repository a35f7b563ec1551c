"""Errors of sending, each one line for the CLI (exit status 2), none naming a subscriber.

WireError (aggregator.exceptions)
├── ConfigError
│   └── InsecureSmtp       a password would cross an unencrypted connection
├── ConflictError
│   └── SenderBusy         another process holds the edition
└── SmtpUnavailable        the SMTP server cannot be reached or refuses us; the edition is resumable
"""

from __future__ import annotations

from aggregator.exceptions import ConfigError, ConflictError, WireError


class InsecureSmtp(ConfigError):
    """The server offers no TLS and the URL carries a password: nothing is sent."""


class SenderBusy(ConflictError):
    """Another `send` holds the edition."""


class SmtpUnavailable(WireError):
    """Connecting, TLS or login failed; rows already sent stay sent, the rest wait for the next run."""
