# mypy: disable-error-code="empty-body"
"""Registration: hooks called once per hub on its root plugin manager."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from idconnect.core.hookspecs.markers import StoreFactory, hookspec

if TYPE_CHECKING:
    import click

    from idconnect.core.channels import ChannelFactory


__all__ = [
    "idconnect_cli_commands",
    "idconnect_notification_channels",
    "idconnect_store_types",
]


@hookspec
def idconnect_store_types() -> Mapping[str, StoreFactory]:
    """Return the store types this plugin provides, by the name used in config (``plugin = ...``).

    Called once per hub on every plugin loaded from the ``idconnect`` entry point group.

    :returns: a mapping from type name (e.g. ``"sql"``) to a factory that takes the store's
        :class:`~idconnect.core.config.StoreConfig` and returns the backend instance. The factory
        validates its settings and raises :class:`~idconnect.core.errors.ConfigError` naming the
        store and key; it should not connect yet (connect lazily on first use).

    .. versionadded:: 0.1
    """


@hookspec
def idconnect_cli_commands(cli: click.Group) -> None:
    """Add this plugin's commands to the ``idconnect`` command line.

    Called once on every plugin of the ``idconnect`` entry point group when the CLI starts
    (datasette's ``register_commands``): add a group named after the plugin (``idconnect sql
    ...``) with ``cli.add_command``. Commands reach stores only through the facade
    (``idconnect.cli.context.pass_app``).

    :param cli: the root command group.

    .. versionadded:: 0.2
    """


@hookspec
def idconnect_notification_channels() -> Mapping[str, ChannelFactory]:
    """Return the notification channel types this plugin provides, by ``plugin = ...`` name.

    Called once per hub on every plugin of the root manager, the built-in ``idconnect.channels``
    (``smtp``, ``http_sms``) included, like :func:`idconnect_store_types` for stores.

    :returns: a mapping from type name (e.g. ``"smtp"``) to a factory that takes the channel's
        :class:`~idconnect.core.channels.ChannelConfig` and returns a
        :class:`~idconnect.core.channels.Channel`. The factory checks its settings and raises
        :class:`~idconnect.core.errors.ConfigError` naming the channel and key; it should not
        connect yet.

    .. versionadded:: 0.3
    """
