"""The LDAP store on a plain directory: no memberof, no ppolicy, no sssvlv overlay.

The directory is the one the kit runs on too (``slapd_plain``), seeded with
``data/plain_directory.ldif``: posix accounts in ``ou=staff`` (one level; ``ou=interns`` below it
is outside), ``ou=contractors,ou=external`` (subtree; ``ou=external`` itself is outside),
groupOfUniqueNames groups. The store is configured as the README's "plain OpenLDAP" example.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

import ldap3
import pytest
from idconnect_ldap.testing import Slapd, slapd_available

import idconnect
from idconnect import Account, NotSupported
from idconnect.backend import FilterError, IdconnectError, InvalidInput
from idconnect.testing.servers import require_server

REASON = "plain directory test"
SEEDED = "ou=seeded,dc=example,dc=org"
PASSWORD_ENV = "IDCONNECT_LDAP_PLAIN_TEST_PASSWORD"


def plain_settings(server: Any, **extra: Any) -> dict[str, Any]:
    """The README's plain-OpenLDAP config, on the seeded entries."""
    return {
        "plugin": "ldap",
        "url": server.url,
        "bind_dn": server.service_dn,
        "bind_password_env": PASSWORD_ENV,
        "users_bases": [
            {"base": f"ou=staff,{SEEDED}", "scope": "one"},
            {"base": f"ou=contractors,ou=external,{SEEDED}", "scope": "sub"},
        ],
        "groups_base": f"ou=groups,{SEEDED}",
        "group_object_class": "groupOfUniqueNames",
        "member_attribute": "uniqueMember",
        "user_object_classes": ["inetOrgPerson", "posixAccount", "shadowAccount"],
        "status": "shadow",
        "new_entry_attributes": {"homeDirectory": "/home/{userName}", "gidNumber": 10000},
        "allocate": {"attribute": "uidNumber", "low": 2000, "high": 2999},
        **extra,
    }


@pytest.fixture
def connect(slapd_plain) -> Iterator[Callable[..., idconnect.Store]]:
    """Open stores on the seeded entries; ``None`` values drop a setting."""
    hubs: list[idconnect.Hub] = []
    os.environ[PASSWORD_ENV] = slapd_plain.password

    def make(**extra: Any) -> idconnect.Store:
        settings = {k: v for k, v in plain_settings(slapd_plain, **extra).items() if v is not None}
        hub = idconnect.connect({"hub": {"state": "sqlite://"}, "stores": {"plain": settings}})
        hubs.append(hub)
        return hub.store("plain")

    yield make
    for hub in hubs:
        hub.close()


def native(server: Any) -> ldap3.Connection:
    srv = ldap3.Server(server.host, port=server.port, get_info=ldap3.NONE)
    return ldap3.Connection(srv, server.root_dn, server.password, auto_bind=True)


def entry(server: Any, dn: str) -> dict[str, Any]:
    conn = native(server)
    conn.search(dn, "(objectClass=*)", ldap3.BASE, attributes=["*", "+"])
    found = dict(conn.response[0]["attributes"])
    conn.unbind()
    return found


def by_name(store: idconnect.Store) -> dict[str, Account]:
    return {a.user_name: a for a in store.iter_accounts()}


# -- discovery ------------------------------------------------------------------------------------


def test_what_the_directory_lacks_is_absent_from_capabilities_and_catalogue(connect) -> None:
    store = connect()
    caps, paths = store.capabilities, {d.path for d in store.catalogue}
    assert "reset_failed_attempts" not in caps  # no ppolicy: nothing counts failures
    assert {"set_account_enabled", "bulk_set_accounts_enabled"} <= caps  # shadowExpire works
    assert not {p for p in paths if p.startswith("failedAttempts")}
    assert {"active", "groups.value", "groups.display"} <= paths
    # configured from the defaults (ppolicy status), the directory says there is none
    default = connect(status=None)
    assert not default.capabilities & {
        "set_account_enabled",
        "bulk_set_accounts_enabled",
        "reset_failed_attempts",
    }
    assert "active" not in {d.path for d in default.catalogue}
    default.refresh()
    assert "set_account_enabled" not in default.capabilities


