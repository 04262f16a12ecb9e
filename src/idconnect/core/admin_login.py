"""Console logins of admins: argon2 password hashes and optional TOTP, in the hub's state database.

An admin logs in to the support console (``/console/login``) with a password set by
``idconnect admins add`` or ``idconnect admins password`` (:func:`set_admin_password`) and, once
enabled (:func:`enable_admin_totp`), a one-time code from an authenticator app (RFC 6238, 30-second
steps, one step of drift either way, a code never accepted twice). The table
``idconnect_admin_logins`` keeps the argon2id hash (argon2-cffi's defaults, rehashed at login when
they change) and the TOTP secret; no password or code is written anywhere else.

Refused attempts are rows of ``idconnect_login_failures``, so every worker sharing the state
database counts them together. Within :attr:`LoginLimits.window`, a client address with
:attr:`~LoginLimits.per_client` refusals gets :class:`~idconnect.core.errors.RateLimited` (HTTP
429) before anything is checked, and an admin name with :attr:`~LoginLimits.per_admin` refusals
is ``Unauthenticated(why="locked")`` until the oldest leaves the window; names nobody holds are
counted alike, and an unknown name is checked against a dummy hash, so neither the answer nor its
time tells whether a name exists. Every success and refusal is an audit event under the store name
:data:`~idconnect.core.admins.HUB_SCOPE` (action ``console_login``, the name as the account,
the client address as the target); setting a password or enabling TOTP needs ``admins.manage``
(or being that admin), a reason, and is audited.
"""

from __future__ import annotations

import hmac
import logging
import math
from datetime import datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, NoReturn

import pyotp
import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from attrs import frozen

from idconnect.core.admins import HUB_SCOPE
from idconnect.core.context import CallContext, new_request_id
from idconnect.core.errors import (
    IdconnectError,
    InvalidInput,
    NotFound,
    RateLimited,
    Unauthenticated,
)
from idconnect.core.facade.checks import check_text
from idconnect.core.state_tables import INSTANT, StateTables, as_utc

if TYPE_CHECKING:
    from idconnect.core.facade.hub import Hub

__all__ = [
    "LIMITS",
    "MIN_PASSWORD",
    "TOTP_ISSUER",
    "UNAUTHENTICATED_ACTOR",
    "LoginLimits",
    "enable_admin_totp",
    "has_console_password",
    "set_admin_password",
    "verify_admin_login",
]

log = logging.getLogger("idconnect")

MIN_PASSWORD = 12
"""The shortest console password accepted, in characters."""
TOTP_ISSUER = "idconnect"
"""The issuer an authenticator app shows next to the admin's name."""
UNAUTHENTICATED_ACTOR = "(unauthenticated)"
"""The actor of the audit event of a refused login."""

_MAX_PASSWORD = 1024
_MAX_NAME = 256
_BAD_CREDENTIALS = "the admin name or the password is wrong"
_KEEP_FAILURES = timedelta(days=1)

_meta = sa.MetaData()
_logins = sa.Table(
    "idconnect_admin_logins",
    _meta,
    sa.Column("name", sa.String(_MAX_NAME), primary_key=True),
    sa.Column("password_hash", sa.String(256), nullable=False),
    sa.Column("totp_secret", sa.String(64)),
    sa.Column("totp_last_step", sa.BigInteger),
    sa.Column("set_by", sa.String(_MAX_NAME), nullable=False),
    sa.Column("set_at", INSTANT, nullable=False),
    sa.Column("last_login", INSTANT),
)
_failures = sa.Table(
    "idconnect_login_failures",
    _meta,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(8), nullable=False),
    sa.Column("key", sa.String(_MAX_NAME), nullable=False),
    sa.Column("at", INSTANT, nullable=False),
    sa.Index("ix_idconnect_login_failures_key", "kind", "key", "at"),
)
_tables = StateTables(_meta, "admin logins")
_hasher = PasswordHasher()


@frozen(kw_only=True)
class LoginLimits:
    """How many refused logins are allowed, and over how long."""

    per_client: int = 10
    """Refusals one client address may have within :attr:`window` before it gets 429."""
    per_admin: int = 5
    """Refusals one admin name may have within :attr:`window` before it is locked."""
    window: timedelta = timedelta(minutes=15)
    """The sliding window, by the hub's clock."""


LIMITS = LoginLimits()
"""The limits :func:`verify_admin_login` applies unless told others."""


@cache
def _dummy_hash() -> str:
    return _hasher.hash("idconnect: no admin has this password")


def _context(hub: Hub, actor: str | None, reason: str | None) -> CallContext:
    who = check_text(actor, "actor") if actor is not None else hub.actor
    if reason is not None:
        check_text(reason, "reason")
    return CallContext(store=HUB_SCOPE, actor=who, reason=reason, request_id=new_request_id())


def _audit(
    hub: Hub,
    context: CallContext,
    action: str,
    name: str | None,
    *,
    target: str | None = None,
    error: BaseException | None = None,
) -> None:
    event = hub.audit.event(context, action, account_id=name, target=target, error=error)
    try:
        hub.audit.state.record([event])
    except IdconnectError as exc:
        if error is None:
            raise
        log.warning("a refused console login could not be audited: %s", exc)


