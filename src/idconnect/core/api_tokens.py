"""API tokens of the HTTP service, kept in the hub's state database (``idconnect tokens ...``).

A token is :data:`PREFIX` followed by :func:`secrets.token_urlsafe` (32 random bytes), shown
once when issued and kept only as its SHA-256 digest in the table ``idconnect_api_tokens``
(created at first use). A request bearing it acts as the token's admin, so the admin's roles
and the audit trail apply unchanged; a token may be limited to one store. Every check reads the
table, so a revocation made by any process sharing the state database counts at the next
request. The last use is written at most once per :data:`LAST_USE_RESOLUTION`, so checking a
token is one read in the common case.

Issuing and revoking need ``tokens.manage``, listing ``tokens.read``, both hub-wide; each is
audited under the store name :data:`~idconnect.core.admins.HUB_SCOPE` (the token's admin as the
event's account, the token's id as its target), and so is each refused token
(``authenticate_api_token``, outcome ``failure``). The token itself is in none of them.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import uuid
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, NoReturn

import sqlalchemy as sa
from attrs import frozen
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Connection

from idconnect.core.admins import HUB_SCOPE
from idconnect.core.context import CallContext
from idconnect.core.errors import (
    Conflict,
    IdconnectError,
    InvalidInput,
    NotFound,
    Unauthenticated,
)
from idconnect.core.facade.checks import check_text
from idconnect.core.state_tables import DriverRead, StateTables

if TYPE_CHECKING:
    from idconnect.core.facade.hub import Hub
    from idconnect.core.state import StateDatabase

__all__ = [
    "LAST_USE_RESOLUTION",
    "PREFIX",
    "READ_BY_DIGEST",
    "UNAUTHENTICATED_ACTOR",
    "ApiToken",
    "accepted_by_reading",
    "authenticate",
    "create_token_table",
    "digest_of",
    "issue_token",
    "list_tokens",
    "revoke_token",
    "settled_by_reading",
    "token_from_row",
    "well_formed",
]

PREFIX = "idc_api_"
"""How every API token starts, so a leaked one is recognisable (secret scanners, logs)."""

LAST_USE_RESOLUTION = timedelta(minutes=1)
"""A token's last use is written again only when the recorded one is older than this."""

UNAUTHENTICATED_ACTOR = "(unauthenticated)"
"""The actor of the audit event of a refused token nobody can be named for (an unknown one)."""

log = logging.getLogger("idconnect")

_MAX_ADMIN = 256
_TOKEN = re.compile(re.escape(PREFIX) + r"[A-Za-z0-9_-]{43}")

_meta = sa.MetaData()
_AT = sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
_tokens = sa.Table(
    "idconnect_api_tokens",
    _meta,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("digest", sa.String(64), nullable=False, unique=True),
    sa.Column("admin", sa.String(_MAX_ADMIN), nullable=False),
    sa.Column("store", sa.String(64)),
    sa.Column("created", _AT, nullable=False),
    sa.Column("expires", _AT),
    sa.Column("revoked_at", _AT),
    sa.Column("last_used_at", _AT),
)
_TABLES = StateTables(_meta, "API tokens")


@frozen(kw_only=True)
class ApiToken:
    """What the hub keeps of an API token (never the token itself)."""

    id: str
    """The token's public id (``idconnect tokens revoke ID``)."""
    admin: str
    """The admin (actor name) every request bearing it acts as."""
    store: str | None
    """The only store it may be used on; ``None``: every store."""
    created: datetime
    """When it was issued."""
    expires: datetime | None
    """When it stops working; ``None``: never."""
    revoked_at: datetime | None = None
    """When it was revoked, if it was."""
    last_used_at: datetime | None = None
    """When it was last accepted (to within :data:`LAST_USE_RESOLUTION`), if ever."""

    def status(self, now: datetime) -> str:
        """Say whether the token works at ``now``.

        :param now: the instant to judge by.
        :returns: ``revoked``, ``expired`` or ``active``.
        """
        if self.revoked_at is not None:
            return "revoked"
        if self.expires is not None and self.expires <= now:
            return "expired"
        return "active"


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def token_from_row(row: Any) -> ApiToken:
    """Build a token's record from a row of its table.

    :param row: a mapping of the table's column names to the driver's values.
    :returns: the record, instants in UTC.
    """

    def instant(column: str) -> datetime | None:
        value = row[column]
        return None if value is None else _utc(value)

    return ApiToken(
        id=row["id"],
        admin=row["admin"],
        store=row["store"],
        created=_utc(row["created"]),
        expires=instant("expires"),
        revoked_at=instant("revoked_at"),
        last_used_at=instant("last_used_at"),
    )


_BY_DIGEST = sa.select(_tokens).where(_tokens.c.digest == sa.bindparam("digest"))
"""The one read every request makes: built once, run with the digest as a bound parameter."""
READ_BY_DIGEST = DriverRead(_BY_DIGEST)
"""The same read for a reader outside SQLAlchemy (the HTTP service's event loop): bind
``digest`` (:func:`digest_of`) and feed the row to :func:`token_from_row`."""


