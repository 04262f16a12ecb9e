"""Administrator permissions: the permission names, admin roles, and who holds which role.

A *permission* is ``family.verb`` (``accounts.delete``). Every operation's hook spec names the
one it needs (``@operation(permission=...)``), so :data:`KNOWN_PERMISSIONS` is read from
:data:`~idconnect.core.operations.OPERATIONS`, plus :data:`RESERVED_PERMISSIONS`: names of
actions that are not operation hooks (an export, the audit trail, admin management) or that
upcoming families will need, valid in a config today. A role grants
permissions, written out or as wildcards (``accounts.*``: the family's every permission, ``*``:
all), optionally only on some stores. An :class:`AdminPolicy` says which roles exist and which
actors hold them; it comes from the hub config (:func:`read_admins`) and from the hub's state
database (:mod:`idconnect.core.admin_state`), combined by :meth:`AdminPolicy.combine`.

>>> "accounts.enable" in KNOWN_PERMISSIONS
True
>>> AdminRole(name="agent", permissions=("accounts.*",)).allows("accounts.delete", "customers")
True
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Collection, Iterable, Mapping
from types import MappingProxyType
from typing import Any

from attrs import field, frozen

from idconnect.core.errors import ConfigError
from idconnect.core.operations import OPERATIONS

__all__ = [
    "HUB_SCOPE",
    "KNOWN_PERMISSIONS",
    "OWNER",
    "RESERVED_PERMISSIONS",
    "ROLE_NAME",
    "AdminPolicy",
    "AdminRole",
    "describe_permission",
    "read_admins",
    "unknown_permissions",
]

RESERVED_PERMISSIONS: Mapping[str, str] = MappingProxyType(
    {
        "accounts.export": "download everything known about an account (store.export_account)",
        "accounts.impersonate": (
            "act as a customer: store.impersonate, list and revoke impersonation grants"
        ),
        "activity.read": "read a store's audit trail (store.events, idconnect events)",
        "admins.manage": "define admin roles, grant and revoke them (hub.admins)",
        "admins.read": "list admin roles and their members (hub.admins.roles)",
        "consents.read": "list an account's consents",
        "consents.record": "record a consent",
        "consents.revoke": "revoke a consent",
        "credentials.reset": "send a password reset link (store.send_password_reset)",
        "jobs.cancel": "cancel a running bulk job (store.cancel_job, idconnect jobs cancel)",
        "jobs.read": "list and show bulk jobs, their progress and outcomes (store.job, store.jobs)",
        "notifications.read": "list an account's notification log (store.notifications)",
        "notifications.send": (
            "notify a customer through a client (store.notify, notify= on changes)"
        ),
        "stores.manage": "set a store up and seed demo data (store.provision, store.seed_demo)",
        "tokens.manage": (
            "issue and revoke API tokens of the HTTP service for any admin (idconnect tokens)"
        ),
        "tokens.read": "list API tokens, never their secret (idconnect tokens list)",
        "verification.read": "list an account's identity verifications",
        "verification.revoke": "revoke an identity verification",
        "verification.verify": "verify a customer's identity",
    }
)
"""Permission names no operation hook carries (yet), with what each gates."""

KNOWN_PERMISSIONS: tuple[str, ...] = tuple(
    sorted({op.permission for op in OPERATIONS.values()} | set(RESERVED_PERMISSIONS))
)
"""Every permission a role may grant: the operations' and the reserved ones, sorted."""

_FAMILIES = frozenset(name.split(".", 1)[0] for name in KNOWN_PERMISSIONS)

HUB_SCOPE = "(hub)"
"""The scope of hub-wide actions (admin management): granted only by roles on every store.
Never a store name (those cannot hold parentheses)."""

_Refuse = Callable[[str, str], ConfigError]

ROLE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,62}$")
"""What a role's name looks like: a letter, then up to 62 letters, digits, ``_``, ``-``, ``.``."""
_MAX_ACTOR = 256


