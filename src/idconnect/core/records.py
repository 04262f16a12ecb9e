"""Support-desk records of an account: identity verifications and consents.

Both are histories: a revoked verification or an ended consent stays listed, with who ended it,
when and why. They are frozen, keyword-only attrs classes like the rest of the model
(:mod:`idconnect.core.model` re-exports them); instants are aware and in UTC.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Iterable
from datetime import datetime

from attrs import field, frozen

from idconnect.core.instants import utc_now
from idconnect.core.validators import aware, non_empty, short_text

__all__ = [
    "MAX_EVIDENCE",
    "MAX_PURPOSE",
    "MAX_VERSION",
    "AssuranceLevel",
    "Consent",
    "ConsentEnd",
    "IdentityVerification",
    "VerificationStatus",
    "new_record_id",
]

MAX_EVIDENCE = 200
"""The longest evidence note: a short note or a reference number, never a document."""
MAX_PURPOSE = 128
"""The longest consent purpose, e.g. ``marketing-email``."""
MAX_VERSION = 64
"""The longest consent version, e.g. ``2025-03`` or ``v4``."""
_MAX_TEXT = 512


def _names(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


def _ended(value: ConsentEnd | str | None) -> ConsentEnd | None:
    return None if value is None else ConsentEnd(value)


def new_record_id() -> str:
    """Return a fresh, random record id (32 hex characters)."""
    return os.urandom(16).hex()


class AssuranceLevel(enum.StrEnum):
    """A level of assurance of an identity verification, as eIDAS names them."""

    LOW = "low"
    SUBSTANTIAL = "substantial"
    HIGH = "high"


class VerificationStatus(enum.StrEnum):
    """Where a verification stands at an instant."""

    VALID = "valid"
    EXPIRED = "expired"
    REVOKED = "revoked"


class ConsentEnd(enum.StrEnum):
    """How a consent ended."""

    SUPERSEDED = "superseded"
    """The customer agreed to a newer version of the same purpose."""
    REVOKED_BY_CUSTOMER = "revoked_by_customer"
    """The customer opted out (recorded by the customer-facing app)."""
    REVOKED_BY_SUPPORT = "revoked_by_support"
    """Support withdrew it, with a reason."""


@frozen(kw_only=True)
class IdentityVerification:
    """A record that support verified an account holder's identity under a policy."""

    id: str = field(validator=non_empty)
    """The record's id."""
    account_id: str = field(validator=non_empty)
    """The account verified."""
    policy: str = field(validator=non_empty)
    """The verification policy applied (a name from ``[verification.policies]``)."""
    methods: tuple[str, ...] = field(converter=_names)
    """The methods the policy applies, e.g. ``("document",)``."""
    level: AssuranceLevel = field(converter=AssuranceLevel)
    """The level of assurance the policy gives."""
    evidence: str = field(validator=short_text(MAX_EVIDENCE))
    """A short note or reference number about what was checked (never a document)."""
    verified_at: datetime = field(validator=aware)
    """When support verified the identity."""
    verified_by: str = field(validator=short_text(_MAX_TEXT))
    """The admin who verified it."""
    expires_at: datetime | None = field(default=None, validator=aware)
    """When it stops being valid (the policy's validity), ``None`` for never."""
    revoked_at: datetime | None = field(default=None, validator=aware)
    """When it was revoked, if it was."""
    revoked_by: str | None = field(default=None, validator=short_text(_MAX_TEXT))
    """The admin who revoked it."""
    revoke_reason: str | None = field(default=None, validator=short_text(_MAX_TEXT))
    """Why it was revoked (the identity carries a risk, ...)."""

    def status_at(self, when: datetime) -> VerificationStatus:
        """Return where the verification stands at an instant.

        :param when: an aware instant.
        :returns: ``revoked`` once revoked, else ``expired`` from ``expires_at`` on, else
            ``valid``.
        """
        if self.revoked_at is not None and self.revoked_at <= when:
            return VerificationStatus.REVOKED
        if self.expires_at is not None and self.expires_at <= when:
            return VerificationStatus.EXPIRED
        return VerificationStatus.VALID

    @property
    def status(self) -> VerificationStatus:
        """Where the verification stands now (:meth:`status_at` the current instant)."""
        return self.status_at(utc_now())


@frozen(kw_only=True)
class Consent:
    """One consent an account holder agreed to, and how it ended if it did."""

    id: str = field(validator=non_empty)
    """The record's id."""
    account_id: str = field(validator=non_empty)
    """The account that agreed."""
    purpose: str = field(validator=short_text(MAX_PURPOSE))
    """What was consented to, e.g. ``marketing-email`` or ``terms-of-service``."""
    version: str = field(validator=short_text(MAX_VERSION))
    """The version of the consent text agreed to."""
    agreed_at: datetime = field(validator=aware)
    """When the customer agreed."""
    opted_out_at: datetime | None = field(default=None, validator=aware)
    """When it ended (superseded or revoked), ``None`` while it holds."""
    ended_how: ConsentEnd | None = field(default=None, converter=_ended)
    """How it ended, ``None`` while it holds."""
    revoked_by: str | None = field(default=None, validator=short_text(_MAX_TEXT))
    """Who ended it: the admin, or the actor of the app that recorded the customer's opt-out."""
    reason: str | None = field(default=None, validator=short_text(_MAX_TEXT))
    """Why it was revoked, as given."""

    @property
    def active(self) -> bool:
        """Whether the consent still holds."""
        return self.opted_out_at is None
