"""Checks of user-supplied values, shared by every family: ids, reasons, actors, contact values."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from attrs import frozen

from idconnect.core.errors import InvalidInput
from idconnect.core.masking import SUPPORT_ADDABLE
from idconnect.core.model import AuthenticatorKind, Secret

__all__ = [
    "MAX_ID",
    "PasswordPolicy",
    "check_authenticator",
    "check_ids",
    "check_instant",
    "check_limit",
    "check_note",
    "check_password",
    "check_since",
    "check_text",
]

MAX_ID = 512
"""The longest id, reason or actor accepted, in characters."""

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_E164 = re.compile(r"\+[1-9][0-9]{6,14}")
_MAX_PASSWORD = 1024


def check_text(value: Any, what: str, *, store: str | None = None) -> str:
    """Return ``value`` if it is non-empty text of at most :data:`MAX_ID` printable characters.

    :param value: what the caller passed.
    :param what: how to name it in the error (``"account id"``, ``"reason"``).
    :param store: the store, for the error.
    :returns: the value.
    :raises InvalidInput: otherwise.
    """
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{what} must be non-empty text, got {value!r}", store=store)
    if len(value) > MAX_ID or _CONTROL.search(value):
        raise InvalidInput(
            f"{what} must be at most {MAX_ID} characters without control characters", store=store
        )
    return value


def check_ids(ids: Iterable[str], *, store: str) -> list[str]:
    """Return the account ids of a bulk call, checked, duplicates dropped, order kept.

    :param ids: the ids the caller passed (a list, not one string).
    :param store: the store, for the error.
    :returns: the distinct ids.
    :raises InvalidInput: for a single string or a malformed id (before anything changes).
    """
    if isinstance(ids, str):
        raise InvalidInput("ids must be a list of account ids, not one string", store=store)
    return list(dict.fromkeys(check_text(i, "account id", store=store) for i in ids))


def check_authenticator(
    kind: str | AuthenticatorKind, value: Any, *, store: str, account: str
) -> AuthenticatorKind:
    """Check a new authentication method that support wants to add.

    :param kind: ``email`` or ``phone``.
    :param value: the address, or the number in E.164 form.
    :param store: the store, for the error.
    :param account: the account, for the error.
    :returns: the kind.
    :raises InvalidInput: for an unknown kind, a malformed value, or a kind support cannot add.
    """
    try:
        kind = AuthenticatorKind(kind)
    except ValueError:
        raise InvalidInput(f"unknown authenticator kind {kind!r}", store=store) from None
    check_text(value, "value", store=store)
    if kind is AuthenticatorKind.EMAIL and not _EMAIL.fullmatch(value):
        raise InvalidInput("not an email address", store=store, account=account)
    if kind is AuthenticatorKind.PHONE and not _E164.fullmatch(value):
        raise InvalidInput(
            "not a phone number in E.164 form (e.g. +447700900123)", store=store, account=account
        )
    if kind not in SUPPORT_ADDABLE:
        raise InvalidInput(
            f"support cannot add a {kind} authenticator; the customer must enrol it",
            store=store,
            account=account,
        )
    return kind


@frozen(kw_only=True)
class PasswordPolicy:
    """What a store accepts as a new password (its ``password_policy`` setting)."""

    min_length: int = 8
    """The fewest characters a new password has."""


def check_password(password: Any, *, store: str, policy: PasswordPolicy | None = None) -> Secret:
    """Wrap a new password as a :class:`Secret` after checking it.

    :param password: text or a Secret.
    :param store: the store, for the error.
    :param policy: the store's password policy (default: at least 8 characters).
    :returns: the secret.
    :raises InvalidInput: for an empty password, one shorter than the policy's ``min_length``
        or longer than 1024 characters (the error never contains the password).
    """
    secret = password if isinstance(password, Secret) else None
    if secret is None:
        if not isinstance(password, str) or not password:
            raise InvalidInput("the password must be non-empty text", store=store)
        secret = Secret(password)
    length = len(secret.reveal())
    if length > _MAX_PASSWORD:
        raise InvalidInput(f"the password is longer than {_MAX_PASSWORD} characters", store=store)
    least = (policy or PasswordPolicy()).min_length
    if length < least:
        raise InvalidInput(
            f"the password is too short: the store's password policy needs at least {least}"
            " characters",
            store=store,
        )
    return secret


def check_since(since: Any, *, store: str) -> datetime | None:
    """Check an optional lower bound in time.

    :param since: ``None`` or a timezone-aware datetime.
    :param store: the store, for the error.
    :returns: the value.
    :raises InvalidInput: for a naive datetime or another type.
    """
    if since is not None and (not isinstance(since, datetime) or since.tzinfo is None):
        raise InvalidInput("since must be a timezone-aware datetime", store=store)
    return since


def check_limit(limit: Any, *, store: str, most: int = 100_000) -> int:
    """Check a result limit.

    :param limit: the caller's value.
    :param store: the store, for the error.
    :param most: the largest accepted value.
    :returns: the limit.
    :raises InvalidInput: when it is not a whole number from 1 to ``most``.
    """
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= most:
        raise InvalidInput(f"limit must be from 1 to {most}", store=store)
    return limit


def check_note(value: Any, what: str, *, most: int, store: str, account: str | None = None) -> str:
    """Return ``value`` if it is non-blank text of at most ``most`` characters, none a control.

    :param value: what the caller passed (an evidence note, a consent purpose or version, a
        group's name).
    :param what: how to name it in the error.
    :param most: the longest accepted text.
    :param store: the store, for the error.
    :param account: the account, for the error (``None`` for what no account owns).
    :returns: the value.
    :raises InvalidInput: otherwise (the message never repeats the value).
    """
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{what} must be non-empty text", store=store, account=account)
    if len(value) > most or _CONTROL.search(value):
        raise InvalidInput(
            f"{what} must be at most {most} characters without control characters",
            store=store,
            account=account,
        )
    return value


def check_instant(value: Any, what: str, *, store: str, latest: datetime) -> datetime:
    """Return ``value`` if it is a timezone-aware datetime no later than ``latest``.

    :param value: the caller's value.
    :param what: how to name it in the error.
    :param store: the store, for the error.
    :param latest: the latest accepted instant (now).
    :returns: the value.
    :raises InvalidInput: for another type, a naive datetime or an instant after ``latest``.
    """
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(f"{what} must be a timezone-aware datetime", store=store)
    if value > latest:
        raise InvalidInput(f"{what} must not be in the future", store=store)
    return value
