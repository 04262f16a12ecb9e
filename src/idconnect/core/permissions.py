"""The permission check: a built-in wrapper plugin (``idconnect.permissions``) on every operation.

Like the audit trail, its wrappers are generated from the operation metadata, one per operation
of :data:`~idconnect.core.operations.OPERATIONS` (reads included), so a new operation is checked
as soon as its spec names a ``permission``; nothing is written per operation. They are
``tryfirst``: outside the audit trail and the backend, so a refused call reaches neither. A
refusal raises :class:`~idconnect.core.errors.PermissionDenied` naming the actor, the permission
and the store, and is itself an audit event (outcome ``denied``).

The facade asks :meth:`Permissions.check` itself *before* it decides whether the store has the
operation (permission first, then ``NotSupported``): an actor without the permission learns
nothing about the store's capabilities and causes no capability discovery. The wrappers make sure
that no operation hook runs unchecked, whoever calls it (the bulk engine, settlement re-reads,
a script holding a store's plugin manager).

Whose permissions count (DESIGN §14): the roles of the hub config's ``[admins]`` combined with
those of the state database (:meth:`~idconnect.core.admins.AdminPolicy.combine`: config roles
win, grants add up). It fails closed: once any role or grant is configured, an actor without a
role can do nothing. With none configured anywhere, the local operating-system user holds the
built-in ``owner`` role and nobody else holds any.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from idconnect.core.admin_state import AdminState
from idconnect.core.admins import OWNER, AdminPolicy
from idconnect.core.audit import AuditTrail
from idconnect.core.context import CallContext
from idconnect.core.errors import IdconnectError, PermissionDenied
from idconnect.core.operations import OPERATIONS, Operation
from idconnect.core.wrappers import Wrapped, generate

__all__ = ["REFRESH_SECONDS", "SYSTEM_ACTOR", "Permissions"]

log = logging.getLogger("idconnect")

REFRESH_SECONDS = 10.0
"""How long the roles read from the state database are used before being read again: a grant or
revoke made by another hub process counts within this time (one made through this hub at once)."""
_ANSWERS_KEPT = 4096
"""How many (actor, permission, store) answers of the policy in force are kept."""

SYSTEM_ACTOR = "idconnect-hub"
"""The actor of what the hub does for a customer who redeemed a token (setting the password of a
reset link). The name alone grants nothing: only inside :meth:`Permissions.system_grant`."""


class Permissions:
    """Checks every operation call against the admin roles before it runs.

    :param config: the roles and members of the hub config.
    :param state: the roles and grants of the hub's state database.
    :param audit: the audit trail denials are recorded in.
    :param local_user: returns the operating-system user, who acts as owner while nothing is
        configured (asked only then).
    :param operations: the operations to wrap; default every operation of the hook specs.
    """

    def __init__(
        self,
        config: AdminPolicy,
        state: AdminState,
        audit: AuditTrail,
        *,
        local_user: Callable[[], str],
        operations: Mapping[str, Operation] = OPERATIONS,
    ) -> None:
        self.config = config
        self.state = state
        self.audit = audit
        self._local_user = local_user
        self._policy: AdminPolicy | None = None
        self._embedded = False
        self._read_at = 0.0
        self._answers: tuple[AdminPolicy | None, dict[tuple[str, str, str], bool]] = (None, {})
        """The policy in force and what it answered so far (actor, permission, store)."""
        self._system: contextvars.ContextVar[frozenset[tuple[str, str]]] = contextvars.ContextVar(
            "idconnect_system_grants", default=frozenset()
        )
        self.wrapped: tuple[str, ...] = tuple(op.hook for op in operations.values())
        """The hook names this plugin wraps."""
        for op in operations.values():
            setattr(self, op.hook, generate(op, self._guard, owner="permission", tryfirst=True))

    # -- whose permissions count ------------------------------------------------------------------

    def policy(self) -> AdminPolicy:
        """Return the roles and grants in force (config and state, or the embedded default).

        The state's are read again after :data:`REFRESH_SECONDS`. While the state database
        cannot be read, the config's count alone (the state only adds grants, so every other
        actor is refused); with none in the config either, that is the embedded default, in
        which only the local user acts (who owns the hub's config and files anyway).

        :returns: the policy.
        """
        if self._policy is None or time.monotonic() - self._read_at > REFRESH_SECONDS:
            try:
                state = self.state.load()
            except IdconnectError as exc:
                log.warning("admin roles of the state database unreadable, config only: %s", exc)
                state = AdminPolicy()
            combined = self.config.combine(state)
            self._embedded = not combined.configured
            if self._embedded:
                combined = AdminPolicy(members={self.local_user: (OWNER.name,)})
            self._policy, self._read_at = combined, time.monotonic()
        return self._policy

    @property
    def local_user(self) -> str:
        """The operating-system user, the owner while no admin role is configured."""
        return self._local_user()

    def reload(self) -> None:
        """Forget the roles read so far: the next check reads the state database again."""
        self._policy = None

    @property
    def configured(self) -> bool:
        """Whether any admin role or grant is configured (in the config or the state)."""
        self.policy()
        return not self._embedded

    def describe(self) -> str:
        """Say in one line how permissions are configured, for ``idconnect stores``.

        :returns: the line.
        """
        policy = self.policy()
        if not self.configured:
            return f"permissions: none configured; local user {self.local_user!r} acts as owner"
        roles = len([r for r in policy.roles.values() if r.source != "built-in"])
        return f"permissions: {roles} role(s), {len(policy.members)} admin(s) hold roles"

    def allows(self, actor: str, permission: str, store: str) -> bool:
        """Whether ``actor`` may use ``permission`` on ``store``.

        :param actor: the acting admin.
        :param permission: a permission name.
        :param store: a store name, or :data:`~idconnect.core.admins.HUB_SCOPE`.
        :returns: ``True`` when one of the actor's roles grants it there.
        """
        return self.policy().allows(actor, permission, store)

    @contextlib.contextmanager
    def system_grant(self, store: str, *permissions: str) -> Iterator[None]:
        """Let :data:`SYSTEM_ACTOR` use ``permissions`` on ``store`` inside the ``with`` block.

        For the hub's own calls once a customer proved a right with a token (a reset link's
        password change); the grant holds in this thread's context only.

        :param store: the store name.
        :param permissions: the permission names granted.
        :returns: a context manager.
        """
        token = self._system.set(self._system.get() | {(store, p) for p in permissions})
        try:
            yield
        finally:
            self._system.reset(token)

    # -- refusing ---------------------------------------------------------------------------------

    def check(self, op: Operation, arguments: Mapping[str, Any]) -> None:
        """Refuse a call of ``op`` whose actor lacks its permission on its store.

        :param op: the operation.
        :param arguments: the call's keyword arguments, ``context`` included.
        :raises PermissionDenied: when refused (after recording the denial).
        """
        context: CallContext = arguments["context"]
        policy = self.policy()
        known, answers = self._answers
        if known is policy and answers.get((context.actor, op.permission, context.store)):
            return  # the answer _denial would find kept, without its calls (asked per hook call)
        denied = self._denial(context, op.permission, op.name)
        if denied is not None:
            self._record(lambda: self.audit.denied(op, arguments, denied))
            raise denied

    def check_action(
        self,
        context: CallContext,
        permission: str,
        action: str,
        *,
        account_id: str | None = None,
        target: str | None = None,
    ) -> None:
        """Refuse an action that is not an operation hook (an export, admin management).

        :param context: the call's context; its store is :data:`~idconnect.core.admins.HUB_SCOPE`
            for hub-wide actions.
        :param permission: the permission it needs.
        :param action: the audit action recorded for a refusal.
        :param account_id: the account concerned, if any.
        :param target: the secondary object, if any.
        :raises PermissionDenied: when refused (after recording the denial).
        """
        denied = self._denial(context, permission, action)
        if denied is not None:
            event = self.audit.event(
                context, action, account_id=account_id, target=target, error=denied
            )
            self._record(lambda: self.audit.state.record([event]))
            raise denied

    def _guard(self, op: Operation, arguments: Mapping[str, Any]) -> Wrapped:
        self.check(op, arguments)
        return (yield)

    def _denial(
        self, context: CallContext, permission: str, action: str
    ) -> PermissionDenied | None:
        if context.actor == SYSTEM_ACTOR and (context.store, permission) in self._system.get():
            return None
        policy = self.policy()
        if self._allows(policy, context.actor, permission, context.store):
            return None
        if not self.configured:
            why = f"no admin roles are configured, so only the local user {self.local_user!r} acts"
        elif not policy.roles_of(context.actor):
            why = "they hold no admin role"
        else:
            held = ", ".join(r.name for r in policy.roles_of(context.actor))
            why = f"none of their roles ({held}) grants it on this store"
        return PermissionDenied(
            f"actor {context.actor!r} lacks permission {permission!r} ({why})",
            store=context.store,
            actor=context.actor,
            permission=permission,
            operation=action,
        )

    def _allows(self, policy: AdminPolicy, actor: str, permission: str, store: str) -> bool:
        # Every call is checked (twice: by the facade, then by this plugin's wrapper); the
        # policy is immutable, so its answers are kept until another policy is in force.
        known, answers = self._answers
        if known is not policy or len(answers) > _ANSWERS_KEPT:
            answers = {}
            self._answers = (policy, answers)
        key = (actor, permission, store)
        allowed = answers.get(key)
        if allowed is None:
            allowed = answers[key] = policy.allows(actor, permission, store)
        return allowed

    @staticmethod
    def _record(write: Callable[[], None]) -> None:
        try:
            write()
        except IdconnectError as exc:  # the refusal stands even when its event is lost
            log.warning("a permission denial could not be audited: %s", exc)
