"""Canary: no reset token or impersonation token reaches a log (DEBUG included), an audit event,
an export, an error, the notification log or the hub's state database.

Both kinds of token go through their whole life on a real SQLite store (sql plugin) with DEBUG
logging captured: issued, redeemed, redeemed again (refused), tampered with (refused), and
redeemed with a password the policy refuses. Then everything the hub wrote is searched for them.
"""

from __future__ import annotations

import importlib.util
import json
import logging
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from joserfc.jwk import ECKey

import idconnect
from idconnect.core.errors import IdconnectError
from tests.token_helpers import PASSWORD, Inbox, inbox, token

__all__ = ["inbox"]

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("idconnect_sql") is None, reason="needs the sql plugin"
)


def test_no_token_reaches_logs_events_exports_errors_or_the_notification_log(
    tmp_path: Path, inbox: tuple[Inbox, int], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    key = tmp_path / "impersonation.pem"
    key.write_bytes(ECKey.generate_key("P-256").as_pem(private=True))
    config = {
        "hub": {"state": f"sqlite:///{tmp_path / 'state.db'}"},
        "stores": {"main": {"plugin": "sql", "url": f"sqlite:///{tmp_path / 'store.db'}"}},
        "applications": {"shop": {}},
        "clients": {
            "shop-web": {
                "application": "shop",
                "login_url": "https://shop.example.com/login",
                "reset_url": "https://shop.example.com/reset?token={token}",
            }
        },
        "notifications": {
            "channels": {
                "email": {
                    "plugin": "smtp",
                    "host": "127.0.0.1",
                    "port": inbox[1],
                    "security": "none",
                    "sender": "support@example.com",
                }
            }
        },
        "impersonation": {"signing_key_file": str(key)},
    }
    errors: list[IdconnectError] = []
    with idconnect.connect(config) as hub:
        store = hub.store("main")
        store.provision()
        doc = {
            "userName": "bjensen",
            "emails": [{"value": "bjensen@example.org", "primary": True, "verified": True}],
        }
        account_id = store.create_account(doc, reason="setup").id
        assert account_id is not None

        sent = store.send_password_reset(account_id, client="shop-web", reason="call 1")
        reset_link = inbox[0].link()
        reset_token = token(reset_link)
        for password in ("short", PASSWORD, PASSWORD):
            try:
                hub.redeem_password_reset(reset_token, password)
            except IdconnectError as exc:
                errors.append(exc)

        grant = store.impersonate(account_id, client="shop-web", reason="call 2")
        assert grant.link is not None
        imp_token = parse_qs(urlsplit(grant.link).query)["impersonation_token"][0]
        header, payload, signature = imp_token.split(".")
        for attempt in (imp_token, imp_token, f"{header}.{payload}x.{signature}"):
            try:
                hub.redeem_impersonation(attempt, client="shop-web")
            except IdconnectError as exc:
                errors.append(exc)
        try:
            hub.redeem_impersonation(imp_token, client="another-client")
        except IdconnectError as exc:
            errors.append(exc)

        assert [e.details.get("why") for e in errors] == [
            None,
            "used",
            "used",
            "bad_signature",
            "wrong_audience",
        ]
        # every log record but the stand-in SMTP server's own (it receives the mail, like the
        # customer's mailbox would)
        logged = [r for r in caplog.records if not r.name.startswith("mail.log")]
        assert any(r.name == "idconnect" for r in logged)
        haystack = [
            *(f"{r.getMessage()} {r.exc_text or ''}" for r in logged),
            repr(sent),
            repr(grant),
            *(f"{e!s} {e!r} {e.details} {json.dumps(e.to_scim())}" for e in errors),
            *(repr(e) for e in store.events()),
            *(repr(n) for n in store.notifications(account_id).items),
            json.dumps(store.export_account(account_id, reason="data request")),
            store.export_account(account_id, format="html", reason="data request"),
            json.dumps([repr(g) for g in hub.impersonations()]),
        ]
    files = b"".join(p.read_bytes() for p in tmp_path.glob("*.db*"))
    needles = (reset_token, reset_link, imp_token, signature, payload)
    for needle in needles:
        for text in haystack:
            assert needle not in text
        assert needle.encode() not in files
    assert len(errors) == 5 and sent.status == "sent"
