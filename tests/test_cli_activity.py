"""``idconnect activity`` and ``idconnect record-activity`` on the embedded SQLite store."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def env(records_env: Any) -> Any:
    """The CLI over a real SQLite store (``RecordsEnv`` of tests/conftest.py)."""
    return records_env


def _record(env: Any, ref: str, kind: str, at: str, *extra: str) -> dict[str, Any]:
    made: dict[str, Any] = env.json(
        "record-activity", "main", ref, "--kind", kind, "--at", at, *extra
    )
    return made


def test_timeline_merges_store_records_and_support_changes(env: Any) -> None:
    ann = env.add("ann")
    failed = _record(
        env,
        "ann",
        "login_failed",
        "2025-03-01T09:00:00Z",
        "--ip",
        "192.0.2.7",
        "--user-agent",
        "Firefox/128",
    )
    assert (failed["kind"], failed["ip"], failed["userAgent"]) == (
        "login_failed",
        "192.0.2.7",
        "Firefox/128",
    )
    _record(
        env,
        "ann@example.com",
        "login_succeeded",
        "2025-03-01T09:01:00Z",
        "--detail",
        "method=password",
    )
    assert (
        env.run("accounts", "disable", "main", ann, "--reason", "ticket 7", "--yes").exit_code == 0
    )
    page = env.json("activity", "main", "ann")
    kinds = [r["kind"] for r in page["Resources"]]
    assert kinds[-2:] == ["login_succeeded", "login_failed"]
    admin = [r for r in page["Resources"] if r["kind"] == "admin"]
    assert any(r["action"] == "disable_account" and r["reason"] == "ticket 7" for r in admin)
    assert page["Resources"][-2]["detail"] == {"method": "password"}
    table = env.run("activity", "main", "ann").output
    assert "login_failed" in table and "192.0.2.7" in table and "ticket 7" in table


def test_filters_and_a_cursor_that_resumes_in_another_process(env: Any) -> None:
    env.add("bob")
    for minute in range(5):
        _record(env, "bob", "login_failed", f"2025-03-01T09:0{minute}:00Z")
    _record(env, "bob", "password_reset", "2025-03-01T10:00:00Z")
    first = env.json("activity", "main", "bob", "--kind", "login_failed", "--count", "2")
    assert [r["at"] for r in first["Resources"]] == ["2025-03-01T09:04:00Z", "2025-03-01T09:03:00Z"]
    rest = env.json(
        "activity",
        "main",
        "bob",
        "--kind",
        "login_failed",
        "--count",
        "10",
        "--cursor",
        first["nextCursor"],
    )
    assert [r["at"] for r in rest["Resources"]] == [f"2025-03-01T09:0{m}:00Z" for m in (2, 1, 0)]
    assert "nextCursor" not in rest
    window = env.json(
        "activity",
        "main",
        "bob",
        "--since",
        "2025-03-01T09:01:00Z",
        "--until",
        "2025-03-01T09:03:00Z",
    )
    assert len(window["Resources"]) == 3
    shown = env.run("activity", "main", "bob", "--kind", "login_failed", "--count", "2").output
    assert "--cursor" in shown


def test_bad_input_is_refused_before_anything_is_written(env: Any) -> None:
    env.add("cy")
    secret = env.run(
        "record-activity", "main", "cy", "--kind", "login_failed", "--detail", "password=hunter2"
    )
    assert secret.exit_code != 0 and "hunter2" not in secret.output
    assert (
        env.run("record-activity", "main", "cy", "--kind", "lockout", "--ip", "not-an-ip").exit_code
        != 0
    )
    assert env.run("record-activity", "main", "cy", "--kind", "admin").exit_code != 0
    backwards = env.run("activity", "main", "cy", "--since", "2025-03-02", "--until", "2025-03-01")
    assert backwards.exit_code != 0 and "until" in backwards.output
    assert env.run("activity", "main", "cy", "--cursor", "garbage").exit_code != 0
    assert env.json("activity", "main", "cy", "--kind", "lockout")["Resources"] == []
    assert env.run("activity", "main", "nobody").exit_code != 0
