"""Canonical JSON: SCIM User documents, ListResponse pages, and lossless round trips."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

import idconnect
from idconnect.core.convert import account_from_json, changes_from_json, from_json, to_json
from idconnect.core.model import (
    Account,
    Authenticator,
    AuthenticatorKind,
    Email,
    Event,
    ExternalIdentity,
    FailedAttempts,
    GroupRef,
    Name,
    PhoneNumber,
    RoleAssignment,
    Session,
)
from idconnect.core.query import Page
from idconnect.core.schema import EXTENSION_SCHEMA

text = st.text(min_size=1, max_size=20).filter(lambda s: s.strip())
opt_text = st.none() | text
instants = st.datetimes(
    min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)
opt_instant = st.none() | instants

accounts = st.builds(
    Account,
    id=opt_text,
    user_name=text,
    name=st.none() | st.builds(Name, formatted=opt_text, family_name=opt_text, given_name=opt_text),
    display_name=opt_text,
    emails=st.lists(st.builds(Email, value=text, type=opt_text), max_size=3),
    phone_numbers=st.lists(st.builds(PhoneNumber, value=text, type=opt_text), max_size=2),
    active=st.booleans(),
    disabled_at=opt_instant,
    organization=opt_text,
    external_identities=st.lists(
        st.builds(ExternalIdentity, provider=text, subject=text), max_size=2
    ),
    created=opt_instant,
    last_modified=opt_instant,
    last_login=opt_instant,
    failed_attempts=st.builds(FailedAttempts, password=st.integers(0, 99), otp=st.integers(0, 99)),
    groups=st.lists(st.builds(GroupRef, value=text, display=opt_text), max_size=2),
    role_assignments=st.lists(
        st.builds(RoleAssignment, role=text, organization=opt_text), max_size=2
    ),
    version=opt_text,
)


@given(accounts)
def test_account_round_trips(account: Account) -> None:
    assert account_from_json(to_json(account)) == account


@given(
    st.builds(
        Session,
        id=text,
        created=opt_instant,
        last_seen=opt_instant,
        expires=opt_instant,
        ip_address=opt_text,
        user_agent=opt_text,
        location=opt_text,
    )
)
def test_session_round_trips(session: Session) -> None:
    assert from_json(to_json(session), Session) == session


@given(
    st.builds(
        Authenticator,
        id=text,
        kind=st.sampled_from(AuthenticatorKind),
        label=opt_text,
        verified=st.booleans(),
        created=opt_instant,
    )
)
def test_authenticator_round_trips(authenticator: Authenticator) -> None:
    assert from_json(to_json(authenticator), Authenticator) == authenticator


def test_account_is_a_scim_user_with_the_extension() -> None:
    account = Account(
        id="u1",
        user_name="bjensen",
        emails=(Email(value="b@example.org", primary=True, verified=True),),
        organization="acme",
        created=datetime(2024, 5, 1, 12, tzinfo=UTC),
        version="3",
        failed_attempts=FailedAttempts(password=2),
    )
    doc = to_json(account)
    assert doc["schemas"][0] == "urn:ietf:params:scim:schemas:core:2.0:User"
    assert doc["meta"] == {
        "resourceType": "User",
        "created": "2024-05-01T12:00:00Z",
        "version": "3",
    }
    assert doc[EXTENSION_SCHEMA]["emailVerified"] is True
    assert doc[EXTENSION_SCHEMA]["organization"] == "acme"
    assert doc[EXTENSION_SCHEMA]["failedAttempts"] == {"password": 2, "otp": 0}
    assert "name" not in doc and "phoneNumbers" not in doc


def test_page_is_a_list_response_with_next_cursor() -> None:
    page = Page(items=[Account(id="u1", user_name="a")], next_cursor="abc", total=7)
    doc = to_json(page)
    assert doc["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:ListResponse"]
    assert (doc["totalResults"], doc["itemsPerPage"], doc["nextCursor"]) == (7, 1, "abc")
    assert "totalResults" not in to_json(Page(items=[]))


def test_event_json_uses_camel_case() -> None:
    event = Event(
        id="e1",
        at=datetime(2024, 1, 1, tzinfo=UTC),
        actor="a",
        store="s",
        action="disable_account",
        outcome="success",
        request_id="r",
        account_id="u1",
    )
    doc = to_json(event)
    assert doc["requestId"] == "r" and doc["accountId"] == "u1" and "error" not in doc


@pytest.mark.parametrize(
    ("doc", "fragment"),
    [
        ({}, "userName"),
        ({"userName": "  "}, "userName"),
        ({"userName": "a", "title": "x"}, "unknown attribute 'title'"),
        ({"userName": "a", "active": "yes"}, "active"),
        ({"userName": "a", "emails": "a@b"}, "emails must be a list"),
        ({"userName": "a", "emails": [{"type": "work"}]}, "emails"),
        ({"userName": "a", "meta": {"created": "yesterday"}}, "meta.created"),
        ({"userName": "a", EXTENSION_SCHEMA: {"shoeSize": 9}}, "shoeSize"),
    ],
)
def test_invalid_resources_name_the_attribute(doc: dict[str, object], fragment: str) -> None:
    with pytest.raises(idconnect.InvalidInput) as info:
        account_from_json(doc)
    assert fragment in str(info.value)


def test_non_strict_reading_ignores_server_extras() -> None:
    account = account_from_json({"userName": "a", "title": "Boss"}, strict=False)
    assert account.user_name == "a"


def test_changes_are_typed_and_checked() -> None:
    current = Account(id="u", user_name="a", name=Name(given_name="Ann", family_name="Lee"))
    typed = changes_from_json(
        {"displayname": "Ann L", "emails": [{"value": "a@x.org"}], "name.familyName": None},
        current,
    )
    assert typed == {
        "displayName": "Ann L",
        "emails": (Email(value="a@x.org"),),
        "name": Name(given_name="Ann"),
    }
    for bad in ({"active": False}, {"groups": []}, {"name.nickName": "x"}, {"emails": "x"}):
        with pytest.raises(idconnect.InvalidInput):
            changes_from_json(bad, current)


def test_naive_instants_are_refused() -> None:
    with pytest.raises(ValueError):
        Account(user_name="a", created=datetime(2024, 1, 1))


def test_an_account_shows_only_what_its_store_holds() -> None:
    from idconnect.core.schema import USER_CATALOGUE

    account = idconnect.Account(id="a1", user_name="ann", organization="Acme")
    full = idconnect.to_json(account)
    assert full[EXTENSION_SCHEMA]["failedAttempts"] == {"password": 0, "otp": 0}
    assert full["active"] is True
    plain = USER_CATALOGUE.without("failedAttempts", "active", "organization")
    held = idconnect.to_json(account, catalogue=plain)
    assert "active" not in held
    assert "failedAttempts" not in held[EXTENSION_SCHEMA]
    assert "organization" not in held[EXTENSION_SCHEMA]
    assert held[EXTENSION_SCHEMA]["emailVerified"] is False
    assert held["userName"] == "ann" and held["id"] == "a1"
    page = idconnect.to_json(idconnect.Page(items=(account,)), catalogue=plain)
    assert "active" not in page["Resources"][0]
