"""Searches: one page of a SCIM list, by ``startIndex``/``count`` or by RFC 9865 cursor.

The facade's cursor (:func:`~idconnect.backend.encode_cursor`) wraps the server's position:
``{"ph": phase, "i": startIndex}``, ``{"ph": phase, "c": server cursor}`` or, for unsorted
searches on servers without cursors, ``{"ph": 0, "k": last id}`` (keyset on ``id``).

Sorted searches run in two phases so that missing values come last in both directions, as the
contract requires, whatever the server does with them (RFC 7644 leaves it open; scim2-server
puts them first when descending): phase 0 is ``(filter) and attr pr`` sorted by the attribute,
phase 1 is ``(filter) and not (attr pr)`` sorted by ``id`` in the same direction.

Every answer is checked before it is used (a lax or hostile server cannot make the store
loop, over-read or mislead): a ListResponse must be an object whose ``Resources`` is a list of
objects no longer than the ``count`` asked; the position also carries how many pages the walk
has taken (refused past ``max_pages``), the digest of one earlier server cursor, replaced at
every power of two pages (Brent's cycle detection: a cursor cycle of any length is refused
within about twice its length, in constant cursor size) and a digest of the previous page's
first and last ids (the same page served again is refused: ``startIndex`` ignored or a lying
``totalResults``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from attrs import frozen

from idconnect.backend import (
    InvalidInput,
    Page,
    Query,
    decode_cursor,
    encode_cursor,
    render_value,
)
from idconnect_rest.errors import malformed
from idconnect_rest.http import ScimClient

__all__ = ["ListRequest", "fetch_page", "fetch_total"]

T = TypeVar("T")


@frozen(kw_only=True)
class ListRequest:
    """What to list, in server terms."""

    endpoint: str
    """E.g. ``/Users``."""
    filter: str | None
    """The server filter text, or ``None``."""
    sort_by: str | None
    """The server's sort attribute path, or ``None`` for the server's default order."""
    sort_always_present: bool = False
    """Whether every resource has the sort attribute (then one phase suffices)."""
    descending: bool = False
    """Sort order."""
    use_cursor: bool = False
    """Page with RFC 9865 cursors instead of ``startIndex``."""
    max_results: int | None = None
    """The server's largest page (``filter.maxResults``)."""
    keyset: bool = False
    """Page an unsorted search by ``id gt <last id>`` (sorted by id) instead of ``startIndex``,
    so that inserts between pages neither repeat nor skip resources."""
    extra: Mapping[str, str] = {}
    """More query parameters, e.g. ``excludedAttributes``."""


def _and(left: str | None, right: str) -> str:
    return f"({left}) and {right}" if left else right


def _phases(req: ListRequest) -> list[dict[str, str]]:
    if req.sort_by is None:
        return [{"filter": req.filter} if req.filter else {}]
    order = "descending" if req.descending else "ascending"
    if req.sort_always_present:
        first = {"sortBy": req.sort_by, "sortOrder": order}
        return [{**first, "filter": req.filter} if req.filter else first]
    return [
        {
            "filter": _and(req.filter, f"{req.sort_by} pr"),
            "sortBy": req.sort_by,
            "sortOrder": order,
        },
        {"filter": _and(req.filter, f"not ({req.sort_by} pr)"), "sortBy": "id", "sortOrder": order},
    ]


@frozen
class Listing:
    """One checked ListResponse."""

    resources: list[dict[str, Any]]
    """The resources (objects), at most the ``count`` asked."""
    total: int | None
    """``totalResults``, ``None`` when absent."""
    next_cursor: str | None
    """``nextCursor`` (RFC 9865), ``None`` when absent or empty."""


def list_resources(
    client: ScimClient, endpoint: str, params: Mapping[str, Any], what: str
) -> Listing:
    """GET one ListResponse and check its shape.

    :param client: the HTTP client.
    :param endpoint: e.g. ``/Users``.
    :param params: the query parameters; ``count`` is the most resources accepted.
    :param what: what is listed, for error messages.
    :returns: the listing.
    :raises StoreUnavailable: when the answer is not a ListResponse of at most ``count``
        objects, ``totalResults`` is not a count or ``nextCursor`` not a string.
    """
    reply = client.request("GET", endpoint, params=params, what=what)
    doc = reply.json()
    resources = doc.get("Resources")
    if resources is None:
        resources = []
    if not isinstance(resources, list) or not all(isinstance(r, dict) for r in resources):
        raise malformed(client.store, reply.url, "a ListResponse whose Resources is no list")
    total = doc.get("totalResults")
    if total is not None and (not isinstance(total, int) or isinstance(total, bool) or total < 0):
        raise malformed(client.store, reply.url, "a ListResponse whose totalResults is no count")
    count = params.get("count")
    if isinstance(count, int) and len(resources) > count:
        raise malformed(
            client.store, reply.url, f"a page of {len(resources)} resources for count={count}"
        )
    cursor = doc.get("nextCursor")
    if cursor is not None and not isinstance(cursor, str):
        raise malformed(client.store, reply.url, "a ListResponse whose nextCursor is no string")
    return Listing(resources, total, cursor or None)


def _edges(resources: Sequence[Mapping[str, Any]]) -> str | None:
    """A digest of a page's first and last ids (equal for the same page served twice)."""
    if not resources:
        return None
    return _digest(f"{resources[0].get('id')}\x1f{resources[-1].get('id')}\x1f{len(resources)}")


