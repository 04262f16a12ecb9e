"""Account activity: what happened to an account, as the store saw it or the hub audited it.

An :class:`ActivityRecord` is one entry of an account's timeline. Store-side records
(``source = "store"``) say what the customer did or met: logins that succeeded or failed (when,
from which IP, with which browser), lockouts, password changes and resets, authenticator
enrolments, sessions. Audit records (``source = "audit"``, kind ``admin``) are the hub's audit
events about the account: who of support did what, why, which attributes changed, how it went.

An activity record never holds a secret: its ``detail`` is a short text or a small map of short
texts whose keys must not name a secret (the rule of :func:`idconnect.core.secrets.is_secret_key`:
``password``, ``otp_code``... are refused, ``password_scheme`` is not).
"""

from __future__ import annotations

import enum
import hashlib
import ipaddress
import json
from collections.abc import Mapping, Set
from datetime import UTC, datetime
from typing import Any

import attrs
from attrs import field, frozen

from idconnect.core.instants import format_instant
from idconnect.core.secrets import is_secret_key
from idconnect.core.validators import CONTROL, aware, non_empty, short_text

__all__ = [
    "MAX_DETAIL_KEYS",
    "MAX_DETAIL_TEXT",
    "MAX_DETAIL_VALUE",
    "MAX_USER_AGENT",
    "STORE_KINDS",
    "ActivityKind",
    "ActivityRecord",
    "ActivitySource",
    "Detail",
    "activity_fingerprint",
    "check_detail",
    "check_ip",
    "decode_detail",
    "encode_detail",
]

MAX_USER_AGENT = 512
"""The longest user agent kept, in characters."""
MAX_DETAIL_TEXT = 512
"""The longest detail text, in characters."""
MAX_DETAIL_KEYS = 16
"""The most keys a detail map holds."""
MAX_DETAIL_KEY = 64
"""The longest key of a detail map."""
MAX_DETAIL_VALUE = 256
"""The longest value of a detail map."""
_MAX_TEXT = 512

Detail = str | Mapping[str, str]
"""What an activity record's ``detail`` may be: a short text or a small map of short texts."""


class ActivityKind(enum.StrEnum):
    """What an activity record is about (a closed vocabulary)."""

    LOGIN_SUCCEEDED = "login_succeeded"
    LOGIN_FAILED = "login_failed"
    LOCKOUT = "lockout"
    PASSWORD_CHANGED = "password_changed"
    PASSWORD_RESET = "password_reset"
    AUTHENTICATOR_ENROLLED = "authenticator_enrolled"
    AUTHENTICATOR_REMOVED = "authenticator_removed"
    SESSION_STARTED = "session_started"
    SESSION_ENDED = "session_ended"
    ADMIN = "admin"
    """An event of the hub's audit trail (never a store-side record)."""


STORE_KINDS = frozenset(kind for kind in ActivityKind if kind is not ActivityKind.ADMIN)
"""The kinds a store keeps (every kind but ``admin``)."""


class ActivitySource(enum.StrEnum):
    """Where an activity record comes from."""

    STORE = "store"
    """The store's own activity (its table, the directory's access log)."""
    AUDIT = "audit"
    """The hub's audit trail."""


def _text_ok(value: Any, most: int) -> bool:
    return isinstance(value, str) and 0 < len(value) <= most and not CONTROL.search(value)


def check_detail(value: Any) -> str | dict[str, str] | None:
    """Check an activity record's detail.

    :param value: ``None``, a text of at most :data:`MAX_DETAIL_TEXT` characters, or a map of
        at most :data:`MAX_DETAIL_KEYS` keys (each at most 64 characters) to texts of at most
        :data:`MAX_DETAIL_VALUE` characters; no control characters anywhere.
    :returns: the text, or a new dict with the keys sorted.
    :raises ValueError: otherwise, and for a key naming a secret (the value is never repeated).
    """
    if value is None:
        return None
    if isinstance(value, str):
        if not _text_ok(value, MAX_DETAIL_TEXT):
            raise ValueError(
                f"detail must be non-empty text of at most {MAX_DETAIL_TEXT} characters"
                " without control characters"
            )
        return value
    if not isinstance(value, Mapping):
        raise ValueError("detail must be a text or a map of texts")
    if len(value) > MAX_DETAIL_KEYS:
        raise ValueError(f"detail holds more than {MAX_DETAIL_KEYS} keys")
    for key, text in value.items():
        if not _text_ok(key, MAX_DETAIL_KEY):
            raise ValueError(f"detail keys must be short texts (at most {MAX_DETAIL_KEY})")
        if is_secret_key(key):
            raise ValueError(f"detail key {key!r} names a secret; activity never holds one")
        if not _text_ok(text, MAX_DETAIL_VALUE):
            raise ValueError(
                f"detail value of {key!r} must be non-empty text of at most"
                f" {MAX_DETAIL_VALUE} characters without control characters"
            )
    return {key: value[key] for key in sorted(value)}


def check_ip(value: Any) -> str | None:
    """Check an IP address (v4 or v6) and return it in its normal form.

    :param value: ``None`` or the address as text.
    :returns: ``None``, or the address as :mod:`ipaddress` writes it (``::1``, ``192.0.2.1``).
    :raises ValueError: when it is not an IP address (the text is not repeated).
    """
    if value is None:
        return None
    try:
        return str(ipaddress.ip_address(value if isinstance(value, str) else ""))
    except ValueError:
        raise ValueError("ip must be an IPv4 or IPv6 address") from None