def test_missing_features_are_not_supported_before_any_write(connect, slapd_plain) -> None:
    store = connect(status=None)
    alice = by_name(store)["alice"]
    dn = f"uid=alice,ou=staff,{SEEDED}"
    before = entry(slapd_plain, dn)["entryCSN"]
    with pytest.raises(NotSupported):
        store.disable_accounts([alice.id], reason=REASON)
    with pytest.raises(NotSupported):
        store.reset_failed_attempts(alice.id, reason=REASON)
    with pytest.raises(FilterError) as info:
        store.search_accounts("active eq false")
    assert "active" in str(info.value)
    with pytest.raises(InvalidInput):
        store.create_account(Account(user_name="never", active=False), reason=REASON)
    assert entry(slapd_plain, dn)["entryCSN"] == before, "nothing was written"
    conn = native(slapd_plain)
    conn.search(SEEDED, "(uid=never)", attributes=["1.1"])
    assert conn.response == [] or all(i["type"] != "searchResEntry" for i in conn.response)
    conn.unbind()
    assert [e.action for e in store.events(alice.id)] == []


# -- bases ----------------------------------------------------------------------------------------


def test_several_bases_each_with_its_scope(connect) -> None:
    names = set(by_name(connect()))
    assert names == {"alice", "bob", "carol", "dave"}  # not ivan (below a one-level base), not eve


# -- groups without memberOf ----------------------------------------------------------------------


def test_groups_on_accounts_come_from_unique_member(connect) -> None:
    store = connect()
    accounts = by_name(store)
    shown = {n: sorted(g.display or "" for g in a.groups) for n, a in accounts.items()}
    assert shown == {
        "alice": ["admins", "devs"],
        "bob": ["devs"],
        "carol": ["admins"],
        "dave": ["devs"],
    }
    assert store.get_account(accounts["carol"].id).groups == accounts["carol"].groups


def test_group_filters_without_member_of(connect) -> None:
    store = connect()
    groups = {g.display_name: g.id for g in store.iter_groups()}

    def names(text: str) -> set[str]:
        return {a.user_name for a in store.iter_accounts(text)}

    assert names(f'groups.value eq "{groups["admins"]}"') == {"alice", "carol"}
    assert names('groups.display eq "devs"') == {"alice", "bob", "dave"}
    assert names('groups.display sw "adm" and userName ne "alice"') == {"carol"}
    assert names('not (groups.display eq "devs")') == {"carol"}
    assert names("groups.value pr") == {"alice", "bob", "carol", "dave"}
    assert names(f'groups.value eq "{groups["empty"]}"') == set()
    assert store.get_group(groups["empty"]).members == ()


def test_membership_changes_show_on_accounts(connect, slapd_plain) -> None:
    store = connect()
    accounts = by_name(store)
    group = store.create_group({"displayName": "plain-new"}, reason=REASON)
    assert store.get_group(group.id).members == ()
    placeholder = entry(slapd_plain, f"cn=plain-new,ou=groups,{SEEDED}")["uniqueMember"]
    assert placeholder == [f"ou=groups,{SEEDED}"], "the placeholder is an entry of the directory"
    store.add_to_group(group.id, [accounts["bob"].id], reason=REASON).raise_for_failures()
    shown = {g.display for g in store.get_account(accounts["bob"].id).groups}
    assert shown == {"devs", "plain-new"}
    assert {a.user_name for a in store.iter_accounts('groups.display eq "plain-new"')} == {"bob"}
    store.remove_from_group(group.id, [accounts["bob"].id], reason=REASON).raise_for_failures()
    assert store.get_group(group.id).members == ()
    store.delete_group(group.id, reason=REASON)


# -- status by the configured attribute -----------------------------------------------------------


