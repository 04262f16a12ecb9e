"""create_app under a real uvicorn: probes, request ids (response, log, audit), body limits."""

from __future__ import annotations

import getpass
import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from starlette.applications import Starlette
from starlette.routing import Mount

import idconnect
from idconnect.core.api_tokens import issue_token
from idconnect.http.app import create_app
from idconnect.http.calls import SCIM_ERROR
from idconnect.http.limits import Limits
from idconnect.http.server import serving


def config(tmp_path: Path) -> dict[str, Any]:
    return {
        "hub": {"state": f"sqlite:///{tmp_path / 'state.db'}"},
        "stores": {
            "main": {"plugin": "sql", "url": f"sqlite:///{tmp_path / 'main.db'}"},
            "ghost": {"plugin": "sql", "url": f"sqlite:///{tmp_path / 'missing' / 'x.db'}"},
        },
        "admins": {
            "roles": {"support": {"permissions": ["*"]}},
            "members": {getpass.getuser(): ["owner"], "alice": ["support"]},
        },
    }


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[idconnect.Hub]:
    with idconnect.connect(config(tmp_path)) as opened:
        yield opened


@pytest.fixture
def served(hub: idconnect.Hub) -> Iterator[tuple[str, requests.Session]]:
    token, _ = issue_token(hub, admin="alice", reason="tests")
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    with serving(create_app(hub, limits=Limits(max_body_bytes=2048))) as url:
        yield url, session


def test_healthz_is_open_readyz_needs_a_token_and_names_the_store_that_is_not_ready(served):
    url, session = served
    assert requests.get(f"{url}/healthz", timeout=10).json() == {"status": "ok"}
    assert requests.get(f"{url}/readyz", timeout=10).status_code == 401
    answer = session.get(f"{url}/readyz", timeout=10)
    assert answer.status_code == 503
    report = answer.json()
    assert report["status"] == "unavailable" and report["state"] == "ok"
    assert report["stores"]["main"] == "ok" and report["stores"]["ghost"] != "ok"


def test_readyz_is_200_when_every_store_answers(tmp_path: Path):
    settings = config(tmp_path)
    del settings["stores"]["ghost"]
    with idconnect.connect(settings) as hub:
        token, _ = issue_token(hub, admin="alice", reason="tests")
        with serving(create_app(hub)) as url:
            answer = requests.get(
                f"{url}/readyz", headers={"Authorization": f"Bearer {token}"}, timeout=10
            )
    assert answer.status_code == 200
    assert answer.json() == {"status": "ready", "state": "ok", "stores": {"main": "ok"}}


def test_the_request_id_reaches_the_response_the_access_log_and_the_audit_events(
    served, hub: idconnect.Hub, caplog: pytest.LogCaptureFixture
):
    url, session = served
    caplog.set_level(logging.INFO, logger="idconnect.http.access")
    answer = session.post(
        f"{url}/scim/v2/main/Users?secret=hunter2",
        json={"userName": "ann"},
        headers={"Idconnect-Reason": "ticket 1", "X-Request-Id": "req-0123456789"},
        timeout=10,
    )
    assert answer.status_code == 201, answer.text
    assert answer.headers["X-Request-Id"] == "req-0123456789"
    events = hub.store("main").events(answer.json()["id"])
    assert [(e.action, e.request_id, e.actor) for e in events] == [
        ("create_account", "req-0123456789", "alice")
    ]
    line = _access_line(caplog, "req-0123456789")
    assert line["method"] == "POST" and line["path"] == "/scim/v2/main/Users"
    assert line["status"] == 201 and line["actor"] == "alice" and line["duration_ms"] >= 0
    token = session.headers["Authorization"].split()[1]
    assert all(
        "hunter2" not in r.getMessage() and token not in r.getMessage() for r in caplog.records
    )


def _access_line(caplog: pytest.LogCaptureFixture, request_id: str) -> dict[str, Any]:
    """The access log line of a request (written once its response has been sent)."""
    for _ in range(500):
        for record in list(caplog.records):
            if record.name == "idconnect.http.access":
                line: dict[str, Any] = json.loads(record.getMessage())
                if line["request_id"] == request_id:
                    return line
        time.sleep(0.01)
    raise AssertionError(f"no access log line for {request_id}")


