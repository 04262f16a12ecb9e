"""Seed a realistic, reproducible customer population straight into the managed schema.

For demos and benchmarks: rows are written with ``executemany`` in batches, one transaction per
batch, bypassing the facade (10,000 accounts take a few seconds on SQLite). The same ``seed``
always gives the same ids, names and instants. Demo accounts have no usable password.
"""

from __future__ import annotations

import random
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from idconnect import Store
from idconnect.backend import AuthenticatorKind, InvalidInput, mask

if TYPE_CHECKING:
    from idconnect_sql.managed.base import ManagedBase

__all__ = ["seed_backend", "seed_demo"]

_GIVEN = (
    "Ana",
    "Zoë",
    "José",
    "Søren",
    "Łukasz",
    "Ünal",
    "Björk",
    "François",
    "Øyvind",
    "Mia",
    "Noah",
    "Olivia",
    "Liam",
    "Emma",
    "Hiroshi",
    "Aiko",
    "Chloé",
    "Mateo",
    "Ines",
    "Thabo",
    "Priya",
    "Arjun",
    "Fatima",
    "Omar",
    "Ewa",
    "Jürgen",
    "Siobhán",
    "Kwame",
    "Lucía",
    "Ibrahim",
)
_FAMILY = (
    "Smith",
    "Müller",
    "García",
    "Dvořák",
    "Nguyễn",
    "O'Brien",
    "Ólafsdóttir",
    "Yılmaz",  # noqa: RUF001 - Turkish dotless i, on purpose
    "Núñez",
    "Kowalski",
    "Jensen",
    "Rossi",
    "Dubois",
    "Tanaka",
    "Kim",
    "Okafor",
    "Silva",
    "Novak",
    "Andersson",
    "Papadopoulos",
    "Cohen",
    "Singh",
    "Haddad",
    "Fernández",
    "Brown",
)
_DOMAINS = ("example.com", "example.org", "mail.example.net", "corp.example", "example.co.uk")
_ORGS = (
    "Acme Corp",
    "Globex",
    "Initech",
    "Umbrella",
    "Hooli",
    "Stark Industries",
    "Wayne Enterprises",
    "Wonka Industries",
    "Tyrell Corp",
    "Cyberdyne",
    "Soylent",
    "Vandelay Industries",
    "Massive Dynamic",
    "Aperture Science",
    "Oscorp",
    "Pied Piper",
    "Gringotts",
    "Monsters Inc",
    "Blue Sun",
    "Duff Beer",
)
_GROUPS = (
    "beta-testers",
    "premium",
    "newsletter",
    "vip",
    "early-access",
    "fraud-review",
    "support-staff",
    "b2b-admins",
)
_ROLES = ("member", "billing-admin", "org-admin", "viewer")
_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Version/17.5 Safari/605.1",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    "Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36",
)
_PLACES = (
    "Lisbon, PT",
    "Berlin, DE",
    "London, GB",
    "São Paulo, BR",
    "Tokyo, JP",
    "Lagos, NG",
    "New York, US",
    "Kraków, PL",
    "Montréal, CA",
    "Mumbai, IN",
    "Sydney, AU",
    "Reykjavík, IS",
)
_IDPS = ("google", "apple", "okta")
_NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
_BATCH = 2000


def _ascii(text: str) -> str:
    import unicodedata

    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in plain.lower() if c.isalnum())


