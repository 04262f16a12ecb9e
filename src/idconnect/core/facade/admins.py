"""``hub.admins``: list admin roles and who holds them; define roles and grant them in the state.

Roles and grants come from two places (:mod:`idconnect.core.permissions`): the hub config's
``[admins]`` (read-only here: edit the file) and the hub's state database (changed here). Reading
needs ``admins.read``, changing ``admins.manage``, both hub-wide (a role limited to some stores
never grants them). Every change is audited under the store name
:data:`~idconnect.core.admins.HUB_SCOPE` (the grantee as the event's account, the role as its
target), and a change that would leave nobody able to manage admins is refused, so the hub
cannot be locked out through its own API.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from idconnect.core.admins import (
    HUB_SCOPE,
    KNOWN_PERMISSIONS,
    OWNER,
    ROLE_NAME,
    AdminPolicy,
    AdminRole,
    unknown_permissions,
)
from idconnect.core.context import CallContext, new_request_id
from idconnect.core.errors import InvalidInput
from idconnect.core.facade.checks import check_text

if TYPE_CHECKING:
    from idconnect.core.facade.hub import Hub

__all__ = ["Admins"]

_MAX_ACTOR = 256


class Admins:
    """The admin roles of one hub. Get it as :attr:`Hub.admins <idconnect.Hub.admins>`.

    Every method takes an optional keyword ``actor`` (else the hub's).

    :param hub: the hub.
    """

    def __init__(self, hub: Hub) -> None:
        self._hub = hub
        self._permissions = hub.permissions
        self._state = hub.permissions.state

    def _context(self, actor: str | None, reason: str | None) -> CallContext:
        who = check_text(actor, "actor") if actor is not None else self._hub.actor
        if reason is not None:
            check_text(reason, "reason")
        return CallContext(store=HUB_SCOPE, actor=who, reason=reason, request_id=new_request_id())

    def roles(self, *, actor: str | None = None) -> list[AdminRole]:
        """List every role in force: built-in, from the config, from the state database.

        :param actor: the acting admin.
        :returns: the roles, the built-in ``owner`` first.
        :raises PermissionDenied: without ``admins.read``.
        """
        context = self._context(actor, None)
        self._permissions.check_action(context, "admins.read", "list_admin_roles")
        return list(self._permissions.policy().roles.values())

    def members(self, *, actor: str | None = None) -> dict[str, tuple[str, ...]]:
        """List who holds which roles (config and state grants together).

        :param actor: the acting admin.
        :returns: actor to role names, sorted by actor.
        :raises PermissionDenied: without ``admins.read``.
        """
        context = self._context(actor, None)
        self._permissions.check_action(context, "admins.read", "list_admin_roles")
        return dict(sorted(self._permissions.policy().members.items()))

    def define_role(
        self,
        name: str,
        permissions: Iterable[str],
        *,
        stores: Iterable[str] | None = None,
        reason: str,
        actor: str | None = None,
    ) -> AdminRole:
        """Create a role in the state database, or replace one defined there.

        :param name: the role's name (a letter, then letters, digits, ``_-.``).
        :param permissions: permission names or wildcards (``accounts.*``, ``*``).
        :param stores: limit the role to these configured stores; ``None``: every store.
        :param reason: why (required).
        :param actor: the acting admin.
        :returns: the role.
        :raises InvalidInput: for a bad name, an unknown permission or store, a role the config
            (or the built-in ``owner``) defines, or a change that locks everybody out.
        :raises PermissionDenied: without ``admins.manage``.
        """
        context = self._context(actor, reason)
        checked = check_text(name, "role name")
        self._permissions.check_action(
            context, "admins.manage", "define_admin_role", target=checked
        )
        if not ROLE_NAME.match(checked):
            raise InvalidInput(f"role name {checked!r}: a letter, then letters, digits, '_-.'")
        wanted = tuple(dict.fromkeys(permissions))
        unknown = unknown_permissions(wanted)
        if not wanted or unknown:
            raise InvalidInput(
                f"role {checked!r}: unknown permission(s) {', '.join(map(repr, unknown))}"
                f" (known: {', '.join(KNOWN_PERMISSIONS)}, 'family.*', '*')"
                if unknown
                else f"role {checked!r}: name at least one permission"
            )
        limited = None if stores is None else tuple(dict.fromkeys(stores))
        missing = [s for s in limited or () if s not in self._hub.stores]
        if missing:
            raise InvalidInput(
                f"role {checked!r}: unknown store(s) {', '.join(map(repr, missing))}"
                f" (configured: {', '.join(self._hub.stores)})"
            )
        self._refuse_config_role(checked)
        role = AdminRole(name=checked, permissions=wanted, stores=limited, source="state")
        current = self._state.load()
        after = AdminPolicy(roles={**current.roles, checked: role}, members=current.members)
        self._refuse_lockout(after)
        self._state.define(role, by=context.actor)
        self._changed(context, "define_admin_role", None, checked)
        return role

    def drop_role(self, name: str, *, reason: str, actor: str | None = None) -> None:
        """Delete a role defined in the state database; nobody may still hold it there.

        :param name: the role's name.
        :param reason: why (required).
        :param actor: the acting admin.
        :raises InvalidInput: for a role the state does not define, or one still granted.
        :raises PermissionDenied: without ``admins.manage``.
        """
        context = self._context(actor, reason)
        checked = check_text(name, "role name")
        self._permissions.check_action(context, "admins.manage", "drop_admin_role", target=checked)
        self._refuse_config_role(checked)
        current = self._state.load()
        if checked not in current.roles:
            raise InvalidInput(f"no role {checked!r} is defined in the hub's state database")
        holders = sorted(a for a, held in current.members.items() if checked in held)
        if holders:
            raise InvalidInput(
                f"role {checked!r} is still granted to {', '.join(map(repr, holders))};"
                " revoke it first"
            )
        self._state.drop(checked)
        self._changed(context, "drop_admin_role", None, checked)

    def grant(self, member: str, role: str, *, reason: str, actor: str | None = None) -> bool:
        """Let ``member`` hold ``role`` (recorded in the state database).

        :param member: the admin (actor name) receiving the role.
        :param role: a role of the config, of the state, or ``owner``.
        :param reason: why (required).
        :param actor: the acting admin.
        :returns: ``False`` when the state already held this grant.
        :raises InvalidInput: for an unknown role or a bad member name.
        :raises PermissionDenied: without ``admins.manage``.
        """
        context = self._context(actor, reason)
        member = self._member(member)
        self._permissions.check_action(
            context, "admins.manage", "grant_admin_role", account_id=member, target=role
        )
        state = self._state.load()
        current = self._permissions.config.combine(state)
        if role not in current.roles:
            raise InvalidInput(f"no role {role!r} (defined: {', '.join(current.roles)})")
        held = state.members.get(member, ())
        members = {**state.members, member: (*held, role) if role not in held else held}
        self._refuse_lockout(AdminPolicy(roles=state.roles, members=members))
        done = self._state.grant(member, role, by=context.actor)
        self._changed(context, "grant_admin_role", member, role)
        return done

    def revoke(self, member: str, role: str, *, reason: str, actor: str | None = None) -> None:
        """Take ``role`` from ``member`` in the state database.

        :param member: the admin losing the role.
        :param role: the role's name.
        :param reason: why (required).
        :param actor: the acting admin.
        :raises InvalidInput: when the state holds no such grant (a grant of the config file is
            revoked by editing the file), or when nobody could manage admins afterwards.
        :raises PermissionDenied: without ``admins.manage``.
        """
        context = self._context(actor, reason)
        member = self._member(member)
        self._permissions.check_action(
            context, "admins.manage", "revoke_admin_role", account_id=member, target=role
        )
        current = self._state.load()
        if role not in current.members.get(member, ()):
            where = self._hub.config.source or "the config"
            in_config = role in self._permissions.config.members.get(member, ())
            raise InvalidInput(
                f"{member!r} holds role {role!r} through {where}: edit it there"
                if in_config
                else f"the hub's state database holds no grant of role {role!r} to {member!r}"
            )
        left = tuple(r for r in current.members[member] if r != role)
        members = {**current.members, member: left}
        self._refuse_lockout(AdminPolicy(roles=current.roles, members=members))
        self._state.revoke(member, role)
        self._changed(context, "revoke_admin_role", member, role)

    # -- checks and records -----------------------------------------------------------------------

    @staticmethod
    def _member(member: str) -> str:
        checked = check_text(member, "member")
        if len(checked) > _MAX_ACTOR:
            raise InvalidInput(f"a member's name has at most {_MAX_ACTOR} characters")
        return checked

    def _refuse_config_role(self, name: str) -> None:
        defined = self._permissions.config.roles.get(name)
        if defined is not None:
            where = "built in" if defined is OWNER else f"defined in {self._config_name()}"
            raise InvalidInput(f"role {name!r} is {where}; it cannot be changed here")

    def _config_name(self) -> str:
        source = self._hub.config.source
        return f"config file {source}" if source else "the config"

    def _refuse_lockout(self, state_after: AdminPolicy) -> None:
        after = self._permissions.config.combine(
            AdminPolicy(
                roles=state_after.roles,
                members={a: r for a, r in state_after.members.items() if r},
            )
        )
        if after.configured and not any(
            after.allows(a, "admins.manage", HUB_SCOPE) for a in after.members
        ):
            raise InvalidInput(
                "after this change nobody could manage admins; first grant a role with"
                f" admins.manage (e.g. idconnect admins grant {self._hub.actor} owner)"
            )

    def _changed(
        self, context: CallContext, action: str, member: str | None, role: str | None
    ) -> None:
        self._permissions.reload()
        audit = self._hub.audit
        audit.state.record([audit.event(context, action, account_id=member, target=role)])