def test_an_unusable_request_id_is_replaced_by_a_fresh_one(served):
    url, session = served
    answer = session.get(f"{url}/healthz", headers={"X-Request-Id": "bad id\twith tab"}, timeout=10)
    assert len(answer.headers["X-Request-Id"]) == 32
    other = session.get(f"{url}/healthz", timeout=10)
    assert other.headers["X-Request-Id"] != answer.headers["X-Request-Id"]


def test_bodies_over_the_limit_are_413_declared_or_streamed(served):
    url, session = served
    headers = {"Idconnect-Reason": "tests", "Content-Type": "application/scim+json"}
    big = json.dumps({"userName": "x" * 5000})
    declared = session.post(f"{url}/scim/v2/main/Users", data=big, headers=headers, timeout=10)
    assert declared.status_code == 413
    assert declared.json()["scimType"] == "tooLarge"

    def chunks() -> Iterator[bytes]:
        for _ in range(10):
            yield b" " * 1000

    streamed = session.post(f"{url}/scim/v2/main/Users", data=chunks(), headers=headers, timeout=10)
    assert streamed.status_code == 413
    api = session.post(f"{url}/api/stores", data=big, headers=headers, timeout=10)
    assert api.status_code == 413 and api.json()["error"] == "too_large"
    assert hub_is_empty(session, url)


def hub_is_empty(session: requests.Session, url: str) -> bool:
    listed = session.get(f"{url}/scim/v2/main/Users", timeout=10).json()
    return bool(listed["totalResults"] == 0)


def test_mounted_under_a_prefix_errors_and_locations_keep_it(hub: idconnect.Hub):
    token, _ = issue_token(hub, admin="alice", reason="tests")
    outer = Starlette(routes=[Mount("/idc", app=create_app(hub))])
    with serving(outer) as url:
        base = f"{url}/idc/scim/v2/main"
        refused = requests.get(f"{base}/Users", timeout=10)
        assert refused.status_code == 401 and refused.json()["schemas"] == [SCIM_ERROR]
        headers = {"Authorization": f"Bearer {token}", "Idconnect-Reason": "tests"}
        made = requests.post(f"{base}/Users", json={"userName": "pia"}, headers=headers, timeout=10)
        assert made.json()["meta"]["location"] == f"{base}/Users/{made.json()['id']}"
        missing = requests.get(f"{base}/Users/nope", headers=headers, timeout=10)
        assert missing.status_code == 404 and missing.json()["schemas"] == [SCIM_ERROR]


def test_a_store_limited_token_works_under_a_prefix(hub: idconnect.Hub):
    limited, _ = issue_token(hub, admin="alice", store="main", reason="tests")
    outer = Starlette(routes=[Mount("/idc", app=create_app(hub))])
    with serving(outer) as url:
        headers = {"Authorization": f"Bearer {limited}"}
        own = requests.get(f"{url}/idc/scim/v2/main/Users", headers=headers, timeout=10)
        assert own.status_code == 200, own.text
        hub_wide = requests.get(f"{url}/idc/api/stores", headers=headers, timeout=10)
        assert hub_wide.status_code == 200, hub_wide.text
        other = requests.get(f"{url}/idc/scim/v2/other/Users", headers=headers, timeout=10)
        assert other.status_code == 403 and "limited to store 'main'" in other.json()["detail"]
        assert requests.get(f"{url}/idc/healthz", timeout=10).status_code == 200


def test_the_admin_api_is_mounted_under_api(served):
    url, session = served
    stores = session.get(f"{url}/api/stores", timeout=10)
    assert stores.status_code == 200
    assert "main" in stores.text
    assert session.get(f"{url}/api/openapi.json", timeout=10).json()["openapi"].startswith("3.")
    assert requests.get(f"{url}/api/stores", timeout=10).status_code == 401
