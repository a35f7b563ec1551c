"""Editors' passwords: what a good one needs, and argon2id hashes through argon2-cffi.

Pure: no database, no I/O. `PasswordHasher`'s defaults follow RFC 9106's low-memory
profile; when they change in a later argon2-cffi (or here), a successful login returns a
fresh hash to store (`verify_password`'s second value), so old hashes upgrade themselves.
"""

from __future__ import annotations

from argon2 import Parameters, PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from aggregator.exceptions import InvalidInput

MIN_LENGTH = 12  # a passphrase of three or four words; length beats symbol rules (NIST SP 800-63B)
MAX_LENGTH = 1024  # hashing a megabyte per try would be a cheap way to load the server

_hasher = PasswordHasher()  # argon2id, RFC 9106's low-memory profile (64 MiB, 3 passes, 4 lanes)
#: A hash of nothing anyone types: verified against when the address is unknown or locked,
#: so that those answers take as long as a wrong password does and reveal nothing.
_dummy_hash: str | None = None


def use_parameters(parameters: Parameters) -> None:
    """Hash with other argon2 parameters from now on (tests use `argon2.profiles.CHEAPEST`, as argon2-cffi advises).

    Hashes made before keep working and are re-hashed at the next login (`verify_password`).
    """
    global _hasher, _dummy_hash
    _hasher, _dummy_hash = PasswordHasher.from_parameters(parameters), None


def check_password(password: str) -> str:
    """Return the password if it can be used, else raise InvalidInput saying what it lacks."""
    if len(password) < MIN_LENGTH:
        raise InvalidInput(f"the password is too short: at least {MIN_LENGTH} characters, a few words work well")
    if len(password) > MAX_LENGTH:
        raise InvalidInput(f"the password is too long: at most {MAX_LENGTH} characters")
    if not password.strip():
        raise InvalidInput("the password is only spaces")
    return password


def hash_password(password: str) -> str:
    """The argon2id hash (with its salt and parameters) to store for a checked password."""
    return _hasher.hash(check_password(password))


def verify_password(stored_hash: str | None, password: str) -> tuple[bool, str | None]:
    """(right, new_hash): whether `password` matches, and a re-hash to store when the parameters changed.

    A missing or damaged hash is a wrong password, after the same work as a real check.
    """
    if not stored_hash:
        waste_time(password)
        return False, None
    try:
        _hasher.verify(stored_hash, password[:MAX_LENGTH])
    except VerifyMismatchError:
        return False, None
    except (VerificationError, InvalidHashError):
        waste_time(password)
        return False, None
    return True, (_hasher.hash(password) if _hasher.check_needs_rehash(stored_hash) else None)


def waste_time(password: str) -> None:
    """Do the work of one verification, for answers that must take as long as a wrong password."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = _hasher.hash("not a password: equalises the time of every refused login")
    try:
        _hasher.verify(_dummy_hash, password[:MAX_LENGTH])
    except VerificationError:
        pass
