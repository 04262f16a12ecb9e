"""The facade of one store: every operation family on one object."""

from __future__ import annotations

from idconnect.core.facade.accounts import AccountOperations
from idconnect.core.facade.activity import ActivityOperations
from idconnect.core.facade.consents import ConsentOperations
from idconnect.core.facade.credentials import CredentialOperations
from idconnect.core.facade.dormant import DormantOperations
from idconnect.core.facade.export import ExportOperations
from idconnect.core.facade.groups import GroupOperations
from idconnect.core.facade.impersonation import ImpersonationOperations
from idconnect.core.facade.password_reset import PasswordResetOperations
from idconnect.core.facade.roles import RoleOperations
from idconnect.core.facade.sessions import SessionOperations
from idconnect.core.facade.verification import VerificationOperations

__all__ = ["Store"]


class Store(
    DormantOperations,
    AccountOperations,
    GroupOperations,
    RoleOperations,
    CredentialOperations,
    SessionOperations,
    VerificationOperations,
    ConsentOperations,
    ExportOperations,
    ActivityOperations,
    ImpersonationOperations,
    PasswordResetOperations,
):
    """One store's operations. Get it from :meth:`Hub.store`.

    Every method takes an optional keyword ``actor`` (else the hub's); mutations take ``reason``,
    required for bulk and destructive ones. Bulk methods return a :class:`BulkResult` with each
    account's outcome and never raise for one account's failure; a backend's set-based bulk hook
    receives at most ``batch_size`` ids per call (the store's ``batch_size`` setting, default
    1000).

    Each operation family lives in its own module of :mod:`idconnect.core.facade`; the plumbing
    every call goes through is :class:`~idconnect.core.facade.calls.StoreCalls`.
    """
