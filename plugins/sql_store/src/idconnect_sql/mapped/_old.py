"""The mapped store: an existing user table (and optional group tables) described by config.

``[stores.X.mapping]`` names the table and the columns (see the package README for a worked
Django ``auth_user`` example). What is not mapped is not held: the catalogue is narrowed to the
mapped attributes and the capabilities to what the mapping supports (no sessions, roles or
authenticators; groups only with group and membership tables; passwords only with a password
column). Text columns are read with ``''`` as missing, and compared case-insensitively with
``lower()`` (Python's on SQLite) under a code-point collation. A ``userName`` equal to another
row's ignoring case is refused in the writing transaction (the table's own unique index, if any,
is the only race-free guard). Timestamp columns are read and written as UTC instants in the
column's convention (:class:`~idconnect_sql.types.ForeignInstant`).

``Account.version`` is a digest of the mapped values unless a ``version`` column is mapped; an
update re-reads the row inside the transaction (``FOR UPDATE`` where the database has it) and
refuses a stale version.
"""

from __future__ import annotations

import hashlib
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, Row
from sqlalchemy.sql.elements import ColumnElement

from idconnect.core.config import StoreConfig
from idconnect.core.convert import writable_values
from idconnect.core.errors import Conflict, InvalidInput
from idconnect.core.instants import utc_now
from idconnect.core.model import Account, Email, Group, GroupRef, Name, Outcome, Secret
from idconnect.core.plugins import GROUP_OPERATIONS, hookimpl
from idconnect.core.query import Page, Query
from idconnect.core.schema import GROUP_CATALOGUE, USER_CATALOGUE, Catalogue
from idconnect_sql.backend import SqlBackend
from idconnect_sql.filters import Layout, Multi, Scalar
from idconnect_sql.passwords import SCHEMES, hash_password
from idconnect_sql.types import ForeignInstant

__all__ = ["MappedStore"]

