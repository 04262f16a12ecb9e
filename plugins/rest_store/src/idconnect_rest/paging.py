"""Searches: one page of a SCIM list, by ``startIndex``/``count`` or by RFC 9865 cursor.

The facade's cursor (:func:`~idconnect.backend.encode_cursor`) wraps the server's position:
``{"ph": phase, "i": startIndex}``, ``{"ph": phase, "c": server cursor}`` or, for unsorted
searches on servers without cursors, ``{"ph": 0, "k": last id}`` (keyset on ``id``).

Sorted searches run in two phases so that missing values come last in both directions, as the
contract requires, whatever the server does with them (RFC 7644 leaves it open; scim2-server
puts them first when descending): phase 0 is ``(filter) and attr pr`` sorted by the attribute,
phase 1 is ``(filter) and not (attr pr)`` sorted by ``id`` in the same direction.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from attrs import frozen

from idconnect.backend import (
    InvalidInput,
    Page,
    Query,
    StoreUnavailable,
    decode_cursor,
    encode_cursor,
    render_value,
)
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


def fetch_page(
    client: ScimClient,
    req: ListRequest,
    query: Query,
    convert: Callable[[Mapping[str, Any]], T],
) -> Page[T]:
    """Fetch one page of a search.

    :param client: the HTTP client.
    :param req: what to list.
    :param query: the facade's query (page size, cursor, include_total).
    :param convert: builds an item from a resource.
    :returns: the page, with a cursor when more results follow.
    :raises InvalidInput: for a cursor that is not this query's.
    """
    phases = _phases(req)
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
            params["count"] = min(query.count, req.max_results or query.count)
            params["cursor"] = position.get("c", "")
        elif req.keyset:
            params["sortBy"] = "id"
            if "k" in position:
                params["filter"] = _and(req.filter, f"id gt {render_value(str(position['k']))}")
        else:
            params["startIndex"] = position.get("i", 1)
        doc = client.request("GET", req.endpoint, params=params, what="the search").json()
        resources = doc.get("Resources") or [] if isinstance(doc, dict) else None
        if not isinstance(resources, list):
            raise StoreUnavailable(
                f"the SCIM server at {client.base_url} sent a malformed ListResponse",
                store=client.store,
            )
        items.extend(convert(r) for r in resources)
        if req.use_cursor:
            server_next = doc.get("nextCursor")
            if isinstance(server_next, str) and server_next:
                next_position = {"ph": phase, "c": server_next}
                break
        elif req.keyset:
            total = doc.get("totalResults")
            if resources and isinstance(total, int) and len(resources) < total:
                position = {"ph": phase, "k": resources[-1].get("id")}
                if len(items) >= query.count:
                    next_position = position
                    break
                continue
        else:
            total = doc.get("totalResults")
            consumed = int(position.get("i", 1)) - 1 + len(resources)
            if resources and isinstance(total, int) and consumed < total:
                position = {"ph": phase, "i": consumed + 1}
                if len(items) >= query.count:
                    next_position = position
                    break
                continue
        if phase + 1 >= len(phases):
            break
        position = {"ph": phase + 1}
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
    """
    params: dict[str, Any] = {"count": 0, **({"filter": req.filter} if req.filter else {})}
    doc = client.request("GET", req.endpoint, params=params, what="the count").json()
    total = doc.get("totalResults") if isinstance(doc, dict) else None
    return total if isinstance(total, int) else None
