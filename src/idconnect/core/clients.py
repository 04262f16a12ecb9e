"""Applications, clients, organizations' branding and notification policies (hub config).

A message to a customer goes out *through a client*: the customer journey (web shop, partner
portal) the customer knows. The hub config declares them::

    [applications.shop]
    organizational = false                  # default false
    policy = "retail"                       # optional: a [notifications.policies] name
    branding = { display_name = "Shop", sender = "shop@example.com" }

    [applications.partner-portal]
    organizational = true

    [clients.shop-web]
    application = "shop"
    login_url = "https://shop.example.com/login"
    reset_url = "https://shop.example.com/reset?token={token}"   # optional; {token} required
    branding = { logo_url = "https://shop.example.com/logo.png", primary_color = "#0055aa" }

    [organizations.acme]                    # the id accounts carry in Account.organization
    policy = "acme"
    branding = { display_name = "ACME Partners", sender = "partners@acme.example" }

    [notifications]
    default_policy = "retail"               # optional: used where no policy is named
    [notifications.channels.email]          # read by the channel plugin (idconnect.core.channels)
    plugin = "smtp"
    host = "127.0.0.1"
    port = 2525
    sender = "support@example.com"
    [notifications.policies.retail]
    channel = "email"                       # default channel of the policy's events
    locale = "en"                           # default locale when the account has none
    link_lifetime = "1h"                    # lifetime of links in time-sensitive messages
    sender = "care@example.com"             # optional; overrides the branding's sender
    [notifications.policies.retail.events.password_changed]
    template = "password_changed"           # default: the event's name
    channel = "sms"

**Branding** keys: ``display_name``, ``logo_url`` (https), ``primary_color``, ``accent_color``
(``#rrggbb``), ``sender`` (the address or SMS sender id messages come from).

**The selection rules** (the brief's "About clients"), :meth:`ClientCatalog.select`:

1. an account that belongs to an organization may be notified only through a client of an
   *organizational* application, and the **organization's** branding and notification policy
   apply;
2. an account without an organization may be notified only through a client of a
   *non-organizational* application, and the **application's** branding and policy apply.

Choosing another client is refused with :class:`~idconnect.core.errors.InvalidInput` naming
the rule. A branding field the deciding organization or application leaves unset is taken from
the client's own branding; a missing policy is ``[notifications] default_policy``, else the
built-in :data:`DEFAULT_POLICY` (every event by email, in English, links valid one hour). An
organization the config does not describe has no branding or policy of its own.

**URLs** must be ``https://``; ``http://`` only to ``127.0.0.1``, ``::1`` or ``localhost``
(tests, local development).

Public names: :data:`EVENTS` (the events a customer can be told about), :class:`Branding`,
:class:`Application`, :class:`Client` (``login_url``, ``reset_url``, :meth:`Client.reset_link`),
:class:`Organization`, :class:`EventRule`, :class:`NotificationPolicy`
(:meth:`NotificationPolicy.rule`), :class:`Selection` (the client, branding, policy and the rule
that decided), :class:`ClientCatalog` (``hub.config.clients``; :meth:`~ClientCatalog.eligible`,
:meth:`~ClientCatalog.select`). The config reader is :mod:`idconnect.core.clientconfig`
(:func:`~idconnect.core.clientconfig.read_clients`, and
:func:`~idconnect.core.clientconfig.parse_lifetime` for ``"3m"``, ``"1h"``, ``"2d"``, ``"45s"``;
:func:`~idconnect.core.clientconfig.check_url`).

Sending: ``hub.clients()`` lists every client; ``store.notification_clients(account_id)`` the
eligible ones; ``store.notify(account_id, event, client=..., reason=...)`` sends one message.
Code that sends a message with secret values (a reset link) calls
:meth:`idconnect.core.notifier.Notifier.send` with ``secrets={"link": url}``: secret values
reach only the channel; the log stores the content rendered with them masked.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from types import MappingProxyType
from typing import Any

from attrs import field, frozen

from idconnect.core.errors import InvalidInput

__all__ = [
    "DEFAULT_POLICY",
    "EVENTS",
    "Application",
    "Branding",
    "Client",
    "ClientCatalog",
    "EventRule",
    "NotificationPolicy",
    "Organization",
    "Selection",
]

EVENTS = (
    "profile_updated",
    "authenticator_added",
    "authenticator_removed",
    "password_changed",
    "password_reset_requested",
    "identity_verified",
    "impersonation_started",
    "account_disabled",
    "account_enabled",
    "account_dormant",
)
"""The events a customer can be notified about (the brief's "notification available")."""

TOKEN = "{token}"
"""The placeholder of a client's ``reset_url`` replaced by the reset token."""

BRANDING_KEYS = ("display_name", "logo_url", "primary_color", "accent_color", "sender")


def _frozen(value: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(value))


@frozen(kw_only=True)
class Branding:
    """How a message looks and whom it comes from; every field optional."""

    display_name: str | None = None
    """The name the customer knows (``"ACME Partners"``)."""
    logo_url: str | None = None
    """An https URL of the logo shown in HTML messages."""
    primary_color: str | None = None
    """The main colour, ``#rrggbb``."""
    accent_color: str | None = None
    """A second colour, ``#rrggbb``."""
    sender: str | None = None
    """The email address or SMS sender id messages come from."""

    def over(self, base: Branding) -> Branding:
        """Return this branding with each field it leaves unset taken from ``base``.

        :param base: the branding underneath.
        :returns: the combined branding.
        """
        return Branding(
            **{
                k: getattr(self, k) if getattr(self, k) is not None else getattr(base, k)
                for k in BRANDING_KEYS
            }
        )


@frozen(kw_only=True)
class Application:
    """An application: organizational (for members of organizations) or not."""

    name: str
    """The application's name in the config."""
    organizational: bool = False
    """Whether its clients serve accounts that belong to an organization."""
    branding: Branding = Branding()
    """The branding of messages to accounts without an organization."""
    policy: str | None = None
    """The notification policy for accounts without an organization, ``None`` for the default."""


@frozen(kw_only=True)
class Client:
    """A client of an application: one customer journey with its URLs."""

    name: str
    """The client's name in the config."""
    application: str
    """The application it belongs to."""
    login_url: str | None = None
    """Where the customer logs in (https)."""
    reset_url: str | None = None
    """The password-reset URL template, holding ``{token}`` once; ``None`` when it has none."""
    branding: Branding = Branding()
    """Fallback branding for fields the deciding organization or application leaves unset."""

    def reset_link(self, token: str) -> str:
        """Return the reset URL with ``token`` in place of ``{token}``.

        :param token: the (URL-safe) reset token.
        :returns: the link.
        :raises InvalidInput: when the client has no ``reset_url``.
        """
        if self.reset_url is None:
            raise InvalidInput(f"client {self.name!r} has no reset_url", client=self.name)
        return self.reset_url.replace(TOKEN, token)


@frozen(kw_only=True)
class Organization:
    """An organization's own branding and notification policy."""

    id: str
    """The organization's id, as accounts carry it in ``Account.organization``."""
    branding: Branding = Branding()
    """The branding of messages to its members."""
    policy: str | None = None
    """The notification policy for its members, ``None`` for the default."""


@frozen(kw_only=True)
class EventRule:
    """What a policy sends for one event."""

    event: str
    """The event, from :data:`EVENTS`."""
    template: str
    """The template's name (``src/idconnect/core/templates/notifications/<name>/``)."""
    channel: str
    """The channel's name (``[notifications.channels.<name>]``)."""
    sender: str | None = None
    """The sender, overriding the branding's; ``None`` for the branding's."""
    link_lifetime: timedelta
    """How long a link or code in the message stays valid."""
    locale: str
    """The locale used when the account names none."""


@frozen(kw_only=True)
class NotificationPolicy:
    """Which template goes out on which channel for which event, from whom, valid how long."""

    name: str
    """The policy's name."""
    channel: str = "email"
    """The channel of events the policy does not list."""
    sender: str | None = None
    """The sender of every event that names none; ``None`` for the branding's."""
    link_lifetime: timedelta = timedelta(hours=1)
    """The link lifetime of every event that names none."""
    locale: str = "en"
    """The locale used when the account names none."""
    events: Mapping[str, EventRule] = field(factory=dict, converter=_frozen)
    """The rules of the events the policy lists."""

    def rule(self, event: str) -> EventRule:
        """Return the rule for ``event``: the listed one, else the policy's defaults.

        :param event: an event from :data:`EVENTS`.
        :returns: the rule.
        :raises InvalidInput: for an unknown event.
        """
        if event not in EVENTS:
            raise InvalidInput(
                f"unknown notification event {event!r} (known: {', '.join(EVENTS)})", event=event
            )
        listed = self.events.get(event)
        if listed is not None:
            return listed
        return EventRule(
            event=event,
            template=event,
            channel=self.channel,
            sender=self.sender,
            link_lifetime=self.link_lifetime,
            locale=self.locale,
        )

    def rules(self) -> tuple[EventRule, ...]:
        """Return the rule of every event, in :data:`EVENTS` order.

        :returns: the rules.
        """
        return tuple(self.rule(event) for event in EVENTS)


DEFAULT_POLICY = NotificationPolicy(name="default")
"""The policy used where none is configured: every event by email, in English, links 1 hour."""


@frozen(kw_only=True)
class Selection:
    """The outcome of the selection rules for one account and one client."""

    client: Client
    """The chosen client."""
    application: Application
    """The client's application."""
    branding: Branding
    """The branding that applies (the organization's or the application's, over the client's)."""
    policy: NotificationPolicy
    """The notification policy that applies."""
    decided_by: str
    """Whose branding and policy apply: ``"organization 'acme'"`` or ``"application 'shop'"``."""


@frozen(kw_only=True)
class ClientCatalog:
    """Every configured application, client, organization, policy and channel."""

    applications: Mapping[str, Application] = field(factory=dict, converter=_frozen)
    """Applications by name."""
    clients: Mapping[str, Client] = field(factory=dict, converter=_frozen)
    """Clients by name, in config order."""
    organizations: Mapping[str, Organization] = field(factory=dict, converter=_frozen)
    """Organizations with their own branding or policy, by id."""
    policies: Mapping[str, NotificationPolicy] = field(factory=dict, converter=_frozen)
    """Notification policies by name."""
    default_policy: NotificationPolicy = DEFAULT_POLICY
    """The policy where none is named."""
    channels: Mapping[str, Mapping[str, Any]] = field(factory=dict, converter=_frozen)
    """Each channel's table as written (``plugin`` and the plugin's settings), by name."""

    def eligible(self, organization: str | None) -> tuple[Client, ...]:
        """Return the clients an account may be notified through, by the selection rules.

        :param organization: the account's organization, ``None`` when it has none.
        :returns: the clients of organizational applications (with an organization) or of
            non-organizational ones (without), in config order.
        """
        wanted = organization is not None
        return tuple(
            c
            for c in self.clients.values()
            if self.applications[c.application].organizational is wanted
        )

    def select(self, client: str, organization: str | None) -> Selection:
        """Apply the selection rules to one client for an account.

        :param client: the chosen client's name.
        :param organization: the account's organization, ``None`` when it has none.
        :returns: the client with the branding and policy that apply.
        :raises InvalidInput: for an unknown client, or one the rules do not allow (the message
            names the rule).
        """
        chosen = self.clients.get(client)
        if chosen is None:
            known = ", ".join(self.clients) or "none"
            raise InvalidInput(f"no client named {client!r} (configured: {known})", client=client)
        app = self.applications[chosen.application]
        if organization is not None:
            if not app.organizational:
                raise InvalidInput(
                    f"client {client!r} belongs to the non-organizational application"
                    f" {app.name!r}: the account belongs to organization {organization!r}, so"
                    " only clients of organizational applications may be chosen (selection"
                    " rule 1)",
                    client=client,
                    rule=1,
                )
            org = self.organizations.get(organization, Organization(id=organization))
            return Selection(
                client=chosen,
                application=app,
                branding=org.branding.over(chosen.branding),
                policy=self._policy(org.policy),
                decided_by=f"organization {organization!r}",
            )
        if app.organizational:
            raise InvalidInput(
                f"client {client!r} belongs to the organizational application {app.name!r}: the"
                " account belongs to no organization, so only clients of non-organizational"
                " applications may be chosen (selection rule 2)",
                client=client,
                rule=2,
            )
        return Selection(
            client=chosen,
            application=app,
            branding=app.branding.over(chosen.branding),
            policy=self._policy(app.policy),
            decided_by=f"application {app.name!r}",
        )

    def _policy(self, name: str | None) -> NotificationPolicy:
        return self.default_policy if name is None else self.policies[name]
