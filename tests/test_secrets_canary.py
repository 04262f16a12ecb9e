"""Canary secrets through config, the CLI with --debug and DEBUG logs, errors, events, exports.

Each store gets a secret holding a unique marker: a database URL with a password, a directory
bind password, a SCIM bearer token (and one with a line break, which is refused). Their servers
are unreachable (port 1 on 127.0.0.1 refuses), so every command fails through the backend's
error path with tracebacks printed (``--debug``). A sql store on SQLite then takes a new password
holding a marker, and its events, its export and the hub's state file are searched too. No
marker may appear anywhere.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("idconnect_sql", reason="needs the sql plugin")
pytest.importorskip("idconnect_ldap", reason="needs the ldap plugin")
pytest.importorskip("idconnect_rest", reason="needs the rest plugin")

MARKERS = {
    "IDC_CANARY_URL": "postgresql+psycopg://canary:CANARY-DB-PW-7731@127.0.0.1:1/idc",
    "IDC_CANARY_BIND": "CANARY-BIND-PW-7732",
    "IDC_CANARY_TOKEN": "CANARY-TOKEN-7733",
    "IDC_CANARY_BROKEN": "CANARY-TOKEN-7734\nX-Injected: 1",
}
PASSWORD = "CANARY-NEW-PW-7735 horse battery"
NEEDLES = ("CANARY-DB-PW", "CANARY-BIND-PW", "CANARY-TOKEN", "CANARY-NEW-PW", "7731", "7735")


def _config(tmp_path: Path) -> Path:
    path = tmp_path / "idconnect.toml"
    path.write_text(
        f"""
[hub]
state = "sqlite:///{tmp_path / "state.db"}"

[stores.db]
plugin = "sql"
url_env = "IDC_CANARY_URL"

[stores.dir]
plugin = "ldap"
url = "ldap://127.0.0.1:1"
bind_dn = "cn=idconnect,dc=example,dc=org"
bind_password_env = "IDC_CANARY_BIND"
users_base = "ou=people,dc=example,dc=org"
groups_base = "ou=groups,dc=example,dc=org"

[stores.scim]
plugin = "rest"
url = "http://127.0.0.1:1/v2"
token_env = "IDC_CANARY_TOKEN"

[stores.broken]
plugin = "rest"
url = "http://127.0.0.1:1/v2"
token_env = "IDC_CANARY_BROKEN"

[stores.local]
plugin = "sql"
url = "sqlite:///{tmp_path / "local.db"}"
"""
    )
    return path


def _idconnect(config: Path, *args: str, stdin: str | None = None) -> str:
    env = {**os.environ, **MARKERS, "IDCONNECT_HOME": str(config.parent), "COLUMNS": "200"}
    done = subprocess.run(
        [sys.executable, "-m", "idconnect.cli", "--debug", "--config", str(config), *args],
        capture_output=True,
        text=True,
        input=stdin,
        env=env,
        timeout=120,
    )
    return done.stdout + done.stderr


def _leaks(text: str) -> list[str]:
    return [needle for needle in NEEDLES if needle in text]


def test_no_secret_reaches_output_logs_events_exports_or_state(tmp_path: Path) -> None:
    config = _config(tmp_path)
    outputs = {
        "stores": _idconnect(config, "stores"),
        "db list": _idconnect(config, "accounts", "list", "db"),
        "dir list": _idconnect(config, "accounts", "list", "dir"),
        "scim list": _idconnect(config, "accounts", "list", "scim"),
        "broken list": _idconnect(config, "accounts", "list", "broken"),
        "scim show": _idconnect(config, "accounts", "show", "scim", "someone"),
    }
    for name, text in outputs.items():
        failed = any(w in text for w in ("Traceback", "error", "unreachable"))
        assert failed, f"{name}: {text[:300]}"
        assert _leaks(text) == [], f"{name} printed a secret:\n{text}"

    created = _idconnect(
        config, "accounts", "create", "local", "--from-json", "-", "--reason", "canary",
        stdin=json.dumps({"userName": "ann", "emails": [{"value": "ann@example.com"}]}),
    )  # fmt: skip
    assert "ann" in created, created
    changed = _idconnect(
        config, "password", "set", "local", "ann", "--reason", "canary", stdin=PASSWORD + "\n"
    )
    assert "set" in changed and _leaks(changed) == [], changed
    events = _idconnect(config, "events", "local", "--json")
    assert "set_password" in events and _leaks(events) == []
    export = tmp_path / "export.json"
    exported = _idconnect(config, "export", "local", "ann", "-o", str(export), "--reason", "x")
    assert _leaks(exported) == [] and _leaks(export.read_text()) == []
    for file in tmp_path.iterdir():
        if file.is_file() and file.suffix in {".db", ".jsonl", ".json", "-wal"}:
            assert _leaks(file.read_bytes().decode("latin-1")) == [], file.name