def _name(name: object) -> str:
    checked = check_text(name, "admin name", store=HUB_SCOPE)
    if len(checked) > _MAX_NAME:
        raise InvalidInput(f"an admin's name has at most {_MAX_NAME} characters", store=HUB_SCOPE)
    return checked


def _check_password(name: str, password: object) -> str:
    if not isinstance(password, str):
        raise InvalidInput("a console password must be text", store=HUB_SCOPE, account=name)
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(
            f"a console password needs at least {MIN_PASSWORD} characters",
            store=HUB_SCOPE,
            account=name,
        )
    if len(password) > _MAX_PASSWORD:
        raise InvalidInput(
            f"a console password has at most {_MAX_PASSWORD} characters",
            store=HUB_SCOPE,
            account=name,
        )
    if password.strip().casefold() == name.casefold():
        raise InvalidInput(
            "a console password must not be the admin's name", store=HUB_SCOPE, account=name
        )
    return password


def _authorize(hub: Hub, context: CallContext, action: str, name: str) -> None:
    if context.actor != name:
        hub.permissions.check_action(context, "admins.manage", action, account_id=name)


def set_admin_password(hub: Hub, name: str, password: str, *, by: str, reason: str) -> None:
    """Set (or change) an admin's console password; their open console sessions end.

    :param hub: the hub whose state database keeps it.
    :param name: the admin (actor name) who logs in with it.
    :param password: at least :data:`MIN_PASSWORD` characters, not the name (only its argon2
        hash is kept).
    :param by: the acting admin: ``name`` itself, or one holding ``admins.manage``.
    :param reason: why (required).
    :raises InvalidInput: for a bad name or reason, or a password the policy refuses (the
        message says which rule, never the password).
    :raises PermissionDenied: when ``by`` is someone else without ``admins.manage``.
    :raises StoreUnavailable: when the state database cannot be written.
    """
    from idconnect.core.console_sessions import close_admin_sessions

    context = _context(hub, by, check_text(reason, "reason", store=HUB_SCOPE))
    name = _name(name)
    _authorize(hub, context, "set_admin_password", name)
    digest = _hasher.hash(_check_password(name, password))
    values = {"password_hash": digest, "set_by": context.actor, "set_at": hub.clock()}
    with _tables.begin(hub.state) as connection:
        found = connection.execute(sa.update(_logins).where(_logins.c.name == name), values)
        if not found.rowcount:
            connection.execute(sa.insert(_logins), {"name": name, **values})
    close_admin_sessions(hub, name)
    _audit(hub, context, "set_admin_password", name)


def enable_admin_totp(hub: Hub, name: str, *, by: str, reason: str) -> str:
    """Require a one-time code at this admin's console logins from now on (a new secret).

    :param hub: the hub.
    :param name: an admin with a console password.
    :param by: the acting admin: ``name`` itself, or one holding ``admins.manage``.
    :param reason: why (required).
    :returns: the ``otpauth://`` URI to load into an authenticator app: shown this once.
    :raises InvalidInput: for a bad name or reason.
    :raises NotFound: when the admin has no console password yet.
    :raises PermissionDenied: when ``by`` is someone else without ``admins.manage``.
    :raises StoreUnavailable: when the state database cannot be written.
    """
    context = _context(hub, by, check_text(reason, "reason", store=HUB_SCOPE))
    name = _name(name)
    _authorize(hub, context, "enable_admin_totp", name)
    secret = pyotp.random_base32()
    with _tables.begin(hub.state) as connection:
        done = connection.execute(
            sa.update(_logins)
            .where(_logins.c.name == name)
            .values(totp_secret=secret, totp_last_step=None)
        )
    if not done.rowcount:
        raise NotFound(
            "this admin has no console password yet (idconnect admins password)",
            store=HUB_SCOPE,
            account=name,
        )
    _audit(hub, context, "enable_admin_totp", name)
    return pyotp.TOTP(secret).provisioning_uri(name=name, issuer_name=TOTP_ISSUER)


def has_console_password(hub: Hub, name: str) -> bool:
    """Say whether an admin can log in to the console (a password is set).

    :param hub: the hub.
    :param name: the admin's name.
    :returns: whether a console password is set for them.
    :raises StoreUnavailable: when the state database cannot be read.
    """
    with _tables.begin(hub.state) as connection:
        row = connection.execute(sa.select(_logins.c.name).where(_logins.c.name == name)).first()
    return row is not None


def _recent(connection: sa.Connection, kind: str, key: str, since: datetime) -> list[datetime]:
    f = _failures.c
    rows = connection.execute(
        sa.select(f.at).where(f.kind == kind, f.key == key, f.at > since).order_by(f.at)
    )
    return [as_utc(at) for (at,) in rows]


def _wait(times: list[datetime], limit: int, limits: LoginLimits, now: datetime) -> int | None:
    if len(times) < limit:
        return None
    leaves = times[len(times) - limit] + limits.window
    return max(1, math.ceil((leaves - now).total_seconds()))


