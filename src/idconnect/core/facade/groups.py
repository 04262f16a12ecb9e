"""Groups: search, read, create, rename, delete, and membership changes of many accounts."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from idconnect.core.attributes import MAX_TEXT
from idconnect.core.convert import group_from_json
from idconnect.core.errors import IdconnectError
from idconnect.core.facade.bulk import bulk_by_id
from idconnect.core.facade.calls import StoreCalls, with_cursor
from idconnect.core.facade.checks import check_note
from idconnect.core.filter import Filter
from idconnect.core.model import BulkResult, Group
from idconnect.core.opspec import covers
from idconnect.core.query import Page, iterate_pages
from idconnect.core.schema import GROUP_CATALOGUE

__all__ = ["GroupOperations"]


class GroupOperations(StoreCalls):
    """The groups family of :class:`~idconnect.core.facade.store.Store`."""

    def _group_name(self, value: object) -> str:
        """A group's display name: non-blank, at most 255 characters, no control characters."""
        return check_note(value, "a group's displayName", most=MAX_TEXT, store=self.name)

    @covers("search_groups")
    def search_groups(
        self,
        filter: str | Filter | None = None,
        *,
        sort_by: str | None = None,
        descending: bool = False,
        count: int = 50,
        cursor: str | None = None,
        actor: str | None = None,
    ) -> Page[Group]:
        """Find groups by ``displayName`` or ``id``.

        :param filter: SCIM filter text or builder expression over ``id`` and ``displayName``.
        :param sort_by: ``displayName`` or ``id``.
        :param descending: sort in descending order.
        :param count: page size, 1 to 1000.
        :param cursor: the ``next_cursor`` of the previous page.
        :param actor: the acting admin.
        :returns: a page of groups (without members).
        :raises FilterError: for a malformed filter.
        """
        query = self._query(GROUP_CATALOGUE, filter, sort_by, descending, count, cursor)
        context = self._context(actor, None, need_reason=False)
        page: Page[Group] = self._call("search_groups", context, query=query)
        return page

    @covers("search_groups")
    def iter_groups(
        self, filter: str | Filter | None = None, *, actor: str | None = None
    ) -> Iterator[Group]:
        """Iterate over every matching group, one page at a time.

        :param filter: as for :meth:`search_groups`.
        :param actor: the acting admin.
        :returns: an iterator of groups.
        """
        query = self._query(GROUP_CATALOGUE, filter, None, False, 200, None)

        def fetch(cursor: str | None) -> Page[Group]:
            context = self._context(actor, None, need_reason=False)
            page: Page[Group] = self._call(
                "search_groups", context, query=with_cursor(query, cursor)
            )
            return page

        return iterate_pages(fetch)

    @covers("get_group")
    def get_group(self, group_id: str, *, actor: str | None = None) -> Group:
        """Read a group with its members.

        :param group_id: the group's id.
        :param actor: the acting admin.
        :returns: the group.
        :raises NotFound: when it does not exist.
        """
        group_id = self._id(group_id, "group id")
        context = self._context(actor, None, need_reason=False)
        group: Group = self._call("get_group", context, group_id=group_id)
        return group

    @covers("create_group")
    def create_group(
        self,
        resource: Group | Mapping[str, Any],
        *,
        reason: str | None = None,
        actor: str | None = None,
    ) -> Group:
        """Create a group.

        :param resource: a Group or a SCIM Group document.
        :param reason: why.
        :param actor: the acting admin.
        :returns: the group as stored.
        :raises InvalidInput: for an invalid resource.
        :raises Conflict: when the name is taken.
        """
        try:
            group = resource if isinstance(resource, Group) else group_from_json(resource)
        except IdconnectError as exc:
            raise exc.in_context(store=self.name) from exc.__cause__
        self._group_name(group.display_name)
        context = self._context(actor, reason, need_reason=False)
        created: Group = self._call("create_group", context, group=group)
        return created

    @covers("rename_group")
    def rename_group(
        self, group_id: str, display_name: str, *, reason: str, actor: str | None = None
    ) -> Group:
        """Give a group a new display name; its id and its members stay.

        Everything is checked before the store is asked: the id, the name (non-blank, at most
        255 characters, no control characters), the reason, the permission (``groups.manage``)
        and the capability.

        :param group_id: the group's id.
        :param display_name: the new name.
        :param reason: why (required).
        :param actor: the acting admin.
        :returns: the group as stored after the change.
        :raises InvalidInput: for a bad id, name or reason.
        :raises NotSupported: when the store cannot rename groups.
        :raises NotFound: when the group does not exist.
        :raises Conflict: when another group has the name and the store requires names unique.
        """
        group_id = self._id(group_id, "group id")
        name = self._group_name(display_name)
        context = self._context(actor, reason, need_reason=True)
        renamed: Group = self._call("rename_group", context, group_id=group_id, display_name=name)
        return renamed

    @covers("delete_group")
    def delete_group(self, group_id: str, *, reason: str, actor: str | None = None) -> None:
        """Delete a group; its members stay.

        :param group_id: the group's id.
        :param reason: why (required).
        :param actor: the acting admin.
        :raises NotFound: when it does not exist.
        """
        group_id = self._id(group_id, "group id")
        context = self._context(actor, reason, need_reason=True)
        self._call("delete_group", context, group_id=group_id)

    @covers("add_group_member")
    def add_to_group(
        self,
        group_id: str,
        ids: Iterable[str],
        *,
        reason: str,
        actor: str | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> BulkResult:
        """Add accounts to a group.

        :param group_id: the group's id.
        :param ids: account ids.
        :param reason: why (required).
        :param actor: the acting admin.
        :param progress: called with how many more accounts are done, as they get done.
        :returns: each account's outcome (an unknown group fails every account).
        """
        group_id = self._id(group_id, "group id")
        return bulk_by_id(
            self,
            "add_group_member",
            "add_group_member",
            ids,
            reason=reason,
            actor=actor,
            extra={"group_id": group_id},
            progress=progress,
        )

    @covers("remove_group_member")
    def remove_from_group(
        self,
        group_id: str,
        ids: Iterable[str],
        *,
        reason: str,
        actor: str | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> BulkResult:
        """Remove accounts from a group.

        :param group_id: the group's id.
        :param ids: account ids.
        :param reason: why (required).
        :param actor: the acting admin.
        :param progress: called with how many more accounts are done, as they get done.
        :returns: each account's outcome.
        """
        group_id = self._id(group_id, "group id")
        return bulk_by_id(
            self,
            "remove_group_member",
            "remove_group_member",
            ids,
            reason=reason,
            actor=actor,
            extra={"group_id": group_id},
            progress=progress,
        )
