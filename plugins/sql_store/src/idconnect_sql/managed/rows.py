"""Rows of the managed tables: built from model values, and read back into models."""

from __future__ import annotations

import operator
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Row

from idconnect.backend import (
    Account,
    Authenticator,
    Email,
    ExternalIdentity,
    FailedAttempts,
    Group,
    GroupRef,
    Name,
    PhoneNumber,
    RoleAssignment,
    Session,
)
from idconnect_sql.managed.children import ChildLists
from idconnect_sql.managed.trusted import trusted

__all__ = [
    "NAME_PARTS",
    "AccountRows",
    "authenticator_from_row",
    "ci",
    "email_rows",
    "fold",
    "group_from_row",
    "identity_rows",
    "name_values",
    "phone_rows",
    "session_from_row",
    "user_name_values",
]

NAME_PARTS = ("formatted", "family_name", "given_name", "middle_name")


def fold(value: str | None) -> str | None:
    """Return a value lowered like the reference evaluator (``str.lower``), ``None`` kept."""
    return None if value is None else value.lower()


def ci(column: str, value: str | None) -> dict[str, str | None]:
    """Return a text column's value and its lowered shadow (``<column>_ci``)."""
    return {column: value, f"{column}_ci": fold(value)}


def email_rows(account_id: str, emails: Iterable[Email]) -> list[dict[str, Any]]:
    """Return the ``idc_emails`` rows of an account, in order."""
    return [
        {
            "account_id": account_id,
            "position": n,
            "value": e.value,
            "value_ci": e.value.lower(),
            "value_rev": e.value.lower()[::-1],
            **ci("type", e.type),
            "primary": e.primary,
            "verified": e.verified,
        }
        for n, e in enumerate(emails)
    ]


def phone_rows(account_id: str, phones: Iterable[PhoneNumber]) -> list[dict[str, Any]]:
    """Return the ``idc_phone_numbers`` rows of an account, in order."""
    return [
        {
            "account_id": account_id,
            "position": n,
            "value": p.value,
            "value_ci": p.value.lower(),
            **ci("type", p.type),
            "primary": p.primary,
            "verified": p.verified,
        }
        for n, p in enumerate(phones)
    ]


def identity_rows(account_id: str, ids: Iterable[ExternalIdentity]) -> list[dict[str, Any]]:
    """Return the ``idc_external_identities`` rows of an account, in order."""
    return [
        {"account_id": account_id, "position": n, "provider": i.provider, "subject": i.subject}
        for n, i in enumerate(ids)
    ]


def name_values(name: Name | None) -> dict[str, str | None]:
    """Return the name columns (with shadows) of a name, all ``None`` without one."""
    values: dict[str, str | None] = {}
    for part in NAME_PARTS:
        values.update(ci(part, getattr(name, part) if name is not None else None))
    return values


def user_name_values(user_name: str) -> dict[str, str]:
    """Return ``user_name`` with its lowered and reversed shadows."""
    folded = user_name.lower()
    return {"user_name": user_name, "user_name_ci": folded, "user_name_rev": folded[::-1]}


def _name(
    formatted: str | None, family: str | None, given: str | None, middle: str | None
) -> Name | None:
    """The name of an account row's parts (``None`` when every part is missing)."""
    if formatted is None and family is None and given is None and middle is None:
        return None
    return _NAME(formatted, family, given, middle)


_ACCOUNT = trusted(
    Account,
    (
        "id",
        "user_name",
        "name",
        "display_name",
        "organization",
        "active",
        "disabled_at",
        "created",
        "last_modified",
        "last_login",
        "failed_attempts",
        "version",
        "emails",
        "phone_numbers",
        "external_identities",
        "groups",
        "role_assignments",
        "attributes",
    ),
)
"""Takes an account's fields by position, in this order (:meth:`AccountRows.build`)."""
_NAME = trusted(Name, ("formatted", "family_name", "given_name", "middle_name"))
_EMAIL = trusted(Email, ("value", "type", "primary", "verified"))
_PHONE = trusted(PhoneNumber, ("value", "type", "primary", "verified"))
_IDENTITY = trusted(ExternalIdentity, ("provider", "subject"))
_ROLE = trusted(RoleAssignment, ("role", "organization"))
_GROUP = trusted(GroupRef, ("value", "display"))
_NO_FAILURES = FailedAttempts(password=0, otp=0)
_NO_ATTRIBUTES: Mapping[str, Any] = MappingProxyType({})

