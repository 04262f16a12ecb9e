"""slapd killed (SIGKILL) at a random point of a bulk disable: every outcome tells the truth.

One slapd of the test's own (the session servers are never killed) holds a fresh tenant per
trial; the trial creates the accounts, then disables them all while a thread watches the
directory and kills slapd once a random number of them (below 90 %) is disabled, and starts it
again on the same port and data. Afterwards:

- every outcome is ``ok``, ``failed`` or ``indeterminate``;
- an ``ok`` account is disabled in the directory, a failed one is not (read natively, as the
  rootdn); an account the facade could not settle stays indeterminate, and there are at most
  as many as the pipeline had in flight;
- the last audit event of each account says what its outcome says.

A second test kills slapd while 300 accounts are added to a group (one modify each, through
the facade's concurrency): each outcome equals the membership the directory holds, and the last
audit event of each account says what its outcome says.

``IDCONNECT_STRESS_TRIALS`` and ``IDCONNECT_STRESS_ACCOUNTS`` (default 2 and 1,000) set the size;
``tests/stress/ldap_kill.py`` runs 10 trials of 5,000 and prints the tallies.
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import ldap3
import pytest
from idconnect_ldap.testing import Slapd, slapd_available
from ldap3.utils.conv import escape_filter_chars

import idconnect
from idconnect import Account, Group
from idconnect.testing.servers import require_server

TRIALS = int(os.environ.get("IDCONNECT_STRESS_TRIALS", "2"))
ACCOUNTS = int(os.environ.get("IDCONNECT_STRESS_ACCOUNTS", "1000"))
REPORT = os.environ.get("IDCONNECT_STRESS_REPORT")
"""A file to write the trials' tallies to (JSON), for the stress script to print."""


@pytest.fixture
def fresh_slapd() -> Iterator[Slapd]:
    """A slapd of this test's own, which it may kill."""
    if not slapd_available():
        require_server("slapd is not installed", "apt-get install -y slapd ldap-utils")
    server = Slapd()
    server.start()
    try:
        yield server
    finally:
        server.close()


def _directory_state(server: Slapd) -> dict[str, bool]:
    """Each account's disabled flag (``pwdAccountLockedTime`` present), read as the rootdn."""
    srv = ldap3.Server(server.host, port=server.port, get_info=ldap3.NONE)
    conn = ldap3.Connection(srv, server.root_dn, server.password, auto_bind=True)
    state: dict[str, bool] = {}
    for item in conn.extend.standard.paged_search(
        server.suffix,
        "(objectClass=inetOrgPerson)",
        attributes=["entryUUID", "pwdAccountLockedTime"],
        paged_size=1000,
        generator=True,
    ):
        if item.get("type") == "searchResEntry":  # every tenant's: the trial reads its own ids
            raw = item["raw_attributes"]
            state[raw["entryUUID"][0].decode()] = bool(raw.get("pwdAccountLockedTime"))
    conn.unbind()
    return state


def _count(conn: ldap3.Connection, suffix: str, prefix: str, having: str) -> int:
    conn.search(suffix, f"(&(uid={prefix}*){having})", attributes=["1.1"])
    return len(conn.response or [])


def _killer(
    server: Slapd, prefix: str, after: int, done: threading.Event, having: str = ""
) -> threading.Thread:
    """Kill slapd once ``after`` accounts named ``prefix…`` match ``having`` (default: are
    disabled), then start it again."""
    srv = ldap3.Server(server.host, port=server.port, get_info=ldap3.NONE)
    conn = ldap3.Connection(srv, server.root_dn, server.password, auto_bind=True)

    def run() -> None:
        while _count(conn, server.suffix, prefix, having or "(pwdAccountLockedTime=*)") < after:
            time.sleep(0.002)
        server.kill()
        server.start()
        done.set()

    return threading.Thread(target=run, daemon=True)


