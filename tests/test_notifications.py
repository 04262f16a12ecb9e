"""Customer notifications: the selection rules, email over a real SMTP server, SMS to a stand-in
provider, failures reported beside the change, and secrets kept out of the log.

The email tests run a real SMTP server (aiosmtpd) on a free local port. The SMS tests run a
local HTTP server that stands in for an SMS gateway: it records each request so the test can
check the JSON body and the HMAC-SHA256 signature the way a real provider would.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import hmac
import json
import logging
import socket
import threading
from collections.abc import Iterator
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

import idconnect
from idconnect.core.errors import ConfigError, InvalidInput, PermissionDenied
from idconnect.core.model import Account, Email, PhoneNumber
from idconnect.core.notification import MASK, DeliveryStatus, Medium, Notified

SMS_KEY = "canary-hmac-key-5f0c"


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[_Inbox, int]]:
    inbox = _Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


class _Gateway(BaseHTTPRequestHandler):
    """The stand-in SMS gateway: records requests, answers the status the test asks for."""

    received: list[tuple[dict[str, str], bytes]]
    statuses: list[int]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((dict(self.headers), body))
        status = self.statuses.pop(0) if self.statuses else 202
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def gateway() -> Iterator[tuple[type[_Gateway], int]]:
    handler = type("Gateway", (_Gateway,), {"received": [], "statuses": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield handler, server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def _config(tmp_path: Path, smtp_port: int, sms_port: int | None = None) -> dict[str, Any]:
    channels: dict[str, Any] = {
        "email": {
            "plugin": "smtp",
            "host": "127.0.0.1",
            "port": smtp_port,
            "security": "none",
            "sender": "support@example.com",
        }
    }
    if sms_port is not None:
        channels["sms"] = {
            "plugin": "http_sms",
            "url": f"http://127.0.0.1:{sms_port}/messages",
            "hmac_key_env": "IDC_TEST_SMS_KEY",
            "sender": "ACME",
            "retries": 1,
        }
    return {
        "hub": {"state": f"sqlite:///{tmp_path / 'state.db'}"},
        "stores": {"main": {"plugin": "memory"}},
        "applications": {
            "shop": {
                "branding": {
                    "display_name": "Example Shop",
                    "primary_color": "#0055aa",
                    "logo_url": "https://shop.example.com/logo.png",
                    "sender": "shop@example.com",
                },
                "policy": "retail",
            },
            "partner-portal": {"organizational": True},
        },
        "clients": {
            "shop-web": {
                "application": "shop",
                "login_url": "https://shop.example.com/login",
                "reset_url": "https://shop.example.com/reset?token={token}",
            },
            "partner-web": {
                "application": "partner-portal",
                "login_url": "https://partners.example.com/login",
                "branding": {"display_name": "Partner Portal"},
            },
        },
        "organizations": {
            "acme": {
                "branding": {"display_name": "ACME Partners", "sender": "partners@acme.example"},
                "policy": "acme",
            }
        },
        "notifications": {
            "channels": channels,
            "policies": {
                "retail": {"link_lifetime": "30m"},
                "acme": ({"events": {"password_changed": {"channel": "sms"}}} if sms_port else {}),
            },
        },
    }


def _accounts(hub: idconnect.Hub) -> tuple[str, str]:
    store = hub.store("main")
    retail = store.create_account(
        Account(
            user_name="bjensen",
            display_name="Barbara Jensen",
            emails=(Email(value="bjensen@example.com", primary=True, verified=True),),
        )
    )
    member = store.create_account(
        Account(
            user_name="partner1",
            display_name="Pat Partner",
            organization="acme",
            emails=(Email(value="pat@acme.example", primary=True, verified=True),),
            phone_numbers=(PhoneNumber(value="+447700900123", primary=True, verified=True),),
        )
    )
    assert retail.id and member.id
    return retail.id, member.id


# -- the selection rules --------------------------------------------------------------------------


def test_selection_rules_list_and_refuse_by_scenario(tmp_path: Path) -> None:
    with idconnect.connect(_config(tmp_path, 2525)) as hub:
        retail, member = _accounts(hub)
        store = hub.store("main")
        assert [c.name for c in hub.clients()] == ["shop-web", "partner-web"]
        # scenario 2: no organization -> clients of non-organizational applications
        assert [c.name for c in store.notification_clients(retail)] == ["shop-web"]
        # scenario 1: organization -> clients of organizational applications
        assert [c.name for c in store.notification_clients(member)] == ["partner-web"]
        with pytest.raises(InvalidInput, match=r"organization 'acme'.*selection rule 1"):
            store.notify(member, "profile_updated", client="shop-web", reason="ticket 1")
        with pytest.raises(InvalidInput, match=r"belongs to no organization.*selection rule 2"):
            store.notify(retail, "profile_updated", client="partner-web", reason="ticket 1")
        with pytest.raises(InvalidInput, match="no client named 'nope'"):
            store.notify(retail, "profile_updated", client="nope", reason="ticket 1")
        with pytest.raises(InvalidInput, match="unknown notification event"):
            store.notify(retail, "birthday", client="shop-web", reason="ticket 1")
        member_choice = hub.notifier.select(store.get_account(member), "partner-web")
        assert member_choice.decided_by == "organization 'acme'"
        assert member_choice.policy.name == "acme"
        assert member_choice.branding.display_name == "ACME Partners"
        retail_choice = hub.notifier.select(store.get_account(retail), "shop-web")
        assert retail_choice.decided_by == "application 'shop'"
        assert retail_choice.policy.name == "retail"
        assert retail_choice.branding.sender == "shop@example.com"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"clients": {"x": {"application": "missing"}}}, "no application named 'missing'"),
        ({"clients": {"shop-web": {"login_url": "http://shop.example.com/"}}}, "only https"),
        ({"clients": {"shop-web": {"reset_url": "https://s.example.com/r"}}}, "{token}"),
        ({"clients": {"shop-web": {"colour": "red"}}}, "unknown key 'colour'"),
        ({"applications": {"shop": {"policy": "nope"}}}, "no notification policy named"),
    ],
)
def test_bad_client_config_is_refused(tmp_path: Path, change: dict[str, Any], message: str) -> None:
    config = _config(tmp_path, 2525)
    for table, entries in change.items():
        for name, body in entries.items():
            config[table].setdefault(name, {"application": "shop"}).update(body)
    with pytest.raises(ConfigError, match=message.replace("{", r"\{").replace("}", r"\}")):
        idconnect.connect(config)


# -- email ----------------------------------------------------------------------------------------


def test_update_with_notify_delivers_a_branded_email_and_logs_it(
    tmp_path: Path, smtp: tuple[_Inbox, int]
) -> None:
    inbox, port = smtp
    with idconnect.connect(_config(tmp_path, port)) as hub:
        retail, _ = _accounts(hub)
        store = hub.store("main")
        result = store.update_account(
            retail, {"displayName": "Babs Jensen"}, reason="ticket 7", notify="shop-web"
        )
        assert isinstance(result, Notified)
        assert result.result.display_name == "Babs Jensen"
        (sent,) = result.notifications
        assert sent.status is DeliveryStatus.SENT, sent.cause
        (message,) = inbox.messages
        assert message["To"] == "bjensen@example.com"
        assert message["From"] == "Example Shop <shop@example.com>"
        assert message["Subject"] == "Your profile was updated"
        assert message["X-Idconnect-Client"] == "shop-web"
        assert message["Message-ID"] == f"<{sent.id}@idconnect>"
        assert message.get_content_type() == "multipart/alternative"
        text = message.get_body(("plain",))
        html = message.get_body(("html",))
        assert text is not None and html is not None
        assert "displayName" in text.get_content()
        assert "Hello Babs Jensen" in text.get_content()
        page = html.get_content()
        assert "#0055aa" in page and "https://shop.example.com/logo.png" in page
        assert "Example Shop" in page
        logged = store.notifications(retail)
        assert logged.total == 1
        (entry,) = logged.items
        assert (entry.template, entry.policy, entry.client) == (
            "profile_updated",
            "retail",
            "shop-web",
        )
        assert entry.target == "bjensen@example.com" and entry.medium is Medium.EMAIL
        assert entry.status is DeliveryStatus.SENT
        assert "displayName" in entry.content
        assert store.notification(retail, entry.id) == entry
        actions = [e.action for e in store.events(retail)]
        assert "notify" in actions and "update_account" in actions


def test_a_failing_channel_is_reported_beside_the_successful_change(tmp_path: Path) -> None:
    # nothing listens on this port: the SMTP server is unreachable
    with idconnect.connect(_config(tmp_path, _free_port())) as hub:
        retail, _ = _accounts(hub)
        store = hub.store("main")
        result = store.update_account(
            retail, {"displayName": "Still Changed"}, reason="ticket 8", notify="shop-web"
        )
        assert store.get_account(retail).display_name == "Still Changed"
        (failed,) = result.failed
        assert failed.status is DeliveryStatus.FAILED
        assert "cannot reach the server" in (failed.cause or "")
        (entry,) = store.notifications(retail).items
        assert entry.status is DeliveryStatus.FAILED and entry.cause == failed.cause
        disabled = store.disable_accounts([retail], reason="ticket 8", notify="shop-web")
        assert disabled.result.ok and not store.get_account(retail).active
        assert [n.event for n in disabled.failed] == ["account_disabled"]


def test_a_refused_client_stops_the_change_before_it_is_made(tmp_path: Path) -> None:
    with idconnect.connect(_config(tmp_path, 2525)) as hub:
        retail, _ = _accounts(hub)
        store = hub.store("main")
        with pytest.raises(InvalidInput, match="selection rule 2"):
            store.update_account(
                retail, {"displayName": "Never"}, reason="ticket 9", notify="partner-web"
            )
        assert store.get_account(retail).display_name == "Barbara Jensen"


# -- SMS ------------------------------------------------------------------------------------------


def test_an_sms_reaches_the_stand_in_provider_with_a_valid_signature(
    tmp_path: Path,
    smtp: tuple[_Inbox, int],
    gateway: tuple[type[_Gateway], int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    handler, sms_port = gateway
    handler.statuses.append(503)  # the first attempt fails; the retry goes through
    monkeypatch.setenv("IDC_TEST_SMS_KEY", SMS_KEY)
    with idconnect.connect(_config(tmp_path, smtp[1], sms_port)) as hub:
        _, member = _accounts(hub)
        store = hub.store("main")
        result = store.set_password(
            member, "a-new-long-password", reason="ticket 10", notify="partner-web"
        )
        assert result is not None
        (sent,) = result.notifications
        assert sent.status is DeliveryStatus.SENT, sent.cause
        assert (sent.medium, sent.target, sent.policy) == (Medium.SMS, "+447700900123", "acme")
        assert len(handler.received) == 2
        headers, body = handler.received[-1]
        expected = hmac.new(
            SMS_KEY.encode(),
            headers["X-Idconnect-Timestamp"].encode() + b"." + body,
            hashlib.sha256,
        ).hexdigest()
        assert hmac.compare_digest(headers["X-Idconnect-Signature"], f"sha256={expected}")
        doc = json.loads(body)
        assert doc["to"] == "+447700900123" and doc["medium"] == "sms"
        assert doc["text"].startswith("ACME Partners:")
        assert headers["Idempotency-Key"] == sent.id


def test_a_voice_call_reaches_the_stand_in_provider_with_a_valid_signature(
    tmp_path: Path, gateway: tuple[type[_Gateway], int], monkeypatch: pytest.MonkeyPatch
) -> None:
    # the same stand-in gateway, reached through a channel configured for voice calls
    handler, port = gateway
    monkeypatch.setenv("IDC_TEST_SMS_KEY", SMS_KEY)
    config = _config(tmp_path, 2525)
    config["notifications"]["channels"]["voice"] = {
        "plugin": "http_sms",
        "url": f"http://127.0.0.1:{port}/calls",
        "medium": "voice",
        "hmac_key_env": "IDC_TEST_SMS_KEY",
        "retries": 0,
    }
    config["notifications"]["policies"]["acme"] = {
        "events": {"account_disabled": {"channel": "voice"}}
    }
    with idconnect.connect(config) as hub:
        _, member = _accounts(hub)
        store = hub.store("main")
        result = store.disable_accounts([member], reason="ticket 12", notify="partner-web")
        assert result.result.ok and not store.get_account(member).active
        (sent,) = result.notifications
        assert sent.status is DeliveryStatus.SENT, sent.cause
        assert (sent.medium, sent.channel, sent.target) == (Medium.VOICE, "voice", "+447700900123")
        ((headers, body),) = handler.received
        expected = hmac.new(
            SMS_KEY.encode(),
            headers["X-Idconnect-Timestamp"].encode() + b"." + body,
            hashlib.sha256,
        ).hexdigest()
        assert hmac.compare_digest(headers["X-Idconnect-Signature"], f"sha256={expected}")
        doc = json.loads(body)
        assert (doc["medium"], doc["to"], doc["id"]) == ("voice", "+447700900123", sent.id)
        assert doc["text"].startswith("ACME Partners:") and doc["text"] == sent.content
        (entry,) = store.notifications(member).items
        assert (entry.medium, entry.event, entry.status) == (
            Medium.VOICE,
            "account_disabled",
            DeliveryStatus.SENT,
        )


# -- secrets --------------------------------------------------------------------------------------


def test_a_secret_variable_never_reaches_the_log_or_debug_logs(
    tmp_path: Path, smtp: tuple[_Inbox, int], caplog: pytest.LogCaptureFixture
) -> None:
    inbox, port = smtp
    canary = "https://shop.example.com/reset?token=CANARY-7d1e9b"
    caplog.set_level(logging.DEBUG)
    with idconnect.connect(_config(tmp_path, port)) as hub:
        retail, _ = _accounts(hub)
        store = hub.store("main")
        context = store._context(None, "ticket 11", need_reason=True)
        sent = hub.notifier.send(
            context,
            store.get_account(retail),
            "password_reset_requested",
            client="shop-web",
            secrets={"link": canary},
        )
        assert sent.status is DeliveryStatus.SENT, sent.cause
        assert sent.expires_at is not None  # time-sensitive: the policy's 30 minutes
        assert canary in inbox.messages[0].get_body(("plain",)).get_content()  # type: ignore[union-attr]
        assert MASK in sent.content and "CANARY" not in sent.content
        with pytest.raises(InvalidInput, match="secret variables"):
            hub.notifier.send(
                context,
                store.get_account(retail),
                "password_reset_requested",
                client="shop-web",
                variables={"link": canary},
            )
        stored = [n.content + n.subject for n in store.notifications(retail).items]
        events = [repr(e) for e in store.events(retail)]
    assert all("CANARY" not in text for text in stored + events)
    # the receiving server (aiosmtpd's mail.log) sees the message; idconnect's loggers never
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("idconnect")]
    assert ours and all("CANARY" not in line for line in ours)
    raw = (tmp_path / "state.db").read_bytes()
    assert b"CANARY" not in raw


def test_notifying_needs_the_permission(tmp_path: Path) -> None:
    config = _config(tmp_path, 2525)
    config["admins"] = {
        "roles": {"reader": {"permissions": ["accounts.*"]}},
        "members": {"agent": ["reader"]},
    }
    with idconnect.connect(config) as hub:
        store = hub.store("main")
        with hub.acting_as("agent"):
            account = store.create_account(Account(user_name="u1"))
            assert account.id
            with pytest.raises(PermissionDenied, match=r"notifications\.send"):
                store.notify(account.id, "profile_updated", client="shop-web", reason="t")
            with pytest.raises(PermissionDenied, match=r"notifications\.send"):
                store.update_account(
                    account.id, {"displayName": "X"}, reason="t", notify="shop-web"
                )
            with pytest.raises(PermissionDenied, match=r"notifications\.read"):
                store.notifications(account.id)
            assert store.get_account(account.id).display_name is None
