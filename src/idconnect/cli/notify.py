"""``--notify CLIENT`` on the commands that change an account, and how its outcome is printed.

The change is made first and stands whatever happens to the message: the command prints the
change's result, then one line per notification (sent, or a warning with the cause on stderr),
and its exit status is that of the change alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click
from rich.markup import escape

from idconnect.cli.context import App
from idconnect.core.notification import Notification, Notified

__all__ = ["NOTIFY_HELP", "notify_option", "report_notifications", "split_notified"]

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")

NOTIFY_HELP = (
    "Tell the customer through CLIENT after the change (see `idconnect clients`). The change"
    " stands whether or not the message goes out: a failed send is printed as a warning with"
    " its cause and the exit status stays 0."
)


def notify_option(func: F) -> F:
    """Add ``--notify CLIENT``: tell the customer through a client after the change."""
    return click.option("--notify", metavar="CLIENT", help=NOTIFY_HELP)(func)


def split_notified(result: T | Notified[T]) -> tuple[T, tuple[Notification, ...]]:
    """Split a facade action's result into the change's result and its notifications.

    :param result: what the action returned (a :class:`Notified` when ``notify`` was given).
    :returns: the change's own result and the notifications sent after it (none without).
    """
    if isinstance(result, Notified):
        return result.result, result.notifications
    return result, ()


def report_notifications(
    app: App, notifications: Sequence[Notification], *, as_json: bool = False
) -> None:
    """Print the outcome of each notification sent after a change (never its content).

    A sent message is a line on stdout (on stderr when the command prints JSON); a failed one
    is a warning on stderr naming the cause. Neither changes the exit status.

    :param app: the CLI state (consoles).
    :param notifications: the notifications, as the facade returned them.
    :param as_json: whether stdout holds the change's JSON document.
    """
    say = app.err if as_json else app.out
    for sent in notifications:
        if sent.failed:
            app.err.print(
                "[yellow]warning:[/yellow] "
                + escape(
                    f"the change was made, but the {sent.event} notification of account"
                    f" {sent.account_id} through client {sent.client!r} was not sent:"
                    f" {sent.cause} (notification {sent.id})"
                ),
                soft_wrap=True,
            )
        else:
            say.print(
                f"Notified account {sent.account_id}: {sent.event} sent to {sent.target}"
                f" ({sent.medium.value}) through client {sent.client!r} (notification {sent.id}).",
                markup=False,
                soft_wrap=True,
            )
