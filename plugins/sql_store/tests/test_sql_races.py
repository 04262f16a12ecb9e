"""Two writers at once: no lost update, no case-variant duplicate, conflicts retried.

Each race runs two threads released together (:mod:`idconnect.testing.races`), a few rounds
here; ``benchmarks/sql_races.py`` runs the full counts. On the mapped Django table the version is
a digest of the row (no version column) and the table's unique index is case-sensitive, so only
the store's own locking keeps these races clean.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa
from idconnect_sql.managed import ManagedStore
from idconnect_sql.mapped import MappedStore
from idconnect_sql.testing import create_races, update_races
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

import idconnect
from idconnect import StoreUnavailable
from idconnect.backend import OPERATIONS

ROUNDS = 30


@pytest.mark.parametrize("backend", [ManagedStore, MappedStore])
def test_exactly_the_mutating_hooks_are_retried_writers(backend):
    hooks = {n: getattr(backend, f"idconnect_{n}", None) for n in OPERATIONS}
    found = {n: hook for n, hook in hooks.items() if hook is not None}
    assert any(OPERATIONS[n].mutates for n in found)
    for name, hook in found.items():
        assert hasattr(hook, "__wrapped__") == OPERATIONS[name].mutates, name


@pytest.fixture(params=["managed", "mapped"])
def racing_store(
    request: pytest.FixtureRequest,
    make_sql_store: Callable[[], idconnect.Store],
    make_mapped_store: Callable[[], idconnect.Store],
) -> idconnect.Store:
    """A fresh store of each schema on each dialect."""
    return (make_sql_store if request.param == "managed" else make_mapped_store)()


def test_racing_updates_with_one_version_have_exactly_one_winner(racing_store):
    tally = update_races(racing_store, ROUNDS)
    assert tally.both_won == 0, tally
    assert tally.clean, tally
    assert tally.rounds == ROUNDS


def test_racing_case_variant_creates_make_one_account(racing_store):
    tally = create_races(racing_store, ROUNDS)
    assert tally.both_won == 0, tally
    assert tally.clean, tally
    names = sorted(a.user_name.lower() for a in racing_store.iter_accounts())
    assert names == sorted(f"dup-user-{n}" for n in range(ROUNDS))


@pytest.fixture
def mariadb_store(namespaces, open_hub) -> Iterator[tuple[idconnect.Store, sa.Engine]]:
    """A managed MariaDB store whose sessions wait 1 s for a row lock, and a raw engine on it."""
    settings = namespaces.fresh()
    url = make_url(str(settings["url"])).set(database=str(settings["schema"]))
    quick = url.update_query_dict({"init_command": "SET innodb_lock_wait_timeout = 1"})
    store = open_hub({**settings, "url": quick.render_as_string(hide_password=False)}).store("s")
    raw = sa.create_engine(url, poolclass=NullPool)
    yield store, raw
    raw.dispose()


def _hold_row_lock(raw: sa.Engine, account_id: str, seconds: float) -> threading.Thread:
    """Lock an account's row from another session for ``seconds``; return the holding thread."""
    locked = threading.Event()

    def hold() -> None:
        with raw.begin() as connection:
            connection.execute(
                sa.text("SELECT id FROM idc_accounts WHERE id = :id FOR UPDATE"), {"id": account_id}
            )
            locked.set()
            threading.Event().wait(seconds)

    thread = threading.Thread(target=hold)
    thread.start()
    assert locked.wait(10)
    return thread


@pytest.mark.parametrize("namespaces", ["mariadb"], indirect=True)
def test_mariadb_lock_wait_timeouts_are_retried(mariadb_store):
    store, raw = mariadb_store
    account = store.create_account({"userName": "waiting"}, reason="test")
    holder = _hold_row_lock(raw, account.id, 2.5)  # past two 1 s waits, within six
    updated = store.update_account(account.id, {"displayName": "after the wait"}, reason="test")
    holder.join()
    assert updated.display_name == "after the wait"
    assert updated.version == "2"


@pytest.mark.parametrize("namespaces", ["mariadb"], indirect=True)
def test_mariadb_lock_conflicts_past_the_retries_say_so(mariadb_store):
    store, raw = mariadb_store
    account = store.create_account({"userName": "blocked"}, reason="test")
    holder = _hold_row_lock(raw, account.id, 12)  # longer than six 1 s waits and the pauses
    with pytest.raises(StoreUnavailable) as info:
        store.update_account(account.id, {"displayName": "never"}, reason="test")
    holder.join()
    assert "lock wait timeout" in info.value.message
    assert "cannot reach" not in info.value.message
    assert store.get_account(account.id).display_name is None