_COLUMNS = {
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
_FLAGS = ("active", "disabled", "locked")
_GROUP_KEYS = (
    "group_table",
    "group_id",
    "group_name",
    "membership_table",
    "membership_account",
    "membership_group",
)
_ALL_KEYS = {
    *_COLUMNS,
    *_FLAGS,
    *_GROUP_KEYS,
    "table",
    "password",
    "password_scheme",
    "version",
    "defaults",
}


class MappedStore(SqlBackend):
    """A store over tables idconnect does not own, described by ``[stores.X.mapping]``.

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
        flags = [f for f in _FLAGS if f in mapping]
        if len(flags) > 1:
            raise config.error("mapping", f"map one of {_FLAGS}, not {flags}")
        self.flag = flags[0] if flags else None
        self.scheme = mapping.get("password_scheme", "argon2id")
        if self.scheme not in SCHEMES:
            raise config.error("mapping.password_scheme", f"must be one of {sorted(SCHEMES)}")
        groups = [k for k in _GROUP_KEYS if k in mapping]
        if groups and len(groups) != len(_GROUP_KEYS):
            raise config.error("mapping", f"group mapping needs all of {_GROUP_KEYS}")
        self.mapping: dict[str, Any] = dict(mapping)
        self.defaults: dict[str, Any] = dict(mapping.get("defaults", {}))
        self.has_groups = bool(groups)
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
        for key in (*_COLUMNS, *_FLAGS, "password", "version"):
            if key in m and m[key] not in self.table.c:
                raise self.config.error(f"mapping.{key}", f"no column {m[key]!r} in {m['table']}")
        for column in self.table.c:
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

    def _text(self, column: ColumnElement[Any]) -> Scalar:
        value = sa.func.nullif(column, "")
        folded: ColumnElement[Any] = sa.func.lower(value)
        if self.dialect == "postgresql":
            folded = folded.collate("C")
        elif self.dialect in ("mysql", "mariadb"):
            folded = folded.collate("utf8mb4_nopad_bin")
        return Scalar(expr=value, folded=folded)

    def _active(self) -> ColumnElement[bool]:
        column = self.col(self.flag or "active")
        return column.is_(True) if self.flag == "active" else sa.not_(column.is_(True))

    def _layouts(self) -> tuple[Layout, Layout]:
        t = self.mapped
        scalars: dict[str, Scalar] = {}
        multis: dict[str, Multi] = {}
        for key, path in _COLUMNS.items():
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
        """The mapped attributes only."""
        paths = [p for k, p in _COLUMNS.items() if k in self.mapping and k != "email"]
        if "email" in self.mapping:
            paths.append("emails.value")
        if self.flag:
            paths.append("active")
        if self.has_groups:
            paths += ["groups.value", "groups.display"]
        return USER_CATALOGUE.only(paths)

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

    def _load(self, connection: Connection, rows: Sequence[Row[Any]]) -> list[Account]:
        groups: dict[str, list[GroupRef]] = defaultdict(list)
        if self.has_groups and rows:
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
        return [
            self._account(row, groups.get(str(row._mapping[self.col("id")]), ())) for row in rows
        ]

    def _value(self, row: Row[Any], key: str) -> Any:
        if key not in self.mapping:
            return None
        value = row._mapping[self.col(key)]
        return None if value == "" else value

    def _account(self, row: Row[Any], groups: Sequence[GroupRef]) -> Account:
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
            version=self._version(row),
        )

    def _version(self, row: Row[Any]) -> str:
        if "version" in self.mapping:
            return str(row._mapping[self.col("version")])
        values = [
            repr(row._mapping[c]) for c in self.mapped.c if c.name != self.mapping.get("password")
        ]
        return hashlib.sha256("\x1f".join(values).encode()).hexdigest()[:16]

    def _row(self, connection: Connection, account_id: str, lock: bool = False) -> Row[Any]:
        stmt = sa.select(self.mapped).where(self._where_id(account_id))
        if lock and self.dialect != "sqlite":
            stmt = stmt.with_for_update()
        row = connection.execute(stmt).first()
        if row is None:
            raise self.not_found("account", account_id)
        return row

    @hookimpl
    def idconnect_get_account(self, account_id: str) -> Account:
        """Read one mapped row (and its groups)."""
        with self.begin(account_id) as connection:
            return self._load(connection, [self._row(connection, account_id)])[0]

    @hookimpl
    def idconnect_search_accounts(self, query: Query) -> Page[Account]:
        """Search the mapped table."""
        return self.page(
            query,
            source=self.mapped,
            key=self.col("id"),
            layout=self.layout,
            catalogue=self.idconnect_catalogue(),
            load=self._load,
        )

    # -- writing ------------------------------------------------------------------------------

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

    def _check_user_name(
        self, connection: Connection, user_name: str, account_id: str | None = None
    ) -> None:
        """Refuse a userName equal, ignoring case, to another row's (the table may not)."""
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
        with self.begin() as connection:
            self._check_user_name(connection, account.user_name)
            result = connection.execute(sa.insert(self.mapped).values(**values))
            inserted = result.inserted_primary_key
            new_id = values.get(id_column.name) or (inserted[0] if inserted else None)
            return self._load(connection, [self._row(connection, str(new_id))])[0]

    @hookimpl
    def idconnect_update_account(
        self, account_id: str, changes: Mapping[str, Any], expected_version: str | None
    ) -> Account:
        """Update the mapped columns if the row's version is still ``expected_version``."""
        values = self._values(changes)
        with self.begin(account_id) as connection:
            row = self._row(connection, account_id, lock=True)
            current = self._version(row)
            if expected_version is not None and expected_version != current:
                raise Conflict(
                    f"version {expected_version} is stale (current is {current})",
                    store=self.name,
                    account=account_id,
                    attribute="version",
                )
            if "userName" in changes:
                self._check_user_name(connection, changes["userName"], account_id)
            connection.execute(
                sa.update(self.mapped)
                .where(self._where_id(account_id))
                .values(**values, **self._touch())
            )
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
            self._row(connection, account_id)
            if self.has_groups:
                column = self.members.c[self.mapping["membership_account"]]
                connection.execute(
                    sa.delete(self.members).where(column == self._id_value(account_id))
                )
            connection.execute(sa.delete(self.mapped).where(self._where_id(account_id)))

    @hookimpl
    def idconnect_set_password(self, account_id: str, password: Secret) -> None:
        """Write the hash in the mapping's ``password_scheme``."""
        try:
            encoded = hash_password(self.scheme, password.reveal())
        except ValueError as exc:
            raise InvalidInput(str(exc), store=self.name, account=account_id) from None
        with self.begin(account_id) as connection:
            done = connection.execute(
                sa.update(self.mapped)
                .where(self._where_id(account_id))
                .values({self.mapping["password"]: encoded})
            )
            if done.rowcount == 0:
                raise self.not_found("account", account_id)

    # -- groups -------------------------------------------------------------------------------

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
            load=lambda _, rows: [
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
