"""The domain model: what a support engineer sees of an identity.

Every class is a frozen, keyword-only attrs class. Instants are timezone-aware ``datetime``
objects in UTC; collections are tuples so that models stay hashable and immutable. The canonical
JSON form (SCIM 2.0 User plus the idconnect extension) lives in :mod:`idconnect.core.convert`.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any

import attrs
from attrs import field, frozen

from idconnect.core.records import Consent, IdentityVerification
from idconnect.core.validators import aware as _aware
from idconnect.core.validators import non_empty as _non_empty

__all__ = [
    "EVENT_OUTCOMES",
    "Account",
    "Authenticator",
    "AuthenticatorKind",
    "BulkResult",
    "Consent",
    "Email",
    "Event",
    "ExternalIdentity",
    "FailedAttempts",
    "Group",
    "GroupRef",
    "IdentityVerification",
    "Name",
    "Organization",
    "Outcome",
    "PhoneNumber",
    "Role",
    "RoleAssignment",
    "Secret",
    "Session",
    "event_outcome",
]


def _non_negative(_: Any, attribute: attrs.Attribute[Any], value: int) -> None:
    if value < 0:
        raise ValueError(f"{attribute.name} must not be negative, got {value}")


def _tuple(value: Any) -> tuple[Any, ...]:
    return tuple(value) if value is not None else ()


def _frozen_map(value: Any) -> Mapping[str, Any]:
    if isinstance(value, MappingProxyType):
        return value
    return MappingProxyType(dict(value) if value is not None else {})


@frozen(kw_only=True)
class Name:
    """A person's name, as in SCIM ``name`` (RFC 7643 §4.1.1)."""

    formatted: str | None = None
    """The full name for display, e.g. ``"Ms. Barbara J Jensen III"``."""
    family_name: str | None = None
    """The family (last) name."""
    given_name: str | None = None
    """The given (first) name."""
    middle_name: str | None = None
    """Middle names, if any."""


@frozen(kw_only=True)
class Email:
    """One email address of an account."""

    value: str = field(validator=_non_empty)
    """The address itself."""
    type: str | None = None
    """``work``, ``home``, ``other`` or a store-specific label."""
    primary: bool = False
    """Whether this is the preferred address; at most one is primary."""
    verified: bool = False
    """Whether the customer confirmed the address (activation or MFA enrolment)."""


@frozen(kw_only=True)
class PhoneNumber:
    """One phone number of an account, preferably in E.164 form."""

    value: str = field(validator=_non_empty)
    """The number itself."""
    type: str | None = None
    """``mobile``, ``work``, ``home`` or a store-specific label."""
    primary: bool = False
    """Whether this is the preferred number; at most one is primary."""
    verified: bool = False
    """Whether the customer confirmed the number."""


@frozen(kw_only=True)
class ExternalIdentity:
    """A link to an enterprise or social identity provider the customer signed up with."""

    provider: str = field(validator=_non_empty)
    """The provider's name, e.g. ``google`` or ``okta-acme``."""
    subject: str = field(validator=_non_empty)
    """The customer's id at that provider."""


@frozen(kw_only=True)
class FailedAttempts:
    """Counts of wrong secrets entered since the last successful login or reset."""

    password: int = field(default=0, validator=_non_negative)
    """Wrong passwords."""
    otp: int = field(default=0, validator=_non_negative)
    """Wrong one-time passwords."""


@frozen(kw_only=True)
class GroupRef:
    """An account's membership of a group, as in SCIM ``groups`` (read-only on the account)."""

    value: str = field(validator=_non_empty)
    """The group's id."""
    display: str | None = None
    """The group's display name."""


@frozen(kw_only=True)
class RoleAssignment:
    """A role held by an account, in one organization or (``organization=None``) globally."""

    role: str = field(validator=_non_empty)
    """The role's name, e.g. ``billing-admin``."""
    organization: str | None = None
    """The organization the role applies to; ``None`` for a role without an organization."""