def describe_permission(name: str) -> str:
    """Say what one permission gates, for the README and ``idconnect admins roles``.

    :param name: a known permission name.
    :returns: the operations needing it, or the reserved name's description.
    """
    ops = [op.name for op in OPERATIONS.values() if op.permission == name]
    return ", ".join(ops) if ops else RESERVED_PERMISSIONS[name]


def unknown_permissions(names: Iterable[str]) -> list[str]:
    """Return the names in ``names`` that are neither known permissions nor valid wildcards.

    :param names: permission names as written (``accounts.read``, ``accounts.*``, ``*``).
    :returns: the unknown ones, in the order given.
    """
    known = set(KNOWN_PERMISSIONS)
    return [
        n
        for n in names
        if not (n in known or n == "*" or (n.endswith(".*") and n[:-2] in _FAMILIES))
    ]


def _matches(granted: Iterable[str], permission: str) -> bool:
    family = permission.split(".", 1)[0]
    return any(g in (permission, "*", f"{family}.*") for g in granted)


def _names_tuple(names: Iterable[str]) -> tuple[str, ...]:
    return tuple(names)


@frozen(kw_only=True)
class AdminRole:
    """A named set of permissions, optionally limited to some stores."""

    name: str
    """The role's name, e.g. ``agent``."""
    permissions: tuple[str, ...] = field(converter=_names_tuple)
    """Permission names or wildcards (``accounts.*``, ``*``)."""
    stores: tuple[str, ...] | None = field(default=None)
    """The stores it applies to; ``None``: every store and hub-wide actions."""
    source: str = "config"
    """Where it is defined: ``config``, ``state`` (the hub's state database) or ``built-in``."""

    def allows(self, permission: str, store: str) -> bool:
        """Whether this role grants ``permission`` on ``store``.

        :param permission: a permission name (not a wildcard).
        :param store: a store name, or :data:`HUB_SCOPE` for hub-wide actions.
        :returns: ``True`` when granted.
        """
        if self.stores is not None and store not in self.stores:
            return False
        return _matches(self.permissions, permission)


OWNER = AdminRole(name="owner", permissions=("*",), source="built-in")
"""The built-in role with every permission on every store; it cannot be redefined."""


@frozen(kw_only=True)
class AdminPolicy:
    """Which admin roles exist and which actors hold them."""

    roles: Mapping[str, AdminRole] = field(factory=lambda: {OWNER.name: OWNER})
    """Roles by name; always holds :data:`OWNER`."""
    members: Mapping[str, tuple[str, ...]] = field(factory=dict)
    """Actor to the names of the roles they hold."""

    @property
    def configured(self) -> bool:
        """Whether any role besides the built-in one, or any member, is configured."""
        return bool(self.members) or any(r.source != "built-in" for r in self.roles.values())

    def roles_of(self, actor: str) -> tuple[AdminRole, ...]:
        """Return the roles ``actor`` holds.

        :param actor: the acting admin.
        :returns: the roles, in the order granted.
        """
        return tuple(self.roles[name] for name in self.members.get(actor, ()))

    def allows(self, actor: str, permission: str, store: str) -> bool:
        """Whether ``actor`` holds a role granting ``permission`` on ``store``.

        :param actor: the acting admin.
        :param permission: a permission name.
        :param store: a store name, or :data:`HUB_SCOPE`.
        :returns: ``True`` when granted.
        """
        return any(role.allows(permission, store) for role in self.roles_of(actor))

    def combine(self, other: AdminPolicy) -> AdminPolicy:
        """Add another source's roles and grants to these (config first, then the state).

        A role keeps its first definition (the state database cannot redefine a config role:
        :class:`~idconnect.core.facade.admins.Admins` refuses to); grants are the union.

        :param other: the policy to add.
        :returns: the combined policy.
        """
        roles = {**other.roles, **self.roles}
        members = {actor: tuple(held) for actor, held in self.members.items()}
        for actor, held in other.members.items():
            mine = members.get(actor, ())
            members[actor] = mine + tuple(r for r in held if r not in mine and r in roles)
        return AdminPolicy(roles=roles, members=members)


