"""The account page's test environment: the console harness's hub with a ``demo`` sql store
seeded with the demo customers (:data:`DEMO`), plus what the page's actions
go through — clients of an organizational and a non-organizational application, a real SMTP
server (aiosmtpd) keeping every message, an identity verification policy and an impersonation
signing key. Admins as in the harness: ``alice`` (everything), ``rita`` (reads), ``sam``
(reads, enable, groups; no delete, export, impersonate, password or roles).
"""

from __future__ import annotations

import getpass
import html
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests
from aiosmtpd.controller import Controller

import idconnect
from idconnect.core.admin_login import set_admin_password
from idconnect.core.model import Account, Event
from idconnect.http.app import create_app
from idconnect.http.server import serving
from tests.console.conftest import PASSWORD, Console, _config, _ldap_store, csrf_of, session_for
from tests.helpers.support_config import support_config
from tests.token_helpers import Inbox, free_port

__all__ = [
    "DEMO",
    "HOSTILE",
    "AccountConsole",
    "account_console",
    "alert",
    "csrf_of",
    "notice",
    "session_for",
]

DEMO = 60
"""Demo customers of the ``demo`` sql store (sessions, failed attempts, organizations...)."""

HOSTILE = '<script>alert(1)</script>" onmouseover="alert(2)'
"""A value that must render as text, never as markup or an attribute."""


def _config_with_clients(tmp: Path, ldap: dict[str, Any] | None, smtp: int) -> dict[str, Any]:
    doc = _config(tmp, ldap)
    doc["stores"]["main"]["attributes"]["profileUrl"] = {"type": "reference"}
    doc["stores"]["main"]["attributes"]["internalNote"] = {"type": "string", "editable": False}
    doc["stores"]["demo"] = {"plugin": "sql", "url": f"sqlite:///{tmp / 'demo.db'}"}
    doc.update(support_config(tmp, smtp))
    return doc


class AccountConsole(Console):
    """The served console with its SMTP inbox; helpers to reach an account's page."""

    def __init__(self, hub: idconnect.Hub, url: str, ldap: bool, inbox: Inbox) -> None:
        super().__init__(hub, url, ldap)
        self.inbox = inbox

    def page(self, store: str, account_id: str, tab: str | None = None) -> str:
        """The URL of an account's page (on a tab)."""
        base = f"{self.url}/console/stores/{store}/accounts/{account_id}"
        return f"{base}?tab={tab}" if tab else base

    def post(
        self,
        http: requests.Session,
        store: str,
        account_id: str,
        action: str,
        **fields: Any,
    ) -> requests.Response:
        """Post an action's form as a browser would: the CSRF token read from the page."""
        token = csrf_of(http.get(self.page(store, account_id), timeout=30).text)
        return http.post(
            f"{self.page(store, account_id)}/{action}",
            data={"csrf_token": token, **fields},
            timeout=30,
        )

    def events(self, store: str, account_id: str, action: str) -> list[Event]:
        """The audit events of one action on one account, oldest first."""
        return list(self.hub.state.events(store, account_id=account_id, action=action))

    def by_alice(self, store: str, account_id: str, action: str, reason: str) -> Event:
        """The last event of an action on an account, checked: by alice, with the reason, done."""
        events = self.events(store, account_id, action)
        assert events, f"no {action} event"
        event = events[-1]
        assert (event.actor, event.reason, event.outcome) == ("alice", reason, "success"), event
        return event

    def fresh(self, store: str = "main", **extra: Any) -> str:
        """A new account, for one test to change as it likes; ``extra`` adds JSON attributes."""
        return self.seed(1, store=store, **extra)[1][0]

    def demo(self, filter: str) -> Account:
        """The first demo customer (store ``demo``) matching a SCIM filter."""
        return self.hub.store("demo").search_accounts(filter, count=1).items[0]


def notice(page: requests.Response) -> str:
    """The text of the page's "done" message."""
    found = re.search(r'<p class="notice" role="status">(.*?)</p>', page.text, re.S)
    assert found, page.text[:2000]
    return html.unescape(found.group(1))


def alert(page: requests.Response) -> str:
    """The text of the page's error message (a refused action, a failed notification)."""
    found = re.search(r'<p class="error" role="alert" id="action-error">(.*?)</p>', page.text, re.S)
    assert found, page.text[:2000]
    return html.unescape(found.group(1))


@contextmanager
def account_console(tmp: Path) -> Iterator[AccountConsole]:
    """Serve the console over the harness's stores with clients, SMTP, policy and key."""
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    ldap = _ldap_store(tmp)
    server = ldap[0] if ldap else None
    try:
        config = _config_with_clients(tmp, ldap[1] if ldap else None, smtp.port)
        with idconnect.connect(config) as hub:
            for admin in ("alice", "rita", "sam"):
                set_admin_password(hub, admin, PASSWORD, by=getpass.getuser(), reason="tests")
            demo = hub.store("demo")
            demo.provision()
            demo.seed_demo(DEMO, 1)
            with serving(create_app(hub)) as url:
                yield AccountConsole(hub, url, ldap is not None, inbox)
    finally:
        smtp.stop()
        if server is not None:
            server.close()