def _begin(hub: Hub, *, read_only: bool = False) -> AbstractContextManager[Connection]:
    return _TABLES.begin(hub.state, read_only=read_only)


def _context(hub: Hub, actor: str | None, reason: str | None) -> CallContext:
    who = check_text(actor, "actor") if actor is not None else hub.actor
    if reason is not None:
        check_text(reason, "reason")
    return CallContext(store=HUB_SCOPE, actor=who, reason=reason)


def _audit(
    hub: Hub,
    context: CallContext,
    action: str,
    *,
    admin: str | None,
    token_id: str | None,
    error: BaseException | None = None,
) -> None:
    event = hub.audit.event(context, action, account_id=admin, target=token_id, error=error)
    hub.audit.state.record([event])


def _expiry(expires: datetime | timedelta | None, now: datetime) -> datetime | None:
    if expires is None:
        return None
    if isinstance(expires, timedelta):
        expires = now + expires
    elif expires.tzinfo is None:
        raise InvalidInput("a token's expiry must be an aware datetime (with a time zone)")
    if expires <= now:
        raise InvalidInput("a token's expiry must lie in the future")
    return expires.astimezone(UTC)


def issue_token(
    hub: Hub,
    *,
    admin: str,
    store: str | None = None,
    expires: datetime | timedelta | None = None,
    reason: str | None = None,
    actor: str | None = None,
) -> tuple[str, ApiToken]:
    """Issue a new API token; the only time the token is returned.

    :param hub: the hub whose state database keeps it.
    :param admin: the admin (actor name) requests bearing it act as.
    :param store: limit it to this configured store; ``None``: every store.
    :param expires: when it stops working (an aware instant, or a lifetime from now by the
        hub's clock); ``None``: never.
    :param reason: why (recorded in the audit event; the CLI requires one).
    :param actor: the acting admin (default the hub's).
    :returns: the token (show it once, keep it nowhere) and its record.
    :raises InvalidInput: for a bad admin name, an unknown store or an expiry in the past.
    :raises PermissionDenied: without ``tokens.manage``.
    :raises StoreUnavailable: when the state database cannot be written.
    """
    context = _context(hub, actor, reason)
    admin = check_text(admin, "admin")
    if len(admin) > _MAX_ADMIN:
        raise InvalidInput(f"an admin's name has at most {_MAX_ADMIN} characters")
    hub.permissions.check_action(context, "tokens.manage", "issue_api_token", account_id=admin)
    if store is not None and store not in hub.stores:
        raise InvalidInput(
            f"no store named {store!r} (configured: {', '.join(hub.stores) or 'none'})"
        )
    now = hub.clock()
    token = PREFIX + secrets.token_urlsafe(32)
    record = ApiToken(
        id=uuid.uuid4().hex, admin=admin, store=store, created=now, expires=_expiry(expires, now)
    )
    with _begin(hub) as connection:
        connection.execute(
            sa.insert(_tokens).values(
                id=record.id,
                digest=digest_of(token),
                admin=admin,
                store=store,
                created=now,
                expires=record.expires,
            )
        )
    _audit(hub, context, "issue_api_token", admin=admin, token_id=record.id)
    return token, record


def list_tokens(hub: Hub, *, admin: str | None = None, actor: str | None = None) -> list[ApiToken]:
    """List API tokens, newest first (revoked and expired ones too).

    :param hub: the hub.
    :param admin: only this admin's tokens.
    :param actor: the acting admin (default the hub's).
    :returns: the tokens' records.
    :raises PermissionDenied: without ``tokens.read``.
    :raises StoreUnavailable: when the state database cannot be read.
    """
    context = _context(hub, actor, None)
    hub.permissions.check_action(context, "tokens.read", "list_api_tokens")
    stmt = sa.select(_tokens).order_by(_tokens.c.created.desc(), _tokens.c.id)
    if admin is not None:
        stmt = stmt.where(_tokens.c.admin == admin)
    with _begin(hub) as connection:
        return [token_from_row(row) for row in connection.execute(stmt).mappings()]


def revoke_token(hub: Hub, token_id: str, *, reason: str, actor: str | None = None) -> ApiToken:
    """Revoke an API token: every process sharing the state database refuses it from now on.

    :param hub: the hub.
    :param token_id: the token's id (never the token).
    :param reason: why (required).
    :param actor: the acting admin (default the hub's).
    :returns: the revoked token's record.
    :raises InvalidInput: for a missing reason or a malformed id.
    :raises PermissionDenied: without ``tokens.manage``.
    :raises NotFound: when no token has that id.
    :raises Conflict: when it was revoked already.
    :raises StoreUnavailable: when the state database cannot be written.
    """
    context = _context(hub, actor, check_text(reason, "reason"))
    token_id = check_text(token_id, "token id")
    hub.permissions.check_action(context, "tokens.manage", "revoke_api_token", target=token_id)
    t = _tokens.c
    with _begin(hub) as connection:
        done = connection.execute(
            sa.update(_tokens)
            .where(t.id == token_id, t.revoked_at.is_(None))
            .values(revoked_at=hub.clock())
        )
        row = connection.execute(sa.select(_tokens).where(t.id == token_id)).mappings().first()
    if row is None:
        raise NotFound(f"no API token with id {token_id!r}")
    found = token_from_row(row)
    if done.rowcount != 1:
        raise Conflict(f"API token {token_id!r} was revoked already")
    _audit(hub, context, "revoke_api_token", admin=found.admin, token_id=found.id)
    return found


