"""HTTP behaviour over real sockets: retries, Retry-After, timeouts, resets, auth, error mapping.

The server side is pytest-httpserver (a real werkzeug server) or a raw socket; requests is
never mocked.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time

import pytest
from idconnect_rest.http import USER_AGENT, ScimClient
from idconnect_rest.settings import RestSettings
from werkzeug import Request, Response

from idconnect.backend import (
    Conflict,
    FilterError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    StoreConfig,
    StoreUnavailable,
)

TOKEN = "very-secret-token-value-42"


def client(url: str, **settings) -> ScimClient:
    config = StoreConfig(name="scim", plugin="rest", settings={"url": url, **settings})
    return ScimClient("scim", RestSettings.from_config(config))


def scim_error(status: int, detail: str, scim_type: str | None = None) -> Response:
    body = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
        "status": str(status),
        "detail": detail,
    }
    if scim_type:
        body["scimType"] = scim_type
    return Response(json.dumps(body), status=status, content_type="application/scim+json")


def ok() -> Response:
    return Response(json.dumps({"Resources": []}), status=200, content_type="application/scim+json")


def sequence(*responses):
    """A handler answering the given responses in turn and recording the requests."""
    seen: list[Request] = []
    queue = list(responses)

    def handler(request: Request) -> Response:
        seen.append(request)
        return queue.pop(0) if len(queue) > 1 else queue[0]

    return handler, seen


def test_get_is_retried_after_503_honouring_retry_after(httpserver):
    busy = scim_error(503, "busy")
    busy.headers["Retry-After"] = "1"
    handler, seen = sequence(busy, ok())
    httpserver.expect_request("/v2/Users").respond_with_handler(handler)
    start = time.monotonic()
    response = client(httpserver.url_for("/v2")).request("GET", "/Users", what="the search")
    assert response.status_code == 200
    assert len(seen) == 2
    assert time.monotonic() - start >= 0.95, "Retry-After: 1 was not honoured"
    assert seen[0].headers["User-Agent"] == USER_AGENT
    assert USER_AGENT.startswith("idconnect/")


def test_post_and_patch_are_never_retried(httpserver):
    handler, seen = sequence(scim_error(503, "busy"))
    httpserver.expect_request("/v2/Users").respond_with_handler(handler)
    c = client(httpserver.url_for("/v2"), backoff=0.01)
    for method in ("POST", "PATCH"):
        with pytest.raises(StoreUnavailable) as info:
            c.request(method, "/Users", body={}, what="account 'x'")
        assert "503" in str(info.value) and httpserver.url_for("/v2/Users") in str(info.value)
    assert [r.method for r in seen] == ["POST", "PATCH"]


def test_retries_give_up_with_store_unavailable(httpserver):
    handler, seen = sequence(scim_error(502, "bad gateway"))
    httpserver.expect_request("/v2/Users").respond_with_handler(handler)
    with pytest.raises(StoreUnavailable) as info:
        client(httpserver.url_for("/v2"), retries=2, backoff=0.01).request(
            "GET", "/Users", what="the search"
        )
    assert len(seen) == 3
    assert info.value.store == "scim"


def test_too_long_retry_after_is_not_waited_for(httpserver):
    busy = scim_error(429, "slow down")
    busy.headers["Retry-After"] = "3600"
    handler, seen = sequence(busy)
    httpserver.expect_request("/v2/Users").respond_with_handler(handler)
    start = time.monotonic()
    with pytest.raises(StoreUnavailable):
        client(httpserver.url_for("/v2"), max_retry_delay=2).request(
            "GET", "/Users", what="the search"
        )
    assert time.monotonic() - start < 2 and len(seen) == 1


def test_slow_response_times_out(httpserver):
    def slow(request: Request) -> Response:
        time.sleep(1.0)
        return ok()

    httpserver.expect_request("/v2/Users").respond_with_handler(slow)
    c = client(httpserver.url_for("/v2"), read_timeout=0.2, retries=1, backoff=0.01)
    start = time.monotonic()
    with pytest.raises(StoreUnavailable) as info:
        c.request("GET", "/Users", what="the search")
    assert "timed out" in str(info.value)
    assert "2 attempts" in str(info.value)
    assert time.monotonic() - start < 1.9


def test_connection_reset_and_refused_are_store_unavailable():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    accepted = []

    def reset_all() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            accepted.append(1)
            conn.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
            )
            conn.close()

    threading.Thread(target=reset_all, daemon=True).start()
    c = client(f"http://127.0.0.1:{port}/v2", retries=2, backoff=0.01)
    with pytest.raises(StoreUnavailable) as info:
        c.request("GET", "/Users", what="the search")
    assert f"127.0.0.1:{port}" in str(info.value)
    assert len(accepted) == 3, "GET is retried after a reset"
    listener.close()
    with pytest.raises(StoreUnavailable, match="cannot be reached"):
        client(f"http://127.0.0.1:{port}/v2", retries=0).request("GET", "/Users", what="x")


@pytest.mark.parametrize(
    ("status", "scim_type", "error"),
    [
        (404, None, NotFound),
        (409, "uniqueness", Conflict),
        (412, None, Conflict),
        (400, "invalidFilter", FilterError),
        (400, "invalidValue", InvalidInput),
        (401, None, PermissionDenied),
        (403, None, PermissionDenied),
        (500, None, StoreUnavailable),
    ],
)
def test_scim_errors_are_mapped(httpserver, status, scim_type, error):
    httpserver.expect_request("/v2/Users/x").respond_with_response(
        scim_error(status, "the server's own words", scim_type)
    )
    with pytest.raises(error) as info:
        client(httpserver.url_for("/v2"), retries=0).request("GET", "/Users/x", what="account 'x'")
    assert info.value.store == "scim"
    if status == 400:
        assert "the server's own words" in str(info.value)


def test_bearer_token_never_in_errors_or_logs(httpserver, caplog, monkeypatch):
    monkeypatch.setenv("SCIM_TEST_TOKEN", TOKEN)
    busy = scim_error(503, "busy")
    handler, seen = sequence(busy, scim_error(401, "bad token"))
    httpserver.expect_request("/v2/Users").respond_with_handler(handler)
    caplog.set_level(logging.DEBUG)
    c = client(httpserver.url_for("/v2"), token_env="SCIM_TEST_TOKEN", backoff=0.01)
    with pytest.raises(PermissionDenied) as info:
        c.request("GET", "/Users", what="the search")
    assert seen[0].headers["Authorization"] == f"Bearer {TOKEN}"
    assert TOKEN not in str(info.value) and TOKEN not in repr(info.value.details)
    assert caplog.records, "the retry was logged"
    assert TOKEN not in caplog.text


def test_basic_auth(httpserver, monkeypatch):
    monkeypatch.setenv("SCIM_TEST_PASSWORD", "pa55word")
    handler, seen = sequence(ok())
    httpserver.expect_request("/v2/Users").respond_with_handler(handler)
    client(httpserver.url_for("/v2"), username="idc", password_env="SCIM_TEST_PASSWORD").request(
        "GET", "/Users", what="x"
    )
    assert seen[0].authorization.username == "idc"
    assert seen[0].authorization.password == "pa55word"


def test_oauth_token_is_cached_and_refreshed_once_on_401(httpserver, monkeypatch, caplog):
    monkeypatch.setenv("SCIM_TEST_CLIENT_SECRET", "client-s3cret")
    issued: list[str] = []

    def token(request: Request) -> Response:
        assert request.form["grant_type"] == "client_credentials"
        assert request.authorization.username == "idc"
        assert request.authorization.password == "client-s3cret"
        issued.append(f"tok-{len(issued) + 1}")
        return Response(
            json.dumps({"access_token": issued[-1], "token_type": "Bearer", "expires_in": 3600}),
            content_type="application/json",
        )

    revoked = {"tok-1"}
    calls: list[str] = []

    def scim(request: Request) -> Response:
        bearer = request.headers.get("Authorization", "").removeprefix("Bearer ")
        calls.append(bearer)
        return scim_error(401, "expired") if bearer in revoked or not bearer else ok()

    httpserver.expect_request("/oauth/token", method="POST").respond_with_handler(token)
    httpserver.expect_request("/v2/Users").respond_with_handler(scim)
    caplog.set_level(logging.DEBUG)
    c = client(
        httpserver.url_for("/v2"),
        token_url=httpserver.url_for("/oauth/token"),
        client_id="idc",
        client_secret_env="SCIM_TEST_CLIENT_SECRET",
    )
    c.request("GET", "/Users", what="x")
    c.request("GET", "/Users", what="x")
    assert issued == ["tok-1", "tok-2"], "one refresh after the 401, then the cache"
    assert calls == ["tok-1", "tok-2", "tok-2"]
    revoked.add("tok-2")
    revoked.add("tok-3")
    with pytest.raises(PermissionDenied):
        c.request("GET", "/Users", what="x")
    assert issued == ["tok-1", "tok-2", "tok-3"], "refreshed once, not in a loop"
    assert "client-s3cret" not in caplog.text and "tok-" not in caplog.text


def test_oauth_refused_client_is_permission_denied(httpserver, monkeypatch):
    monkeypatch.setenv("SCIM_TEST_CLIENT_SECRET", "wrong")
    httpserver.expect_request("/oauth/token").respond_with_json(
        {"error": "invalid_client"}, status=401
    )
    c = client(
        httpserver.url_for("/v2"),
        token_url=httpserver.url_for("/oauth/token"),
        client_id="idc",
        client_secret_env="SCIM_TEST_CLIENT_SECRET",
    )
    with pytest.raises(PermissionDenied) as info:
        c.request("GET", "/Users", what="x")
    assert "wrong" not in str(info.value)


def test_retries_stop_at_the_deadline(httpserver):
    """The deadline spans the retries: a retry whose wait would pass it is not made."""
    busy = scim_error(503, "busy")
    busy.headers["Retry-After"] = "1"
    handler, seen = sequence(busy)
    httpserver.expect_request("/v2/Users").respond_with_handler(handler)
    c = client(httpserver.url_for("/v2"), retries=5, deadline=1.5)
    with pytest.raises(StoreUnavailable, match="HTTP 503"):
        c.request("GET", "/Users", what="the search")
    assert len(seen) == 2, "one retry fits in 1.5 s, the next would not"
