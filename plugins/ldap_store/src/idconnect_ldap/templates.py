"""Attributes every new account entry needs beyond the mapped ones, from the settings.

``new_entry_attributes`` gives fixed values or text with ``{userName}`` (or the allocated
number, e.g. ``{uidNumber}``) filled in (posix
``homeDirectory = "/home/{userName}"``, ``gidNumber = 10000``, ``loginShell``); ``allocate``
hands out a number from a range (posix ``uidNumber``): the first free number above the largest
one in use is taken, and after the entry is added the directory is asked again whether another
entry got the same number meanwhile (another process); if so the new entry is deleted and the
next number tried.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Sequence

import ldap3  # type: ignore[import-untyped]

from idconnect.backend import IdconnectError
from idconnect_ldap.entries import Raw, check_value
from idconnect_ldap.protocol import paged_entries
from idconnect_ldap.settings import Base, IdRange, Settings

__all__ = ["Allocator", "fill_templates"]


def fill_templates(settings: Settings, user_name: str, number: int | None) -> dict[str, list[str]]:
    """The configured attribute values of a new entry.

    :param settings: the store's settings.
    :param user_name: the new account's userName (already checked).
    :param number: the number allocated for the entry (``allocate``), if any.
    :returns: attribute values, ``{userName}`` and ``{<allocated attribute>}`` filled in.
    """
    check_value(user_name, "userName")
    fields = {"userName": user_name}
    if settings.id_range is not None and number is not None:
        fields[settings.id_range.attribute] = str(number)

    def fill(text: str) -> str:
        for key, value in fields.items():
            text = text.replace("{" + key + "}", value)
        return text

    return {name: [fill(v) for v in values] for name, values in settings.templates.items()}


class Allocator:
    """Hands out numbers of an :class:`IdRange`, checking the directory for collisions.

    :param id_range: the attribute and range.
    :param store: the store name, for errors.
    """

    def __init__(self, id_range: IdRange, store: str) -> None:
        self.range = id_range
        self.store = store
        self._next: int | None = None
        self._lock = threading.Lock()

    def _taken(self, conn: ldap3.Connection, bases: Sequence[Base], number: int) -> int:
        """How many entries under the bases hold ``number``."""
        count = 0
        for base in bases:
            conn.search(
                base.dn,
                f"({self.range.attribute}={number})",
                search_scope=ldap3.LEVEL if base.scope == "one" else ldap3.SUBTREE,
                attributes=["1.1"],
                size_limit=2,
            )
            count += sum(1 for i in conn.response or () if i.get("type") == "searchResEntry")
        return count

    def _highest(self, conn: ldap3.Connection, bases: Sequence[Base]) -> int:
        """The largest number in use within the range, or ``low - 1``."""
        r = self.range
        highest = r.low - 1
        for base in bases:
            for item in paged_entries(
                conn,
                base=base.dn,
                scope=base.scope,
                ldap_filter=f"(&({r.attribute}>={r.low})({r.attribute}<={r.high}))",
                attributes=[r.attribute],
                page_size=500,
                limit=None,
                controls=[],
                store=self.store,
            ):
                values = Raw(item).get(r.attribute)
                if values:
                    highest = max(highest, int(values[0]))
        return highest

    def candidate(self, conn: ldap3.Connection, bases: Sequence[Base]) -> int:
        """The next number no entry holds.

        :param conn: a pooled connection.
        :param bases: where to look (the user bases).
        :returns: the number.
        :raises IdconnectError: when the range is used up.
        """
        with self._lock:  # threads of one process never take the same number
            number = self._next if self._next is not None else self._highest(conn, bases) + 1
            while number <= self.range.high and self._taken(conn, bases, number):
                number += 1
            if number > self.range.high:
                raise IdconnectError(
                    f"every {self.range.attribute} from {self.range.low} to"
                    f" {self.range.high} is taken",
                    store=self.store,
                )
            self._next = number + 1
            return number

    def collided(self, conn: ldap3.Connection, bases: Sequence[Base], number: int) -> bool:
        """Whether another entry got ``number`` too (checked after the new entry was added).

        On a collision the next candidate moves a random step further, so that two processes
        that collided do not pick the same number again.

        :param conn: a pooled connection.
        :param bases: where to look (the user bases).
        :param number: the number just given.
        :returns: ``True`` when more than one entry holds it.
        """
        if self._taken(conn, bases, number) <= 1:
            return False
        with self._lock:
            self._next = max(self._next or 0, number + 1 + random.randrange(8))
        return True
