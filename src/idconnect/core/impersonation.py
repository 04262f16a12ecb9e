"""Impersonation: the ``[impersonation]`` settings, the signing key, the JWKS and the grant record.

An impersonation link carries a JWT in the shape of RFC 8693 delegation, signed with an
asymmetric key read from ``signing_key_file`` (a PEM private key: EC P-256, signed ``ES256``, or
Ed25519, signed ``Ed25519``, RFC 9864's name for EdDSA over that curve). Signing and
verification are joserfc's (no crypto here); the public half is published as a JWKS document
(:meth:`SigningKey.jwks`) so client apps verify a token without a shared secret::

    [impersonation]
    signing_key_file = "/etc/idconnect/impersonation.pem"
    lifetime = "3m"                      # at most 10 minutes; default 3
    issuer = "https://idconnect.example.com"   # the tokens' iss; default "idconnect"

The claims: ``iss``, ``sub`` (the customer's account id), ``act: {"sub": admin}``, ``aud``
(the client), ``iat``, ``exp``, ``jti`` (the grant's id), ``idc_store`` (the store name) and
``idc_event`` (the id of the audit event of the impersonate action).
"""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Mapping
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from attrs import field, frozen

from idconnect.core.clientconfig import parse_lifetime
from idconnect.core.errors import ConfigError, SecretUnavailable, TokenRefused

__all__ = [
    "DEFAULT_LIFETIME",
    "MAX_LIFETIME",
    "GrantStatus",
    "Impersonation",
    "ImpersonationSettings",
    "SigningKey",
    "read_impersonation",
]

DEFAULT_LIFETIME = timedelta(minutes=3)
"""How long an impersonation link is valid unless ``lifetime`` says less."""
MAX_LIFETIME = timedelta(minutes=10)
"""The hard maximum of ``lifetime``."""
_KEY_FILE_LIMIT = 16 * 1024
_KEYS = frozenset({"signing_key_file", "lifetime", "issuer"})
_CLAIMS = ("iss", "sub", "act", "aud", "iat", "exp", "jti", "idc_store", "idc_event")


class GrantStatus(StrEnum):
    """Where an impersonation grant stands."""

    PENDING = "pending"
    """Issued, not yet redeemed, not expired."""
    REDEEMED = "redeemed"
    """Redeemed by the client app: the impersonation started."""
    REVOKED = "revoked"
    """Revoked before use."""
    EXPIRED = "expired"
    """Not redeemed in time."""


@frozen(kw_only=True)
class Impersonation:
    """One impersonation grant, as the hub's state database keeps it.

    The link exists only on the object :meth:`~idconnect.core.facade.store.Store.impersonate`
    returns; it is never stored, listed or printed by ``repr``.
    """

    id: str
    """The grant's id, the token's ``jti``."""
    store: str
    """The store of the account."""
    account_id: str
    """The customer's account id (the token's ``sub``)."""
    client: str
    """The client the link opens (the token's ``aud``)."""
    admin: str
    """Who impersonates (the token's ``act.sub``)."""
    reason: str
    """Why, as the admin wrote it."""
    event_id: str
    """The audit event of the impersonate action (the token's ``idc_event``)."""
    issued_at: datetime
    """When the link was made."""
    expires_at: datetime
    """When the link stops working."""
    redeemed_at: datetime | None = None
    """When the client app redeemed it."""
    revoked_at: datetime | None = None
    """When it was revoked."""
    revoked_by: str | None = None
    """Who revoked it."""
    revoke_reason: str | None = None
    """Why it was revoked."""
    link: str | None = field(default=None, repr=False, eq=False)
    """The login link with the signed token; only on the grant just issued."""

    def status(self, now: datetime) -> GrantStatus:
        """Say where the grant stands at ``now``.

        :param now: an aware instant.
        :returns: the status.
        """
        if self.revoked_at is not None:
            return GrantStatus.REVOKED
        if self.redeemed_at is not None:
            return GrantStatus.REDEEMED
        return GrantStatus.EXPIRED if now >= self.expires_at else GrantStatus.PENDING


@frozen(kw_only=True)
class ImpersonationSettings:
    """The ``[impersonation]`` table."""

    signing_key_file: Path | None = None
    """The PEM private key tokens are signed with; ``None``: impersonation is off."""
    lifetime: timedelta = DEFAULT_LIFETIME
    """How long a link is valid (at most :data:`MAX_LIFETIME`)."""
    issuer: str = "idconnect"
    """The tokens' ``iss``."""
    where: str = "config"
    """The config file, for messages."""


def _refuse(where: str, key: str, message: str) -> ConfigError:
    return ConfigError(f"{where}: [impersonation]: key {key!r}: {message}", key=key)


def read_impersonation(table: object, *, where: str) -> ImpersonationSettings:
    """Read and check the ``[impersonation]`` table of a config.

    :param table: the table, or ``None`` when absent.
    :param where: ``config file PATH`` or ``config``, for messages.
    :returns: the settings (impersonation off without ``signing_key_file``).
    :raises ConfigError: for an unknown key (a literal ``signing_key`` included: keys come from
        files), a lifetime that is not ``"45s"``, ``"3m"``... of at most 10 minutes, or an
        empty issuer.
    """
    if table is None:
        return ImpersonationSettings(where=where)
    if not isinstance(table, Mapping):
        raise ConfigError(f"{where}: [impersonation] must be a table")
    for key in sorted(set(table) - _KEYS):
        raise _refuse(where, key, f"unknown setting (known: {', '.join(sorted(_KEYS))})")
    key_file = table.get("signing_key_file")
    if key_file is not None and (not isinstance(key_file, str) or not key_file):
        raise _refuse(where, "signing_key_file", "must be the path of a PEM private key")
    lifetime = DEFAULT_LIFETIME
    if "lifetime" in table:
        lifetime = parse_lifetime(
            table["lifetime"], at=f"{where}: [impersonation]", key="lifetime", most=MAX_LIFETIME
        )
    issuer = table.get("issuer", "idconnect")
    if not isinstance(issuer, str) or not issuer.strip():
        raise _refuse(where, "issuer", "must be non-empty text")
    return ImpersonationSettings(
        signing_key_file=None if key_file is None else Path(key_file).expanduser(),
        lifetime=lifetime,
        issuer=issuer,
        where=where,
    )


