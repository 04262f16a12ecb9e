"""The Activity tab: the merged timeline (the store's records and the audit trail), paged."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from idconnect.console.account.parts import Tab, section
from idconnect.console.account.web import View
from idconnect.core.model import Account

__all__ = ["PAGE", "TAB"]

PAGE = 50
"""Timeline entries a page shows."""


async def _load(view: View, account: Account) -> Mapping[str, Any]:
    cursor = view.request.query_params.get("cursor") or None
    page = await section(view, view.store.activity, view.account_id, count=PAGE, cursor=cursor)
    return {"timeline": page}


TAB = Tab(name="activity", title="Activity", permission="activity.read", load=_load)
