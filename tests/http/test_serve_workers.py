"""``idconnect serve --workers 2`` as a real process on PostgreSQL: two workers, one state database.

Concurrent conflicting PUTs with ``If-Match``: exactly one of each pair wins and the other is
412; the winners' audit events carry the request ids of requests both workers served (the
access log names each request's worker); SIGTERM stops the server cleanly.
"""

from __future__ import annotations

import contextlib
import getpass
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests
from idconnect_sql.testing import Namespaces, run_name

import idconnect
from idconnect.core.api_tokens import issue_token

IDCONNECT = Path(sys.executable).parent / "idconnect"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_config(folder: Path, namespaces: Namespaces) -> Path:
    store = namespaces.fresh()
    lines = [
        "[hub]",
        f'state = "{namespaces.url}"',
        "",
        "[stores.main]",
        'plugin = "sql"',
        *(f"{key} = {json.dumps(value)}" for key, value in store.items()),
        "",
        "[admins.roles.support]",
        'permissions = ["*"]',
        "",
        "[admins.members]",
        f'{json.dumps(getpass.getuser())} = ["owner"]',
        'alice = ["support"]',
    ]
    path = folder / "hub.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    folder = tmp_path_factory.mktemp("serve")
    namespaces = Namespaces("postgresql", folder, run_name())
    try:
        path = write_config(folder, namespaces)
        port = free_port()
        log = (folder / "stderr.log").open("w+")
        env = {**os.environ, "IDCONNECT_HOME": str(folder)}
        process = subprocess.Popen(
            [str(IDCONNECT), "--config", str(path), "serve", "--port", str(port), "--workers", "2"],
            stderr=log,
            stdout=subprocess.DEVNULL,
            env=env,
            start_new_session=True,  # its workers too can be killed as one group
        )
        url = f"http://127.0.0.1:{port}"
        for _ in range(600):
            try:
                if requests.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.05)
        else:
            kill_group(process)
            pytest.fail("idconnect serve did not start: " + (folder / "stderr.log").read_text())
        with idconnect.connect(path) as hub:
            token, _ = issue_token(hub, admin="alice", reason="tests")
            yield {"url": url, "token": token, "hub": hub, "process": process, "log": log}
        kill_group(process)
    finally:
        namespaces.drop()


def kill_group(process: subprocess.Popen[bytes]) -> None:
    """Kill the server and its worker processes (killing the parent alone orphans them)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(10)


def access_lines(server: dict[str, Any]) -> list[dict[str, Any]]:
    server["log"].flush()
    server["log"].seek(0)
    lines = []
    for line in server["log"].read().splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


def test_conflicting_puts_on_two_workers_one_wins_and_both_workers_audit(server):
    url, token, hub = server["url"], server["token"], server["hub"]
    headers = {"Authorization": f"Bearer {token}", "Idconnect-Reason": "race"}
    base = f"{url}/scim/v2/main"
    created = requests.post(
        f"{base}/Users", json={"userName": "racer"}, headers=headers, timeout=10
    )
    assert created.status_code == 201, created.text
    account_id = created.json()["id"]
    winners: list[str] = []
    losers: list[str] = []

    def put(version: str, name: str) -> tuple[int, str]:
        request_id = uuid.uuid4().hex
        answer = requests.put(
            f"{base}/Users/{account_id}",
            json={"userName": name},
            headers={**headers, "If-Match": version, "X-Request-Id": request_id},
            timeout=30,
        )
        return answer.status_code, request_id

    with ThreadPoolExecutor(4) as pool:
        for round_ in range(200):  # ends once both workers have won (usually within 10)
            version = requests.get(f"{base}/Users/{account_id}", headers=headers, timeout=10)
            tag = version.headers["ETag"]
            names = [f"racer-{round_}-{n}" for n in range(2)]
            answers = list(pool.map(put, [tag, tag], names))
            assert sorted(status for status, _ in answers) == [200, 412], answers
            winners += [rid for status, rid in answers if status == 200]
            losers += [rid for status, rid in answers if status == 412]
            pids = {x["pid"] for x in access_lines(server) if x["request_id"] in winners}
            if len(pids) == 2 and round_ >= 4:
                break
    assert len(pids) == 2, "both workers should have won some races"
    events = hub.store("main").events(account_id, action="update_account")
    assert {e.request_id for e in events if e.outcome == "success"} == set(winners)
    refused = [e for e in events if e.outcome != "success"]
    assert {e.request_id for e in refused} <= set(losers)
    assert all(e.error_code == "conflict" for e in refused)
    assert all(e.actor == "alice" and e.reason == "race" for e in events)
    assert all(token not in json.dumps(x) for x in access_lines(server))


def test_a_revoked_token_is_refused_by_every_worker(server):
    from idconnect.core.api_tokens import revoke_token

    url, hub = server["url"], server["hub"]
    token, record = issue_token(hub, admin="alice", reason="tests")
    headers = {"Authorization": f"Bearer {token}"}
    assert requests.get(f"{url}/readyz", headers=headers, timeout=10).status_code == 200
    revoke_token(hub, record.id, reason="tests")

    def refused() -> str:
        answer = requests.get(f"{url}/readyz", headers=headers, timeout=10)
        assert answer.status_code in (401, 429)  # 429: the worker's failure window is full
        return answer.headers["X-Request-Id"]

    seen: set[int] = set()
    with ThreadPoolExecutor(8) as pool:  # concurrent connections: sequential ones may all
        for _ in range(40):  # land on the worker that happens to be accepting
            ids = set(pool.map(lambda _: refused(), range(8)))
            seen |= {x["pid"] for x in access_lines(server) if x["request_id"] in ids}
            if len(seen) == 2:
                break
    assert len(seen) == 2


def test_sigterm_stops_the_server(server):
    process = server["process"]
    process.send_signal(signal.SIGTERM)
    assert process.wait(60) == 0
