"""The support sections of a test hub's config, shared by the console's and the admin API's
test environments: clients of an organizational (``portal``) and a non-organizational
(``shop``) application, an SMTP channel, an identity verification policy and an impersonation
signing key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from joserfc.jwk import ECKey


def support_config(tmp: Path, smtp_port: int) -> dict[str, Any]:
    """The ``applications``, ``clients``, ``notifications``, ``verification`` and
    ``impersonation`` sections; writes a fresh P-256 signing key to ``tmp/impersonation.pem``.

    :param tmp: where the signing key is written.
    :param smtp_port: the port of the SMTP server the ``email`` channel sends to.
    """
    key = tmp / "impersonation.pem"
    key.write_bytes(ECKey.generate_key("P-256").as_pem(private=True))
    return {
        "applications": {"shop": {}, "portal": {"organizational": True}},
        "clients": {
            "shop-web": {
                "application": "shop",
                "login_url": "https://shop.example.com/login",
                "reset_url": "https://shop.example.com/reset?token={token}",
            },
            "portal-web": {
                "application": "portal",
                "login_url": "https://portal.example.com/login",
                "reset_url": "https://portal.example.com/reset?token={token}",
            },
        },
        "notifications": {
            "channels": {
                "email": {
                    "plugin": "smtp",
                    "host": "127.0.0.1",
                    "port": smtp_port,
                    "sender": "support@example.com",
                    "security": "none",
                }
            }
        },
        "verification": {
            "policies": {"document-check": {"methods": ["document"], "level": "substantial"}}
        },
        "impersonation": {"signing_key_file": str(key)},
    }
