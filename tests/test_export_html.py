"""The HTML export: one self-contained page where no value is ever interpreted as markup.

Hostile values (markup, quotes, right-to-left overrides, 5,000-character values, hostile keys)
go through a real store (the embedded SQLite one) and through the renderer directly; the page
is parsed back and must hold exactly the allowed elements, no attribute that loads or runs
anything, and every hostile value verbatim as text. Debian's Chromium then opens the page with
no network at all (a fresh network namespace) and prints it to PDF.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest

import idconnect
from idconnect.core.errors import PermissionDenied
from idconnect.core.export_page import render_export
from idconnect.core.notification import MASK
from idconnect.testing.servers import require_server
from tests.token_helpers import Inbox, inbox, token

__all__ = ["inbox"]

HOSTILE = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "' onmouseover='alert(1)",
    "\u202eevil.exe\u202c and \u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627",
    "</style><style>body{display:none}</style>",
    "{{ 7 * 7 }} {% raw %}",
    "&amp; &lt;b&gt; &#x3c;",
]
ALLOWED = {
    "html", "head", "meta", "title", "style", "body", "header", "main", "section", "h1", "h2",
    "p", "dl", "dt", "dd", "table", "thead", "tbody", "tr", "th", "td", "ul", "li", "bdi",
}  # fmt: skip
QUIET_ATTRIBUTES = {"lang", "charset", "http-equiv", "content", "name", "class", "scope"}


class Page(HTMLParser):
    """Every element, attribute and text run of a page."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attributes: set[str] = set()
        self.texts: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes.update(name for name, _ in attrs)

    def handle_data(self, data: str) -> None:
        self.texts.append(data)

    @property
    def text(self) -> str:
        return "".join(self.texts)


def _checked(html: str) -> Page:
    page = Page(html)
    assert set(page.tags) <= ALLOWED, set(page.tags) - ALLOWED
    assert page.tags.count("style") == 1 and page.tags.count("script") == 0
    assert page.attributes <= QUIET_ATTRIBUTES, page.attributes - QUIET_ATTRIBUTES
    assert "default-src 'none'" in html  # the CSP: nothing loads or runs even if markup slipped
    return page


@pytest.fixture
def hostile_store(tmp_path: Path) -> idconnect.Store:
    config = {
        "hub": {"state": f"sqlite:///{tmp_path / 'state.db'}"},
        "stores": {"s": {"plugin": "sql", "url": f"sqlite:///{tmp_path / 's.db'}"}},
    }
    hub = idconnect.connect(config)
    yield hub.store("s")
    hub.close()


def test_an_exported_page_shows_hostile_values_as_text_only(hostile_store) -> None:
    store = hostile_store
    account = store.create_account(
        {
            "userName": "hostile",
            "displayName": HOSTILE[0],
            "name": {"givenName": HOSTILE[1], "familyName": HOSTILE[2], "formatted": HOSTILE[3]},
            "urn:ietf:params:scim:schemas:extension:idconnect:2.0:User": {
                "organization": HOSTILE[5]
            },
            "emails": [{"value": "h@example.org", "type": HOSTILE[6][:20], "primary": True}],
        },
        reason=HOSTILE[4],
    )
    store.add_authenticator(account.id, "email", "h@example.org", reason=HOSTILE[1])
    store.record_activity(account.id, kind="login_failed", ip="192.0.2.7", user_agent=HOSTILE[0])
    html = store.export_account(account.id, format="html", reason="data request <b>")
    page = _checked(html)
    for value in (*HOSTILE[:6], HOSTILE[6][:20]):
        assert value in page.text, value
    assert "Authenticators" in page.text and "h*@example.org" in page.text
    assert "Support actions (audit trail)" in page.text and "create_account" in page.text
    assert "Account activity" in page.text and "login_failed" in page.text
    [event] = store.events(account.id, action="export_account")
    assert event.reason == "data request <b>"