def _trial(
    server: Slapd, make_store: Callable[..., idconnect.Store], rng: random.Random
) -> dict[str, int]:
    store = make_store(server, "openldap")
    prefix = f"t{rng.randrange(10**9)}-"
    created = store.create_accounts(
        [Account(user_name=f"{prefix}{n:05d}") for n in range(ACCOUNTS)], reason="seed"
    )
    ids = [o.account_id for o in created.outcomes]
    assert len(created.succeeded) == ACCOUNTS, created.failed[:3]
    restarted = threading.Event()
    killer = _killer(server, prefix, rng.randrange(0, ACCOUNTS * 9 // 10), restarted)
    killer.start()
    result = store.disable_accounts(ids, reason="kill slapd meanwhile")
    killer.join(timeout=60)
    assert restarted.is_set(), "the killer thread did not restart slapd"
    state = _directory_state(server)
    statuses = [o.status for o in result.outcomes]
    assert set(statuses) <= {"ok", "failed", "indeterminate"}
    wrong = [
        o.account_id
        for o in result.outcomes
        if o.status != "indeterminate" and state[o.account_id] != (o.status == "ok")
    ]
    assert wrong == [], f"{len(wrong)} outcomes differ from the directory, e.g. {wrong[:3]}"
    assert len(result.indeterminate) <= 200  # at most the pipeline's window was in flight
    events: dict[str, Any] = {}
    for event in store.events(action="disable_account", limit=100_000):
        events[event.account_id or ""] = event  # oldest first: the last one stays
    audit_wrong = []
    for outcome in result.outcomes:
        event = events.get(outcome.account_id)
        expected = {"ok": "success", "failed": "failure"}.get(outcome.status, outcome.status)
        code = outcome.error.code if outcome.error is not None else None
        if event is None or event.outcome != expected or event.error_code != code:
            audit_wrong.append(outcome.account_id)
    assert audit_wrong == [], f"{len(audit_wrong)} last events differ, e.g. {audit_wrong[:3]}"
    settled = len(store.events(action="disable_account", limit=100_000)) - len(ids)
    return {
        "ok": statuses.count("ok"),
        "failed": statuses.count("failed"),
        "indeterminate": statuses.count("indeterminate"),
        "settled": settled,
        "disabled": sum(state[i] for i in ids),
        "wrong": len(wrong) + len(audit_wrong),
    }


def test_outcomes_and_audit_equal_the_directory_after_slapd_is_killed_mid_bulk(
    fresh_slapd: Slapd, store_factory: Callable[..., idconnect.Store]
) -> None:
    rng = random.Random(int(os.environ.get("IDCONNECT_STRESS_SEED", "10")))
    tallies: list[dict[str, int]] = []
    for _ in range(TRIALS):
        tallies.append(_trial(fresh_slapd, store_factory, rng))
        if REPORT:
            Path(REPORT).write_text(json.dumps(tallies))
    interrupted = sum(t["failed"] + t["indeterminate"] + t["settled"] for t in tallies)
    assert interrupted > 0, f"no trial was interrupted: {tallies}"


def test_membership_outcomes_equal_the_directory_after_slapd_is_killed_mid_bulk(
    fresh_slapd: Slapd, store_factory: Callable[..., idconnect.Store]
) -> None:
    """Adding 300 accounts to a group (one modify per account) while slapd is killed."""
    rng = random.Random(int(os.environ.get("IDCONNECT_STRESS_SEED", "11")))
    store = store_factory(fresh_slapd, "openldap")
    prefix = f"g{rng.randrange(10**9)}-"
    created = store.create_accounts(
        [Account(user_name=f"{prefix}{n:03d}") for n in range(300)], reason="seed"
    )
    ids = [o.account_id for o in created.outcomes]
    group = store.create_group(Group(display_name=f"{prefix}group"), reason="seed")
    conn = ldap3.Connection(
        ldap3.Server(fresh_slapd.host, port=fresh_slapd.port, get_info=ldap3.NONE),
        fresh_slapd.root_dn,
        fresh_slapd.password,
        auto_bind=True,
    )
    conn.search(fresh_slapd.suffix, f"(cn={prefix}group)", attributes=["1.1"])
    group_dn = conn.response[0]["dn"]
    conn.unbind()
    restarted = threading.Event()
    having = f"(memberOf={escape_filter_chars(group_dn)})"
    killer = _killer(fresh_slapd, prefix, rng.randrange(20, 250), restarted, having)
    killer.start()
    result = store.add_to_group(group.id, ids, reason="kill slapd meanwhile")
    killer.join(timeout=60)
    assert restarted.is_set()
    members = set(store.get_group(group.id).members)
    statuses = {o.account_id: o.status for o in result.outcomes}
    assert set(statuses.values()) <= {"ok", "failed", "indeterminate"}
    wrong = [
        i
        for i, status in statuses.items()
        if status != "indeterminate" and (i in members) != (status == "ok")
    ]
    assert wrong == [], f"{len(wrong)} outcomes differ from the directory"
    assert list(statuses.values()).count("ok") < len(ids), "the kill interrupted nothing"
    last: dict[str, Any] = {}
    for event in store.events(action="add_group_member", limit=100_000):
        last[event.account_id or ""] = event
    for outcome in result.outcomes:
        expected = {"ok": "success", "failed": "failure"}.get(outcome.status, outcome.status)
        assert last[outcome.account_id].outcome == expected, outcome
