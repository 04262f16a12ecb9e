"""Directory behaviour through the facade on a real slapd: paging, cursors, ppolicy, outages."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import attrs
import ldap3
import pytest
from hypothesis import HealthCheck, given, settings
from idconnect_ldap.testing import Slapd, slapd_available

from idconnect import Account, Email, Name, NotFound, NotSupported, StoreUnavailable
from idconnect.backend import UnsupportedFilter, evaluate, values_at
from idconnect.testing.strategies import filters

REASON = "ldap behaviour test"


def _native(server: Slapd) -> ldap3.Connection:
    srv = ldap3.Server(server.host, port=server.port, get_info=ldap3.NONE)
    return ldap3.Connection(srv, server.root_dn, server.password, auto_bind=True)


def _bind(server: Slapd, dn: str, password: str) -> bool:
    srv = ldap3.Server(server.host, port=server.port, get_info=ldap3.NONE)
    return bool(ldap3.Connection(srv, dn, password).bind())


HOSTILE_NAMES = ["*", "(", ")", "\\", "a*b", "x)(uid=*", "é", "Ωmega", "back\\slash", "p(a)r"]


@pytest.fixture(scope="module")
def fuzz_store(slapd_server, store_factory, failed_logins):
    store = store_factory(slapd_server, "openldap")
    accounts = []
    for n, piece in enumerate(HOSTILE_NAMES):
        accounts.append(
            store.create_account(
                Account(
                    user_name=f"fz{n}{piece}",
                    display_name=f"{piece} {n}" if n % 2 else None,
                    name=Name(given_name=f"G{piece}", family_name="Fam" if n % 3 else None),
                    emails=(Email(value=f"fz{n}@example.org"),) if n % 4 else (),
                    organization="acme" if n % 2 else "Globex",
                ),
                reason=REASON,
            )
        )
    store.disable_accounts([a.id for a in accounts[::3]], reason=REASON)
    failed_logins(slapd_server, accounts[1].id, 2)
    return store


def test_hostile_values_never_widen_or_break_a_search(fuzz_store) -> None:
    store = fuzz_store
    accounts = [store.get_account(a.id) for a in store.iter_accounts()]
    assert len(accounts) == len(HOSTILE_NAMES)
    values: dict[str, list[object]] = {}
    for definition in store.catalogue:
        values[definition.path] = [v for a in accounts for v in values_at(a, definition.path)]
    answered = []

    @settings(
        max_examples=150,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(filters(store.catalogue, values, allow_nul=True))
    def check(tree) -> None:
        try:
            found = [a.id for a in store.iter_accounts(tree, page_size=3)]
        except UnsupportedFilter:
            return
        answered.append(tree)
        assert len(found) == len(set(found))
        expected = {a.id for a in accounts if evaluate(tree, a, store.catalogue)}
        assert set(found) == expected, tree

    check()
    assert len(answered) >= 100


def test_listing_beyond_the_server_size_limit(slapd_server, store_factory) -> None:
    """The service account has a size limit of 500; paged reads list 1,200 entries."""
    store = store_factory(slapd_server, "openldap")
    base = store.config.settings["users_base"]
    conn = _native(slapd_server)
    for n in range(1200):
        conn.add(
            f"uid=bulk{n:04d},{base}",
            ["inetOrgPerson"],
            {"uid": f"bulk{n:04d}", "cn": "b", "sn": "b"},
        )
    conn.unbind()
    ids = [a.id for a in store.iter_accounts(page_size=1000)]
    assert len(ids) == 1200 == len(set(ids))
    assert ids == sorted(ids), "the stable order is the entryUUID order"
    page = store.search_accounts('userName sw "bulk"', count=1000, include_total=True)
    assert page.total == 1200 and len(page.items) == 1000


def _record_controls(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Record the control OIDs of every search sent from now on (the searches still run)."""
    sent: list[list[str]] = []
    original = ldap3.Connection.search

    def search(self, *args, **kwargs):
        sent.append([c[0] for c in kwargs.get("controls") or ()])
        return original(self, *args, **kwargs)

    monkeypatch.setattr(ldap3.Connection, "search", search)
    return sent


