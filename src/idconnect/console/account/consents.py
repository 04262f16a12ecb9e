"""The Consents tab: what the customer agreed to, which version, when, and how it ended.

Support may revoke a consent that still holds; it stays in the log, revoked by support.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from idconnect.console.account.parts import Action, Done, Tab, section
from idconnect.console.account.web import Form, View
from idconnect.core.model import Account

__all__ = ["ACTIONS", "TAB"]


async def _load(view: View, account: Account) -> Mapping[str, Any]:
    return {"consents": await section(view, view.store.consents, view.account_id)}


async def _revoke(view: View, form: Form) -> Done:
    ended = await view.act(view.store.revoke_consent, form, form.required("consent", "the consent"))
    return Done(message=f"Consent {ended.purpose} (version {ended.version}) revoked.")


TAB = Tab(name="consents", title="Consents", permission="consents.read", load=_load)
ACTIONS = (Action(name="consents/revoke", tab="consents", run=_revoke),)