_READ = (
    "id",
    "user_name",
    "display_name",
    "formatted",
    "family_name",
    "given_name",
    "middle_name",
    "organization",
    "active",
    "disabled_at",
    "created",
    "last_modified",
    "last_login",
    "failed_password",
    "failed_otp",
    "version",
)
"""The ``idc_accounts`` columns an account is built from, in the order they are unpacked."""


class AccountRows:
    """Builds accounts from ``idc_accounts`` rows and their child rows.

    A row's values are taken by position (one C-level ``itemgetter`` rather than a lookup by
    name per column, the larger part of building a page of models), so the rows must start with
    the :attr:`selected` columns in order, as ``select(*account_rows.selected, ...)`` returns
    them (not the folded shadows, which only filters and sorts read). :meth:`check` says so of
    a result's first row.

    :param accounts: the ``idc_accounts`` table.
    """

    def __init__(self, accounts: sa.Table) -> None:
        self.columns = _READ
        self.selected = tuple(accounts.c[name] for name in _READ)
        """The columns an account is built from, in the order its rows must hold them."""
        self._values = operator.itemgetter(*range(len(_READ)))
        self.id_position = _READ.index("id")

    def check(self, row: Row[Any]) -> tuple[str, ...]:
        """Refuse a row that does not start with the :attr:`selected` columns in order.

        :param row: a row of the result to build from.
        :returns: the names of its columns (``Row._fields`` builds them anew on each use).
        :raises TypeError: when its columns are others (a bug of the statement's caller).
        """
        fields = row._fields
        if fields[: len(self.columns)] != self.columns:
            raise TypeError(f"not an idc_accounts row: {fields}")
        return fields

    def build(
        self,
        row: Row[Any],
        children: ChildLists,
        custom: Mapping[str, Any] | None = None,
    ) -> Account:
        """Build an account from its row and its child lists (:mod:`.children`).

        The values come from the store's own tables, so the models are built without
        re-running their validators (:mod:`.trusted`). A child list the page did not read is
        left empty.

        :param row: the ``idc_accounts`` row (see :meth:`check`).
        :param children: its five child lists in the order of :data:`.children.KINDS`, of
            value rows (``None`` or empty for none).
        :param custom: its custom attributes' values (:meth:`.custom.CustomAttributes.read`).
        :returns: the account.
        """
        (
            ident,
            user_name,
            display_name,
            formatted,
            family,
            given,
            middle,
            organization,
            active,
            disabled_at,
            created,
            last_modified,
            last_login,
            failed_password,
            failed_otp,
            version,
        ) = self._values(row)
        emails, phones, idents, roles, groups = children
        # tuple([...]): for so few elements a generator's frame costs more than the list
        return _ACCOUNT(
            ident,
            user_name,
            _name(formatted, family, given, middle),
            display_name,
            organization,
            bool(active),
            disabled_at,
            created,
            last_modified,
            last_login,
            _NO_FAILURES
            if failed_password == 0 and failed_otp == 0
            else FailedAttempts(password=failed_password, otp=failed_otp),
            str(version),
            tuple([_EMAIL(e[0], e[1], bool(e[2]), bool(e[3])) for e in emails]) if emails else (),
            tuple([_PHONE(p[0], p[1], bool(p[2]), bool(p[3])) for p in phones]) if phones else (),
            tuple([_IDENTITY(i[0], i[1]) for i in idents]) if idents else (),
            tuple([_GROUP(g[0], g[1]) for g in groups]) if groups else (),
            tuple([_ROLE(r[0], r[1]) for r in roles]) if roles else (),
            _NO_ATTRIBUTES if not custom else MappingProxyType(custom),
        )


def group_from_row(row: Row[Any], members: tuple[str, ...]) -> Group:
    """Build a group from its row and its member ids."""
    return Group(
        id=row.id,
        display_name=row.display_name,
        members=members,
        created=row.created,
        version=str(row.version),
    )


def authenticator_from_row(row: Row[Any]) -> Authenticator:
    """Build an authenticator (masked label, never the secret) from its row."""
    return Authenticator(
        id=row.id,
        kind=row.kind,
        label=row.label,
        verified=bool(row.verified),
        created=row.created,
        last_used=row.last_used,
    )


def session_from_row(row: Row[Any]) -> Session:
    """Build a session from its row."""
    return Session(
        id=row.id,
        created=row.created,
        last_seen=row.last_seen,
        expires=row.expires,
        ip_address=row.ip_address,
        user_agent=row.user_agent,
        location=row.location,
    )
