"""Custom attributes on a real slapd: where the values live, what the schema refuses, and
filters the matching rules cannot answer (refused before any I/O)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import ldap3
import pytest
from idconnect_ldap.testing import Slapd, slapd_available

from idconnect.backend import ConfigError, StoreUnavailable, UnsupportedFilter
from idconnect.core.schema import CUSTOM_SCHEMA

REASON = "ldap custom attributes test"
KIT_CLASSES = ["inetOrgPerson", "idcKitPerson"]


def _native(server: Slapd) -> ldap3.Connection:
    srv = ldap3.Server(server.host, port=server.port, get_info=ldap3.NONE)
    return ldap3.Connection(srv, server.root_dn, server.password, auto_bind=True)


def _entry(server: Slapd, account_id: str) -> tuple[str, dict[str, list[str]]]:
    conn = _native(server)
    conn.search(server.suffix, f"(entryUUID={account_id})", attributes=["*"])
    item = conn.response[0]
    conn.unbind()
    values = {k: [v.decode() for v in vs] for k, vs in item["raw_attributes"].items()}
    return item["dn"], values


def test_values_live_in_the_named_ldap_attributes(slapd_server, custom_store_factory) -> None:
    store = custom_store_factory(slapd_server, "openldap")
    made = store.create_account(
        {
            "userName": "native1",
            CUSTOM_SCHEMA: {
                "loyaltyPoints": 1200,
                "balance": "19.990",
                "newsletter": True,
                "memberSince": "2024-01-03T12:00:00.250Z",
                "interests": ["ski", "Ski", "golf"],
            },
        },
        reason=REASON,
    )
    assert made.id
    dn, entry = _entry(slapd_server, made.id)
    assert entry["idcLoyaltyPoints"] == ["1200"] and entry["idcBalance"] == ["19.99"]
    assert entry["idcNewsletter"] == ["TRUE"]
    assert entry["idcMemberSince"] == ["20240103120000.250Z"]
    assert entry["idcInterests"] == ["ski", "golf"]  # caseIgnoreMatch: Ski is ski
    assert store.get_account(made.id).attributes["interests"] == ("ski", "golf")

    # values another program wrote, in other forms, read typed and found by filters
    conn = _native(slapd_server)
    conn.modify(
        dn,
        {
            "idcBalance": [(ldap3.MODIFY_REPLACE, ["019.990"])],
            "idcMemberSince": [(ldap3.MODIFY_REPLACE, ["20240101000000.5Z"])],
        },
    )
    assert conn.result["result"] == 0, conn.result
    conn.unbind()
    shown = store.get_account(made.id).attributes
    assert shown["balance"] == Decimal("19.99")
    assert shown["memberSince"] == datetime(2024, 1, 1, 0, 0, 0, 500000, tzinfo=UTC)
    for text in (
        "balance eq 19.99",
        'memberSince gt "2024-01-01T00:00:00Z"',
        'memberSince eq "2024-01-01T00:00:00.500Z"',
        'not (memberSince le "2024-01-01T00:00:00Z")',
    ):
        assert [a.id for a in store.iter_accounts(text)] == [made.id], text
    assert store.search_accounts('memberSince eq "2024-01-01T00:00:00Z"').items == ()

    store.update_account(made.id, {"interests": None, "loyaltyPoints": 7}, reason=REASON)
    _, entry = _entry(slapd_server, made.id)
    assert "idcInterests" not in entry and entry["idcLoyaltyPoints"] == ["7"]


@pytest.mark.parametrize(
    ("declared", "named", "why"),
    [
        ({"tier": {"type": "string"}}, "tier", "needs source"),
        ({"tier": {"type": "string", "source": "idcNoSuch"}}, "tier", "defines no such"),
        ({"tier": {"type": "integer", "source": "employeeType"}}, "tier", "INTEGER syntax"),
        ({"tier": {"type": "string", "source": "mail"}}, "tier", "emails.value"),
        (
            {"tags": {"type": "string", "multi_valued": True, "source": "idcLoyaltyTier"}},
            "tags",
            "SINGLE-VALUE",
        ),
        ({"changed": {"type": "dateTime", "source": "pwdChangedTime"}}, "changed", "editable"),
    ],
)
def test_declarations_the_directory_cannot_hold_are_refused(
    slapd_server, store_factory, declared, named, why
) -> None:
    with pytest.raises(ConfigError, match=why) as info:
        store = store_factory(
            slapd_server, "openldap", attributes=declared, user_object_classes=KIT_CLASSES
        )
        _ = store.catalogue
    assert named in str(info.value)


def test_a_directory_maintained_attribute_reads_when_not_editable(
    slapd_server, store_factory
) -> None:
    store = store_factory(
        slapd_server,
        "openldap",
        attributes={"changed": {"type": "dateTime", "source": "pwdChangedTime", "editable": False}},
    )
    made = store.create_account({"userName": "changer"}, reason=REASON)
    assert made.id and "changed" not in made.attributes
    store.set_password(made.id, "A-long-enough-passw0rd", reason=REASON)
    changed = store.get_account(made.id).attributes["changed"]
    assert isinstance(changed, datetime) and changed.tzinfo is not None
    assert [a.id for a in store.iter_accounts("changed pr")] == [made.id]


def test_the_table_form_of_the_built_in_mapping(slapd_server, store_factory) -> None:
    store = store_factory(
        slapd_server,
        "openldap",
        attributes={"lastLogin": {"source": ""}, "phoneNumbers.value": {"source": "mobile"}},
    )
    assert "lastLogin" not in store.catalogue
    made = store.create_account(
        {"userName": "mobile1", "phoneNumbers": [{"value": "+41 44 123 45 67"}]}, reason=REASON
    )
    assert made.id
    _, entry = _entry(slapd_server, made.id)
    assert entry["mobile"] == ["+41 44 123 45 67"] and "telephoneNumber" not in entry
    assert [a.id for a in store.iter_accounts('phoneNumbers.value sw "+41"')] == [made.id]


def test_filters_the_rules_cannot_answer_are_refused_before_any_io(store_factory) -> None:
    if not slapd_available():
        pytest.skip("slapd is not installed")
    server = Slapd()
    server.start()
    try:
        store = store_factory(
            server,
            "openldap",
            attributes={
                "tier": {"type": "string", "source": "employeeType"},  # no ORDERING rule
                "code": {"type": "string", "source": "idcAccountCode"},  # caseExactMatch
                "note": {"type": "string", "source": "idcInternalNote"},  # no SUBSTR rule
            },
            user_object_classes=KIT_CLASSES,
        )
        assert {"tier", "code", "note"} <= {d.path for d in store.catalogue}
        server.stop()
        for text, why in (
            ('tier gt "a"', "no ordering rule"),
            ('code eq "x"', "no equality rule for case-insensitive"),
            ('note co "x"', "no substring rule"),
            ('note eq "straße"', "no substring rule"),
        ):
            with pytest.raises(UnsupportedFilter, match=why):
                store.search_accounts(text)
        with pytest.raises(StoreUnavailable):  # what any answerable filter meets now
            store.search_accounts('note eq "x"')
    finally:
        server.close()
