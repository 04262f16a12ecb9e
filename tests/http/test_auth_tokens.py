"""core.api_tokens on a SQLite hub state: issue, list, revoke, authenticate, permissions, audit.

The hub's clock is injected, so expiry and the last use are judged by it, never by the wall.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import idconnect
from idconnect.core.api_tokens import (
    LAST_USE_RESOLUTION,
    PREFIX,
    UNAUTHENTICATED_ACTOR,
    accepted_by_reading,
    authenticate,
    issue_token,
    list_tokens,
    revoke_token,
)
from idconnect.core.errors import (
    Conflict,
    IdconnectError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    Unauthenticated,
)

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


def config(tmp_path: Path, **extra: Any) -> dict[str, Any]:
    return {
        "hub": {"state": f"sqlite:///{tmp_path / 'state.db'}"},
        "stores": {"main": {"plugin": "memory"}, "side": {"plugin": "memory"}},
        **extra,
    }


def test_a_token_is_shown_once_and_kept_only_as_its_digest(tmp_path: Path) -> None:
    with idconnect.connect(config(tmp_path)) as hub:
        token, record = issue_token(hub, admin="alice", reason="tests")
        assert token.startswith(PREFIX) and len(token) == len(PREFIX) + 43
        assert record.admin == "alice" and record.store is None and record.expires is None
        assert token not in repr(record) and token not in repr(list_tokens(hub))
        other, _ = issue_token(hub, admin="alice", reason="tests")
        assert other != token
    kept = b"".join(p.read_bytes() for p in tmp_path.glob("state.db*"))
    assert token.encode() not in kept and token[len(PREFIX) :].encode() not in kept
    assert hashlib.sha256(token.encode()).hexdigest().encode() in kept


def test_expiry_and_last_use_follow_the_hubs_clock(tmp_path: Path) -> None:
    clock = Clock()
    with idconnect.connect(config(tmp_path), clock=clock) as hub:
        token, record = issue_token(
            hub, admin="bot", store="main", expires=timedelta(hours=2), reason="tests"
        )
        assert (record.created, record.expires) == (START, START + timedelta(hours=2))
        assert authenticate(hub, token).last_used_at == START
        clock.now += LAST_USE_RESOLUTION / 2
        assert authenticate(hub, token).last_used_at == START  # not written again yet
        assert list_tokens(hub)[0].last_used_at == START
        clock.now += LAST_USE_RESOLUTION
        later = clock.now
        assert authenticate(hub, token).last_used_at == later
        assert list_tokens(hub)[0].last_used_at == later
        assert list_tokens(hub)[0].status(clock.now) == "active"
        clock.now = START + timedelta(hours=2)
        with pytest.raises(Unauthenticated, match="is expired") as refused:
            authenticate(hub, token)
        assert refused.value.details == {"why": "expired"}
        assert list_tokens(hub)[0].status(clock.now) == "expired"
        assert list_tokens(hub)[0].last_used_at == later


def test_issuing_refuses_bad_input(tmp_path: Path) -> None:
    clock = Clock()
    with idconnect.connect(config(tmp_path), clock=clock) as hub:
        cases: list[tuple[dict[str, Any], str]] = [
            ({"admin": ""}, "admin must be non-empty text"),
            ({"admin": "a" * 257}, "at most 256 characters"),
            ({"admin": "a", "store": "nowhere"}, "no store named 'nowhere'"),
            ({"admin": "a", "expires": timedelta(0)}, "must lie in the future"),
            ({"admin": "a", "expires": START - timedelta(seconds=1)}, "must lie in the future"),
            ({"admin": "a", "expires": datetime(2030, 1, 1)}, "aware datetime"),
            ({"admin": "a", "reason": " "}, "reason must be non-empty text"),
        ]
        for arguments, message in cases:
            with pytest.raises(InvalidInput, match=message):
                issue_token(hub, **arguments)
        assert list_tokens(hub) == []
        until = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
        _, record = issue_token(hub, admin="a", expires=until)
        assert record.expires == until


def test_revoking_twice_or_an_unknown_id(tmp_path: Path) -> None:
    clock = Clock()
    with idconnect.connect(config(tmp_path), clock=clock) as hub:
        token, record = issue_token(hub, admin="alice", reason="tests")
        clock.now += timedelta(minutes=5)
        revoked = revoke_token(hub, record.id, reason="leaked")
        assert revoked.revoked_at == clock.now
        with pytest.raises(Unauthenticated, match="is revoked") as refused:
            authenticate(hub, token)
        assert refused.value.details == {"why": "revoked"}
        with pytest.raises(Conflict, match="revoked already"):
            revoke_token(hub, record.id, reason="again")
        with pytest.raises(NotFound, match="no API token with id 'nope'"):
            revoke_token(hub, "nope", reason="typo")
        with pytest.raises(InvalidInput, match="reason"):
            revoke_token(hub, record.id, reason="")


def test_managing_tokens_needs_its_permissions_and_is_audited(tmp_path: Path) -> None:
    admins = {
        "roles": {
            "agent": {"permissions": ["accounts.*"]},
            "keeper": {"permissions": ["tokens.manage", "tokens.read"]},
            "scoped": {"permissions": ["tokens.*"], "stores": ["main"]},
        },
        "members": {"alice": ["agent"], "kim": ["keeper"], "sam": ["scoped"]},
    }
    with idconnect.connect(config(tmp_path, admins=admins)) as hub:
        for actor in ("alice", "sam"):  # a role on some stores never grants hub-wide actions
            with pytest.raises(PermissionDenied, match=r"'tokens\.manage'"):
                issue_token(hub, admin="alice", reason="try", actor=actor)
            with pytest.raises(PermissionDenied, match=r"'tokens\.read'"):
                list_tokens(hub, actor=actor)
        _, record = issue_token(hub, admin="alice", store="side", reason="crm sync", actor="kim")
        with pytest.raises(PermissionDenied, match=r"'tokens\.manage'"):
            revoke_token(hub, record.id, reason="try", actor="alice")
        assert list_tokens(hub, actor="kim") == [record]
        assert list_tokens(hub, admin="bob", actor="kim") == []
        revoke_token(hub, record.id, reason="crm retired", actor="kim")
        events = hub.audit.state.events("(hub)")
    done = [
        (e.actor, e.action, e.outcome, e.account_id, e.target, e.reason)
        for e in events
        if e.outcome != "denied"
    ]
    assert done == [
        ("kim", "issue_api_token", "success", "alice", record.id, "crm sync"),
        ("kim", "revoke_api_token", "success", "alice", record.id, "crm retired"),
    ]
    denied = [(e.actor, e.action) for e in events if e.outcome == "denied"]
    assert denied == [
        ("alice", "issue_api_token"),
        ("alice", "list_api_tokens"),
        ("sam", "issue_api_token"),
        ("sam", "list_api_tokens"),
        ("alice", "revoke_api_token"),
    ]


def test_refusals_are_audited_without_the_token(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    clock = Clock()
    errors: list[IdconnectError] = []
    with idconnect.connect(config(tmp_path), clock=clock) as hub:
        token, record = issue_token(hub, admin="alice", expires=timedelta(days=1), reason="t")
        changed = token[:-1] + ("A" if token[-1] != "A" else "B")
        clock.now += timedelta(days=2)
        for attempt in (changed, token, token[:20], token + "x"):
            with pytest.raises(Unauthenticated) as refused:
                authenticate(hub, attempt, client="192.0.2.7")
            errors.append(refused.value)
        events = [e for e in hub.audit.state.events("(hub)") if e.action != "issue_api_token"]
    assert [e.details["why"] for e in errors] == ["unknown", "expired", "malformed", "malformed"]
    assert [(e.actor, e.account_id, e.target) for e in events] == [
        (UNAUTHENTICATED_ACTOR, None, None),
        ("alice", "alice", record.id),
        (UNAUTHENTICATED_ACTOR, None, None),
        (UNAUTHENTICATED_ACTOR, None, None),
    ]
    assert all(e.error and e.error.endswith("(client 192.0.2.7)") for e in events)
    haystack = " ".join(
        [
            *(f"{r.getMessage()} {r.args}" for r in caplog.records),
            *(f"{e!s} {e!r} {e.details} {e.to_scim()}" for e in errors),
            *(repr(e) for e in events),
        ]
    )
    for secret in (token[len(PREFIX) :], changed[len(PREFIX) :], token[len(PREFIX) : 20]):
        assert secret not in haystack


def test_accepted_by_reading_answers_only_when_nothing_needs_writing(tmp_path: Path) -> None:
    clock = Clock()
    with idconnect.connect(config(tmp_path), clock=clock) as hub:
        token, record = issue_token(hub, admin="alice", expires=timedelta(hours=2), reason="t")
        assert accepted_by_reading(hub, token) is None, "never used: authenticate records it"
        authenticate(hub, token)
        assert accepted_by_reading(hub, token) == authenticate(hub, token)
        assert accepted_by_reading(hub, PREFIX + "x" * 43) is None  # unknown
        assert accepted_by_reading(hub, "not a token") is None
        clock.now += LAST_USE_RESOLUTION + timedelta(seconds=1)
        assert accepted_by_reading(hub, token) is None, "a stale last use is written again"
        authenticate(hub, token)
        assert accepted_by_reading(hub, token) is not None
        revoke_token(hub, record.id, reason="t")
        assert accepted_by_reading(hub, token) is None
        clock.now += timedelta(hours=3)
        other, _ = issue_token(hub, admin="alice", expires=timedelta(minutes=1), reason="t")
        authenticate(hub, other)
        clock.now += timedelta(minutes=2)
        assert accepted_by_reading(hub, other) is None  # expired
        events = hub.audit.state.events("(hub)")
        refusals = [e for e in events if e.action == "authenticate_api_token"]
        assert not refusals, "reading alone records nothing"