@frozen(kw_only=True)
class Account:
    """A customer's account in one identity store.

    ``id`` is the store's stable id (SQL primary key, LDAP ``entryUUID``, SCIM ``id``) and is
    ``None`` only for an account not created yet. ``version`` is the opaque token for optimistic
    concurrency (SCIM ETag).
    """

    id: str | None = None
    """The store's stable id; never a value that changes on rename."""
    user_name: str = field(validator=_non_empty)
    """The login name, unique in the store (compared ignoring case)."""
    name: Name | None = None
    """The person's name."""
    display_name: str | None = None
    """The name shown to others."""
    emails: tuple[Email, ...] = field(default=(), converter=_tuple)
    """Email addresses, with type, primary and verified flags."""
    phone_numbers: tuple[PhoneNumber, ...] = field(default=(), converter=_tuple)
    """Phone numbers, with type, primary and verified flags."""
    active: bool = True
    """Whether the customer can log in (label Enabled / Disabled)."""
    disabled_at: datetime | None = field(default=None, validator=_aware)
    """When the account was last disabled, if it is disabled."""
    organization: str | None = None
    """The organization the customer belongs to, if any."""
    external_identities: tuple[ExternalIdentity, ...] = field(default=(), converter=_tuple)
    """Enterprise or social identities linked to the account (label External identity)."""
    created: datetime | None = field(default=None, validator=_aware)
    """When the account was created."""
    last_modified: datetime | None = field(default=None, validator=_aware)
    """When the account was last updated."""
    last_login: datetime | None = field(default=None, validator=_aware)
    """When the customer last logged in."""
    failed_attempts: FailedAttempts = FailedAttempts()
    """Wrong password and OTP entries since the last success or reset."""
    groups: tuple[GroupRef, ...] = field(default=(), converter=_tuple)
    """Groups the account is a member of (read-only; change them through the group)."""
    role_assignments: tuple[RoleAssignment, ...] = field(default=(), converter=_tuple)
    """Roles held, each as a (role, organization) pair."""
    attributes: Mapping[str, Any] = field(factory=dict, converter=_frozen_map, hash=False)
    """Custom attributes the store's config declares, by name: a value, or a tuple of values
    for a multi-valued one (read-only mapping; unset ones are missing)."""
    version: str | None = None
    """The opaque version the store gave this state of the account (SCIM ``meta.version``)."""

    @property
    def email_verified(self) -> bool:
        """Whether any email address is verified (label Email verified)."""
        return any(email.verified for email in self.emails)

    @property
    def phone_verified(self) -> bool:
        """Whether any phone number is verified (label Phone verified)."""
        return any(phone.verified for phone in self.phone_numbers)

    @property
    def primary_email(self) -> str | None:
        """The primary email address, else the first one, else ``None``."""
        for email in self.emails:
            if email.primary:
                return email.value
        return self.emails[0].value if self.emails else None


@frozen(kw_only=True)
class Group:
    """A group accounts can be members of; memberships control access to content."""

    id: str | None = None
    """The store's stable id; ``None`` for a group not created yet."""
    display_name: str = field(validator=_non_empty)
    """The group's name as shown to support agents."""
    members: tuple[str, ...] = field(default=(), converter=_tuple)
    """Member account ids; filled by ``get_group``, empty in search results."""
    created: datetime | None = field(default=None, validator=_aware)
    """When the group was created, if the store knows."""
    version: str | None = None
    """The opaque version of this state of the group."""


@frozen(kw_only=True)
class Organization:
    """An organization (tenant, business customer) accounts can belong to or hold roles in."""

    id: str = field(validator=_non_empty)
    """The organization's stable id."""
    name: str | None = None
    """Its display name."""


@frozen(kw_only=True)
class Role:
    """A role a store knows and can assign."""

    name: str = field(validator=_non_empty)
    """The role's name."""
    description: str | None = None
    """What the role allows, in words."""


class AuthenticatorKind(enum.StrEnum):
    """The kinds of authentication method an account can have."""

    PASSWORD = "password"
    EMAIL = "email"
    PHONE = "phone"
    TOTP = "totp"
    WEBAUTHN = "webauthn"
    RECOVERY_CODES = "recovery_codes"


@frozen(kw_only=True)
class Authenticator:
    """One authentication method of an account. Never carries the secret itself."""

    id: str = field(validator=_non_empty)
    """The store's id for this method."""
    kind: AuthenticatorKind = field(converter=AuthenticatorKind)
    """What kind of method it is."""
    label: str | None = None
    """A masked label safe to show, e.g. ``b****@example.com`` or ``+44 **** **21``."""
    verified: bool = False
    """Whether the method has been confirmed."""
    created: datetime | None = field(default=None, validator=_aware)
    """When it was added."""
    last_used: datetime | None = field(default=None, validator=_aware)
    """When it was last used to log in."""


@frozen(kw_only=True)
class Session:
    """A login session of an account on one device."""

    id: str = field(validator=_non_empty)
    """The store's id for the session."""
    created: datetime | None = field(default=None, validator=_aware)
    """When the session started."""
    last_seen: datetime | None = field(default=None, validator=_aware)
    """When the session was last used."""
    expires: datetime | None = field(default=None, validator=_aware)
    """When it will expire on its own."""
    ip_address: str | None = None
    """The IP address the session started from."""
    user_agent: str | None = None
    """The browser's user agent string."""
    location: str | None = None
    """The approximate geographic location, e.g. ``Lisbon, PT``."""


