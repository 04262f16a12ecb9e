"""How the CLI reports errors: one line on stderr, a caret under a bad filter, an exit status."""

from __future__ import annotations

import re
import traceback

import click

from idconnect.core.errors import ConfigError, FilterError, IdconnectError, InvalidInput

__all__ = ["EXIT_FAILED", "EXIT_OK", "EXIT_USAGE", "exit_status", "filter_column", "report"]

EXIT_OK = 0
"""Everything succeeded."""
EXIT_FAILED = 1
"""The operation failed, or some accounts of a bulk action failed."""
EXIT_USAGE = 2
"""Bad usage, bad input or a bad config: nothing was attempted."""


def exit_status(exc: IdconnectError) -> int:
    """Return the exit status for an error: 2 for config and input errors, else 1.

    :param exc: the error.
    :returns: the status.
    """
    return EXIT_USAGE if isinstance(exc, ConfigError | InvalidInput) else EXIT_FAILED


def filter_column(exc: FilterError, text: str) -> int | None:
    """Find the 1-based column a filter error points at.

    :param exc: the error; its ``column`` detail wins, else the unknown ``attribute`` is located.
    :param text: the filter text the user gave.
    :returns: the column, or ``None`` when it cannot be told.
    """
    column = exc.details.get("column")
    if isinstance(column, int) and column >= 1:
        return column
    attribute = exc.details.get("attribute")
    if isinstance(attribute, str) and attribute:
        found = re.search(rf"(?<![\w.:]){re.escape(attribute)}(?![\w])", text, re.IGNORECASE)
        if found:
            return found.start() + 1
    return None


def report(exc: IdconnectError, *, filter_text: str | None, debug: bool) -> int:
    """Print an error on stderr and return the exit status to use.

    :param exc: the error; its ``str()`` already names the store, the account and the cause.
    :param filter_text: the ``--filter`` given, to draw a caret under the bad column.
    :param debug: whether to print the traceback too.
    :returns: the exit status.
    """
    if debug:
        click.echo("".join(traceback.format_exception(exc)), err=True, nl=False)
    click.echo(f"error: {exc}", err=True)
    if isinstance(exc, FilterError) and filter_text is not None:
        column = filter_column(exc, filter_text)
        if column is not None:
            click.echo(f"  {filter_text}", err=True)
            click.echo("  " + " " * (column - 1) + "^", err=True)
    return exit_status(exc)
