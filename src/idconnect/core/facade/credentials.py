"""Credentials: authenticators (list, add, remove), password, failed-attempt counters."""

from __future__ import annotations

from typing import Any, overload

from idconnect.core.config import StoreConfig
from idconnect.core.facade.checks import PasswordPolicy, check_authenticator, check_password
from idconnect.core.facade.notifications import NotificationOperations
from idconnect.core.model import Authenticator, AuthenticatorKind, Secret
from idconnect.core.notification import Notified
from idconnect.core.opspec import covers

__all__ = ["CredentialOperations", "read_password_policy"]


def read_password_policy(config: StoreConfig) -> PasswordPolicy:
    """Read a store's ``password_policy`` table (``[stores.NAME.password_policy]``).

    :param config: the store's settings.
    :returns: the policy; ``min_length`` defaults to 8.
    :raises ConfigError: for a key other than ``min_length`` or a length outside 1 to 1024,
        naming file, store and key.
    """
    table = config.get("password_policy", dict, {})
    unknown = sorted(set(table) - {"min_length"})
    if unknown:
        raise config.error(f"password_policy.{unknown[0]}", "unknown setting (min_length is)")
    least = table.get("min_length", PasswordPolicy().min_length)
    if isinstance(least, bool) or not isinstance(least, int) or not 1 <= least <= 1024:
        raise config.error("password_policy.min_length", "must be a whole number from 1 to 1024")
    return PasswordPolicy(min_length=least)


class CredentialOperations(NotificationOperations):
    """The credentials family of :class:`~idconnect.core.facade.store.Store`.

    It reads the store's ``password_policy`` setting when the store is built.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.password_policy = read_password_policy(self.config)

    @covers("list_authenticators")
    def list_authenticators(
        self, account_id: str, *, actor: str | None = None
    ) -> list[Authenticator]:
        """List an account's authentication methods (masked, no secrets).

        :param account_id: the account's id.
        :param actor: the acting admin.
        :returns: the methods.
        :raises NotFound: when the account does not exist.
        """
        account_id = self._id(account_id)
        context = self._context(actor, None, need_reason=False)
        return list(
            self._call("list_authenticators", context, subject=account_id, account_id=account_id)
        )

    @overload
    def add_authenticator(
        self,
        account_id: str,
        kind: str | AuthenticatorKind,
        value: str,
        *,
        verified: bool = False,
        reason: str,
        actor: str | None = None,
        notify: None = None,
    ) -> Authenticator: ...

    @overload
    def add_authenticator(
        self,
        account_id: str,
        kind: str | AuthenticatorKind,
        value: str,
        *,
        verified: bool = False,
        reason: str,
        actor: str | None = None,
        notify: str,
    ) -> Notified[Authenticator]: ...

    @covers("add_authenticator")
    def add_authenticator(
        self,
        account_id: str,
        kind: str | AuthenticatorKind,
        value: str,
        *,
        verified: bool = False,
        reason: str,
        actor: str | None = None,
        notify: str | None = None,
    ) -> Authenticator | Notified[Authenticator]:
        """Add an email address or phone number as an authentication method.

        :param account_id: the account's id.
        :param kind: ``email`` or ``phone``.
        :param value: the address or the number (E.164, e.g. ``+447700900123``).
        :param verified: whether support verified it with the customer.
        :param reason: why (required).
        :param actor: the acting admin.
        :param notify: a client to tell the customer through (``authenticator_added``).
        :returns: the new method with a masked label; with ``notify``, a
            :class:`~idconnect.core.notification.Notified` holding it and the notification.
        :raises InvalidInput: for another kind or a malformed value.
        """
        account_id = self._id(account_id)
        kind = check_authenticator(kind, value, store=self.name, account=account_id)
        context = self._context(actor, reason, need_reason=True)
        pending = self._before_notify(notify, context, (account_id,))
        added: Authenticator = self._call(
            "add_authenticator",
            context,
            subject=account_id,
            account_id=account_id,
            kind=kind,
            value=value,
            verified=bool(verified),
        )
        if pending is None:
            return added
        about = {"authenticator": added.label}
        return self._after_notify(pending, added, "authenticator_added", (account_id,), about)

    @covers("remove_authenticator")
    def remove_authenticator(
        self,
        account_id: str,
        authenticator_id: str,
        *,
        reason: str,
        actor: str | None = None,
        notify: str | None = None,
    ) -> Notified[None] | None:
        """Remove an authentication method.

        :param account_id: the account's id.
        :param authenticator_id: the method's id.
        :param reason: why (required).
        :param actor: the acting admin.
        :param notify: a client to tell the customer through (``authenticator_removed``).
        :returns: ``None``; with ``notify``, a :class:`~idconnect.core.notification.Notified`
            holding the notification.
        :raises NotFound: when the account or the method does not exist.
        """
        account_id = self._id(account_id)
        authenticator_id = self._id(authenticator_id, "authenticator id")
        context = self._context(actor, reason, need_reason=True)
        pending = self._before_notify(notify, context, (account_id,))
        self._call(
            "remove_authenticator",
            context,
            subject=account_id,
            account_id=account_id,
            authenticator_id=authenticator_id,
        )
        if pending is None:
            return None
        return self._after_notify(pending, None, "authenticator_removed", (account_id,))

    @covers("set_password")
    def set_password(
        self,
        account_id: str,
        password: str | Secret,
        *,
        reason: str,
        actor: str | None = None,
        notify: str | None = None,
    ) -> Notified[None] | None:
        """Set an account's password directly (when a reset email is not an option).

        :param account_id: the account's id.
        :param password: the new password; it is never logged or echoed.
        :param reason: why (required).
        :param actor: the acting admin.
        :raises InvalidInput: for a password the store's ``password_policy`` refuses (shorter
            than ``min_length``, 8 by default) or one longer than 1024 characters, before the
            store is called.

        With ``notify`` (a client) the customer is told (``password_changed``, never the
        password) and the result is a :class:`~idconnect.core.notification.Notified`.
        """
        account_id = self._id(account_id)
        secret = check_password(password, store=self.name, policy=self.password_policy)
        context = self._context(actor, reason, need_reason=True)
        pending = self._before_notify(notify, context, (account_id,))
        self._call(
            "set_password", context, subject=account_id, account_id=account_id, password=secret
        )
        if pending is None:
            return None
        return self._after_notify(pending, None, "password_changed", (account_id,))

    @covers("reset_failed_attempts")
    def reset_failed_attempts(
        self, account_id: str, *, reason: str, actor: str | None = None
    ) -> None:
        """Reset the failed password and OTP counters and lift the lockout they caused.

        :param account_id: the account's id.
        :param reason: why (required).
        :param actor: the acting admin.
        """
        account_id = self._id(account_id)
        context = self._context(actor, reason, need_reason=True)
        self._call("reset_failed_attempts", context, subject=account_id, account_id=account_id)
