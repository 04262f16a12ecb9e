"""Managed store: sessions (listed and revoked; support never creates them)."""

from __future__ import annotations

import sqlalchemy as sa

from idconnect.backend import Session, hookimpl, utc_now
from idconnect_sql.managed.base import ManagedBase
from idconnect_sql.managed.rows import session_from_row

__all__ = ["SessionOps"]


class SessionOps(ManagedBase):
    """Session hooks: list active sessions, revoke one or all."""

    def _active_sessions(self, account_id: str) -> sa.ColumnElement[bool]:
        s = self.tables.sessions
        return sa.and_(
            s.c.account_id == account_id,
            s.c.revoked_at.is_(None),
            sa.or_(s.c.expires.is_(None), s.c.expires > utc_now()),
        )

    @hookimpl
    def idconnect_list_sessions(self, account_id: str) -> list[Session]:
        """List sessions neither expired nor revoked, most recently seen first."""
        s = self.tables.sessions
        seen = sa.func.coalesce(s.c.last_seen, s.c.created)
        with self.begin(account_id) as connection:
            self._require_account(connection, account_id)
            rows = connection.execute(
                sa.select(s).where(self._active_sessions(account_id)).order_by(seen.desc(), s.c.id)
            )
            return [session_from_row(row) for row in rows]

    @hookimpl
    def idconnect_revoke_session(self, account_id: str, session_id: str) -> None:
        """Mark one session revoked."""
        s = self.tables.sessions
        with self.begin(account_id) as connection:
            self._require_account(connection, account_id)
            done = connection.execute(
                sa.update(s)
                .where(self._active_sessions(account_id), s.c.id == session_id)
                .values(revoked_at=utc_now())
            )
            if done.rowcount == 0:
                raise self.not_found("session", session_id, account=account_id)

    @hookimpl
    def idconnect_revoke_sessions(self, account_id: str) -> int:
        """Mark every active session revoked."""
        s = self.tables.sessions
        with self.begin(account_id) as connection:
            self._require_account(connection, account_id)
            done = connection.execute(
                sa.update(s).where(self._active_sessions(account_id)).values(revoked_at=utc_now())
            )
            return int(done.rowcount)