class SigningKey:
    """The impersonation signing key, read from its file at first use.

    :param settings: the ``[impersonation]`` settings.
    """

    def __init__(self, settings: ImpersonationSettings) -> None:
        self.settings = settings
        self._key: Any = None
        self._lock = threading.Lock()

    @property
    def configured(self) -> bool:
        """Whether a signing key file is configured."""
        return self.settings.signing_key_file is not None

    def _loaded(self) -> Any:
        """The joserfc key; read from the file on first use.

        :raises ConfigError: when no key file is configured.
        :raises SecretUnavailable: when the file cannot be read or holds no supported key.
        """
        with self._lock:
            if self._key is None:
                self._key = _read_key(self.settings)
            return self._key

    @property
    def algorithm(self) -> str:
        """The JWS algorithm of the key: ``ES256`` or ``Ed25519``."""
        return "ES256" if self._loaded().key_type == "EC" else "Ed25519"

    @property
    def kid(self) -> str:
        """The key's id: its RFC 7638 thumbprint."""
        thumbprint: str = self._loaded().thumbprint()
        return thumbprint

    def jwks(self) -> dict[str, Any]:
        """Return the public key as a JWKS document (RFC 7517), for client apps.

        :returns: ``{"keys": [{kty, crv, x, (y), kid, alg, use}]}``, no private part.
        :raises ConfigError: when no key file is configured.
        :raises SecretUnavailable: when the key cannot be read.
        """
        public = dict(self._loaded().as_dict(private=False))
        public.update(kid=self.kid, alg=self.algorithm, use="sig")
        return {"keys": [public]}

    def sign(self, claims: Mapping[str, Any]) -> str:
        """Sign claims into a compact JWT.

        :param claims: the claims.
        :returns: the token.
        :raises ConfigError: when no key file is configured.
        :raises SecretUnavailable: when the key cannot be read.
        """
        from joserfc import jwt

        header = {"alg": self.algorithm, "kid": self.kid, "typ": "JWT"}
        token: str = jwt.encode(header, dict(claims), self._loaded(), algorithms=[self.algorithm])
        return token

    def verify(self, token: str) -> dict[str, Any]:
        """Check a token's signature with this key and return its claims (nothing else checked).

        :param token: a compact JWT.
        :returns: the claims.
        :raises TokenRefused: ``malformed`` for anything but a JWT signed with this key's
            algorithm and carrying every claim this hub puts in; ``bad_signature`` when the
            signature does not verify with this key.
        """
        from joserfc import jwt
        from joserfc.errors import BadSignatureError, JoseError

        if not isinstance(token, str) or token.count(".") != 2 or len(token) > 8192:
            raise TokenRefused("the impersonation token is malformed", why="malformed")
        try:
            decoded = jwt.decode(token, self._loaded(), algorithms=[self.algorithm])
        except BadSignatureError:
            raise TokenRefused(
                "the impersonation token's signature does not verify", why="bad_signature"
            ) from None
        except (JoseError, ValueError, TypeError):
            raise TokenRefused("the impersonation token is malformed", why="malformed") from None
        claims = dict(decoded.claims)
        act = claims.get("act")
        if any(c not in claims for c in _CLAIMS) or not isinstance(act, dict) or "sub" not in act:
            raise TokenRefused("the impersonation token lacks claims", why="malformed")
        return claims


def _read_key(settings: ImpersonationSettings) -> Any:
    from joserfc.errors import JoseError
    from joserfc.jwk import ECKey, OKPKey

    path = settings.signing_key_file
    if path is None:
        raise ConfigError(
            f"{settings.where}: impersonation is not configured: set [impersonation]"
            " signing_key_file to a PEM private key (EC P-256 or Ed25519)",
            key="signing_key_file",
        )

    def unavailable(why: str) -> SecretUnavailable:
        return SecretUnavailable(
            f"{settings.where}: [impersonation]: key 'signing_key_file': the file {path} {why}",
            key="signing_key_file",
        )

    try:
        with path.open("rb") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                raise unavailable("is not a regular file")
            data = fh.read(_KEY_FILE_LIMIT + 1)
    except OSError as exc:
        raise unavailable(f"cannot be read: {exc.strerror}") from None
    if len(data) > _KEY_FILE_LIMIT:
        raise unavailable("is too large for a PEM key")
    for kind in (ECKey, OKPKey):
        try:
            key = kind.import_key(data)
        except (JoseError, ValueError, TypeError):
            continue
        curve = key.as_dict(private=False).get("crv")
        if not key.is_private or curve not in ("P-256", "Ed25519"):
            raise unavailable("holds no private EC P-256 or Ed25519 key")
        return key
    raise unavailable("holds no PEM private key (EC P-256 or Ed25519)")
