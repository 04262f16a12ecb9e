"""Server-side sessions of the support console, in the hub's state database.

Logging in (:func:`~idconnect.core.admin_login.verify_admin_login`) opens a session
(:func:`open_console_session`): its cookie value is :func:`secrets.token_urlsafe` (32 random
bytes), given to the browser once and kept only as its SHA-256 digest in the table
``idconnect_console_sessions``, with the admin's name, a CSRF token for the session's forms
(the console's middleware compares it with :func:`hmac.compare_digest`), and three instants.
Each request reads the row (:func:`console_session`), so a logout or a password change counts
at once in every worker; a session ends after :data:`IDLE_TIMEOUT` without a request or
:data:`LIFETIME` after the login, whichever comes first, by the hub's clock. The last request's
time is written at most once per :data:`LAST_SEEN_RESOLUTION`, so a request is one read in the
common case.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from attrs import evolve, frozen

from idconnect.core.admins import HUB_SCOPE
from idconnect.core.context import CallContext
from idconnect.core.errors import Unauthenticated
from idconnect.core.state_tables import INSTANT, StateTables, as_utc

if TYPE_CHECKING:
    from idconnect.core.facade.hub import Hub

__all__ = [
    "IDLE_TIMEOUT",
    "LAST_SEEN_RESOLUTION",
    "LIFETIME",
    "ConsoleSession",
    "close_admin_sessions",
    "close_console_session",
    "console_session",
    "open_console_session",
]

IDLE_TIMEOUT = timedelta(minutes=30)
"""A session without a request for this long is over."""
LIFETIME = timedelta(hours=12)
"""A session is over this long after its login, however busy."""
LAST_SEEN_RESOLUTION = timedelta(minutes=1)
"""A session's last request time is written again only when the recorded one is older."""

_meta = sa.MetaData()
_sessions = sa.Table(
    "idconnect_console_sessions",
    _meta,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("digest", sa.String(64), nullable=False, unique=True),
    sa.Column("admin", sa.String(256), nullable=False, index=True),
    sa.Column("csrf_token", sa.String(64), nullable=False),
    sa.Column("created", INSTANT, nullable=False),
    sa.Column("expires", INSTANT, nullable=False),
    sa.Column("last_seen", INSTANT, nullable=False),
)
_tables = StateTables(_meta, "console sessions")


@frozen(kw_only=True)
class ConsoleSession:
    """A logged-in admin's console session (never its cookie value)."""

    id: str
    """The session's public id (audit events and logs may name it)."""
    admin: str
    """The admin (actor name) the session's requests act as."""
    csrf_token: str
    """The token every form of the session carries; compare with :func:`hmac.compare_digest`."""
    created: datetime
    """When the admin logged in."""
    expires: datetime
    """When the session ends however busy it is (:data:`LIFETIME` after ``created``)."""
    last_seen: datetime
    """Its last request (to within :data:`LAST_SEEN_RESOLUTION`)."""

    def ends(self) -> datetime:
        """Return when the session ends if no further request comes.

        :returns: the earlier of :attr:`expires` and :attr:`last_seen` plus :data:`IDLE_TIMEOUT`.
        """
        return min(self.expires, self.last_seen + IDLE_TIMEOUT)


def _digest(cookie_value: str) -> str:
    return hashlib.sha256(cookie_value.encode()).hexdigest()


def _session(row: Any) -> ConsoleSession:
    return ConsoleSession(
        id=row["id"],
        admin=row["admin"],
        csrf_token=row["csrf_token"],
        created=as_utc(row["created"]),
        expires=as_utc(row["expires"]),
        last_seen=as_utc(row["last_seen"]),
    )


