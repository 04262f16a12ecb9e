"""Password hashing in the scheme a store uses; no hand-rolled crypto primitives.

- ``argon2id`` (default): argon2-cffi's ``PasswordHasher``, PHC string ``$argon2id$...``;
- ``bcrypt``: the ``bcrypt`` package, ``$2b$...``;
- ``pbkdf2_sha256``: Django's format ``pbkdf2_sha256$<iterations>$<salt>$<base64 hash>``, derived
  with :func:`hashlib.pbkdf2_hmac`; new hashes get :data:`PBKDF2_ITERATIONS` iterations unless the
  store says otherwise, and a hash of any iteration count verifies (the count is in the hash).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable

import bcrypt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

__all__ = [
    "PBKDF2_ITERATIONS",
    "PBKDF2_RANGE",
    "SCHEMES",
    "check_pbkdf2_iterations",
    "hash_password",
    "verify_password",
]

PBKDF2_ITERATIONS = 1_000_000
"""Django 5.2's default iteration count for ``pbkdf2_sha256``: what new hashes get by default."""
PBKDF2_RANGE = (100_000, 10_000_000)
"""The iteration counts a store may choose: from Django 2.0's default to some seconds a hash."""

_argon2 = PasswordHasher()


def _argon2id(password: str) -> str:
    return _argon2.hash(password)


def _bcrypt(password: str) -> str:
    raw = password.encode()
    if len(raw) > 72:
        raise ValueError("bcrypt uses at most 72 bytes of a password")
    return bcrypt.hashpw(raw, bcrypt.gensalt()).decode()


def _pbkdf2(password: str, salt: str | None = None, iterations: int = PBKDF2_ITERATIONS) -> str:
    salt = salt or secrets.token_urlsafe(16).replace("-", "").replace("_", "")[:22]
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), iterations)
    return f"pbkdf2_sha256${iterations}${salt}${base64.b64encode(digest).decode()}"


SCHEMES: dict[str, Callable[[str], str]] = {
    "argon2id": _argon2id,
    "bcrypt": _bcrypt,
    "pbkdf2_sha256": _pbkdf2,
}
"""Scheme name to its hashing function."""


def check_pbkdf2_iterations(value: object) -> int:
    """Check an iteration count for new ``pbkdf2_sha256`` hashes.

    :param value: the count, as configured.
    :returns: it, an int within :data:`PBKDF2_RANGE`.
    :raises ValueError: naming the allowed range, when it is not a whole number in it.
    """
    low, high = PBKDF2_RANGE
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"must be a whole number from {low} to {high}, got {value!r}")
    return value


def hash_password(scheme: str, password: str, *, pbkdf2_iterations: int = PBKDF2_ITERATIONS) -> str:
    """Hash a password in the given scheme.

    :param scheme: one of :data:`SCHEMES`.
    :param password: the clear-text password.
    :param pbkdf2_iterations: the iteration count of a ``pbkdf2_sha256`` hash (the other schemes
        use their library's default cost).
    :returns: the encoded hash, self-describing (salt and cost inside).
    :raises KeyError: for an unknown scheme.
    :raises ValueError: when the scheme cannot take this password (bcrypt over 72 bytes).
    """
    if scheme == "pbkdf2_sha256":
        return _pbkdf2(password, iterations=check_pbkdf2_iterations(pbkdf2_iterations))
    return SCHEMES[scheme](password)


def verify_password(encoded: str, password: str) -> bool:
    """Check a password against a hash of any of the supported schemes.

    :param encoded: the stored hash.
    :param password: the candidate.
    :returns: whether it matches.
    """
    if encoded.startswith("$argon2"):
        try:
            return _argon2.verify(encoded, password)
        except (VerificationError, InvalidHashError):
            return False
    if encoded.startswith("$2"):
        return bcrypt.checkpw(password.encode(), encoded.encode())
    if encoded.startswith("pbkdf2_sha256$"):
        parts = encoded.split("$")
        if len(parts) != 4 or not (parts[1].isascii() and parts[1].isdigit()) or parts[1] == "0":
            return False
        computed = _pbkdf2(password, parts[2], int(parts[1]))
        return hmac.compare_digest(computed.encode(), encoded.encode())
    return False
