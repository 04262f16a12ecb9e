"""The managed store's base: tables, schema set-up and the reads every operation family shares."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, Row

from idconnect.backend import (
    USER_CATALOGUE,
    Account,
    Catalogue,
    Outcome,
    RecordSql,
    StoreConfig,
    StoreUnavailable,
    custom_attributes,
    hookimpl,
    utc_now,
)
from idconnect_sql import migrate
from idconnect_sql.backend import SqlBackend
from idconnect_sql.engine import create_engine
from idconnect_sql.managed.children import (
    CHILDREN,
    KINDS,
    NO_CHILDREN,
    ChildLists,
    Children,
    kinds_for,
)
from idconnect_sql.managed.custom import CustomAttributes
from idconnect_sql.managed.layout import managed_layout
from idconnect_sql.managed.rows import AccountRows
from idconnect_sql.tables import UNIQUE_ATTRIBUTES, build_tables

__all__ = ["ManagedBase", "raise_first"]


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
        self.custom = CustomAttributes(self.tables, custom_attributes(config))
        """The custom attributes the store's config declares (:mod:`.custom`)."""
        self.held = Catalogue((*USER_CATALOGUE, *self.custom.definitions.values()))
        """Every canonical attribute and the custom ones: what filters are compiled against."""
        self.layout, self.group_layout = managed_layout(self.tables, self.custom)
        self.create_schema = config.get("create_schema", bool, self.dialect == "sqlite")
        self.children = Children(self.tables, self.dialect)
        self._by_id: sa.Select[Any] | None = None
        self.account_rows = AccountRows(self.tables.accounts)
        self.records = RecordSql(self.tables.verifications, self.tables.consents)
        """Statements on the verification and consent tables (shared with the hub's state)."""

    def prepare(self, engine: Engine) -> None:
        """Create or migrate the schema when allowed; otherwise check that it is there.

        :param engine: the new engine.
        :raises StoreUnavailable: when the tables are missing and may not be created.
        """
        with engine.connect() as connection:
            ready = migrate.has_schema(connection, self.tables)
        self.children.adopt(engine.dialect)  # the server's version is known now
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

    def _load(
        self, connection: Connection, rows: Sequence[Row[Any]], attributes: Sequence[str] = ()
    ) -> list[Account]:
        """Build the accounts of some rows, with the child lists ``attributes`` ask for.

        :param connection: the open connection.
        :param rows: ``idc_accounts`` rows, with the :data:`.children.CHILDREN` column of the
            kinds ``attributes`` need when the store aggregates them (:meth:`.Children.columns`);
            without it the child lists are read here, in one more statement.
        :param attributes: the query's attributes; empty for complete accounts.
        :returns: the accounts, in the rows' order.
        """
        if not rows:
            return []
        accounts = self.account_rows
        fields = accounts.check(rows[0])
        position = accounts.id_position
        lists: list[ChildLists]
        if CHILDREN in fields:
            at, decode = fields.index(CHILDREN), self.children.decode
            lists = [decode(row[at]) for row in rows]
        else:
            ids = [row[position] for row in rows]
            found = self.children.read(connection, ids, kinds_for(attributes))
            lists = [found.get(i, NO_CHILDREN) for i in ids]
        build = accounts.build
        if not (self.custom and _wants_custom(attributes, self.custom)):
            return [build(row, children) for row, children in zip(rows, lists, strict=True)]
        custom = self.custom.read(connection, [row[position] for row in rows])
        return [
            build(row, children, custom.get(row[position]))
            for row, children in zip(rows, lists, strict=True)
        ]

    def _get(self, connection: Connection, account_id: str) -> Account:
        if self._by_id is None:
            a = self.tables.accounts
            columns = self.children.columns(frozenset(KINDS))
            selected = self.account_rows.selected
            self._by_id = sa.select(*selected, *columns).where(a.c.id == sa.bindparam("idc_id"))
        row = connection.execute(self._by_id, {"idc_id": account_id}).first()
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
        """Hold every canonical attribute, and the custom ones the config declares."""
        return self.held

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


def _wants_custom(attributes: Sequence[str], custom: CustomAttributes) -> bool:
    """Whether a query's ``attributes`` (empty: all) ask for some custom attribute."""
    if not attributes:
        return True
    return any(a.rpartition(":")[2].lower() in custom.definitions for a in attributes)
