"""The account listing: ``GET /console/stores/{store}/accounts``, and the ways to it.

One page of a store's accounts (cursor paging, the facade's ``search_accounts``) under the
filter panel (:mod:`idconnect.console.search`), with status labels and the quick actions the
admin may take (:mod:`idconnect.console.actions` runs them). The store drop-down leads through
``GET /console/stores?store=NAME`` (it lists the stores the admin may read);
``GET /console/`` opens the first of them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from attrs import frozen
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from idconnect.console.labels import status_labels
from idconnect.console.pages import console_url, render, render_error
from idconnect.console.search import (
    NUMBER_OPERATORS,
    SECTIONS,
    TEXT_OPERATORS,
    Search,
    SearchField,
    check_advanced,
    read_search,
    search_fields,
)
from idconnect.core.errors import FilterError, IdconnectError, NotSupported
from idconnect.core.facade import Hub, Store
from idconnect.core.filter import values_at
from idconnect.core.model import Account, Group
from idconnect.core.query import Page
from idconnect.http.calls import api_error, call

__all__ = [
    "MAX_GROUPS",
    "PAGE_SIZES",
    "listing_routes",
    "page_size",
    "store_groups",
    "store_or_404",
]

PAGE_SIZES = (25, 50, 100, 200)
"""The page sizes offered; the first but one is the default."""
MAX_GROUPS = 1000
"""The most groups the membership picker and the group dialog list."""
_OWN_COLUMNS = frozenset({"userName", "displayName", "emails.value", "meta.created", "lastLogin"})
"""Attributes the listing always shows: a pinned one gets no column of its own."""


@frozen
class _Listing:
    search: Search
    page: Page[Account] | None
    groups: tuple[Group, ...]
    error: str | None


def store_groups(store: Store, admin: str) -> tuple[Group, ...]:
    """List a store's groups for the membership picker and the group dialog.

    :param store: the store.
    :param admin: the acting admin.
    :returns: at most :data:`MAX_GROUPS` groups, by name (sorted here: not every store can
        sort groups); none when the admin may not read groups or the store has none.
    """
    if not store.hub.permissions.allows(admin, "groups.read", store.name):
        return ()
    try:
        found = store.search_groups(count=MAX_GROUPS, actor=admin).items
    except NotSupported:  # a store without groups
        return ()
    return tuple(sorted(found, key=lambda g: g.display_name.casefold()))


def _fetch(store: Store, search: Search, cursor: str | None, count: int, admin: str) -> _Listing:
    search = check_advanced(search, store.catalogue)
    groups = store_groups(store, admin)
    if search.errors or search.advanced_error is not None:
        return _Listing(search, None, groups, None)
    try:
        page = store.search_accounts(
            search.tree, count=count, cursor=cursor, include_total=True, actor=admin
        )
    except FilterError as exc:  # valid, but this store cannot answer it exactly
        return _Listing(search, None, groups, exc.message)
    return _Listing(search, page, groups, None)


def _shown(account: Account, field: SearchField) -> str:
    values = values_at(account, field.path)
    return ", ".join(
        v.strftime("%Y-%m-%d %H:%M UTC") if isinstance(v, datetime) else str(v) for v in values
    )


def _fields_of(store: Store) -> list[SearchField]:
    return search_fields(store.catalogue)


def store_or_404(request: Request, hub: Hub) -> Store | Response:
    """Return the store a console path names, or the 404 page.

    :param request: a request whose path parameters hold ``store``.
    :param hub: the hub.
    :returns: the store, or the error page naming the configured stores (404) or saying why
        the store cannot be used (503 for a secret that cannot be read, ...).
    """
    name = request.path_params["store"]
    if name not in hub.stores:
        known = ", ".join(hub.stores)
        return render_error(request, hub, 404, f"no store {name!r} is configured ({known})")
    try:
        return hub.store(name)
    except IdconnectError as exc:  # its secret cannot be read, ...: the others keep working
        return render_error(request, hub, api_error(exc).status, exc.message)


def page_size(request: Request) -> int:
    """Read a page's size from its ``count`` parameter.

    :param request: the request.
    :returns: ``count`` when it is one of :data:`PAGE_SIZES`, else the default (the second).
    """
    text = request.query_params.get("count", "")
    return int(text) if text.isdigit() and int(text) in PAGE_SIZES else PAGE_SIZES[1]


def listing_routes(hub: Hub) -> list[BaseRoute]:
    """Build the listing's routes (relative to ``/console``).

    :param hub: the hub whose stores are listed.
    :returns: the routes.
    """

    def root(request: Request) -> str:
        root_path: str = request.scope.get("root_path", "")
        return root_path.removesuffix("/console")

    async def home(request: Request) -> Response:
        admin = request.state.actor
        readable = [n for n in hub.stores if hub.permissions.allows(admin, "accounts.read", n)]
        if not readable:
            return render_error(request, hub, 404, "no store whose accounts you may read")
        target = console_url("stores", readable[0], "accounts", root=root(request))
        return RedirectResponse(target, 303)

    async def choose(request: Request) -> Response:
        name = request.query_params.get("store", "")
        if name not in hub.stores:
            return render_error(request, hub, 404, f"no store {name!r} is configured")
        return RedirectResponse(console_url("stores", name, "accounts", root=root(request)), 303)

    async def accounts(request: Request) -> Response:
        store = store_or_404(request, hub)
        if not isinstance(store, Store):
            return store
        admin = request.state.actor
        fields = await call(_fields_of, store)
        search = read_search(request.query_params, fields)
        cursor = request.query_params.get("cursor") or None
        count = page_size(request)
        found = await call(_fetch, store, search, cursor, count, admin)
        columns = [f for f in found.search.pins if f.kind != "group" and f.path not in _OWN_COLUMNS]
        kept = [(k, v) for k, v in request.query_params.multi_items() if k != "cursor"]
        here = console_url("stores", store.name, "accounts", root=root(request))
        context: dict[str, Any] = {
            "store": store.name,
            "fields": fields,
            "sections": SECTIONS,
            "pinned": {f.path for f in found.search.pins},
            "search": found.search,
            "text_operators": TEXT_OPERATORS,
            "number_operators": NUMBER_OPERATORS,
            "page": found.page,
            "columns": columns,
            "rows": [
                (a, status_labels(a), [_shown(a, f) for f in columns])
                for a in (found.page.items if found.page else ())
            ],
            "groups": found.groups,
            "error": found.error,
            "count": count,
            "page_sizes": PAGE_SIZES,
            "first_url": f"{here}?{urlencode(kept)}" if cursor else None,
            "next_url": (
                f"{here}?{urlencode([*kept, ('cursor', found.page.next_cursor)])}"
                if found.page is not None and found.page.next_cursor
                else None
            ),
            "here": f"{here}?{urlencode(request.query_params.multi_items())}",
        }
        status = 400 if found.search.errors or found.search.advanced_error else 200
        return render(request, hub, "listing.html", context, status=status)

    return [
        Route("/", home, methods=["GET"]),
        Route("/stores", choose, methods=["GET"]),
        Route("/stores/{store}/accounts", accounts, methods=["GET"]),
    ]
