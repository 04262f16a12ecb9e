"""The audit trail: a built-in wrapper plugin that records every mutation as an event.

Its wrappers are not written by hand: :class:`AuditTrail` generates one ``hookimpl(wrapper=True)``
per operation whose metadata says ``mutates=True`` (see :mod:`idconnect.core.operations`), with
the spec's own signature. Each lets the backend run and writes one event per account touched,
success or failure, with the actor, reason, request id and the *names* of changed attributes
(never their values); a bulk form writes one event per outcome, all in one set-based write
(:meth:`~idconnect.core.state.StateDatabase.write`) that is durable before the call returns.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping, Sequence
from typing import Any

from idconnect.core.activity import ActivityRecord
from idconnect.core.context import CallContext
from idconnect.core.errors import IdconnectError, PermissionDenied, PluginError, StoreUnavailable
from idconnect.core.instants import utc_now
from idconnect.core.model import Account, Event, Group, Outcome, RoleAssignment, event_outcome
from idconnect.core.operations import OPERATIONS, Operation
from idconnect.core.records import Consent, IdentityVerification
from idconnect.core.state import EventRow, StateDatabase, new_event_id, new_event_ids
from idconnect.core.wrappers import Wrapped, generate

__all__ = ["AuditTrail", "target_text"]

_MAX_ERROR = 2000
"""Characters of an error message kept in an event."""


class AuditTrail:
    """Records the outcome of every mutation in the hub's state database.

    :param state: the hub's state database.
    :param operations: the operations to audit (those with ``mutates=True`` are wrapped);
        default every operation of the core's hook specs.
    :raises TypeError: when an operation's spec has an argument name that is not an identifier.
    """

    def __init__(
        self, state: StateDatabase, *, operations: Mapping[str, Operation] = OPERATIONS
    ) -> None:
        self.state = state
        self.wrapped: tuple[str, ...] = tuple(op.hook for op in operations.values() if op.mutates)
        """The hook names this trail wraps."""
        for op in operations.values():
            if op.mutates:
                shape = self._bulk if op.is_bulk else self._single
                setattr(self, op.hook, generate(op, shape, owner="audit"))

    def event(
        self,
        context: CallContext,
        action: str,
        *,
        account_id: str | None,
        target: str | None = None,
        changed: Sequence[str] = (),
        error: BaseException | None = None,
    ) -> Event:
        """Build one event for ``context`` (not written yet: pass it to ``state.record``).

        :param context: the call's context.
        :param action: the operation name, e.g. ``disable_account``.
        :param account_id: the account concerned.
        :param target: the secondary object (group, role, authenticator, session).
        :param changed: names of changed attributes.
        :param error: the failure, if it failed.
        :returns: the event.
        """
        return Event(
            id=new_event_id(),
            at=utc_now(),
            actor=context.actor,
            store=context.store,
            action=action,
            outcome=event_outcome(error),
            request_id=context.request_id,
            account_id=account_id,
            reason=context.reason,
            target=target,
            changed=tuple(changed),
            error_code=None if error is None else _code(error),
            error=None if error is None else str(error)[:_MAX_ERROR],
        )

    def denied(self, op: Operation, arguments: Mapping[str, Any], error: PermissionDenied) -> None:
        """Record that a call of ``op`` was refused before it ran (outcome ``denied``).

        Written like the call's own events would have been: one event, or one per account of a
        bulk form.

        :param op: the refused operation (reads are recorded too).
        :param arguments: the call's keyword arguments (``context`` included); an argument
            the metadata names but the caller did not give counts as ``None``.
        :param error: the refusal.
        :raises StoreUnavailable: when neither the database nor the spool takes the events.
        """
        context: CallContext = arguments["context"]
        action = op.audit_action(arguments)
        subject = arguments.get(op.subject) if op.subject else None
        target = target_text(arguments.get(op.target)) if op.target else None
        if op.is_bulk:
            pairs = [_pair(s, error, target) for s in subject or ()]
            self.state.write(_rows(context, action, pairs))
            return
        changed = _changed_json(op.changed_names(arguments))
        self.state.write([_row(context, action, subject, target, changed, error)])

    # -- the two shapes every generated wrapper takes ---------------------------------------------

    def _single(self, op: Operation, arguments: Mapping[str, Any]) -> Wrapped:
        """Audit one single operation: one event, whose ids may come from the result."""
        context: CallContext = arguments["context"]
        action = op.audit_action(arguments)
        account_id = arguments[op.subject] if op.subject else None
        target = target_text(arguments[op.target]) if op.target else None
        changed = _changed_json(op.changed_names(arguments))
        try:
            result = yield
        except Exception as exc:
            self.state.write([_row(context, action, account_id, target, changed, exc)])
            raise
        if account_id is None and isinstance(result, Account):
            account_id = result.id
        if target is None and isinstance(result, Group):
            target = result.id
        row = _row(context, action, account_id, target, changed, None)
        self._write_applied(context, action, [row], account=account_id)
        return result

    def _bulk(self, op: Operation, arguments: Mapping[str, Any]) -> Wrapped:
        """Audit a set-based bulk form: one event per account, written in one set-based write.

        Events of bulk forms name no changed attributes (as they always have).
        """
        context: CallContext = arguments["context"]
        action = op.audit_action(arguments)
        subjects: Sequence[Any] = arguments[op.subject] if op.subject else ()
        target = target_text(arguments[op.target]) if op.target else None
        try:
            results: Sequence[Any] = yield
        except Exception as exc:
            self.state.write(_rows(context, action, [_pair(s, exc, target) for s in subjects]))
            raise
        pairs = [_pair(s, r, target) for s, r in zip(subjects, results, strict=False)]
        only = pairs[0][0] if len(pairs) == 1 else None
        self._write_applied(context, action, _rows(context, action, pairs), account=only)
        return results

    def _write_applied(
        self, context: CallContext, action: str, rows: list[EventRow], account: str | None = None
    ) -> None:
        try:
            self.state.write(rows)
        except IdconnectError as exc:
            raise StoreUnavailable(
                f"{action} was applied, but its audit event could not be written: {exc.message}",
                store=context.store,
                account=account,
            ) from exc


def target_text(value: Any) -> str | None:
    """Return the text an event names a target argument by (never a secret value).

    :param value: the argument (a group id, a role assignment, ...).
    :returns: its text, or ``None``.
    """
    if isinstance(value, RoleAssignment):
        org = value.organization
        return f"{value.role}@{org}" if org else value.role
    if isinstance(value, Account):
        return value.user_name
    if isinstance(value, Group):
        return None  # a new group is named by the id in the result
    if isinstance(value, IdentityVerification | Consent | ActivityRecord):
        return value.id  # as revoking the record names it
    if isinstance(value, enum.Enum):
        return str(value.value)
    return None if value is None else str(value)


def _pair(
    subject: Any, result: Any, target: str | None
) -> tuple[str | None, str | None, BaseException | None]:
    """One bulk event's ``(account_id, target, error)`` from its subject and its result.

    A subject is an account id, or for bulk creation the new :class:`Account` (then a success
    names the new id and a failure names the requested ``userName`` as its target).
    """
    if isinstance(result, Outcome):
        return result.account_id, target, result.error
    error = result if isinstance(result, BaseException) else None
    if isinstance(subject, Account):
        if isinstance(result, Account):
            return result.id, None, None
        return None, subject.user_name, error
    return subject, target, error


def _rows(
    context: CallContext,
    action: str,
    pairs: Sequence[tuple[str | None, str | None, BaseException | None]],
) -> list[EventRow]:
    """Build a bulk call's rows: one instant and one read of random ids for all of them."""
    at = utc_now()
    ids = new_event_ids(len(pairs))
    actor, store, request, reason = context.actor, context.store, context.request_id, context.reason
    texts: dict[int, tuple[str, str]] = {}  # a raised error is shared by every account
    rows: list[EventRow] = []
    for event_id, (account_id, target, error) in zip(ids, pairs, strict=True):
        if error is None:
            rows.append(
                (
                    event_id,
                    at,
                    actor,
                    store,
                    action,
                    "success",
                    request,
                    account_id,
                    reason,
                    target,
                    None,
                    None,
                    None,
                )
            )
            continue
        code, text = texts.get(id(error)) or texts.setdefault(id(error), _error_texts(error))
        rows.append(
            (
                event_id,
                at,
                actor,
                store,
                action,
                event_outcome(error),
                request,
                account_id,
                reason,
                target,
                None,
                code,
                text,
            )
        )
    return rows


def _row(
    context: CallContext,
    action: str,
    account_id: str | None,
    target: str | None,
    changed: str | None,
    error: BaseException | None,
) -> EventRow:
    code, text = (None, None) if error is None else _error_texts(error)
    return (
        new_event_id(),
        utc_now(),
        context.actor,
        context.store,
        action,
        event_outcome(error),
        context.request_id,
        account_id,
        context.reason,
        target,
        changed,
        code,
        text,
    )


def _changed_json(names: Sequence[str]) -> str | None:
    return json.dumps(list(names)) if names else None


def _code(error: BaseException) -> str:
    return error.code if isinstance(error, IdconnectError) else PluginError.code


def _error_texts(error: BaseException) -> tuple[str, str]:
    return _code(error), str(error)[:_MAX_ERROR]
