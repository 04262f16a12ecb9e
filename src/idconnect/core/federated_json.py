"""The JSON of a federated page (``hub.search_accounts``), shared by the CLI and the admin API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from idconnect.core.convert import to_json
from idconnect.core.facade.federated import FederatedPage
from idconnect.core.schema import Catalogue

__all__ = ["federated_to_json"]


def federated_to_json(
    page: FederatedPage, catalogue_of: Callable[[str], Catalogue]
) -> dict[str, Any]:
    """Return a federated page as JSON: each account's canonical JSON next to its store.

    :param page: the page.
    :param catalogue_of: a store's catalogue by name, so accounts carry only what (and what
        support may see that) their store holds.
    :returns: ``{"Resources": [{"store", "account"}], "nextCursor", "skipped": [{"store",
        "cause", "message"}]}``; ``nextCursor`` is ``None`` on the last page.
    """
    catalogues = {name: catalogue_of(name) for name in {item.store for item in page.items}}
    return {
        "Resources": [
            {
                "store": item.store,
                "account": to_json(item.account, catalogue=catalogues[item.store]),
            }
            for item in page.items
        ],
        "nextCursor": page.next_cursor,
        "skipped": [
            {"store": s.store, "cause": s.cause, "message": s.message} for s in page.skipped
        ],
    }
