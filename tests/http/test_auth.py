"""TokenAuth over real HTTP: a tiny app under uvicorn on a free port, requests as the client.

Two hubs on one SQLite state file stand in for two workers: a token revoked through one is
refused at once by the other.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
import pytest
import requests

import idconnect
from idconnect.core.api_tokens import PREFIX, issue_token, revoke_token
from idconnect.core.facade import Hub
from idconnect.http.auth import FailureWindow, TokenAuth
from tests.http.auth_server import Ticks, make_app, serving

SCIM_ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


class Clock:
    """The hub's clock, moved by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def config(tmp_path: Path) -> dict[str, Any]:
    return {
        "hub": {"state": f"sqlite:///{tmp_path / 'state.db'}"},
        "stores": {"main": {"plugin": "memory"}, "side": {"plugin": "memory"}},
    }


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def hub(tmp_path: Path, clock: Clock) -> Iterator[Hub]:
    with idconnect.connect(config(tmp_path), clock=clock) as opened:
        yield opened


@pytest.fixture
def url(hub: Hub) -> Iterator[str]:
    with serving(make_app(hub)) as base:
        yield base


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_no_token_is_401_as_json_or_as_a_scim_error_under_scim(url: str) -> None:
    plain = requests.get(f"{url}/whoami", timeout=10)
    assert plain.status_code == 401
    assert plain.headers["WWW-Authenticate"].startswith("Bearer")
    assert plain.json() == {
        "error": "unauthenticated",
        "detail": "no API token: send 'Authorization: Bearer TOKEN' (idconnect tokens create)",
    }
    scim = requests.get(f"{url}/scim/v2/main/Users", timeout=10)
    assert scim.status_code == 401
    assert scim.headers["Content-Type"].startswith("application/scim+json")
    doc = scim.json()
    assert doc["schemas"] == [SCIM_ERROR] and doc["status"] == "401"
    assert "no API token" in doc["detail"]


def test_healthz_needs_no_token_and_nothing_else_is_open(url: str) -> None:
    assert requests.get(f"{url}/healthz", timeout=10).text == "ok"
    for path in ("/healthz/", "/readyz", "/api/stores", "/nowhere"):
        assert requests.get(f"{url}{path}", timeout=10).status_code == 401, path


def test_a_valid_token_acts_as_its_admin(hub: Hub, url: str) -> None:
    token, record = issue_token(hub, admin="alice", reason="tests")
    for header in (f"Bearer {token}", f"bearer {token}"):
        answer = requests.get(f"{url}/whoami", headers={"Authorization": header}, timeout=10)
        assert answer.status_code == 200, answer.text
        assert answer.json() == {
            "actor": "alice",
            "store_limit": None,
            "token": record.id,
            "store": None,
        }
    scim = requests.get(f"{url}/scim/v2/side/Users", headers=bearer(token), timeout=10)
    assert scim.json()["store"] == "side"


def test_malformed_unknown_and_other_schemes_are_401(hub: Hub, url: str) -> None:
    token, _ = issue_token(hub, admin="alice", reason="tests")
    changed = token[:-1] + ("A" if token[-1] != "A" else "B")
    cases = {
        f"Bearer {changed}": "the API token is unknown",
        f"Bearer {PREFIX}short": "the API token is malformed",
        f"Bearer {token[len(PREFIX) :]}x": "the API token is malformed",
        "Bearer": "the Authorization header must be one 'Bearer TOKEN'",
        f"Basic {token}": "the Authorization header must be one 'Bearer TOKEN'",
    }
    for header, detail in cases.items():
        answer = requests.get(f"{url}/whoami", headers={"Authorization": header}, timeout=10)
        assert answer.status_code == 401, header
        assert answer.json() == {"error": "unauthenticated", "detail": detail}


def test_an_expired_token_is_401_by_the_hubs_clock(hub: Hub, url: str, clock: Clock) -> None:
    token, record = issue_token(hub, admin="alice", expires=timedelta(days=1), reason="tests")
    assert requests.get(f"{url}/whoami", headers=bearer(token), timeout=10).status_code == 200
    clock.now += timedelta(days=1)
    answer = requests.get(f"{url}/whoami", headers=bearer(token), timeout=10)
    assert answer.status_code == 401
    assert answer.json()["detail"] == f"API token {record.id} is expired"


