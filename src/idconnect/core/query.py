"""Queries and pages: what a search asks for and what one page of results holds.

Cursors are opaque to callers but must resume in another process, so they carry their whole
position as text. :func:`encode_cursor` and :func:`decode_cursor` give every backend the same
envelope: URL-safe base64 of JSON holding a format version, a fingerprint of the query the cursor
belongs to, and the backend's own position. A cursor presented with a different filter or sort is
refused instead of silently returning the wrong page.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

from attrs import field, frozen

from idconnect.core.errors import InvalidInput
from idconnect.core.filter.ast import AttrPath, Filter
from idconnect.core.filter.text import to_text

__all__ = [
    "MAX_PAGE_SIZE",
    "Page",
    "Query",
    "decode_cursor",
    "encode_cursor",
    "iterate_pages",
    "unwrap_position",
    "wrap_position",
]

T = TypeVar("T")

MAX_PAGE_SIZE = 1000
"""The largest page a caller may ask for."""

_CURSOR_VERSION = 1


def _page_size(_: Any, __: Any, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_PAGE_SIZE:
        raise InvalidInput(
            f"page size must be a whole number from 1 to {MAX_PAGE_SIZE}, got {value!r}"
        )


@frozen(kw_only=True)
class Query:
    """A search over one store's accounts (or groups), as backends receive it.

    The filter is bound to the store's catalogue (canonical paths, typed values).
    """

    filter: Filter | None = None
    """The bound filter, or ``None`` for every account."""
    sort_by: AttrPath | None = None
    """The canonical single-valued attribute to sort by; ``None``: the stable key."""
    descending: bool = False
    """Whether to sort in descending order."""
    count: int = field(default=50, validator=_page_size)
    """How many items one page holds at most."""
    cursor: str | None = None
    """Where to resume: the ``next_cursor`` of a previous page of the same query."""
    attributes: tuple[str, ...] = ()
    """Canonical attributes the caller needs; empty means all. Backends may fetch less."""
    include_total: bool = False
    """Whether the caller wants ``Page.total`` (it may cost a count)."""

    def fingerprint(self) -> str:
        """Return a short digest of what selects and orders the results (not page size or cursor).

        :returns: 16 hex characters; equal for queries whose cursors are interchangeable.
        """
        text = "\x1f".join(
            (
                to_text(self.filter) if self.filter is not None else "",
                self.sort_by.dotted if self.sort_by is not None else "",
                "desc" if self.descending else "asc",
            )
        )
        return hashlib.sha256(text.encode()).hexdigest()[:16]


@frozen(kw_only=True)
class Page(Generic[T]):
    """One page of results."""

    items: tuple[T, ...] = field(converter=tuple)
    """The results on this page, in order."""
    next_cursor: str | None = None
    """The cursor of the next page; ``None`` on the last page."""
    total: int | None = None
    """How many results the whole query has, when the store knows it (never the page length)."""


def encode_cursor(query: Query, position: Any) -> str:
    """Wrap a backend's position into an opaque cursor tied to ``query``.

    :param query: the query the cursor continues.
    :param position: anything JSON can hold (e.g. the last sort key and id).
    :returns: URL-safe text without padding.
    """
    return wrap_position(query.fingerprint(), position)


def decode_cursor(query: Query) -> Any:
    """Unwrap the position from ``query.cursor``.

    :param query: a query whose ``cursor`` is set.
    :returns: the position given to :func:`encode_cursor`.
    :raises InvalidInput: when the cursor is not one of ours or belongs to another query.
    """
    if query.cursor is None:
        raise InvalidInput("the query has no cursor")
    return unwrap_position(query.cursor, query.fingerprint())


def wrap_position(fingerprint: str, position: Any) -> str:
    """Wrap a position into an opaque cursor tied to a fingerprint of what it pages through.

    For listings that are not a :class:`Query` (an account's activity): the fingerprint is a
    digest of their own arguments.

    :param fingerprint: text that differs for listings whose cursors are not interchangeable.
    :param position: anything JSON can hold.
    :returns: URL-safe text without padding.
    """
    doc = {"v": _CURSOR_VERSION, "q": fingerprint, "p": position}
    raw = json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def unwrap_position(text: str, fingerprint: str) -> Any:
    """Unwrap the position from a cursor made by :func:`wrap_position`.

    :param text: the cursor.
    :param fingerprint: the fingerprint of the listing it is presented to.
    :returns: the position.
    :raises InvalidInput: when the cursor is not one of ours or belongs to another listing.
    """
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        doc = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput("the cursor is not valid (was it cut short?)", cursor=text) from exc
    if not isinstance(doc, dict) or doc.get("v") != _CURSOR_VERSION or "p" not in doc:
        raise InvalidInput("the cursor is not valid for this version of idconnect", cursor=text)
    if doc.get("q") != fingerprint:
        raise InvalidInput("the cursor belongs to a different filter or sort order", cursor=text)
    return doc["p"]


def iterate_pages(fetch: Callable[[str | None], Page[T]]) -> Iterator[T]:
    """Yield every item of every page, fetching one page at a time.

    :param fetch: given a cursor (``None`` first), returns that page.
    :returns: an iterator over all items; memory stays at one page.
    :raises InvalidInput: when a store hands back the same cursor twice (it would loop forever).
    """
    cursor: str | None = None
    seen: str | None = None
    while True:
        page = fetch(cursor)
        yield from page.items
        if page.next_cursor is None:
            return
        if page.next_cursor == seen or page.next_cursor == cursor:
            raise InvalidInput("the store returned the same cursor twice; stopping")
        seen, cursor = cursor, page.next_cursor
