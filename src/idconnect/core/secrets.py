"""Secrets in a config: which keys name one, which URLs hold one, and reading one safely.

**The key rule.** A store setting's key *names a secret* when one of its words (split at ``_``,
``-``, ``.`` and camelCase humps, any case) is ``pass``, ``pw``, ``pwd``, ``key``, ``otp``,
``totp`` or ``hotp``, or contains ``password``, ``passwd``, ``passphrase``, ``passcode``,
``secret``, ``token``, ``credential``, ``apikey`` or ``privatekey``: ``password``,
``bindPassword``, ``bind_pw``, ``db_pass``, ``apiKey``, ``client_secret``, ``dbpassword``,
``accessToken``, ``otp_code``. Such a key is refused as a
literal; the secret goes in ``<key>_env`` or ``<key>_file``. Not secrets, because the last word
says what the value is instead: ``*_env`` and ``*_file`` (where the secret is), ``*_url``,
``*_uri``, ``*_endpoint`` (where one is fetched: ``token_url``), ``*_column``, ``*_attribute``,
``*_attr``, ``*_field`` (where a store keeps one: ``key_column``), ``*_scheme``,
``*_algorithm``, ``*_policy``, ``*_length``, ``*_ttl`` (how one is handled:
``password_scheme``). One more key is known to be harmless: ``client_key``, the path of a TLS
client key file the rest store hands to its HTTP library (the key itself never sits in the
config). A secret spelt as one lower-case word around a short form (``bindpw``) is not caught.

**URLs.** A string setting that is a URL (``scheme://...``) is refused when its user info holds
a password (``postgresql://app:pw@db/idm``) or its query has a parameter whose name names a
secret by the rule above (``?password=``, ``?pass=``, ``?api_key=``).

**Reading.** A secret from ``<key>_env`` or ``<key>_file`` is one line of UTF-8 text: one
trailing newline (LF or CR LF) is dropped, and any other control character (a line
break, a tab, NUL, ...) refuses it. A secret file must be a regular file of at most
:data:`SECRET_FILE_LIMIT` bytes. Refusals never repeat the value.
"""

from __future__ import annotations

import os
import re
import stat
import unicodedata
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from idconnect.core.model import Secret

__all__ = [
    "SECRET_FILE_LIMIT",
    "DeferredSecret",
    "SecretRefused",
    "check_secret_text",
    "is_secret_key",
    "read_secret_file",
    "url_secret",
]

SECRET_FILE_LIMIT = 64 * 1024
"""The largest secret file read, in bytes."""

_CONTAINED = (
    "password",
    "passwd",
    "passphrase",
    "passcode",
    "secret",
    "token",
    "credential",
    "apikey",
    "privatekey",
)
_WHOLE_WORDS = frozenset({"pass", "pw", "pwd", "key", "otp", "totp", "hotp"})
_QUALIFIERS = frozenset(
    {
        "env",
        "file",
        "url",
        "uri",
        "endpoint",
        "column",
        "attribute",
        "attr",
        "field",
        "scheme",
        "algorithm",
        "policy",
        "length",
        "ttl",
    }
)
_HARMLESS = frozenset({"client_key"})
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")
_LINE_END = re.compile(r"\r?\n\Z")


class SecretRefused(ValueError):
    """A secret's text or file is not acceptable; the message says why, never the value."""


def _words(key: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(key)]


def is_secret_key(key: str) -> bool:
    """Tell whether a setting's key names a secret, by the rule in this module's doc.

    :param key: a settings key as written, e.g. ``bindPassword`` or ``token_url``.
    :returns: ``True`` when a literal value under this key must be refused.
    """
    words = _words(key)
    if not words or key.lower() in _HARMLESS or words[-1] in _QUALIFIERS:
        return False
    return any(w in _WHOLE_WORDS or any(c in w for c in _CONTAINED) for w in words)


def url_secret(value: str) -> str | None:
    """Tell whether a URL holds a password, in its user info or its query.

    :param value: any string; only ``scheme://...`` strings are looked at.
    :returns: ``None`` when it holds none, else what holds one (``"its user info"`` or
        ``"its query parameter 'password'"``), for an error message.
    """
    if not _URL.match(value):
        return None
    try:
        parts = urlsplit(value)
        password = parts.password
    except ValueError:
        return None
    if password:
        return "its user info"
    for name, _ in parse_qsl(parts.query, keep_blank_values=True):
        if is_secret_key(name):
            return f"its query parameter {name!r}"
    return None


# The codec errors hold the secret itself: they are dropped here, so that no refusal carries one
# as its __context__.
def _encodes(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _decoded(data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def check_secret_text(text: str) -> str:
    """Check a secret's text and drop one trailing newline.

    :param text: the text from an environment variable or a file.
    :returns: the text without its trailing LF or CR LF.
    :raises SecretRefused: when it is empty, is not valid UTF-8 (an environment variable's
        undecodable bytes), or holds a control or line-separator character.
    """
    text = _LINE_END.sub("", text, count=1)
    if not text:
        raise SecretRefused("is empty")
    if not _encodes(text):
        raise SecretRefused("is not valid UTF-8 text")
    for char in text:
        if unicodedata.category(char) in ("Cc", "Zl", "Zp"):
            raise SecretRefused(
                "holds a line break or another control character "
                f"(U+{ord(char):04X}); a secret is one line of text"
            )
    return text


def read_secret_file(path: Path) -> str:
    """Read a secret file: a regular file of UTF-8 text, at most :data:`SECRET_FILE_LIMIT` bytes.

    :param path: the file (``~`` already expanded).
    :returns: the checked secret (see :func:`check_secret_text`).
    :raises SecretRefused: when the file cannot be read, is not a regular file (a device such as
        ``/dev/zero``, a pipe, a folder), is larger than the limit, is not UTF-8 text, or fails
        :func:`check_secret_text`.
    """
    try:
        with path.open("rb") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                raise SecretRefused("is not a regular file")
            data = fh.read(SECRET_FILE_LIMIT + 1)
    except OSError as exc:
        raise SecretRefused(f"cannot be read: {exc.strerror}") from None
    if len(data) > SECRET_FILE_LIMIT:
        raise SecretRefused(f"is larger than {SECRET_FILE_LIMIT // 1024} KiB")
    text = _decoded(data)
    if text is None:
        raise SecretRefused("is not UTF-8 text")
    return check_secret_text(text)


class DeferredSecret(Secret):
    """A secret read at its first :meth:`reveal`.

    So one store's missing secret fails only the calls that need it.

    :param load: returns the secret's text, or raises the error to show (a ``ConfigError``
        naming store and key); called again on each ``reveal`` until it succeeds.
    """

    __slots__ = ("_load",)

    def __init__(self, load: Callable[[], str]) -> None:
        self._load = load

    def reveal(self) -> str:
        """Return the secret, reading it on the first call.

        :returns: the secret's text.
        :raises ConfigError: whatever ``load`` raises (naming store and key, never the value).
        """
        try:
            return self._value
        except AttributeError:
            self._value = self._load()
            return self._value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other.reveal() == self.reveal()

    def __hash__(self) -> int:
        return hash(self.reveal())
