"""Demo customers for any store, written through the facade's own operations.

Used by ``idconnect demo`` when the store's backend has no native seeder (an LDAP directory, a
SCIM server): accounts by one bulk creation, then groups and their members. Only attributes the
store's catalogue holds are sent. The same seed gives the same people.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from idconnect.core.errors import InvalidInput, NotSupported
from idconnect.core.model import Outcome
from idconnect.core.names import transliterate
from idconnect.core.schema import EXTENSION_SCHEMA

if TYPE_CHECKING:
    from idconnect.core.facade import Store

__all__ = [
    "GROUPS",
    "ORGANIZATIONS",
    "ROLES",
    "demo_people",
    "seed_through_facade",
    "transliterate",
]

GROUPS = ("beta testers", "newsletter", "premium support")
"""The demo's groups (the README's examples name them)."""

ORGANIZATIONS = ("Acme", "Globex", "Initech")
"""The demo's organizations (the README's examples name ``Acme``)."""

ROLES = ("support-agent", "billing-admin")
"""The roles the demo assigns, each in one of the organizations."""

_GIVEN = (
    "Ana", "Zoë", "José", "Søren", "Łukasz", "Ünal", "Björk", "François", "Øyvind", "Mia",
    "Noah", "Olivia", "Liam", "Emma", "Hiroshi", "Aiko", "Chloé", "Mateo", "Ines", "Thabo",
)  # fmt: skip
_FAMILY = (
    "Smith", "Müller", "García", "Dvořák", "Nguyễn", "O'Brien", "Ólafsdóttir", "Núñez",
    "Kowalski", "Jensen", "Rossi", "Dubois", "Tanaka", "Kim", "Okafor", "Silva",
)  # fmt: skip
_DOMAINS = ("example.com", "example.org", "example.net", "mail.example")


def demo_people(count: int, seed: int) -> list[dict[str, Any]]:
    """Return ``count`` SCIM User documents, the same ones for the same seed.

    :param count: how many.
    :param seed: the random seed.
    :returns: canonical JSON documents (userName, name, emails, phones, organization, active).
    """
    rng = random.Random(seed)
    people = []
    for n in range(count):
        given, family = rng.choice(_GIVEN), rng.choice(_FAMILY)
        user = f"{transliterate(given)}.{transliterate(family)}.{n}"
        doc: dict[str, Any] = {
            "userName": user,
            "displayName": f"{given} {family}",
            "name": {"givenName": given, "familyName": family},
            "emails": [
                {
                    "value": f"{user}@{rng.choice(_DOMAINS)}",
                    "type": "work",
                    "primary": True,
                    "verified": rng.random() < 0.7,
                }
            ],
            "active": rng.random() > 0.05,
        }
        if rng.random() < 0.5:
            doc["phoneNumbers"] = [
                {"value": f"+44770090{n % 10000:04d}", "type": "mobile", "verified": True}
            ]
        if rng.random() < 0.3:
            doc[EXTENSION_SCHEMA] = {"organization": rng.choice(ORGANIZATIONS)}
        people.append(doc)
    return people


def seed_through_facade(
    store: Store, count: int, seed: int, *, progress: Callable[[int], None] | None = None
) -> dict[str, int]:
    """Create demo customers and groups in ``store`` with the facade's operations.

    :param store: an empty store that can create accounts.
    :param count: how many accounts.
    :param seed: the random seed.
    :param progress: called with how many more accounts are created.
    :returns: how many accounts, groups and memberships were written.
    :raises InvalidInput: when the store already holds accounts.
    :raises NotSupported: when the store cannot create accounts.
    """
    if store.search_accounts(count=1).items:
        raise InvalidInput("the store already holds accounts", store=store.name)
    catalogue = store.catalogue
    lacking = {
        key
        for key, path in (
            ("phoneNumbers", "phoneNumbers.value"),
            (EXTENSION_SCHEMA, "organization"),
        )
        if path not in catalogue
    }
    people = [
        {k: v for k, v in doc.items() if k not in lacking} for doc in demo_people(count, seed)
    ]
    result = store.create_accounts(people, reason="idconnect demo", progress=progress)
    result.raise_for_failures()
    counts = {"accounts": len(result.outcomes)}
    try:
        groups = [
            store.create_group({"displayName": name}, reason="idconnect demo") for name in GROUPS
        ]
    except NotSupported:
        return counts
    rng = random.Random(seed)
    members = 0
    for group in groups:
        assert group.id is not None
        chosen = [o.account_id for o in result.outcomes if rng.random() < 0.2]
        added = store.add_to_group(group.id, chosen, reason="idconnect demo")
        added.raise_for_failures()
        members += len(chosen)
    counts.update(groups=len(groups), memberships=members)
    counts.update(_seed_roles(store, result.outcomes, rng))
    return counts


def _seed_roles(store: Store, outcomes: Sequence[Outcome], rng: random.Random) -> dict[str, int]:
    """Give a few accounts a role in an organization, so that ``roles list`` shows some."""
    if "assign_role" not in store.capabilities:
        return {}
    given = 0
    for n, outcome in enumerate(outcomes[:: max(1, len(outcomes) // 10)]):
        # the first is the README's example: billing-admin in Acme
        role, organization = (
            (ROLES[1], ORGANIZATIONS[0])
            if n == 0
            else (rng.choice(ROLES), rng.choice(ORGANIZATIONS))
        )
        try:
            store.assign_role(
                outcome.account_id, role, organization=organization, reason="idconnect demo"
            )
        except InvalidInput:  # the store lists its organizations and has not this one
            continue
        given += 1
    return {"role assignments": given}