def read_admins(table: object, *, where: str, stores: Collection[str]) -> AdminPolicy:
    """Read and check the ``[admins]`` table of a config.

    :param table: the table (``roles`` and ``members``), or ``None`` when absent.
    :param where: ``config file PATH`` or ``config``, for messages.
    :param stores: the configured store names (a role may be limited to some of them).
    :returns: the policy (the built-in ``owner`` role included).
    :raises ConfigError: for an unknown key, a bad role name, an unknown permission, an unknown
        store, a member holding an unknown role, or a redefined ``owner``; the message names
        every unknown name.
    """

    def refuse(path: str, message: str) -> ConfigError:
        return ConfigError(f"{where}: [{path}]: {message}", key=path)

    if table is None:
        return AdminPolicy()
    if not isinstance(table, Mapping):
        raise refuse("admins", "must be a table")
    _refuse_unknown_keys(table, {"roles", "members"}, "admins", refuse)
    raw_roles = table.get("roles", {})
    if not isinstance(raw_roles, Mapping):
        raise refuse("admins.roles", "must be a table of roles")
    roles = {OWNER.name: OWNER}
    for name, spec in raw_roles.items():
        path = f"admins.roles.{name}"
        if not ROLE_NAME.match(name):
            raise refuse(path, "a role name starts with a letter; letters, digits, '_-.'")
        if name == OWNER.name:
            raise refuse(path, "'owner' is built in (every permission); name the role otherwise")
        if not isinstance(spec, Mapping):
            raise refuse(path, "must be a table with 'permissions' (and optionally 'stores')")
        _refuse_unknown_keys(spec, {"permissions", "stores"}, path, refuse)
        permissions = _names(spec.get("permissions"), f"{path}.permissions", refuse)
        if not permissions:
            raise refuse(path, "key 'permissions': list at least one permission")
        unknown = unknown_permissions(permissions)
        if unknown:
            raise refuse(
                path,
                f"unknown permission(s) {', '.join(map(repr, unknown))}"
                f" (known: {', '.join(KNOWN_PERMISSIONS)}, a family wildcard such as"
                " 'accounts.*', or '*')",
            )
        limited = None
        if "stores" in spec:
            limited = _names(spec["stores"], f"{path}.stores", refuse)
            missing = [s for s in limited if s not in stores]
            if missing:
                raise refuse(
                    path,
                    f"unknown store(s) {', '.join(map(repr, missing))}"
                    f" (configured: {', '.join(stores) or 'none'})",
                )
        roles[name] = AdminRole(name=name, permissions=permissions, stores=limited)
    raw_members = table.get("members", {})
    if not isinstance(raw_members, Mapping):
        raise refuse("admins.members", "must be a table: actor = [roles]")
    members: dict[str, tuple[str, ...]] = {}
    for actor, held in raw_members.items():
        if not 0 < len(actor) <= _MAX_ACTOR:
            raise refuse("admins.members", f"an actor name has 1 to {_MAX_ACTOR} characters")
        names = _names(held, f"admins.members.{actor}", refuse)
        unknown = [r for r in names if r not in roles]
        if unknown:
            raise refuse(
                "admins.members",
                f"{actor!r} holds unknown role(s) {', '.join(map(repr, unknown))}"
                f" (defined: {', '.join(roles)})",
            )
        members[actor] = tuple(dict.fromkeys(names))
    return AdminPolicy(roles=roles, members=members)


def _names(value: object, path: str, refuse: _Refuse) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise refuse(path, "expected a list of names")
    return tuple(value)


def _refuse_unknown_keys(
    table: Mapping[str, Any], known: set[str], path: str, refuse: _Refuse
) -> None:
    for key in sorted(set(table) - known):
        close = difflib.get_close_matches(key, sorted(known), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise refuse(path, f"unknown key {key!r}{hint}")
