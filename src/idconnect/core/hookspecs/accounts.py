# mypy: disable-error-code="empty-body"
"""Accounts: search, read, create, update, enable/disable, delete (single and bulk)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from idconnect.core.hookspecs.markers import hookspec
from idconnect.core.opspec import operation

if TYPE_CHECKING:
    from idconnect.core.context import CallContext
    from idconnect.core.errors import IdconnectError
    from idconnect.core.explain import Explanation
    from idconnect.core.model import (
        Account,
        Outcome,
    )
    from idconnect.core.query import Page, Query

__all__ = [
    "idconnect_bulk_create_accounts",
    "idconnect_bulk_delete_accounts",
    "idconnect_bulk_set_accounts_enabled",
    "idconnect_create_account",
    "idconnect_delete_account",
    "idconnect_explain_search",
    "idconnect_get_account",
    "idconnect_search_accounts",
    "idconnect_set_account_enabled",
    "idconnect_update_account",
]


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


@operation(family="accounts", mutates=False, permission="accounts.read")
@hookspec(firstresult=True)
def idconnect_explain_search(
    context: CallContext, query: Query, threshold: int | None
) -> Explanation:
    """Say what :func:`idconnect_search_accounts` would send for ``query``, without running it.

    Read-only: the native query with bound parameter names (never values), which parts run
    natively and which are re-checked locally, the database's plan summary where there is a
    planner, and whether the search would read every account (``full_scan``).

    :param context: the call context.
    :param query: the bound query, as the search would receive it.
    :param threshold: when not ``None``, also say whether the store holds more than this many
        accounts (``Explanation.over_threshold``; a bounded count, only when ``full_scan``).
    :returns: the :class:`~idconnect.core.explain.Explanation`.
    :raises UnsupportedFilter: as the search would.
    :raises NotSupported: as the search would (e.g. for a sort it cannot do).

    .. versionadded:: 0.2
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
    permission="accounts.enable",
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
    permission="accounts.enable",
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