EVENT_OUTCOMES = ("success", "failure", "indeterminate", "denied")
"""What an audit event can say of its change: done, not done, sent with no answer, or refused
for lack of a permission (before any I/O)."""


def event_outcome(error: BaseException | None) -> str:
    """Return the audit outcome of a change that raised ``error`` (``None``: it succeeded).

    :param error: the failure, if any.
    :returns: ``success``, ``failure``, ``indeterminate`` for
        :class:`~idconnect.core.errors.OutcomeUnknown` (the request was sent, no answer came),
        or ``denied`` for :class:`~idconnect.core.errors.PermissionDenied` (the admin's
        permissions, or the store's refusal of idconnect's own credentials).
    """
    if error is None:
        return "success"
    code = getattr(error, "code", None)
    if code == "outcome_unknown":
        return "indeterminate"
    return "denied" if code == "permission_denied" else "failure"


@frozen(kw_only=True)
class Event:
    """One audited action on a store: who did what to which account, why, and how it went."""

    id: str = field(validator=_non_empty)
    """The event's id."""
    at: datetime = field(validator=_aware)
    """When the action finished."""
    actor: str = field(validator=_non_empty)
    """The acting admin."""
    store: str = field(validator=_non_empty)
    """The store acted on."""
    action: str = field(validator=_non_empty)
    """The operation, e.g. ``disable_account``."""
    outcome: str = field(validator=attrs.validators.in_(EVENT_OUTCOMES))
    """One of :data:`EVENT_OUTCOMES`."""
    request_id: str = field(validator=_non_empty)
    """Shared by every event of one facade call (a bulk action has one)."""
    account_id: str | None = None
    """The account acted on, if the action concerns one."""
    reason: str | None = None
    """Why, as the admin said."""
    target: str | None = None
    """A secondary object: a group id, a role, an authenticator or session id."""
    changed: tuple[str, ...] = field(default=(), converter=_tuple)
    """Names of the attributes changed (never their values)."""
    error_code: str | None = None
    """For a failure, the error's stable code."""
    error: str | None = None
    """For a failure, the error's one-line message."""


class Secret:
    """A secret value (password, token) that never prints itself.

    ``str()``, ``repr()`` and formatting show ``'**********'``; only :meth:`reveal` gives the
    value, and only code that hands it to a store should call it.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not isinstance(value, str) or not value:
            raise ValueError("a secret must be a non-empty string")
        self._value = value

    def reveal(self) -> str:
        """Return the secret value itself."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    def __str__(self) -> str:
        return "**********"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self) -> Any:
        raise TypeError("a Secret is not picklable")


@frozen(kw_only=True)
class Outcome:
    """What happened to one account in a bulk action."""

    account_id: str
    """The account the outcome is about, as the caller named it: its id, or for a creation the
    new id (the requested ``userName`` when the creation failed)."""
    error: Exception | None = field(default=None, eq=False)
    """The error that stopped this account, ``None`` if it succeeded."""
    account: Account | None = field(default=None, eq=False)
    """For a creation that succeeded, the account as stored."""

    @property
    def ok(self) -> bool:
        """Whether the action succeeded for this account."""
        return self.error is None

    @property
    def indeterminate(self) -> bool:
        """Whether the request was sent and no answer came back (the change may be done)."""
        return getattr(self.error, "code", None) == "outcome_unknown"

    @property
    def status(self) -> str:
        """``ok``, ``failed`` or ``indeterminate``."""
        if self.error is None:
            return "ok"
        return "indeterminate" if self.indeterminate else "failed"


@frozen(kw_only=True)
class BulkResult:
    """Each account's outcome of a bulk action, in the order the ids were given."""

    action: str
    """The operation, e.g. ``disable_account``."""
    outcomes: tuple[Outcome, ...] = field(converter=_tuple)
    """One outcome per requested account id."""

    @property
    def ok(self) -> bool:
        """Whether every account succeeded."""
        return all(outcome.ok for outcome in self.outcomes)

    @property
    def succeeded(self) -> tuple[str, ...]:
        """Ids of the accounts the action succeeded for."""
        return tuple(o.account_id for o in self.outcomes if o.ok)

    @property
    def failed(self) -> tuple[Outcome, ...]:
        """Outcomes of the accounts the action did not succeed for (indeterminate ones too)."""
        return tuple(o for o in self.outcomes if not o.ok)

    @property
    def indeterminate(self) -> tuple[Outcome, ...]:
        """Outcomes whose request was sent but never answered, and could not be settled."""
        return tuple(o for o in self.outcomes if o.indeterminate)

    def raise_for_failures(self) -> None:
        """Raise the first failure's error if any account failed.

        :raises Exception: the first failed account's error (an :class:`IdconnectError`).
        """
        failed = self.failed
        if failed:
            first = failed[0].error
            assert first is not None
            raise first
