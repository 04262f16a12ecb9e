"""One page of a SCIM list: RFC 9865 cursors, or ``startIndex`` walked with the store's cursors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from idconnect.core.query import Page
from idconnect.http.calls import call
from idconnect.http.limits import Limits
from idconnect.http.scim.common import invalid
from idconnect.http.scim.listing import ListParams

__all__ = ["LIST_RESPONSE", "list_response"]

LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"

_MAX_SKIPPED_PAGES = 10


async def _skip(
    search: Callable[..., Page[Any]], params: ListParams, limits: Limits, kwargs: dict[str, Any]
) -> tuple[str | None, int | None, bool]:
    """Walk past ``startIndex - 1`` results.

    :returns: the cursor there, the total, and whether results remain.
    """
    skip = params.start_index - 1
    if skip > _MAX_SKIPPED_PAGES * limits.max_count:
        raise invalid(
            f"startIndex {params.start_index} is too far: page with cursor (RFC 9865) instead",
            "tooMany",
        )
    cursor: str | None = None
    total: int | None = None
    while skip > 0:
        page = await call(
            search, count=min(skip, limits.max_count), cursor=cursor, include_total=True, **kwargs
        )
        total = page.total if page.total is not None else total
        skip -= len(page.items)
        cursor = page.next_cursor
        if cursor is None:
            return None, total, False
    return cursor, total, True


async def list_response(
    search: Callable[..., Page[Any]],
    params: ListParams,
    limits: Limits,
    render: Callable[[Any], dict[str, Any]],
    **kwargs: Any,
) -> dict[str, Any]:
    """Run one search and build its ListResponse.

    With a ``cursor`` parameter (empty for the first page) the store's own opaque cursor is
    the RFC 9865 cursor and ``nextCursor`` is set while results remain; without one,
    ``startIndex`` counts from 1 (earlier results are walked with cursors, at most ten pages
    of :attr:`Limits.max_count`) and ``totalResults`` is always given.

    :param search: the facade's search (``store.search_accounts`` or ``search_groups``).
    :param params: the parameters.
    :param limits: the service's limits.
    :param render: turns one item into its (projected) document.
    :param kwargs: passed to ``search`` (``filter``, ``sort_by``, ``actor``, ...).
    :returns: the ListResponse document.
    :raises ApiError: for a bad cursor (400), a too distant ``startIndex`` (400 ``tooMany``)
        and the facade's errors.
    """
    doc: dict[str, Any] = {"schemas": [LIST_RESPONSE]}
    if params.cursor is not None:
        page = await call(
            search,
            count=max(params.count, 1),
            cursor=params.cursor or None,
            include_total=not params.cursor,
            **kwargs,
        )
        items = list(page.items)[: params.count]
        if page.total is not None:
            doc["totalResults"] = page.total
        doc["itemsPerPage"] = len(items)
        if page.next_cursor is not None and params.count:
            doc["nextCursor"] = page.next_cursor
        doc["Resources"] = [render(i) for i in items]
        return doc
    cursor, total, more = await _skip(search, params, limits, kwargs)
    items = []
    if more:
        page = await call(
            search, count=max(params.count, 1), cursor=cursor, include_total=True, **kwargs
        )
        items = list(page.items)[: params.count]
        total = page.total if page.total is not None else total
    if total is None:
        total = params.start_index - 1 + len(items)
    doc.update(
        {
            "totalResults": total,
            "startIndex": params.start_index,
            "itemsPerPage": len(items),
            "Resources": [render(i) for i in items],
        }
    )
    return doc