def test_the_renderer_escapes_keys_long_values_and_nesting() -> None:
    long_value = "\u05d0" * 2500 + "<i>" * 834  # 5,002 characters, right-to-left then markup
    doc = {
        "store": "<b>s</b>",
        "account": {
            "id": "1",
            "userName": HOSTILE[0],
            "schemas": ["urn:x"],
            HOSTILE[1]: long_value,
        },
        "notes": [HOSTILE[2], {"deep": [{HOSTILE[4]: [HOSTILE[5], True, None, 7]}]}],
        HOSTILE[0]: [],
    }
    html = render_export(doc, actor=HOSTILE[6], exported_at=datetime(2026, 12, 3, tzinfo=UTC))
    page = _checked(html)
    for value in (long_value, *HOSTILE[:3], *HOSTILE[4:], "<b>s</b>"):
        assert value in page.text, value[:40]
    assert "urn:x" not in page.text  # SCIM's schemas list is left out
    assert "yes" in page.text and "—" in page.text


def test_chromium_opens_the_page_offline_and_prints_it(hostile_store, tmp_path: Path) -> None:
    chromium = shutil.which("chromium")
    unshare = shutil.which("unshare")
    if chromium is None or unshare is None:
        require_server("Debian's chromium is not installed", "apt-get install -y chromium")
    store = hostile_store
    account = store.create_account({"userName": "printed", "displayName": HOSTILE[0]}, reason="t")
    path = tmp_path / "export.html"
    path.write_text(store.export_account(account.id, format="html", reason="dsr"), "utf-8")
    args = [unshare, "-n", chromium, "--headless", "--no-sandbox", "--disable-gpu"]
    env = {**os.environ, "HOME": str(tmp_path)}
    dom = subprocess.run(
        [*args, "--dump-dom", path.as_uri()], capture_output=True, text=True, env=env, timeout=120
    )
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert "<script" not in dom.stdout and "&lt;script&gt;alert(1)&lt;/script&gt;" in dom.stdout
    assert "printed" in dom.stdout
    pdf = tmp_path / "export.pdf"
    printed = subprocess.run(
        [*args, f"--print-to-pdf={pdf}", path.as_uri()], capture_output=True, env=env, timeout=120
    )
    assert printed.returncode == 0 and pdf.read_bytes().startswith(b"%PDF-")


def test_the_export_holds_the_notification_log_with_secrets_hidden(
    tmp_path: Path, inbox: tuple[Inbox, int]
) -> None:
    config = {
        "hub": {"state": f"sqlite:///{tmp_path / 'state.db'}"},
        "stores": {"s": {"plugin": "sql", "url": f"sqlite:///{tmp_path / 's.db'}"}},
        "applications": {"shop": {}},
        "clients": {
            "shop-web": {
                "application": "shop",
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
        "admins": {
            "roles": {
                "no-log": {
                    "permissions": [
                        f"{family}.*"
                        for family in (
                            "accounts",
                            "credentials",
                            "sessions",
                            "activity",
                            "verification",
                            "consents",
                        )
                    ]
                }
            },
            "members": {"agent": ["no-log"], "boss": ["owner"]},
        },
    }
    with idconnect.connect(config) as hub, hub.acting_as("boss"):
        store = hub.store("s")
        account = store.create_account(
            {
                "userName": "told",
                "emails": [{"value": "told@example.org", "primary": True, "verified": True}],
            },
            reason="setup",
        )
        assert account.id is not None
        sent = store.send_password_reset(account.id, client="shop-web", reason="call 88")
        assert sent.status == "sent", sent.cause
        secret = token(inbox[0].link())
        doc = store.export_account(account.id, reason="data request")
        [logged] = doc["notifications"]
        assert (logged["id"], logged["template"], logged["status"]) == (
            sent.id,
            "password_reset_requested",
            "sent",
        )
        assert MASK in logged["content"] and logged["target"] == "told@example.org"
        html = store.export_account(account.id, format="html", reason="data request")
        page = _checked(html)
        assert "Notifications" in page.text and "password_reset_requested" in page.text
        assert MASK in page.text
        assert secret not in json.dumps(doc) and secret not in html
        with hub.acting_as("agent"), pytest.raises(PermissionDenied, match=r"notifications\.read"):
            store.export_account(account.id, reason="data request")
