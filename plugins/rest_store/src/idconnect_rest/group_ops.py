"""Group operations of the ``rest`` backend on ``/Groups``.

Search, get, create, rename, delete, add and remove members.
"""

from __future__ import annotations

from attrs import evolve

from idconnect.backend import Group, NotSupported, Page, Query, hookimpl, to_text
from idconnect_rest.base import RestBase
from idconnect_rest.memberships import remove_members
from idconnect_rest.paging import ListRequest, fetch_page
from idconnect_rest.resources import group_to_resource, patch_body

__all__ = ["GroupOps"]


class GroupOps(RestBase):
    """Groups and memberships."""

    @hookimpl
    def idconnect_search_groups(self, query: Query) -> Page[Group]:
        """GET /Groups without members.

        :param query: the bound query.
        :returns: one page.
        :raises NotSupported: when sorting is asked of a server that cannot sort.
        """
        p = self.profile
        if query.sort_by is not None and not p.sort:
            raise NotSupported(
                "this store's SCIM server does not support sorting",
                store=self.name,
                operation="sort",
            )
        req = ListRequest(
            endpoint=self._groups(),
            filter=to_text(query.filter) if query.filter is not None else None,
            sort_by=query.sort_by.dotted if query.sort_by is not None else None,
            sort_always_present=True,
            descending=query.descending,
            use_cursor=p.cursor,
            max_results=p.max_results,
            extra={"excludedAttributes": "members"},
        )
        return fetch_page(self.client, req, query, self._group, self.settings.max_pages)

    @hookimpl
    def idconnect_get_group(self, group_id: str) -> Group:
        """GET /Groups/{id}.

        :param group_id: the group's id.
        :returns: the group.
        :raises NotFound: when the server has no such group.
        """
        doc = self.client.request(
            "GET", self._group_path(group_id), what=f"group with id {group_id!r}"
        ).json()
        return self._group(doc)

    @hookimpl
    def idconnect_create_group(self, group: Group) -> Group:
        """POST /Groups (members are checked to exist first).

        :param group: the new group.
        :returns: the group as the server created it.
        :raises NotFound: when a member does not exist.
        """
        for member in group.members:
            self._check_account(member)
        doc = self.client.request(
            "POST",
            self._groups(),
            body=group_to_resource(group),
            what=f"group {group.display_name!r}",
        ).json()
        return self._group(doc)

    @hookimpl
    def idconnect_rename_group(self, group_id: str, display_name: str) -> Group:
        """PATCH replace displayName; a server without PATCH gets the group PUT back renamed.

        The PUT carries the members just read and, where the server has ETags, their version
        as ``If-Match``, so a membership change in between is a ``Conflict``, never undone.

        :param group_id: the group's id.
        :param display_name: the new name.
        :returns: the group as the server holds it after the change.
        :raises NotFound: when the server has no such group.
        :raises Conflict: when the server refuses the name (409) or the group changed meanwhile.
        """
        path, what = self._group_path(group_id), f"group with id {group_id!r}"
        if self.profile.patch:
            body = patch_body({"op": "replace", "path": "displayName", "value": display_name})
            answer = self.client.request("PATCH", path, body=body, what=what)
        else:
            current = self.idconnect_get_group(group_id)
            version = current.version if self.profile.etag else None
            body = group_to_resource(evolve(current, display_name=display_name))
            answer = self.client.request("PUT", path, body=body, if_match=version, what=what)
        if answer.status_code == 200 and answer.content:
            return self._group(answer.json())
        return self.idconnect_get_group(group_id)

    @hookimpl
    def idconnect_delete_group(self, group_id: str) -> None:
        """DELETE /Groups/{id}.

        :param group_id: the group's id.
        :raises NotFound: when the server has no such group.
        """
        self.client.request(
            "DELETE", self._group_path(group_id), what=f"group with id {group_id!r}"
        )

    @hookimpl
    def idconnect_add_group_member(self, group_id: str, account_id: str) -> None:
        """PATCH add members (the account is checked to exist: servers may not check).

        :param group_id: the group's id.
        :param account_id: the new member.
        :raises NotFound: when the group or the account does not exist.
        """
        self._check_account(account_id)
        self.client.request(
            "PATCH",
            self._group_path(group_id),
            body=patch_body({"op": "add", "path": "members", "value": [{"value": account_id}]}),
            what=f"group with id {group_id!r}",
        )

    @hookimpl
    def idconnect_remove_group_member(self, group_id: str, account_id: str) -> None:
        """PATCH remove members[value eq id] (when the account is a member).

        :param group_id: the group's id.
        :param account_id: the member to remove.
        :raises NotFound: when the group or the account does not exist.
        """
        self._check_account(account_id)
        group = self.idconnect_get_group(group_id)
        if account_id in group.members:
            remove_members(
                self.client,
                self._group_path(group_id),
                f"group with id {group_id!r}",
                [account_id],
            )
