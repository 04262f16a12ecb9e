"""Sessions: list an account's active sessions, end one or all of them."""

from __future__ import annotations

from idconnect.core.facade.calls import StoreCalls
from idconnect.core.model import Session
from idconnect.core.opspec import covers

__all__ = ["SessionOperations"]


class SessionOperations(StoreCalls):
    """The sessions family of :class:`~idconnect.core.facade.store.Store`."""

    @covers("list_sessions")
    def list_sessions(self, account_id: str, *, actor: str | None = None) -> list[Session]:
        """List an account's active sessions.

        :param account_id: the account's id.
        :param actor: the acting admin.
        :returns: the sessions, most recently seen first.
        """
        account_id = self._id(account_id)
        context = self._context(actor, None, need_reason=False)
        return list(self._call("list_sessions", context, subject=account_id, account_id=account_id))

    @covers("revoke_session")
    def revoke_session(
        self, account_id: str, session_id: str, *, reason: str, actor: str | None = None
    ) -> None:
        """End one session.

        :param account_id: the account's id.
        :param session_id: the session's id.
        :param reason: why (required).
        :param actor: the acting admin.
        """
        account_id = self._id(account_id)
        session_id = self._id(session_id, "session id")
        context = self._context(actor, reason, need_reason=True)
        self._call(
            "revoke_session",
            context,
            subject=account_id,
            account_id=account_id,
            session_id=session_id,
        )

    @covers("revoke_sessions")
    def revoke_sessions(self, account_id: str, *, reason: str, actor: str | None = None) -> int:
        """End every session of an account.

        :param account_id: the account's id.
        :param reason: why (required).
        :param actor: the acting admin.
        :returns: how many sessions ended.
        """
        account_id = self._id(account_id)
        context = self._context(actor, reason, need_reason=True)
        return int(
            self._call("revoke_sessions", context, subject=account_id, account_id=account_id)
        )
