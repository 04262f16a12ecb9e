"""The one bulk engine: a set-based bulk hook in batches, else the single operation per account.

Every bulk method of the facade (enable, disable, delete, add to and remove from a group, create)
runs through :func:`run_bulk`, which turns whatever the backend answered — an
:class:`~idconnect.core.model.Outcome` per id, an account or an error per new account, a whole
batch's error, ``None`` from a single operation — into one outcome per account, in order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from idconnect.core.context import CallContext
from idconnect.core.errors import IdconnectError, PluginError
from idconnect.core.facade.calls import StoreCalls
from idconnect.core.facade.checks import check_ids
from idconnect.core.facade.settle import settle_indeterminate
from idconnect.core.model import Account, BulkResult, Outcome
from idconnect.core.operations import OPERATIONS, bulk_form

__all__ = ["bulk_by_id", "run_bulk"]


def run_bulk(
    store: StoreCalls,
    context: CallContext,
    single: str,
    items: Sequence[Any],
    keys: Sequence[str],
    *,
    extra: Mapping[str, Any] | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[Outcome]:
    """Run operation ``single`` on many accounts and report each account's outcome.

    Uses the set-based bulk form of ``single`` when the store has it (at most
    ``store.batch_size`` items per hook call), else ``single`` on each item with the hub's
    bounded concurrency.

    :param store: the store.
    :param context: the call's context (one request id for the whole action).
    :param single: the single operation, e.g. ``delete_account`` or ``create_account``.
    :param items: what the operation takes per account: ids, or accounts to create.
    :param keys: how each item's outcome names the account (its id, or the requested userName).
    :param extra: further hook arguments, the same for every item (``enabled``, ``group_id``).
    :param progress: called with how many more accounts are done, as they get done.
    :returns: one outcome per item, in order.
    :raises PermissionDenied: when the actor lacks the operation's permission (before any I/O,
        one ``denied`` event per account).
    :raises NotSupported: when the store has neither form (before any I/O).
    :raises PluginError: when a bulk hook answers for other or fewer accounts than it was given.
    """
    extra = dict(extra or {})
    creates = single == "create_account"
    bulk = bulk_form(single)
    gate = OPERATIONS[bulk or single]
    asked = {gate.subject: items} if bulk is not None and gate.subject else {}
    store.hub.permissions.check(gate, {"context": context, **extra, **asked})
    capabilities = store.capabilities
    if bulk is not None and bulk in capabilities:
        argument = OPERATIONS[bulk].subject
        assert argument is not None
        outcomes: list[Outcome] = []
        for start in range(0, len(items), store.batch_size):
            batch = items[start : start + store.batch_size]
            batch_keys = keys[start : start + store.batch_size]
            try:
                answers = list(
                    store._hook(bulk, context, subject=None, **{argument: batch}, **extra)
                )
            except IdconnectError as exc:
                outcomes.extend(Outcome(account_id=key, error=exc) for key in batch_keys)
            else:
                if len(answers) != len(batch):
                    raise PluginError(
                        f"{bulk} returned {len(answers)} results for {len(batch)} accounts",
                        store=store.name,
                    )
                outcomes.extend(
                    _settle(store, bulk, key, answer, creates)
                    for key, answer in zip(batch_keys, answers, strict=True)
                )
            if progress is not None:
                progress(len(batch))
        return outcomes
    if single in capabilities:
        argument = "account" if creates else "account_id"

        def one(item: Any) -> Any:
            subject = None if creates else item
            return store._hook(single, context, subject=subject, **{argument: item}, **extra)

        answers = store._map(items, one, progress)
        return [
            _settle(store, single, key, answer, creates)
            for key, answer in zip(keys, answers, strict=True)
        ]
    raise store._not_supported(single)


def _settle(store: StoreCalls, op: str, key: str, answer: Any, creates: bool) -> Outcome:
    if isinstance(answer, Outcome):
        if answer.account_id != key:
            raise PluginError(
                f"{op} returned outcomes that do not match the ids asked for", store=store.name
            )
        if isinstance(answer.error, IdconnectError):
            answer.error.in_context(store=store.name, account=key)
        return answer
    if isinstance(answer, IdconnectError):
        return Outcome(
            account_id=key,
            error=answer.in_context(store=store.name, account=None if creates else key),
        )
    if not creates:
        return Outcome(account_id=key)
    if isinstance(answer, Account) and answer.id:
        return Outcome(account_id=answer.id, account=answer)
    return Outcome(
        account_id=key,
        error=PluginError("the backend returned neither an account nor an error", store=store.name),
    )


def bulk_by_id(
    store: StoreCalls,
    action: str,
    single: str,
    ids: Iterable[str],
    *,
    reason: str,
    actor: str | None,
    extra: Mapping[str, Any] | None = None,
    progress: Callable[[int], None] | None = None,
) -> BulkResult:
    """Check a bulk action on account ids, run it through :func:`run_bulk`, log failures.

    :param store: the store.
    :param action: the action the result names (``disable_account``).
    :param single: the single operation (``set_account_enabled``).
    :param ids: account ids.
    :param reason: why (required).
    :param actor: the acting admin, else the hub's.
    :param extra: further hook arguments.
    :param progress: called with how many more accounts are done.
    :returns: each account's outcome; indeterminate ones settled where the store answers.
    :raises InvalidInput: for a missing reason or a malformed id (before anything changes).
    :raises NotSupported: when the store cannot do it.
    """
    wanted = check_ids(ids, store=store.name)
    context = store._context(actor, reason, need_reason=True)
    outcomes = run_bulk(store, context, single, wanted, wanted, extra=extra, progress=progress)
    outcomes = settle_indeterminate(store, context, action, single, outcomes, extra or {})
    return store._report(BulkResult(action=action, outcomes=outcomes))
