"""Console logins and sessions on a SQLite hub state: passwords, TOTP, rate limits, expiry."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pyotp
import pytest

import idconnect
from idconnect.core.admin_login import (
    LoginLimits,
    enable_admin_totp,
    has_console_password,
    set_admin_password,
    verify_admin_login,
)
from idconnect.core.console_sessions import (
    IDLE_TIMEOUT,
    LIFETIME,
    close_console_session,
    console_session,
    open_console_session,
)
from idconnect.core.errors import (
    InvalidInput,
    NotFound,
    PermissionDenied,
    RateLimited,
    Unauthenticated,
)
from tests.token_helpers import Clock

PASSWORD = "correct horse battery staple"
ADMINS = """
[admins.roles.agent]
permissions = ["accounts.read"]

[admins.members]
root = ["owner"]
carol = ["agent"]
"""


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def hub(tmp_path: Path, clock: Clock) -> Iterator[idconnect.Hub]:
    config = tmp_path / "hub.toml"
    config.write_text(
        f'[hub]\nstate = "sqlite:///{tmp_path / "state.db"}"\n\n'
        '[stores.main]\nplugin = "memory"\n' + ADMINS
    )
    with idconnect.connect(str(config), clock=clock) as hub:
        yield hub


def _why(excinfo: pytest.ExceptionInfo[Unauthenticated]) -> str:
    return str(excinfo.value.details["why"])


def _console_events(hub: idconnect.Hub) -> list[idconnect.Event]:
    return [e for e in hub.audit.state.events("(hub)") if e.action == "console_login"]


def test_a_set_password_logs_in_and_both_refusals_read_the_same(hub: idconnect.Hub) -> None:
    set_admin_password(hub, "carol", PASSWORD, by="root", reason="new support engineer")
    assert has_console_password(hub, "carol") and not has_console_password(hub, "dave")
    assert verify_admin_login(hub, "carol", PASSWORD, client="10.0.0.1") == "carol"
    with pytest.raises(Unauthenticated) as wrong:
        verify_admin_login(hub, "carol", PASSWORD + "!", client="10.0.0.1")
    with pytest.raises(Unauthenticated) as unknown:
        verify_admin_login(hub, "dave", PASSWORD, client="10.0.0.1")
    assert _why(wrong) == _why(unknown) == "bad_credentials"
    assert str(wrong.value) == str(unknown.value)
    events = _console_events(hub)
    assert [(e.outcome, e.account_id, e.target) for e in events] == [
        ("success", "carol", "10.0.0.1"),
        ("failure", "carol", "10.0.0.1"),
        ("failure", "dave", "10.0.0.1"),
    ]
    [set_event] = [e for e in hub.audit.state.events("(hub)") if e.action == "set_admin_password"]
    assert (set_event.actor, set_event.account_id) == ("root", "carol")
    assert set_event.reason == "new support engineer"
    every = repr(list(hub.audit.state.events("(hub)")))
    assert PASSWORD not in every


@pytest.mark.parametrize(
    ("password", "rule"),
    [
        ("short pass", "at least 12 characters"),
        ("x" * 1025, "at most 1024 characters"),
        (12345678901234, "must be text"),
    ],
)
def test_the_password_policy_names_its_rule_never_the_password(
    hub: idconnect.Hub, password: object, rule: str
) -> None:
    with pytest.raises(InvalidInput, match=rule) as refused:
        set_admin_password(hub, "carol", password, by="root", reason="r")  # type: ignore[arg-type]
    assert str(password) not in str(refused.value)
    assert not has_console_password(hub, "carol")


def test_the_name_as_password_is_refused(hub: idconnect.Hub) -> None:
    with pytest.raises(InvalidInput, match="must not be the admin's name") as refused:
        set_admin_password(hub, "support-engineer", "Support-Engineer", by="root", reason="r")
    assert refused.value.account == "support-engineer"


def test_setting_another_admins_password_needs_admins_manage(hub: idconnect.Hub) -> None:
    with pytest.raises(PermissionDenied, match=r"admins\.manage"):
        set_admin_password(hub, "root", PASSWORD, by="carol", reason="takeover")
    assert not has_console_password(hub, "root")
    set_admin_password(hub, "carol", PASSWORD, by="carol", reason="my own")
    with pytest.raises(InvalidInput, match="reason"):
        set_admin_password(hub, "carol", PASSWORD, by="carol", reason=" ")


def test_totp_is_required_once_enabled_and_a_code_counts_once(
    hub: idconnect.Hub, clock: Clock
) -> None:
    with pytest.raises(NotFound, match="no console password"):
        enable_admin_totp(hub, "carol", by="root", reason="2fa")
    set_admin_password(hub, "carol", PASSWORD, by="root", reason="r")
    uri = enable_admin_totp(hub, "carol", by="root", reason="2fa for support")
    totp = pyotp.parse_uri(uri)
    assert uri.startswith("otpauth://totp/idconnect:carol?") and "issuer=idconnect" in uri
    with pytest.raises(Unauthenticated) as asked:
        verify_admin_login(hub, "carol", PASSWORD)
    assert _why(asked) == "otp_required"
    code = totp.at(clock.now)
    wrong = "000000" if code != "000000" else "111111"
    with pytest.raises(Unauthenticated) as bad:
        verify_admin_login(hub, "carol", PASSWORD, otp=wrong)
    assert _why(bad) == "bad_otp"
    assert verify_admin_login(hub, "carol", PASSWORD, otp=code) == "carol"
    with pytest.raises(Unauthenticated) as replayed:
        verify_admin_login(hub, "carol", PASSWORD, otp=code)
    assert _why(replayed) == "bad_otp"
    clock.now += timedelta(seconds=30)  # the next step, from the app's clock one step behind
    assert verify_admin_login(hub, "carol", PASSWORD, otp=totp.at(clock.now)) == "carol"
    with pytest.raises(Unauthenticated) as right_code_wrong_password:
        verify_admin_login(hub, "carol", "not the password", otp=totp.at(clock.now))
    assert _why(right_code_wrong_password) == "bad_credentials"
    every = repr(list(hub.audit.state.events("(hub)")))
    assert code not in every and totp.secret not in every and PASSWORD not in every


def test_refusals_lock_a_name_and_rate_limit_an_address(hub: idconnect.Hub, clock: Clock) -> None:
    limits = LoginLimits(per_client=4, per_admin=3, window=timedelta(minutes=10))
    set_admin_password(hub, "carol", PASSWORD, by="root", reason="r")
    for n in range(3):
        with pytest.raises(Unauthenticated) as refused:
            verify_admin_login(hub, "carol", f"guess {n} wrong", client="10.0.0.9", limits=limits)
        assert _why(refused) == "bad_credentials"
        clock.now += timedelta(minutes=1)
    with pytest.raises(Unauthenticated) as locked:  # the right password, from anywhere
        verify_admin_login(hub, "carol", PASSWORD, client="10.0.0.2", limits=limits)
    assert _why(locked) == "locked" and locked.value.details["retry_after"] == 7 * 60
    with pytest.raises(Unauthenticated):  # one more refusal from the same address...
        verify_admin_login(hub, "nobody", "guess", client="10.0.0.9", limits=limits)
    with pytest.raises(RateLimited) as limited:  # ...and it gets 429 for anything
        verify_admin_login(hub, "root", "anything", client="10.0.0.9", limits=limits)
    assert limited.value.http_status == 429 and "10.0.0.9" in str(limited.value)
    assert limited.value.details["retry_after"] == 7 * 60
    clock.now += timedelta(minutes=7)  # the name's oldest refusal leaves the window
    assert verify_admin_login(hub, "carol", PASSWORD, client="10.0.0.2", limits=limits) == "carol"
    outcomes = [e.error_code for e in _console_events(hub) if e.outcome != "success"]
    assert outcomes.count("rate_limited") == 1 and outcomes.count("unauthenticated") == 5


def test_failures_are_shared_by_every_hub_on_the_same_state(
    hub: idconnect.Hub, tmp_path: Path, clock: Clock
) -> None:
    limits = LoginLimits(per_client=100, per_admin=2)
    set_admin_password(hub, "carol", PASSWORD, by="root", reason="r")
    with idconnect.connect(str(tmp_path / "hub.toml"), clock=clock) as other:
        with pytest.raises(Unauthenticated):
            verify_admin_login(hub, "carol", "wrong one here", limits=limits)
        with pytest.raises(Unauthenticated):
            verify_admin_login(other, "carol", "wrong two here", limits=limits)
        with pytest.raises(Unauthenticated) as locked:
            verify_admin_login(hub, "carol", PASSWORD, limits=limits)
    assert _why(locked) == "locked"


def test_a_session_expires_when_idle_or_old_and_ends_at_logout(
    hub: idconnect.Hub, clock: Clock
) -> None:
    cookie, session = open_console_session(hub, "carol")
    assert session.admin == "carol" and session.expires == clock.now + LIFETIME
    assert session.csrf_token and session.csrf_token != cookie
    assert console_session(hub, cookie) == session
    clock.now += IDLE_TIMEOUT - timedelta(seconds=1)
    seen = console_session(hub, cookie)
    assert seen.last_seen == clock.now and seen.id == session.id
    clock.now += IDLE_TIMEOUT - timedelta(seconds=1)
    assert console_session(hub, cookie).id == session.id
    clock.now += IDLE_TIMEOUT
    with pytest.raises(Unauthenticated) as idle:
        console_session(hub, cookie)
    assert _why(idle) == "expired"
    with pytest.raises(Unauthenticated) as gone:
        console_session(hub, cookie)
    assert _why(gone) == "unknown"

    busy, _ = open_console_session(hub, "carol")
    for _ in range(int(LIFETIME / IDLE_TIMEOUT) * 2):
        clock.now += IDLE_TIMEOUT / 2
        try:
            console_session(hub, busy)
        except Unauthenticated as exc:
            assert exc.details["why"] == "expired"
            break
    else:
        pytest.fail("a busy session outlived its lifetime")

    third, _ = open_console_session(hub, "carol")
    close_console_session(hub, third)
    close_console_session(hub, third)  # twice is harmless
    with pytest.raises(Unauthenticated) as closed:
        console_session(hub, third)
    assert _why(closed) == "unknown" and third not in str(closed.value)
    [logout] = [e for e in hub.audit.state.events("(hub)") if e.action == "close_console_session"]
    assert logout.actor == "carol" and third not in repr(logout)


def test_a_password_change_ends_the_admins_sessions(hub: idconnect.Hub) -> None:
    set_admin_password(hub, "carol", PASSWORD, by="root", reason="r")
    mine, _ = open_console_session(hub, "carol")
    theirs, _ = open_console_session(hub, "root")
    set_admin_password(hub, "carol", PASSWORD + " two", by="root", reason="suspected leak")
    with pytest.raises(Unauthenticated):
        console_session(hub, mine)
    assert console_session(hub, theirs).admin == "root"
    with pytest.raises(Unauthenticated):
        verify_admin_login(hub, "carol", PASSWORD)
    assert verify_admin_login(hub, "carol", PASSWORD + " two") == "carol"