@pytest.mark.parametrize("means", ["disabled", "enabled"])
def test_status_by_a_flag_attribute(connect, slapd_plain, means: str) -> None:
    store = connect(
        status="flag",
        status_attribute="nsAccountLock",
        status_flag_means=means,
        user_object_classes=["inetOrgPerson", "posixAccount", "idcLockable"],
    )
    assert {"set_account_enabled", "bulk_set_accounts_enabled"} <= store.capabilities
    account = store.create_account(Account(user_name=f"flag.{means}"), reason=REASON)
    dn = f"uid=flag.{means},ou=staff,{SEEDED}"
    flag = entry(slapd_plain, dn).get("nsAccountLock")
    assert flag == (["TRUE"] if means == "enabled" else None)
    assert store.get_account(account.id).active is True
    store.disable_accounts([account.id], reason=REASON).raise_for_failures()
    flag = entry(slapd_plain, dn).get("nsAccountLock")
    assert flag == (None if means == "enabled" else ["TRUE"])
    assert store.get_account(account.id).active is False
    mine = 'userName sw "flag."'
    assert [a.id for a in store.iter_accounts(f"{mine} and active eq false")] == [account.id]
    assert [a.id for a in store.iter_accounts(f"{mine} and not (active eq true)")] == [account.id]
    store.enable_accounts([account.id], reason=REASON).raise_for_failures()
    assert store.get_account(account.id).active is True
    assert list(store.iter_accounts(f"{mine} and active eq false")) == []
    store.delete_accounts([account.id], reason=REASON).raise_for_failures()


def test_status_by_shadow_expire(connect, slapd_plain) -> None:
    store = connect()
    bob = by_name(store)["bob"]
    dn = f"uid=bob,ou=staff,{SEEDED}"
    store.disable_accounts([bob.id], reason=REASON).raise_for_failures()
    assert entry(slapd_plain, dn)["shadowExpire"] == ["1"]
    assert {a.user_name for a in store.iter_accounts("active eq false")} == {"bob"}
    assert "bob" not in {a.user_name for a in store.iter_accounts("not (active eq false)")}
    conn = native(slapd_plain)  # an expiry in the future leaves the account enabled
    conn.modify(dn, {"shadowExpire": [(ldap3.MODIFY_REPLACE, ["99999"])]})
    conn.unbind()
    assert store.get_account(bob.id).active is True
    assert "bob" in {a.user_name for a in store.iter_accounts("active eq true")}
    assert "bob" not in {a.user_name for a in store.iter_accounts("active eq false")}
    store.enable_accounts([bob.id], reason=REASON).raise_for_failures()
    assert "shadowExpire" not in entry(slapd_plain, dn)


# -- creating posix accounts ----------------------------------------------------------------------


def test_posix_accounts_from_templates_and_an_allocated_uid_number(connect, slapd_plain) -> None:
    store = connect()
    first = store.create_account(Account(user_name="posix.one"), reason=REASON)
    made = entry(slapd_plain, f"uid=posix.one,ou=staff,{SEEDED}")
    assert made["homeDirectory"] == ["/home/posix.one"] and made["gidNumber"] == ["10000"]
    assert made["uidNumber"] == ["2007"]  # above the largest in use (dave: 2006)
    conn = native(slapd_plain)  # another tool takes the next number meanwhile
    conn.add(
        f"uid=other.tool,ou=contractors,ou=external,{SEEDED}",
        ["inetOrgPerson", "posixAccount"],
        {
            "uid": "other.tool",
            "cn": "o",
            "sn": "o",
            "uidNumber": 2008,
            "gidNumber": 1,
            "homeDirectory": "/x",
        },
    )
    conn.unbind()
    second = store.create_account(Account(user_name="posix.two"), reason=REASON)
    assert entry(slapd_plain, f"uid=posix.two,ou=staff,{SEEDED}")["uidNumber"] == ["2009"]
    elsewhere = connect()  # a fresh store (another process) finds the largest number itself
    third = elsewhere.create_account(Account(user_name="posix.three"), reason=REASON)
    assert entry(slapd_plain, f"uid=posix.three,ou=staff,{SEEDED}")["uidNumber"] == ["2010"]
    store.delete_accounts([first.id, second.id, third.id], reason=REASON).raise_for_failures()
    conn = native(slapd_plain)
    conn.delete(f"uid=other.tool,ou=contractors,ou=external,{SEEDED}")
    conn.unbind()


def test_refusals_carry_the_directory_diagnostic(connect) -> None:
    store = connect(new_entry_attributes=None, allocate=None)
    with pytest.raises(IdconnectError) as info:
        store.create_account(Account(user_name="no.posix"), reason=REASON)
    assert not isinstance(info.value, InvalidInput), "the input was fine: the settings are not"
    text = str(info.value)
    assert "objectClassViolation (65)" in text
    assert "requires attribute" in text and "plain" in text


# -- paging without the sort control --------------------------------------------------------------


