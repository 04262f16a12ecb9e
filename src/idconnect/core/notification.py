"""The record of one message to a customer, and a change reported with its notifications.

A :class:`Notification` is what the notification log keeps (the brief's "Notifications" tab):
date, target (with the medium: email, SMS or voice call), template, policy, client, expiration
of time-sensitive content, delivery status with its cause, and the content rendered with every
secret variable masked (:data:`MASK`). The real secret values exist only in the message handed
to the channel.

A facade action given ``notify=CLIENT`` returns a :class:`Notified`: the change's own result and
the notifications sent after it. The change took effect whatever happened to the messages; a
message that could not be sent is a notification with status ``failed`` and its cause, never
an exception that would hide the change.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Generic, TypeVar

from attrs import field, frozen

from idconnect.core.validators import aware

__all__ = ["MASK", "DeliveryStatus", "Medium", "Notification", "Notified"]

T = TypeVar("T")

MASK = "[hidden]"
"""What a secret variable (an OTP, a reset or impersonation link) shows as in the log."""


class DeliveryStatus(enum.StrEnum):
    """Where a message is: handed to no channel yet, accepted by the channel, or not sent."""

    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"


class Medium(enum.StrEnum):
    """How a message reaches the customer (the target's indicator)."""

    EMAIL = "email"
    SMS = "sms"
    VOICE = "voice"


@frozen(kw_only=True)
class Notification:
    """One outbound message to a customer, as the notification log keeps it."""

    id: str
    """The notification's id (also the ``Message-ID``'s local part of an email)."""
    store: str
    """The store of the account."""
    account_id: str
    """The account the customer holds."""
    at: datetime = field(validator=aware)
    """When it was sent (or attempted)."""
    event: str
    """The event it tells about, from :data:`idconnect.core.clients.EVENTS`."""
    client: str
    """The client it went out through."""
    policy: str
    """The notification policy that chose template, channel and sender."""
    template: str
    """The template's name."""
    locale: str
    """The locale the template was rendered in."""
    channel: str
    """The configured channel's name (``email``, ``sms``)."""
    medium: Medium
    """Email, SMS or voice call."""
    target: str | None
    """The email address or phone number; ``None`` when the account has none to send to."""
    subject: str
    """The subject line (masked)."""
    content: str
    """The text the customer receives, secret variables replaced by :data:`MASK`."""
    expires_at: datetime | None = field(default=None, validator=aware)
    """When the time-sensitive content (a link, a code) expires; ``None`` when there is none."""
    status: DeliveryStatus = DeliveryStatus.QUEUED
    """Queued, sent or failed."""
    cause: str | None = None
    """Why it failed (never a secret); ``None`` unless failed."""
    actor: str
    """The admin who caused it."""
    reason: str | None = None
    """Why the admin sent it."""

    @property
    def failed(self) -> bool:
        """Whether the message could not be sent."""
        return self.status is DeliveryStatus.FAILED


@frozen(kw_only=True)
class Notified(Generic[T]):
    """A change that succeeded, with the notifications sent after it."""

    result: T
    """What the action returns without ``notify`` (the account, a bulk result, ``None``)."""
    notifications: tuple[Notification, ...]
    """The messages sent after the change, each with its delivery status."""

    @property
    def failed(self) -> tuple[Notification, ...]:
        """The notifications that could not be sent (the change stands regardless)."""
        return tuple(n for n in self.notifications if n.failed)
