"""Impersonation on one store: issue a grant and its signed login link, list and revoke grants.

``store.impersonate(account_id, client=..., reason=...)`` needs ``accounts.impersonate`` and a
reason. The client is chosen by the selection rules of :mod:`idconnect.core.clients` (an account
in an organization only through an organizational application's client, and the other way
round), and must have a ``login_url``. The link is that URL with an ``impersonation_token``
query parameter: a JWT signed with the ``[impersonation]`` key
(:class:`~idconnect.core.impersonation.SigningKey`), valid ``lifetime`` (3 minutes by default,
at most 10). The grant is kept in the hub's state database, never the token; the action is an
audit event (``impersonate``) whose id the token carries.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from attrs import evolve

from idconnect.core.context import CallContext
from idconnect.core.errors import IdconnectError, InvalidInput
from idconnect.core.facade.calls import StoreCalls
from idconnect.core.facade.checks import check_limit
from idconnect.core.impersonation import Impersonation
from idconnect.core.records import new_record_id

__all__ = ["TOKEN_PARAMETER", "ImpersonationOperations", "impersonation_claims"]

TOKEN_PARAMETER = "impersonation_token"
"""The query parameter of the login link that carries the token."""


def impersonation_claims(grant: Impersonation, *, issuer: str) -> dict[str, Any]:
    """Build the claims of a grant's token (RFC 8693 delegation shape).

    :param grant: the grant.
    :param issuer: the hub's ``iss``.
    :returns: ``iss``, ``sub``, ``act``, ``aud``, ``iat``, ``exp``, ``jti``, ``idc_store`` and
        ``idc_event``.
    """
    return {
        "iss": issuer,
        "sub": grant.account_id,
        "act": {"sub": grant.admin},
        "aud": grant.client,
        "iat": int(grant.issued_at.timestamp()),
        "exp": int(grant.expires_at.timestamp()),
        "jti": grant.id,
        "idc_store": grant.store,
        "idc_event": grant.event_id,
    }


def _with_token(url: str, token: str) -> str:
    parts = urlsplit(url)
    query = [*parse_qsl(parts.query, keep_blank_values=True), (TOKEN_PARAMETER, token)]
    return urlunsplit(parts._replace(query=urlencode(query)))


class ImpersonationOperations(StoreCalls):
    """The impersonation actions of :class:`~idconnect.core.facade.store.Store`."""

    def impersonate(
        self, account_id: str, *, client: str, reason: str, actor: str | None = None
    ) -> Impersonation:
        """Issue a short-lived, single-use link that logs the admin in as the customer.

        :param account_id: the customer's account id.
        :param client: the client whose login URL the link opens (by the selection rules).
        :param reason: why (required; kept with the grant and in the audit trail).
        :param actor: the acting admin (the token's ``act.sub``).
        :returns: the grant, with ``link`` (show it to the admin only) and ``expires_at``.
        :raises InvalidInput: for a missing reason, an unknown client, one the selection rules
            refuse, or one without a ``login_url``.
        :raises PermissionDenied: without ``accounts.impersonate`` (or ``accounts.read``).
        :raises NotFound: when the account does not exist.
        :raises ConfigError: when ``[impersonation] signing_key_file`` is not set.
        :raises SecretUnavailable: when the key file cannot be read.
        """
        account_id = self._id(account_id)
        client = self._id(client, "client")
        context = self._context(actor, reason, need_reason=True)
        self.hub.permissions.check_action(
            context, "accounts.impersonate", "impersonate", account_id=account_id
        )
        grant_id = new_record_id()
        try:
            grant, link = self._issue(context, account_id, client, grant_id)
        except IdconnectError as exc:
            self.hub.state.record(
                [
                    self.hub.audit.event(
                        context, "impersonate", account_id=account_id, target=grant_id, error=exc
                    )
                ]
            )
            raise
        return evolve(grant, link=link)

    def _issue(
        self, context: CallContext, account_id: str, client: str, grant_id: str
    ) -> tuple[Impersonation, str]:
        """Check the client, sign the token, keep the grant, record the event; the link too."""
        read = self._context(context.actor, None, need_reason=False)
        account = self._call("get_account", read, subject=account_id, account_id=account_id)
        chosen = self.hub.config.clients.select(client, account.organization).client
        if chosen.login_url is None:
            raise InvalidInput(
                f"client {client!r} has no login_url to impersonate through", client=client
            )
        settings = self.hub.config.impersonation
        event = self.hub.audit.event(context, "impersonate", account_id=account_id, target=grant_id)
        now = self.hub.clock().replace(microsecond=0)
        grant = Impersonation(
            id=grant_id,
            store=self.name,
            account_id=account_id,
            client=client,
            admin=context.actor,
            reason=str(context.reason),
            event_id=event.id,
            issued_at=now,
            expires_at=now + settings.lifetime,
        )
        token = self.hub.signing_key.sign(impersonation_claims(grant, issuer=settings.issuer))
        self.hub.tokens.add_grant(grant)
        self.hub.state.record([event])
        return grant, _with_token(chosen.login_url, token)

    def impersonations(
        self, account_id: str | None = None, *, limit: int = 1000, actor: str | None = None
    ) -> list[Impersonation]:
        """List this store's impersonation grants (never their links), newest first.

        :param account_id: only this account's.
        :param limit: at most this many (1 to 100,000).
        :param actor: the acting admin.
        :returns: the grants; :meth:`Impersonation.status` tells pending, redeemed, revoked and
            expired ones apart.
        :raises PermissionDenied: without ``accounts.impersonate``.
        """
        if account_id is not None:
            account_id = self._id(account_id)
        check_limit(limit, store=self.name)
        context = self._context(actor, None, need_reason=False)
        self.hub.permissions.check_action(
            context, "accounts.impersonate", "list_impersonations", account_id=account_id
        )
        return self.hub.tokens.grants(store=self.name, account_id=account_id, limit=limit)

    def revoke_impersonation(
        self, grant_id: str, *, reason: str, actor: str | None = None
    ) -> Impersonation:
        """Revoke a grant before it is used: its link is refused from then on.

        :param grant_id: the grant's id.
        :param reason: why (required).
        :param actor: the acting admin.
        :returns: the revoked grant.
        :raises PermissionDenied: without ``accounts.impersonate``.
        :raises NotFound: when this store has no such grant.
        :raises Conflict: when it was redeemed or revoked already.
        """
        grant_id = self._id(grant_id, "grant id")
        context = self._context(actor, reason, need_reason=True)
        self.hub.permissions.check_action(
            context, "accounts.impersonate", "revoke_impersonation", target=grant_id
        )
        found = self.hub.tokens.grant(grant_id)
        account_id = found.account_id if found is not None and found.store == self.name else None
        try:
            revoked = self.hub.tokens.revoke_grant(
                grant_id,
                store=self.name,
                at=self.hub.clock(),
                by=context.actor,
                reason=str(context.reason),
            )
        except IdconnectError as exc:
            event = self.hub.audit.event(
                context, "revoke_impersonation", account_id=account_id, target=grant_id, error=exc
            )
            self.hub.state.record([event])
            raise
        self.hub.state.record(
            [
                self.hub.audit.event(
                    context, "revoke_impersonation", account_id=account_id, target=grant_id
                )
            ]
        )
        return revoked
