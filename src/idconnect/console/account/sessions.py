"""The Sessions tab: browser, location and IP of each active session; revoke one or all."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from idconnect.console.account.parts import Action, Done, Tab, section
from idconnect.console.account.web import Form, View
from idconnect.core.model import Account

__all__ = ["ACTIONS", "TAB"]


async def _load(view: View, account: Account) -> Mapping[str, Any]:
    return {"sessions": await section(view, view.store.list_sessions, view.account_id)}


async def _revoke(view: View, form: Form) -> Done:
    await view.act(view.store.revoke_session, form, form.required("session", "the session"))
    return Done(message="Session revoked: that browser must log in again.")


async def _revoke_all(view: View, form: Form) -> Done:
    ended = await view.act(view.store.revoke_sessions, form)
    return Done(message=f"{ended} session(s) deleted: the customer must log in again.")


TAB = Tab(name="sessions", title="Sessions", permission="sessions.read", load=_load)
ACTIONS = (
    Action(name="sessions/revoke", tab="sessions", run=_revoke),
    Action(name="sessions/revoke-all", tab="sessions", run=_revoke_all),
)
