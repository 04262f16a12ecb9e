"""Mapped store: group rows and membership rows (with a group mapping)."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from idconnect.backend import GROUP_CATALOGUE, Group, Page, Query, hookimpl
from idconnect_sql.mapped.base import MappedBase

__all__ = ["MappedGroupOps"]


class MappedGroupOps(MappedBase):
    """Group hooks on the mapped group and membership tables."""

    @hookimpl
    def idconnect_search_groups(self, query: Query) -> Page[Group]:
        """Search the mapped group table."""
        gid = self.groups.c[self.mapping["group_id"]]
        return self.page(
            query,
            source=self.groups,
            key=gid,
            layout=self.group_layout,
            catalogue=GROUP_CATALOGUE,
            load=lambda _, rows, __: [
                Group(
                    id=str(r._mapping[gid]),
                    display_name=r._mapping[self.groups.c[self.mapping["group_name"]]],
                )
                for r in rows
            ],
        )

    def _group_id(self, connection: Connection, group_id: str) -> Any:
        gid = self.groups.c[self.mapping["group_id"]]
        value = (
            (int(group_id) if group_id.isdigit() else None)
            if isinstance(gid.type, sa.Integer)
            else group_id
        )
        row = (
            connection.execute(sa.select(self.groups).where(gid == value)).first()
            if value is not None
            else None
        )
        if row is None:
            raise self.not_found("group", group_id)
        return row

    @hookimpl
    def idconnect_get_group(self, group_id: str) -> Group:
        """Read a mapped group with its members."""
        k = self.mapping
        with self.begin() as connection:
            row = self._group_id(connection, group_id)
            gid = row._mapping[self.groups.c[k["group_id"]]]
            members = connection.execute(
                sa.select(self.members.c[k["membership_account"]])
                .where(self.members.c[k["membership_group"]] == gid)
                .order_by(self.members.c[k["membership_account"]])
            ).scalars()
            return Group(
                id=str(gid),
                display_name=row._mapping[self.groups.c[k["group_name"]]],
                members=tuple(str(m) for m in members),
            )

    @hookimpl
    def idconnect_create_group(self, group: Group) -> Group:
        """Insert a group row (and membership rows for its ``members``)."""
        k = self.mapping
        gid = self.groups.c[k["group_id"]]
        values: dict[str, Any] = {k["group_name"]: group.display_name}
        if not isinstance(gid.type, sa.Integer):
            values[gid.name] = uuid.uuid4().hex
        members = list(dict.fromkeys(group.members))
        with self.begin() as connection:
            accounts = [self._row(connection, i)._mapping[self.col("id")] for i in members]
            result = connection.execute(sa.insert(self.groups).values(**values))
            inserted = result.inserted_primary_key
            new_id = values.get(gid.name) or (inserted[0] if inserted else None)
            if accounts:
                connection.execute(
                    sa.insert(self.members),
                    [{k["membership_group"]: new_id, k["membership_account"]: a} for a in accounts],
                )
        return self.idconnect_get_group(str(new_id))

    @hookimpl
    def idconnect_rename_group(self, group_id: str, display_name: str) -> Group:
        """Update the group row's name column; its key is kept.

        :raises NotFound: when no row has the id.
        :raises Conflict: when the table's own unique constraint refuses the name (as it would
            on create: a mapped table decides whether and how names are unique).
        """
        k = self.mapping
        gid = self.groups.c[k["group_id"]]
        with self.begin() as connection:
            key = self._group_id(connection, group_id)._mapping[gid]
            connection.execute(
                sa.update(self.groups).where(gid == key).values({k["group_name"]: display_name})
            )
        return self.idconnect_get_group(group_id)

    @hookimpl
    def idconnect_delete_group(self, group_id: str) -> None:
        """Delete the group row, its membership rows first."""
        k = self.mapping
        gid = self.groups.c[k["group_id"]]
        with self.begin() as connection:
            key = self._group_id(connection, group_id)._mapping[gid]
            connection.execute(
                sa.delete(self.members).where(self.members.c[k["membership_group"]] == key)
            )
            connection.execute(sa.delete(self.groups).where(gid == key))

    def _membership(self, group_id: str, account_id: str, add: bool) -> None:
        k = self.mapping
        m = self.members
        with self.begin(account_id) as connection:
            gid = self._group_id(connection, group_id)._mapping[self.groups.c[k["group_id"]]]
            aid = self._row(connection, account_id)._mapping[self.col("id")]
            where = sa.and_(m.c[k["membership_group"]] == gid, m.c[k["membership_account"]] == aid)
            held = connection.execute(sa.select(sa.literal(1)).select_from(m).where(where)).first()
            if add and held is None:
                connection.execute(
                    sa.insert(m).values({k["membership_group"]: gid, k["membership_account"]: aid})
                )
            elif not add and held is not None:
                connection.execute(sa.delete(m).where(where))

    @hookimpl
    def idconnect_add_group_member(self, group_id: str, account_id: str) -> None:
        """Insert a membership row unless present."""
        self._membership(group_id, account_id, add=True)

    @hookimpl
    def idconnect_remove_group_member(self, group_id: str, account_id: str) -> None:
        """Delete the membership row if present."""
        self._membership(group_id, account_id, add=False)
