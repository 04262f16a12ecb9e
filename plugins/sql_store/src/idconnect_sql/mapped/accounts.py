"""Mapped store: reading and writing account rows."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from idconnect.backend import (
    CUSTOM_CHANGES,
    Account,
    Conflict,
    InvalidInput,
    Name,
    Outcome,
    Page,
    Query,
    hookimpl,
    utc_now,
    writable_values,
)
from idconnect_sql.explain import SearchTarget
from idconnect_sql.mapped.base import MappedBase

__all__ = ["MappedAccountOps"]


class MappedAccountOps(MappedBase):
    """Account hooks on the mapped table: get, search, create, update, enable/disable, delete."""

    @hookimpl
    def idconnect_get_account(self, account_id: str) -> Account:
        """Read one mapped row (and its groups)."""
        with self.begin(account_id) as connection:
            return self._load(connection, [self._row(connection, account_id)])[0]

    def search_target(self) -> SearchTarget:
        """Return the mapped table, its id column, the layout and the catalogue."""
        return SearchTarget(self.mapped, self.col("id"), self.layout, self.idconnect_catalogue())

    @hookimpl
    def idconnect_search_accounts(self, query: Query) -> Page[Account]:
        """Search the mapped table."""
        t = self.search_target()
        return self.page(
            query,
            source=t.source,
            key=t.key,
            layout=t.layout,
            catalogue=t.catalogue,
            load=self._load,
        )

    def _values(self, changes: Mapping[str, Any]) -> dict[str, Any]:
        m = self.mapping
        values: dict[str, Any] = {}

        def put(key: str, value: Any) -> None:
            if key in m:
                values[m[key]] = "" if value is None and self._empty_text(key) else value
            elif value not in (None, ()):
                raise InvalidInput(f"this store does not hold {key!r}", store=self.name)

        if "userName" in changes:
            put("userName", changes["userName"])
        if "displayName" in changes:
            put("displayName", changes["displayName"])
        if "name" in changes:
            name: Name | None = changes["name"]
            put("givenName", name.given_name if name else None)
            put("familyName", name.family_name if name else None)
        if "emails" in changes:
            emails = changes["emails"] or ()
            if len(emails) > 1:
                raise InvalidInput("this store holds one email address", store=self.name)
            put("email", emails[0].value if emails else None)
        for key in ("phoneNumbers", "externalIdentities", "organization"):
            if changes.get(key) not in (None, ()):
                raise InvalidInput(f"this store does not hold {key!r}", store=self.name)
        return values

    def _empty_text(self, key: str) -> bool:
        column = self.col(key)
        return not column.nullable and isinstance(column.type, sa.String)

    def _name_lock(self, user_name: str) -> str:
        """Return the lock name serialising writers of one userName, ignoring case."""
        return f"{self.schema or ''}.{self.mapping['table']}\x1f{user_name.lower()}"

    def _check_user_name(
        self, connection: Connection, user_name: str, account_id: str | None = None
    ) -> None:
        """Refuse a userName equal, ignoring case, to another row's (the table may not).

        Race-free only in a transaction holding :meth:`_name_lock` of ``user_name``.
        """
        folded = self.layout.scalars["username"].folded
        assert folded is not None
        stmt = sa.select(self.col("id")).where(folded == user_name.lower())
        if account_id is not None:
            stmt = stmt.where(sa.not_(self._where_id(account_id)))
        if connection.execute(stmt.limit(1)).first() is not None:
            raise Conflict(
                "userName is taken (it must be unique, ignoring case)",
                store=self.name,
                account=account_id,
                attribute="userName",
            )

    def _touch(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        if "modified" in self.mapping:
            values[self.mapping["modified"]] = utc_now()
        if "version" in self.mapping:
            values[self.mapping["version"]] = self.col("version") + 1
        return values

    @hookimpl
    def idconnect_create_account(self, account: Account) -> Account:
        """Insert a row with the mapped values and the configured ``defaults``."""
        values = {
            **self.defaults,
            **self._values(writable_values(account)),
            **self.custom.column_values(account.attributes, None),
        }
        now = utc_now()
        for key in ("created", "modified"):
            if key in self.mapping:
                values[self.mapping[key]] = now
        if "version" in self.mapping:
            values[self.mapping["version"]] = 1
        if self.flag:
            values[self.mapping[self.flag]] = (
                account.active if self.flag == "active" else not account.active
            )
        if "password" in self.mapping and self._empty_text("password"):
            values.setdefault(self.mapping["password"], "!" + uuid.uuid4().hex)  # unusable
        id_column = self.col("id")
        if not isinstance(id_column.type, sa.Integer):
            values[id_column.name] = uuid.uuid4().hex
        with self.begin(locked=[self._name_lock(account.user_name)]) as connection:
            self._check_user_name(connection, account.user_name)
            result = connection.execute(sa.insert(self.mapped).values(**values))
            inserted = result.inserted_primary_key
            new_id = values.get(id_column.name) or (inserted[0] if inserted else None)
            self.custom.write_children(connection, new_id, account.attributes, str(new_id))
            return self._load(connection, [self._row(connection, str(new_id))])[0]

    @hookimpl
    def idconnect_update_account(
        self, account_id: str, changes: Mapping[str, Any], expected_version: str | None
    ) -> Account:
        """Update the mapped columns if the row's version is still ``expected_version``."""
        custom = changes.get(CUSTOM_CHANGES, {})
        values = {**self._values(changes), **self.custom.column_values(custom, account_id)}
        renamed = [self._name_lock(changes["userName"])] if "userName" in changes else []
        with self.begin(account_id, locked=renamed) as connection:
            row = self._row(connection, account_id, lock=True)
            key = row._mapping[self.col("id")]
            current = self._version(row, self._children(connection, [row]).get(str(key), {}))
            if expected_version is not None and expected_version != current:
                raise Conflict(
                    f"version {expected_version} is stale (current is {current})",
                    store=self.name,
                    account=account_id,
                    attribute="version",
                )
            if "userName" in changes:
                self._check_user_name(connection, changes["userName"], account_id)
            values.update(self._touch())
            if values:
                connection.execute(
                    sa.update(self.mapped).where(self._where_id(account_id)).values(**values)
                )
            self.custom.write_children(connection, key, custom, account_id)
            return self._load(connection, [self._row(connection, account_id)])[0]

    def _enable(self, connection: Connection, ids: Sequence[str], enabled: bool) -> set[str]:
        keys = [v for v in (self._id_value(i) for i in ids) if v is not None]
        found = {
            str(v)
            for v in connection.execute(
                sa.select(self.col("id")).where(self.col("id").in_(keys))
            ).scalars()
        }
        flag_value = enabled if self.flag == "active" else not enabled
        for start in range(0, len(keys), self.batch_size):
            connection.execute(
                sa.update(self.mapped)
                .where(self.col("id").in_(keys[start : start + self.batch_size]))
                .values({self.mapping[str(self.flag)]: flag_value, **self._touch()})
            )
        return found

    @hookimpl
    def idconnect_set_account_enabled(self, account_id: str, enabled: bool) -> None:
        """Set the mapped active flag (or clear the inverted one)."""
        with self.begin(account_id) as connection:
            if not self._enable(connection, [account_id], enabled):
                raise self.not_found("account", account_id)

    @hookimpl
    def idconnect_bulk_set_accounts_enabled(
        self, account_ids: Sequence[str], enabled: bool
    ) -> list[Outcome]:
        """Set the flag for many rows in one transaction."""
        with self.begin() as connection:
            found = self._enable(connection, account_ids, enabled)
        return [
            Outcome(account_id=i)
            if i in found
            else Outcome(account_id=i, error=self.not_found("account", i, account=i))
            for i in account_ids
        ]

    @hookimpl
    def idconnect_delete_account(self, account_id: str) -> None:
        """Delete the row, and its memberships first when groups are mapped."""
        with self.begin(account_id) as connection:
            row = self._row(connection, account_id)
            self.custom.delete_children(connection, row._mapping[self.col("id")])
            if self.has_groups:
                column = self.members.c[self.mapping["membership_account"]]
                connection.execute(
                    sa.delete(self.members).where(column == self._id_value(account_id))
                )
            connection.execute(sa.delete(self.mapped).where(self._where_id(account_id)))
