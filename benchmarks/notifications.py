"""Send 10,000 notifications to a local SMTP server (aiosmtpd), one connection reused, log written.

Prints messages/s through the hub (selection rules, rendering twice, log row written queued then
settled, audit event, SMTP) and, in the same run, the raw smtplib rate of the same number of
prebuilt messages on one connection, for comparison.

    .venv/bin/python benchmarks/notifications.py [COUNT]
"""

from __future__ import annotations

import smtplib
import socket
import sys
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

import idconnect
from idconnect.core.model import Account, Email


class _Count:
    def __init__(self) -> None:
        self.n = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.n += 1
        return "250 OK"


def main(count: int) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sink = _Count()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            config = {
                "hub": {"state": f"sqlite:///{Path(tmp) / 'state.db'}"},
                "stores": {"main": {"plugin": "memory"}},
                "applications": {"shop": {"branding": {"display_name": "Example Shop"}}},
                "clients": {"shop-web": {"application": "shop"}},
                "notifications": {
                    "channels": {
                        "email": {
                            "plugin": "smtp",
                            "host": "127.0.0.1",
                            "port": port,
                            "security": "none",
                            "sender": "support@example.com",
                        }
                    }
                },
            }
            with idconnect.connect(config) as hub:
                store = hub.store("main")
                account = store.get_account(
                    store.create_account(
                        Account(
                            user_name="bench",
                            emails=(Email(value="bench@example.com", verified=True),),
                        )
                    ).id
                    or ""
                )
                context = store._context(None, "benchmark", need_reason=True)
                start = time.perf_counter()
                for _ in range(count):
                    sent = hub.notifier.send(
                        context,
                        account,
                        "profile_updated",
                        client="shop-web",
                        variables={"changed": ["displayName"]},
                    )
                    assert not sent.failed, sent.cause
                hub_rate = count / (time.perf_counter() - start)
                assert store.notifications(account.id or "", count=1).total == count
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = "a@example.com", "b@example.com", "x"
        message.set_content("Hello\n")
        with smtplib.SMTP("127.0.0.1", port) as smtp:
            start = time.perf_counter()
            for _ in range(count):
                smtp.send_message(message)
            raw_rate = count / (time.perf_counter() - start)
    finally:
        controller.stop()
    print(f"hub notifications: {count} in one SMTP connection, log written: {hub_rate:,.0f} msg/s")
    print(f"raw smtplib, same server, same run:                      {raw_rate:,.0f} msg/s")
    print(f"server received {sink.n} messages")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