def open_console_session(hub: Hub, admin: str) -> tuple[str, ConsoleSession]:
    """Open a session for an admin who has just logged in.

    :param hub: the hub whose state database keeps it.
    :param admin: the admin's name, as :func:`~idconnect.core.admin_login.verify_admin_login`
        returned it.
    :returns: the cookie value (give it to the browser; it is kept nowhere) and the session.
    :raises StoreUnavailable: when the state database cannot be written.
    """
    now = hub.clock()
    cookie_value = secrets.token_urlsafe(32)
    session = ConsoleSession(
        id=uuid.uuid4().hex,
        admin=admin,
        csrf_token=secrets.token_urlsafe(32),
        created=now,
        expires=now + LIFETIME,
        last_seen=now,
    )
    with _tables.begin(hub.state) as connection:
        connection.execute(
            sa.insert(_sessions).values(
                id=session.id,
                digest=_digest(cookie_value),
                admin=admin,
                csrf_token=session.csrf_token,
                created=now,
                expires=session.expires,
                last_seen=now,
            )
        )
    return cookie_value, session


def console_session(hub: Hub, cookie_value: str) -> ConsoleSession:
    """Return the open session a request's cookie names, and note the request.

    :param hub: the hub.
    :param cookie_value: the session cookie's value.
    :returns: the session.
    :raises Unauthenticated: ``unknown`` (no such session: never opened, logged out, or its
        admin's password changed) or ``expired`` (idle or past its lifetime; the row is
        deleted); the message never repeats the cookie.
    :raises StoreUnavailable: when the state database cannot be reached.
    """
    if not isinstance(cookie_value, str) or not cookie_value:
        raise Unauthenticated("no console session", store=HUB_SCOPE, why="unknown")
    now = hub.clock()
    s = _sessions.c
    with _tables.begin(hub.state) as connection:
        row = connection.execute(sa.select(_sessions).where(s.digest == _digest(cookie_value)))
        found_row = row.mappings().first()
        found = None if found_row is None else _session(found_row)
        if found is not None and found.ends() <= now:
            connection.execute(sa.delete(_sessions).where(s.id == found.id))
        elif found is not None and found.last_seen <= now - LAST_SEEN_RESOLUTION:
            connection.execute(sa.update(_sessions).where(s.id == found.id).values(last_seen=now))
            found = evolve(found, last_seen=now)
    if found is None:
        raise Unauthenticated(
            "the console session is unknown or was closed", store=HUB_SCOPE, why="unknown"
        )
    if found.ends() <= now:
        raise Unauthenticated(
            "the console session has expired; log in again", store=HUB_SCOPE, why="expired"
        )
    return found


def close_console_session(hub: Hub, cookie_value: str) -> None:
    """Log out: end the session the cookie names (nothing happens for an unknown one).

    A closed session is an audit event ``close_console_session`` under the store name
    :data:`~idconnect.core.admins.HUB_SCOPE`, the admin as actor and account.

    :param hub: the hub.
    :param cookie_value: the session cookie's value.
    :raises StoreUnavailable: when the state database cannot be written.
    """
    if not isinstance(cookie_value, str) or not cookie_value:
        return
    s = _sessions.c
    with _tables.begin(hub.state) as connection:
        row = connection.execute(
            sa.select(s.id, s.admin).where(s.digest == _digest(cookie_value))
        ).first()
        if row is None:
            return
        connection.execute(sa.delete(_sessions).where(s.id == row.id))
    context = CallContext(store=HUB_SCOPE, actor=row.admin)
    event = hub.audit.event(context, "close_console_session", account_id=row.admin, target=row.id)
    hub.audit.state.record([event])


def close_admin_sessions(hub: Hub, admin: str) -> int:
    """End every console session of an admin (their password changed).

    :param hub: the hub.
    :param admin: the admin's name.
    :returns: how many sessions were open.
    :raises StoreUnavailable: when the state database cannot be written.
    """
    with _tables.begin(hub.state) as connection:
        done = connection.execute(sa.delete(_sessions).where(_sessions.c.admin == admin))
    return int(done.rowcount)
