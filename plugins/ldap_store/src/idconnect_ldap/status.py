"""How an account is enabled or disabled in the directory, one strategy per ``status`` setting.

- ``ppolicy``: ppolicy's administrative lock (``pwdAccountLockedTime = 000001010000Z``); failed
  attempts are the ``pwdFailureTime`` values.
- ``uac``: Active Directory's ACCOUNTDISABLE bit of ``userAccountControl``; failed attempts are
  ``badPwdCount``.
- ``flag``: a flag attribute such as 389-DS ``nsAccountLock``. With ``status_flag_means =
  "disabled"`` the value ``TRUE`` disables; with ``"enabled"`` it enables. The other state is the
  attribute's absence, so the filter is exact.
- ``shadow``: posix ``shadowExpire`` (days since 1970): expired on or before today is disabled;
  disabling writes ``1``, enabling removes the attribute (a scheduled expiry is lost).

``none`` (or a strategy whose attribute the directory does not define) has no strategy: the
backend then drops ``active`` from its catalogue and enable/disable from its capabilities.
"""

from __future__ import annotations

import time
from typing import Any

import ldap3  # type: ignore[import-untyped]

from idconnect_ldap.entries import Raw
from idconnect_ldap.expressions import Compiled, negate
from idconnect_ldap.values import ADMIN_LOCK, uac_is_disabled, uac_with_disabled

__all__ = ["FlagStatus", "PpolicyStatus", "ShadowStatus", "Status", "UacStatus"]

Change = dict[str, list[tuple[str, list[Any]]]]


def _replace(name: str, values: list[str]) -> Change:
    return {name: [(ldap3.MODIFY_REPLACE, values)]}


class Status:
    """One way of holding the enabled state; subclasses fill in the attribute and the tests."""

    kind = ""
    attribute = ""
    """The attribute holding the state (read with every account)."""
    failure_attribute: str | None = None
    """The attribute counting failed password attempts, if the strategy has one."""

    @property
    def attributes(self) -> list[str]:
        """The attributes to read with an account.

        :returns: the state attribute, and the failure counter if any.
        """
        extra = [self.failure_attribute] if self.failure_attribute else []
        return [self.attribute, *extra]

    def active(self, raw: Raw) -> bool:
        """Whether an entry is enabled.

        :param raw: the entry, read with :attr:`attributes`.
        :returns: the state.
        """
        raise NotImplementedError

    def change(self, raw: Raw, enabled: bool) -> Change:
        """The modify that sets the state.

        :param raw: the entry, read with :attr:`attributes`.
        :param enabled: the wanted state.
        :returns: the modification, in ldap3's shape.
        """
        raise NotImplementedError

    def created(self, active: bool) -> dict[str, list[str]]:
        """Attributes a new entry needs for the state.

        :param active: the wanted state.
        :returns: attribute values (empty when the default state is wanted).
        """
        raise NotImplementedError

    def compile(self, active: bool, negated: bool) -> Compiled:
        """A filter for ``active eq <active>``.

        :param active: the compared value.
        :param negated: whether the test sits under ``not`` (then it must not match more).
        :returns: the filter (exact unless documented otherwise).
        """
        raise NotImplementedError

    def failures(self, raw: Raw) -> int:
        """The failed password attempts of an entry.

        :param raw: the entry, read with :attr:`attributes`.
        :returns: the count (0 when the strategy has no counter).
        """
        return 0


class PpolicyStatus(Status):
    """ppolicy's administrative lock; failures are the ``pwdFailureTime`` timestamps."""

    kind = "ppolicy"
    attribute = "pwdAccountLockedTime"

    def __init__(self, failures: bool) -> None:
        self.failure_attribute = "pwdFailureTime" if failures else None

    def active(self, raw: Raw) -> bool:  # noqa: D102 - documented on Status
        return raw.first(self.attribute) != ADMIN_LOCK

    def change(self, raw: Raw, enabled: bool) -> Change:  # noqa: D102
        return _replace(self.attribute, [] if enabled else [ADMIN_LOCK])

    def created(self, active: bool) -> dict[str, list[str]]:  # noqa: D102
        return {} if active else {self.attribute: [ADMIN_LOCK]}

    def compile(self, active: bool, negated: bool) -> Compiled:  # noqa: D102
        locked = f"({self.attribute}={ADMIN_LOCK})"
        return negate(locked) if active else locked

    def failures(self, raw: Raw) -> int:  # noqa: D102
        return len(raw.get(self.failure_attribute)) if self.failure_attribute else 0


