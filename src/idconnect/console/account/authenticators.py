"""The Authenticators tab: the account's methods (masked); add an email or phone, delete one.

The password actions (send a reset link, set it directly) are the overview panel's; the tab
offers them too, next to the methods.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from idconnect.console.account.parts import Action, Done, Tab, section, told
from idconnect.console.account.web import Form, View
from idconnect.core.model import Account
from idconnect.core.notification import Notified

__all__ = ["ACTIONS", "TAB"]


async def _load(view: View, account: Account) -> Mapping[str, Any]:
    return {"methods": await section(view, view.store.list_authenticators, view.account_id)}


async def _add(view: View, form: Form) -> Done:
    kind = form.required("kind", "the kind (email or phone)")
    added = await view.act(
        view.store.add_authenticator,
        form,
        kind,
        form.required("value", "the address or number"),
        verified=form.flag("verified"),
        notify=form.get("notify"),
    )
    method = added.result if isinstance(added, Notified) else added
    return told(added, f"Authentication method added: {method.label or kind}.")


async def _remove(view: View, form: Form) -> Done:
    done = await view.act(
        view.store.remove_authenticator,
        form,
        form.required("authenticator", "the method"),
        notify=form.get("notify"),
    )
    return told(done, "Authentication method deleted.")


TAB = Tab(name="authenticators", title="Authenticators", permission="credentials.read", load=_load)
ACTIONS = (
    Action(name="authenticators/add", tab="authenticators", run=_add),
    Action(name="authenticators/remove", tab="authenticators", run=_remove),
)
