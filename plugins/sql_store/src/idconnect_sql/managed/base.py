"""The managed store's base: tables, schema set-up and the reads every operation family shares."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, Row

from idconnect.backend import (
    USER_CATALOGUE,
    Account,
    Catalogue,
    GroupRef,
    Outcome,
    StoreConfig,
    StoreUnavailable,
    hookimpl,
    utc_now,
)
from idconnect_sql import migrate
from idconnect_sql.backend import SqlBackend
from idconnect_sql.engine import create_engine
from idconnect_sql.managed.layout import managed_layout
from idconnect_sql.managed.rows import account_from_row
from idconnect_sql.tables import UNIQUE_ATTRIBUTES, build_tables

__all__ = ["IDS", "ManagedBase", "raise_first"]

IDS: sa.BindParameter[Any] = sa.bindparam("ids", expanding=True)
"""The account ids of one page, for the statements that load what hangs off them."""


class ManagedBase(SqlBackend):
    """The managed store's tables, schema set-up and the reads every family shares.

    The schema is created automatically on first use for SQLite (or with
    ``create_schema = true``); elsewhere ``idconnect store init NAME`` provisions it.

    :param config: the store's config.
    """

    unique = UNIQUE_ATTRIBUTES

    def __init__(self, config: StoreConfig) -> None:
        super().__init__(config)
        self.tables = build_tables(self.schema)
        self.layout, self.group_layout = managed_layout(self.tables)
        self.create_schema = config.get("create_schema", bool, self.dialect == "sqlite")
        self._by_accounts: dict[str, sa.Executable] = {}

    def prepare(self, engine: Engine) -> None:
        """Create or migrate the schema when allowed; otherwise check that it is there.

        :param engine: the new engine.
        :raises StoreUnavailable: when the tables are missing and may not be created.
        """
        with engine.connect() as connection:
            ready = migrate.has_schema(connection, self.tables)
        if ready:
            return
        if not self.create_schema:
            raise StoreUnavailable(
                "the idconnect tables are missing or out of date in this database; run"
                f" `idconnect store init {self.name}` (or set create_schema = true)",
                store=self.name,
            )
        migrate.upgrade(engine, self.tables)

    def migrate(self) -> str:
        """Create the managed tables, or migrate them to the newest revision, on a new engine.

        :returns: the revision the database is at afterwards.
        :raises StoreUnavailable: when the database cannot be reached.
        """
        engine = create_engine(self.settings)
        try:
            with self.errors():
                return migrate.upgrade(engine, self.tables)
        finally:
            engine.dispose()

    @hookimpl
    def idconnect_seed_demo(self, count: int, seed: int) -> dict[str, int]:
        """Write demo customers natively (:func:`idconnect_sql.demo.seed_backend`)."""
        from idconnect_sql.demo import seed_backend

        return seed_backend(self, count, seed)

    @hookimpl
    def idconnect_provision(self) -> str:
        """Create or migrate the managed schema (``idconnect store init NAME``)."""
        revision = self.migrate()
        return f"schema revision {migrate.revision_name(revision)}"

    # -- reading ------------------------------------------------------------------------------

    def _children(
        self, connection: Connection, table: sa.Table, ids: Sequence[str], *order: Any
    ) -> dict[str, list[Row[Any]]]:
        found: dict[str, list[Row[Any]]] = defaultdict(list)
        if not ids:
            return found
        stmt = self._by_accounts.get(table.name)
        if stmt is None:
            stmt = sa.select(table).where(table.c.account_id.in_(IDS)).order_by(*order)
            self._by_accounts[table.name] = stmt
        for row in connection.execute(stmt, {"ids": list(ids)}):
            found[row.account_id].append(row)
        return found

    def _load(self, connection: Connection, rows: Sequence[Row[Any]]) -> list[Account]:
        t = self.tables
        ids = [row.id for row in rows]
        emails = self._children(connection, t.emails, ids, t.emails.c.position)
        phones = self._children(connection, t.phones, ids, t.phones.c.position)
        idents = self._children(
            connection, t.external_identities, ids, t.external_identities.c.position
        )
        roles = self._children(connection, t.role_assignments, ids, t.role_assignments.c.id)
        groups: dict[str, list[GroupRef]] = defaultdict(list)
        if ids:
            stmt = self._by_accounts.get("memberships")
            if stmt is None:
                stmt = (
                    sa.select(t.memberships.c.account_id, t.groups.c.id, t.groups.c.display_name)
                    .join(t.groups, t.groups.c.id == t.memberships.c.group_id)
                    .where(t.memberships.c.account_id.in_(IDS))
                    .order_by(t.groups.c.display_name_ci, t.groups.c.id)
                )
                self._by_accounts["memberships"] = stmt
            for account_id, group_id, display in connection.execute(stmt, {"ids": ids}):
                groups[account_id].append(GroupRef(value=group_id, display=display))
        return [
            account_from_row(
                row,
                emails=emails.get(row.id, ()),
                phones=phones.get(row.id, ()),
                idents=idents.get(row.id, ()),
                roles=roles.get(row.id, ()),
                groups=groups.get(row.id, ()),
            )
            for row in rows
        ]

    def _get(self, connection: Connection, account_id: str) -> Account:
        row = connection.execute(
            sa.select(self.tables.accounts).where(self.tables.accounts.c.id == account_id)
        ).first()
        if row is None:
            raise self.not_found("account", account_id)
        return self._load(connection, [row])[0]

    def _require_account(self, connection: Connection, account_id: str) -> None:
        a = self.tables.accounts
        if connection.execute(sa.select(a.c.id).where(a.c.id == account_id)).first() is None:
            raise self.not_found("account", account_id)

    def _existing(self, connection: Connection, ids: Sequence[str]) -> set[str]:
        a = self.tables.accounts
        found: set[str] = set()
        for start in range(0, len(ids), self.batch_size):
            chunk = ids[start : start + self.batch_size]
            found.update(connection.execute(sa.select(a.c.id).where(a.c.id.in_(chunk))).scalars())
        return found

    def _touch(self, connection: Connection, account_id: str, **values: Any) -> None:
        a = self.tables.accounts
        done = connection.execute(
            sa.update(a)
            .where(a.c.id == account_id)
            .values(version=a.c.version + 1, last_modified=utc_now(), **values)
        )
        if done.rowcount == 0:
            raise self.not_found("account", account_id)

    # -- store-wide ---------------------------------------------------------------------------

    @hookimpl
    def idconnect_catalogue(self) -> Catalogue:
        """Hold every canonical attribute."""
        return USER_CATALOGUE

    def _outcomes(self, ids: Sequence[str], found: set[str]) -> list[Outcome]:
        return [
            Outcome(account_id=i)
            if i in found
            else Outcome(account_id=i, error=self.not_found("account", i, account=i))
            for i in ids
        ]


def raise_first(outcomes: Sequence[Outcome]) -> None:
    """Raise the first error among bulk outcomes (a single call made through the bulk path).

    :param outcomes: the outcomes.
    :raises IdconnectError: the first outcome's error, if any.
    """
    for outcome in outcomes:
        if outcome.error is not None:
            raise outcome.error
