"""Value conversions and filter compilation, without a server.

The Active Directory conversions (FILETIME, objectGUID bytes, userAccountControl bits, the
unicodePwd encoding) are unit-tested here because no Active Directory server runs in this
environment; the AD profile's I/O paths are therefore untested against a real server.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from idconnect_ldap.filters import FilterCompiler
from idconnect_ldap.settings import ACTIVE_DIRECTORY, OPENLDAP
from idconnect_ldap.values import (
    ADMIN_LOCK,
    filetime_to_datetime,
    guid_from_bytes,
    guid_to_bytes,
    parse_generalized_time,
    uac_is_disabled,
    uac_with_disabled,
    unicode_pwd,
)

from idconnect.backend import USER_CATALOGUE, UnsupportedFilter, bind, parse


def test_filetime() -> None:
    # 2024-01-01T00:00:00Z is 133485408000000000 ticks after 1601-01-01
    assert filetime_to_datetime(133485408000000000) == datetime(2024, 1, 1, tzinfo=UTC)
    assert filetime_to_datetime(133485408000000000 + 1_234_567) == datetime(
        2024, 1, 1, 0, 0, 0, 123000, tzinfo=UTC
    )
    assert filetime_to_datetime(0) is None
    assert filetime_to_datetime(2**63 - 1) is None


def test_object_guid_round_trip_uses_the_microsoft_layout() -> None:
    raw = bytes.fromhex("e004253f894fd3119a0c0305e82c3301")
    assert guid_from_bytes(raw) == "3f2504e0-4f89-11d3-9a0c-0305e82c3301"
    assert guid_to_bytes("3F2504E0-4F89-11D3-9A0C-0305E82C3301") == raw
    some = uuid.uuid4()
    assert guid_from_bytes(guid_to_bytes(str(some))) == str(some)


def test_user_account_control_bits() -> None:
    assert uac_is_disabled(0x202) and not uac_is_disabled(0x200)
    assert uac_with_disabled(0x200, True) == 0x202
    assert uac_with_disabled(0x10202, False) == 0x10200  # other bits are kept


def test_unicode_pwd_is_quoted_utf16le() -> None:
    assert unicode_pwd("Pässw0rd") == '"Pässw0rd"'.encode("utf-16-le")
    assert unicode_pwd("x")[:2] == b'"\x00'


def test_generalized_time() -> None:
    assert parse_generalized_time("20240501120000Z") == datetime(2024, 5, 1, 12, tzinfo=UTC)
    assert parse_generalized_time("20240501140000.5+0200") == datetime(
        2024, 5, 1, 12, 0, 0, 500000, tzinfo=UTC
    )
    assert parse_generalized_time(ADMIN_LOCK) is None
    with pytest.raises(ValueError):
        parse_generalized_time("yesterday")


def _compiler(profile=OPENLDAP) -> FilterCompiler:
    return FilterCompiler(
        profile, USER_CATALOGUE, lambda gid: None, lambda f: ["cn=g,ou=groups,dc=x"]
    )


def _compile(text: str, profile=OPENLDAP):
    return _compiler(profile).compile(bind(parse(text), USER_CATALOGUE))


@pytest.mark.parametrize(
    ("text", "ldap"),
    [
        ('userName eq "a*b(c)\\\\d"', r"(uid=a\2ab\28c\29\5cd)"),
        ('userName co "*"', r"(uid=*\2a*)"),
        ('userName sw "x)(uid=*"', r"(uid=x\29\28uid=\2a*)"),
        ('emails.value ew "@x.org"', "(mail=*@x.org)"),
        ('emails.value eq "é@x.org"', False),
        ('emails.value ne "é@x.org"', True),
        ('userName eq "nul\\u0000"', False),
        ("userName pr", "(uid=*)"),
        ("not (displayName pr)", "(!(displayName=*))"),
        # ordering: the directory's rule normalises (ﬁ sorts as fi), so the recheck orders
        ('userName lt "m"', "(uid=*)"),
        ('userName gt "m"', "(uid=*)"),
        ('not (userName gt "m")', True),
        # text: only the ASCII runs that NFKC and case folding keep, never narrower
        ('userName co "fi"', "(uid=*f*)"),
        ('not (userName co "fi")', True),
        ('userName sw "ß"', "(uid=*)"),
        ('userName sw "Ab\u00dfcd"', "(uid=a*c*)"),
        ('userName ew "\u00e9x"', "(uid=*x)"),
        ('emails.value co "\u212a"', "(mail=*)"),
        ('emails.value eq "\u212aim@x.org"', "(mail=kim@x.org)"),
        ('phoneNumbers.value co "-"', "(telephoneNumber=*)"),
        ('phoneNumbers.value eq "+1 555-0100"', "(telephoneNumber=+1*555*0100)"),
        ('name.familyName eq "x"', "(&(sn=x)(!(sn=-)))"),
        ('meta.created gt "2024-01-01T00:00:00.5Z"', "(createTimestamp>=20240101000001Z)"),
        ('meta.created ge "2024-01-01T00:00:00.5Z"', "(createTimestamp>=20240101000001Z)"),
        ('meta.created lt "2024-01-01T00:00:00.5Z"', "(createTimestamp<=20240101000000Z)"),
        ('meta.created lt "2024-01-01T00:00:00Z"', "(createTimestamp<=20231231235959Z)"),
        ('meta.created eq "2024-01-01T00:00:00.5Z"', False),
        ("active eq false", f"(pwdAccountLockedTime={ADMIN_LOCK})"),
        ("active ne false", f"(!(pwdAccountLockedTime={ADMIN_LOCK}))"),
        ("failedAttempts.password gt 0", "(pwdFailureTime=*)"),
        ("failedAttempts.password eq 0", "(!(pwdFailureTime=*))"),
        ("failedAttempts.password ge 0", True),
        ('id eq "3F2504E0-4F89-11D3-9A0C-0305E82C3301"', False),
        (
            'id eq "3f2504e0-4f89-11d3-9a0c-0305e82c3301"',
            "(entryUUID=3f2504e0-4f89-11d3-9a0c-0305e82c3301)",
        ),
        ('groups.value eq "no-such-group"', False),
        ('groups.display eq "g"', "(memberOf=cn=g,ou=groups,dc=x)"),
    ],
)
def test_openldap_compilation(text: str, ldap: object) -> None:
    assert _compile(text) == ldap


@pytest.mark.parametrize(
    "text",
    [
        'emails.value gt "a"',  # mail (IA5String) has no ordering rule
        'not (userName eq "a  b")',  # LDAP ignores the repeated space: cannot negate exactly
        'phoneNumbers.value ne "+1 555"',  # telephoneNumberMatch ignores spaces
        "failedAttempts.password eq 2",  # only zero/non-zero is recorded as such
        'id sw "3f"',
        'not (emails[value co "a" and value co "b"])',
    ],
)
def test_refused_nodes_are_named(text: str) -> None:
    with pytest.raises(UnsupportedFilter) as info:
        _compile(text)
    assert "cannot answer" in str(info.value)


def test_active_directory_compilation() -> None:
    guid = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"
    assert _compile(f'id eq "{guid}"', ACTIVE_DIRECTORY) == (
        r"(objectGUID=\e0\04\25\3f\89\4f\d3\11\9a\0c\03\05\e8\2c\33\01)"
    )
    assert _compile("active eq true", ACTIVE_DIRECTORY) == (
        "(!(userAccountControl:1.2.840.113556.1.4.803:=2))"
    )
    assert _compile('userName eq "bob"', ACTIVE_DIRECTORY) == "(sAMAccountName=bob)"
    with pytest.raises(UnsupportedFilter):
        _compile('userName gt "bob"', ACTIVE_DIRECTORY)


def test_a_refusal_comes_before_any_group_lookup() -> None:
    asked: list[str] = []

    def group_dn(group_id: str) -> str:
        asked.append(group_id)
        return "cn=g,ou=groups,dc=x"

    compiler = FilterCompiler(OPENLDAP, USER_CATALOGUE, group_dn, lambda f: [])
    tree = bind(
        parse(
            'groups.value eq "3f2504e0-4f89-11d3-9a0c-0305e82c3301"'
            ' and not (phoneNumbers.value co "1")'
        ),
        USER_CATALOGUE,
    )
    with pytest.raises(UnsupportedFilter):
        compiler.compile(tree)
    assert asked == []
