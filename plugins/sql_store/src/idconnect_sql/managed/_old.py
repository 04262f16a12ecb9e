"""The managed store: every hook over the ``idc_`` tables idconnect owns."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, Row

from idconnect.core.config import StoreConfig
from idconnect.core.errors import Conflict, NotFound, StoreUnavailable
from idconnect.core.instants import utc_now
from idconnect.core.masking import new_authenticator
from idconnect.core.model import (
    Account,
    Authenticator,
    AuthenticatorKind,
    Email,
    ExternalIdentity,
    FailedAttempts,
    Group,
    GroupRef,
    Name,
    Outcome,
    PhoneNumber,
    Role,
    RoleAssignment,
    Secret,
    Session,
)
from idconnect.core.plugins import hookimpl
from idconnect.core.query import Page, Query
from idconnect.core.schema import GROUP_CATALOGUE, USER_CATALOGUE, Catalogue
from idconnect_sql import migrate
from idconnect_sql.backend import SqlBackend
from idconnect_sql.filters import Layout, Multi, Scalar
from idconnect_sql.passwords import hash_password
from idconnect_sql.tables import UNIQUE_ATTRIBUTES, ManagedTables, build_tables

__all__ = ["ManagedStore", "managed_layout"]

_NAME_PARTS = ("formatted", "family_name", "given_name", "middle_name")


def _fold(value: str | None) -> str | None:
    return None if value is None else value.lower()


def _ci(column: str, value: str | None) -> dict[str, str | None]:
    return {column: value, f"{column}_ci": _fold(value)}


def managed_layout(t: ManagedTables) -> tuple[Layout, Layout]:
    """Describe where every attribute lives in the managed tables.

    :param t: the managed tables.
    :returns: the account layout and the group layout.
    """
    a = t.accounts

    def text(column: str) -> Scalar:
        return Scalar(expr=a.c[column], folded=a.c[f"{column}_ci"])

    def verified(table: sa.Table) -> Scalar:
        return Scalar(
            expr=sa.exists(
                sa.select(sa.literal(1)).where(table.c.account_id == a.c.id, table.c.verified)
            ),
            predicate=True,
        )

    scalars = {
        "id": Scalar(expr=a.c.id),
        "username": Scalar(expr=a.c.user_name, folded=a.c.user_name_ci, reversed=a.c.user_name_rev),
        "displayname": text("display_name"),
        "name.formatted": text("formatted"),
        "name.familyname": text("family_name"),
        "name.givenname": text("given_name"),
        "name.middlename": text("middle_name"),
        "active": Scalar(expr=a.c.active),
        "meta.created": Scalar(expr=a.c.created),
        "meta.lastmodified": Scalar(expr=a.c.last_modified),
        "organization": text("organization"),
        "emailverified": verified(t.emails),
        "phoneverified": verified(t.phones),
        "lastlogin": Scalar(expr=a.c.last_login),
        "disabledat": Scalar(expr=a.c.disabled_at),
        "failedattempts.password": Scalar(expr=a.c.failed_password),
        "failedattempts.otp": Scalar(expr=a.c.failed_otp),
    }

    def contact(table: sa.Table, reversed_value: bool) -> Multi:
        c = table.c
        return Multi(
            source=table,
            link=c.account_id == a.c.id,
            owner=c.account_id,
            key=a.c.id,
            subs={
                "value": Scalar(
                    expr=c.value,
                    folded=c.value_ci,
                    reversed=c.value_rev if reversed_value else None,
                ),
                "type": Scalar(expr=c.type, folded=c.type_ci),
                "primary": Scalar(expr=c.primary),
                "verified": Scalar(expr=c.verified),
            },
        )

    g, m, r, x = t.groups, t.memberships, t.role_assignments, t.external_identities
    multis = {
        "emails": contact(t.emails, True),
        "phonenumbers": contact(t.phones, False),
        "groups": Multi(
            source=m.join(g, g.c.id == m.c.group_id),
            link=m.c.account_id == a.c.id,
            owner=m.c.account_id,
            key=a.c.id,
            subs={
                "value": Scalar(expr=g.c.id),
                "display": Scalar(expr=g.c.display_name, folded=g.c.display_name_ci),
            },
        ),
        "externalidentities": Multi(
            source=x,
            link=x.c.account_id == a.c.id,
            owner=x.c.account_id,
            key=a.c.id,
            subs={"provider": Scalar(expr=x.c.provider), "subject": Scalar(expr=x.c.subject)},
        ),
        "roleassignments": Multi(
            source=r,
            link=r.c.account_id == a.c.id,
            owner=r.c.account_id,
            key=a.c.id,
            subs={
                "role": Scalar(expr=r.c.role, folded=r.c.role_ci),
                "organization": Scalar(expr=r.c.organization, folded=r.c.organization_ci),
            },
        ),
    }
    groups = Layout(
        scalars={
            "id": Scalar(expr=g.c.id),
            "displayname": Scalar(expr=g.c.display_name, folded=g.c.display_name_ci),
        },
        multis={},
    )
    return Layout(scalars=scalars, multis=multis), groups


def _email_rows(account_id: str, emails: Iterable[Email]) -> list[dict[str, Any]]:
    return [
        {
            "account_id": account_id,
            "position": n,
            "value": e.value,
            "value_ci": e.value.lower(),
            "value_rev": e.value.lower()[::-1],
            **_ci("type", e.type),
            "primary": e.primary,
            "verified": e.verified,
        }
        for n, e in enumerate(emails)
    ]


def _phone_rows(account_id: str, phones: Iterable[PhoneNumber]) -> list[dict[str, Any]]:
    return [
        {
            "account_id": account_id,
            "position": n,
            "value": p.value,
            "value_ci": p.value.lower(),
            **_ci("type", p.type),
            "primary": p.primary,
            "verified": p.verified,
        }
        for n, p in enumerate(phones)
    ]


def _identity_rows(account_id: str, ids: Iterable[ExternalIdentity]) -> list[dict[str, Any]]:
    return [
        {"account_id": account_id, "position": n, "provider": i.provider, "subject": i.subject}
        for n, i in enumerate(ids)
    ]


def _name_values(name: Name | None) -> dict[str, str | None]:
    values: dict[str, str | None] = {}
    for part in _NAME_PARTS:
        values.update(_ci(part, getattr(name, part) if name is not None else None))
    return values


def _user_name_values(user_name: str) -> dict[str, str]:
    folded = user_name.lower()
    return {"user_name": user_name, "user_name_ci": folded, "user_name_rev": folded[::-1]}


_IDS: sa.BindParameter[Any] = sa.bindparam("ids", expanding=True)
"""The account ids of one page, for the statements that load what hangs off them."""


class ManagedStore(SqlBackend):
    """A store over the managed ``idc_`` schema (``plugin = "sql"`` without a ``mapping``).

    The schema is created automatically on first use for SQLite; elsewhere run
    ``idconnect store init NAME`` (:func:`idconnect_sql.init_store`) or set
    ``create_schema = true``.

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

    # -- reading ------------------------------------------------------------------------------

    def _children(
        self, connection: Connection, table: sa.Table, ids: Sequence[str], *order: Any
    ) -> dict[str, list[Row[Any]]]:
        found: dict[str, list[Row[Any]]] = defaultdict(list)
        if not ids:
            return found
        stmt = self._by_accounts.get(table.name)
        if stmt is None:
            stmt = sa.select(table).where(table.c.account_id.in_(_IDS)).order_by(*order)
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
                    .where(t.memberships.c.account_id.in_(_IDS))
                    .order_by(t.groups.c.display_name_ci, t.groups.c.id)
                )
                self._by_accounts["memberships"] = stmt
            for account_id, group_id, display in connection.execute(stmt, {"ids": ids}):
                groups[account_id].append(GroupRef(value=group_id, display=display))
        return [
            _account(
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

    # -- accounts -----------------------------------------------------------------------------

    @hookimpl
    def idconnect_get_account(self, account_id: str) -> Account:
        """Read an account with its groups and role assignments."""
        with self.begin(account_id) as connection:
            return self._get(connection, account_id)

    @hookimpl
    def idconnect_search_accounts(self, query: Query) -> Page[Account]:
        """Search with the filter compiled to SQL, keyset-paginated."""
        return self.page(
            query,
            source=self.tables.accounts,
            key=self.tables.accounts.c.id,
            layout=self.layout,
            catalogue=USER_CATALOGUE,
            load=self._load,
        )

    @hookimpl
    def idconnect_create_account(self, account: Account) -> Account:
        """Insert an account and its emails, phone numbers and external identities."""
        t = self.tables
        account_id = uuid.uuid4().hex
        now = utc_now()
        values = {
            "id": account_id,
            **_user_name_values(account.user_name),
            **_ci("display_name", account.display_name),
            **_name_values(account.name),
            **_ci("organization", account.organization),
            "active": account.active,
            "disabled_at": None if account.active else now,
            "created": now,
            "last_modified": now,
            "last_login": None,
            "failed_password": 0,
            "failed_otp": 0,
            "version": 1,
        }
        with self.begin() as connection:
            connection.execute(sa.insert(t.accounts), [values])
            self._insert_children(
                connection,
                account_id,
                account.emails,
                account.phone_numbers,
                account.external_identities,
            )
            return self._get(connection, account_id)

    def _insert_children(
        self,
        connection: Connection,
        account_id: str,
        emails: Iterable[Email] | None,
        phones: Iterable[PhoneNumber] | None,
        idents: Iterable[ExternalIdentity] | None,
    ) -> None:
        t = self.tables
        for table, rows in (
            (t.emails, _email_rows(account_id, emails) if emails is not None else None),
            (t.phones, _phone_rows(account_id, phones) if phones is not None else None),
            (
                t.external_identities,
                _identity_rows(account_id, idents) if idents is not None else None,
            ),
        ):
            if rows is None:
                continue
            connection.execute(sa.delete(table).where(table.c.account_id == account_id))
            if rows:
                connection.execute(sa.insert(table), rows)

    @hookimpl
    def idconnect_update_account(
        self, account_id: str, changes: Mapping[str, Any], expected_version: str | None
    ) -> Account:
        """Update with ``WHERE id = ? AND version = ?``: a stale version changes nothing."""
        a = self.tables.accounts
        values: dict[str, Any] = {}
        if "userName" in changes:
            values.update(_user_name_values(changes["userName"]))
        if "displayName" in changes:
            values.update(_ci("display_name", changes["displayName"]))
        if "name" in changes:
            values.update(_name_values(changes["name"]))
        if "organization" in changes:
            values.update(_ci("organization", changes["organization"]))
        stmt = sa.update(a).where(a.c.id == account_id)
        if expected_version is not None:
            expected = int(expected_version) if expected_version.isdigit() else -1
            stmt = stmt.where(a.c.version == expected)
        with self.begin(account_id) as connection:
            done = connection.execute(
                stmt.values(version=a.c.version + 1, last_modified=utc_now(), **values)
            )
            if done.rowcount == 0:
                current = connection.execute(
                    sa.select(a.c.version).where(a.c.id == account_id)
                ).scalar()
                if current is None:
                    raise self.not_found("account", account_id)
                raise Conflict(
                    f"version {expected_version} is stale (current is {current})",
                    store=self.name,
                    account=account_id,
                    attribute="version",
                )
            self._insert_children(
                connection,
                account_id,
                changes.get("emails", ()) if "emails" in changes else None,
                changes.get("phoneNumbers", ()) if "phoneNumbers" in changes else None,
                changes.get("externalIdentities", ()) if "externalIdentities" in changes else None,
            )
            return self._get(connection, account_id)

    def _set_enabled(self, connection: Connection, ids: Sequence[str], enabled: bool) -> None:
        a = self.tables.accounts
        now = utc_now()
        for start in range(0, len(ids), self.batch_size):
            chunk = ids[start : start + self.batch_size]
            connection.execute(
                sa.update(a)
                .where(a.c.id.in_(chunk), a.c.active != enabled)
                .values(
                    active=enabled,
                    disabled_at=None if enabled else now,
                    version=a.c.version + 1,
                    last_modified=now,
                )
            )

    @hookimpl
    def idconnect_set_account_enabled(self, account_id: str, enabled: bool) -> None:
        """Enable or disable one account (``disabled_at`` set or cleared)."""
        with self.begin(account_id) as connection:
            self._require_account(connection, account_id)
            self._set_enabled(connection, [account_id], enabled)

    def _outcomes(self, ids: Sequence[str], found: set[str]) -> list[Outcome]:
        return [
            Outcome(account_id=i)
            if i in found
            else Outcome(account_id=i, error=self.not_found("account", i, account=i))
            for i in ids
        ]

    @hookimpl
    def idconnect_bulk_set_accounts_enabled(
        self, account_ids: Sequence[str], enabled: bool
    ) -> list[Outcome]:
        """Enable or disable many accounts with set-based updates in one transaction."""
        ids = list(account_ids)
        with self.begin() as connection:
            found = self._existing(connection, ids)
            self._set_enabled(connection, [i for i in ids if i in found], enabled)
        return self._outcomes(ids, found)

    @hookimpl
    def idconnect_delete_account(self, account_id: str) -> None:
        """Delete an account; its rows elsewhere go with it (``ON DELETE CASCADE``)."""
        a = self.tables.accounts
        with self.begin(account_id) as connection:
            if connection.execute(sa.delete(a).where(a.c.id == account_id)).rowcount == 0:
                raise self.not_found("account", account_id)

    @hookimpl
    def idconnect_bulk_delete_accounts(self, account_ids: Sequence[str]) -> list[Outcome]:
        """Delete many accounts with set-based deletes in one transaction."""
        a = self.tables.accounts
        ids = list(account_ids)
        with self.begin() as connection:
            found = self._existing(connection, ids)
            kept = [i for i in ids if i in found]
            for start in range(0, len(kept), self.batch_size):
                chunk = kept[start : start + self.batch_size]
                connection.execute(sa.delete(a).where(a.c.id.in_(chunk)))
        return self._outcomes(ids, found)

    # -- groups -------------------------------------------------------------------------------

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
            load=lambda _, rows: [_group(row, ()) for row in rows],
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
            return _group(row, tuple(members))

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
                else:
                    connection.execute(
                        sa.delete(m).where(m.c.group_id == group_id, m.c.account_id.in_(chunk))
                    )
        return self._outcomes(ids, found)

    @hookimpl
    def idconnect_add_group_member(self, group_id: str, account_id: str) -> None:
        """Add a member; adding twice is not an error."""
        _raise_first(self._members(group_id, [account_id], add=True))

    @hookimpl
    def idconnect_remove_group_member(self, group_id: str, account_id: str) -> None:
        """Remove a member; removing a non-member is not an error."""
        _raise_first(self._members(group_id, [account_id], add=False))

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

    # -- roles --------------------------------------------------------------------------------

    @hookimpl
    def idconnect_list_roles(self) -> list[Role]:
        """The roles some account holds (the managed schema has no fixed role catalogue)."""
        r = self.tables.role_assignments
        with self.begin() as connection:
            names = connection.execute(sa.select(r.c.role).distinct()).scalars()
            return [Role(name=n) for n in sorted(set(names))]

    def _assignment(self, assignment: RoleAssignment) -> sa.ColumnElement[bool]:
        r = self.tables.role_assignments
        org = assignment.organization
        return sa.and_(
            r.c.role == assignment.role,
            r.c.organization.is_(None) if org is None else r.c.organization == org,
        )

    @hookimpl
    def idconnect_assign_role(self, account_id: str, assignment: RoleAssignment) -> None:
        """Record the (role, organization) pair unless the account holds it already."""
        r = self.tables.role_assignments
        with self.begin(account_id) as connection:
            self._require_account(connection, account_id)
            held = connection.execute(
                sa.select(r.c.id).where(r.c.account_id == account_id, self._assignment(assignment))
            ).first()
            if held is None:
                connection.execute(
                    sa.insert(r),
                    [
                        {
                            "account_id": account_id,
                            **_ci("role", assignment.role),
                            **_ci("organization", assignment.organization),
                        }
                    ],
                )
                self._touch(connection, account_id)

    @hookimpl
    def idconnect_unassign_role(self, account_id: str, assignment: RoleAssignment) -> None:
        """Remove the (role, organization) pair."""
        r = self.tables.role_assignments
        with self.begin(account_id) as connection:
            self._require_account(connection, account_id)
            done = connection.execute(
                sa.delete(r).where(r.c.account_id == account_id, self._assignment(assignment))
            )
            if done.rowcount == 0:
                raise NotFound(
                    f"the account does not hold role {assignment.role!r}"
                    f" in {assignment.organization or 'no organization'}",
                    store=self.name,
                    account=account_id,
                )
            self._touch(connection, account_id)

    # -- authenticators -----------------------------------------------------------------------

    @hookimpl
    def idconnect_list_authenticators(self, account_id: str) -> list[Authenticator]:
        """List methods, oldest first, masked."""
        au = self.tables.authenticators
        with self.begin(account_id) as connection:
            self._require_account(connection, account_id)
            rows = connection.execute(
                sa.select(au).where(au.c.account_id == account_id).order_by(au.c.created, au.c.id)
            )
            return [_authenticator(row) for row in rows]

    @hookimpl
    def idconnect_add_authenticator(
        self, account_id: str, kind: AuthenticatorKind, value: str, verified: bool
    ) -> Authenticator:
        """Add an email or phone method with a masked label."""
        added = new_authenticator(kind, value, verified)
        row = {
            "id": added.id,
            "account_id": account_id,
            "kind": str(kind),
            "label": added.label,
            "verified": verified,
            "created": added.created,
        }
        with self.begin(account_id) as connection:
            self._require_account(connection, account_id)
            connection.execute(sa.insert(self.tables.authenticators), [row])
        return added

    @hookimpl
    def idconnect_remove_authenticator(self, account_id: str, authenticator_id: str) -> None:
        """Remove one method of the account."""
        au = self.tables.authenticators
        with self.begin(account_id) as connection:
            self._require_account(connection, account_id)
            done = connection.execute(
                sa.delete(au).where(au.c.account_id == account_id, au.c.id == authenticator_id)
            )
            if done.rowcount == 0:
                raise self.not_found("authenticator", authenticator_id, account=account_id)

    @hookimpl
    def idconnect_set_password(self, account_id: str, password: Secret) -> None:
        """Store an argon2id hash in the account's password authenticator."""
        au = self.tables.authenticators
        encoded = hash_password("argon2id", password.reveal())
        with self.begin(account_id) as connection:
            self._require_account(connection, account_id)
            done = connection.execute(
                sa.update(au)
                .where(au.c.account_id == account_id, au.c.kind == str(AuthenticatorKind.PASSWORD))
                .values(secret_hash=encoded)
            )
            if done.rowcount == 0:
                connection.execute(
                    sa.insert(au),
                    [
                        {
                            "id": uuid.uuid4().hex,
                            "account_id": account_id,
                            "kind": str(AuthenticatorKind.PASSWORD),
                            "label": "password",
                            "secret_hash": encoded,
                            "verified": True,
                            "created": utc_now(),
                        }
                    ],
                )

    @hookimpl
    def idconnect_reset_failed_attempts(self, account_id: str) -> None:
        """Zero both counters."""
        with self.begin(account_id) as connection:
            self._touch(connection, account_id, failed_password=0, failed_otp=0)

    # -- sessions -----------------------------------------------------------------------------

    def _active_sessions(self, account_id: str) -> sa.ColumnElement[bool]:
        s = self.tables.sessions
        return sa.and_(
            s.c.account_id == account_id,
            s.c.revoked_at.is_(None),
            sa.or_(s.c.expires.is_(None), s.c.expires > utc_now()),
        )

    @hookimpl
    def idconnect_list_sessions(self, account_id: str) -> list[Session]:
        """List sessions neither expired nor revoked, most recently seen first."""
        s = self.tables.sessions
        seen = sa.func.coalesce(s.c.last_seen, s.c.created)
        with self.begin(account_id) as connection:
            self._require_account(connection, account_id)
            rows = connection.execute(
                sa.select(s).where(self._active_sessions(account_id)).order_by(seen.desc(), s.c.id)
            )
            return [_session(row) for row in rows]

    @hookimpl
    def idconnect_revoke_session(self, account_id: str, session_id: str) -> None:
        """Mark one session revoked."""
        s = self.tables.sessions
        with self.begin(account_id) as connection:
            self._require_account(connection, account_id)
            done = connection.execute(
                sa.update(s)
                .where(self._active_sessions(account_id), s.c.id == session_id)
                .values(revoked_at=utc_now())
            )
            if done.rowcount == 0:
                raise self.not_found("session", session_id, account=account_id)

    @hookimpl
    def idconnect_revoke_sessions(self, account_id: str) -> int:
        """Mark every active session revoked."""
        s = self.tables.sessions
        with self.begin(account_id) as connection:
            self._require_account(connection, account_id)
            done = connection.execute(
                sa.update(s).where(self._active_sessions(account_id)).values(revoked_at=utc_now())
            )
            return int(done.rowcount)


def _raise_first(outcomes: Sequence[Outcome]) -> None:
    for outcome in outcomes:
        if outcome.error is not None:
            raise outcome.error


def _name(row: Row[Any]) -> Name | None:
    parts = {p: getattr(row, p) for p in _NAME_PARTS}
    return Name(**parts) if any(v is not None for v in parts.values()) else None


def _account(
    row: Row[Any],
    *,
    emails: Iterable[Row[Any]],
    phones: Iterable[Row[Any]],
    idents: Iterable[Row[Any]],
    roles: Iterable[Row[Any]],
    groups: Iterable[GroupRef],
) -> Account:
    return Account(
        id=row.id,
        user_name=row.user_name,
        name=_name(row),
        display_name=row.display_name,
        emails=[
            Email(value=e.value, type=e.type, primary=bool(e.primary), verified=bool(e.verified))
            for e in emails
        ],
        phone_numbers=[
            PhoneNumber(
                value=p.value, type=p.type, primary=bool(p.primary), verified=bool(p.verified)
            )
            for p in phones
        ],
        active=bool(row.active),
        disabled_at=row.disabled_at,
        organization=row.organization,
        external_identities=[
            ExternalIdentity(provider=i.provider, subject=i.subject) for i in idents
        ],
        created=row.created,
        last_modified=row.last_modified,
        last_login=row.last_login,
        failed_attempts=FailedAttempts(password=row.failed_password, otp=row.failed_otp),
        groups=groups,
        role_assignments=[RoleAssignment(role=r.role, organization=r.organization) for r in roles],
        version=str(row.version),
    )


def _group(row: Row[Any], members: tuple[str, ...]) -> Group:
    return Group(
        id=row.id,
        display_name=row.display_name,
        members=members,
        created=row.created,
        version=str(row.version),
    )


def _authenticator(row: Row[Any]) -> Authenticator:
    return Authenticator(
        id=row.id,
        kind=row.kind,
        label=row.label,
        verified=bool(row.verified),
        created=row.created,
        last_used=row.last_used,
    )


def _session(row: Row[Any]) -> Session:
    return Session(
        id=row.id,
        created=row.created,
        last_seen=row.last_seen,
        expires=row.expires,
        ip_address=row.ip_address,
        user_agent=row.user_agent,
        location=row.location,
    )
