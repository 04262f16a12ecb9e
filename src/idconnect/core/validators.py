"""attrs validators the model classes share: aware instants, non-empty and printable text."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import attrs

__all__ = ["CONTROL", "aware", "non_empty", "short_text"]

CONTROL = re.compile(r"[\x00-\x1f\x7f]")
"""Control characters, refused in every short text a person types (ids, reasons, notes)."""


def aware(_: Any, attribute: attrs.Attribute[Any], value: datetime | None) -> None:
    """Refuse a naive datetime (``None`` passes).

    :raises ValueError: naming the attribute.
    """
    if value is not None and (value.tzinfo is None or value.utcoffset() is None):
        raise ValueError(f"{attribute.name} must be a timezone-aware datetime, got {value!r}")


def non_empty(_: Any, attribute: attrs.Attribute[Any], value: str) -> None:
    """Refuse empty or blank text.

    :raises ValueError: naming the attribute.
    """
    if not value or not value.strip():
        raise ValueError(f"{attribute.name} must not be empty")


def short_text(most: int) -> Any:
    """Build a validator of non-blank text of at most ``most`` characters without control ones.

    :param most: the longest accepted text.
    :returns: the validator; ``None`` passes (declare the field optional to allow it).
    """

    def check(_: Any, attribute: attrs.Attribute[Any], value: str | None) -> None:
        if value is None:
            return
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"{attribute.name} must be non-empty text")
        if len(value) > most or CONTROL.search(value):
            raise ValueError(
                f"{attribute.name} must be at most {most} characters without control characters"
            )

    return check
