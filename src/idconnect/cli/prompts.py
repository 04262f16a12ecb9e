"""Reading a new secret from whoever runs the command: a hidden prompt, or one line of stdin."""

from __future__ import annotations

import sys

import click

__all__ = ["read_new_password"]


def read_new_password(label: str = "New password") -> str:
    """Read a new password: asked twice, hidden, on a terminal; else one line from stdin.

    :param label: the prompt's text.
    :returns: the password, without its line ending.
    :raises click.UsageError: when it is empty.
    """
    stdin = sys.stdin
    if stdin.isatty():
        value = click.prompt(label, hide_input=True, confirmation_prompt=True, err=True)
    else:
        value = stdin.readline().rstrip("\r\n")
    if not value:
        raise click.UsageError("the new password is empty")
    return str(value)
