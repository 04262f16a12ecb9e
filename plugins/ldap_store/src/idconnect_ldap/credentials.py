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
    OutcomeUnknown,
    Secret,
    StoreUnavailable,
    hookimpl,
)
from idconnect_ldap.errors import check
from idconnect_ldap.groups import GroupsMixin
from idconnect_ldap.pipeline import Change, Interrupted, modify_many
from idconnect_ldap.pool import answer_lost
from idconnect_ldap.protocol import RELAX
from idconnect_ldap.status import Status
from idconnect_ldap.values import ADMIN_LOCK, unicode_pwd

__all__ = ["CredentialsMixin"]


def _pipelined(
    conn: ldap3.Connection, changes: Sequence[tuple[str, Change]]
) -> list[dict[str, Any]]:
    """Check the connection with a cheap read, then pipeline the changes on it.

    A pooled connection that outlived a server restart fails the read (the pool then retries on
    a fresh one) instead of swallowing a batch of modifies whose outcome would be unknown.
    """
    conn.search("", "(objectClass=*)", ldap3.BASE, attributes=["1.1"])
    if (conn.result or {}).get("result") != 0:
        raise ConnectionError("the directory did not answer a read of its root entry")
    return modify_many(conn, changes)


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
            answer_lost(
                lambda: conn.modify(raw.dn, status.change(raw, enabled)),
                store=self.name,
                what="change account status",
                account=account_id,
            )
            check(conn.result, store=self.name, what="change account status", account=account_id)

        self.run(run)

    @hookimpl
    def idconnect_bulk_set_accounts_enabled(
        self, account_ids: Sequence[str], enabled: bool
    ) -> list[Outcome]:
        """Resolve the ids with OR-filters, then pipeline the modifies on one connection.

        :returns: one outcome per id: ``NotFound`` for an id no entry has, the mapped error of
            that account's modify when the directory refused it. When the connection fails
            mid-way, an account whose modify was sent but not answered is ``OutcomeUnknown``
            (the facade re-reads it), one whose modify was never sent ``StoreUnavailable``;
            the pool then waits (up to both timeouts) for the directory to accept connections
            again, so that the re-read can work.
        """
        status = self._strategy()
        found = self.resolve(account_ids, [self.configured.id_attribute, *status.attributes])
        known = [i for i in account_ids if i in found]
        changes = [(found[i].dn, status.change(found[i], enabled)) for i in known]
        answers: list[dict[str, Any] | None] = []
        sent = len(changes)
        cause: BaseException | None = None
        if changes:
            try:
                answers = list(self.run(lambda conn: _pipelined(conn, changes)))
            except Interrupted as exc:
                answers, sent, cause = exc.results, exc.sent, exc.cause
                s = self.settings
                self.pool.reconnect(s.connect_timeout + s.receive_timeout)
        results = dict(zip(known, answers, strict=True))
        position = {account_id: n for n, account_id in enumerate(known)}
        outcomes: list[Outcome] = []
        for account_id in account_ids:
            outcomes.append(
                Outcome(
                    account_id=account_id,
                    error=self._bulk_error(
                        account_id,
                        account_id in found,
                        results.get(account_id),
                        position.get(account_id, 0) < sent,
                        cause,
                    ),
                )
            )
        return outcomes

    def _bulk_error(
        self,
        account_id: str,
        exists: bool,
        result: dict[str, Any] | None,
        sent: bool,
        cause: BaseException | None,
    ) -> IdconnectError | None:
        """One account's error in a pipelined bulk change (``None``: it was made)."""
        if not exists:
            return NotFound(
                f"no account with id {account_id!r}", store=self.name, account=account_id
            )
        if result is None:
            why = type(cause).__name__ if cause is not None else "no answer"
            if sent:
                return OutcomeUnknown(
                    f"the connection to the directory failed before it answered ({why}):"
                    " the change may or may not have been made",
                    store=self.name,
                    account=account_id,
                )
            return StoreUnavailable(
                f"the connection to the directory failed ({why}) before the change was sent:"
                " the account is unchanged",
                store=self.name,
                account=account_id,
            )
        try:
            check(result, store=self.name, what="change account status", account=account_id)
        except IdconnectError as exc:
            return exc
        return None

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