def verify_admin_login(
    hub: Hub,
    name: str,
    password: str,
    *,
    otp: str | None = None,
    client: str | None = None,
    limits: LoginLimits = LIMITS,
) -> str:
    """Check a console login: the password, then the one-time code when TOTP is enabled.

    :param hub: the hub.
    :param name: the admin name typed.
    :param password: the password typed (never logged, audited or repeated).
    :param otp: the six-digit code, when the admin has TOTP.
    :param client: the client's address, whose refusals are counted.
    :param limits: how many refusals are allowed (default :data:`LIMITS`).
    :returns: the admin's name.
    :raises RateLimited: when the client address had too many refusals lately (checked first;
        ``details['retry_after']`` in seconds).
    :raises Unauthenticated: ``bad_credentials`` (an unknown name and a wrong password alike),
        ``otp_required`` (the password was right; ask for the code), ``bad_otp``, or
        ``locked`` (too many refusals for this name lately).
    :raises StoreUnavailable: when the state database cannot be reached.
    """
    now = hub.clock()
    since = now - limits.window
    address = (client or "unknown")[:_MAX_NAME]
    typed = name if isinstance(name, str) else ""
    key = typed[:_MAX_NAME]
    with _tables.begin(hub.state) as connection:
        wait = _wait(_recent(connection, "client", address, since), limits.per_client, limits, now)
        locked = _wait(_recent(connection, "admin", key, since), limits.per_admin, limits, now)
        row = connection.execute(sa.select(_logins).where(_logins.c.name == key)).mappings().first()
    if wait is not None:
        error: IdconnectError = RateLimited(
            f"too many refused console logins from {address}; retry in {wait} s",
            store=HUB_SCOPE,
            retry_after=wait,
        )
        _refuse(hub, key, address, error)
    if locked is not None:
        _refuse(
            hub,
            key,
            address,
            Unauthenticated(
                f"too many refused logins for this admin; retry in {locked} s",
                store=HUB_SCOPE,
                why="locked",
                retry_after=locked,
            ),
        )
    stored = row["password_hash"] if row is not None and key == typed else None
    matches = _password_matches(stored, password)
    if row is None or not matches:
        _fail(hub, key, address, now, limits, "bad_credentials", _BAD_CREDENTIALS)
    step = _accept_otp(hub, row, otp, key, address, now, limits)
    values: dict[str, object] = {"last_login": now}
    if step is not None:
        values["totp_last_step"] = step
    if _hasher.check_needs_rehash(row["password_hash"]):
        values["password_hash"] = _hasher.hash(password)
    with _tables.begin(hub.state) as connection:
        connection.execute(sa.update(_logins).where(_logins.c.name == key).values(**values))
        f = _failures.c
        connection.execute(sa.delete(_failures).where(f.kind == "admin", f.key == key))
    _audit(hub, CallContext(store=HUB_SCOPE, actor=key), "console_login", key, target=address)
    return key


def _password_matches(stored: str | None, password: object) -> bool:
    if not isinstance(password, str) or len(password) > _MAX_PASSWORD:
        password = ""
    try:
        _hasher.verify(stored or _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return False
    return stored is not None


def _accept_otp(
    hub: Hub,
    row: sa.RowMapping,
    otp: str | None,
    key: str,
    address: str,
    now: datetime,
    limits: LoginLimits,
) -> int | None:
    secret = row["totp_secret"]
    if secret is None:
        return None
    if otp is None or not otp.strip():
        _refuse(
            hub,
            key,
            address,
            Unauthenticated(
                "enter the one-time code of your authenticator app",
                store=HUB_SCOPE,
                why="otp_required",
            ),
        )
    totp = pyotp.TOTP(secret)
    code = otp.strip().replace(" ", "")
    last = row["totp_last_step"]
    for drift in (-1, 0, 1):
        at = now + timedelta(seconds=drift * totp.interval)
        step = totp.timecode(at)
        if hmac.compare_digest(totp.at(at), code) and (last is None or step > last):
            return int(step)
    _fail(
        hub, key, address, now, limits, "bad_otp", "the one-time code is wrong or was used already"
    )


def _fail(
    hub: Hub, key: str, address: str, now: datetime, limits: LoginLimits, why: str, message: str
) -> NoReturn:
    with _tables.begin(hub.state) as connection:
        connection.execute(
            sa.insert(_failures),
            [
                {"kind": "client", "key": address, "at": now},
                {"kind": "admin", "key": key, "at": now},
            ],
        )
        # rows older than a day (or this window) no longer count for anybody
        old = now - max(limits.window, _KEEP_FAILURES)
        connection.execute(sa.delete(_failures).where(_failures.c.at < old))
    _refuse(hub, key, address, Unauthenticated(message, store=HUB_SCOPE, why=why))


def _refuse(hub: Hub, key: str, address: str, error: IdconnectError) -> NoReturn:
    context = CallContext(store=HUB_SCOPE, actor=UNAUTHENTICATED_ACTOR)
    _audit(hub, context, "console_login", key or None, target=address, error=error)
    raise error
