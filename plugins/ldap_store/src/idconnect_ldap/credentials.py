"""Account status, passwords and failed-attempt counters.

Enabling and disabling go through the status strategy (:mod:`idconnect_ldap.status`); bulk
status changes resolve a batch's ids with OR-filters, then pipeline the modifies on one
connection (:mod:`idconnect_ldap.pipeline`), one outcome per account. Passwords are set with
the Password Modify extended operation (RFC 3062), or ``unicodePwd`` on Active Directory.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ldap3  # type: ignore[import-untyped]

from idconnect.backend import (
    IdconnectError,
    InvalidInput,
    NotFound,
    NotSupported,
    Outcome,
    Secret,
    hookimpl,
)
from idconnect_ldap.errors import check
from idconnect_ldap.groups import GroupsMixin
from idconnect_ldap.pipeline import modify_many
from idconnect_ldap.protocol import RELAX
from idconnect_ldap.status import Status
from idconnect_ldap.values import ADMIN_LOCK, unicode_pwd

__all__ = ["CredentialsMixin"]


class CredentialsMixin(GroupsMixin):
    """Status, password and counter hooks."""

    def _strategy(self) -> Status:
        """The status strategy, or ``NotSupported`` (the facade normally stops this first)."""
        status = self.view.status
        if status is None:
            raise NotSupported("this directory holds no account status", store=self.name)
        return status

    @hookimpl
    def idconnect_set_account_enabled(self, account_id: str, enabled: bool) -> None:
        """Set the account's status the configured way."""
        status = self._strategy()

        def run(conn: ldap3.Connection) -> None:
            raw = self.find_account(
                conn, account_id, [self.configured.id_attribute, *status.attributes]
            )
            conn.modify(raw.dn, status.change(raw, enabled))
            check(conn.result, store=self.name, what="change account status", account=account_id)

        self.run(run)

    @hookimpl
    def idconnect_bulk_set_accounts_enabled(
        self, account_ids: Sequence[str], enabled: bool
    ) -> list[Outcome]:
        """Resolve the ids with OR-filters, then pipeline the modifies on one connection.

        :returns: one outcome per id: ``NotFound`` for an id no entry has, the mapped error of
            that account's modify when the directory refused it.
        """
        status = self._strategy()
        found = self.resolve(account_ids, [self.configured.id_attribute, *status.attributes])
        known = [i for i in account_ids if i in found]
        changes = [(found[i].dn, status.change(found[i], enabled)) for i in known]
        answers = self.run(lambda conn: modify_many(conn, changes)) if changes else []
        results = dict(zip(known, answers, strict=True))
        outcomes: list[Outcome] = []
        for account_id in account_ids:
            result = results.get(account_id)
            error: IdconnectError | None = None
            if result is None:
                error = NotFound(
                    f"no account with id {account_id!r}", store=self.name, account=account_id
                )
            else:
                try:
                    check(result, store=self.name, what="change account status", account=account_id)
                except IdconnectError as exc:
                    error = exc
            outcomes.append(Outcome(account_id=account_id, error=error))
        return outcomes

    @hookimpl
    def idconnect_set_password(self, account_id: str, password: Secret) -> None:
        """Password Modify extended operation (RFC 3062), or ``unicodePwd`` on AD."""

        def run(conn: ldap3.Connection) -> None:
            raw = self.find_account(conn, account_id, [self.configured.id_attribute])
            if self.configured.password == "unicodePwd":
                conn.modify(
                    raw.dn,
                    {"unicodePwd": [(ldap3.MODIFY_REPLACE, [unicode_pwd(password.reveal())])]},
                )
            else:
                conn.extend.standard.modify_password(user=raw.dn, new_password=password.reveal())
            if (conn.result or {}).get("result") == 19:
                raise InvalidInput(
                    "the directory's password policy refused the new password",
                    store=self.name,
                    account=account_id,
                )
            check(conn.result, store=self.name, what="set password", account=account_id)

        self.run(run)

    @hookimpl
    def idconnect_reset_failed_attempts(self, account_id: str) -> None:
        """Delete ppolicy's ``pwdFailureTime`` (Relax control) and a failure lockout.

        An administrative lock (a disabled account) stays. On Active Directory ``lockoutTime``
        is set to 0, which also clears ``badPwdCount``.
        """
        status = self._strategy()
        if not status.failure_attribute:
            raise NotSupported("this directory counts no failed attempts", store=self.name)

        def run(conn: ldap3.Connection) -> None:
            raw = self.find_account(
                conn, account_id, [self.configured.id_attribute, *status.attributes]
            )
            if status.kind == "ppolicy":
                change: dict[str, Any] = {"pwdFailureTime": [(ldap3.MODIFY_REPLACE, [])]}
                locked = raw.first("pwdAccountLockedTime")
                if locked is not None and locked != ADMIN_LOCK:
                    change["pwdAccountLockedTime"] = [(ldap3.MODIFY_REPLACE, [])]
                conn.modify(raw.dn, change, controls=[RELAX])
            else:
                conn.modify(raw.dn, {"lockoutTime": [(ldap3.MODIFY_REPLACE, ["0"])]})
            check(conn.result, store=self.name, what="reset failed attempts", account=account_id)

        self.run(run)
