"""Bulk actions on accounts: ``POST /api/stores/{store}/accounts/bulk``.

Enable, disable, delete, add to or remove from a group many accounts, named by id or selected
by a filter, with a dry run.
The answer is the canonical ``BulkResult`` document (:func:`idconnect.core.convert.to_json`):
every account's outcome, a SCIM Error for each failure. A dry run changes nothing and answers
which accounts would be acted on and which ids match no account.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from attrs import frozen

from idconnect.core.convert import to_json
from idconnect.core.errors import NotFound
from idconnect.core.filter.parse import MAX_LENGTH
from idconnect.core.model import Account, BulkResult
from idconnect.core.notification import Notified
from idconnect.http.admin.schemas import TEXT, ref, store_param
from idconnect.http.admin.spec import Call, Endpoint, Reply
from idconnect.http.calls import ApiError

if TYPE_CHECKING:
    from idconnect.core.facade import Store

__all__ = ["ACTIONS", "ENDPOINTS", "MAX_SELECTED", "select_by_filter"]

MAX_SELECTED = 10_000
"""The most accounts one bulk request acts on (``max`` lowers it)."""

MAX_IDS = 1000
"""The most ids one bulk request names."""


@frozen
class _Action:
    run: Callable[..., Any]
    """The facade method, given the store and ``(ids, group)``."""
    group: bool = False
    notify: bool = False


ACTIONS: dict[str, _Action] = {
    "enable": _Action(lambda s, ids, _g, **kw: s.enable_accounts(ids, **kw), notify=True),
    "disable": _Action(lambda s, ids, _g, **kw: s.disable_accounts(ids, **kw), notify=True),
    "delete": _Action(lambda s, ids, _g, **kw: s.delete_accounts(ids, **kw)),
    "add-to-group": _Action(lambda s, ids, g, **kw: s.add_to_group(g, ids, **kw), group=True),
    "remove-from-group": _Action(
        lambda s, ids, g, **kw: s.remove_from_group(g, ids, **kw), group=True
    ),
}
"""The bulk actions by name."""


def select_by_filter(store: Store, filter_text: str, most: int, actor: str) -> list[Account]:
    """Read every account a filter selects for a bulk action, refusing more than ``most``.

    :param store: the store.
    :param filter_text: the SCIM filter.
    :param most: the most accounts the action may act on.
    :param actor: the acting admin (who needs ``accounts.read``).
    :returns: the accounts, in the store's order.
    :raises ApiError: 400 when more than ``most`` accounts match (nothing is changed).
    :raises FilterError: for a malformed filter.
    """
    found: list[Account] = []
    for account in store.iter_accounts(filter_text, actor=actor):
        found.append(account)
        if len(found) > most:
            raise ApiError(
                400,
                "invalid_input",
                f"more than {most} accounts match the filter, over the limit; nothing changed",
            )
    return found


def _known(store: Store, ids: Sequence[str], actor: str) -> tuple[list[Account], list[str]]:
    found: list[Account] = []
    unknown: list[str] = []
    for account_id in ids:
        try:
            found.append(store.get_account(account_id, actor=actor))
        except NotFound:
            unknown.append(account_id)
    return found, unknown


def _dry_run(action: str, found: Sequence[Account], unknown: Sequence[str]) -> dict[str, Any]:
    return {
        "action": action,
        "dryRun": True,
        "count": len(found),
        "accounts": [{"id": str(a.id), "userName": a.user_name, "active": a.active} for a in found],
        "unknown": list(unknown),
    }


def _result(outcome: BulkResult | Notified[BulkResult]) -> dict[str, Any]:
    if isinstance(outcome, Notified):
        doc: dict[str, Any] = to_json(outcome.result)
        doc["notifications"] = [
            {
                "id": n.id,
                "accountId": n.account_id,
                "status": n.status.value,
                **({"cause": n.cause} if n.cause else {}),
            }
            for n in outcome.notifications
        ]
        return doc
    result: dict[str, Any] = to_json(outcome)
    return result


async def _bulk(call: Call) -> Any:
    body = call.body
    name = body["action"]
    action = ACTIONS[name]
    if action.group != ("group" in body):
        raise ApiError(
            400,
            "invalid_input",
            f"group is {'required' if action.group else 'not allowed'} for action {name!r}",
        )
    if "notify" in body and not action.notify:
        raise ApiError(400, "invalid_input", f"notify is not allowed for action {name!r}")
    dry_run = body.get("dry_run", False)
    reason = None if dry_run else call.reason()
    store = call.store
    most = body.get("max", MAX_SELECTED)
    if "ids" in body:
        ids = list(dict.fromkeys(body["ids"]))
        if len(ids) > most:
            raise ApiError(400, "invalid_input", f"{len(ids)} ids are over max {most}")
        found: list[Account] | None = None
    else:
        found = await call.run(select_by_filter, store, body["filter"], most)
        ids = [str(a.id) for a in found]
    if dry_run:
        if found is None:
            known, unknown = await call.run(_known, store, ids)
            return _dry_run(name, known, unknown)
        return _dry_run(name, found, [])
    extra = {"notify": body["notify"]} if "notify" in body else {}
    outcome = await call.run(action.run, store, ids, body.get("group"), reason=reason, **extra)
    return _result(outcome)


_BODY = {
    "action": {"enum": list(ACTIONS), "description": "What to do to every selected account."},
    "ids": {
        "type": "array",
        "items": TEXT,
        "minItems": 1,
        "maxItems": MAX_IDS,
        "description": "Account ids (or give filter).",
    },
    "filter": {
        **TEXT,
        "maxLength": MAX_LENGTH,
        "description": "A SCIM filter selecting the accounts (or give ids).",
    },
    "group": {**TEXT, "description": "The group's id, for add-to-group and remove-from-group."},
    "dry_run": {"type": "boolean", "description": "List the accounts; change nothing."},
    "max": {
        "type": "integer",
        "minimum": 1,
        "maximum": MAX_SELECTED,
        "description": "Refuse (change nothing) when more accounts are selected.",
    },
    "notify": {**TEXT, "description": "enable/disable: a client to tell each customer through."},
    "reason": {**TEXT, "description": "Why (or the Idconnect-Reason header); not for dry runs."},
}

ENDPOINTS = (
    Endpoint(
        method="POST",
        path="/stores/{store}/accounts/bulk",
        name="bulkAccounts",
        summary="Enable, disable, delete, add to or remove from a group many accounts.",
        tag="accounts",
        run=_bulk,
        params=(store_param(),),
        body=_BODY,
        required=("action",),
        exclusive=("ids", "filter"),
        responses={
            200: Reply(
                description="Each account's outcome (BulkResult), or, for a dry run, the"
                " accounts that would be acted on (DryRun).",
                schema={"anyOf": [ref("BulkResult"), ref("DryRun")]},
            )
        },
    ),
)
