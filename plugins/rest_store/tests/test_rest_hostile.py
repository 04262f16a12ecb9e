"""The rest store against a hostile SCIM server on loopback (``idconnect_rest.testing.hostile``).

Every call ends within the store's configured deadline with the store's own error naming the
server; no request ever reaches another host (two witness servers, on 127.0.0.2 and on another
port of 127.0.0.1, record what they receive); the big-body cases are run in a subprocess whose
peak memory is measured.
"""

from __future__ import annotations

import time

import pytest
from idconnect_rest.testing.hostile import (
    DOTS,
    HostileServer,
    search_in_subprocess,
    self_signed,
)

from idconnect.backend import InvalidInput, StoreUnavailable

TOKEN = "hostile-test-token-0123456789"
DEADLINE = 2.0
SETTINGS = {"deadline": DEADLINE, "read_timeout": 1.0, "retries": 1, "backoff": 0.01}


@pytest.fixture(scope="module")
def witnesses():
    other_host = HostileServer("127.0.0.2")
    other_port = HostileServer("127.0.0.1")
    yield other_host, other_port
    other_host.stop()
    other_port.stop()
    assert other_host.seen == [], "a request reached another host"
    assert other_port.seen == [], "a request reached another port"


@pytest.fixture(scope="module")
def hostile(witnesses):
    other_host, other_port = witnesses
    server = HostileServer(
        "127.0.0.1",
        other=f"http://127.0.0.2:{other_host.port}",
        other_port=f"http://127.0.0.1:{other_port.port}",
    )
    yield server
    server.stop()


@pytest.fixture
def store_for(hostile, connect_store, monkeypatch):
    monkeypatch.setenv("HOSTILE_TOKEN", TOKEN)

    def make(behaviour: str, **settings):
        return connect_store(
            hostile.url(behaviour), token_env="HOSTILE_TOKEN", **{**SETTINGS, **settings}
        )

    return make


def _fails(call, hostile: HostileServer, fragment: str) -> StoreUnavailable:
    start = time.monotonic()
    with pytest.raises(StoreUnavailable) as info:
        call()
    elapsed = time.monotonic() - start
    message = str(info.value)
    assert fragment in message
    assert f"127.0.0.1:{hostile.port}" in message, "the error names the server"
    assert info.value.store == "scim"
    assert TOKEN not in message and TOKEN not in repr(info.value.details)
    # the deadline bounds each request; a search makes at most a few (discovery, pages)
    assert elapsed < 4 * DEADLINE
    return info.value


@pytest.mark.parametrize(
    ("behaviour", "fragment"),
    [
        ("trickle-headers", "did not answer within the deadline of 2s"),
        ("trickle-body", "did not answer within the deadline of 2s"),
        ("endless", "a body over 8388608 bytes"),
        ("bad-json", "an answer that is not JSON (application/scim+json, HTTP 200"),
        ("html", "an answer that is not JSON (text/html, HTTP 200"),
        ("list", "a JSON list where an object belongs"),
        ("bad-spc", "a service provider config whose 'bulk' is not an object"),
        ("bad-types", "resource types that are not a list of objects"),
        ("bad-schemas", "a schema whose attributes are not a list"),
        ("bad-endpoint", "a resource type whose endpoint '/../../admin' is not one path segment"),
        ("oversized-page", "a page of 5000 resources for count=50"),
        ("lying-total", "the previous page again (startIndex ignored or a lying totalResults)"),
        ("dot-ids", "is not a single path segment"),
    ],
)
def test_search_ends_with_the_stores_own_error(store_for, hostile, behaviour, fragment):
    store = store_for(behaviour)
    _fails(lambda: list(store.iter_accounts(page_size=50)), hostile, fragment)


@pytest.fixture(scope="module")
def tls_hostile(tmp_path_factory):
    cert, key = self_signed(tmp_path_factory.mktemp("tls"))
    server = HostileServer("127.0.0.1", tls=(cert, key))
    yield server, cert
    server.stop()


@pytest.mark.parametrize("behaviour", ["trickle-headers", "trickle-body"])
def test_the_deadline_holds_over_tls(tls_hostile, connect_store, behaviour):
    """TLS wraps (and detaches) the socket: the deadline still reaches the connection."""
    server, cert = tls_hostile
    store = connect_store(server.url(behaviour), ca_bundle=cert, **SETTINGS)
    _fails(store.search_accounts, server, "did not answer within the deadline of 2s")
    assert server.url(behaviour).startswith("https://")


