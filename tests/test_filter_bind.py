"""Binding filters to a catalogue: name resolution, canonical paths, type checks."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given

from idconnect.core.errors import FilterError
from idconnect.core.filter import (
    And,
    AttrPath,
    CompareOp,
    Comparison,
    Filter,
    Not,
    Present,
    ValuePath,
    attr,
    bind,
    parse,
    resolve_path,
)
from idconnect.core.schema import CORE_USER_SCHEMA, EXTENSION_SCHEMA, USER_CATALOGUE
from idconnect.testing.strategies import filters

C = USER_CATALOGUE


def bound(text: str) -> Filter:
    return bind(parse(text), C)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('userName eq "x"', Comparison(AttrPath("userName"), CompareOp.EQ, "x")),
        ('USERNAME eq "x"', Comparison(AttrPath("userName"), CompareOp.EQ, "x")),
        (
            f'{CORE_USER_SCHEMA}:userName eq "x"',
            Comparison(AttrPath("userName"), CompareOp.EQ, "x"),
        ),
        (
            f'{CORE_USER_SCHEMA.upper()}:USERNAME eq "x"',
            Comparison(AttrPath("userName"), CompareOp.EQ, "x"),
        ),
        ('name.GIVENNAME sw "B"', Comparison(AttrPath("name", "givenName"), CompareOp.SW, "B")),
        (f"{CORE_USER_SCHEMA}:name.givenName pr", Present(AttrPath("name", "givenName"))),
        ('organization eq "acme"', Comparison(AttrPath("organization"), CompareOp.EQ, "acme")),
        (
            f'{EXTENSION_SCHEMA}:organization eq "acme"',
            Comparison(AttrPath("organization"), CompareOp.EQ, "acme"),
        ),
        (
            f"{EXTENSION_SCHEMA.lower()}:failedattempts.PASSWORD gt 2",
            Comparison(AttrPath("failedAttempts", "password"), CompareOp.GT, 2),
        ),
        (
            'emails co "example.com"',
            Comparison(AttrPath("emails", "value"), CompareOp.CO, "example.com"),
        ),
        ('Emails.Value co "x"', Comparison(AttrPath("emails", "value"), CompareOp.CO, "x")),
        ('groups eq "g-1"', Comparison(AttrPath("groups", "value"), CompareOp.EQ, "g-1")),
        ("phoneNumbers pr", Present(AttrPath("phoneNumbers", "value"))),
        ("active eq false", Comparison(AttrPath("active"), CompareOp.EQ, False)),
        ("emailVerified ne true", Comparison(AttrPath("emailVerified"), CompareOp.NE, True)),
        ("failedAttempts.otp le 0", Comparison(AttrPath("failedAttempts", "otp"), CompareOp.LE, 0)),
        ('id eq "u-1"', Comparison(AttrPath("id"), CompareOp.EQ, "u-1")),
        (
            'EMAILS[TYPE eq "work" and not (Value ew "@x.org")]',
            ValuePath(
                AttrPath("emails"),
                And(
                    Comparison(AttrPath("emails", "type"), CompareOp.EQ, "work"),
                    Not(Comparison(AttrPath("emails", "value"), CompareOp.EW, "@x.org")),
                ),
            ),
        ),
        (
            f'{EXTENSION_SCHEMA}:externalIdentities[provider eq "google"]',
            ValuePath(
                AttrPath("externalIdentities"),
                Comparison(AttrPath("externalIdentities", "provider"), CompareOp.EQ, "google"),
            ),
        ),
    ],
)
def test_names_resolve_to_canonical_paths(text: str, expected: Filter) -> None:
    assert bound(text) == expected


@pytest.mark.parametrize(
    ("text", "instant"),
    [
        ('meta.created gt "2024-05-01T12:00:00Z"', datetime(2024, 5, 1, 12, tzinfo=UTC)),
        ('meta.created gt "2024-05-01T14:00:00+02:00"', datetime(2024, 5, 1, 12, tzinfo=UTC)),
        ('meta.lastModified le "2024-05-01"', datetime(2024, 5, 1, tzinfo=UTC)),
        (
            'lastLogin eq "2024-05-01T12:00:00.250Z"',
            datetime(2024, 5, 1, 12, 0, 0, 250_000, tzinfo=UTC),
        ),
        ('disabledAt ne "2024-05-01T12:00:00"', datetime(2024, 5, 1, 12, tzinfo=UTC)),
    ],
)
def test_datetimes_bind_to_utc_instants(text: str, instant: datetime) -> None:
    value = bound(text).value  # type: ignore[union-attr]
    assert isinstance(value, datetime)
    assert value == instant
    assert value.utcoffset() == timedelta(0)


def test_builder_datetimes() -> None:
    plus_two = timezone(timedelta(hours=2))
    tree = bind(attr("meta.created").ge(datetime(2024, 5, 1, 14, tzinfo=plus_two)), C)
    assert tree == Comparison(
        AttrPath("meta", "created"), CompareOp.GE, datetime(2024, 5, 1, 12, tzinfo=UTC)
    )
    assert tree.value.tzinfo is UTC  # type: ignore[union-attr]
    with pytest.raises(FilterError, match="has no timezone"):
        bind(attr("meta.created").ge(datetime(2024, 5, 1)), C)


@pytest.mark.parametrize(
    ("text", "attribute", "fragment"),
    [
        ('fooBar eq "x"', "fooBar", "unknown attribute 'fooBar'"),
        ("name.fooBar pr", "name.fooBar", "unknown attribute 'name.fooBar'"),
        ('title pr and userName eq "x"', "title", "unknown attribute 'title'"),
        ('emails[foo eq "x"]', "emails.foo", "unknown attribute 'emails.foo'"),
        ('fooBar[value eq "x"]', "fooBar", "unknown attribute 'fooBar'"),
        (
            'urn:example:schema:1.0:userName eq "x"',
            "urn:example:schema:1.0:userName",
            "unknown schema",
        ),
        (f'{EXTENSION_SCHEMA}:userName eq "x"', f"{EXTENSION_SCHEMA}:userName", "is not in schema"),
        (
            f'{CORE_USER_SCHEMA}:organization eq "x"',
            f"{CORE_USER_SCHEMA}:organization",
            "is not in schema",
        ),
        (
            f'{EXTENSION_SCHEMA}:emails[type eq "x"]',
            f"{EXTENSION_SCHEMA}:emails",
            "is not in schema",
        ),
        ('name eq "x"', "name", "attribute 'name' is complex"),
        ("failedAttempts gt 1", "failedAttempts", "attribute 'failedAttempts' is complex"),
        ('externalIdentities eq "x"', "externalIdentities", "is complex"),
        ('roleAssignments co "admin"', "roleAssignments", "is complex"),
        ('name[givenName eq "x"]', "name", "not a multi-valued complex attribute"),
        ('userName[value eq "x"]', "userName", "not a multi-valued complex attribute"),
        ('emails.value[type eq "x"]', "emails.value", "unknown attribute 'emails.value'"),
    ],
)
def test_resolution_errors(text: str, attribute: str, fragment: str) -> None:
    with pytest.raises(FilterError) as caught:
        bound(text)
    assert fragment in caught.value.message
    assert caught.value.details["attribute"] == attribute
    assert "column" not in caught.value.details


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (
            "userName eq null",
            "cannot compare with null; to test for a value use 'not (userName pr)'",
        ),
        ("userName ne null", "use 'userName pr'"),
        ("meta.created gt null", "cannot compare with null"),
        ("active eq null", "cannot compare with null"),
        ("userName eq 42", "compare it with a quoted string, not 42"),
        ("userName eq true", "compare it with a quoted string, not true"),
        ('active eq "true"', 'compare it with true or false, not "true"'),
        ("active gt true", "only 'eq', 'ne' and 'pr' apply to a boolean, not 'gt'"),
        ('active co "t"', "'co' needs a string attribute"),
        ("failedAttempts.password eq true", "compare it with a whole number, not true"),
        ("failedAttempts.password eq 1.5", "compare it with a whole number, not 1.5"),
        ('failedAttempts.password eq "3"', "compare it with a whole number"),
        ('failedAttempts.password sw "1"', "'sw' needs a string attribute"),
        ('meta.created ew "Z"', "'ew' needs a string attribute"),
        ("meta.created gt 1714560000", "compare it with a quoted ISO 8601 date-time"),
        ('meta.created gt "yesterday"', "'yesterday' is not an ISO 8601 date-time"),
        ('meta.created gt "2024-13-01"', "is not an ISO 8601 date-time"),
        ('meta.created gt "0001-01-01T00:00:00+01:00"', "is not an ISO 8601 date-time"),
        ('emails[primary eq "yes"]', "compare it with true or false"),
    ],
)
def test_type_errors(text: str, fragment: str) -> None:
    with pytest.raises(FilterError) as caught:
        bound(text)
    assert fragment in caught.value.message
    assert "attribute" in caught.value.details
    assert "column" not in caught.value.details


def test_builder_only_errors() -> None:
    nested = attr("emails").where(attr("phoneNumbers").where(attr("type").eq("x")))
    with pytest.raises(FilterError, match="value paths cannot be nested"):
        bind(nested, C)
    outside = attr("emails").where(attr("name.givenName").eq("x"))
    with pytest.raises(FilterError, match="not a sub-attribute of 'emails'"):
        bind(outside, C)
    with pytest.raises(FilterError, match="compare it with a whole number, not nan"):
        bind(attr("failedAttempts.otp").eq(float("nan")), C)


def test_narrowed_catalogue() -> None:
    narrow = C.without("phoneNumbers")
    bind(parse('emails.value eq "x"'), narrow)
    with pytest.raises(FilterError, match=re.escape("unknown attribute 'phoneNumbers.value'")):
        bind(parse('phoneNumbers.value eq "x"'), narrow)
    with pytest.raises(FilterError, match="unknown attribute 'phoneNumbers'"):
        bind(parse('phoneNumbers[type eq "x"]'), narrow)


def test_resolve_path() -> None:
    assert resolve_path(AttrPath("EMAILS"), C).path == "emails.value"
    assert resolve_path(AttrPath("type"), C, parent="emails").path == "emails.type"
    assert resolve_path(AttrPath("emails", "TYPE"), C, parent="emails").path == "emails.type"
    definition = resolve_path(AttrPath("lastLogin", schema=EXTENSION_SCHEMA), C)
    assert definition.schema == EXTENSION_SCHEMA
    with pytest.raises(FilterError, match=re.escape("unknown attribute 'emails.givenName'")):
        resolve_path(AttrPath("givenName"), C, parent="emails")


def test_bind_handles_the_longest_chain() -> None:
    text = " or ".join(["ID pr"] * 200)
    assert bind(parse(text), C) == parse(text.replace("ID", "id"))


@given(filters())
def test_binding_is_idempotent(tree: Filter) -> None:
    assert bind(tree, C) == tree
