"""Password reset links: a single-use, expiring token sent to the customer through a client.

``store.send_password_reset(account_id, client=..., reason=...)`` needs ``credentials.reset``
and a reason. The token is random (:func:`~idconnect.core.token_state.new_reset_token`) and
kept only as its SHA-256 digest in the hub's state database; it lives as long as the
notification policy's link lifetime for ``password_reset_requested``. The link is the client's
``reset_url`` with the token, sent through the policy's channel as the template's secret
variable ``link``: the notification log keeps the content with it masked. The customer-facing
app redeems the token with ``hub.redeem_password_reset`` (:mod:`idconnect.core.facade.redeem`).
"""

from __future__ import annotations

from idconnect.core.context import CallContext
from idconnect.core.errors import IdconnectError
from idconnect.core.facade.calls import StoreCalls
from idconnect.core.notification import Notification
from idconnect.core.records import new_record_id
from idconnect.core.token_state import ResetGrant, new_reset_token

__all__ = ["RESET_EVENT", "PasswordResetOperations"]

RESET_EVENT = "password_reset_requested"
"""The notification event (and default template) of a reset link."""


class PasswordResetOperations(StoreCalls):
    """The password reset link of :class:`~idconnect.core.facade.store.Store`."""

    def send_password_reset(
        self, account_id: str, *, client: str, reason: str, actor: str | None = None
    ) -> Notification:
        """Send the customer a link to choose a new password (single use, expiring).

        :param account_id: the account's id.
        :param client: the client whose ``reset_url`` the link opens (by the selection rules).
        :param reason: why (required).
        :param actor: the acting admin.
        :returns: the logged notification (``sent``, or ``failed`` with its cause: the token
            then reaches nobody); its content has the link masked.
        :raises InvalidInput: for a missing reason, an unknown client, one the selection rules
            refuse, or one without a ``reset_url``.
        :raises PermissionDenied: without ``credentials.reset`` (or ``accounts.read``).
        :raises NotSupported: when the store cannot set passwords (the link could not be used).
        :raises NotFound: when the account does not exist.
        """
        account_id = self._id(account_id)
        client = self._id(client, "client")
        context = self._context(actor, reason, need_reason=True)
        self.hub.permissions.check_action(
            context, "credentials.reset", "send_password_reset", account_id=account_id
        )
        record_id = new_record_id()
        try:
            notification = self._send_reset(context, account_id, client, record_id)
        except IdconnectError as exc:
            event = self.hub.audit.event(
                context, "send_password_reset", account_id=account_id, target=record_id, error=exc
            )
            self.hub.state.record([event])
            raise
        self.hub.state.record(
            [
                self.hub.audit.event(
                    context, "send_password_reset", account_id=account_id, target=record_id
                )
            ]
        )
        return notification

    def _send_reset(
        self, context: CallContext, account_id: str, client: str, record_id: str
    ) -> Notification:
        """Check the client, keep the token's digest, send the link through the notifier."""
        if "set_password" not in self.capabilities:
            raise self._not_supported("set_password", subject=account_id)
        read = self._context(context.actor, None, need_reason=False)
        account = self._call("get_account", read, subject=account_id, account_id=account_id)
        selection = self.hub.notifier.select(account, client)
        token = new_reset_token()
        link = selection.client.reset_link(token)
        now = self.hub.clock()
        expires_at = now + selection.policy.rule(RESET_EVENT).link_lifetime
        grant = ResetGrant(
            id=record_id,
            store=self.name,
            account_id=account_id,
            client=client,
            issued_by=context.actor,
        )
        self.hub.tokens.add_reset(
            token, record_id=record_id, grant=grant, issued_at=now, expires_at=expires_at
        )
        return self.hub.notifier.send(
            context,
            account,
            RESET_EVENT,
            client=client,
            secrets={"link": link},
            expires_at=expires_at,
        )