def test_the_deadline_holds_during_a_trickled_tls_handshake(hostile, connect_store):
    url = hostile.url("ok").replace("http://", "https://")
    store = connect_store(url, **SETTINGS)
    _fails(store.search_accounts, hostile, "did not answer within the deadline of 2s")


def test_tls_answers_are_read(tls_hostile, connect_store):
    server, cert = tls_hostile
    store = connect_store(server.url("gzip-ok"), ca_bundle=cert, **SETTINGS)
    assert [a.user_name for a in store.search_accounts().items] == ["user1", "user2"]


@pytest.mark.parametrize(
    ("behaviour", "status"),
    [
        ("redirect-host", "307"),
        ("redirect-port", "302"),
        ("redirect-name", "301"),
        ("redirect-outside", "301"),
        ("redirect-badport", "302"),
    ],
)
def test_redirects_outside_the_base_url_are_not_followed(store_for, hostile, behaviour, status):
    store = store_for(behaviour)
    _fails(lambda: store.search_accounts(), hostile, "outside the configured base URL")
    assert not [s for s in hostile.seen if s.host.startswith("localhost")]
    assert not [s for s in hostile.seen if s.path.startswith("/elsewhere/")]


def test_a_redirect_inside_the_base_url_is_followed(store_for, hostile):
    store = store_for("redirect-inside")
    page = store.search_accounts()
    assert [a.user_name for a in page.items] == ["user1", "user2"]
    moved = [s for s in hostile.requests_to("redirect-inside") if s.path.endswith("/moved")]
    assert moved and moved[0].authorization == f"Bearer {TOKEN}"


def test_a_gzip_answer_within_the_limit_is_decoded(store_for):
    assert [a.user_name for a in store_for("gzip-ok").search_accounts().items] == [
        "user1",
        "user2",
    ]


def test_a_looping_cursor_is_detected(store_for, hostile):
    store = store_for("loop-cursor")
    assert store.backend.profile.cursor
    _fails(lambda: list(store.iter_accounts(page_size=1)), hostile, "a paging cursor that loops")
    pages = [s for s in hostile.requests_to("loop-cursor") if s.path.endswith("/Users")]
    assert len(pages) <= 8, "a cycle of three is caught within about twice its length"


def test_endless_fresh_pages_stop_at_max_pages(store_for, hostile):
    store = store_for("endless-ids", max_pages=20)
    _fails(lambda: list(store.iter_accounts(page_size=50)), hostile, "more than max_pages=20")
    assert len([s for s in hostile.requests_to("endless-ids") if s.path.endswith("/Users")]) == 20


def test_server_ids_that_are_not_a_path_segment_never_reach_a_request(store_for, hostile):
    store = store_for("dot-ids")
    before = len(hostile.seen)
    _fails(lambda: store.get_account("u1"), hostile, "'..' is not a single path segment")
    for bad in DOTS:
        with pytest.raises(InvalidInput):
            store.get_account(bad)
        with pytest.raises(InvalidInput):
            store.delete_accounts([bad], reason="test").raise_for_failures()
        with pytest.raises(InvalidInput):
            store.disable_accounts([bad], reason="test").raise_for_failures()
    seen = [s for s in hostile.seen[before:] if s.path.startswith("/dot-ids/")]
    assert {s.method for s in seen} == {"GET"}, "no DELETE or PATCH was sent"
    users = [s.path for s in seen if "/Users" in s.path]
    assert users == ["/dot-ids/v2/Users/u1"]


def test_big_bodies_are_refused_in_flat_memory(hostile):
    cases = {
        "big": "a body of 52428800 bytes (the limit is 8388608)",
        "big-chunked": "a body over 8388608 bytes",
        "gzip-bomb": "a body over 8388608 bytes decoded",
        "endless": "a body over 8388608 bytes",
        "huge-page": "(the limit is 8388608)",
    }
    urls = {hostile.url(name): expected for name, expected in cases.items()}
    got = search_in_subprocess(list(urls))
    for url, expected in urls.items():
        assert got[url].startswith("StoreUnavailable: ") and expected in got[url], got[url]
    assert got["peak_kib"] < 200 * 1024, f"peak memory {got['peak_kib'] / 1024:.0f} MiB"
