"""Reading the hub config's applications, clients, organizations and notifications.

The tables and their rules are described in :mod:`idconnect.core.clients`; this module checks
them and builds the :class:`~idconnect.core.clients.ClientCatalog`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from idconnect.core.clients import (
    BRANDING_KEYS,
    DEFAULT_POLICY,
    EVENTS,
    TOKEN,
    Application,
    Branding,
    Client,
    ClientCatalog,
    EventRule,
    NotificationPolicy,
    Organization,
)
from idconnect.core.errors import ConfigError

__all__ = ["check_url", "parse_lifetime", "read_clients"]

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,62}$")
_COLOR = re.compile(r"^#[0-9A-Fa-f]{6}$")
_LIFETIME = re.compile(r"^([1-9][0-9]{0,5})([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
_LOCAL_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
_LOCALE = re.compile(r"^[a-z]{2,3}(-[A-Z]{2})?$")
_MOST_LIFETIME = timedelta(days=30)


def parse_lifetime(value: Any, *, at: str, key: str, most: timedelta = _MOST_LIFETIME) -> timedelta:
    """Read a lifetime written as ``"45s"``, ``"3m"``, ``"1h"`` or ``"2d"``.

    :param value: the value as written.
    :param at: where it was written, for the message (``config file x: [impersonation]``).
    :param key: its key, for the message.
    :param most: the longest lifetime accepted.
    :returns: the lifetime.
    :raises ConfigError: for another form, zero, or more than ``most``.
    """
    found = _LIFETIME.match(value) if isinstance(value, str) else None
    if found is not None:
        lifetime = timedelta(**{_UNITS[found.group(2)]: int(found.group(1))})
        if lifetime <= most:
            return lifetime
    raise ConfigError(
        f'{at}: key {key!r}: expected a lifetime such as "3m", "1h" or "2d" (at most'
        f" {most}), got {value!r}",
        key=key,
    )


def check_url(value: Any, *, at: str, key: str) -> str:
    """Check a URL clients or messages use: https, or http to this machine only.

    :param value: the value as written.
    :param at: where it was written, for the message.
    :param key: its key, for the message.
    :returns: the URL.
    :raises ConfigError: for a non-string, another scheme, no host, or plain http elsewhere.
    """
    try:
        parts = urlsplit(value) if isinstance(value, str) else None
        host = parts.hostname if parts else None
    except ValueError:
        parts, host = None, None
    if parts is None or not host:
        raise ConfigError(f"{at}: key {key!r}: expected an https URL, got {value!r}", key=key)
    if parts.scheme == "https" or (parts.scheme == "http" and host in _LOCAL_HOSTS):
        return str(value)
    raise ConfigError(
        f"{at}: key {key!r}: only https URLs are allowed (http only to 127.0.0.1 or localhost),"
        f" got {value!r}",
        key=key,
    )


def _table(value: Any, at: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ConfigError(f"{at} must be a table")
    return value


def _keys(body: Mapping[str, Any], allowed: tuple[str, ...], at: str) -> None:
    for key in body:
        if key not in allowed:
            close = difflib.get_close_matches(str(key), allowed, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ConfigError(f"{at}: unknown key {key!r}{hint}", key=key)


def _name(name: Any, what: str, where: str) -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        raise ConfigError(
            f"{where}: {what} name {name!r} must start with a letter and hold only letters,"
            " digits, '_', '-' and '.'"
        )
    return name


def _text(body: Mapping[str, Any], key: str, at: str) -> str | None:
    value = body.get(key)
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise ConfigError(f"{at}: key {key!r} must be non-empty text", key=key)
    return value


def _branding(value: Any, at: str) -> Branding:
    at = f"{at}.branding"
    body = _table(value, at)
    _keys(body, BRANDING_KEYS, at)
    for key in ("primary_color", "accent_color"):
        color = body.get(key)
        if color is not None and (not isinstance(color, str) or not _COLOR.match(color)):
            raise ConfigError(f"{at}: key {key!r}: expected #rrggbb, got {color!r}", key=key)
    logo = body.get("logo_url")
    return Branding(
        display_name=_text(body, "display_name", at),
        logo_url=None if logo is None else check_url(logo, at=at, key="logo_url"),
        primary_color=body.get("primary_color"),
        accent_color=body.get("accent_color"),
        sender=_text(body, "sender", at),
    )


def _policy_name(body: Mapping[str, Any], at: str, policies: Mapping[str, Any]) -> str | None:
    name = body.get("policy")
    if name is not None and name not in policies:
        known = ", ".join(policies) or "none"
        raise ConfigError(
            f"{at}: key 'policy': no notification policy named {name!r} (configured: {known})",
            key="policy",
        )
    return name


def _rule(event: str, body: Any, policy: NotificationPolicy, at: str) -> EventRule:
    body = _table(body, at)
    _keys(body, ("template", "channel", "sender", "link_lifetime"), at)
    lifetime = body.get("link_lifetime")
    return EventRule(
        event=event,
        template=_name(body.get("template", event), "template", at),
        channel=_name(body.get("channel", policy.channel), "channel", at),
        sender=_text(body, "sender", at) or policy.sender,
        link_lifetime=policy.link_lifetime
        if lifetime is None
        else parse_lifetime(lifetime, at=at, key="link_lifetime"),
        locale=policy.locale,
    )


def _read_policy(
    name: str, body: Any, where: str, channels: Mapping[str, Any]
) -> NotificationPolicy:
    at = f"{where}: [notifications.policies.{name}]"
    body = _table(body, at)
    _keys(body, ("channel", "sender", "link_lifetime", "locale", "events"), at)
    locale = body.get("locale", "en")
    if not isinstance(locale, str) or not _LOCALE.match(locale):
        raise ConfigError(f"{at}: key 'locale': expected e.g. 'en' or 'de-CH', got {locale!r}")
    lifetime = body.get("link_lifetime")
    base = NotificationPolicy(
        name=name,
        channel=_name(body.get("channel", "email"), "channel", at),
        sender=_text(body, "sender", at),
        link_lifetime=timedelta(hours=1)
        if lifetime is None
        else parse_lifetime(lifetime, at=at, key="link_lifetime"),
        locale=locale,
    )
    events: dict[str, EventRule] = {}
    for event, rule in _table(body.get("events"), f"{at}.events").items():
        if event not in EVENTS:
            raise ConfigError(
                f"{at}.events: unknown event {event!r} (known: {', '.join(EVENTS)})", key=event
            )
        events[event] = _rule(event, rule, base, f"{at}.events.{event}")
    policy = NotificationPolicy(
        name=name,
        channel=base.channel,
        sender=base.sender,
        link_lifetime=base.link_lifetime,
        locale=base.locale,
        events=events,
    )
    for rule in policy.rules():
        if rule.channel not in channels:
            known = ", ".join(channels) or "none"
            raise ConfigError(
                f"{at}: event {rule.event!r} uses channel {rule.channel!r}, which"
                f" [notifications.channels] does not configure (configured: {known})",
                key="channel",
            )
    return policy


def _read_channels(table: Any, where: str) -> dict[str, Mapping[str, Any]]:
    channels: dict[str, Mapping[str, Any]] = {}
    for name, body in _table(table, f"{where}: [notifications.channels]").items():
        at = f"{where}: [notifications.channels.{_name(name, 'channel', where)}]"
        body = _table(body, at)
        if not isinstance(body.get("plugin"), str) or not body["plugin"]:
            raise ConfigError(f"{at}: key 'plugin': missing required setting", key="plugin")
        channels[name] = body
    return channels


def read_clients(doc: Mapping[str, Any], *, where: str) -> ClientCatalog:
    """Read ``[applications]``, ``[clients]``, ``[organizations]`` and ``[notifications]``.

    Channels' own settings are checked later, by their plugins, when the hub starts.

    :param doc: the whole config document.
    :param where: the config's name for messages (``config file /etc/hub.toml``).
    :returns: the catalogue (empty when the config declares none of them).
    :raises ConfigError: for an unknown key (with the closest known one), a bad name, an
        unknown application, policy, event or channel, a bad colour or lifetime, a URL that is
        not https (http only to this machine), or a ``reset_url`` without ``{token}`` exactly
        once; the message names the file, the table and the key.
    """
    notifications = _table(doc.get("notifications"), f"{where}: [notifications]")
    _keys(notifications, ("channels", "policies", "default_policy"), f"{where}: [notifications]")
    channels = _read_channels(notifications.get("channels"), where)
    policies = {
        _name(name, "notification policy", where): _read_policy(name, body, where, channels)
        for name, body in _table(
            notifications.get("policies"), f"{where}: [notifications.policies]"
        ).items()
    }
    default = _policy_name(
        {"policy": notifications.get("default_policy")}, f"{where}: [notifications]", policies
    )
    applications: dict[str, Application] = {}
    for name, body in _table(doc.get("applications"), f"{where}: [applications]").items():
        at = f"{where}: [applications.{_name(name, 'application', where)}]"
        body = _table(body, at)
        _keys(body, ("organizational", "branding", "policy"), at)
        organizational = body.get("organizational", False)
        if not isinstance(organizational, bool):
            raise ConfigError(f"{at}: key 'organizational' must be true or false")
        applications[name] = Application(
            name=name,
            organizational=organizational,
            branding=_branding(body.get("branding"), at),
            policy=_policy_name(body, at, policies),
        )
    clients: dict[str, Client] = {}
    for name, body in _table(doc.get("clients"), f"{where}: [clients]").items():
        clients[name] = _read_client(_name(name, "client", where), body, where, applications)
    organizations: dict[str, Organization] = {}
    for org_id, body in _table(doc.get("organizations"), f"{where}: [organizations]").items():
        at = f"{where}: [organizations.{org_id}]"
        if not isinstance(org_id, str) or not org_id:
            raise ConfigError(f"{where}: [organizations]: an organization id must be text")
        body = _table(body, at)
        _keys(body, ("branding", "policy"), at)
        organizations[org_id] = Organization(
            id=org_id,
            branding=_branding(body.get("branding"), at),
            policy=_policy_name(body, at, policies),
        )
    return ClientCatalog(
        applications=applications,
        clients=clients,
        organizations=organizations,
        policies=policies,
        default_policy=DEFAULT_POLICY if default is None else policies[default],
        channels=channels,
    )


def _read_client(
    name: str, body: Any, where: str, applications: Mapping[str, Application]
) -> Client:
    at = f"{where}: [clients.{name}]"
    body = _table(body, at)
    _keys(body, ("application", "login_url", "reset_url", "branding"), at)
    app = body.get("application")
    if app not in applications:
        known = ", ".join(applications) or "none"
        raise ConfigError(
            f"{at}: key 'application': no application named {app!r} (configured: {known})",
            key="application",
        )
    login = body.get("login_url")
    reset = body.get("reset_url")
    if reset is not None:
        if not isinstance(reset, str) or reset.count(TOKEN) != 1:
            raise ConfigError(
                f"{at}: key 'reset_url' must hold the placeholder {TOKEN} exactly once",
                key="reset_url",
            )
        check_url(reset.replace(TOKEN, "t"), at=at, key="reset_url")
    return Client(
        name=name,
        application=str(app),
        login_url=None if login is None else check_url(login, at=at, key="login_url"),
        reset_url=reset,
        branding=_branding(body.get("branding"), at),
    )
