"""Password reset links: sent through a client by email to a real SMTP server (aiosmtpd, started
here), redeemed once by the customer-facing app; expiry by an injected clock, never a sleep."""

from __future__ import annotations

import getpass
import hashlib
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

import idconnect
from idconnect import Account, Email, InvalidInput, PermissionDenied, TokenRefused
from idconnect.core.notification import MASK
from idconnect.core.permissions import SYSTEM_ACTOR
from tests.token_helpers import PASSWORD, T0, Clock, Inbox, inbox, token

__all__ = ["inbox"]


def config(tmp_path: Path, port: int) -> dict[str, Any]:
    return {
        "hub": {"state": f"sqlite:///{tmp_path / 'state.db'}"},
        "stores": {"mem": {"plugin": "memory"}},
        "applications": {"shop": {"policy": "retail"}},
        "clients": {
            "shop-web": {
                "application": "shop",
                "login_url": "https://shop.example.com/login",
                "reset_url": "https://shop.example.com/reset?token={token}",
            },
            "shop-kiosk": {"application": "shop", "login_url": "https://kiosk.example.com/"},
        },
        "notifications": {
            "channels": {
                "email": {
                    "plugin": "smtp",
                    "host": "127.0.0.1",
                    "port": port,
                    "security": "none",
                    "sender": "support@example.com",
                }
            },
            "policies": {"retail": {"channel": "email", "link_lifetime": "30m"}},
        },
        "admins": {
            "roles": {
                "support": {"permissions": ["*"]},
                "viewer": {"permissions": ["accounts.read"]},
            },
            "members": {getpass.getuser(): ["support"], "junior": ["viewer"]},
        },
    }


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def hub(tmp_path: Path, inbox: tuple[Inbox, int], clock: Clock) -> Iterator[idconnect.Hub]:
    with idconnect.connect(config(tmp_path, inbox[1]), clock=clock) as hub:
        yield hub


@pytest.fixture
def account_id(hub: idconnect.Hub) -> str:
    account = Account(
        user_name="bjensen",
        emails=(Email(value="bjensen@example.org", primary=True, verified=True),),
    )
    created = hub.store("mem").create_account(account, reason="test")
    assert created.id is not None
    return created.id


def send(hub: idconnect.Hub, account_id: str) -> Any:
    return hub.store("mem").send_password_reset(account_id, client="shop-web", reason="call 88")


def test_the_link_is_mailed_masked_in_the_log_and_sets_the_password_once(
    hub: idconnect.Hub, inbox: tuple[Inbox, int], account_id: str
) -> None:
    notification = send(hub, account_id)
    assert notification.status == "sent"
    assert notification.expires_at == T0 + timedelta(minutes=30)
    link = inbox[0].link()
    assert token(link) not in notification.content and MASK in notification.content
    assert inbox[0].messages[-1]["To"] == "bjensen@example.org"

    grant = hub.redeem_password_reset(token(link), PASSWORD)
    assert (grant.store, grant.account_id, grant.client) == ("mem", account_id, "shop-web")
    store = hub.store("mem")
    assert store.backend.check_password(account_id, PASSWORD)
    events = store.events(account_id)
    by_action = {e.action: e for e in events}
    assert by_action["send_password_reset"].reason == "call 88"
    changed = by_action["set_password"]
    assert (changed.actor, changed.reason) == (SYSTEM_ACTOR, "password reset by the customer")
    assert by_action["redeem_password_reset"].target == by_action["send_password_reset"].target
    assert [r.kind for r in store.activity(account_id, kinds=["password_reset"]).items] == [
        "password_reset"
    ]

    with pytest.raises(TokenRefused, match="used already") as refused:
        hub.redeem_password_reset(token(link), "another password 2")
    assert refused.value.details["why"] == "used"
    assert store.backend.check_password(account_id, PASSWORD)


def test_an_expired_token_is_refused(
    hub: idconnect.Hub, inbox: tuple[Inbox, int], account_id: str, clock: Clock
) -> None:
    send(hub, account_id)
    clock.now += timedelta(minutes=30)
    with pytest.raises(TokenRefused, match="expired") as refused:
        hub.redeem_password_reset(token(inbox[0].link()), PASSWORD)
    assert refused.value.details["why"] == "expired"
    assert not hub.store("mem").backend.check_password(account_id, PASSWORD)


def test_an_unknown_or_changed_token_is_refused(
    hub: idconnect.Hub, inbox: tuple[Inbox, int], account_id: str
) -> None:
    send(hub, account_id)
    real = token(inbox[0].link())
    for forged, why in (
        (real[:-1] + ("A" if real[-1] != "A" else "B"), "unknown"),
        ("", "malformed"),
    ):
        with pytest.raises(TokenRefused) as refused:
            hub.redeem_password_reset(forged, PASSWORD)
        assert refused.value.details["why"] == why


def test_a_refused_password_leaves_the_token_usable(
    hub: idconnect.Hub, inbox: tuple[Inbox, int], account_id: str
) -> None:
    send(hub, account_id)
    with pytest.raises(InvalidInput, match="at least 8"):
        hub.redeem_password_reset(token(inbox[0].link()), "short")
    hub.redeem_password_reset(token(inbox[0].link()), PASSWORD)
    assert hub.store("mem").backend.check_password(account_id, PASSWORD)


def test_two_concurrent_redemptions_one_wins(
    hub: idconnect.Hub, inbox: tuple[Inbox, int], account_id: str
) -> None:
    send(hub, account_id)
    secret = token(inbox[0].link())
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def redeem(password: str) -> None:
        barrier.wait()
        try:
            hub.redeem_password_reset(secret, password)
            outcomes.append("won")
        except TokenRefused as exc:
            outcomes.append(exc.details["why"])

    threads = [threading.Thread(target=redeem, args=(f"{PASSWORD} {n}",)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["used", "won"]
    events = hub.store("mem").events(account_id, action="set_password")
    assert len(events) == 1


def test_sending_needs_the_permission_a_reason_and_a_reset_url(
    hub: idconnect.Hub, inbox: tuple[Inbox, int], account_id: str
) -> None:
    store = hub.store("mem")
    with pytest.raises(PermissionDenied, match=r"credentials\.reset"):
        store.send_password_reset(account_id, client="shop-web", reason="x", actor="junior")
    with pytest.raises(InvalidInput, match="reason"):
        store.send_password_reset(account_id, client="shop-web", reason=" ")
    with pytest.raises(InvalidInput, match="has no reset_url"):
        store.send_password_reset(account_id, client="shop-kiosk", reason="x")
    assert inbox[0].messages == []
    outcomes = [e.outcome for e in store.events(account_id, action="send_password_reset")]
    assert outcomes == ["denied", "failure"]


def test_the_state_database_holds_only_the_digest(
    hub: idconnect.Hub, inbox: tuple[Inbox, int], account_id: str, tmp_path: Path
) -> None:
    send(hub, account_id)
    secret = token(inbox[0].link())
    hub.close()
    data = b"".join(p.read_bytes() for p in tmp_path.glob("state.db*"))
    assert secret.encode() not in data
    assert hashlib.sha256(secret.encode()).hexdigest().encode() in data