def test_a_token_revoked_by_another_worker_is_refused_at_once(
    tmp_path: Path, hub: Hub, url: str, clock: Clock
) -> None:
    token, record = issue_token(hub, admin="alice", reason="tests")
    with (
        idconnect.connect(config(tmp_path), clock=clock) as other,
        serving(make_app(other)) as other_url,
    ):
        for base in (url, other_url):
            assert requests.get(f"{base}/whoami", headers=bearer(token), timeout=10).ok
        revoke_token(other, record.id, reason="leaked")
        for base in (url, other_url):
            answer = requests.get(f"{base}/whoami", headers=bearer(token), timeout=10)
            assert answer.status_code == 401, base
            assert answer.json()["detail"] == f"API token {record.id} is revoked"


def test_a_token_limited_to_a_store_is_403_elsewhere(
    hub: Hub, url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="idconnect.http.auth")
    token, record = issue_token(hub, admin="alice", store="main", reason="tests")

    def get(path: str) -> requests.Response:
        return requests.get(f"{url}{path}", headers=bearer(token), timeout=10)

    for path in ("/scim/v2/main/Users", "/api/stores/main/accounts", "/api/stores"):
        answer = get(path)
        assert answer.status_code == 200, path
        assert answer.json()["store_limit"] == "main"
    refused = get("/api/stores/side/accounts")
    assert refused.status_code == 403
    assert refused.json() == {
        "error": "permission_denied",
        "detail": f"API token {record.id} is limited to store 'main', not store 'side'",
    }
    scim = get("/scim/v2/side/Users")
    assert scim.status_code == 403 and scim.json()["schemas"] == [SCIM_ERROR]
    hub_wide = get("/api/impersonations")
    assert hub_wide.status_code == 403
    assert "not hub-wide endpoints" in hub_wide.json()["detail"]
    warned = [r.getMessage() for r in caplog.records if r.name == "idconnect.http.auth"]
    assert warned[0] == (
        f"refused GET /api/stores/side/accounts from 127.0.0.1: API token {record.id}"
        " is limited to store 'main', not store 'side'"
    )
    assert len(warned) == 3


def test_refusals_are_rate_limited_per_client_address(hub: Hub) -> None:
    token, _ = issue_token(hub, admin="alice", reason="tests")
    ticks = Ticks()
    with serving(make_app(hub, max_failures=3, window=60.0, clock=ticks)) as url:
        wrong = bearer(PREFIX + "x" * 43)
        for _ in range(2):
            assert requests.get(f"{url}/whoami", headers=wrong, timeout=10).status_code == 401
        ticks.now += 20
        assert requests.get(f"{url}/whoami", timeout=10).status_code == 401
        for headers in (wrong, bearer(token)):  # once blocked, even a right guess is refused
            blocked = requests.get(f"{url}/whoami", headers=headers, timeout=10)
            assert blocked.status_code == 429
            assert blocked.headers["Retry-After"] == "40"
            assert blocked.json()["error"] == "too_many_requests"
        scim = requests.get(f"{url}/scim/v2/main/Users", headers=bearer(token), timeout=10)
        assert scim.status_code == 429 and scim.json()["scimType"] == "tooMany"
        assert requests.get(f"{url}/healthz", timeout=10).status_code == 200
        ticks.now += 40  # the first two failures leave the window, the third stays
        assert requests.get(f"{url}/whoami", headers=bearer(token), timeout=10).status_code == 200
        assert requests.get(f"{url}/whoami", headers=wrong, timeout=10).status_code == 401
        assert requests.get(f"{url}/whoami", headers=wrong, timeout=10).status_code == 401
        again = requests.get(f"{url}/whoami", headers=bearer(token), timeout=10)
        assert again.status_code == 429 and again.headers["Retry-After"] == "20"
    refused = [e for e in hub.audit.state.events("(hub)") if e.action == "authenticate_api_token"]
    assert len(refused) == 4  # the presented wrong tokens; the request without one is logged
    assert all(e.outcome == "failure" and "(client 127.0.0.1)" in (e.error or "") for e in refused)


