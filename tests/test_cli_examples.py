"""The example scripts run end to end, as a user would run them (subprocesses)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import idconnect
from idconnect.testing.servers import in_ci

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
HAVE_JSON_STORE = importlib.util.find_spec("idconnect_json_store") is not None
needs_json_store = pytest.mark.skipif(
    not HAVE_JSON_STORE and not in_ci(), reason="pip install -e examples/json_store"
)


def run(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_connect_and_disable_runs_end_to_end() -> None:
    done = run("connect_and_disable.py")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "found: bob, cid"
    assert sum(line.endswith(": ok") for line in lines) == 2
    audit = lines[lines.index("audit trail:") + 1 :]
    assert len(audit) == 2
    assert all(
        "example-script disable_account" in line
        and "success" in line
        and "ticket 4711: card fraud" in line
        for line in audit
    )


@pytest.fixture
def json_config(tmp_path: Path) -> Path:
    config = tmp_path / "hub.toml"
    config.write_text(
        f'[hub]\nstate = "sqlite:///{tmp_path / "state.db"}"\n'
        f'[stores.web]\nplugin = "json"\npath = "{tmp_path / "web.json"}"\n'
        f'[stores.shop]\nplugin = "json"\npath = "{tmp_path / "shop.json"}"\n'
    )
    return config


@needs_json_store
def test_disable_inactive_dry_run_then_for_real(json_config: Path) -> None:
    now = datetime.now(UTC)
    with idconnect.connect(json_config) as hub:
        store = hub.store("web")
        ext = "urn:ietf:params:scim:schemas:extension:idconnect:2.0:User"
        old = store.create_account(
            {"userName": "old", ext: {"lastLogin": (now - timedelta(days=400)).isoformat()}}
        )
        recent = store.create_account(
            {"userName": "recent", ext: {"lastLogin": (now - timedelta(days=3)).isoformat()}}
        )
        never = store.create_account({"userName": "never"})
    args = ("--config", str(json_config), "--store", "web", "--days", "30")
    dry = run("disable_inactive.py", *args, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert f"would disable {old.id} old" in dry.stdout
    assert "recent" not in dry.stdout and "never" not in dry.stdout
    real = run("disable_inactive.py", *args, "--reason", "dormant")
    assert real.returncode == 0, real.stderr
    assert f"{old.id}: disabled" in real.stdout and "1 disabled, 0 failed" in real.stdout
    with idconnect.connect(json_config) as hub:
        store = hub.store("web")
        assert not store.get_account(old.id or "").active
        assert store.get_account(recent.id or "").active
        assert store.get_account(never.id or "").active
        [event] = store.events(action="disable_account")
        assert event.reason == "dormant"
    no_reason = run("disable_inactive.py", *args)
    assert no_reason.returncode == 2 and "--reason is required" in no_reason.stderr


@needs_json_store
def test_find_person_looks_in_every_store(json_config: Path) -> None:
    with idconnect.connect(json_config) as hub:
        ann = hub.store("shop").create_account(
            {"userName": "ann", "emails": [{"value": "Ann@Example.com"}]}
        )
        hub.store("web").create_account({"userName": "bob", "emails": [{"value": "b@x.org"}]})
    found = run("find_person.py", "ann@example.com", "--config", str(json_config))
    assert found.returncode == 0, found.stderr
    assert found.stdout.splitlines() == ["web: no match", f"shop: {ann.id} ann (enabled)"]
    missing = run("find_person.py", "zed@example.com", "--config", str(json_config))
    assert missing.returncode == 1
