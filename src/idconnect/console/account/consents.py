"""The Consents tab: what the customer agreed to, which version, when, and how it ended."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from idconnect.console.account.parts import Tab, section
from idconnect.console.account.web import View
from idconnect.core.model import Account

__all__ = ["TAB"]


async def _load(view: View, account: Account) -> Mapping[str, Any]:
    return {"consents": await section(view, view.store.consents, view.account_id)}


TAB = Tab(name="consents", title="Consents", permission="consents.read", load=_load)
