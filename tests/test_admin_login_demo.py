"""``idconnect demo --serve`` as a real process: seed, print the demo login once, serve."""

from __future__ import annotations

import importlib.util
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

import idconnect
from idconnect.cli import cli
from idconnect.testing.servers import in_ci

IDCONNECT = Path(sys.executable).parent / "idconnect"

HAVE_SQL = importlib.util.find_spec("idconnect_sql") is not None

pytestmark = pytest.mark.skipif(
    not HAVE_SQL and not in_ci(), reason="needs the sql plugin (pip install -e plugins/sql_store)"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_demo_without_serve_prints_the_one_next_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("IDCONNECT_CONFIG", raising=False)
    monkeypatch.setenv("IDCONNECT_HOME", str(tmp_path))
    done = CliRunner().invoke(cli, ["demo", "--accounts", "20"])
    assert done.exit_code == 0, done.output
    lines = done.stdout.rstrip().splitlines()
    assert lines[-2] == "Next, the support console in your browser:"
    assert lines[-1].strip() == "idconnect demo --serve"
    assert "password" not in done.stdout


def test_demo_serve_seeds_prints_a_login_once_and_serves_the_console(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("IDCONNECT_CONFIG", raising=False)
    monkeypatch.setenv("IDCONNECT_HOME", str(tmp_path))
    port = free_port()
    env = {**os.environ, "COLUMNS": "200"}
    log = (tmp_path / "stderr.log").open("w+")
    process = subprocess.Popen(
        [str(IDCONNECT), "demo", "--serve", "--accounts", "40", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=log,
        env=env,
        text=True,
        cwd=tmp_path,
    )
    try:
        assert process.stdout is not None
        printed = []
        for line in process.stdout:
            printed.append(line)
            if line.strip().startswith("password:"):
                break
        text = "".join(printed)
        url = f"http://127.0.0.1:{port}/console/login"
        assert f"URL:      {url}" in text, text + (tmp_path / "stderr.log").read_text()
        assert "admin:    demo" in text
        password = re.search(r"password: (\S+)", text)
        assert password is not None
        for _ in range(600):
            try:
                if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).ok:
                    break
            except requests.ConnectionError:
                time.sleep(0.05)
        else:
            pytest.fail("the demo did not serve: " + (tmp_path / "stderr.log").read_text())
        browser = requests.Session()
        form = browser.get(url, timeout=10)
        assert form.status_code == 200
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert token is not None, form.text
        fields = {"csrf_token": token.group(1), "name": "demo", "next": ""}
        wrong = browser.post(url, data={**fields, "password": "not the password"}, timeout=10)
        assert wrong.status_code == 401
        done = browser.post(
            url, data={**fields, "password": password.group(1)}, allow_redirects=False, timeout=10
        )
        assert done.status_code == 303, done.text
        listing = browser.get(
            f"http://127.0.0.1:{port}/console/stores/default/accounts", timeout=10
        )
        assert listing.status_code == 200 and "demo" in listing.text
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(30)
        log.close()
    with idconnect.connect() as hub:
        assert sum(1 for _ in hub.store("default").iter_accounts()) == 40
        events = [e for e in hub.audit.state.events("(hub)") if e.account_id == "demo"]
        assert [e.outcome for e in events if e.action == "console_login"] == ["failure", "success"]
        assert password.group(1) not in repr(events)
