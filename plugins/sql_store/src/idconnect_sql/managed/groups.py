"""Managed store: groups and memberships."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from idconnect.backend import GROUP_CATALOGUE, Group, Outcome, Page, Query, hookimpl, utc_now
from idconnect_sql.managed.base import ManagedBase, raise_first
from idconnect_sql.managed.rows import group_from_row

__all__ = ["GroupOps"]


class GroupOps(ManagedBase):
    """Group hooks: search, get, create, rename, delete, and (bulk) membership changes."""

    @hookimpl
    def idconnect_search_groups(self, query: Query) -> Page[Group]:
        """Search groups by id and display name."""
        g = self.tables.groups
        return self.page(
            query,
            source=g,
            key=g.c.id,
            layout=self.group_layout,
            catalogue=GROUP_CATALOGUE,
            load=lambda _, rows, __: [group_from_row(row, ()) for row in rows],
        )

    def _group_row(self, connection: Connection, group_id: str) -> Row[Any]:
        g = self.tables.groups
        row = connection.execute(sa.select(g).where(g.c.id == group_id)).first()
        if row is None:
            raise self.not_found("group", group_id)
        return row

    @hookimpl
    def idconnect_get_group(self, group_id: str) -> Group:
        """Read a group with its member ids."""
        m = self.tables.memberships
        with self.begin() as connection:
            row = self._group_row(connection, group_id)
            members = connection.execute(
                sa.select(m.c.account_id).where(m.c.group_id == group_id).order_by(m.c.account_id)
            ).scalars()
            return group_from_row(row, tuple(members))

    @hookimpl
    def idconnect_create_group(self, group: Group) -> Group:
        """Create a group and its memberships; display names are unique ignoring case."""
        group_id = uuid.uuid4().hex
        members = list(dict.fromkeys(group.members))
        with self.begin() as connection:
            found = self._existing(connection, members)
            missing = [i for i in members if i not in found]
            if missing:
                raise self.not_found("account", missing[0], account=missing[0])
            connection.execute(
                sa.insert(self.tables.groups),
                [
                    {
                        "id": group_id,
                        "display_name": group.display_name,
                        "display_name_ci": group.display_name.lower(),
                        "created": utc_now(),
                        "version": 1,
                    }
                ],
            )
            if members:
                connection.execute(
                    sa.insert(self.tables.memberships),
                    [{"group_id": group_id, "account_id": i} for i in members],
                )
                for start in range(0, len(members), self.batch_size):
                    self.children.mark(
                        connection, members[start : start + self.batch_size], "groups"
                    )
        return self.idconnect_get_group(group_id)

    @hookimpl
    def idconnect_rename_group(self, group_id: str, display_name: str) -> Group:
        """Rename a group in place (same id, new version); names stay unique ignoring case.

        :raises NotFound: when no group has the id.
        :raises Conflict: when another group has the name (the unique index on the folded name).
        """
        g = self.tables.groups
        with self.begin() as connection:
            changed = connection.execute(
                sa.update(g)
                .where(g.c.id == group_id)
                .values(
                    display_name=display_name,
                    display_name_ci=display_name.lower(),
                    version=g.c.version + 1,
                )
            ).rowcount
            if changed == 0:
                raise self.not_found("group", group_id)
        return self.idconnect_get_group(group_id)

    @hookimpl
    def idconnect_delete_group(self, group_id: str) -> None:
        """Delete a group; memberships go with it."""
        g = self.tables.groups
        with self.begin() as connection:
            if connection.execute(sa.delete(g).where(g.c.id == group_id)).rowcount == 0:
                raise self.not_found("group", group_id)

    def _members(self, group_id: str, account_ids: Sequence[str], add: bool) -> list[Outcome]:
        m = self.tables.memberships
        ids = list(account_ids)
        with self.begin() as connection:
            self._group_row(connection, group_id)
            found = self._existing(connection, ids)
            kept = [i for i in ids if i in found]
            for start in range(0, len(kept), self.batch_size):
                chunk = kept[start : start + self.batch_size]
                if add:
                    present = set(
                        connection.execute(
                            sa.select(m.c.account_id).where(
                                m.c.group_id == group_id, m.c.account_id.in_(chunk)
                            )
                        ).scalars()
                    )
                    rows = [
                        {"group_id": group_id, "account_id": i} for i in chunk if i not in present
                    ]
                    if rows:
                        connection.execute(sa.insert(m), rows)
                        self.children.mark(connection, [r["account_id"] for r in rows], "groups")
                else:
                    connection.execute(
                        sa.delete(m).where(m.c.group_id == group_id, m.c.account_id.in_(chunk))
                    )
        return self._outcomes(ids, found)

    @hookimpl
    def idconnect_add_group_member(self, group_id: str, account_id: str) -> None:
        """Add a member; adding twice is not an error."""
        raise_first(self._members(group_id, [account_id], add=True))

    @hookimpl
    def idconnect_remove_group_member(self, group_id: str, account_id: str) -> None:
        """Remove a member; removing a non-member is not an error."""
        raise_first(self._members(group_id, [account_id], add=False))

    @hookimpl
    def idconnect_bulk_add_group_members(
        self, group_id: str, account_ids: Sequence[str]
    ) -> list[Outcome]:
        """Add many members with set-based inserts in one transaction."""
        return self._members(group_id, account_ids, add=True)

    @hookimpl
    def idconnect_bulk_remove_group_members(
        self, group_id: str, account_ids: Sequence[str]
    ) -> list[Outcome]:
        """Remove many members with set-based deletes in one transaction."""
        return self._members(group_id, account_ids, add=False)
