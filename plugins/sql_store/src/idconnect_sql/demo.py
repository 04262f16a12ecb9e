"""Seed a realistic, reproducible customer population straight into the managed schema.

For demos and benchmarks: rows are written with ``executemany`` in batches, one transaction per
batch, bypassing the facade (10,000 accounts take a few seconds on SQLite). The same ``seed``
always gives the same ids and names; instants are relative to ``now`` (the time of seeding by
default), so sessions are live and "last login" filters find accounts whenever the demo is
seeded. User names and addresses are names spelled in ASCII (``Øyvind`` -> ``oyvind``). Demo
accounts have no usable password.

The first accounts are the stories the top-level README's filter examples tell
(:data:`idconnect_sql.demo_data.STORIES`): Barbara Jensen (``bjensen``) of Acme, a billing
admin and beta tester locked out after five failed passwords, with an unverified work address;
and a customer who never logged in. Dormant customers (last login up to five years back) are
scattered in the rest.
"""

from __future__ import annotations

import random
import uuid
from collections import Counter
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from idconnect import Store
from idconnect.backend import AuthenticatorKind, InvalidInput, mask, utc_now
from idconnect_sql.demo_data import (
    AGENTS,
    DOMAINS,
    FAMILY,
    GIVEN,
    GROUPS,
    IDPS,
    ORGANIZATIONS,
    PLACES,
    ROLES,
    STORIES,
    transliterate,
)
from idconnect_sql.managed.children import HELD, held_bits

if TYPE_CHECKING:
    from idconnect_sql.managed.base import ManagedBase

__all__ = ["seed_backend", "seed_demo"]

_BATCH = 2000