def authenticate(hub: Hub, token: str, *, client: str | None = None) -> ApiToken:
    """Accept an API token: known, not revoked, not expired by the hub's clock.

    Records the use (see :data:`LAST_USE_RESOLUTION`); a refusal is an audit event naming the
    client address and, when known, the token's id and admin.

    :param hub: the hub.
    :param token: what the request bore after ``Bearer``.
    :param client: the client's address, for the refusal's event.
    :returns: the token's record.
    :raises Unauthenticated: ``malformed``, ``unknown``, ``revoked`` or ``expired`` (never
        naming the token).
    :raises StoreUnavailable: when the state database cannot be reached.
    """
    now = hub.clock()
    if not well_formed(token):
        _refuse(hub, None, client, "the API token is malformed", "malformed")
    t = _tokens.c
    found = _find(hub, token)
    if found is None:
        _refuse(hub, None, client, "the API token is unknown", "unknown")
    status = found.status(now)
    if status != "active":
        _refuse(hub, found, client, f"API token {found.id} is {status}", status)
    since = now - LAST_USE_RESOLUTION
    if found.last_used_at is not None and found.last_used_at >= since:
        return found
    with _begin(hub) as connection:
        connection.execute(
            sa.update(_tokens)
            .where(t.id == found.id, sa.or_(t.last_used_at.is_(None), t.last_used_at < since))
            .values(last_used_at=now)
        )
    return ApiToken(
        id=found.id,
        admin=found.admin,
        store=found.store,
        created=found.created,
        expires=found.expires,
        last_used_at=now,
    )


def accepted_by_reading(hub: Hub, token: str) -> ApiToken | None:
    """Accept an API token when one read settles it: known, active, its last use recent.

    The fast path of a request (nothing is written: no refusal event, no last-use update);
    when it answers ``None``, :func:`authenticate` decides and records.

    :param hub: the hub.
    :param token: what the request bore after ``Bearer``.
    :returns: the token's record, or ``None`` when :func:`authenticate` must be called.
    :raises StoreUnavailable: when the state database cannot be reached.
    """
    if not well_formed(token):
        return None
    return settled_by_reading(_find(hub, token), hub.clock())


def well_formed(token: object) -> bool:
    """Say whether ``token`` has the form of an API token (read nothing when it has not).

    :param token: what the request bore after ``Bearer``.
    :returns: ``True`` for :data:`PREFIX` and 43 URL-safe characters.
    """
    return isinstance(token, str) and _TOKEN.fullmatch(token) is not None


def settled_by_reading(found: ApiToken | None, now: datetime) -> ApiToken | None:
    """Judge a token read from the table without writing anything (see :func:`accepted_by_reading`).

    :param found: the token's record as read by its digest, ``None`` when there was none.
    :param now: the hub's clock.
    :returns: ``found`` when it is active and its last use is recent, else ``None``: then
        :func:`authenticate` must decide and record.
    """
    if found is None or found.status(now) != "active" or found.last_used_at is None:
        return None
    return found if found.last_used_at >= now - LAST_USE_RESOLUTION else None


def create_token_table(state: StateDatabase) -> None:
    """Create the tokens' table unless this process did (for readers of :data:`READ_BY_DIGEST`).

    :param state: the hub's state database.
    :raises StoreUnavailable: when the database cannot be reached.
    """
    _TABLES.create(state)


def digest_of(token: str) -> str:
    """Return what the table keeps of a token (the ``digest`` parameter of :data:`READ_BY_DIGEST`).

    :param token: the token.
    :returns: its SHA-256 digest, hex.
    """
    return hashlib.sha256(token.encode()).hexdigest()


def _find(hub: Hub, token: str) -> ApiToken | None:
    params = {"digest": digest_of(token)}
    row = _TABLES.read_one(hub.state, READ_BY_DIGEST, params, doing="read")
    return None if row is None else token_from_row(row)


def _refuse(
    hub: Hub, found: ApiToken | None, client: str | None, message: str, why: str
) -> NoReturn:
    error = Unauthenticated(message, why=why)
    where = f" (client {client})" if client else ""
    context = CallContext(
        store=HUB_SCOPE, actor=UNAUTHENTICATED_ACTOR if found is None else found.admin
    )
    try:
        _audit(
            hub,
            context,
            "authenticate_api_token",
            admin=None if found is None else found.admin,
            token_id=None if found is None else found.id,
            error=Unauthenticated(message + where, why=why),
        )
    except IdconnectError as exc:  # the refusal stands even when its event is lost
        log.warning("a refused API token could not be audited: %s", exc)
    raise error
