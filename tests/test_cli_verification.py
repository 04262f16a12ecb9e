"""``idconnect verifications list|verify|revoke`` and the summary in ``accounts show``."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def env(records_env: Any) -> Any:
    """The CLI over a real SQLite store (``RecordsEnv`` of tests/conftest.py)."""
    return records_env


def test_verify_list_and_revoke_by_user_name_and_email(env: Any) -> None:
    ann = env.add("ann")
    assert env.run("accounts", "show", "main", "ann").output.count("not verified") == 1
    made = env.json(
        "verifications",
        "verify",
        "main",
        "ann",
        "--policy",
        "document-check",
        "--evidence",
        "passport ref 4711",
        "--reason",
        "call 88",
    )
    assert (made["accountId"], made["policy"], made["level"]) == (
        ann,
        "document-check",
        "substantial",
    )
    listed = env.run("verifications", "list", "main", "ann@example.com")
    assert listed.exit_code == 0
    assert "passport ref 4711" in listed.output and "valid" in listed.output
    shown = env.run("accounts", "show", "main", ann).output
    assert "verified (document-check, substantial) until" in shown
    revoked = env.run(
        "verifications", "revoke", "main", "ann", made["id"], "--reason", "identity at risk"
    )
    assert revoked.exit_code == 0, revoked.output
    assert f"Revoked identity verification {made['id']}" in revoked.output
    [after] = env.json("verifications", "list", "main", "ann")
    assert after["revokeReason"] == "identity at risk" and "revokedAt" in after
    assert "not verified; 1 revoked" in env.run("accounts", "show", "main", "ann").output
    events = [e.action for e in env.store.events(ann)]
    assert events[-2:] == ["verify_identity", "revoke_verification"]


def test_an_unknown_policy_is_refused_naming_it(env: Any) -> None:
    env.add("ann")
    result = env.run(
        "verifications",
        "verify",
        "main",
        "ann",
        "--policy",
        "video",
        "--evidence",
        "x",
        "--reason",
        "y",
    )
    assert result.exit_code != 0
    assert "unknown identity verification policy 'video'" in result.output
    assert "document-check" in result.output
    assert env.run("verifications", "list", "main", "ann").output.strip() == (
        "No identity verifications."
    )


def test_mutations_need_a_reason(env: Any) -> None:
    env.add("ann")
    result = env.run(
        "verifications", "verify", "main", "ann", "--policy", "document-check", "--evidence", "x"
    )
    assert result.exit_code == 2 and "--reason" in result.output
    result = env.run("verifications", "revoke", "main", "ann", "some-id", "--reason", " ")
    assert result.exit_code == 2 and "must not be empty" in result.output


def test_an_unknown_account_or_verification_is_an_error(env: Any) -> None:
    env.add("ann")
    result = env.run("verifications", "list", "main", "nobody")
    assert result.exit_code != 0 and "nobody" in result.output
    result = env.run("verifications", "revoke", "main", "ann", "no-such-id", "--reason", "r")
    assert (
        result.exit_code != 0 and "no identity verification with id 'no-such-id'" in result.output
    )