class _Seeder:
    """Builds the rows of one demo population, deterministically from ``seed`` and ``now``."""

    def __init__(self, seed: int, now: datetime) -> None:
        self.rng = random.Random(seed)
        self.now = now
        self.rows: dict[str, list[dict[str, Any]]] = {}

    def ident(self) -> str:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4).hex

    def ago(self, days: float) -> datetime:
        instant = self.now - timedelta(days=days)
        return instant.replace(microsecond=instant.microsecond // 1000 * 1000)

    def before(self, days: float) -> datetime:
        return self.ago(self.rng.uniform(0, days))

    def add(self, table: str, row: dict[str, Any]) -> None:
        self.rows.setdefault(table, []).append(row)

    def account(self, n: int, orgs: list[str], groups: dict[str, str]) -> None:
        """Add account ``n``: random from the seed, or story ``n`` of ``STORIES``."""
        rng = self.rng
        given, family = rng.choice(GIVEN), rng.choice(FAMILY)
        user = f"{transliterate(given)}.{transliterate(family)}"
        created = self.before(5 * 365)
        org = rng.choice(orgs) if rng.random() < 0.7 else None
        role = rng.choices(ROLES, weights=(60, 10, 8, 22))[0] if org is not None else None
        last_login = self._last_login(created) if rng.random() < 0.85 else None
        address = f"{user}{n}@{rng.choice(DOMAINS)}"
        emails: list[tuple[str, str, bool | None]] = [
            (address, "work" if org else "home", rng.random() < 0.8)
        ]
        if rng.random() < 0.15:
            emails.append((f"{transliterate(given)}{n}@{rng.choice(DOMAINS)}", "home", None))
        story = STORIES[n] if n < len(STORIES) else None
        values: dict[str, Any] = {
            "user_name": f"{user}.{n}",
            "active": rng.random() >= 0.05,
            "failed_password": rng.randint(1, 6) if rng.random() < 0.05 else 0,
            "failed_otp": rng.randint(1, 3) if rng.random() < 0.02 else 0,
        }
        member_of = rng.sample(sorted(groups), rng.choice((0, 0, 1, 1, 2)))
        if story is not None:
            given, family, org, role = (
                story[k] for k in ("given", "family", "organization", "role")
            )
            created = self.ago(story["created_days_ago"])
            days = story["last_login_days_ago"]
            last_login = None if days is None else self.ago(days)
            emails = list(story["emails"])
            member_of = list(story["groups"])
            values.update(
                user_name=story["user_name"],
                active=True,
                failed_password=story["failed_password"],
                failed_otp=0,
            )
        account_id = self.ident()
        self._account_row(account_id, given, family, org, created, last_login, values)
        self._emails(account_id, emails, created)
        self._extras(account_id, created, last_login, story is not None)
        for name in member_of:
            self.add("memberships", {"group_id": groups[name], "account_id": account_id})
        if org is not None and role is not None:
            self.add(
                "role_assignments",
                {
                    "account_id": account_id,
                    "role": role,
                    "role_ci": role,
                    "organization": org,
                    "organization_ci": org.lower(),
                },
            )
        if last_login is not None and (story is not None or self.rng.random() < 0.35):
            self._sessions(account_id, created, last_login)

    def _last_login(self, created: datetime) -> datetime:
        # four in five logged in within 90 days; the rest are dormant since a random day
        recent = self.before(90)
        if self.rng.random() < 0.8 or created >= self.ago(90):
            return max(recent, created)
        span = (self.ago(90) - created).total_seconds()
        instant = created + timedelta(seconds=self.rng.uniform(0, span))
        return instant.replace(microsecond=instant.microsecond // 1000 * 1000)

    def _account_row(
        self,
        account_id: str,
        given: str,
        family: str,
        org: str | None,
        created: datetime,
        last_login: datetime | None,
        values: dict[str, Any],
    ) -> None:
        user_name = values["user_name"]
        active = values["active"]
        display = f"{given} {family}"
        self.add(
            "accounts",
            {
                "id": account_id,
                "user_name": user_name,
                "user_name_ci": user_name.lower(),
                "user_name_rev": user_name.lower()[::-1],
                "display_name": display,
                "display_name_ci": display.lower(),
                "formatted": display,
                "formatted_ci": display.lower(),
                "family_name": family,
                "family_name_ci": family.lower(),
                "given_name": given,
                "given_name_ci": given.lower(),
                "middle_name": None,
                "middle_name_ci": None,
                "organization": org,
                "organization_ci": org.lower() if org else None,
                "active": active,
                "disabled_at": None if active else max(created, self.before(60)),
                "created": created,
                "last_modified": max(created, self.before(30)),
                "last_login": last_login,
                "failed_password": values["failed_password"],
                "failed_otp": values["failed_otp"],
                "version": 1,
            },
        )

    def _emails(
        self, account_id: str, emails: list[tuple[str, str, bool | None]], created: datetime
    ) -> None:
        for position, (address, kind, verified) in enumerate(emails):
            if verified is None:
                verified = self.rng.random() < 0.8
            self.add(
                "emails",
                {
                    "account_id": account_id,
                    "position": position,
                    "value": address,
                    "value_ci": address.lower(),
                    "value_rev": address.lower()[::-1],
                    "type": kind,
                    "type_ci": kind,
                    "primary": position == 0,
                    "verified": verified,
                },
            )
            if verified:
                self.authenticator(account_id, AuthenticatorKind.EMAIL, address, created)

    def _extras(
        self, account_id: str, created: datetime, last_login: datetime | None, story: bool
    ) -> None:
        rng = self.rng
        if rng.random() < 0.6:
            phone = f"+447700{rng.randint(100000, 999999)}"
            verified = rng.random() < 0.7
            self.add(
                "phones",
                {
                    "account_id": account_id,
                    "position": 0,
                    "value": phone,
                    "value_ci": phone,
                    "type": "mobile",
                    "type_ci": "mobile",
                    "primary": True,
                    "verified": verified,
                },
            )
            if verified:
                self.authenticator(account_id, AuthenticatorKind.PHONE, phone, created)
        if rng.random() < 0.9 or story:
            self.authenticator(account_id, AuthenticatorKind.PASSWORD, "", created)
        if rng.random() < 0.15:
            self.authenticator(account_id, AuthenticatorKind.TOTP, "", created)
        if rng.random() < 0.1:
            provider = rng.choice(IDPS)
            self.add(
                "external_identities",
                {
                    "account_id": account_id,
                    "position": 0,
                    "provider": provider,
                    "subject": f"{provider}|{rng.getrandbits(64):016x}",
                },
            )

    def _sessions(self, account_id: str, created: datetime, last_login: datetime) -> None:
        rng = self.rng
        for _ in range(rng.randint(1, 3)):
            started = max(last_login - timedelta(hours=rng.uniform(0, 48)), created)
            self.add(
                "sessions",
                {
                    "id": self.ident(),
                    "account_id": account_id,
                    "created": started,
                    "last_seen": last_login,
                    "expires": last_login + timedelta(days=30),
                    "revoked_at": None,
                    "ip_address": f"{rng.choice(('203.0.113', '198.51.100', '192.0.2'))}."
                    f"{rng.randint(1, 254)}",
                    "user_agent": rng.choice(AGENTS),
                    "location": rng.choice(PLACES),
                },
            )

    def authenticator(
        self, account_id: str, kind: AuthenticatorKind, value: str, created: datetime
    ) -> None:
        label = mask(kind, value) if value else str(kind)
        self.add(
            "authenticators",
            {
                "id": self.ident(),
                "account_id": account_id,
                "kind": str(kind),
                "label": label,
                "secret_hash": None,
                "verified": True,
                "created": created,
                "last_used": max(created, self.before(90)) if self.rng.random() < 0.5 else None,
            },
        )


def seed_demo(
    store: Store, count: int = 10000, seed: int = 42, *, now: datetime | None = None
) -> dict[str, int]:
    """Write a demo customer population into a managed SQL store.

    :param store: a store of the ``sql`` type with the managed schema (from ``hub.store(name)``).
    :param count: how many accounts to write.
    :param seed: the random seed; the same seed gives the same population.
    :param now: the instant the population's dates are relative to (an aware datetime); the
        current time by default.
    :returns: rows written per table, e.g. ``{"accounts": 10000, "emails": 11500, ...}``.
    :raises InvalidInput: when the store is not a managed SQL store, already holds accounts,
        ``count`` is negative or ``now`` is not an aware datetime.
    :raises StoreUnavailable: when the database cannot be reached.
    """
    from idconnect_sql.managed import ManagedStore

    backend = store.backend
    if not isinstance(backend, ManagedStore):
        raise InvalidInput(
            "demo data can only be seeded into a managed sql store", store=store.name
        )
    return seed_backend(backend, count, seed, now=now)


def seed_backend(
    backend: ManagedBase, count: int, seed: int, *, now: datetime | None = None
) -> dict[str, int]:
    """Write a demo customer population through a managed store's backend.

    :param backend: the backend (what the ``idconnect_seed_demo`` hook runs on).
    :param count: how many accounts to write.
    :param seed: the random seed.
    :param now: the instant the dates are relative to; the current time by default.
    :returns: rows written per table.
    :raises InvalidInput: when the store already holds accounts, ``count`` is negative or
        ``now`` is not an aware datetime.
    :raises StoreUnavailable: when the database cannot be reached.
    """
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise InvalidInput(f"count must be a whole number >= 0, got {count!r}", store=backend.name)
    if now is None:
        now = utc_now()
    elif not isinstance(now, datetime) or now.utcoffset() is None:
        raise InvalidInput(f"now must be an aware datetime, got {now!r}", store=backend.name)
    accounts = backend.tables.accounts
    with backend.begin() as connection:
        held = connection.execute(sa.select(accounts.c.id).limit(1)).first()
    if held is not None:
        raise InvalidInput(
            "the store already holds accounts; demo data goes into an empty store",
            store=backend.name,
        )
    t = backend.tables
    tables = {
        "organizations": t.organizations,
        "groups": t.groups,
        "accounts": t.accounts,
        "emails": t.emails,
        "phones": t.phones,
        "external_identities": t.external_identities,
        "memberships": t.memberships,
        "role_assignments": t.role_assignments,
        "authenticators": t.authenticators,
        "sessions": t.sessions,
    }
    seeder = _Seeder(seed, now)
    orgs = list(ORGANIZATIONS)
    groups = {name: seeder.ident() for name in GROUPS}
    counts: Counter[str] = Counter()
    with backend.begin() as connection:
        for org in orgs:
            seeder.add("organizations", {"id": org.lower().replace(" ", "-"), "name": org})
        for name, group_id in groups.items():
            seeder.add(
                "groups",
                {
                    "id": group_id,
                    "display_name": name,
                    "display_name_ci": name,
                    "created": seeder.ago(5 * 365 + 30),
                    "version": 1,
                },
            )
        _flush(connection, tables, seeder, counts)
    for start in range(0, count, _BATCH):
        for n in range(start, min(count, start + _BATCH)):
            seeder.account(n, orgs, groups)
        with backend.begin() as connection:
            _flush(connection, tables, seeder, counts)
    return {name: counts[name] for name in tables}


_KINDS = {
    "emails": "emails",
    "phones": "phones",
    "external_identities": "idents",
    "role_assignments": "roles",
    "memberships": "groups",
}
"""The child tables the seeder fills, to their kind of :mod:`idconnect_sql.managed.children`."""


def _hold(rows: dict[str, list[dict[str, Any]]]) -> None:
    """Give the batch's account rows the bits of the child lists the batch holds for them."""
    held: Counter[str] = Counter()
    for table, kind in _KINDS.items():
        bit = held_bits([kind])
        for row in rows.get(table, ()):
            held[row["account_id"]] |= bit
    for row in rows.get("accounts", ()):
        row[HELD] = held[row["id"]]


def _flush(
    connection: sa.Connection,
    tables: dict[str, sa.Table],
    seeder: _Seeder,
    counts: Counter[str],
) -> None:
    _hold(seeder.rows)
    for name, table in tables.items():
        rows = seeder.rows.pop(name, [])
        if rows:
            connection.execute(sa.insert(table), rows)
            counts[name] += len(rows)