def _digest(text: str) -> str:
    return hashlib.blake2s(text.encode(), digest_size=4).hexdigest()


class _Walk:
    """The guards of one walk: pages taken, a remembered cursor, the previous page's edges."""

    def __init__(self, client: ScimClient, endpoint: str, max_pages: int) -> None:
        self.url = client.base_url + endpoint
        self.store = client.store
        self.max_pages = max_pages

    def before(self, position: Mapping[str, Any]) -> int:
        """Check one more page may be asked for; return its number in the walk."""
        pages = int(position.get("n", 0)) + 1
        if pages > self.max_pages:
            raise malformed(
                self.store,
                self.url,
                f"pages without end: more than max_pages={self.max_pages} for one search"
                " (a looping cursor or a lying totalResults)",
            )
        return pages

    def after(self, position: Mapping[str, Any], resources: Sequence[Mapping[str, Any]]) -> None:
        """Check a page is not the previous one served again."""
        edges = _edges(resources)
        if edges is not None and edges == position.get("e"):
            raise malformed(
                self.store,
                self.url,
                "the previous page again (startIndex ignored or a lying totalResults)",
            )

    def next_cursor(self, position: Mapping[str, Any], server_next: str, pages: int) -> str:
        """Check a server cursor against the remembered one; return the digest to remember."""
        digest = _digest(server_next)
        if digest == position.get("t") or server_next == position.get("c"):
            raise malformed(self.store, self.url, "a paging cursor that loops back")
        remembered = position.get("t")
        return digest if pages & (pages - 1) == 0 or remembered is None else str(remembered)


def fetch_page(
    client: ScimClient,
    req: ListRequest,
    query: Query,
    convert: Callable[[Mapping[str, Any]], T],
    max_pages: int,
    finish: Callable[[list[T]], list[T]] | None = None,
) -> Page[T]:
    """Fetch one page of a search.

    :param client: the HTTP client.
    :param req: what to list.
    :param query: the facade's query (page size, cursor, include_total).
    :param convert: builds an item from a resource.
    :param max_pages: the most server pages one walk (across cursors) may take.
    :param finish: applied to the items of each server page (completion, re-check); it may
        drop items, never add any.
    :returns: the page, with a cursor when more results follow.
    :raises InvalidInput: for a cursor that is not this query's.
    :raises StoreUnavailable: for a malformed, oversized, repeating or endless answer.
    """
    phases = _phases(req)
    walk = _Walk(client, req.endpoint, max_pages)
    position: dict[str, Any] = {"ph": 0}
    if query.cursor is not None:
        got = decode_cursor(query)
        if not isinstance(got, dict) or got.get("ph") not in range(len(phases)):
            raise InvalidInput("the cursor is not valid for this store", cursor=query.cursor)
        position = got
    items: list[T] = []
    next_position: dict[str, Any] | None = None
    while True:
        phase = position["ph"]
        want = query.count - len(items)
        count = min(want, req.max_results) if req.max_results else want
        params: dict[str, Any] = {**req.extra, **phases[phase], "count": count}
        if req.use_cursor:
            params["count"] = count = min(query.count, req.max_results or query.count)
            params["cursor"] = position.get("c", "")
        elif req.keyset:
            params["sortBy"] = "id"
            if "k" in position:
                params["filter"] = _and(req.filter, f"id gt {render_value(str(position['k']))}")
        else:
            params["startIndex"] = position.get("i", 1)
        pages = walk.before(position)
        listing = list_resources(client, req.endpoint, params, "the search")
        resources, total = listing.resources, listing.total
        walk.after(position, resources)
        converted = [convert(r) for r in resources]
        items.extend(finish(converted) if finish is not None else converted)
        carry: dict[str, Any] = {"n": pages, "e": _edges(resources)}
        if req.use_cursor:
            if listing.next_cursor is not None:
                remember = walk.next_cursor(position, listing.next_cursor, pages)
                position = {"ph": phase, "c": listing.next_cursor, "t": remember, **carry}
                if len(items) + count > query.count:
                    next_position = position
                    break
                continue
        elif req.keyset:
            if resources and total is not None and len(resources) < total:
                position = {"ph": phase, "k": resources[-1].get("id"), **carry}
                if len(items) >= query.count:
                    next_position = position
                    break
                continue
        else:
            consumed = int(position.get("i", 1)) - 1 + len(resources)
            if resources and total is not None and consumed < total:
                position = {"ph": phase, "i": consumed + 1, **carry}
                if len(items) >= query.count:
                    next_position = position
                    break
                continue
        if phase + 1 >= len(phases):
            break
        position = {"ph": phase + 1, "n": pages}
        if len(items) >= query.count or (req.use_cursor and items):
            next_position = position
            break
    total_count = fetch_total(client, req) if query.include_total else None
    return Page(
        items=items,
        next_cursor=encode_cursor(query, next_position) if next_position else None,
        total=total_count,
    )


def fetch_total(client: ScimClient, req: ListRequest) -> int | None:
    """Ask the server how many resources match, with a ``count=0`` search.

    :param client: the HTTP client.
    :param req: what to count.
    :returns: ``totalResults``, or ``None`` when the server does not say.
    :raises StoreUnavailable: when the answer is malformed.
    """
    params: dict[str, Any] = {"count": 0, **({"filter": req.filter} if req.filter else {})}
    return list_resources(client, req.endpoint, params, "the count").total
