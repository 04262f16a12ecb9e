"""Quick actions of the listing: ``POST /console/stores/{store}/accounts/actions``.

Delete, add to group, remove from group, enable and disable the selected accounts, or every
account the listing's filter matches ("select all N matching": one bulk action over the
filter's selection, at most :data:`~idconnect.http.admin.accounts.MAX_SELECTED`). Each needs a
reason; delete also a confirmation; the group actions a group. A form without them (the listing
with JavaScript off, or an incomplete dialog) gets the confirmation page, which asks for them.
The facade's bulk methods run as the logged-in admin (the audit trail names them and the
reason); the answer lists every account's outcome. A forced action the admin may not take is
refused by the facade's permission check: ``403``.
"""

from __future__ import annotations

from typing import Any

from attrs import evolve, frozen
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from idconnect.console.listing import store_groups, store_or_404
from idconnect.console.pages import render, render_error
from idconnect.core.errors import InvalidInput
from idconnect.core.facade import Hub, Store
from idconnect.core.facade.checks import check_text
from idconnect.core.model import BulkResult
from idconnect.http.admin.accounts import ACTIONS, MAX_SELECTED, select_by_filter
from idconnect.http.calls import call

__all__ = ["ACTION_TITLES", "PERMISSIONS", "action_routes"]

ACTION_TITLES = {
    "delete": "Delete",
    "add-to-group": "Add to group",
    "remove-from-group": "Remove from group",
    "enable": "Enable",
    "disable": "Disable",
}
"""The quick actions (names of :data:`~idconnect.http.admin.accounts.ACTIONS`) as offered."""
PERMISSIONS = {
    "delete": "accounts.delete",
    "add-to-group": "groups.members",
    "remove-from-group": "groups.members",
    "enable": "accounts.enable",
    "disable": "accounts.enable",
}
"""The permission each quick action needs (the listing offers only those the admin holds)."""


@frozen
class _Request:
    action: str
    ids: tuple[str, ...]
    all_matching: bool
    filter_text: str
    reason: str
    group: str
    confirmed: bool
    back: str

    def missing(self) -> list[str]:
        """Say what the form still lacks before the action may run."""
        lacking = []
        if not self.ids and not self.all_matching:
            lacking.append("select at least one account")
        if not self.reason.strip():
            lacking.append("give a reason (it goes into the audit trail)")
        if ACTIONS[self.action].group and not self.group:
            lacking.append("choose a group")
        if self.action == "delete" and not self.confirmed:
            lacking.append("confirm that the accounts are deleted for good")
        return lacking


def _read(form: FormData, back: str) -> _Request | None:
    action = str(form.get("action") or "")
    if action not in ACTION_TITLES:
        return None
    return _Request(
        action=action,
        ids=tuple(dict.fromkeys(str(v) for v in form.getlist("id") if str(v))),
        all_matching=form.get("all_matching") == "1",
        filter_text=str(form.get("filter_text") or ""),
        reason=str(form.get("reason") or ""),
        group=str(form.get("group") or ""),
        confirmed=form.get("confirm_delete") == "1",
        back=back,
    )


def _run(store: Store, asked: _Request, admin: str) -> tuple[BulkResult, dict[str, str]]:
    reason = check_text(asked.reason, "the reason")
    if asked.all_matching:
        found = select_by_filter(store, asked.filter_text, MAX_SELECTED, admin)
        ids = [str(a.id) for a in found]
    else:
        if len(asked.ids) > MAX_SELECTED:
            raise InvalidInput(f"{len(asked.ids)} accounts are over the {MAX_SELECTED} allowed")
        found, ids = [], list(asked.ids)
    names = {str(a.id): a.user_name for a in found}
    run = ACTIONS[asked.action].run
    result: BulkResult = run(store, ids, asked.group or None, reason=reason, actor=admin)
    return result, names


def action_routes(hub: Hub) -> list[BaseRoute]:
    """Build the quick actions' route (relative to ``/console``).

    :param hub: the hub.
    :returns: the routes.
    """

    async def act(request: Request) -> Response:
        store = store_or_404(request, hub)
        if not isinstance(store, Store):
            return store
        admin = request.state.actor
        root = request.scope.get("root_path", "")
        back = f"{root}/stores/{request.path_params['store']}/accounts"
        form = request.state.form
        asked = _read(form, str(form.get("back") or back))
        if asked is None:
            return render_error(request, hub, 400, "no such quick action")
        if not asked.back.startswith(f"{root}/stores/"):
            asked = evolve(asked, back=back)
        context: dict[str, Any] = {
            "store": store.name,
            "asked": asked,
            "title": ACTION_TITLES[asked.action],
            "permission": PERMISSIONS[asked.action],
        }
        lacking = asked.missing()
        if lacking:
            groups = await call(store_groups, store, admin)
            status = 400 if asked.reason or asked.group or asked.confirmed else 200
            context.update(lacking=lacking, groups=groups)
            return render(request, hub, "confirm.html", context, status=status)
        result, names = await call(_run, store, asked, admin)
        context.update(result=result, names=names)
        return render(request, hub, "outcome.html", context)

    return [Route("/stores/{store}/accounts/actions", act, methods=["POST"])]
