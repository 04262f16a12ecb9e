"""Finding accounts in every store at once: ``GET /console/find``.

The search box in the header of every page leads here with ``q``, a quick term
(:func:`quick_filter`: the userName or an email address starts with it, or the displayName
contains it). The page's advanced box takes a SCIM filter (``filter``, read as the listing's
advanced box is, :func:`~idconnect.console.search.read_search`), combined with the term.

The search is the hub's federated one (:meth:`~idconnect.core.facade.Hub.search_accounts`) run
as the logged-in admin, so each store's facade applies the admin's permissions: one merged page
of every configured store, each row naming its store and linking to the account's page there,
"Next page" carrying the federated cursor. A store that could not be asked (the admin may not
read it, it cannot answer the filter or search at all, it is down) is named with the cause in a
notice; a malformed filter is the page again with the error and its column (``400``), as is a
filter no store answered and some refused (an attribute no store holds, ...).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from idconnect.console.labels import status_labels
from idconnect.console.listing import page_size
from idconnect.console.pages import render
from idconnect.console.search import read_search
from idconnect.core.facade import Hub
from idconnect.core.facade.federated import FederatedPage
from idconnect.core.filter import Filter, attr
from idconnect.http.calls import call

__all__ = ["SKIP_CAUSES", "find_routes", "quick_filter"]

SKIP_CAUSES = {
    "permission": "you may not read its accounts",
    "filter": "it cannot answer this search",
    "not supported": "it cannot search accounts",
    "unavailable": "it cannot be reached",
}
"""A skipped store's cause (:data:`~idconnect.core.facade.federated.SKIPPED_BECAUSE`) in words."""


def quick_filter(term: str) -> Filter:
    """Build the filter of a quick term typed in the header's search box.

    :param term: what was typed (not empty); it is a value, never filter text.
    :returns: ``userName sw term or emails.value sw term or displayName co term``.
    """
    return attr("userName").sw(term) | attr("emails.value").sw(term) | attr("displayName").co(term)


def _refused_everywhere(page: FederatedPage, hub: Hub) -> bool:
    """Whether no store answered and some refused the filter (the others: down, not readable)."""
    causes = {s.cause for s in page.skipped}
    return len(page.skipped) == len(hub.stores) and "filter" in causes


def find_routes(hub: Hub) -> list[BaseRoute]:
    """Build the search across stores' route (relative to ``/console``).

    :param hub: the hub whose stores are searched.
    :returns: the routes.
    """

    async def find(request: Request) -> Response:
        params = request.query_params
        term = params.get("q", "").strip()
        search = read_search(params, ())
        count = page_size(request)
        cursor = params.get("cursor") or None
        tree = search.tree
        if term:
            tree = quick_filter(term) if tree is None else quick_filter(term) & tree
        page = None
        if search.advanced_error is None and tree is not None:
            page = await call(
                hub.search_accounts, tree, count=count, cursor=cursor, actor=request.state.actor
            )
        refused = page is not None and _refused_everywhere(page, hub)
        kept = [(k, v) for k, v in params.multi_items() if k != "cursor"]
        context: dict[str, Any] = {
            "find_term": term,
            "search": search,
            "page": page,
            "refused": refused,
            "causes": SKIP_CAUSES,
            "rows": [
                (item.store, item.account, status_labels(item.account))
                for item in (page.items if page else ())
            ],
            "first_query": urlencode(kept) if cursor else None,
            "next_query": (
                urlencode([*kept, ("cursor", page.next_cursor)])
                if page is not None and page.next_cursor
                else None
            ),
        }
        status = 400 if search.advanced_error is not None or refused else 200
        return render(request, hub, "find.html", context, status=status)

    return [Route("/find", find, methods=["GET"])]