def test_pages_are_id_windows_the_sort_control_only_without_an_ordered_id(
    slapd_server, store_factory, monkeypatch
) -> None:
    """With an ordered entryUUID no page asks the server to sort every match (sssvlv is loaded);
    a directory whose id has no ordering rule (as Active Directory's objectGUID) pages with it."""
    from idconnect_ldap.protocol import SORT_OID

    store = store_factory(slapd_server, "openldap")
    base = store.config.settings["users_base"]
    conn = _native(slapd_server)
    for n in range(300):
        conn.add(
            f"uid=win{n:04d},{base}",
            ["inetOrgPerson"],
            {"uid": f"win{n:04d}", "cn": "w", "sn": "w"},
        )
    conn.unbind()
    view = store.backend.view
    assert SORT_OID in view.directory.controls
    sent = _record_controls(monkeypatch)
    windows = [a.id for a in store.iter_accounts(page_size=40)]
    assert len(windows) == 300 == len(set(windows)) and windows == sorted(windows)
    assert sent and not any(SORT_OID in oids for oids in sent)

    directory = view.directory
    unordered = attrs.evolve(directory, ordered=directory.ordered - {"entryuuid"})
    monkeypatch.setattr(store.backend, "_view", store.backend._learn(unordered))
    sent.clear()
    assert [a.id for a in store.iter_accounts(page_size=40)] == windows
    assert any(SORT_OID in oids for oids in sent)


def test_one_page_is_read_unsorted_and_ordered_by_id(slapd_server, store_factory) -> None:
    """count+1 matches take the sorted keyset path; count or fewer come back in one page."""
    store = store_factory(slapd_server, "openldap")
    for n in range(6):
        store.create_account(Account(user_name=f"one{n}"), reason=REASON)
    every = sorted(a.id for a in store.iter_accounts('userName sw "one"'))
    fits = store.search_accounts('userName sw "one"', count=6, include_total=True)
    assert [a.id for a in fits.items] == every and fits.next_cursor is None and fits.total == 6
    over = store.search_accounts('userName sw "one"', count=5, include_total=True)
    assert [a.id for a in over.items] == every[:5] and over.total == 6
    rest = store.search_accounts('userName sw "one"', count=5, cursor=over.next_cursor)
    assert [a.id for a in rest.items] == every[5:] and rest.next_cursor is None


def test_bulk_disable_pipelines_beyond_the_window(slapd_server, store_factory) -> None:
    """More modifies than the pipeline window, an unknown id in the middle: per-account outcomes."""
    store = store_factory(slapd_server, "openldap")
    base = store.config.settings["users_base"]
    conn = _native(slapd_server)
    for n in range(450):
        conn.add(
            f"uid=pipe{n:04d},{base}",
            ["inetOrgPerson"],
            {"uid": f"pipe{n:04d}", "cn": "p", "sn": "p"},
        )
    conn.unbind()
    ids = [a.id for a in store.iter_accounts('userName sw "pipe"', page_size=1000)]
    unknown = "00000000-0000-0000-0000-000000000000"
    asked = [*ids[:200], unknown, *ids[200:]]
    result = store.disable_accounts(asked, reason=REASON)
    assert [o.account_id for o in result.outcomes] == asked
    assert [o.account_id for o in result.failed] == [unknown]
    assert isinstance(result.failed[0].error, NotFound)
    assert not any(a.active for a in store.iter_accounts('userName sw "pipe"'))
    assert store.search_accounts('userName sw "pipe" and active eq true').items == ()
    again = store.enable_accounts(ids, reason=REASON)
    assert again.ok and all(a.active for a in store.iter_accounts('userName sw "pipe"'))


def test_pipelined_modifies_report_each_result(slapd_server, store_factory) -> None:
    """modify_many answers every change in order, refused ones with their own result code."""
    from idconnect_ldap.pipeline import modify_many

    store = store_factory(slapd_server, "openldap")
    base = store.config.settings["users_base"]
    conn = _native(slapd_server)
    for n in range(120):
        conn.add(
            f"uid=mm{n:04d},{base}", ["inetOrgPerson"], {"uid": f"mm{n:04d}", "cn": "m", "sn": "m"}
        )
    changes = [
        (f"uid=mm{n:04d},{base}", {"description": [(ldap3.MODIFY_REPLACE, [f"d{n} é"])]})
        for n in range(120)
    ]
    changes[7] = (f"uid=missing,{base}", changes[7][1])
    changes[50] = (changes[50][0], {"sn": [(ldap3.MODIFY_DELETE, [])]})  # sn is required
    results = modify_many(conn, changes, window=16)
    codes = [r["result"] for r in results]
    assert codes[7] == 32 and codes[50] == 65
    assert set(codes[:7] + codes[8:50] + codes[51:]) == {0}
    conn.search(base, "(uid=mm0119)", attributes=["description"])
    assert conn.response[0]["attributes"]["description"] == ["d119 é"]
    conn.search(base, "(uid=mm0000)", attributes=["description"])  # the connection stays usable
    assert conn.result["result"] == 0
    conn.unbind()


