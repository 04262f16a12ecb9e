"""Managed store: reading and writing accounts (single and bulk)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from idconnect.backend import (
    CUSTOM_CHANGES,
    Account,
    Conflict,
    Email,
    ExternalIdentity,
    Outcome,
    Page,
    PhoneNumber,
    Query,
    hookimpl,
    utc_now,
)
from idconnect_sql.explain import SearchTarget
from idconnect_sql.managed.base import ManagedBase
from idconnect_sql.managed.children import HELD, held_bits, kinds_for
from idconnect_sql.managed.rows import (
    ci,
    email_rows,
    identity_rows,
    name_values,
    phone_rows,
    user_name_values,
)

__all__ = ["AccountOps"]


class AccountOps(ManagedBase):
    """Account hooks: get, search, create, update, enable/disable, delete."""

    @hookimpl
    def idconnect_get_account(self, account_id: str) -> Account:
        """Read an account with its groups and role assignments."""
        with self.begin(account_id) as connection:
            return self._get(connection, account_id)

    def search_target(self) -> SearchTarget:
        """Return the accounts table, its id, the layout, the catalogue, the columns read."""
        accounts = self.tables.accounts
        selected = self.account_rows.selected
        return SearchTarget(accounts, accounts.c.id, self.layout, self.held, selected)

    @hookimpl
    def idconnect_search_accounts(self, query: Query) -> Page[Account]:
        """Search with the filter compiled to SQL, keyset-paginated, children in its statement."""
        _ = self.engine  # made first: whether children aggregate depends on the server's version
        t = self.search_target()
        kinds = kinds_for(query.attributes)
        children = self.children
        return self.page(
            query,
            source=t.source,
            key=t.key,
            layout=t.layout,
            catalogue=t.catalogue,
            load=self._load,
            columns=children.columns(kinds),
            columns_key=(children.aggregated, kinds),
            selected=t.selected,
            direct=True,
        )

    @hookimpl
    def idconnect_create_account(self, account: Account) -> Account:
        """Insert an account and its emails, phone numbers and external identities."""
        t = self.tables
        account_id = uuid.uuid4().hex
        now = utc_now()
        values = {
            "id": account_id,
            **user_name_values(account.user_name),
            **ci("display_name", account.display_name),
            **name_values(account.name),
            **ci("organization", account.organization),
            "active": account.active,
            "disabled_at": None if account.active else now,
            "created": now,
            "last_modified": now,
            "last_login": None,
            "failed_password": 0,
            "failed_otp": 0,
            "version": 1,
            HELD: _held(account.emails, account.phone_numbers, account.external_identities),
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
            self.custom.write(connection, account_id, account.attributes)
            return self._get(connection, account_id)

    def _insert_children(
        self,
        connection: Connection,
        account_id: str,
        emails: Iterable[Email] | None,
        phones: Iterable[PhoneNumber] | None,
        idents: Iterable[ExternalIdentity] | None,
    ) -> None:
        """Replace the given child lists of an account (``None``: keep that list).

        The caller's write of the account row sets the lists' :data:`HELD` bits (:func:`_held`).
        """
        t = self.tables
        for table, rows in (
            (t.emails, email_rows(account_id, emails) if emails is not None else None),
            (t.phones, phone_rows(account_id, phones) if phones is not None else None),
            (
                t.external_identities,
                identity_rows(account_id, idents) if idents is not None else None,
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
            values.update(user_name_values(changes["userName"]))
        if "displayName" in changes:
            values.update(ci("display_name", changes["displayName"]))
        if "name" in changes:
            values.update(name_values(changes["name"]))
        if "organization" in changes:
            values.update(ci("organization", changes["organization"]))
        emails = changes.get("emails", ()) if "emails" in changes else None
        phones = changes.get("phoneNumbers", ()) if "phoneNumbers" in changes else None
        idents = changes.get("externalIdentities", ()) if "externalIdentities" in changes else None
        added = _held(emails, phones, idents)
        if added:  # the bits of the lists written, in the same UPDATE; never cleared
            values[HELD] = a.c[HELD].bitwise_or(added)
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
            self._insert_children(connection, account_id, emails, phones, idents)
            self.custom.write(connection, account_id, changes.get(CUSTOM_CHANGES, {}))
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


def _held(
    emails: Iterable[Email] | None,
    phones: Iterable[PhoneNumber] | None,
    idents: Iterable[ExternalIdentity] | None,
) -> int:
    """The :data:`HELD` bits of the child lists an account row's write gives rows to."""
    given = (("emails", emails), ("phones", phones), ("idents", idents))
    return held_bits(kind for kind, rows in given if rows)
