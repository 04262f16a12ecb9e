"""Account activity from the directory: OpenLDAP's access log, else ppolicy's attributes.

Real binds (right and wrong passwords) and a password reset through the store, then
``store.activity``: with ``accesslog_base`` every login and the reset come from the access log,
merged with the audit trail newest first and paged without loss; without it the entry's ppolicy
attributes give the failures since the last success; a plain directory (no overlay) has no
store-side activity at all (``NotSupported`` for store kinds alone), only the audit part.
"""

from __future__ import annotations

from datetime import timedelta

import ldap3
import pytest
from idconnect_ldap.testing import ACCESSLOG_SUFFIX

from idconnect import Account, NotSupported
from idconnect.backend import utc_now

REASON = "ldap activity test"


def _bind(server, dn: str, password: str) -> bool:
    srv = ldap3.Server(server.host, port=server.port, get_info=ldap3.NONE)
    conn = ldap3.Connection(srv, dn, password)
    try:
        return bool(conn.bind())
    finally:
        conn.unbind()


def _logins(server, store, account_id: str, entry_dn) -> None:
    store.set_password(account_id, "Right-Password-9", reason=REASON)
    dn = entry_dn(server, account_id)
    assert _bind(server, dn, "Right-Password-9")
    assert not _bind(server, dn, "wrong-password")
    assert not _bind(server, dn, "wrong-password")


@pytest.fixture
def dn_of():
    def find(server, account_id: str) -> str:
        srv = ldap3.Server(server.host, port=server.port, get_info=ldap3.NONE)
        conn = ldap3.Connection(srv, server.root_dn, server.password, auto_bind=True)
        conn.search(server.suffix, f"(entryUUID={account_id})", attributes=["1.1"])
        dn = str(conn.response[0]["dn"])
        conn.unbind()
        return dn

    return find


def test_the_access_log_gives_logins_and_password_resets(slapd_server, store_factory, dn_of):
    store = store_factory(slapd_server, "openldap", accesslog_base=ACCESSLOG_SUFFIX)
    account = store.create_account(Account(user_name="logged"), reason=REASON)
    assert account.id and "list_activity" in store.capabilities
    started = utc_now() - timedelta(seconds=1)
    _logins(slapd_server, store, account.id, dn_of)
    store_kinds = ["login_succeeded", "login_failed", "password_reset", "password_changed"]
    page = store.activity(account.id, kinds=store_kinds)
    assert [r.kind.value for r in page.items] == [
        "login_failed",
        "login_failed",
        "login_succeeded",
        "password_reset",
    ]
    assert all(r.source.value == "store" and r.at >= started for r in page.items)
    everything = store.activity(account.id, count=100).items
    assert {"create_account", "set_password"} <= {r.action for r in everything if r.action}
    assert [r.at for r in everything] == sorted((r.at for r in everything), reverse=True)
    walked, cursor = [], None
    while True:  # pages of two: nothing lost or repeated across the merge of both sources
        part = store.activity(account.id, count=2, cursor=cursor)
        walked += part.items
        cursor = part.next_cursor
        if cursor is None:
            break
    assert [(r.source, r.id) for r in walked] == [(r.source, r.id) for r in everything]
    later = store.activity(account.id, since=utc_now() + timedelta(hours=1))
    assert later.items == ()


def test_without_an_access_log_ppolicy_gives_the_failures(slapd_server, store_factory, dn_of):
    store = store_factory(slapd_server, "openldap")
    account = store.create_account(Account(user_name="unlogged"), reason=REASON)
    assert account.id
    _logins(slapd_server, store, account.id, dn_of)
    kinds = [r.kind.value for r in store.activity(account.id, kinds=["login_failed"]).items]
    assert kinds == ["login_failed", "login_failed"]


def test_a_plain_directory_has_only_the_audit_part(slapd_plain, store_factory):
    store = store_factory(slapd_plain, "plain")
    assert "list_activity" not in store.capabilities
    account = store.create_account(Account(user_name="plain.activity"), reason=REASON)
    assert account.id
    assert [r.action for r in store.activity(account.id).items] == ["create_account"]
    with pytest.raises(NotSupported):
        store.activity(account.id, kinds=["login_failed"])
