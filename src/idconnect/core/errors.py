"""The idconnect error tree.

Every error a caller can see is an :class:`IdconnectError`. Each class carries a stable ``code``,
the HTTP status an API would answer with, and the SCIM ``scimType`` it maps to (RFC 7644 §3.12).
Details are keyword-only and go into the message so that one line names the store, the account
and the cause: ``store 'customers': account 'u-42': version 3 is stale (current is 4)``.
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = [
    "ConfigError",
    "Conflict",
    "FilterError",
    "IdconnectError",
    "InvalidInput",
    "NotFound",
    "NotSupported",
    "NotificationFailed",
    "OutcomeUnknown",
    "PermissionDenied",
    "PluginError",
    "RateLimited",
    "SecretUnavailable",
    "StoreUnavailable",
    "TokenRefused",
    "Unauthenticated",
    "UnsupportedFilter",
    "error_for_code",
]


class IdconnectError(Exception):
    """Base of every error idconnect raises.

    :param message: the cause, in words a support engineer understands.
    :param store: the configured store name the error concerns, if any.
    :param account: the account id the error concerns, if any.
    :param details: further keyword-only facts (attribute, operation, column, ...), kept on
        :attr:`details` and never containing secret values.
    """

    code: ClassVar[str] = "error"
    http_status: ClassVar[int] = 500
    scim_type: ClassVar[str | None] = None

    def __init__(
        self,
        message: str,
        *,
        store: str | None = None,
        account: str | None = None,
        **details: Any,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.store = store
        self.account = account
        self.details: dict[str, Any] = details

    def __str__(self) -> str:
        parts = []
        if self.store is not None:
            parts.append(f"store {self.store!r}")
        if self.account is not None:
            parts.append(f"account {self.account!r}")
        parts.append(self.message)
        return ": ".join(parts)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.message, self.store, self.account, self.details))

    def in_context(self, *, store: str | None = None, account: str | None = None) -> IdconnectError:
        """Fill in the store and account when the raiser did not know them.

        :param store: the store name to record when none is set.
        :param account: the account id to record when none is set.
        :returns: this same error, for ``raise err.in_context(...)``.
        """
        if self.store is None:
            self.store = store
        if self.account is None:
            self.account = account
        return self

    def to_scim(self) -> dict[str, Any]:
        """Return the error as a SCIM Error resource (RFC 7644 §3.12).

        :returns: a dict with ``schemas``, ``status``, ``detail`` and ``scimType`` when known.
        """
        doc: dict[str, Any] = {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
            "status": str(self.http_status),
            "detail": str(self),
        }
        if self.scim_type:
            doc["scimType"] = self.scim_type
        return doc


def _rebuild(
    cls: type[IdconnectError],
    message: str,
    store: str | None,
    account: str | None,
    details: dict[str, Any],
) -> IdconnectError:
    return cls(message, store=store, account=account, **details)


class ConfigError(IdconnectError):
    """The configuration is wrong: a missing key, an unknown store or plugin, a literal secret."""

    code = "config"
    http_status = 500


class SecretUnavailable(ConfigError):
    """A secret the config names cannot be read: an unset variable, an unreadable file, bad text.

    Raised at the secret's first use, naming the store and the key, never the value.
    """


class PluginError(IdconnectError):
    """A plugin misbehaved: it failed to load, registered an unknown hook, or raised a raw error."""

    code = "plugin"
    http_status = 500


class InvalidInput(IdconnectError):
    """A value the caller supplied is not acceptable (bad id, bad attribute, bad cursor)."""

    code = "invalid_input"
    http_status = 400
    scim_type = "invalidValue"


class FilterError(InvalidInput):
    """A filter is malformed or names an unknown attribute; ``details['column']`` is 1-based."""

    code = "invalid_filter"
    scim_type = "invalidFilter"


class UnsupportedFilter(FilterError):
    """A filter is valid but this store cannot answer one of its nodes exactly."""

    code = "unsupported_filter"


class NotSupported(IdconnectError):
    """The store does not have the capability the operation needs."""

    code = "not_supported"
    http_status = 501


class NotFound(IdconnectError):
    """The account, group, authenticator or session does not exist in the store."""

    code = "not_found"
    http_status = 404


class Conflict(IdconnectError):
    """A uniqueness violation or a stale version: the change was not applied."""

    code = "conflict"
    http_status = 409
    scim_type = "uniqueness"


class PermissionDenied(IdconnectError):
    """The acting admin, or idconnect's own credentials, may not do this."""

    code = "permission_denied"
    http_status = 403


class StoreUnavailable(IdconnectError):
    """The store cannot be reached or timed out; nothing is known to have changed."""

    code = "store_unavailable"
    http_status = 503


class OutcomeUnknown(IdconnectError):
    """The request reached the store, but its answer was lost: the change may or may not be done.

    A bulk outcome with this error is *indeterminate*, kept apart from failed ones; the facade
    re-reads such accounts where it can and settles each outcome to what the store holds.
    """

    code = "outcome_unknown"
    http_status = 504


class TokenRefused(IdconnectError):
    """A customer-facing token (a password reset or impersonation token) is not accepted.

    ``details['why']`` says why, one of ``expired``, ``used``, ``revoked``, ``wrong_audience``,
    ``bad_signature``, ``wrong_issuer``, ``malformed`` or ``unknown``; the message never
    repeats the token.
    """

    code = "token_refused"
    http_status = 401


class Unauthenticated(IdconnectError):
    """A request to the HTTP service bears no acceptable API token.

    The token is missing, malformed, unknown, expired or revoked: ``details['why']`` says
    which (``missing``, ``malformed``, ``unknown``, ``expired`` or ``revoked``); the message
    never repeats the token. A console login is refused with ``bad_credentials``,
    ``otp_required``, ``bad_otp`` or ``locked``, a console session with ``unknown`` or
    ``expired`` (:mod:`idconnect.core.admin_login`, :mod:`idconnect.core.console_sessions`).
    """

    code = "unauthenticated"
    http_status = 401


class RateLimited(IdconnectError):
    """Too many refused attempts from one client: refused without looking, for a while.

    ``details['retry_after']`` is the number of whole seconds until an attempt is counted
    again (HTTP ``Retry-After``).
    """

    code = "rate_limited"
    http_status = 429


class NotificationFailed(IdconnectError):
    """A message to a customer could not be sent: the channel refused it or was unreachable.

    The message names the channel and the cause, never the message's secret content.
    """

    code = "notification_failed"
    http_status = 502


_BY_CODE: dict[str, type[IdconnectError]] = {
    cls.code: cls
    for cls in (
        IdconnectError,
        ConfigError,
        PluginError,
        InvalidInput,
        FilterError,
        UnsupportedFilter,
        NotSupported,
        NotFound,
        Conflict,
        PermissionDenied,
        StoreUnavailable,
        OutcomeUnknown,
        TokenRefused,
        Unauthenticated,
        RateLimited,
        NotificationFailed,
    )
}


def error_for_code(code: str) -> type[IdconnectError]:
    """Return the error class with the given stable code.

    :param code: a value of some class's ``code`` attribute, e.g. ``"not_found"``.
    :returns: that class, or :class:`IdconnectError` for an unknown code.
    """
    return _BY_CODE.get(code, IdconnectError)
