"""The canonical data set the conformance kit seeds into every store under test.

Thirty-odd customers chosen to exercise the filter rules: mixed case, non-ASCII names, values
with SQL, LDAP and SCIM metacharacters (quotes, ``%``, ``_``, ``*``, parentheses, backslash),
several emails of different types, missing attributes, organizations, external identities,
disabled accounts, groups and role assignments. Everything is deterministic.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from attrs import evolve, frozen

from idconnect.core.model import (
    Account,
    Email,
    ExternalIdentity,
    Name,
    PhoneNumber,
    RoleAssignment,
)
from idconnect.core.schema import Catalogue

__all__ = ["DATASET", "HOSTILE_VALUES", "Seed", "fit_to_catalogue"]

HOSTILE_VALUES = (
    "o'malley",
    'say "hi"',
    "100%",
    "under_score",
    "star*",
    "(paren)",
    "back\\slash",
    "semi;--",
    "x' OR '1'='1",
    "*)(uid=*",
    "nul\x00byte",
    "é",
    "Ü",
    "a" * 300,
    "%_%",
)
"""Filter values that break naive SQL, LDAP or SCIM query building."""


@frozen(kw_only=True)
class Seed:
    """One seeded customer: the account to create, and what happens to it after creation."""

    account: Account
    """The account as created (no id yet)."""
    disabled: bool = False
    """Whether the kit disables it after creating it."""
    groups: tuple[str, ...] = ()
    """Display names of the groups it joins."""
    roles: tuple[RoleAssignment, ...] = ()
    """Roles it is assigned."""


def _person(
    user: str,
    given: str | None,
    family: str | None,
    *,
    emails: tuple[tuple[str, str | None, bool, bool], ...] = (),
    phones: tuple[tuple[str, str | None], ...] = (),
    display: str | None = None,
    org: str | None = None,
    external: tuple[tuple[str, str], ...] = (),
) -> Account:
    name = None
    if given or family:
        formatted = " ".join(p for p in (given, family) if p)
        name = Name(given_name=given, family_name=family, formatted=formatted)
    return Account(
        user_name=user,
        name=name,
        display_name=display,
        emails=tuple(Email(value=v, type=t, primary=p, verified=ver) for v, t, p, ver in emails),
        phone_numbers=tuple(
            PhoneNumber(value=v, type=t, primary=i == 0) for i, (v, t) in enumerate(phones)
        ),
        organization=org,
        external_identities=tuple(ExternalIdentity(provider=p, subject=s) for p, s in external),
    )


def _seeds() -> Iterator[Seed]:
    admin = RoleAssignment(role="admin", organization="acme")
    billing = RoleAssignment(role="billing", organization="globex")
    viewer = RoleAssignment(role="viewer")
    yield Seed(
        account=_person(
            "bjensen",
            "Barbara",
            "Jensen",
            emails=(
                ("bjensen@example.com", "work", True, True),
                ("babs@jensen.org", "home", False, False),
            ),
            phones=(("+15555550100", "work"), ("+15555550101", "mobile")),
            display="Babs Jensen",
            org="acme",
        ),
        groups=("admins", "beta"),
        roles=(admin,),
    )
    yield Seed(
        account=_person(
            "BJensen2",
            "Bob",
            "Jensen",
            emails=(("bob.jensen@example.org", "work", True, False),),
            org="acme",
        ),
        groups=("beta",),
    )
    yield Seed(
        account=_person(
            "o'malley",
            "Siobhán",
            "O'Malley",
            emails=(("siobhan.omalley@example.org", "home", True, True),),
            org="globex",
            external=(("google", "1093847562"),),
        ),
        roles=(billing, viewer),
    )
    yield Seed(
        account=_person(
            "ÉLODIE.ÇA",
            "Élodie",
            "Çavuşoğlu",
            emails=(("Elodie.Cavusoglu@example.fr", "work", True, True),),
            phones=(("+33612345678", "mobile"),),
            org="globex",
        ),
        groups=("support",),
    )
    yield Seed(
        account=_person(
            "müller",
            "Jürgen",
            "Müller",
            emails=(("juergen@example.de", None, False, False),),
            display="Jürgen",
        ),
        disabled=True,
    )
    yield Seed(
        account=_person(
            "under_score", "Una", "Score", emails=(("u_s@example.com", "work", True, False),)
        ),
    )
    yield Seed(account=_person("underXscore", "Ulf", "Xavier", org="initech"))
    yield Seed(
        account=_person(
            "100%sure",
            "Percy",
            None,
            emails=(("percy+100%@example.com", "other", True, False),),
        ),
        disabled=True,
    )
    yield Seed(account=_person("star*user", "Stella", "Star", display="*"))
    yield Seed(account=_person("paren(user)", None, "Paren", display="(paren)"))
    yield Seed(account=_person("back\\slash", "Bart", "Slash"))
    yield Seed(account=_person("semi;--drop", "Robert", "Tables", display="x' OR '1'='1"))
    yield Seed(account=_person('quote"man', "Quincy", "Quote", display='say "hi"'))
    yield Seed(
        account=_person(
            "alice",
            "Alice",
            "Liddell",
            emails=(
                ("alice@wonderland.example", "home", True, True),
                ("alice@example.com", "work", False, True),
            ),
            phones=(("+447700900123", "mobile"),),
            org="initech",
            external=(("apple", "000123.abc"), ("okta-acme", "00u1a2b3c4")),
        ),
        groups=("admins",),
        roles=(viewer, RoleAssignment(role="admin", organization="initech")),
    )
    yield Seed(
        account=_person(
            "ALICE.B", "Alicia", "Bravo", emails=(("ALICE.B@EXAMPLE.COM", "work", True, True),)
        )
    )
    yield Seed(
        account=_person("zoe", "Zoë", "Zimmer", phones=(("+4915112345678", "mobile"),)),
        disabled=True,
    )
    yield Seed(account=_person("nobody", None, None))
    for n in range(12):
        org = ("acme", "globex", "initech", None)[n % 4]
        yield Seed(
            account=_person(
                f"user{n:02d}",
                f"Given{n:02d}",
                ("Smith", "Jones", "Brown")[n % 3],
                emails=(
                    (
                        f"user{n:02d}@{('example.com', 'example.org')[n % 2]}",
                        "work",
                        True,
                        n % 3 == 0,
                    ),
                ),
                phones=((f"+1555555{n:04d}", "mobile"),) if n % 2 else (),
                org=org,
                external=(("google", f"g-{n:04d}"),) if n % 5 == 0 else (),
            ),
            disabled=n % 6 == 5,
            groups=(("beta",) if n % 3 == 0 else ()) + (("support",) if n % 4 == 1 else ()),
        )


DATASET: tuple[Seed, ...] = tuple(_seeds())
"""The seeded customers, in creation order."""

GROUPS = ("admins", "beta", "support")
"""Display names of the groups the kit creates."""


def _has(catalogue: Catalogue, path: str) -> bool:
    return path in catalogue


def fit_to_catalogue(account: Account, catalogue: Catalogue) -> Account:
    """Drop the parts of an account the store cannot hold, so the kit asks nothing impossible.

    :param account: a data set account.
    :param catalogue: the store's catalogue.
    :returns: the account without attributes the catalogue lacks.
    """
    changes: dict[str, Any] = {}
    if account.name is not None:
        parts = {
            "formatted": "name.formatted",
            "family_name": "name.familyName",
            "given_name": "name.givenName",
            "middle_name": "name.middleName",
        }
        kept = {f: getattr(account.name, f) for f, p in parts.items() if _has(catalogue, p)}
        changes["name"] = Name(**kept) if any(kept.values()) else None
    if not _has(catalogue, "displayName"):
        changes["display_name"] = None
    for field, parent, cls in (
        ("emails", "emails", Email),
        ("phone_numbers", "phoneNumbers", PhoneNumber),
    ):
        values = getattr(account, field)
        if not _has(catalogue, f"{parent}.value"):
            changes[field] = ()
            continue
        fitted = []
        for item in values:
            fitted.append(
                cls(
                    value=item.value,
                    type=item.type if _has(catalogue, f"{parent}.type") else None,
                    primary=item.primary if _has(catalogue, f"{parent}.primary") else False,
                    verified=item.verified if _has(catalogue, f"{parent}.verified") else False,
                )
            )
        if not _has(catalogue, f"{parent}.primary") or not _has(catalogue, f"{parent}.type"):
            fitted = fitted[:1]
        changes[field] = tuple(fitted)
    if not _has(catalogue, "organization"):
        changes["organization"] = None
    if not _has(catalogue, "externalIdentities.provider"):
        changes["external_identities"] = ()
    return evolve(account, **changes)
