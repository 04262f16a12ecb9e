"""The CLI's per-invocation state (global options, lazy hub, consoles) and shared options."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click
from click.shell_completion import CompletionItem
from rich.console import Console

from idconnect.core.config import load_config
from idconnect.core.errors import IdconnectError

if TYPE_CHECKING:
    from idconnect.core.facade import Hub, Store
    from idconnect.core.schema import Catalogue

__all__ = [
    "LIST_RESPONSE",
    "App",
    "canonical",
    "complete_store",
    "filter_option",
    "json_option",
    "pass_app",
    "print_json",
    "print_model",
    "reason_option",
    "store_argument",
]

F = TypeVar("F", bound=Callable[..., Any])

_WIDTH_WHEN_PIPED = 200


def connect(config: str | None) -> Hub:
    """Open the hub; the facade, and with it the stores' plugins, load only now.

    :param config: the ``--config`` file, or ``None``.
    :returns: the hub.
    :raises ConfigError: for a bad config.
    """
    from idconnect.core.facade import connect as open_hub

    return open_hub(config)


class App:
    """What every command needs: the global options, the hub and two consoles.

    :param config: the ``--config`` file, or ``None`` for ``$IDCONNECT_CONFIG`` / the default.
    :param actor: the ``--actor`` name, or ``None`` for the operating-system user.
    :param json_output: whether ``--json`` was given before the command.
    :param debug: whether ``--debug`` was given (tracebacks and debug logs on stderr).
    """

    def __init__(
        self, *, config: str | None, actor: str | None, json_output: bool, debug: bool
    ) -> None:
        self.config = config
        self.actor = actor
        self.json_output = json_output
        self.debug = debug
        self.filter_text: str | None = None
        self.out = Console(highlight=False, soft_wrap=False)
        self.err = Console(stderr=True, highlight=False)
        if not self.out.is_terminal and not os.environ.get("COLUMNS", "").isdigit():
            self.out.width = _WIDTH_WHEN_PIPED
        if debug:
            logging.basicConfig(level=logging.DEBUG, format="%(levelname)s %(name)s: %(message)s")
        elif not logging.getLogger("idconnect").handlers:
            # bulk summaries already say what failed; keep the library's warnings off stderr
            logging.getLogger("idconnect").addHandler(logging.NullHandler())
        self._hub: Hub | None = None

    @property
    def hub(self) -> Hub:
        """The hub, opened on first use and closed when the command ends.

        :raises ConfigError: for a bad config.
        """
        if self._hub is None:
            ctx = click.get_current_context().find_root()
            hub = connect(self.config)
            ctx.call_on_close(hub.close)
            if self.actor is not None:
                ctx.with_resource(hub.acting_as(self.actor))
            self._hub = hub
        return self._hub

    def store(self, name: str) -> Store:
        """Return a configured store by name.

        :param name: the store's name.
        :returns: the store.
        :raises ConfigError: when no store has that name.
        """
        return self.hub.store(name)

    def wants_json(self, flag: bool) -> bool:
        """Whether this command prints JSON (its own ``--json`` or the global one).

        :param flag: the command's ``--json`` flag.
        :returns: ``True`` for JSON output.
        """
        return flag or self.json_output


pass_app = click.make_pass_decorator(App)
"""Decorator passing the :class:`App` as the command's first argument."""


LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
"""The SCIM ListResponse URN (as :data:`idconnect.core.convert.LIST_RESPONSE_SCHEMA`)."""


def canonical(obj: Any, catalogue: Catalogue | None = None) -> Any:
    """Return the canonical JSON of a model object, a page, a bulk result or a list of them.

    The converter (cattrs) is imported on first use, so commands that print no JSON never pay
    for it.

    :param obj: what :func:`idconnect.core.convert.to_json` takes.
    :param catalogue: the store's catalogue, so accounts carry only what the store holds.
    :returns: plain JSON values.
    """
    from idconnect.core.convert import to_json

    return to_json(obj, catalogue=catalogue)


def print_model(obj: Any, catalogue: Catalogue | None = None) -> None:
    """Print the canonical JSON of a model object (see :func:`canonical`) on stdout.

    :param obj: an account, group, page, bulk result, or a list of model objects.
    :param catalogue: the store's catalogue, so accounts carry only what the store holds.
    """
    print_json(canonical(obj, catalogue))


def print_json(doc: Any) -> None:
    """Print a JSON document on stdout, exactly as given (no colours, no wrapping).

    :param doc: anything ``json.dumps`` accepts.
    """
    click.echo(json.dumps(doc, indent=2, ensure_ascii=False))


def complete_store(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """Complete a store name from the configured stores (reading the config, opening nothing).

    :param ctx: the click context being completed.
    :param param: the parameter being completed.
    :param incomplete: what the user typed so far.
    :returns: matching store names; none when the config cannot be read.
    """
    config = ctx.find_root().params.get("config")
    try:
        names = list(load_config(config).stores)
    except IdconnectError:
        return []
    return [CompletionItem(name) for name in names if name.startswith(incomplete)]


def store_argument(func: F) -> F:
    """Add the ``STORE`` argument, with shell completion of configured store names."""
    return click.argument("store", shell_complete=complete_store)(func)


def json_option(func: F) -> F:
    """Add ``--json``: print the canonical JSON instead of tables."""
    return click.option(
        "--json", "json_flag", is_flag=True, help="Print canonical JSON (SCIM) instead of tables."
    )(func)


def _check_reason(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and not value.strip():
        raise click.BadParameter("must not be empty: say why (it goes into the audit trail)")
    return value


def optional_reason_option(default: str) -> Callable[[F], F]:
    """Add an optional ``--reason TEXT`` for a command whose fixed form has none.

    :param default: the reason recorded without the option (named in the help).
    :returns: the decorator; a blank reason is refused as with :func:`reason_option`.
    """
    return click.option(
        "--reason",
        default=default,
        show_default=True,
        callback=_check_reason,
        help="Why you are doing this (recorded in the audit trail).",
    )


def reason_option(func: F) -> F:
    """Add the required ``--reason TEXT`` option (it goes into the audit trail).

    An empty or blank reason is refused while the options are parsed, before any work.
    """
    return click.option(
        "--reason",
        required=True,
        callback=_check_reason,
        help="Why you are doing this (recorded in the audit trail).",
    )(func)


def _remember_filter(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    app = ctx.find_object(App)
    if value is not None and app is not None:
        app.filter_text = value
    return value


def filter_option(func: F) -> F:
    """Add ``--filter EXPR`` (a SCIM filter), remembered for error messages with a caret."""
    return click.option(
        "--filter",
        "filter_text",
        metavar="EXPR",
        callback=_remember_filter,
        help="SCIM filter, e.g. 'emails.value ew \"@example.org\" and active eq true'.",
    )(func)
