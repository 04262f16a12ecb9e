"""Directory entries as the backend reads them, and the checks every written value passes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from idconnect.backend import InvalidInput

__all__ = ["Entry", "Raw", "check_value", "first_value", "text_values"]

Entry = dict[str, Any]
"""One ldap3 response item."""


def text_values(values: Sequence[bytes] | None) -> list[str]:
    """Decode raw attribute values as UTF-8.

    :param values: raw values (or ``None``).
    :returns: the texts, in the server's order.
    """
    return [v.decode("utf-8") for v in values or ()]


def first_value(values: Sequence[bytes] | None) -> str | None:
    """Decode the first raw value.

    :param values: raw values (or ``None``).
    :returns: the first as text, ``None`` when there is none.
    """
    return values[0].decode("utf-8") if values else None


class Raw:
    """An entry's DN and raw attributes, with attribute names matched ignoring case.

    :param item: an ldap3 ``searchResEntry`` response item.
    """

    __slots__ = ("attrs", "dn")

    def __init__(self, item: Entry) -> None:
        self.dn: str = item["dn"]
        self.attrs: dict[str, list[bytes]] = {
            k.lower(): list(v) for k, v in item.get("raw_attributes", {}).items()
        }

    def get(self, name: str) -> list[bytes]:
        """Return an attribute's raw values.

        :param name: the attribute name, in any case.
        :returns: the values (empty when absent).
        """
        return self.attrs.get(name.lower(), [])

    def first(self, name: str) -> str | None:
        """Return an attribute's first value as text.

        :param name: the attribute name, in any case.
        :returns: the value, ``None`` when absent.
        """
        return first_value(self.attrs.get(name.lower()))


def check_value(value: str, what: str) -> str:
    """Refuse text the directory would not keep as given.

    :param value: the text.
    :param what: the canonical attribute it is for (named in the error).
    :returns: ``value``.
    :raises InvalidInput: for NUL, line breaks, or leading, trailing or repeated spaces.
    """
    if "\x00" in value or value != " ".join(value.split()):
        raise InvalidInput(
            f"{what} must not hold NUL, line breaks, or leading, trailing or repeated spaces"
            " (the directory would not keep them apart)",
            attribute=what,
        )
    return value