def test_no_token_reaches_the_logs_even_at_debug(
    hub: Hub, url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    token, record = issue_token(hub, admin="alice", reason="tests")
    changed = token[:-1] + ("A" if token[-1] != "A" else "B")
    requests.get(f"{url}/whoami", headers=bearer(token), timeout=10)
    requests.get(f"{url}/whoami", headers=bearer(changed), timeout=10)
    revoke_token(hub, record.id, reason="tests")
    requests.get(f"{url}/scim/v2/main/Users", headers=bearer(token), timeout=10)
    refusals = [r.getMessage() for r in caplog.records if r.name == "idconnect.http.auth"]
    assert refusals == [
        "refused GET /whoami from 127.0.0.1: the API token is unknown (unknown)",
        f"refused GET /scim/v2/main/Users from 127.0.0.1: API token {record.id} is revoked"
        " (revoked)",
    ]
    logged = " ".join(f"{r.getMessage()} {r.args} {r.exc_text or ''}" for r in caplog.records)
    secret = token[len(PREFIX) :]
    assert secret not in logged and changed[len(PREFIX) :] not in logged
    events = " ".join(repr(e) for e in hub.audit.state.events("(hub)"))
    assert secret not in events and changed[len(PREFIX) :] not in events


def test_the_reason_header(hub: Hub, url: str) -> None:
    token, _ = issue_token(hub, admin="alice", reason="tests")

    def post(reason: str | bytes | None) -> requests.Response:
        headers = bearer(token) | ({} if reason is None else {"Idconnect-Reason": reason})
        return requests.post(f"{url}/reason", headers=headers, timeout=10)

    assert post("ticket 4711").json() == {"reason": "ticket 4711"}
    assert post(None).json() == {"reason": None}
    assert post("Überprüfung: Kunde".encode()).json() == {"reason": "Überprüfung: Kunde"}
    for bad, detail in (
        ("", "must not be empty"),
        ("x" * 600, "at most 512 characters"),
    ):
        answer = post(bad)
        assert answer.status_code == 400, bad
        assert answer.json()["error"] == "invalid_input"
        assert detail in answer.json()["detail"]


def test_the_window_tracks_a_bounded_number_of_addresses() -> None:
    ticks = Ticks()
    window = FailureWindow(1, 60.0, clock=ticks, max_clients=2)
    window.fail("192.0.2.1")
    ticks.now += 50
    window.fail("192.0.2.2")
    ticks.now += 20  # .1's failure has left the window, .2's has not
    window.fail("192.0.2.3")  # .1 is forgotten to make room
    assert window.retry_after("192.0.2.2") == 40
    assert window.retry_after("192.0.2.3") == 60
    window.fail("192.0.2.4")  # nobody's failures are old: the longest-tracked (.2) goes
    assert window.retry_after("192.0.2.2") is None
    assert window.retry_after("192.0.2.3") == 60 and window.retry_after("192.0.2.4") == 60
    with pytest.raises(ValueError, match="must be 1 or more"):
        FailureWindow(0, 60.0)


def test_the_state_database_out_of_reach_is_503_not_401(tmp_path: Path) -> None:
    unreachable = {**config(tmp_path), "hub": {"state": "sqlite:////nonexistent/dir/state.db"}}
    with idconnect.connect(unreachable) as hub, serving(make_app(hub)) as base:
        answer = requests.get(f"{base}/whoami", headers=bearer(PREFIX + "x" * 43), timeout=10)
    assert answer.status_code == 503
    assert answer.json()["error"] == "store_unavailable"


def test_websockets_are_refused_before_the_app_runs(hub: Hub) -> None:
    reached: list[str] = []
    sent: list[dict[str, Any]] = []

    async def inner(scope: Any, receive: Any, send: Any) -> None:
        reached.append(scope["type"])

    async def receive() -> dict[str, Any]:
        return {"type": "websocket.connect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "websocket", "path": "/whoami", "headers": [], "client": ("127.0.0.1", 1)}
    anyio.run(TokenAuth(inner, hub), scope, receive, send)
    assert reached == [] and sent == [{"type": "websocket.close", "code": 1008}]