class UacStatus(Status):
    """Active Directory's ACCOUNTDISABLE bit; failures are ``badPwdCount``."""

    kind = "uac"
    attribute = "userAccountControl"
    failure_attribute = "badPwdCount"

    def active(self, raw: Raw) -> bool:  # noqa: D102
        return not uac_is_disabled(int(raw.first(self.attribute) or "0"))

    def change(self, raw: Raw, enabled: bool) -> Change:  # noqa: D102
        flags = int(raw.first(self.attribute) or "512")
        return _replace(self.attribute, [str(uac_with_disabled(flags, not enabled))])

    def created(self, active: bool) -> dict[str, list[str]]:  # noqa: D102
        return {} if active else {self.attribute: [str(uac_with_disabled(0x200, True))]}

    def compile(self, active: bool, negated: bool) -> Compiled:  # noqa: D102
        disabled = f"({self.attribute}:1.2.840.113556.1.4.803:=2)"
        return negate(disabled) if active else disabled

    def failures(self, raw: Raw) -> int:  # noqa: D102
        return int(raw.first("badPwdCount") or "0")


class FlagStatus(Status):
    """A flag attribute: ``TRUE`` means disabled (or enabled), its absence the other state.

    :param attribute: the flag attribute, e.g. ``nsAccountLock``.
    :param means: ``disabled`` or ``enabled``: what ``TRUE`` says.
    """

    kind = "flag"

    def __init__(self, attribute: str, means: str) -> None:
        self.attribute = attribute
        self.true_is_active = means == "enabled"

    def active(self, raw: Raw) -> bool:  # noqa: D102
        flagged = (raw.first(self.attribute) or "").upper() == "TRUE"
        return flagged == self.true_is_active

    def change(self, raw: Raw, enabled: bool) -> Change:  # noqa: D102
        return _replace(self.attribute, ["TRUE"] if enabled == self.true_is_active else [])

    def created(self, active: bool) -> dict[str, list[str]]:  # noqa: D102
        return {self.attribute: ["TRUE"]} if active == self.true_is_active else {}

    def compile(self, active: bool, negated: bool) -> Compiled:  # noqa: D102
        flagged = f"({self.attribute}=TRUE)"
        return flagged if active == self.true_is_active else negate(flagged)


class ShadowStatus(Status):
    """posix ``shadowExpire``: an expiry day on or before today disables."""

    kind = "shadow"
    attribute = "shadowExpire"

    @staticmethod
    def _today() -> int:
        return int(time.time() // 86400)

    def active(self, raw: Raw) -> bool:  # noqa: D102
        value = raw.first(self.attribute)
        return value is None or int(value) > self._today()

    def change(self, raw: Raw, enabled: bool) -> Change:  # noqa: D102
        return _replace(self.attribute, [] if enabled else ["1"])

    def created(self, active: bool) -> dict[str, list[str]]:  # noqa: D102
        return {} if active else {self.attribute: ["1"]}

    def compile(self, active: bool, negated: bool) -> Compiled:  # noqa: D102
        # shadowExpire has no ORDERING rule, so "on or before today" cannot be asked: outside
        # 'not' ask for a superset (the backend rechecks), inside it a subset.
        expired_for_sure = f"({self.attribute}=1)"
        no_expiry = f"(!({self.attribute}=*))"
        if active:
            return no_expiry if negated else negate(expired_for_sure)
        return expired_for_sure if negated else f"({self.attribute}=*)"
