"""The pieces the account page is built from: tabs, actions, and a read that may be refused.

Each family module (``groups``, ``sessions``, ...) declares its :class:`Tab` and its
:class:`Action` list; :mod:`idconnect.console.account` joins them into routes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from attrs import frozen
from starlette.responses import Response

from idconnect.console.account.web import Form, View
from idconnect.core.errors import IdconnectError, NotSupported, PermissionDenied
from idconnect.core.model import Account, BulkResult
from idconnect.core.notification import Notified
from idconnect.http.calls import ApiError, api_error

__all__ = ["Action", "Done", "Section", "Tab", "one", "section", "told"]


@frozen(kw_only=True)
class Section:
    """What one read of a tab gave: its value, or why there is none.

    :param value: what the facade returned (``None`` when refused).
    :param unsupported: set when the store cannot do this (shown as "not supported by this
        store").
    :param denied: the refusal's message when the admin lacks the permission.
    :param error: the message of any other error.
    """

    value: Any = None
    unsupported: bool = False
    denied: str | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the read succeeded."""
        return not self.unsupported and self.denied is None and self.error is None


def told(result: object, message: str) -> Done:
    """Say what an action did, and how its notification went when it sent one.

    :param result: what the facade returned (a ``Notified`` when the customer was told).
    :param message: what was done, one sentence.
    :returns: the message with each notification's outcome (sent, or failed with the cause);
        ``failed`` when one could not be sent.
    """
    if not isinstance(result, Notified):
        return Done(message=message)
    for sent in result.notifications:
        outcome = f"could not be sent ({sent.cause})" if sent.failed else "was sent"
        message += f" The notification through {sent.client} {outcome}."
    return Done(message=message, failed=bool(result.failed))


def one(result: BulkResult) -> None:
    """Raise the error of a one-account bulk call that did not succeed.

    :param result: the bulk call's result.
    :raises ApiError: the account's error, failed or indeterminate, in its HTTP form.
    """
    for outcome in result.outcomes:
        if not outcome.ok and isinstance(outcome.error, IdconnectError):
            raise api_error(outcome.error)


async def section(view: View, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Section:
    """Run one read for a tab; a refusal becomes a :class:`Section` saying why.

    :param view: the request.
    :param fn: the facade method.
    :param args: its positional arguments.
    :param kwargs: its keyword arguments.
    :returns: the section: the value, or ``unsupported`` / ``denied`` / ``error``.
    """
    try:
        return Section(value=await view.run(fn, *args, **kwargs))
    except ApiError as exc:
        if exc.code == NotSupported.code:
            return Section(unsupported=True)
        if exc.code == PermissionDenied.code:
            return Section(denied=exc.detail)
        return Section(error=exc.detail)


Loader = Callable[[View, Account], Awaitable[Mapping[str, Any]]]
"""Reads what a tab shows: the template variables of its panel."""


@frozen(kw_only=True)
class Tab:
    """One tab of the account page.

    :param name: its ``?tab=`` value.
    :param title: its label.
    :param permission: what an admin needs to see it; without it the panel says so and
        nothing is read (no denied event for opening a tab).
    :param load: reads its panel's variables.
    """

    name: str
    title: str
    permission: str
    load: Loader

    @property
    def template(self) -> str:
        """The template of its panel."""
        return f"account/tab_{self.name}.html"


@frozen(kw_only=True)
class Done:
    """What an action did, for the page shown after it.

    :param message: one sentence saying what changed (never a secret).
    :param failed: part of it did not happen (a notification could not be sent): the message
        is shown as an alert.
    :param reveal: something to show once, on this answer only (an impersonation link).
    :param response: a response to answer with instead of the page (a download).
    :param gone: the account no longer exists (it was deleted).
    """

    message: str = ""
    failed: bool = False
    reveal: Mapping[str, Any] | None = None
    response: Response | None = None
    gone: bool = False


@frozen(kw_only=True)
class Action:
    """One mutation of the account page: a POST form with a reason and the CSRF token.

    :param name: the path below the account's page it posts to (``disable``,
        ``groups/add``, ...).
    :param tab: the tab shown after it.
    :param run: does it through the facade; raises :class:`ApiError` for a refusal.
    """

    name: str
    tab: str
    run: Callable[[View, Form], Awaitable[Done]]
