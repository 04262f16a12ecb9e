"""http.calls: blocking facade calls in the thread pool, errors mapped, the request id kept."""

from __future__ import annotations

import anyio
import pytest

import idconnect
from idconnect.core.context import new_request_id, request_scope
from idconnect.core.errors import (
    ConfigError,
    Conflict,
    FilterError,
    InvalidInput,
    NotFound,
    NotSupported,
    PermissionDenied,
    SecretUnavailable,
    StoreUnavailable,
)
from idconnect.http.calls import ApiError, api_error, call, start_threads, stop_threads


@pytest.mark.parametrize(
    ("error", "status", "scim_type"),
    [
        (NotFound("no such account"), 404, None),
        (InvalidInput("bad"), 400, "invalidValue"),
        (FilterError("bad filter"), 400, "invalidFilter"),
        (Conflict("userName is taken", attribute="userName"), 409, "uniqueness"),
        (PermissionDenied("no"), 403, None),
        (NotSupported("cannot"), 501, None),
        (StoreUnavailable("down"), 503, None),
        (SecretUnavailable("$LDAP_PASSWORD is not set", store="dir"), 503, None),
        (ConfigError("bad config"), 500, None),
    ],
)
def test_errors_map_to_statuses(error, status, scim_type):
    mapped = api_error(error)
    assert (mapped.status, mapped.code, mapped.scim_type) == (status, error.code, scim_type)
    assert mapped.detail == str(error)


def test_a_stale_version_under_if_match_is_412_a_taken_name_stays_409():
    stale = Conflict("version 3 is stale")
    assert api_error(stale).status == 409
    assert api_error(stale, if_match=True).status == 412
    assert (
        api_error(Conflict("version 3 is stale", attribute="version"), if_match=True).status == 412
    )
    taken = Conflict("userName is taken", attribute="userName")
    assert api_error(taken, if_match=True).status == 409


def test_call_runs_in_a_thread_and_maps_errors():
    import threading

    main = threading.get_ident()

    def where() -> int:
        return threading.get_ident()

    def fails() -> None:
        raise NotFound("gone", store="s")

    async def run() -> tuple[int, ApiError]:
        ident = await call(where)
        with pytest.raises(ApiError) as caught:
            await call(fails)
        return ident, caught.value

    ident, error = anyio.run(run)
    assert ident != main
    assert error.status == 404 and "gone" in error.detail


def test_request_id_reaches_the_audit_events_of_calls_in_the_scope(tmp_path):
    hub = idconnect.connect(
        {
            "hub": {"state": f"sqlite:///{tmp_path / 'state.db'}"},
            "stores": {"m": {"plugin": "memory"}},
        }
    )
    store = hub.store("m")

    async def run() -> str:
        with request_scope("req-abc-123"):
            created = await call(store.create_account, {"userName": "ann"}, reason="test")
        return created.id

    account_id = anyio.run(run)
    events = store.events(account_id)
    assert [e.request_id for e in events] == ["req-abc-123"]
    assert new_request_id() != "req-abc-123"
    hub.close()


def test_a_started_pool_bounds_the_calls_and_keeps_the_request_id():
    import asyncio
    import threading
    import time

    running, most, names, lock = 0, 0, set(), threading.Lock()

    def slow() -> str | None:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
            names.add(threading.current_thread().name)
        time.sleep(0.05)
        with lock:
            running -= 1
        return new_request_id()  # the scope's id, as the thread sees it

    async def run() -> list[str | None]:
        start_threads(2)
        try:
            with request_scope("req-pool-1"):
                return await asyncio.gather(*(call(slow) for _ in range(6)))
        finally:
            stop_threads()

    assert asyncio.run(run()) == ["req-pool-1"] * 6
    assert most == 2, "at most the pool's two threads run calls at once"
    assert names and all(n.startswith("idconnect-call") for n in names)
    with pytest.raises(ValueError, match="at least one thread"):
        asyncio.run(_start(0))


async def _start(threads: int) -> None:
    start_threads(threads)
