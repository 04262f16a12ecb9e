"""Settling indeterminate bulk outcomes: re-read the account and say what the store holds.

A backend reports :class:`~idconnect.core.errors.OutcomeUnknown` for an account whose request
was sent but never answered (the connection died). Where the store can read accounts, the facade
reads each such account again after the batch and turns the outcome into ``ok`` (the change is
there) or failed (it is not); an account it still cannot read stays indeterminate. Every settled
outcome is audited again, under the same request id, so the trail ends on what the store holds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from idconnect.core.context import CallContext
from idconnect.core.errors import IdconnectError, NotFound, StoreUnavailable
from idconnect.core.facade.calls import StoreCalls
from idconnect.core.model import Account, Outcome

__all__ = ["settle_indeterminate"]

Holds = Callable[[Account | None, Mapping[str, Any]], bool]
"""Whether the store's answer (``None``: no such account) shows the change was made."""

_CHECKS: dict[str, Holds] = {
    "set_account_enabled": lambda a, x: a is not None and a.active is bool(x["enabled"]),
    "delete_account": lambda a, x: a is None,
    "add_group_member": lambda a, x: a is not None and _member(a, x["group_id"]),
    "remove_group_member": lambda a, x: a is not None and not _member(a, x["group_id"]),
}


def _member(account: Account, group_id: str) -> bool:
    return any(ref.value == group_id for ref in account.groups)


def settle_indeterminate(
    store: StoreCalls,
    context: CallContext,
    action: str,
    single: str,
    outcomes: Sequence[Outcome],
    extra: Mapping[str, Any],
) -> list[Outcome]:
    """Re-read the accounts of indeterminate outcomes and settle each to what the store holds.

    :param store: the store.
    :param context: the bulk call's context (its request id ties the new events to the call).
    :param action: the audit action of the bulk call.
    :param single: the single operation the bulk call ran.
    :param outcomes: the outcomes as the backend reported them.
    :param extra: the bulk call's further arguments (``enabled``, ``group_id``).
    :returns: the outcomes, settled where the store answered.
    """
    check = _CHECKS.get(single)
    unknown = [o for o in outcomes if o.indeterminate]
    if check is None or not unknown or "get_account" not in store.capabilities:
        return list(outcomes)
    settled: dict[str, Outcome] = {}
    for outcome in unknown:
        try:
            account: Account | None = store._hook(
                "get_account", context, subject=outcome.account_id, account_id=outcome.account_id
            )
        except NotFound:
            account = None
        except IdconnectError:
            continue
        if check(account, extra):
            settled[outcome.account_id] = Outcome(account_id=outcome.account_id)
        else:
            settled[outcome.account_id] = Outcome(
                account_id=outcome.account_id,
                error=StoreUnavailable(
                    "the connection was lost before the change was made; the account is unchanged",
                    store=store.name,
                    account=outcome.account_id,
                ),
            )
    if settled:
        audit = store.hub.audit
        store.hub.state.record(
            audit.event(context, action, account_id=o.account_id, error=o.error)
            for o in settled.values()
        )
    return [settled.get(o.account_id, o) for o in outcomes]
