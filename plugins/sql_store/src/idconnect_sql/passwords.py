"""Password hashing in the scheme a store uses; no hand-rolled crypto primitives.

- ``argon2id`` (default): argon2-cffi's ``PasswordHasher``, PHC string ``$argon2id$...``;
- ``bcrypt``: the ``bcrypt`` package, ``$2b$...``;
- ``pbkdf2_sha256``: Django's format ``pbkdf2_sha256$<iterations>$<salt>$<base64 hash>``, derived
  with :func:`hashlib.pbkdf2_hmac`.
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

__all__ = ["SCHEMES", "hash_password", "verify_password"]

PBKDF2_ITERATIONS = 600_000
"""Django 4.2's default iteration count for ``pbkdf2_sha256``."""

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


def hash_password(scheme: str, password: str) -> str:
    """Hash a password in the given scheme.

    :param scheme: one of :data:`SCHEMES`.
    :param password: the clear-text password.
    :returns: the encoded hash, self-describing (salt and cost inside).
    :raises KeyError: for an unknown scheme.
    :raises ValueError: when the scheme cannot take this password (bcrypt over 72 bytes).
    """
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
        _, iterations, salt, _ = encoded.split("$", 3)
        return hmac.compare_digest(_pbkdf2(password, salt, int(iterations)), encoded)
    return False