@pytest.fixture(scope="module")
def many(slapd_plain) -> Iterator[str]:
    """1,200 accounts in a base of their own (beyond the service account's size limit of 500)."""
    base = f"ou=many,{SEEDED}"
    conn = native(slapd_plain)
    conn.add(base, ["organizationalUnit"])
    for n in range(1200):
        conn.add(
            f"uid=m{n:04d},{base}", ["inetOrgPerson"], {"uid": f"m{n:04d}", "cn": "m", "sn": "m"}
        )
    conn.unbind()
    yield base


def test_cursor_paging_without_the_sort_control(connect, many) -> None:
    store = connect(users_bases=[{"base": many, "scope": "one"}], status="none")
    ids = [a.id for a in store.iter_accounts(page_size=97)]
    assert len(ids) == 1200 == len(set(ids))
    assert ids == sorted(ids), "pages follow the entryUUID order"
    page = store.search_accounts('userName sw "m1"', count=150, include_total=True)
    assert page.total == 200 and len(page.items) == 150 and page.next_cursor
    rest = store.search_accounts('userName sw "m1"', count=150, cursor=page.next_cursor)
    seen = [a.user_name for a in (*page.items, *rest.items)]
    assert sorted(seen) == [f"m{n:04d}" for n in range(1000, 1200)] and rest.next_cursor is None


def test_cursor_resumes_in_another_process_without_the_sort_control(connect, many, slapd_plain):
    store = connect(users_bases=[{"base": many, "scope": "one"}], status="none")
    first = store.search_accounts(count=300)
    config = {"stores": {"plain": dict(store.config.settings, plugin="ldap")}}
    script = (
        "import json, sys, idconnect\n"
        "config, cursor = json.loads(sys.argv[1]), sys.argv[2]\n"
        "config['hub'] = {'state': 'sqlite://'}\n"
        "with idconnect.connect(config) as hub:\n"
        "    page = hub.store('plain').search_accounts(count=300, cursor=cursor)\n"
        "    print(json.dumps([[a.id for a in page.items], page.next_cursor]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", script, json.dumps(config), first.next_cursor],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, PASSWORD_ENV: slapd_plain.password},
    )
    second, cursor = json.loads(out.stdout)
    seen = [a.id for a in first.items] + second
    while cursor:
        page = store.search_accounts(count=300, cursor=cursor)
        seen += [a.id for a in page.items]
        cursor = page.next_cursor
    assert len(second) == 300
    assert seen == sorted(a.id for a in store.iter_accounts(page_size=1000))
    assert len(seen) == 1200


# -- refresh ---------------------------------------------------------------------------------------


def test_refresh_reads_what_the_directory_supports_again(tmp_path) -> None:
    """The same URL first serves a plain directory, then one with ppolicy: refresh notices."""
    if not slapd_available():
        require_server("slapd is not installed", "apt-get install -y slapd ldap-utils")
    plain, full = Slapd(overlays=False), Slapd()
    full.port = plain.port
    base = "ou=refresh,dc=example,dc=org"
    try:
        for server in (plain, full):
            ldif = tmp_path / f"{id(server)}.ldif"
            ldif.write_text(
                f"dn: {base}\nobjectClass: organizationalUnit\nou: refresh\n\n"
                f"dn: ou=groups,{base}\nobjectClass: organizationalUnit\nou: groups\n"
            )
            server.load_ldif(ldif)
        plain.start()
        os.environ[PASSWORD_ENV] = plain.password
        settings = {
            "plugin": "ldap",
            "url": plain.url,
            "bind_dn": plain.service_dn,
            "bind_password_env": PASSWORD_ENV,
            "users_base": base,
            "groups_base": f"ou=groups,{base}",
        }
        with idconnect.connect({"hub": {"state": "sqlite://"}, "stores": {"d": settings}}) as hub:
            store = hub.store("d")
            assert "set_account_enabled" not in store.capabilities
            assert "failedAttempts.password" not in {d.path for d in store.catalogue}
            plain.stop()
            full.start()
            assert "set_account_enabled" not in store.capabilities, "learnt once, kept"
            store.refresh()
            assert {"set_account_enabled", "reset_failed_attempts"} <= store.capabilities
            assert "failedAttempts.password" in {d.path for d in store.catalogue}
    finally:
        plain.close()
        full.close()
