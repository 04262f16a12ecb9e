"""The root ``idconnect`` command: global options, error handling, and the command tree."""

from __future__ import annotations

import contextlib
from typing import Any

import click

from idconnect import __version__
from idconnect.cli.accounts import accounts
from idconnect.cli.activity import activity, record_activity
from idconnect.cli.admins import admins
from idconnect.cli.attributes import attributes
from idconnect.cli.audit import events, export
from idconnect.cli.consents import consents
from idconnect.cli.context import App
from idconnect.cli.credentials import authenticators, failed_attempts, password
from idconnect.cli.demo import demo
from idconnect.cli.errors import report
from idconnect.cli.find import find
from idconnect.cli.groups import groups
from idconnect.cli.impersonation import impersonate, impersonation, impersonations, reset_link
from idconnect.cli.jobs import jobs
from idconnect.cli.notifications import clients, notifications, notify
from idconnect.cli.policy import policy
from idconnect.cli.roles import roles
from idconnect.cli.serve import serve
from idconnect.cli.sessions import sessions
from idconnect.cli.stores import store, stores
from idconnect.cli.tokens import tokens
from idconnect.cli.verification import verifications
from idconnect.core.config import CONFIG_ENV
from idconnect.core.errors import IdconnectError
from idconnect.core.plugins import make_root_manager

__all__ = ["cli"]


class _Root(click.Group):
    """The root group: built-in commands, the plugins' commands, and error reporting.

    An :class:`IdconnectError` becomes one stderr line and an exit status. Commands of plugins
    (the ``idconnect_cli_commands`` hook) are loaded only when a name is not built in or the
    command list is shown, so a built-in command never pays for importing every plugin.
    """

    _plugin_commands: dict[str, click.Command] | None = None

    def plugin_commands(self) -> dict[str, click.Command]:
        """Return the commands the installed plugins add (built-in names win).

        :returns: command name to command.
        :raises PluginError: when a plugin fails to load.
        """
        if self._plugin_commands is None:
            collected = click.Group()
            make_root_manager().hook.idconnect_cli_commands(cli=collected)
            self._plugin_commands = {
                name: command
                for name, command in collected.commands.items()
                if name not in self.commands
            }
        return self._plugin_commands

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        found = super().get_command(ctx, cmd_name)
        if found is not None:
            return found
        try:
            return self.plugin_commands().get(cmd_name)
        except IdconnectError as exc:
            raise click.ClickException(exc.message) from exc

    def list_commands(self, ctx: click.Context) -> list[str]:
        names = set(super().list_commands(ctx))
        with contextlib.suppress(IdconnectError):
            names |= set(self.plugin_commands())
        return sorted(names)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except IdconnectError as exc:
            app = ctx.find_object(App)
            status = report(
                exc,
                filter_text=app.filter_text if app else None,
                debug=bool(app and app.debug),
            )
            ctx.exit(status)


@click.group(cls=_Root, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    metavar="FILE",
    type=click.Path(dir_okay=False),
    help=f"Config file (TOML). Default: ${CONFIG_ENV}, else the embedded SQLite store 'default'.",
)
@click.option(
    "--actor",
    metavar="NAME",
    help="Who is acting: named in the audit trail, their admin roles count (default: OS user).",
)
@click.option("--json", "json_output", is_flag=True, help="Print canonical JSON on read commands.")
@click.option("--debug", is_flag=True, help="Show tracebacks and debug logs.")
@click.version_option(__version__, prog_name="idconnect")
@click.pass_context
def cli(
    ctx: click.Context, config: str | None, actor: str | None, json_output: bool, debug: bool
) -> None:
    """idconnect: find, fix and audit customer accounts in every identity store.

    Shell completion (bash): eval "$(_IDCONNECT_COMPLETE=bash_source idconnect)"
    """
    ctx.obj = App(config=config, actor=actor, json_output=json_output, debug=debug)


for _command in (
    stores,
    store,
    attributes,
    accounts,
    find,
    groups,
    roles,
    authenticators,
    password,
    failed_attempts,
    sessions,
    verifications,
    consents,
    export,
    events,
    activity,
    record_activity,
    admins,
    demo,
    impersonate,
    impersonations,
    impersonation,
    clients,
    notify,
    notifications,
    tokens,
    serve,
    jobs,
    policy,
):
    cli.add_command(_command)
password.add_command(reset_link)
