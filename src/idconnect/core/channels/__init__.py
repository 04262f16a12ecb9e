"""Notification channels: how a rendered message reaches a customer (DESIGN §14).

A channel *type* comes from a plugin through :func:`idconnect_notification_channels` (like store
types); the built-in ones are the named plugin :data:`BUILTIN` (``idconnect.channels``):

- ``smtp`` (:mod:`idconnect.core.channels.smtp`): email over SMTP, STARTTLS or TLS;
- ``http_sms`` (:mod:`idconnect.core.channels.sms`): SMS or voice call through an HTTP
  provider, a JSON POST signed with HMAC-SHA256.

Each ``[notifications.channels.NAME]`` table names its type with ``plugin`` and holds that
type's settings, read through a :class:`ChannelConfig` (the same reader as a store's settings:
secrets only through ``*_env`` / ``*_file``, an unread key refused). A channel is a
:class:`Channel`: ``medium``, ``send(message)`` raising
:class:`~idconnect.core.errors.NotificationFailed`, ``close()``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

import pluggy
from attrs import field, frozen

from idconnect.core.clients import ClientCatalog
from idconnect.core.config import StoreConfig
from idconnect.core.errors import ConfigError, IdconnectError, PluginError, SecretUnavailable
from idconnect.core.notification import Medium
from idconnect.core.plugins import hookimpl
from idconnect.core.secrets import is_secret_key

__all__ = [
    "BUILTIN",
    "Channel",
    "ChannelConfig",
    "ChannelFactory",
    "Message",
    "channel_types",
    "start_channels",
]


@frozen(kw_only=True)
class ChannelConfig(StoreConfig):
    """One configured channel's settings; errors name the channel instead of a store."""

    def error(self, key: str, message: str) -> ConfigError:
        """Build the error for a bad setting, naming the file, the channel and the key.

        :param key: the setting's key.
        :param message: what is wrong with it.
        :returns: the error, to be raised by the caller.
        """
        where = f"config file {self.source}" if self.source else "config"
        return ConfigError(
            f"{where}: [notifications.channels.{self.name}]: key {key!r}: {message}",
            channel=self.name,
            key=key,
        )

    def _unavailable(self, key: str, message: str) -> SecretUnavailable:
        where = f"config file {self.source}" if self.source else "config"
        return SecretUnavailable(
            f"{where}: [notifications.channels.{self.name}]: key {key!r}: {message}",
            channel=self.name,
            key=key,
        )


@frozen(kw_only=True)
class Message:
    """One message as a channel sends it: the real content, secrets included."""

    id: str
    """The notification's id."""
    medium: Medium
    """Email, SMS or voice."""
    to: str
    """The email address or the phone number (E.164)."""
    sender: str | None
    """Whom it comes from; ``None`` for the channel's own sender."""
    sender_name: str | None = None
    """The display name of the sender (the branding's), for email."""
    subject: str
    """The subject line (email)."""
    text: str
    """The plain-text body (email), or the whole SMS or spoken text."""
    html: str | None = None
    """The HTML body of an email; ``None`` for none."""
    headers: Mapping[str, str] = field(factory=dict)
    """Extra email headers (``X-Idconnect-Notification``...)."""


class Channel(Protocol):
    """What a channel plugin's factory returns."""

    medium: Medium
    """What the channel delivers: email, SMS or voice calls."""

    def send(self, message: Message) -> None:
        """Deliver one message; return once the server or provider accepted it.

        :param message: the message.
        :raises NotificationFailed: naming the channel and the cause, never the content.
        """

    def close(self) -> None:
        """Close any connection the channel keeps."""


ChannelFactory = Callable[[ChannelConfig], Channel]
"""Builds a channel from its settings; raises ConfigError naming channel and key."""


class _Builtin:
    """The built-in channel types (a named plugin, like third-party ones)."""

    @hookimpl
    def idconnect_notification_channels(self) -> Mapping[str, ChannelFactory]:
        from idconnect.core.channels.sms import HttpSmsChannel
        from idconnect.core.channels.smtp import SmtpChannel

        return {"smtp": SmtpChannel.from_config, "http_sms": HttpSmsChannel.from_config}


BUILTIN = _Builtin()
"""The plugin providing the ``smtp`` and ``http_sms`` channel types (``idconnect.channels``)."""


def channel_types(root: pluggy.PluginManager) -> dict[str, ChannelFactory]:
    """Collect the channel types every plugin on the root manager provides.

    :param root: the hub's root manager (with :data:`BUILTIN` registered).
    :returns: type name to factory.
    :raises PluginError: when two plugins claim one type or a result is not a mapping.
    """
    found: dict[str, ChannelFactory] = {}
    for impl in root.hook.idconnect_notification_channels.get_hookimpls():
        result = impl.function()
        if not isinstance(result, Mapping):
            raise PluginError(
                f"plugin {impl.plugin_name!r}: idconnect_notification_channels must return a"
                " mapping"
            )
        for name, factory in result.items():
            if name in found:
                raise PluginError(f"channel type {name!r} is provided by two plugins")
            found[name] = factory
    return found


def _refuse_literal_secrets(config: ChannelConfig) -> None:
    for key in config.settings:
        if is_secret_key(key):
            raise config.error(
                key, f"secrets are not allowed in the config; set {key}_env or {key}_file instead"
            )


def start_channels(
    catalog: ClientCatalog, types: Mapping[str, ChannelFactory], *, source: Any
) -> dict[str, Channel]:
    """Build every configured channel (no connection is opened yet).

    :param catalog: the hub config's catalogue, with each channel's table.
    :param types: the channel types (:func:`channel_types`).
    :param source: the config file, for messages.
    :returns: the channels by name.
    :raises ConfigError: for an unknown type, a literal secret, a setting the type refuses or
        one it does not read, naming the file, the channel and the key.
    """
    channels: dict[str, Channel] = {}
    for name, table in catalog.channels.items():
        settings = {k: v for k, v in table.items() if k != "plugin"}
        config = ChannelConfig(name=name, plugin=table["plugin"], settings=settings, source=source)
        factory = types.get(config.plugin)
        if factory is None:
            raise config.error(
                "plugin",
                f"unknown channel type {config.plugin!r} (installed: {', '.join(sorted(types))})",
            )
        _refuse_literal_secrets(config)
        try:
            channels[name] = factory(config)
        except IdconnectError:
            raise
        except Exception as exc:
            raise PluginError(
                f"channel type {config.plugin!r} failed to start: {type(exc).__name__}",
                channel=name,
            ) from exc
        config.refuse_unread()
    return channels
