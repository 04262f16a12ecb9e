"""The ``http_sms`` channel: SMS or voice calls through an HTTP provider (requests).

::

    [notifications.channels.sms]
    plugin = "http_sms"
    url = "https://sms.example.com/v1/messages"   # https (http only to this machine)
    medium = "sms"                                # sms (default) or voice
    hmac_key_env = "SMS_HMAC_KEY"                 # or hmac_key_file: the shared signing key
    sender = "ACME"                               # optional sender id
    timeout = 5                                   # seconds per attempt
    retries = 2                                   # further attempts after a failed one (0-5)

Each message is one ``POST`` of the JSON document ``{"id", "medium", "to", "from", "text"}``.
The headers carry ``X-Idconnect-Timestamp`` (Unix seconds) and ``X-Idconnect-Signature:
sha256=<hex>``, the HMAC-SHA256 under the key of ``<timestamp>.<body>``
(:func:`signature`), so the provider can check origin and freshness; ``Idempotency-Key`` is
the notification id, so a retried request is not sent twice. A connection error, a timeout,
``429`` or a ``5xx`` answer is retried after a short back-off; another answer fails at once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import requests

from idconnect.core.channels import ChannelConfig, Message
from idconnect.core.clientconfig import check_url
from idconnect.core.errors import NotificationFailed
from idconnect.core.model import Secret
from idconnect.core.notification import Medium

__all__ = ["SIGNATURE_HEADER", "TIMESTAMP_HEADER", "HttpSmsChannel", "signature"]

SIGNATURE_HEADER = "X-Idconnect-Signature"
"""The header holding ``sha256=<hex HMAC>``."""
TIMESTAMP_HEADER = "X-Idconnect-Timestamp"
"""The header holding the Unix time the signature covers."""
_BACKOFF = 0.2


def signature(key: str, timestamp: str, body: bytes) -> str:
    """Compute the signature header's value.

    :param key: the shared key.
    :param timestamp: the timestamp header's value.
    :param body: the request body as sent.
    :returns: ``sha256=`` and the hex HMAC-SHA256 of ``timestamp + "." + body``.
    """
    mac = hmac.new(key.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


class HttpSmsChannel:
    """Sends SMS or voice calls through one HTTP provider.

    :param name: the channel's name, for messages.
    :param url: the provider's endpoint.
    :param medium: SMS or voice.
    :param key: the HMAC signing key.
    :param sender: the sender id, if any.
    :param timeout: seconds per attempt.
    :param retries: further attempts after a failed one.
    """

    def __init__(
        self,
        *,
        name: str,
        url: str,
        medium: Medium,
        key: Secret,
        sender: str | None = None,
        timeout: float = 5.0,
        retries: int = 2,
    ) -> None:
        self.name = name
        self.url = url
        self.medium = medium
        self.sender = sender
        self._key = key
        self._timeout = timeout
        self._retries = retries
        self._session = requests.Session()

    @classmethod
    def from_config(cls, config: ChannelConfig) -> HttpSmsChannel:
        """Build the channel from its settings.

        :param config: the channel's settings.
        :returns: the channel.
        :raises ConfigError: for a URL that is not https (http only to this machine), another
            medium, a missing key, a timeout outside (0, 60] or retries outside 0-5.
        """
        where = f"[notifications.channels.{config.name}]"
        url = check_url(config.require("url", str), at=where, key="url")
        medium = config.get("medium", str, "sms")
        if medium not in (Medium.SMS, Medium.VOICE):
            raise config.error("medium", "expected sms or voice")
        key = config.secret("hmac_key", required=True)
        assert key is not None
        timeout = config.get("timeout", float, 5.0)
        if not 0 < timeout <= 60:
            raise config.error("timeout", "must be more than 0 and at most 60 seconds")
        retries = config.get("retries", int, 2)
        if not 0 <= retries <= 5:
            raise config.error("retries", "must be from 0 to 5")
        return cls(
            name=config.name,
            url=url,
            medium=Medium(medium),
            key=key,
            sender=config.get("sender", str),
            timeout=timeout,
            retries=retries,
        )

    def send(self, message: Message) -> None:
        """Post one message to the provider, retrying transient failures.

        :param message: the message.
        :raises NotificationFailed: when every attempt failed or the provider refused it, with
            the HTTP status or the kind of network error, naming the channel.
        """
        doc = {
            "id": message.id,
            "medium": str(self.medium),
            "to": message.to,
            "from": message.sender or self.sender,
            "text": message.text,
        }
        body = json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()
        cause = "no attempt made"
        for attempt in range(self._retries + 1):
            if attempt:
                time.sleep(_BACKOFF * 2 ** (attempt - 1))
            timestamp = str(int(time.time()))
            headers = {
                "Content-Type": "application/json",
                TIMESTAMP_HEADER: timestamp,
                SIGNATURE_HEADER: signature(self._key.reveal(), timestamp, body),
                "Idempotency-Key": message.id,
            }
            try:
                answer = self._session.post(
                    self.url, data=body, headers=headers, timeout=self._timeout
                )
            except requests.RequestException as exc:
                cause = f"cannot reach the provider ({type(exc).__name__})"
                continue
            if 200 <= answer.status_code < 300:
                return
            cause = f"the provider answered HTTP {answer.status_code}"
            if answer.status_code != 429 and answer.status_code < 500:
                break
        raise NotificationFailed(
            f"channel {self.name!r} ({self.medium}): {cause}", channel=self.name
        )

    def close(self) -> None:
        """Close the HTTP session's connections."""
        self._session.close()
