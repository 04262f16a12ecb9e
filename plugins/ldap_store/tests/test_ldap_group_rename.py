"""Renaming groups on slapd: the entry moves (modrdn), its entryUUID and its members stay.

The conformance kit checks renaming through the facade; these tests look at the directory
itself: the new DN, the same entryUUID, the members' ``memberOf`` rewritten by the memberof
overlay, a case-only rename, and a group whose RDN is not its name attribute.
"""

from __future__ import annotations

import ldap3
import pytest
from idconnect_ldap.testing import Slapd

from idconnect import Account, Conflict
from idconnect.testing.suite import REASON


def admin(server: Slapd) -> ldap3.Connection:
    srv = ldap3.Server(server.host, port=server.port, get_info=ldap3.NONE)
    return ldap3.Connection(srv, server.root_dn, server.password, auto_bind=True)


def _native(server, group_id: str) -> tuple[str, list[str]]:
    conn = admin(server)
    conn.search(server.suffix, f"(entryUUID={group_id})", attributes=["cn"])
    assert len(conn.response) == 1, conn.response
    found = conn.response[0]
    conn.unbind()
    return str(found["dn"]), list(found["attributes"]["cn"])


def _member_of(server, account_id: str) -> list[str]:
    conn = admin(server)
    conn.search(server.suffix, f"(entryUUID={account_id})", attributes=["memberOf"])
    values = list(conn.response[0]["attributes"].get("memberOf") or [])
    conn.unbind()
    return values


@pytest.fixture
def store(slapd_server, store_factory):
    return store_factory(slapd_server, "openldap")


def test_rename_moves_the_entry_and_keeps_its_id(slapd_server, store) -> None:
    member = store.create_account(Account(user_name="rename.member"), reason=REASON)
    group = store.create_group({"displayName": "support"}, reason=REASON)
    store.add_to_group(group.id, [member.id], reason=REASON).raise_for_failures()
    old_dn, _ = _native(slapd_server, group.id)
    assert old_dn.lower().startswith("cn=support,")

    renamed = store.rename_group(group.id, "Support, Tier 2", reason=REASON)

    assert (renamed.id, renamed.display_name, renamed.members) == (
        group.id,
        "Support, Tier 2",
        (member.id,),
    )
    assert renamed.version != group.version
    new_dn, names = _native(slapd_server, group.id)
    parent = old_dn.split(",", 1)[1]
    assert new_dn in (f"cn=Support\\, Tier 2,{parent}", f"cn=Support\\2C Tier 2,{parent}")
    assert names == ["Support, Tier 2"], "the old RDN value is deleted"
    assert [dn.lower() for dn in _member_of(slapd_server, member.id)] == [new_dn.lower()]
    [ref] = store.get_account(member.id).groups
    assert (ref.value, ref.display) == (group.id, "Support, Tier 2")
    found = store.iter_accounts('groups.display eq "Support, Tier 2"')
    assert [a.id for a in found] == [member.id]
    [event] = [e for e in store.events() if e.action == "rename_group"]
    assert event.changed == ("displayName",) and event.reason == REASON


def test_a_case_only_rename_and_a_taken_name(slapd_server, store) -> None:
    group = store.create_group({"displayName": "devs"}, reason=REASON)
    store.create_group({"displayName": "ops"}, reason=REASON)
    assert store.rename_group(group.id, "Devs", reason=REASON).display_name == "Devs"
    assert _native(slapd_server, group.id)[1] == ["Devs"]
    with pytest.raises(Conflict, match="a group named 'OPS' exists"):
        store.rename_group(group.id, "OPS", reason=REASON)
    assert store.get_group(group.id).display_name == "Devs"


def test_a_group_named_by_another_rdn_keeps_its_dn(slapd_server, store) -> None:
    groups_base = store.config.settings["groups_base"]
    dn = f"ou=legacy,{groups_base}"
    conn = admin(slapd_server)
    conn.add(dn, ["groupOfNames"], {"cn": "legacy", "member": [slapd_server.placeholder]})
    assert conn.result["result"] == 0, conn.result
    conn.search(dn, "(objectClass=*)", ldap3.BASE, attributes=["entryUUID"])
    [group_id] = conn.response[0]["attributes"]["entryUUID"]
    conn.unbind()

    renamed = store.rename_group(group_id, "legacy-ops", reason=REASON)

    assert (renamed.id, renamed.display_name) == (group_id, "legacy-ops")
    assert _native(slapd_server, group_id) == (dn, ["legacy-ops"])
