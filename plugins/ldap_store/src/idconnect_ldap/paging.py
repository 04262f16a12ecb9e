"""Keyset paging by id: resumable cursors holding the last id seen, in flat memory.

A page is the ``count`` smallest ids after the cursor's, read with one of:

- id windows when the id attribute has an ORDERING rule (``entryUUID``'s
  ``UUIDOrderingMatch``), whatever controls the directory offers: the id space after the cursor
  is cut into windows ``[start, end)`` asked with ordering filters, reading at most
  ``2 * count + 1`` entries of each. The entries of a fuller window are real, so the window is
  narrowed to end at the one that completes the page (it holds enough, and time-based UUIDs,
  which cluster, need no guessing); the next window's width is scaled to hold about a page and
  a quarter at the density just seen. Entries are ordered here; at most one page and one window
  of entries are held. The last window width travels in the cursor, so a resumed page (in any
  process) starts at the right width (only a fresh walk's first page narrows from the whole id
  space). The server never sorts: with the sort control, slapd sorts *every* match for each
  page (about 190 ms of its CPU for a first page of 50 among 100,000 entries, against about
  50 ms scanning for the windows: ``benchmarks/ldap_store.py``);
- the Server Side Sort control (RFC 2891) when the id has no ordering rule (Active Directory's
  ``objectGUID``): each base is read sorted by id with ``(&(filter)(id>=last)(!(id=last)))``,
  and the bases are merged.

A first page is first asked for without either, with a size limit of ``count + 1``: when every
match fits in that one page, those few entries are ordered by id here and no cursor is returned.
Candidates are rechecked with the reference evaluator (LDAP may match more), so a page may hold
fewer than ``count`` items while ``next_cursor`` is set.
"""

from __future__ import annotations

import heapq
import uuid
from collections.abc import Callable
from typing import Any

import ldap3  # type: ignore[import-untyped]
from ldap3.utils.conv import escape_filter_chars  # type: ignore[import-untyped]

from idconnect.backend import InvalidInput, NotSupported, Page, Query, decode_cursor, encode_cursor
from idconnect_ldap.base import LdapBase
from idconnect_ldap.entries import Raw
from idconnect_ldap.expressions import Compiled, conjoin
from idconnect_ldap.protocol import SORT_OID, entries_within, paged_entries, sort_by
from idconnect_ldap.settings import Base

__all__ = ["PagingMixin"]

_SPACE = 1 << 128
"""The number of UUIDs: windows cut ``[0, 2**128)``."""

Build = Callable[[ldap3.Connection, list[Raw]], list[Any]]
Keep = Callable[[Any], bool]


def _uuid(number: int) -> str:
    return str(uuid.UUID(int=number))