class _Seeder:
    """Builds the rows of one demo population, deterministically from ``seed``."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.rows: dict[str, list[dict[str, Any]]] = {}

    def ident(self) -> str:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4).hex

    def before(self, days: float) -> datetime:
        instant = _NOW - timedelta(seconds=self.rng.uniform(0, days * 86400))
        return instant.replace(microsecond=instant.microsecond // 1000 * 1000)

    def add(self, table: str, row: dict[str, Any]) -> None:
        self.rows.setdefault(table, []).append(row)

    def account(self, n: int, orgs: list[str], groups: list[str]) -> None:
        rng = self.rng
        given, family = rng.choice(_GIVEN), rng.choice(_FAMILY)
        user_name = f"{_ascii(given)}.{_ascii(family)}.{n}"
        account_id = self.ident()
        created = self.before(3 * 365)
        active = rng.random() >= 0.05
        org = rng.choice(orgs) if rng.random() < 0.7 else None
        last_login = self.before(90) if rng.random() < 0.85 else None
        if last_login is not None and last_login < created:
            last_login = created
        values: dict[str, Any] = {
            "id": account_id,
            "user_name": user_name,
            "user_name_ci": user_name.lower(),
            "user_name_rev": user_name.lower()[::-1],
            "display_name": f"{given} {family}",
            "display_name_ci": f"{given} {family}".lower(),
            "formatted": f"{given} {family}",
            "formatted_ci": f"{given} {family}".lower(),
            "family_name": family,
            "family_name_ci": family.lower(),
            "given_name": given,
            "given_name_ci": given.lower(),
            "middle_name": None,
            "middle_name_ci": None,
            "organization": org,
            "organization_ci": org.lower() if org else None,
            "active": active,
            "disabled_at": None if active else self.before(60),
            "created": created,
            "last_modified": max(created, self.before(30)),
            "last_login": last_login,
            "failed_password": rng.randint(1, 6) if rng.random() < 0.05 else 0,
            "failed_otp": rng.randint(1, 3) if rng.random() < 0.02 else 0,
            "version": 1,
        }
        self.add("accounts", values)
        emails = [f"{_ascii(given)}.{_ascii(family)}{n}@{rng.choice(_DOMAINS)}"]
        if rng.random() < 0.15:
            emails.append(f"{_ascii(given)}{n}@{rng.choice(_DOMAINS)}")
        for position, address in enumerate(emails):
            verified = rng.random() < 0.8
            self.add(
                "emails",
                {
                    "account_id": account_id,
                    "position": position,
                    "value": address,
                    "value_ci": address.lower(),
                    "value_rev": address.lower()[::-1],
                    "type": "work" if position == 0 and org else "home",
                    "type_ci": "work" if position == 0 and org else "home",
                    "primary": position == 0,
                    "verified": verified,
                },
            )
            if verified:
                self.authenticator(account_id, AuthenticatorKind.EMAIL, address, created)
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
        if rng.random() < 0.9:
            self.authenticator(account_id, AuthenticatorKind.PASSWORD, "", created)
        if rng.random() < 0.15:
            self.authenticator(account_id, AuthenticatorKind.TOTP, "", created)
        if rng.random() < 0.1:
            provider = rng.choice(_IDPS)
            self.add(
                "external_identities",
                {
                    "account_id": account_id,
                    "position": 0,
                    "provider": provider,
                    "subject": f"{provider}|{rng.getrandbits(64):016x}",
                },
            )
        for group in rng.sample(groups, rng.choice((0, 0, 1, 1, 2))):
            self.add("memberships", {"group_id": group, "account_id": account_id})
        if org is not None:
            role = rng.choices(_ROLES, weights=(60, 10, 8, 22))[0]
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
        if last_login is not None and rng.random() < 0.35:
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
                        "user_agent": rng.choice(_AGENTS),
                        "location": rng.choice(_PLACES),
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
                "last_used": self.before(90) if self.rng.random() < 0.5 else None,
            },
        )


def seed_demo(store: Store, count: int = 10000, seed: int = 42) -> dict[str, int]:
    """Write a demo customer population into a managed SQL store.

    :param store: a store of the ``sql`` type with the managed schema (from ``hub.store(name)``).
    :param count: how many accounts to write.
    :param seed: the random seed; the same seed gives the same population.
    :returns: rows written per table, e.g. ``{"accounts": 10000, "emails": 11500, ...}``.
    :raises InvalidInput: when the store is not a managed SQL store, already holds accounts, or
        ``count`` is negative.
    :raises StoreUnavailable: when the database cannot be reached.
    """
    from idconnect_sql.managed import ManagedStore

    backend = store.backend
    if not isinstance(backend, ManagedStore):
        raise InvalidInput(
            "demo data can only be seeded into a managed sql store", store=store.name
        )
    return seed_backend(backend, count, seed)


def seed_backend(backend: ManagedBase, count: int, seed: int) -> dict[str, int]:
    """Write a demo customer population through a managed store's backend.

    :param backend: the backend (what the ``idconnect_seed_demo`` hook runs on).
    :param count: how many accounts to write.
    :param seed: the random seed.
    :returns: rows written per table.
    :raises InvalidInput: when the store already holds accounts or ``count`` is negative.
    :raises StoreUnavailable: when the database cannot be reached.
    """
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise InvalidInput(f"count must be a whole number >= 0, got {count!r}", store=backend.name)
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
    seeder = _Seeder(seed)
    orgs = list(_ORGS)
    groups = [seeder.ident() for _ in _GROUPS]
    counts: Counter[str] = Counter()
    with backend.begin() as connection:
        for org in orgs:
            seeder.add("organizations", {"id": org.lower().replace(" ", "-"), "name": org})
        for group_id, name in zip(groups, _GROUPS, strict=True):
            seeder.add(
                "groups",
                {
                    "id": group_id,
                    "display_name": name,
                    "display_name_ci": name,
                    "created": _NOW - timedelta(days=400),
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


def _flush(
    connection: sa.Connection,
    tables: dict[str, sa.Table],
    seeder: _Seeder,
    counts: Counter[str],
) -> None:
    for name, table in tables.items():
        rows = seeder.rows.pop(name, [])
        if rows:
            connection.execute(sa.insert(table), rows)
            counts[name] += len(rows)
