"""The mapped store: an existing user table (and optional group tables) described by config.

``[stores.X.mapping]`` names the table and the columns (see the package README for a worked
Django ``auth_user`` example). What is not mapped is not held: the catalogue is narrowed to the
mapped attributes and the capabilities to what the mapping supports (no sessions, roles or
authenticators; groups only with group and membership tables; passwords only with a password
column). Text columns are read with ``''`` as missing, and compared case-insensitively with
``lower()`` (Python's on SQLite) under a code-point collation. A ``userName`` equal to another
row's ignoring case is refused in the writing transaction, which holds a lock named after the
folded userName (:mod:`idconnect_sql.locks`; SQLite's ``BEGIN IMMEDIATE``), so two writers of
case variants cannot both pass the check. Timestamp columns are read and written as UTC
instants in the column's convention (:class:`~idconnect_sql.types.ForeignInstant`).

Custom attributes are columns of the mapped table, or rows of a child table for multi-valued
ones (:mod:`.custom`). ``Account.version`` is a digest of the mapped values (a multi-valued
custom attribute's rows included) unless a ``version`` column is mapped; an
update re-reads the row inside the writing transaction (``SELECT ... FOR UPDATE`` on PostgreSQL
and MariaDB, ``BEGIN IMMEDIATE`` on SQLite) and refuses a stale version.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, Row
from sqlalchemy.sql.elements import ColumnElement

from idconnect.backend import (
    USER_CATALOGUE,
    Account,
    Catalogue,
    Email,
    GroupRef,
    Name,
    StoreConfig,
    hookimpl,
    operations_of,
)
from idconnect_sql.backend import SqlBackend
from idconnect_sql.filters import Layout, Multi, Scalar
from idconnect_sql.managed.children import kinds_for
from idconnect_sql.mapped.custom import MappedCustom
from idconnect_sql.passwords import PBKDF2_ITERATIONS, SCHEMES, check_pbkdf2_iterations
from idconnect_sql.types import ForeignInstant

__all__ = ["COLUMNS", "FLAGS", "MappedBase"]

GROUP_OPERATIONS = frozenset(op.name for op in operations_of("groups"))
"""The operations on groups and memberships, which a mapping without group tables lacks."""
COLUMNS = {
    "id": "id",
    "userName": "userName",
    "email": "emails.value",
    "givenName": "name.givenName",
    "familyName": "name.familyName",
    "displayName": "displayName",
    "created": "meta.created",
    "modified": "meta.lastModified",
    "lastLogin": "lastLogin",
}
"""Mapping key to the catalogue path it holds."""
FLAGS = ("active", "disabled", "locked")
_GROUP_KEYS = (
    "group_table",
    "group_id",
    "group_name",
    "membership_table",
    "membership_account",
    "membership_group",
)
_ALL_KEYS = {
    *COLUMNS,
    *FLAGS,
    *_GROUP_KEYS,
    "table",
    "password",
    "password_scheme",
    "pbkdf2_iterations",
    "version",
    "defaults",
}


def _pbkdf2_iterations(config: StoreConfig, mapping: dict[str, Any], scheme: str) -> int:
    if "pbkdf2_iterations" not in mapping:
        return PBKDF2_ITERATIONS
    if scheme != "pbkdf2_sha256":
        raise config.error("mapping.pbkdf2_iterations", "only with password_scheme pbkdf2_sha256")
    try:
        return check_pbkdf2_iterations(mapping["pbkdf2_iterations"])
    except ValueError as exc:
        raise config.error("mapping.pbkdf2_iterations", str(exc)) from None


class MappedBase(SqlBackend):
    """The mapping read from config, the reflected tables, the layout and the row reader.

    :param config: the store's config.
    :raises ConfigError: for an incomplete or unknown mapping key.
    """

    def __init__(self, config: StoreConfig) -> None:
        super().__init__(config)
        mapping = config.require("mapping", dict)
        unknown = sorted(set(mapping) - _ALL_KEYS)
        if unknown:
            raise config.error(f"mapping.{unknown[0]}", f"unknown key (known: {sorted(_ALL_KEYS)})")
        for key in ("table", "id", "userName"):
            if not isinstance(mapping.get(key), str):
                raise config.error(f"mapping.{key}", "missing required setting")
        flags = [f for f in FLAGS if f in mapping]
        if len(flags) > 1:
            raise config.error("mapping", f"map one of {FLAGS}, not {flags}")
        self.flag = flags[0] if flags else None
        self.scheme = mapping.get("password_scheme", "argon2id")
        if self.scheme not in SCHEMES:
            raise config.error("mapping.password_scheme", f"must be one of {sorted(SCHEMES)}")
        self.pbkdf2_iterations = _pbkdf2_iterations(config, mapping, self.scheme)
        groups = [k for k in _GROUP_KEYS if k in mapping]
        if groups and len(groups) != len(_GROUP_KEYS):
            raise config.error("mapping", f"group mapping needs all of {_GROUP_KEYS}")
        self.mapping: dict[str, Any] = dict(mapping)
        self.defaults: dict[str, Any] = dict(mapping.get("defaults", {}))
        self.has_groups = bool(groups)
        self.custom = MappedCustom(config)
        """The custom attributes the config declares, and their columns (:mod:`.custom`)."""
        self.table: sa.Table | None = None
        self._groups: sa.Table | None = None
        self._members: sa.Table | None = None

    # -- reflection and layout ----------------------------------------------------------------

    def prepare(self, engine: Engine) -> None:
        """Reflect the mapped tables and check the mapped columns exist."""
        meta = sa.MetaData(schema=self.schema)
        m = self.mapping
        self.table = sa.Table(m["table"], meta, autoload_with=engine)
        if self.has_groups:
            self._groups = sa.Table(m["group_table"], meta, autoload_with=engine)
            self._members = sa.Table(m["membership_table"], meta, autoload_with=engine)
        for key in (*COLUMNS, *FLAGS, "password", "version"):
            if key in m and m[key] not in self.table.c:
                raise self.config.error(f"mapping.{key}", f"no column {m[key]!r} in {m['table']}")
        self.custom.prepare(
            self.table, self.dialect, lambda name: sa.Table(name, meta, autoload_with=engine)
        )
        for table in meta.tables.values():
            for column in table.c:
                if isinstance(column.type, sa.DateTime):
                    column.type = ForeignInstant(aware=bool(column.type.timezone))
        self.layout, self.group_layout = self._layouts()

    @property
    def mapped(self) -> sa.Table:
        """The user table, reflected on first use."""
        if self.table is None:
            self.engine  # noqa: B018 - reflects the tables
        assert self.table is not None
        return self.table

    @property
    def groups(self) -> sa.Table:
        """The group table, reflected on first use (only with a group mapping)."""
        self.mapped  # noqa: B018 - reflects the tables
        assert self._groups is not None
        return self._groups

    @property
    def members(self) -> sa.Table:
        """The membership table, reflected on first use (only with a group mapping)."""
        self.mapped  # noqa: B018 - reflects the tables
        assert self._members is not None
        return self._members

    def col(self, key: str) -> sa.Column[Any]:
        """Return the mapped column of a mapping key."""
        column: sa.Column[Any] = self.mapped.c[self.mapping[key]]
        return column

    def _text(self, column: ColumnElement[Any], case_exact: bool = False) -> Scalar:
        """Read a text column: ``''`` is missing; compared by code point, folded unless exact."""
        value: ColumnElement[Any] = sa.func.nullif(column, "")
        if case_exact:
            return Scalar(expr=self._code_points(value))
        return Scalar(expr=value, folded=self._code_points(sa.func.lower(value)))

    def _code_points(self, text: ColumnElement[Any]) -> ColumnElement[Any]:
        if self.dialect == "postgresql":
            return text.collate("C")
        if self.dialect in ("mysql", "mariadb"):
            return text.collate("utf8mb4_nopad_bin")
        return text

    def _active(self) -> ColumnElement[bool]:
        column = self.col(self.flag or "active")
        return column.is_(True) if self.flag == "active" else sa.not_(column.is_(True))

    def _layouts(self) -> tuple[Layout, Layout]:
        t = self.mapped
        scalars: dict[str, Scalar] = {}
        multis: dict[str, Multi] = {}
        for key, path in COLUMNS.items():
            if key not in self.mapping or key == "email":
                continue
            column = t.c[self.mapping[key]]
            if isinstance(column.type, sa.String):
                scalars[path.lower()] = self._text(column)
            else:
                scalars[path.lower()] = Scalar(expr=column)
        scalars["id"] = Scalar(expr=sa.cast(t.c[self.mapping["id"]], sa.String))
        if self.flag:
            scalars["active"] = Scalar(expr=self._active(), predicate=True)
        if "email" in self.mapping:
            email = self._text(t.c[self.mapping["email"]])
            multis["emails"] = Multi(
                source=None, link=email.expr.is_not(None), subs={"value": email}
            )
        scalars.update(self.custom.scalars(self._text))
        multis.update(self.custom.multis(t.c[self.mapping["id"]], self._text))
        group_layout = Layout(scalars={}, multis={})
        if self.has_groups:
            g, m = self.groups, self.members
            gid = g.c[self.mapping["group_id"]]
            name = self._text(g.c[self.mapping["group_name"]])
            multis["groups"] = Multi(
                source=m.join(g, gid == m.c[self.mapping["membership_group"]]),
                link=m.c[self.mapping["membership_account"]] == t.c[self.mapping["id"]],
                subs={"value": Scalar(expr=sa.cast(gid, sa.String)), "display": name},
            )
            group_layout = Layout(
                scalars={"id": Scalar(expr=sa.cast(gid, sa.String)), "displayname": name},
                multis={},
            )
        return Layout(scalars=scalars, multis=multis), group_layout

    # -- capabilities -------------------------------------------------------------------------

    @hookimpl
    def idconnect_catalogue(self) -> Catalogue:
        """The mapped attributes only, and the custom ones the config declares."""
        paths = [p for k, p in COLUMNS.items() if k in self.mapping and k != "email"]
        if "email" in self.mapping:
            paths.append("emails.value")
        if self.flag:
            paths.append("active")
        if self.has_groups:
            paths += ["groups.value", "groups.display"]
        return Catalogue((*USER_CATALOGUE.only(paths), *self.custom.definitions.values()))

    @hookimpl
    def idconnect_available_operations(self, implemented: frozenset[str]) -> frozenset[str]:
        """Drop what the mapping does not support."""
        drop: set[str] = set()
        if not self.flag:
            drop |= {"set_account_enabled", "bulk_set_accounts_enabled"}
        if "password" not in self.mapping:
            drop.add("set_password")
        if not self.has_groups:
            drop |= GROUP_OPERATIONS
        return implemented - drop

    # -- reading ------------------------------------------------------------------------------

    def _id_value(self, account_id: str) -> Any:
        column = self.col("id")
        if isinstance(column.type, sa.Integer):
            return int(account_id) if account_id.isdigit() else None
        return account_id

    def _where_id(self, account_id: str) -> ColumnElement[bool]:
        value = self._id_value(account_id)
        return sa.false() if value is None else self.col("id") == value

    def _load(
        self, connection: Connection, rows: Sequence[Row[Any]], attributes: Sequence[str] = ()
    ) -> list[Account]:
        """Build the accounts of some rows, with their groups unless ``attributes`` omit them.

        :param connection: the open connection.
        :param rows: rows of the mapped table.
        :param attributes: the query's attributes; empty for complete accounts.
        :returns: the accounts, in the rows' order.
        """
        groups: dict[str, list[GroupRef]] = defaultdict(list)
        if self.has_groups and rows and "groups" in kinds_for(attributes):
            g, m, k = self.groups, self.members, self.mapping
            ids = [row._mapping[self.col("id")] for row in rows]
            stmt = (
                sa.select(m.c[k["membership_account"]], g.c[k["group_id"]], g.c[k["group_name"]])
                .join(g, g.c[k["group_id"]] == m.c[k["membership_group"]])
                .where(m.c[k["membership_account"]].in_(ids))
                .order_by(g.c[k["group_id"]])
            )
            for account_id, group_id, name in connection.execute(stmt):
                groups[str(account_id)].append(GroupRef(value=str(group_id), display=name))
        children = self._children(connection, rows)
        return [
            self._account(row, groups.get(key, ()), children.get(key, {}))
            for row, key in ((row, str(row._mapping[self.col("id")])) for row in rows)
        ]

    def _children(self, connection: Connection, rows: Sequence[Row[Any]]) -> dict[str, Any]:
        """Read the multi-valued custom attributes of some rows (part of their versions)."""
        if not self.custom.children:
            return {}
        return self.custom.read_children(connection, [row._mapping[self.col("id")] for row in rows])

    def _value(self, row: Row[Any], key: str) -> Any:
        if key not in self.mapping:
            return None
        value = row._mapping[self.col(key)]
        return None if value == "" else value

    def _account(
        self, row: Row[Any], groups: Sequence[GroupRef], children: dict[str, Any]
    ) -> Account:
        given, family = self._value(row, "givenName"), self._value(row, "familyName")
        email = self._value(row, "email")
        active = True
        if self.flag:
            flag = bool(row._mapping[self.col(self.flag)])
            active = flag if self.flag == "active" else not flag
        return Account(
            id=str(row._mapping[self.col("id")]),
            user_name=row._mapping[self.col("userName")],
            name=Name(given_name=given, family_name=family) if given or family else None,
            display_name=self._value(row, "displayName"),
            emails=[Email(value=email)] if email else [],
            active=active,
            created=self._value(row, "created"),
            last_modified=self._value(row, "modified"),
            last_login=self._value(row, "lastLogin"),
            groups=groups,
            attributes={**self.custom.row_values(row), **children},
            version=self._version(row, children),
        )

    def _version(self, row: Row[Any], children: dict[str, Any]) -> str:
        """The row's version column, or a digest of its values and its custom child rows."""
        if "version" in self.mapping:
            return str(row._mapping[self.col("version")])
        values = [
            repr(row._mapping[c]) for c in self.mapped.c if c.name != self.mapping.get("password")
        ]
        values += [repr(children[name]) for name in sorted(children)]
        return hashlib.sha256("\x1f".join(values).encode()).hexdigest()[:16]

    def _row(self, connection: Connection, account_id: str, lock: bool = False) -> Row[Any]:
        stmt = sa.select(self.mapped).where(self._where_id(account_id))
        if lock and self.dialect != "sqlite":
            stmt = stmt.with_for_update()
        row = connection.execute(stmt).first()
        if row is None:
            raise self.not_found("account", account_id)
        return row