class PagingMixin(LdapBase):
    """Searches with keyset cursors, for accounts and groups."""

    def _position(self, query: Query) -> tuple[str | None, int]:
        if query.cursor is None:
            return None, _SPACE
        position = decode_cursor(query)
        if isinstance(position, str):
            return position, _SPACE
        if (
            isinstance(position, list)
            and len(position) == 2
            and isinstance(position[0], str)
            and isinstance(position[1], int)
            and 1 <= position[1] <= _SPACE
        ):
            return position[0], position[1]
        raise InvalidInput("the cursor is not valid for this store", store=self.name)

    def search(
        self,
        query: Query,
        compiled: Compiled,
        *,
        bases: tuple[Base, ...],
        object_class: str,
        attributes: list[str],
        build: Build,
        keep: Keep,
    ) -> Page[Any]:
        """Answer one page of a search.

        :param query: the query (filter already compiled, count, cursor, total wanted).
        :param compiled: the compiled filter.
        :param bases: where to search.
        :param object_class: the entries' object class.
        :param attributes: what to read.
        :param build: turns entries into items (accounts or groups).
        :param keep: the reference evaluator's verdict on an item.
        :returns: the page.
        :raises NotSupported: for ``sortBy``, and for paging across calls on a directory with
            neither the sort control nor an ordered id.
        :raises InvalidInput: for a cursor that is not this query's.
        """
        if query.sort_by is not None:
            raise NotSupported(
                "this LDAP store cannot sort: the server-side sort control can neither put"
                " missing values last in both directions nor resume in another process",
                store=self.name,
                operation="sort",
            )
        after, width = self._position(query)
        matcher = conjoin([f"(objectClass={object_class})", compiled])
        if matcher is False:
            return Page(items=(), total=0 if query.include_total else None)

        def run(conn: ldap3.Connection) -> Page[Any]:
            if after is None and query.count < self.settings.page_size:
                few = self._all_within(conn, bases, str(matcher), attributes, query.count)
                if few is not None:  # one page holds every match: order it here, no cursor
                    found = [x for x in build(conn, sorted(few, key=self.order_key)) if keep(x)]
                    return Page(items=found, total=len(found) if query.include_total else None)
            items: list[Any] = []
            last, span = after, width
            exhausted = False
            while len(items) <= query.count and not exhausted:
                want = query.count + 1 - len(items)
                raws, span = self._ordered(conn, bases, matcher, attributes, last, want, span)
                exhausted = len(raws) < want
                if raws:
                    last = self.id_of(raws[-1])
                items.extend(x for x in build(conn, raws) if keep(x))
            more = len(items) > query.count
            page = items[: query.count]
            total = None
            if query.include_total and query.cursor is None:
                total = (
                    len(page)
                    if not more
                    else self._count(conn, bases, str(matcher), attributes, build, keep)
                )
            cursor = None
            if more:
                resume = page[-1].id if page else last
                position: Any = resume if span == _SPACE else [resume, span]
                cursor = encode_cursor(query, position)
            return Page(items=page, next_cursor=cursor, total=total)

        return self.run(run)

    def _all_within(
        self,
        conn: ldap3.Connection,
        bases: tuple[Base, ...],
        ldap_filter: str,
        attributes: list[str],
        limit: int,
    ) -> list[Raw] | None:
        """Every match if, over all bases, there are at most ``limit``; else ``None``."""
        found: list[Raw] = []
        for base in bases:
            items = entries_within(
                conn,
                base=base.dn,
                scope=base.scope,
                ldap_filter=ldap_filter,
                attributes=attributes,
                limit=limit - len(found),
                store=self.name,
            )
            if items is None:
                return None
            found += [Raw(i) for i in items]
        return found

    def _ordered(
        self,
        conn: ldap3.Connection,
        bases: tuple[Base, ...],
        matcher: Compiled,
        attributes: list[str],
        after: str | None,
        want: int,
        width: int,
    ) -> tuple[list[Raw], int]:
        """The ``want`` entries with the smallest ids after ``after``, and the next width."""
        directory = self.view.directory
        id_attr = self.configured.id_attribute
        if id_attr == "entryUUID" and directory.orders(id_attr):
            return self._windows(conn, bases, matcher, attributes, after, want, width)
        if SORT_OID in directory.controls:
            keyset: Compiled = True
            if after is not None:
                bound = escape_filter_chars(after)
                keyset = f"(&({id_attr}>={bound})(!({id_attr}={bound})))"
            per_base = [
                [
                    Raw(item)
                    for item in paged_entries(
                        conn,
                        base=base.dn,
                        scope=base.scope,
                        ldap_filter=str(conjoin([matcher, keyset])),
                        attributes=attributes,
                        page_size=min(self.settings.page_size, want),
                        limit=want,
                        controls=[sort_by(id_attr)],
                        store=self.name,
                    )
                ]
                for base in bases
            ]
            merged = heapq.merge(*per_base, key=self.order_key)
            return [raw for _, raw in zip(range(want), merged, strict=False)], width
        raise NotSupported(
            "the results span more than one page, and paging across calls needs the"
            " server-side sort control or an id with an ORDERING rule",
            store=self.name,
        )

    def _window(
        self,
        conn: ldap3.Connection,
        bases: tuple[Base, ...],
        matcher: Compiled,
        attributes: list[str],
        start: int,
        end: int,
        limit: int,
    ) -> tuple[list[Raw], bool]:
        """The entries whose ids lie in ``[start, end)``, at most ``limit + 1`` of them.

        :returns: the entries read, and whether the window holds more than ``limit`` (then
            they are some of the window's, in the server's order).
        """
        id_attr = self.configured.id_attribute
        bounds: list[Compiled] = []
        if start > 0:
            bounds.append(f"({id_attr}>={_uuid(start)})")
        if end < _SPACE:  # "<=" (not "not >=") lets the directory use its entryUUID index
            bounds.append(f"({id_attr}<={_uuid(end - 1)})")
        ldap_filter = str(conjoin([matcher, *bounds]))
        found: list[Raw] = []
        for base in bases:
            found += [
                Raw(item)
                for item in paged_entries(
                    conn,
                    base=base.dn,
                    scope=base.scope,
                    ldap_filter=ldap_filter,
                    attributes=attributes,
                    page_size=min(self.settings.page_size, limit + 1 - len(found)),
                    limit=limit + 1 - len(found),
                    controls=[],
                    store=self.name,
                )
            ]
            if len(found) > limit:
                return found, True
        return found, False

    def _windows(
        self,
        conn: ldap3.Connection,
        bases: tuple[Base, ...],
        matcher: Compiled,
        attributes: list[str],
        after: str | None,
        want: int,
        width: int,
    ) -> tuple[list[Raw], int]:
        """Read the page window by window, narrowing a full window on the ids it gave."""
        limit = 2 * want
        start = uuid.UUID(after).int + 1 if after is not None else 0
        found: list[Raw] = []
        while len(found) < want and start < _SPACE:
            window, full = self._window(
                conn, bases, matcher, attributes, start, start + width, limit
            )
            if full:
                # the entries read are real: the window up to the one that completes the page
                # holds enough, and it is narrower
                needed = sorted(window, key=self.order_key)[want - len(found) - 1]
                width = uuid.UUID(self.id_of(needed)).int - start + 1
                continue
            found += sorted(window, key=self.order_key)
            start += width
            # aim the next window (and the next page's first) at 1.25 pages of entries
            wider = width * 5 * want // (4 * len(window)) if window else width * 4
            width = max(1, min(_SPACE, width * 4, max(width // 4, wider)))
        return found[:want], width

    def _count(
        self,
        conn: ldap3.Connection,
        bases: tuple[Base, ...],
        ldap_filter: str,
        attributes: list[str],
        build: Build,
        keep: Keep,
    ) -> int:
        """Count every match, streaming one server page at a time."""
        total = 0
        for base in bases:
            batch: list[Raw] = []
            for item in paged_entries(
                conn,
                base=base.dn,
                scope=base.scope,
                ldap_filter=ldap_filter,
                attributes=attributes,
                page_size=self.settings.page_size,
                limit=None,
                controls=[],
                store=self.name,
            ):
                batch.append(Raw(item))
                if len(batch) >= self.settings.page_size:
                    total += sum(1 for x in build(conn, batch) if keep(x))
                    batch = []
            total += sum(1 for x in build(conn, batch) if keep(x))
        return total
