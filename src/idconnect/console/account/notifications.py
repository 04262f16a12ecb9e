"""The Notifications tab: the log of messages sent to the customer; one entry's masked content.

The eye button of a row opens ``?tab=notifications&show=ID``: the entry as logged, its
secrets (links, codes) masked.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from idconnect.console.account.parts import Tab, section
from idconnect.console.account.web import View
from idconnect.core.model import Account

__all__ = ["PAGE", "TAB"]

PAGE = 50
"""Log entries a page shows."""


async def _load(view: View, account: Account) -> Mapping[str, Any]:
    query = view.request.query_params
    log = await section(
        view,
        view.store.notifications,
        view.account_id,
        count=PAGE,
        cursor=query.get("cursor") or None,
    )
    shown = None
    if query.get("show"):
        shown = await section(view, view.store.notification, view.account_id, query["show"])
    return {"log": log, "shown": shown}


TAB = Tab(name="notifications", title="Notifications", permission="notifications.read", load=_load)
