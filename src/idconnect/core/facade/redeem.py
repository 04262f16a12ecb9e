"""What the customer-facing and client apps call on the hub: redeem a token, fetch the JWKS.

:class:`TokenRedemption` is a base of :class:`~idconnect.core.facade.hub.Hub`:

- ``hub.redeem_password_reset(token, new_password)``: the reset link's token, single use and
  expiring (one conditional update: of two concurrent redemptions one wins); the password is
  set through the store as :data:`~idconnect.core.permissions.SYSTEM_ACTOR` with the reason
  "password reset by the customer", a ``password_reset`` activity record is written where the
  store keeps activity, and the redemption is an audit event naming the token's record id.
- ``hub.redeem_impersonation(token, client=...)``: signature, issuer, audience, expiry, then
  the grant's single use and revocation; the start is an audit event with the admin as actor,
  the grant's reason and the grant id. When the notification policy that applies to the
  account lists the event ``impersonation_started``, the customer is told through the grant's
  client (a failed message is in the notification log; the impersonation starts anyway).
- ``hub.jwks()``, ``hub.impersonations(...)``, ``hub.revoke_impersonation(...)``.

A refused token raises :class:`~idconnect.core.errors.TokenRefused` naming why, never the token.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from idconnect.core.context import CallContext
from idconnect.core.errors import IdconnectError, NotFound, TokenRefused
from idconnect.core.facade.checks import check_text
from idconnect.core.impersonation import Impersonation, SigningKey
from idconnect.core.model import Secret
from idconnect.core.permissions import SYSTEM_ACTOR
from idconnect.core.token_state import ResetGrant, TokenState

if TYPE_CHECKING:
    from idconnect.core.audit import AuditTrail
    from idconnect.core.config import HubConfig
    from idconnect.core.facade.store import Store
    from idconnect.core.notifier import Notifier
    from idconnect.core.permissions import Permissions
    from idconnect.core.state import StateDatabase

__all__ = ["RESET_REASON", "STARTED_EVENT", "TokenRedemption"]

log = logging.getLogger("idconnect")

RESET_REASON = "password reset by the customer"
"""The reason of the password change a reset link's redemption makes."""
STARTED_EVENT = "impersonation_started"
"""The notification event sent, where the policy lists it, when an impersonation starts."""


