"""The overview panel: who the customer is, the account's dates and counters, its actions.

It stays visible above every tab. Each action is offered only when the admin holds its
permission (the template's ``can``) and the store can do it (:func:`offered`).
"""

from __future__ import annotations

from typing import Any

from idconnect.console.account.web import View
from idconnect.core.clients import Client
from idconnect.core.model import Account

__all__ = ["clients", "offered"]


def clients(view: View, account: Account, url: str | None = None) -> tuple[Client, ...]:
    """Return the clients an action may go through: the selection rules', with the URL it needs.

    :param view: the request.
    :param account: the account (its organization decides which applications' clients).
    :param url: ``login_url`` (impersonation) or ``reset_url`` (a reset link); ``None``
        for any (a notification).
    :returns: the clients, in config order.
    """
    eligible = view.hub.config.clients.eligible(account.organization)
    return tuple(c for c in eligible if url is None or getattr(c, url) is not None)


def offered(view: View, account: Account) -> dict[str, Any]:
    """Say which of the panel's actions the store can do, and through which clients.

    :param view: the request.
    :param account: the account.
    :returns: ``unlock``, ``password``, ``status`` (enable/disable), ``sessions``, ``delete``
        and ``export`` as booleans; ``reset_clients``, ``login_clients`` and
        ``notify_clients`` (to tell the customer of a change, with ``notifications.send``) as
        client lists (empty: not offered).
    """
    impersonation = view.hub.config.impersonation.signing_key_file is not None
    can_password = view.supports("set_password")
    return {
        "unlock": view.supports("reset_failed_attempts"),
        "password": can_password,
        "status": view.supports("set_account_enabled"),
        "sessions": view.supports("revoke_sessions"),
        "delete": view.supports("delete_account"),
        "export": view.supports("get_account"),
        "reset_clients": clients(view, account, "reset_url") if can_password else (),
        "notify_clients": clients(view, account) if view.can("notifications.send") else (),
        "login_clients": clients(view, account, "login_url") if impersonation else (),
    }
