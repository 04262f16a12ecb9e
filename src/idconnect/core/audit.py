"""The audit trail: a built-in wrapper plugin that records every mutation as an Event.

It wraps each mutating operation hook, lets the backend run, and writes one event per account
touched, success or failure, with the actor, reason, request id and the *names* of changed
attributes (never their values). Bulk hooks produce one event per outcome.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping, Sequence
from typing import Any

import pluggy

from idconnect.core.context import CallContext
from idconnect.core.errors import IdconnectError, PluginError, StoreUnavailable
from idconnect.core.hookspecs import PROJECT
from idconnect.core.instants import utc_now
from idconnect.core.model import (
    Account,
    Authenticator,
    AuthenticatorKind,
    Event,
    Group,
    Outcome,
    RoleAssignment,
)
from idconnect.core.state import StateDatabase, new_event_id

__all__ = ["AuditTrail"]

_impl = pluggy.HookimplMarker(PROJECT)

Wrapped = Generator[None, Any, Any]


class AuditTrail:
    """Records the outcome of every mutation in the hub's state database.

    :param state: the hub's state database.
    """

    def __init__(self, state: StateDatabase) -> None:
        self.state = state

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
        """Build one event for ``context`` (not written yet).

        :param context: the call's context.
        :param action: the operation name, e.g. ``disable_account``.
        :param account_id: the account concerned.
        :param target: the secondary object (group, role, authenticator, session).
        :param changed: names of changed attributes.
        :param error: the failure, if it failed.
        :returns: the event.
        """
        code = error.code if isinstance(error, IdconnectError) else PluginError.code
        return Event(
            id=new_event_id(),
            at=utc_now(),
            actor=context.actor,
            store=context.store,
            action=action,
            outcome="success" if error is None else "failure",
            request_id=context.request_id,
            account_id=account_id,
            reason=context.reason,
            target=target,
            changed=tuple(changed),
            error_code=None if error is None else code,
            error=None if error is None else str(error)[:2000],
        )

    def _around(
        self,
        context: CallContext,
        action: str,
        account_id: str | None,
        *,
        target: str | None = None,
        changed: Sequence[str] = (),
    ) -> Wrapped:
        try:
            result = yield
        except Exception as exc:
            self.state.record(
                [
                    self.event(
                        context,
                        action,
                        account_id=account_id,
                        target=target,
                        changed=changed,
                        error=exc,
                    )
                ]
            )
            raise
        if account_id is None and isinstance(result, Account | Group):
            account_id = result.id if isinstance(result, Account) else None
            target = result.id if isinstance(result, Group) else target
        self._record_applied(
            context,
            action,
            [self.event(context, action, account_id=account_id, target=target, changed=changed)],
        )
        return result

    def _record_applied(self, context: CallContext, action: str, events: list[Event]) -> None:
        try:
            self.state.record(events)
        except IdconnectError as exc:
            raise StoreUnavailable(
                f"{action} was applied, but its audit event could not be written: {exc.message}",
                store=context.store,
                account=events[0].account_id if len(events) == 1 else None,
            ) from exc

    def _around_bulk(
        self,
        context: CallContext,
        action: str,
        account_ids: Sequence[str],
        target: str | None = None,
    ) -> Wrapped:
        try:
            outcomes: Sequence[Outcome] = yield
        except Exception as exc:
            self.state.record(
                self.event(context, action, account_id=i, target=target, error=exc)
                for i in account_ids
            )
            raise
        self._record_applied(
            context,
            action,
            [
                self.event(context, action, account_id=o.account_id, target=target, error=o.error)
                for o in outcomes
            ],
        )
        return outcomes

    # -- accounts ---------------------------------------------------------------------------------

    @_impl(wrapper=True)
    def idconnect_create_account(self, context: CallContext, account: Account) -> Wrapped:
        """Audit ``create_account``."""
        return (yield from self._around(context, "create_account", None, target=account.user_name))

    @_impl(wrapper=True)
    def idconnect_update_account(
        self, context: CallContext, account_id: str, changes: Mapping[str, Any]
    ) -> Wrapped:
        """Audit ``update_account`` with the changed attribute names."""
        return (
            yield from self._around(context, "update_account", account_id, changed=sorted(changes))
        )

    @_impl(wrapper=True)
    def idconnect_set_account_enabled(
        self, context: CallContext, account_id: str, enabled: bool
    ) -> Wrapped:
        """Audit ``set_account_enabled`` as ``enable_account`` or ``disable_account``."""
        action = "enable_account" if enabled else "disable_account"
        return (yield from self._around(context, action, account_id, changed=["active"]))

    @_impl(wrapper=True)
    def idconnect_delete_account(self, context: CallContext, account_id: str) -> Wrapped:
        """Audit ``delete_account``."""
        return (yield from self._around(context, "delete_account", account_id))

    @_impl(wrapper=True)
    def idconnect_bulk_set_accounts_enabled(
        self, context: CallContext, account_ids: Sequence[str], enabled: bool
    ) -> Wrapped:
        """Audit each outcome of ``bulk_set_accounts_enabled``."""
        action = "enable_account" if enabled else "disable_account"
        return (yield from self._around_bulk(context, action, account_ids))

    @_impl(wrapper=True)
    def idconnect_bulk_create_accounts(
        self, context: CallContext, accounts: Sequence[Account]
    ) -> Wrapped:
        """Audit each result of ``bulk_create_accounts`` (a failure names the userName)."""
        try:
            results: Sequence[Account | Exception] = yield
        except Exception as exc:
            self.state.record(
                self.event(
                    context, "create_account", account_id=None, target=a.user_name, error=exc
                )
                for a in accounts
            )
            raise
        self._record_applied(
            context,
            "create_account",
            [
                self.event(context, "create_account", account_id=r.id)
                if isinstance(r, Account)
                else self.event(
                    context, "create_account", account_id=None, target=a.user_name, error=r
                )
                for a, r in zip(accounts, results, strict=False)
            ],
        )
        return results

    @_impl(wrapper=True)
    def idconnect_bulk_delete_accounts(
        self, context: CallContext, account_ids: Sequence[str]
    ) -> Wrapped:
        """Audit each outcome of ``bulk_delete_accounts``."""
        return (yield from self._around_bulk(context, "delete_account", account_ids))

    # -- groups -----------------------------------------------------------------------------------

    @_impl(wrapper=True)
    def idconnect_create_group(self, context: CallContext, group: Group) -> Wrapped:
        """Audit ``create_group``."""
        return (yield from self._around(context, "create_group", None))

    @_impl(wrapper=True)
    def idconnect_delete_group(self, context: CallContext, group_id: str) -> Wrapped:
        """Audit ``delete_group``."""
        return (yield from self._around(context, "delete_group", None, target=group_id))

    @_impl(wrapper=True)
    def idconnect_add_group_member(
        self, context: CallContext, group_id: str, account_id: str
    ) -> Wrapped:
        """Audit ``add_group_member``."""
        return (yield from self._around(context, "add_group_member", account_id, target=group_id))

    @_impl(wrapper=True)
    def idconnect_remove_group_member(
        self, context: CallContext, group_id: str, account_id: str
    ) -> Wrapped:
        """Audit ``remove_group_member``."""
        return (
            yield from self._around(context, "remove_group_member", account_id, target=group_id)
        )

    @_impl(wrapper=True)
    def idconnect_bulk_add_group_members(
        self, context: CallContext, group_id: str, account_ids: Sequence[str]
    ) -> Wrapped:
        """Audit each outcome of ``bulk_add_group_members``."""
        return (yield from self._around_bulk(context, "add_group_member", account_ids, group_id))

    @_impl(wrapper=True)
    def idconnect_bulk_remove_group_members(
        self, context: CallContext, group_id: str, account_ids: Sequence[str]
    ) -> Wrapped:
        """Audit each outcome of ``bulk_remove_group_members``."""
        return (yield from self._around_bulk(context, "remove_group_member", account_ids, group_id))

    # -- roles ------------------------------------------------------------------------------------

    @_impl(wrapper=True)
    def idconnect_assign_role(
        self, context: CallContext, account_id: str, assignment: RoleAssignment
    ) -> Wrapped:
        """Audit ``assign_role``; the target is ``role@organization``."""
        return (
            yield from self._around(context, "assign_role", account_id, target=_role(assignment))
        )

    @_impl(wrapper=True)
    def idconnect_unassign_role(
        self, context: CallContext, account_id: str, assignment: RoleAssignment
    ) -> Wrapped:
        """Audit ``unassign_role``."""
        return (
            yield from self._around(context, "unassign_role", account_id, target=_role(assignment))
        )

    # -- authenticators ---------------------------------------------------------------------------

    @_impl(wrapper=True)
    def idconnect_add_authenticator(
        self, context: CallContext, account_id: str, kind: AuthenticatorKind
    ) -> Wrapped:
        """Audit ``add_authenticator`` (the kind, never the value)."""
        result: Authenticator = yield from self._around(
            context, "add_authenticator", account_id, target=str(kind)
        )
        return result

    @_impl(wrapper=True)
    def idconnect_remove_authenticator(
        self, context: CallContext, account_id: str, authenticator_id: str
    ) -> Wrapped:
        """Audit ``remove_authenticator``."""
        return (
            yield from self._around(
                context, "remove_authenticator", account_id, target=authenticator_id
            )
        )

    @_impl(wrapper=True)
    def idconnect_set_password(self, context: CallContext, account_id: str) -> Wrapped:
        """Audit ``set_password`` (that it changed, never the password)."""
        return (yield from self._around(context, "set_password", account_id, changed=["password"]))

    @_impl(wrapper=True)
    def idconnect_reset_failed_attempts(self, context: CallContext, account_id: str) -> Wrapped:
        """Audit ``reset_failed_attempts``."""
        return (
            yield from self._around(
                context, "reset_failed_attempts", account_id, changed=["failedAttempts"]
            )
        )

    # -- sessions ---------------------------------------------------------------------------------

    @_impl(wrapper=True)
    def idconnect_revoke_session(
        self, context: CallContext, account_id: str, session_id: str
    ) -> Wrapped:
        """Audit ``revoke_session``."""
        return (yield from self._around(context, "revoke_session", account_id, target=session_id))

    @_impl(wrapper=True)
    def idconnect_revoke_sessions(self, context: CallContext, account_id: str) -> Wrapped:
        """Audit ``revoke_sessions``."""
        return (yield from self._around(context, "revoke_sessions", account_id))


def _role(assignment: RoleAssignment) -> str:
    org = assignment.organization
    return f"{assignment.role}@{org}" if org else assignment.role