def test_cursor_resumes_in_another_process(slapd_server, store_factory) -> None:
    store = store_factory(slapd_server, "openldap")
    for n in range(7):
        store.create_account(Account(user_name=f"proc{n}"), reason=REASON)
    first = store.search_accounts('userName sw "proc"', count=3)
    config = {"stores": {"directory": dict(store.config.settings, plugin="ldap")}}
    script = (
        "import json, sys, idconnect\n"
        "config, cursor = json.loads(sys.argv[1]), sys.argv[2]\n"
        "config['hub'] = {'state': 'sqlite://'}\n"
        "with idconnect.connect(config) as hub:\n"
        "    page = hub.store('directory').search_accounts('userName sw \"proc\"', count=3,"
        " cursor=cursor)\n"
        "    print(json.dumps([[a.id for a in page.items], page.next_cursor]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", script, json.dumps(config), first.next_cursor],
        capture_output=True,
        text=True,
        check=True,
    )
    second_ids, cursor = json.loads(out.stdout)
    third = store.search_accounts('userName sw "proc"', count=3, cursor=cursor)
    seen = [a.id for a in first.items] + second_ids + [a.id for a in third.items]
    assert third.next_cursor is None
    assert seen == sorted(a.id for a in store.iter_accounts('userName sw "proc"'))


def test_sorting_is_not_supported(slapd_server, store_factory) -> None:
    store = store_factory(slapd_server, "openldap")
    with pytest.raises(NotSupported, match="sort"):
        store.search_accounts(sort_by="userName")


def test_disable_locks_the_bind_and_reset_keeps_the_admin_lock(
    slapd_server, store_factory, failed_logins
) -> None:
    store = store_factory(slapd_server, "openldap")
    account = store.create_account(Account(user_name="lock.me"), reason=REASON)
    store.set_password(account.id, "S3cret-enough", reason=REASON)
    dn = f"uid=lock.me,{store.config.settings['users_base']}"
    assert _bind(slapd_server, dn, "S3cret-enough")
    failed_logins(slapd_server, account.id, 2)  # also resets the password natively
    assert store.get_account(account.id).failed_attempts.password == 2
    store.disable_accounts([account.id], reason=REASON)
    assert not _bind(slapd_server, dn, "right-password")
    store.reset_failed_attempts(account.id, reason=REASON)
    after = store.get_account(account.id)
    assert after.failed_attempts.password == 0 and after.active is False
    assert not _bind(slapd_server, dn, "right-password"), "reset must not lift a disable"
    store.enable_accounts([account.id], reason=REASON)
    assert _bind(slapd_server, dn, "right-password")
    assert store.get_account(account.id).last_login is not None


def test_failure_lockout_is_lifted_by_reset(slapd_server, store_factory, failed_logins) -> None:
    store = store_factory(slapd_server, "openldap")
    account = store.create_account(Account(user_name="locked.out"), reason=REASON)
    failed_logins(slapd_server, account.id, 5)  # pwdMaxFailure: 5
    dn = f"uid=locked.out,{store.config.settings['users_base']}"
    assert not _bind(slapd_server, dn, "right-password")
    assert store.get_account(account.id).active is True, "a failure lockout is not a disable"
    store.reset_failed_attempts(account.id, reason=REASON)
    assert _bind(slapd_server, dn, "right-password")


@pytest.fixture
def own_server():
    if not slapd_available():
        pytest.skip("slapd is not installed")
    server = Slapd()
    server.start()
    yield server
    server.close()


def test_outage_is_store_unavailable_then_recovers(own_server, store_factory) -> None:
    store = store_factory(own_server, "openldap", connect_timeout=1.0, receive_timeout=2.0)
    created = store.create_account(Account(user_name="survivor"), reason=REASON)
    own_server.stop()
    started = time.monotonic()
    with pytest.raises(StoreUnavailable) as info:
        store.get_account(created.id)
    assert time.monotonic() - started < 5
    assert "directory" in str(info.value) and own_server.url in str(info.value)
    own_server.start()
    assert store.get_account(created.id).user_name == "survivor"


def test_concurrent_creates_allocate_distinct_uid_numbers(slapd_plain, store_factory) -> None:
    """The hub creates with 4 threads; one process's threads never take the same number."""
    store = store_factory(slapd_plain, "plain")
    result = store.create_accounts(
        [Account(user_name=f"alloc{n:02d}") for n in range(40)], reason=REASON
    )
    assert not result.failed, result.failed[:2]
    numbers = [
        entry["attributes"]["uidNumber"]
        for entry in _native_search(slapd_plain, "(uid=alloc*)", ["uidNumber"])
    ]
    assert len(numbers) == 40 == len(set(map(str, numbers)))


def _native_search(server, ldap_filter: str, attributes: list[str]) -> list[dict]:
    conn = _native(server)
    conn.search(server.suffix, ldap_filter, attributes=attributes)
    found = [dict(e) for e in conn.response if e.get("type") == "searchResEntry"]
    conn.unbind()
    return found
