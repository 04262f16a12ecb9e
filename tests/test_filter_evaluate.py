"""The reference evaluator: the filter semantics every backend must agree with."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from idconnect.core.errors import FilterError
from idconnect.core.filter import (
    CompareOp,
    Comparison,
    Filter,
    Not,
    attr,
    bind,
    evaluate,
    parse,
    values_at,
)
from idconnect.core.model import (
    Account,
    Email,
    ExternalIdentity,
    FailedAttempts,
    GroupRef,
    Name,
    PhoneNumber,
    RoleAssignment,
)
from idconnect.core.schema import USER_CATALOGUE
from idconnect.testing.strategies import filters

C = USER_CATALOGUE


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


ACCOUNTS = [
    Account(
        id="u1",
        user_name="bjensen",
        name=Name(given_name="Barbara", family_name="Jensen", formatted="Ms. Barbara J Jensen"),
        display_name="Babs Jensen",
        emails=[
            Email(value="bjensen@example.com", type="work", primary=True, verified=True),
            Email(value="babs@Example.ORG", type="home"),
        ],
        phone_numbers=[PhoneNumber(value="+15550100", type="mobile")],
        organization="acme",
        created=at("2024-01-01T00:00:00+00:00"),
        last_modified=at("2024-03-01T08:00:00+00:00"),
        last_login=at("2024-05-01T12:00:00+00:00"),
        failed_attempts=FailedAttempts(password=3),
        groups=[GroupRef(value="g-Admins", display="Admins")],
        external_identities=[ExternalIdentity(provider="google", subject="ABC123")],
        role_assignments=[RoleAssignment(role="billing-admin", organization="acme")],
    ),
    Account(
        id="u2",
        user_name="jsmith",
        display_name="",
        emails=[
            Email(value="jsmith@other.com", type="work"),
            Email(value="jsmith@example.com", type="home"),
        ],
        phone_numbers=[PhoneNumber(value="+15550111", type="work", verified=True)],
        active=False,
        disabled_at=at("2024-04-02T09:30:00+00:00"),
        created=at("2023-06-15T10:30:00+00:00"),
        failed_attempts=FailedAttempts(password=0, otp=12),
        external_identities=[ExternalIdentity(provider="okta", subject="abc123")],
        role_assignments=[
            RoleAssignment(role="billing-admin", organization="globex"),
            RoleAssignment(role="viewer", organization="acme"),
        ],
    ),
    Account(
        id="u3",
        user_name="Élodie",
        organization="ACME",
        created=at("2024-01-01T00:00:00.500+00:00"),
        role_assignments=[RoleAssignment(role="viewer")],
    ),
    Account(
        id="u4",
        user_name="zed",
        emails=[Email(value="z@x.io")],
        groups=[GroupRef(value="g-admins")],
        failed_attempts=FailedAttempts(password=10),
    ),
]
ALL = {"u1", "u2", "u3", "u4"}


def matching(f: Filter) -> set[str]:
    return {a.id for a in ACCOUNTS if a.id is not None and evaluate(f, a, C)}


CASES = [
    # strings ignore case unless case_exact
    ('userName eq "BJENSEN"', {"u1"}),
    ('userName eq "élodie"', {"u3"}),
    ('userName sw "J"', {"u2"}),
    ('name.givenName co "ARB"', {"u1"}),
    ('name.familyName ew "sen"', {"u1"}),
    ('id eq "u1"', {"u1"}),
    ('id eq "U1"', set()),
    ('groups eq "g-admins"', {"u4"}),
    ('groups.value eq "G-ADMINS"', set()),
    ('groups.display eq "admins"', {"u1"}),
    ('externalIdentities.subject eq "abc123"', {"u2"}),
    ('externalIdentities.provider eq "GOOGLE"', set()),
    ('externalIdentities.subject sw "ABC"', {"u1"}),
    ('organization eq "acme"', {"u1", "u3"}),
    # ordering on strings: lowered code points
    ('userName gt "m"', {"u3", "u4"}),
    ('userName lt "ÉLODIE"', {"u1", "u2", "u4"}),
    ('userName ge "ZED"', {"u3", "u4"}),
    ('userName le "bjensen"', {"u1"}),
    # ne is not eq: missing values match
    ('organization ne "acme"', {"u2", "u4"}),
    ('name.givenName ne "barbara"', {"u2", "u3", "u4"}),
    ('emails.value ne "jsmith@example.com"', {"u1", "u3", "u4"}),
    ('emails.type ne "work"', {"u3", "u4"}),
    # missing values fail every other operator
    ('name.givenName co ""', {"u1"}),
    ('lastLogin lt "2100-01-01"', {"u1"}),
    ('not (lastLogin lt "2100-01-01")', {"u2", "u3", "u4"}),
    ('disabledAt gt "1970-01-01"', {"u2"}),
    # pr: present and non-empty
    ("displayName pr", {"u1"}),
    ('displayName eq ""', {"u2"}),
    ("not (displayName pr)", {"u2", "u3", "u4"}),
    ("organization pr", {"u1", "u3"}),
    ("emails pr", {"u1", "u2", "u4"}),
    ("emails.type pr", {"u1", "u2"}),
    ("lastLogin pr", {"u1"}),
    ("active pr", ALL),
    ("emailVerified pr", ALL),
    ("failedAttempts.otp pr", ALL),
    # multi-valued: any value
    ('emails co "example.org"', {"u1"}),
    ('emails.value ew "@example.com"', {"u1", "u2"}),
    ('emails.type eq "work"', {"u1", "u2"}),
    ('roleAssignments.organization eq "ACME"', {"u1", "u2"}),
    # value paths: one element meets the whole inner filter
    ('emails[type eq "work" and value ew "@example.com"]', {"u1"}),
    ('emails.type eq "work" and emails.value ew "@example.com"', {"u1", "u2"}),
    ('roleAssignments[role eq "billing-admin" and organization eq "acme"]', {"u1"}),
    (
        'roleAssignments.role eq "billing-admin" and roleAssignments.organization eq "acme"',
        {"u1", "u2"},
    ),
    ("roleAssignments[not (organization pr)]", {"u3"}),
    ('emails[not (type eq "work")]', {"u1", "u2", "u4"}),
    ('emails[type ne "work"]', {"u1", "u2", "u4"}),
    ('not (emails[type eq "work"])', {"u3", "u4"}),
    ("emails[type pr]", {"u1", "u2"}),
    ("emails[primary eq true and verified eq true]", {"u1"}),
    ('phoneNumbers[type eq "work" and verified eq true]', {"u2"}),
    ('phoneNumbers[type eq "mobile" and verified eq true]', set()),
    ('emails[value co "example" or type eq "work"]', {"u1", "u2"}),
    # dateTimes compare as instants, whatever the offset
    ('meta.created eq "2024-01-01T01:00:00+01:00"', {"u1"}),
    ('meta.created gt "2023-12-31T23:00:00-01:00"', {"u3"}),
    ('meta.created ge "2023-12-31T23:00:00-01:00"', {"u1", "u3"}),
    ('meta.created lt "2024-01-01"', {"u2"}),
    ('meta.created le "2024-01-01T00:00:00.5Z"', {"u1", "u2", "u3"}),
    ('meta.created ne "2024-01-01T00:00:00Z"', {"u2", "u3", "u4"}),
    ("meta.lastModified pr", {"u1"}),
    # integers order numerically
    ("failedAttempts.password lt 10", {"u1", "u2", "u3"}),
    ("failedAttempts.password gt 2", {"u1", "u4"}),
    ("failedAttempts.password ge 0", ALL),
    ("failedAttempts.otp eq 12", {"u2"}),
    ("failedAttempts.otp ne 12", {"u1", "u3", "u4"}),
    # booleans
    ("active eq false", {"u2"}),
    ("active ne true", {"u2"}),
    ("emailVerified eq true", {"u1"}),
    ("phoneVerified eq true", {"u2"}),
    ("phoneVerified ne true", {"u1", "u3", "u4"}),
    # logic
    ('userName eq "zed" or organization eq "acme"', {"u1", "u3", "u4"}),
    ('organization eq "acme" and not (userName sw "b")', {"u3"}),
    ('not (organization eq "acme" or active eq false)', {"u4"}),
    ('userName eq "x" or not (userName eq "x")', ALL),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_semantics(text: str, expected: set[str]) -> None:
    assert matching(bind(parse(text), C)) == expected


@pytest.mark.parametrize(
    ("built", "expected"),
    [
        (attr("emails").where(attr("type").eq("work") & attr("value").ew("@example.com")), {"u1"}),
        (attr("emails.type").eq("work") & attr("emails.value").ew("@example.com"), {"u1", "u2"}),
        (~attr("organization").present() | attr("userName").eq("JSMITH"), {"u2", "u4"}),
        (attr("lastLogin").ge(datetime(2024, 5, 1, 12, tzinfo=UTC)), {"u1"}),
    ],
)
def test_builder_filters(built: Filter, expected: set[str]) -> None:
    assert matching(bind(built, C)) == expected


def test_values_at() -> None:
    u1, u2, u3, u4 = ACCOUNTS
    assert values_at(u1, "emails.value") == ["bjensen@example.com", "babs@Example.ORG"]
    assert values_at(u1, "EMAILS.TYPE") == ["work", "home"]
    assert values_at(u4, "emails.type") == []
    assert values_at(u3, "emails.value") == []
    assert values_at(u1, "name.givenName") == ["Barbara"]
    assert values_at(u3, "name.givenName") == []
    assert values_at(u2, "displayName") == [""]
    assert values_at(u1, "meta.created") == [at("2024-01-01T00:00:00+00:00")]
    assert values_at(u1, "meta.lastModified") == [at("2024-03-01T08:00:00+00:00")]
    assert values_at(u2, "disabledAt") == [at("2024-04-02T09:30:00+00:00")]
    assert values_at(u2, "failedAttempts.otp") == [12]
    assert values_at(u2, "roleAssignments.organization") == ["globex", "acme"]
    assert values_at(u3, "roleAssignments.organization") == []
    assert values_at(u1, "emailVerified") == [True]
    assert values_at(u3, "phoneVerified") == [False]
    assert values_at(u1, "groups.display") == ["Admins"]
    assert values_at(u4, "groups.display") == []
    assert values_at(u1, "externalIdentities.provider") == ["google"]
    assert values_at(u1, "id") == ["u1"]
    # a short name of no built-in attribute is a custom attribute: absent, or its values
    assert values_at(u1, "title") == []
    titled = attrs.evolve(u1, attributes={"Title": "Dr", "codes": ("a", None, "b")})
    assert values_at(titled, "title") == ["Dr"] and values_at(titled, "CODES") == ["a", "b"]
    with pytest.raises(FilterError, match=re.escape("unknown attribute 'emails.display'")):
        values_at(u1, "emails.display")


def test_every_catalogue_path_has_values() -> None:
    for definition in C:
        assert isinstance(values_at(ACCOUNTS[0], definition.path), list)


def test_unbound_filters_are_rejected() -> None:
    with pytest.raises(FilterError, match="bind the filter"):
        evaluate(parse('meta.created gt "2024-01-01"'), ACCOUNTS[0], C)
    with pytest.raises(FilterError, match="bind the filter"):
        evaluate(parse("title pr"), ACCOUNTS[0], C)


def test_long_chains_evaluate_without_recursion() -> None:
    text = "id pr and " * 199 + 'id eq "u2"'
    tree = bind(parse(text), C)
    assert matching(tree) == {"u2"}


SAMPLES: dict[str, list[object]] = {}
for _account in ACCOUNTS:
    for _definition in C:
        SAMPLES.setdefault(_definition.path, []).extend(values_at(_account, _definition.path))

accounts = st.sampled_from(ACCOUNTS)


@given(filters(values=SAMPLES), accounts)
def test_not_negates(f: Filter, account: Account) -> None:
    assert evaluate(Not(f), account, C) is (not evaluate(f, account, C))


equality_leaves = filters(values=SAMPLES, max_depth=0).filter(
    lambda f: isinstance(f, Comparison) and f.op in (CompareOp.EQ, CompareOp.NE)
)


@given(equality_leaves, accounts)
def test_ne_is_not_eq(f: Comparison, account: Account) -> None:
    eq = Comparison(f.path, CompareOp.EQ, f.value)
    ne = Comparison(f.path, CompareOp.NE, f.value)
    assert evaluate(ne, account, C) is (not evaluate(eq, account, C))


@given(filters(values=SAMPLES, max_depth=2))
def test_generated_filters_evaluate_on_every_account(f: Filter) -> None:
    # no generated filter raises on any account (bound trees only hold comparable values)
    results = [evaluate(f, a, C) for a in ACCOUNTS]
    assert all(isinstance(r, bool) for r in results)


def test_samples_make_filters_that_match() -> None:
    hits = []

    @given(filters(values=SAMPLES, max_depth=0))
    def collect(f: Filter) -> None:
        hits.append(bool(matching(f)))

    collect()
    assert any(hits)
    assert not all(hits)
