"""The LDAP store: idconnect hooks over a directory, through a pool of ldap3 connections.

Ids are the directory's stable ids (``entryUUID``, ``objectGUID``), never DNs; versions are
``entryCSN`` (OpenLDAP). :class:`LdapBackend` is one class whose operation families live in
their own modules, each a mixin over the shared state (:mod:`idconnect_ldap.base`):

- :mod:`idconnect_ldap.paging`: searches with keyset cursors, with or without the sort control;
- :mod:`idconnect_ldap.accounts`: reading, creating, updating, deleting accounts;
- :mod:`idconnect_ldap.groups`: groups and memberships;
- :mod:`idconnect_ldap.credentials`: status, passwords, failed-attempt counters;
- :mod:`idconnect_ldap.activity`: an account's activity from the access log or ppolicy.

What the directory supports is discovered on first use (:mod:`idconnect_ldap.discovery`); the
capabilities and the catalogue are narrowed to it, so a feature the directory lacks (ppolicy,
a flag attribute, the Password Modify operation) is ``NotSupported`` before any write.

Not implemented, so the facade raises ``NotSupported``: roles (no honest mapping in a plain
directory), sessions (not kept in a directory), authenticators other than the password, and
sorting (``sortBy``): the server-side sort control cannot honour the project's order (missing
values last in both directions, ties broken by id) nor resume in another process.
"""

from __future__ import annotations

from idconnect.backend import Catalogue, hookimpl
from idconnect_ldap.activity import ActivityMixin
from idconnect_ldap.credentials import CredentialsMixin
from idconnect_ldap.explain import ExplainMixin
from idconnect_ldap.protocol import PASSWORD_MODIFY_OID

__all__ = ["LdapBackend", "LdapStore"]

_STATUS_OPERATIONS = frozenset({"set_account_enabled", "bulk_set_accounts_enabled"})


class LdapBackend(ActivityMixin, CredentialsMixin, ExplainMixin):
    """An idconnect store backed by an LDAP directory.

    :param config: the store's config (see the plugin's README).
    :raises ConfigError: for a missing or malformed setting.
    """

    @hookimpl
    def idconnect_catalogue(self) -> Catalogue:
        """Return what the profile maps and the directory defines.

        No types, primary or verified flags, roles or sessions; ``active`` only with a status
        strategy that works here, failed attempts only with ppolicy's ``pwdFailureTime``.
        """
        return self.view.catalogue

    @hookimpl
    def idconnect_available_operations(self, implemented: frozenset[str]) -> frozenset[str]:
        """Drop what the directory cannot do.

        Status changes without a working status strategy, counter resets without a failure
        counter, the password without the Password Modify operation (or, on Active Directory,
        without TLS: unicodePwd needs it), activity without an access log or ppolicy's
        attributes.
        """
        view = self.view
        missing: set[str] = set()
        if view.status is None:
            missing |= _STATUS_OPERATIONS | {"reset_failed_attempts"}
        elif not view.status.failure_attribute:
            missing.add("reset_failed_attempts")
        if self.configured.password == "unicodePwd":
            if not self.pool.secure:
                missing.add("set_password")
        elif PASSWORD_MODIFY_OID not in view.directory.extensions:
            missing.add("set_password")
        if not self.has_activity():
            missing.add("list_activity")
        return implemented - missing

    @hookimpl
    def idconnect_ping(self) -> bool:
        """Read the root DSE."""
        self.run(lambda conn: conn.search("", "(objectClass=*)", "BASE", attributes=["1.1"]))
        return True

    @hookimpl
    def idconnect_refresh(self) -> None:
        """Forget what was learnt of the directory and read it again."""
        self.forget()
        _ = self.view

    @hookimpl
    def idconnect_close(self) -> None:
        """Unbind every pooled connection."""
        self.pool.close()


LdapStore = LdapBackend
"""The former name, kept so that imports keep working."""
