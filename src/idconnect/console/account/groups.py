"""The Groups tab: the groups an account is a member of; add it to one, remove it from one."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from idconnect.console.account.parts import Action, Done, Tab, one, section
from idconnect.console.account.web import Form, View
from idconnect.core.filter import attr
from idconnect.core.model import Account

__all__ = ["ACTIONS", "GROUP_CHOICES", "TAB"]

GROUP_CHOICES = 200
"""How many of the store's groups the "add to group" list offers (the first page, sorted by
name here: not every store can sort groups); ``?group_q=`` narrows it to names containing a
text."""


async def _load(view: View, account: Account) -> Mapping[str, Any]:
    choices, found = None, ""
    if view.can("groups.members") and view.supports("add_group_member"):
        found = view.request.query_params.get("group_q", "").strip()
        wanted = attr("displayName").co(found) if found else None
        choices = await section(view, view.store.search_groups, wanted, count=GROUP_CHOICES)
    held = {g.value for g in account.groups}
    free = []
    if choices is not None and choices.ok:
        free = sorted(
            (g for g in choices.value.items if g.id not in held), key=lambda g: g.display_name
        )
    return {"groups": account.groups, "choices": choices, "free": free, "group_q": found}


async def _membership(view: View, form: Form, add: bool) -> Done:
    group = form.required("group", "a group")
    change = view.store.add_to_group if add else view.store.remove_from_group
    one(await view.run(change, group, [view.account_id], reason=form.get("reason")))
    name = form.get("group_name") or group
    return Done(message=f"{'Added to' if add else 'Removed from'} group {name}.")


async def _add(view: View, form: Form) -> Done:
    return await _membership(view, form, True)


async def _remove(view: View, form: Form) -> Done:
    return await _membership(view, form, False)


TAB = Tab(name="groups", title="Groups", permission="accounts.read", load=_load)
ACTIONS = (
    Action(name="groups/add", tab="groups", run=_add),
    Action(name="groups/remove", tab="groups", run=_remove),
)
