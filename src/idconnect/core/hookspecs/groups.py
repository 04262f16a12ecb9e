# mypy: disable-error-code="empty-body"
"""Groups: search, read, create, rename, delete, and memberships (single and bulk)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from idconnect.core.hookspecs.markers import hookspec
from idconnect.core.opspec import operation

if TYPE_CHECKING:
    from idconnect.core.context import CallContext
    from idconnect.core.model import (
        Group,
        Outcome,
    )
    from idconnect.core.query import Page, Query

__all__ = [
    "idconnect_add_group_member",
    "idconnect_bulk_add_group_members",
    "idconnect_bulk_remove_group_members",
    "idconnect_create_group",
    "idconnect_delete_group",
    "idconnect_get_group",
    "idconnect_remove_group_member",
    "idconnect_rename_group",
    "idconnect_search_groups",
]


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
    permission="groups.manage",
    target="group_id",
    changed=("displayName",),
)
@hookspec(firstresult=True)
def idconnect_rename_group(context: CallContext, group_id: str, display_name: str) -> Group:
    """Give a group a new display name; its id and its members stay.

    The facade has checked the name (non-blank, at most 255 characters, no control
    characters). A backend whose store derives the group's address from its name (an LDAP
    entry named ``cn=...``) moves it there, keeping the id: the id is never the name.

    :param context: the call context.
    :param group_id: the store's stable id of the group.
    :param display_name: the new name.
    :returns: the group as stored after the change, with its members and new version.
    :raises NotFound: when no group has that id.
    :raises Conflict: when another group has that name and the store requires names unique
        (exactly when :func:`idconnect_create_group` would refuse it).

    .. versionadded:: 0.2
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
