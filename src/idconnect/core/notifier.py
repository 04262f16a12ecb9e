"""The notifier: one message to a customer, from the selection rules to the channel and the log.

:meth:`Notifier.send` applies the selection rules (:mod:`idconnect.core.clients`), takes the
policy's rule for the event (template, channel, sender, link lifetime), picks the target (the
account's verified primary email address or phone number, else another verified one: only a
verified identifier is used to reach a customer), renders the template twice (real values for
the channel, secret variables masked for the log: :mod:`idconnect.core.notification_templates`),
writes the log entry ``queued``, hands the message to the channel and records ``sent`` or
``failed`` with the cause. Each message is one audit event (action ``notify``, target the
notification id). Secret values go only into the channel's message: never into the log, the
audit trail, an error or a log line.

For code that sends a message with secrets (a password reset link)::

    notification = hub.notifier.send(
        context, account, "password_reset_requested", client="shop-web",
        secrets={"link": client.reset_link(token)}, expires_at=expiry,
    )
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from idconnect.core.audit import AuditTrail
from idconnect.core.channels import Channel, Message
from idconnect.core.clients import ClientCatalog, Selection
from idconnect.core.context import CallContext
from idconnect.core.errors import IdconnectError, NotificationFailed
from idconnect.core.instants import utc_now
from idconnect.core.model import Account
from idconnect.core.notification import DeliveryStatus, Medium, Notification
from idconnect.core.notification_log import NotificationLog
from idconnect.core.notification_templates import Templates
from idconnect.core.state import new_event_id

__all__ = ["Notifier"]

log = logging.getLogger("idconnect")


def _target(account: Account, medium: Medium) -> str | None:
    found = account.emails if medium is Medium.EMAIL else account.phone_numbers
    verified = [item for item in found if item.verified]
    for item in verified:
        if item.primary:
            return item.value
    return verified[0].value if verified else None


class Notifier:
    """Sends notifications for every store of a hub.

    :param catalog: the clients, policies and channel tables of the hub config.
    :param channels: the started channels by name.
    :param log: the notification log.
    :param templates: the templates.
    :param audit: the audit trail each message is recorded in.
    :raises ConfigError: when a policy names a template that does not exist.
    """

    def __init__(
        self,
        catalog: ClientCatalog,
        channels: Mapping[str, Channel],
        log: NotificationLog,
        templates: Templates,
        audit: AuditTrail,
    ) -> None:
        self.catalog = catalog
        self.channels = dict(channels)
        self.log = log
        self.templates = templates
        self.audit = audit
        for policy in (catalog.default_policy, *catalog.policies.values()):
            for rule in policy.rules():
                templates.info(rule.template)

    def select(self, account: Account, client: str) -> Selection:
        """Apply the selection rules for one account and one client.

        :param account: the account.
        :param client: the client's name.
        :returns: the selection.
        :raises InvalidInput: for an unknown client or one the rules refuse (naming the rule).
        """
        return self.catalog.select(client, account.organization)

    def send(
        self,
        context: CallContext,
        account: Account,
        event: str,
        *,
        client: str,
        variables: Mapping[str, Any] | None = None,
        secrets: Mapping[str, str] | None = None,
        expires_at: datetime | None = None,
    ) -> Notification:
        """Send one notification and log it (the caller checked the permission).

        :param context: the call's context (store, actor, reason).
        :param account: the account (its organization, identifiers and locale are used).
        :param event: the event, from :data:`~idconnect.core.clients.EVENTS`.
        :param client: the client to send through.
        :param variables: further ordinary template variables (``changed``, ``authenticator``).
        :param secrets: the values of the template's secret variables.
        :param expires_at: when time-sensitive content expires; default now plus the rule's
            link lifetime, for a time-sensitive template.
        :returns: the logged notification, ``sent`` or ``failed`` with the cause (no target,
            no such channel, the channel refused it, the template failed).
        :raises InvalidInput: for an unknown event or client, a client the selection rules
            refuse, or secrets other than those the template declares (nothing is logged).
        :raises StoreUnavailable: when the log cannot be written (nothing is sent).
        """
        assert account.id is not None
        selection = self.select(account, client)
        rule = selection.policy.rule(event)
        info = self.templates.info(rule.template)
        channel = self.channels.get(rule.channel)
        medium = channel.medium if channel is not None else Medium.EMAIL
        if info.time_sensitive and expires_at is None:
            expires_at = utc_now() + rule.link_lifetime
        wanted = account.attributes.get("locale")
        locale = wanted if isinstance(wanted, str) and wanted else rule.locale
        branding = selection.branding
        values = {
            "account": {
                "display_name": account.display_name or account.user_name,
                "user_name": account.user_name,
            },
            "branding": branding,
            "client": selection.client,
            "event": event,
            "expires_at": expires_at.strftime("%Y-%m-%d %H:%M UTC") if expires_at else None,
            "changed": (),
            "authenticator": None,
            **(variables or {}),
        }
        cause: str | None = None
        try:
            real, masked = self.templates.render(rule.template, locale, values, secrets or {})
        except IdconnectError as exc:
            if exc.code == "invalid_input":
                raise
            cause, real = str(exc), None
            masked = None
        target = _target(account, medium)
        if channel is None:
            cause = f"channel {rule.channel!r} is not configured in [notifications.channels]"
        elif target is None and cause is None:
            what = "email address" if medium is Medium.EMAIL else "phone number"
            cause = f"the account has no verified {what}"
        notification = Notification(
            id=new_event_id(),
            store=context.store,
            account_id=account.id,
            at=utc_now(),
            event=event,
            client=client,
            policy=selection.policy.name,
            template=rule.template,
            locale=masked.locale if masked else locale,
            channel=rule.channel,
            medium=medium,
            target=target,
            subject=masked.subject if masked else "",
            content=(masked.text if medium is Medium.EMAIL else masked.short) if masked else "",
            expires_at=expires_at,
            actor=context.actor,
            reason=context.reason,
        )
        self.log.add(notification)
        if cause is None and channel is not None and real is not None and target is not None:
            message = Message(
                id=notification.id,
                medium=medium,
                to=target,
                sender=rule.sender or branding.sender,
                sender_name=branding.display_name,
                subject=real.subject,
                text=real.text if medium is Medium.EMAIL else real.short,
                html=real.html if medium is Medium.EMAIL else None,
                headers={
                    "X-Idconnect-Notification": notification.id,
                    "X-Idconnect-Client": client,
                    "X-Idconnect-Event": event,
                },
            )
            try:
                channel.send(message)
            except IdconnectError as exc:
                cause = str(exc)
        if cause is None:
            notification = self.log.settle(notification, DeliveryStatus.SENT)
        else:
            notification = self.log.settle(notification, DeliveryStatus.FAILED, cause)
        log.debug(
            "notification %s (%s, %s) %s",
            notification.id,
            event,
            rule.channel,
            notification.status,
        )
        self._audit(context, notification)
        return notification

    def _audit(self, context: CallContext, notification: Notification) -> None:
        error = None
        if notification.failed:
            error = NotificationFailed(notification.cause or "not sent")
        event = self.audit.event(
            context,
            "notify",
            account_id=notification.account_id,
            target=notification.id,
            error=error,
        )
        self.audit.state.record([event])

    def close(self) -> None:
        """Close every channel's connections."""
        for channel in self.channels.values():
            channel.close()
