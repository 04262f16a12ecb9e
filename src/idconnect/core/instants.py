"""Instants: parse and format the dateTime values of SCIM (RFC 7643 §2.3.5, xsd:dateTime)."""

from __future__ import annotations

from datetime import UTC, date, datetime

__all__ = ["format_instant", "parse_instant", "utc_now"]


def parse_instant(text: str) -> datetime:
    """Parse an ISO 8601 date or date-time into an aware UTC ``datetime``.

    A trailing ``Z`` means UTC; a date-time without an offset, or a bare date, is taken as UTC.

    :param text: e.g. ``2024-05-01T12:00:00Z``, ``2024-05-01T14:00:00+02:00`` or ``2024-05-01``.
    :returns: the instant, in UTC.
    :raises ValueError: when the text is not an ISO 8601 date or date-time.
    """
    if not isinstance(text, str) or not text:
        raise ValueError(f"not a date-time: {text!r}")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        parsed = datetime.combine(date.fromisoformat(text), datetime.min.time())
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def format_instant(value: datetime) -> str:
    """Format an aware ``datetime`` as canonical UTC text, e.g. ``2024-05-01T12:00:00.5Z``.

    :param value: an aware datetime.
    :returns: ISO 8601 text in UTC with a ``Z`` suffix; microseconds only when non-zero.
    :raises ValueError: when ``value`` is naive.
    """
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r} has no instant")
    text = value.astimezone(UTC).isoformat()
    return text.replace("+00:00", "Z")


def utc_now() -> datetime:
    """Return the current instant, in UTC, truncated to milliseconds (what every store keeps)."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)