class TokenRedemption:
    """The hub's token methods; the hub provides the attributes declared here."""

    config: HubConfig
    state: StateDatabase
    audit: AuditTrail
    permissions: Permissions
    tokens: TokenState
    signing_key: SigningKey
    clock: Callable[[], datetime]
    notifier: Notifier

    if TYPE_CHECKING:

        @property
        def stores(self) -> tuple[str, ...]:
            """The configured store names (the hub's)."""

        @property
        def actor(self) -> str:
            """The acting admin (the hub's)."""

        def store(self, name: str) -> Store:
            """The facade of one store (the hub's)."""

    def jwks(self) -> dict[str, Any]:
        """Return the impersonation signing key's public half as a JWKS document.

        Client apps verify impersonation tokens with it (``idconnect impersonation jwks``).

        :returns: ``{"keys": [...]}`` with ``kid``, ``alg`` and ``use`` on each key.
        :raises ConfigError: when ``[impersonation] signing_key_file`` is not set.
        :raises SecretUnavailable: when the key file cannot be read.
        """
        return self.signing_key.jwks()

    def redeem_password_reset(self, token: str, new_password: str | Secret) -> ResetGrant:
        """Set a customer's new password with the token of their reset link (single use).

        :param token: the token from the link.
        :param new_password: the customer's new password.
        :returns: the store, account and client the link was for.
        :raises TokenRefused: ``malformed``, ``unknown``, ``used`` or ``expired``.
        :raises InvalidInput: for a password the store's policy refuses (the token stays
            usable).
        :raises StoreUnavailable: when the state database or the store cannot be reached (a
            password change that failed leaves the token usable).
        """
        now = self.clock()
        grant = self.tokens.use_reset(token, now=now)
        context = CallContext(store=grant.store, actor=SYSTEM_ACTOR, reason=RESET_REASON)
        try:
            store = self.store(grant.store)
            with self.permissions.system_grant(
                grant.store, "credentials.password", "activity.record"
            ):
                store.set_password(
                    grant.account_id, new_password, reason=RESET_REASON, actor=SYSTEM_ACTOR
                )
                if "record_activity" in store.capabilities:
                    store.record_activity(
                        grant.account_id,
                        kind="password_reset",
                        detail={"client": grant.client},
                        reason=RESET_REASON,
                        actor=SYSTEM_ACTOR,
                    )
        except IdconnectError as exc:
            self.tokens.release_reset(grant.id, used_at=now)
            self._record(context, "redeem_password_reset", grant.account_id, grant.id, exc)
            raise
        self._record(context, "redeem_password_reset", grant.account_id, grant.id)
        return grant

    def redeem_impersonation(self, token: str, *, client: str) -> dict[str, Any]:
        """Verify an impersonation token for the client app and start the impersonation.

        :param token: the token from the link's ``impersonation_token`` parameter.
        :param client: the client app redeeming it; must be the token's audience.
        :returns: the verified claims (``sub`` the customer, ``act.sub`` the admin, ...).
        :raises TokenRefused: ``malformed``, ``bad_signature`` (tampered, or signed by another
            key), ``wrong_issuer``, ``wrong_audience``, ``expired``, ``unknown``, ``revoked`` or
            ``used`` (a second redemption).
        :raises ConfigError: when impersonation is not configured.
        """
        client = check_text(client, "client")
        claims = self.signing_key.verify(token)
        now = self.clock()
        grant_id = str(claims["jti"])
        settings = self.config.impersonation
        refused: TokenRefused | None = None
        if claims["iss"] != settings.issuer:
            refused = TokenRefused("the impersonation token has another issuer", why="wrong_issuer")
        elif claims["aud"] != client:
            refused = TokenRefused(
                f"the impersonation token is not for client {client!r}", why="wrong_audience"
            )
        elif not isinstance(claims["exp"], int) or now >= datetime.fromtimestamp(
            claims["exp"], UTC
        ):
            refused = TokenRefused(f"impersonation grant {grant_id} has expired", why="expired")
        try:
            if refused is not None:
                raise refused
            grant = self.tokens.redeem_grant(grant_id, now=now)
        except TokenRefused as exc:
            self._record_refusal(claims, exc)
            raise
        self._record(_grant_context(grant), "redeem_impersonation", grant.account_id, grant.id)
        self._tell_customer(grant)
        return claims

    def _tell_customer(self, grant: Impersonation) -> None:
        """Notify the customer that an impersonation started, where their policy lists it."""
        context = _grant_context(grant)
        try:
            account = self.store(grant.store).get_account(grant.account_id, actor=grant.admin)
            selection = self.notifier.select(account, grant.client)
            if STARTED_EVENT in selection.policy.events:
                self.notifier.send(context, account, STARTED_EVENT, client=grant.client)
        except IdconnectError as exc:
            log.warning("impersonation grant %s: the customer was not notified: %s", grant.id, exc)

    def _record_refusal(self, claims: dict[str, Any], refused: TokenRefused) -> None:
        """Audit a refused redemption of a token this hub signed (its claims are genuine)."""
        found = self.tokens.grant(str(claims["jti"]))
        if found is not None:
            self._record(
                _grant_context(found), "redeem_impersonation", found.account_id, found.id, refused
            )

    def _record(
        self,
        context: CallContext,
        action: str,
        account_id: str,
        target: str,
        error: IdconnectError | None = None,
    ) -> None:
        event = self.audit.event(context, action, account_id=account_id, target=target, error=error)
        self.state.record([event])

    def impersonations(
        self, *, store: str | None = None, account_id: str | None = None
    ) -> list[Impersonation]:
        """List impersonation grants, newest first: of one store, or of every store.

        :param store: only this store's; ``None``: every store the actor holds
            ``accounts.impersonate`` on.
        :param account_id: only this account's (with ``store``).
        :returns: the grants (never their links).
        :raises PermissionDenied: without ``accounts.impersonate`` on ``store``.
        :raises ConfigError: for an unknown store.
        """
        if store is not None:
            return self.store(store).impersonations(account_id)
        names = [
            s for s in self.stores if self.permissions.allows(self.actor, "accounts.impersonate", s)
        ]
        found = [g for g in self.tokens.grants() if g.store in names]
        return found

    def revoke_impersonation(self, grant_id: str, *, reason: str) -> Impersonation:
        """Revoke a grant before it is used, on whichever store it belongs to.

        :param grant_id: the grant's id.
        :param reason: why (required).
        :returns: the revoked grant.
        :raises NotFound: when no grant has that id.
        :raises PermissionDenied: without ``accounts.impersonate`` on the grant's store.
        :raises Conflict: when it was redeemed or revoked already.
        """
        grant_id = check_text(grant_id, "grant id")
        found = self.tokens.grant(grant_id)
        if found is None:
            raise NotFound(f"no impersonation grant with id {grant_id!r}")
        return self.store(found.store).revoke_impersonation(grant_id, reason=reason)


def _grant_context(grant: Impersonation) -> CallContext:
    return CallContext(store=grant.store, actor=grant.admin, reason=grant.reason)
