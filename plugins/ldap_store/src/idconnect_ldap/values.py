"""Value conversions between LDAP attribute syntaxes and canonical Python values.

Generalized Time (RFC 4517 §3.3.13) for OpenLDAP, and Active Directory's own encodings:
FILETIME integers (100 ns ticks since 1601-01-01 UTC), ``objectGUID`` bytes (little-endian
UUID fields), ``userAccountControl`` bits and the ``unicodePwd`` encoding (the password in double
quotes, UTF-16-LE).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

__all__ = [
    "ADMIN_LOCK",
    "UAC_ACCOUNTDISABLE",
    "ceil_second",
    "filetime_to_datetime",
    "format_generalized_time",
    "guid_from_bytes",
    "guid_to_bytes",
    "parse_generalized_time",
    "uac_is_disabled",
    "uac_with_disabled",
    "unicode_pwd",
]

ADMIN_LOCK = "000001010000Z"
"""The ppolicy ``pwdAccountLockedTime`` value that locks an account until an admin unlocks it."""
UAC_ACCOUNTDISABLE = 0x2
"""The ``userAccountControl`` bit of a disabled Active Directory account."""
_FILETIME_EPOCH = datetime(1601, 1, 1, tzinfo=UTC)


def parse_generalized_time(text: str) -> datetime | None:
    """Parse a Generalized Time value into an aware UTC datetime (milliseconds kept).

    :param text: e.g. ``20240501120000Z``, ``20240501120000.123456Z`` or ``20240501140000+0200``.
    :returns: the instant, or ``None`` for ppolicy's administrative lock value (year 0000).
    :raises ValueError: when the text is not Generalized Time.
    """
    body, zone = text, "Z"
    if text.endswith("Z"):
        body = text[:-1]
    elif len(text) > 5 and text[-5] in "+-":
        body, zone = text[:-5], text[-5:]
    main, _, fraction = body.replace(",", ".").partition(".")
    if len(main) not in (10, 12, 14) or not main.isdigit() or (fraction and not fraction.isdigit()):
        raise ValueError(f"not a Generalized Time value: {text!r}")
    if main.startswith("0000"):
        return None
    main = main.ljust(14, "0")
    parsed = datetime(
        int(main[0:4]),
        int(main[4:6]),
        int(main[6:8]),
        int(main[8:10]),
        int(main[10:12]),
        int(main[12:14]),
        tzinfo=UTC,
    )
    if fraction:
        millis = int((fraction + "000")[:3])
        parsed = parsed.replace(microsecond=millis * 1000)
    if zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        parsed -= sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[3:5]))
    return parsed


def format_generalized_time(value: datetime) -> str:
    """Format an aware datetime as whole-second UTC Generalized Time (``YYYYMMDDHHMMSSZ``).

    :param value: an aware datetime; sub-second parts are dropped (callers round first).
    :returns: the text.
    """
    return value.astimezone(UTC).strftime("%Y%m%d%H%M%SZ")


def ceil_second(value: datetime) -> datetime:
    """Round an instant up to the next whole second (unchanged when already whole).

    :param value: an aware datetime.
    :returns: the rounded instant.
    """
    whole = value.replace(microsecond=0)
    return whole if whole == value else whole + timedelta(seconds=1)


def filetime_to_datetime(ticks: int) -> datetime | None:
    """Convert an AD FILETIME (``lastLogonTimestamp``, ``pwdLastSet``) to an aware datetime.

    :param ticks: 100-nanosecond intervals since 1601-01-01 UTC.
    :returns: the instant (milliseconds kept), or ``None`` for 0 and "never" (2**63 - 1).
    """
    if ticks <= 0 or ticks >= 2**63 - 1:
        return None
    micros = ticks // 10
    value = _FILETIME_EPOCH + timedelta(microseconds=micros)
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


def guid_from_bytes(raw: bytes) -> str:
    """Turn AD ``objectGUID`` bytes into the canonical lower-case UUID text.

    :param raw: 16 bytes, the first three fields little-endian (Microsoft GUID layout).
    :returns: e.g. ``"3f2504e0-4f89-11d3-9a0c-0305e82c3301"``.
    :raises ValueError: when ``raw`` is not 16 bytes.
    """
    return str(uuid.UUID(bytes_le=bytes(raw)))


def guid_to_bytes(text: str) -> bytes:
    """Turn canonical UUID text into AD ``objectGUID`` bytes (for a filter).

    :param text: a UUID in any case.
    :returns: 16 bytes in the Microsoft GUID layout.
    :raises ValueError: when ``text`` is not a UUID.
    """
    return uuid.UUID(text).bytes_le


def uac_is_disabled(flags: int) -> bool:
    """Whether a ``userAccountControl`` value has the ACCOUNTDISABLE bit.

    :param flags: the attribute's integer value.
    :returns: ``True`` when the account is disabled.
    """
    return bool(flags & UAC_ACCOUNTDISABLE)


def uac_with_disabled(flags: int, disabled: bool) -> int:
    """Set or clear the ACCOUNTDISABLE bit, keeping every other bit.

    :param flags: the current ``userAccountControl`` value.
    :param disabled: whether the account should be disabled.
    :returns: the new value.
    """
    return flags | UAC_ACCOUNTDISABLE if disabled else flags & ~UAC_ACCOUNTDISABLE


def unicode_pwd(password: str) -> bytes:
    """Encode a password for AD's ``unicodePwd`` (only accepted over LDAPS / a sealed bind).

    :param password: the new password.
    :returns: the password in double quotes, UTF-16-LE encoded.
    """
    return f'"{password}"'.encode("utf-16-le")
