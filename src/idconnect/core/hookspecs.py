# mypy: disable-error-code="empty-body"
"""Hook specifications: every operation a backend may implement.

A backend is a plugin *class*; the hub creates one instance per configured store (through the
factory its module returns from :func:`idconnect_store_types`) and registers it on that store's
own plugin manager. An operation the instance does not implement is a capability the store lacks:
the facade raises :class:`~idconnect.core.errors.NotSupported` before any I/O.

Conventions for every operation hook:

- Hooks are called with keyword arguments only; an implementation may take fewer arguments than
  the spec names (pluggy passes only those it asks for), which is how specs evolve.
- ``context`` is a :class:`~idconnect.core.context.CallContext`: the store name, the acting admin,
  the reason and the request id. Backends use ``context.store`` in error messages.
- Operation hooks are ``firstresult``: exactly one backend answers. Cross-cutting plugins (audit,
  permissions, timing) wrap them with ``hookimpl(wrapper=True)``; backends never write audit
  events or check permissions themselves.
- Ids are the store's stable ids (``Account.id``), already checked to be non-empty text.
- Backends raise only :class:`~idconnect.core.errors.IdconnectError` subclasses, re-raising driver
  errors ``from exc``; a raw exception is turned into ``PluginError`` by the facade.
- Secrets arrive as :class:`~idconnect.core.model.Secret` and must never reach an error message.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pluggy

from idconnect.core.opspec import operation

if TYPE_CHECKING:
    import click

    from idconnect.core.config import StoreConfig
    from idconnect.core.context import CallContext
    from idconnect.core.errors import IdconnectError
    from idconnect.core.model import (
        Account,
        Authenticator,
        AuthenticatorKind,
        Group,
        Outcome,
        Role,
        RoleAssignment,
        Secret,
        Session,
    )
    from idconnect.core.query import Page, Query
    from idconnect.core.schema import Catalogue

PROJECT = "idconnect"
"""The pluggy project name; also the entry point group backends register under."""

hookspec = pluggy.HookspecMarker(PROJECT)

StoreFactory = Callable[["StoreConfig"], object]
"""Builds a backend instance for one configured store from its settings."""


# -------------------------------------------------------------------------------------------------
# Registration (called on the hub's root plugin manager)
# -------------------------------------------------------------------------------------------------


@hookspec
def idconnect_store_types() -> Mapping[str, StoreFactory]:
    """Return the store types this plugin provides, by the name used in config (``plugin = ...``).

    Called once per hub on every plugin loaded from the ``idconnect`` entry point group.

    :returns: a mapping from type name (e.g. ``"sql"``) to a factory that takes the store's
        :class:`~idconnect.core.config.StoreConfig` and returns the backend instance. The factory
        validates its settings and raises :class:`~idconnect.core.errors.ConfigError` naming the
        store and key; it should not connect yet (connect lazily on first use).

    .. versionadded:: 0.1
    """


@hookspec
def idconnect_cli_commands(cli: click.Group) -> None:
    """Add this plugin's commands to the ``idconnect`` command line.

    Called once on every plugin of the ``idconnect`` entry point group when the CLI starts
    (datasette's ``register_commands``): add a group named after the plugin (``idconnect sql
    ...``) with ``cli.add_command``. Commands reach stores only through the facade
    (``idconnect.cli.context.pass_app``).

    :param cli: the root command group.

    .. versionadded:: 0.2
    """


# -------------------------------------------------------------------------------------------------
# Store-wide hooks
# -------------------------------------------------------------------------------------------------


@hookspec(firstresult=True)
def idconnect_catalogue(context: CallContext) -> Catalogue:
    """Return the attributes this store holds and can filter on.

    Implement it to narrow :data:`~idconnect.core.schema.USER_CATALOGUE`; a store that does not
    implement it has the full catalogue. Filters naming other attributes are refused with
    ``FilterError`` before the backend sees them. A store may also change an attribute's
    characteristics where it really differs (e.g. ``case_exact`` as a SCIM server's schema
    declares it); filters are then judged by those. Stop at first non-None result.

    :param context: the call context.
    :returns: the store's catalogue.
    :raises StoreUnavailable: when answering needs the store (remote discovery) and it is down.

    .. versionadded:: 0.1
    """


@hookspec(firstresult=True)
def idconnect_available_operations(
    context: CallContext, implemented: frozenset[str]
) -> frozenset[str]:
    """Narrow the store's capabilities to what it can do right now.

    The capabilities are first derived from the hooks the backend implements (``implemented``);
    a backend whose abilities depend on configuration or on what a server advertises returns the
    subset that really works. It can only remove operations, never add them. Stop at first
    non-None result.

    :param context: the call context.
    :param implemented: operation names (hook names without ``idconnect_``) the backend implements.
    :returns: the operations available, a subset of ``implemented``.
    :raises StoreUnavailable: when answering needs the store and it is down.

    .. versionadded:: 0.1
    """


@hookspec(firstresult=True)
def idconnect_ping(context: CallContext) -> bool:
    """Check that the store answers, for health checks.

    :param context: the call context.
    :returns: ``True`` when the store answered.
    :raises StoreUnavailable: when it cannot be reached, naming the store and the address.

    .. versionadded:: 0.1
    """


@hookspec
def idconnect_refresh(context: CallContext) -> None:
    """Forget what the backend learnt about the store (discovery, schema) and learn it again.

    Called by :meth:`~idconnect.core.facade.Store.refresh`, after which the facade derives the
    capabilities and the catalogue anew.

    :param context: the call context.
    :raises StoreUnavailable: when the store cannot be asked.

    .. versionadded:: 0.1
    """


@hookspec(firstresult=True)
def idconnect_provision(context: CallContext) -> str:
    """Create what the store needs before first use (tables, schema, base entries); idempotent.

    Called by :meth:`~idconnect.core.facade.Store.provision` (``idconnect store init NAME``). A
    store that needs nothing set up does not implement it; the facade then raises
    ``NotSupported``. Stop at first non-None result.

    :param context: the call context.
    :returns: what was done, for the admin to read (e.g. ``"schema revision 0001_baseline"``).
    :raises StoreUnavailable: when the store cannot be reached.
    :raises PermissionDenied: when the configured credentials may not create the schema.

    .. versionadded:: 0.2
    """


@hookspec(firstresult=True)
def idconnect_seed_demo(context: CallContext, count: int, seed: int) -> Mapping[str, int]:
    """Fill an empty store with realistic demo customers, natively and fast (optional).

    Called by :meth:`~idconnect.core.facade.Store.seed_demo` (``idconnect demo``). A store that
    does not implement it is seeded through the facade's own operations instead. The same
    ``seed`` gives the same data; instants are relative to now. Stop at first non-None result.

    :param context: the call context.
    :param count: how many accounts to create.
    :param seed: the random seed.
    :returns: how many rows or entries of each kind were written, by a name a person reads.
    :raises InvalidInput: when the store already holds accounts.

    .. versionadded:: 0.2
    """


@hookspec
def idconnect_close(context: CallContext) -> None:
    """Release the store's connections and pools; called once when the hub closes.

    :param context: the call context.

    .. versionadded:: 0.1
    """


# -------------------------------------------------------------------------------------------------
# Accounts
# -------------------------------------------------------------------------------------------------


@operation(family="accounts", mutates=False, permission="accounts.read", subject="account_id")
@hookspec(firstresult=True)
def idconnect_get_account(context: CallContext, account_id: str) -> Account:
    """Read one account with everything the overview shows.

    :param context: the call context.
    :param account_id: the store's stable id of the account.
    :returns: the account, with ``groups`` and ``role_assignments`` filled when the store has them.
    :raises NotFound: when no account has that id.

    .. versionadded:: 0.1
    """


@operation(family="accounts", mutates=False, permission="accounts.read")
@hookspec(firstresult=True)
def idconnect_search_accounts(context: CallContext, query: Query) -> Page[Account]:
    """Find accounts matching a filter, one page at a time.

    The backend translates ``query.filter`` (bound: canonical paths, typed values) into its native
    query with every value escaped or bound, never filters in Python after fetching everything,
    and answers exactly as the reference evaluator would (see :mod:`idconnect.core.filter`).
    Without ``query.sort_by`` results come in the store's stable key order. Cursors come from
    :func:`~idconnect.core.query.encode_cursor` and must resume in another process.

    :param context: the call context.
    :param query: filter, sort, page size, cursor and attribute selection.
    :returns: the page; ``total`` only when ``query.include_total`` (or when it is free).
    :raises UnsupportedFilter: naming a node the store cannot answer exactly.
    :raises NotSupported: when ``query.sort_by`` is set and the store cannot sort by it.
    :raises InvalidInput: when the cursor is not valid for this query.

    .. versionadded:: 0.1
    """


@operation(family="accounts", mutates=True, permission="accounts.create", target="account")
@hookspec(firstresult=True)
def idconnect_create_account(context: CallContext, account: Account) -> Account:
    """Create an account.

    :param context: the call context.
    :param account: the new account; ``id``, ``version`` and the read-only instants are ignored
        and set by the store. ``groups`` and ``role_assignments`` are ignored (use the group and
        role operations).
    :returns: the account as stored, with its new ``id`` and ``version``.
    :raises Conflict: when ``userName`` (or another unique value) is taken, naming the attribute.
    :raises InvalidInput: when the store cannot hold a value.

    .. versionadded:: 0.1
    """


@operation(
    family="accounts",
    mutates=True,
    permission="accounts.update",
    subject="account_id",
    changed=("*changes",),
)
@hookspec(firstresult=True)
def idconnect_update_account(
    context: CallContext,
    account_id: str,
    changes: Mapping[str, Any],
    expected_version: str | None,
) -> Account:
    """Change some attributes of an account, atomically and only if it was not changed meanwhile.

    :param context: the call context.
    :param account_id: the store's stable id of the account.
    :param changes: canonical top-level attribute name to its new, typed value; the facade has
        already validated them. Keys are among ``userName``, ``displayName``, ``name``
        (:class:`~idconnect.core.model.Name`), ``emails``, ``phoneNumbers``,
        ``externalIdentities`` (tuples replacing every value) and ``organization``. ``None``
        clears an attribute.
    :param expected_version: the ``version`` the caller saw, or ``None`` to skip the check.
    :returns: the account after the change, with its new ``version``.
    :raises NotFound: when no account has that id.
    :raises Conflict: when ``expected_version`` is stale (nothing is changed) or a unique value
        is taken.

    .. versionadded:: 0.1
    """


@operation(
    family="accounts",
    mutates=True,
    permission="accounts.status",
    subject="account_id",
    switch=("enabled", "enable_account", "disable_account"),
    changed=("active",),
)
@hookspec(firstresult=True)
def idconnect_set_account_enabled(context: CallContext, account_id: str, enabled: bool) -> None:
    """Enable or disable an account; disabling records ``disabled_at``, enabling clears it.

    :param context: the call context.
    :param account_id: the store's stable id of the account.
    :param enabled: ``True`` to let the customer log in, ``False`` to stop them.
    :raises NotFound: when no account has that id.

    .. versionadded:: 0.1
    """


@operation(family="accounts", mutates=True, permission="accounts.delete", subject="account_id")
@hookspec(firstresult=True)
def idconnect_delete_account(context: CallContext, account_id: str) -> None:
    """Delete an account and everything hanging off it (memberships, sessions, authenticators).

    :param context: the call context.
    :param account_id: the store's stable id of the account.
    :raises NotFound: when no account has that id.

    .. versionadded:: 0.1
    """


@operation(
    family="accounts",
    mutates=True,
    permission="accounts.status",
    subject="account_ids",
    switch=("enabled", "enable_account", "disable_account"),
    changed=("active",),
    bulk_of="set_account_enabled",
)
@hookspec(firstresult=True)
def idconnect_bulk_set_accounts_enabled(
    context: CallContext, account_ids: Sequence[str], enabled: bool
) -> Sequence[Outcome]:
    """Enable or disable many accounts with set-based operations (optional).

    Without it the facade runs :func:`idconnect_set_account_enabled` per account with bounded
    concurrency. The facade passes at most the store's ``batch_size`` setting (default 1000) of
    distinct ids per call.

    :param context: the call context.
    :param account_ids: distinct account ids.
    :param enabled: the state to set.
    :returns: one :class:`~idconnect.core.model.Outcome` per id, in the same order; an unknown id
        is that account's ``NotFound``, and the others still succeed.

    .. versionadded:: 0.1
    """


@operation(
    family="accounts",
    mutates=True,
    permission="accounts.create",
    subject="accounts",
    bulk_of="create_account",
)
@hookspec(firstresult=True)
def idconnect_bulk_create_accounts(
    context: CallContext, accounts: Sequence[Account]
) -> Sequence[Account | IdconnectError]:
    """Create many accounts with set-based operations (optional; SCIM ``/Bulk``, one statement).

    Without it the facade runs :func:`idconnect_create_account` per account with bounded
    concurrency. One account's failure (a taken ``userName``) must not stop the others.

    :param context: the call context.
    :param accounts: at most the store's ``batch_size`` new accounts, as for ``create_account``.
    :returns: one entry per account, in the same order: the account as stored (with its new
        ``id``), or the :class:`~idconnect.core.errors.IdconnectError` that stopped it.

    .. versionadded:: 0.1
    """


@operation(
    family="accounts",
    mutates=True,
    permission="accounts.delete",
    subject="account_ids",
    bulk_of="delete_account",
)
@hookspec(firstresult=True)
def idconnect_bulk_delete_accounts(
    context: CallContext, account_ids: Sequence[str]
) -> Sequence[Outcome]:
    """Delete many accounts with set-based operations (optional).

    :param context: the call context.
    :param account_ids: distinct account ids.
    :returns: one outcome per id, in the same order.

    .. versionadded:: 0.1
    """


# -------------------------------------------------------------------------------------------------
# Groups
# -------------------------------------------------------------------------------------------------


@operation(family="groups", mutates=False, permission="groups.read")
@hookspec(firstresult=True)
def idconnect_search_groups(context: CallContext, query: Query) -> Page[Group]:
    """Find groups; the filter is bound to the group catalogue (``id``, ``displayName``).

    :param context: the call context.
    :param query: as for accounts; without ``sort_by``, in the store's stable key order.
    :returns: a page of groups, ``members`` left empty.
    :raises UnsupportedFilter: naming a node the store cannot answer.

    .. versionadded:: 0.1
    """


@operation(family="groups", mutates=False, permission="groups.read", target="group_id")
@hookspec(firstresult=True)
def idconnect_get_group(context: CallContext, group_id: str) -> Group:
    """Read one group with its member account ids.

    :param context: the call context.
    :param group_id: the store's stable id of the group.
    :returns: the group.
    :raises NotFound: when no group has that id.

    .. versionadded:: 0.1
    """


@operation(family="groups", mutates=True, permission="groups.manage", target="group")
@hookspec(firstresult=True)
def idconnect_create_group(context: CallContext, group: Group) -> Group:
    """Create a group (its ``members`` are added too).

    :param context: the call context.
    :param group: the new group; ``id`` and ``version`` are ignored.
    :returns: the group as stored, with its new ``id``.
    :raises Conflict: when the display name is taken and the store requires it unique.

    .. versionadded:: 0.1
    """


@operation(family="groups", mutates=True, permission="groups.manage", target="group_id")
@hookspec(firstresult=True)
def idconnect_delete_group(context: CallContext, group_id: str) -> None:
    """Delete a group; its members stay.

    :param context: the call context.
    :param group_id: the store's stable id of the group.
    :raises NotFound: when no group has that id.

    .. versionadded:: 0.1
    """


@operation(
    family="groups",
    mutates=True,
    permission="groups.members",
    subject="account_id",
    target="group_id",
)
@hookspec(firstresult=True)
def idconnect_add_group_member(context: CallContext, group_id: str, account_id: str) -> None:
    """Add an account to a group; adding a member twice is not an error.

    :param context: the call context.
    :param group_id: the group's id.
    :param account_id: the account's id.
    :raises NotFound: when the group or the account does not exist (the message says which).

    .. versionadded:: 0.1
    """


@operation(
    family="groups",
    mutates=True,
    permission="groups.members",
    subject="account_id",
    target="group_id",
)
@hookspec(firstresult=True)
def idconnect_remove_group_member(context: CallContext, group_id: str, account_id: str) -> None:
    """Remove an account from a group; removing a non-member is not an error.

    :param context: the call context.
    :param group_id: the group's id.
    :param account_id: the account's id.
    :raises NotFound: when the group or the account does not exist.

    .. versionadded:: 0.1
    """


@operation(
    family="groups",
    mutates=True,
    permission="groups.members",
    subject="account_ids",
    target="group_id",
    bulk_of="add_group_member",
)
@hookspec(firstresult=True)
def idconnect_bulk_add_group_members(
    context: CallContext, group_id: str, account_ids: Sequence[str]
) -> Sequence[Outcome]:
    """Add many accounts to a group with set-based operations (optional).

    :param context: the call context.
    :param group_id: the group's id.
    :param account_ids: distinct account ids.
    :returns: one outcome per id, in the same order.
    :raises NotFound: when the group itself does not exist (then no account changes).

    .. versionadded:: 0.1
    """


@operation(
    family="groups",
    mutates=True,
    permission="groups.members",
    subject="account_ids",
    target="group_id",
    bulk_of="remove_group_member",
)
@hookspec(firstresult=True)
def idconnect_bulk_remove_group_members(
    context: CallContext, group_id: str, account_ids: Sequence[str]
) -> Sequence[Outcome]:
    """Remove many accounts from a group with set-based operations (optional).

    :param context: the call context.
    :param group_id: the group's id.
    :param account_ids: distinct account ids.
    :returns: one outcome per id, in the same order.
    :raises NotFound: when the group itself does not exist (then no account changes).

    .. versionadded:: 0.1
    """


# -------------------------------------------------------------------------------------------------
# Roles
# -------------------------------------------------------------------------------------------------


@operation(family="roles", mutates=False, permission="roles.read")
@hookspec(firstresult=True)
def idconnect_list_roles(context: CallContext) -> Sequence[Role]:
    """List the roles the store knows and can assign.

    :param context: the call context.
    :returns: the roles, sorted by name.

    .. versionadded:: 0.1
    """


@operation(family="roles", mutates=False, permission="roles.read")
@hookspec(firstresult=True)
def idconnect_list_organizations(context: CallContext) -> Sequence[str]:
    """List the organizations the store knows (what a role assignment may name).

    A store implements it only where it keeps its organizations (a table, a directory
    subtree); the facade then refuses a role assignment in an organization not listed.

    :param context: the call context.
    :returns: the organizations' names, sorted.

    .. versionadded:: 0.2
    """


@operation(
    family="roles",
    mutates=True,
    permission="roles.assign",
    subject="account_id",
    target="assignment",
)
@hookspec(firstresult=True)
def idconnect_assign_role(
    context: CallContext, account_id: str, assignment: RoleAssignment
) -> None:
    """Give an account a role in an organization (or globally); assigning twice is not an error.

    Organization membership is not required: only the (role, organization) pair counts.

    :param context: the call context.
    :param account_id: the account's id.
    :param assignment: the role and organization.
    :raises NotFound: when the account does not exist.
    :raises InvalidInput: when the store only knows a fixed set of roles and this is not one.

    .. versionadded:: 0.1
    """


@operation(
    family="roles",
    mutates=True,
    permission="roles.assign",
    subject="account_id",
    target="assignment",
)
@hookspec(firstresult=True)
def idconnect_unassign_role(
    context: CallContext, account_id: str, assignment: RoleAssignment
) -> None:
    """Take a role in an organization away from an account.

    :param context: the call context.
    :param account_id: the account's id.
    :param assignment: the role and organization.
    :raises NotFound: when the account does not exist or does not hold that assignment.

    .. versionadded:: 0.1
    """


# -------------------------------------------------------------------------------------------------
# Authenticators
# -------------------------------------------------------------------------------------------------


@operation(family="credentials", mutates=False, permission="credentials.read", subject="account_id")
@hookspec(firstresult=True)
def idconnect_list_authenticators(context: CallContext, account_id: str) -> Sequence[Authenticator]:
    """List an account's authentication methods, with masked labels and no secrets.

    :param context: the call context.
    :param account_id: the account's id.
    :returns: the methods, oldest first.
    :raises NotFound: when the account does not exist.

    .. versionadded:: 0.1
    """


@operation(
    family="credentials",
    mutates=True,
    permission="credentials.manage",
    subject="account_id",
    target="kind",
)
@hookspec(firstresult=True)
def idconnect_add_authenticator(
    context: CallContext,
    account_id: str,
    kind: AuthenticatorKind,
    value: str,
    verified: bool,
) -> Authenticator:
    """Add an authentication method support may add for a customer: an email or a phone number.

    :param context: the call context.
    :param account_id: the account's id.
    :param kind: :attr:`~idconnect.core.model.AuthenticatorKind.EMAIL` or ``PHONE``; other kinds
        need the customer's own enrolment.
    :param value: the address or number (validated by the facade).
    :param verified: whether support verified it with the customer.
    :returns: the new authenticator, with a masked label.
    :raises NotFound: when the account does not exist.
    :raises InvalidInput: for a kind support cannot add.

    .. versionadded:: 0.1
    """


@operation(
    family="credentials",
    mutates=True,
    permission="credentials.manage",
    subject="account_id",
    target="authenticator_id",
)
@hookspec(firstresult=True)
def idconnect_remove_authenticator(
    context: CallContext, account_id: str, authenticator_id: str
) -> None:
    """Remove an authentication method (a lost phone, an abandoned mailbox).

    :param context: the call context.
    :param account_id: the account's id.
    :param authenticator_id: the method's id, from ``list_authenticators``.
    :raises NotFound: when the account or the method does not exist.

    .. versionadded:: 0.1
    """


@operation(
    family="credentials",
    mutates=True,
    permission="credentials.password",
    subject="account_id",
    changed=("password",),
)
@hookspec(firstresult=True)
def idconnect_set_password(context: CallContext, account_id: str, password: Secret) -> None:
    """Set an account's password; the backend hashes it or hands it to the store's own operation.

    :param context: the call context.
    :param account_id: the account's id.
    :param password: the new password; never logged, never in an error message.
    :raises NotFound: when the account does not exist.
    :raises InvalidInput: when the store's password policy refuses it (without quoting it).

    .. versionadded:: 0.1
    """


@operation(
    family="credentials",
    mutates=True,
    permission="credentials.unlock",
    subject="account_id",
    changed=("failedAttempts",),
)
@hookspec(firstresult=True)
def idconnect_reset_failed_attempts(context: CallContext, account_id: str) -> None:
    """Reset the failed password and OTP counters and lift a lockout caused by them.

    :param context: the call context.
    :param account_id: the account's id.
    :raises NotFound: when the account does not exist.

    .. versionadded:: 0.1
    """


# -------------------------------------------------------------------------------------------------
# Sessions
# -------------------------------------------------------------------------------------------------


@operation(family="sessions", mutates=False, permission="sessions.read", subject="account_id")
@hookspec(firstresult=True)
def idconnect_list_sessions(context: CallContext, account_id: str) -> Sequence[Session]:
    """List an account's active sessions, most recently seen first.

    :param context: the call context.
    :param account_id: the account's id.
    :returns: the sessions that have not expired or been revoked.
    :raises NotFound: when the account does not exist.

    .. versionadded:: 0.1
    """


@operation(
    family="sessions",
    mutates=True,
    permission="sessions.revoke",
    subject="account_id",
    target="session_id",
)
@hookspec(firstresult=True)
def idconnect_revoke_session(context: CallContext, account_id: str, session_id: str) -> None:
    """End one session: the browser must re-authenticate.

    :param context: the call context.
    :param account_id: the account's id.
    :param session_id: the session's id.
    :raises NotFound: when the account or the session does not exist.

    .. versionadded:: 0.1
    """


@operation(family="sessions", mutates=True, permission="sessions.revoke", subject="account_id")
@hookspec(firstresult=True)
def idconnect_revoke_sessions(context: CallContext, account_id: str) -> int:
    """End every session of an account.

    :param context: the call context.
    :param account_id: the account's id.
    :returns: how many sessions were ended.
    :raises NotFound: when the account does not exist.

    .. versionadded:: 0.1
    """