def encode_detail(detail: str | Mapping[str, str] | None) -> str | None:
    """Write a checked detail as one text column: a text as is, a map as a JSON object.

    :param detail: the record's detail.
    :returns: the text, or ``None``.
    """
    if detail is None or isinstance(detail, str):
        return detail
    return json.dumps(dict(detail), ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def decode_detail(text: str | None) -> str | dict[str, str] | None:
    """Read a detail column written by :func:`encode_detail` or by an application directly.

    A JSON object of texts is a map; anything else is a text. What could not have been written
    through the facade is made to fit: keys naming a secret and values that are not texts are
    dropped, over-long texts cut; so a row an application inserted never shows a secret here.

    :param text: the column's value.
    :returns: the detail, or ``None`` when nothing is left.
    """
    if text is None or not text.strip():
        return None
    parsed: Any = None
    if text.lstrip().startswith("{"):
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
    if not isinstance(parsed, dict):
        return CONTROL.sub(" ", text)[:MAX_DETAIL_TEXT]
    kept = {
        CONTROL.sub(" ", k)[:MAX_DETAIL_KEY]: CONTROL.sub(" ", v)[:MAX_DETAIL_VALUE]
        for k, v in parsed.items()
        if isinstance(v, str) and k.strip() and v.strip() and not is_secret_key(k)
    }
    return {k: kept[k] for k in sorted(kept)[:MAX_DETAIL_KEYS]} or None


def _kind(value: ActivityKind | str) -> ActivityKind:
    try:
        return ActivityKind(value)
    except ValueError:
        raise ValueError(
            f"unknown activity kind {value!r} (known: {', '.join(ActivityKind)})"
        ) from None


def _utc(value: datetime) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("at must be a timezone-aware datetime")
    return value.astimezone(UTC)


def _user_agent(_: Any, attribute: attrs.Attribute[Any], value: str | None) -> None:
    if value is not None and not _text_ok(value, MAX_USER_AGENT):
        raise ValueError(
            f"user_agent must be non-empty text of at most {MAX_USER_AGENT} characters"
            " without control characters"
        )


def _names(value: Any) -> tuple[str, ...]:
    return tuple(value) if value is not None else ()


@frozen(kw_only=True)
class ActivityRecord:
    """One entry of an account's activity timeline."""

    id: str = field(validator=non_empty)
    """The record's id, unique within its source (an audit record's is the event's id)."""
    account_id: str = field(validator=non_empty)
    """The account it concerns."""
    kind: ActivityKind = field(converter=_kind)
    """What happened; ``admin`` exactly for audit records."""
    at: datetime = field(converter=_utc, validator=aware)
    """When it happened (aware, in UTC)."""
    source: ActivitySource = field(default=ActivitySource.STORE, converter=ActivitySource)
    """``store`` or ``audit``."""
    ip: str | None = field(default=None, converter=check_ip)
    """The client's IP address, in its normal form, when known."""
    user_agent: str | None = field(default=None, validator=_user_agent)
    """The client's user agent (browser), when known."""
    detail: str | dict[str, str] | None = field(default=None, converter=check_detail, hash=False)
    """A short text or a small map of short texts (never a secret)."""
    actor: str | None = field(default=None, validator=short_text(_MAX_TEXT))
    """Audit records: the acting admin."""
    reason: str | None = None
    """Audit records: why, as the admin said."""
    action: str | None = field(default=None, validator=short_text(64))
    """Audit records: the operation, e.g. ``disable_account``."""
    changed: tuple[str, ...] = field(default=(), converter=_names)
    """Audit records: the names of the attributes changed (never their values)."""
    outcome: str | None = field(default=None, validator=short_text(16))
    """Audit records: ``succeeded``, ``failed``, ``denied`` or ``indeterminate``."""

    def __attrs_post_init__(self) -> None:
        if (self.kind is ActivityKind.ADMIN) != (self.source is ActivitySource.AUDIT):
            raise ValueError("kind 'admin' is for audit records, and audit records only")

    @property
    def timeline_key(self) -> tuple[datetime, str, str]:
        """The record's place in a timeline, newest first by sorting this key descending.

        :returns: ``(at, source, id)``: ties in time put store records before audit ones, then
            order by id (code points), which is how a store orders its own ties.
        """
        return (self.at, self.source.value, self.id)


def activity_fingerprint(
    store_kind: str,
    account_id: str,
    since: datetime | None,
    until: datetime | None,
    kinds: Set[ActivityKind] | None,
) -> str:
    """Return what ties an activity cursor to the listing it pages (for backends' cursors).

    :param store_kind: the backend's own prefix (``sql``, ``ldap``), so cursors do not cross.
    :param account_id: the account.
    :param since: the listing's lower bound.
    :param until: its upper bound.
    :param kinds: its kinds, or ``None`` for all.
    :returns: a short digest to pass to :func:`~idconnect.core.query.wrap_position`.
    """
    text = "\x1f".join(
        (
            account_id,
            format_instant(since) if since else "",
            format_instant(until) if until else "",
            ",".join(sorted(kinds)) if kinds is not None else "*",
        )
    )
    return f"{store_kind}-activity:" + hashlib.sha256(text.encode()).hexdigest()[:16]
