"""``idconnect consents list|record|revoke`` and the summary in ``accounts show``."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def env(records_env: Any) -> Any:
    """The CLI over a real SQLite store (``RecordsEnv`` of tests/conftest.py)."""
    return records_env


def test_record_supersede_and_revoke(env: Any) -> None:
    ann = env.add("ann")
    shown = env.run("accounts", "show", "main", "ann").output
    assert any(line.split() == ["Consents", "none"] for line in shown.splitlines())
    first = env.json(
        "consents",
        "record",
        "main",
        "ann",
        "--purpose",
        "marketing-email",
        "--version",
        "1",
        "--agreed-at",
        "2025-03-01T09:30:00Z",
    )
    assert first["agreedAt"] == "2025-03-01T09:30:00Z"
    second = env.json(
        "consents",
        "record",
        "main",
        "ann@example.com",
        "--purpose",
        "marketing-email",
        "--version",
        "2",
    )
    log = {c["id"]: c for c in env.json("consents", "list", "main", "ann")}
    assert log[first["id"]]["endedHow"] == "superseded"
    assert "endedHow" not in log[second["id"]]
    assert "marketing-email v2; 1 ended" in env.run("accounts", "show", "main", ann).output
    result = env.run(
        "consents",
        "revoke",
        "main",
        "ann",
        second["id"],
        "--by-customer",
        "--reason",
        "opted out by phone",
    )
    assert result.exit_code == 0, result.output
    table = env.run("consents", "list", "main", "ann").output
    assert "revoked_by_customer" in table and "superseded" in table
    assert "none active; 2 ended" in env.run("accounts", "show", "main", "ann").output
    actions = [e.action for e in env.store.events(ann)]
    assert actions[-3:] == ["record_consent", "record_consent", "revoke_consent"]


def test_bad_input_is_refused_before_anything_is_written(env: Any) -> None:
    env.add("ann")
    result = env.run(
        "consents",
        "record",
        "main",
        "ann",
        "--purpose",
        "terms",
        "--version",
        "1",
        "--agreed-at",
        "yesterday",
    )
    assert result.exit_code == 2 and "ISO 8601" in result.output
    result = env.run(
        "consents",
        "record",
        "main",
        "ann",
        "--purpose",
        "terms",
        "--version",
        "1",
        "--agreed-at",
        "2999-01-01T00:00:00Z",
    )
    assert result.exit_code != 0 and "must not be in the future" in result.output
    result = env.run("consents", "revoke", "main", "ann", "some-id")
    assert result.exit_code == 2 and "--reason" in result.output
    assert env.run("consents", "list", "main", "ann").output.strip() == "No consents."


def test_revoking_an_ended_consent_is_a_conflict(env: Any) -> None:
    env.add("ann")
    made = env.json("consents", "record", "main", "ann", "--purpose", "terms", "--version", "1")
    assert env.run("consents", "revoke", "main", "ann", made["id"], "--reason", "r").exit_code == 0
    again = env.run("consents", "revoke", "main", "ann", made["id"], "--reason", "r")
    assert again.exit_code != 0 and "had ended already" in again.output
