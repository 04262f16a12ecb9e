"""The managed schema: the ``idc_`` tables idconnect owns, creates and migrates.

Case-insensitive attributes have a *shadow* column (``*_ci``) holding Python's ``str.lower()``
of the value, written by idconnect. Filters and sorts use the shadow column, so case rules match
the reference evaluator exactly on every dialect (no dependence on the server's ``lower()``) and
an ordinary index serves them — MariaDB has no expression indexes. ``emails.value`` and
``userName`` also keep the lowered value reversed (``*_rev``) so that ``ew`` (ends with) is a
prefix search on an index.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from idconnect_sql.types import UtcDateTime, text

__all__ = [
    "ALL_CHILD_KINDS",
    "ATTRIBUTE_INDEXES",
    "SORT_INDEXES",
    "SUPERSEDED_INDEXES",
    "ManagedTables",
    "activity_columns",
    "attribute_columns",
    "build_tables",
    "consent_columns",
    "verification_columns",
]

PREFIX = "idc_"
ID = 36
SHORT = 255
LONG = 320
ALL_CHILD_KINDS = 0b11111
"""``idc_accounts.child_kinds`` with the bit of every child list set (emails, phone numbers,
external identities, role assignments, groups: :mod:`idconnect_sql.managed.children`), its
server default: a row written without it may have rows of every kind."""


SORT_INDEXES = {
    f"{PREFIX}accounts_{column}_sort_idx": column
    for column in (
        "user_name_ci",
        "display_name_ci",
        "formatted_ci",
        "family_name_ci",
        "given_name_ci",
        "middle_name_ci",
        "organization_ci",
        "active",
        "last_modified",
        "disabled_at",
        "failed_password",
        "failed_otp",
    )
}
"""``(sort key, id)`` indexes of the sortable account attributes (revision 0002), by name.

``created`` and ``last_login`` have theirs since the baseline; ``emailVerified`` and
``phoneVerified`` are computed (``EXISTS``) and cannot have one."""

SUPERSEDED_INDEXES = (
    f"{PREFIX}accounts_family_name_idx",
    f"{PREFIX}accounts_display_name_idx",
    f"{PREFIX}accounts_organization_idx",
)
"""Single-column indexes of the baseline that the sort indexes replace (revision 0002)."""


def attribute_columns(account: sa.ForeignKey) -> list[sa.Column[Any]]:
    """The columns of ``idc_attributes`` (revision 0005): one row per custom attribute value.

    :param account: the foreign key to the accounts (deleting an account deletes its values).
    :returns: new column objects.
    """
    return [
        sa.Column("account_id", text(ID), account, primary_key=True),
        sa.Column("name", text(64), primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("value_text", text(SHORT)),
        sa.Column("value_ci", text(SHORT)),
        sa.Column("value_int", sa.BigInteger),
        sa.Column("value_decimal", sa.Numeric(21, 6, asdecimal=True)),
        sa.Column("value_time", UtcDateTime),
        sa.Column("value_bool", sa.Boolean),
    ]


ATTRIBUTE_INDEXES: dict[str, tuple[str, ...]] = {
    f"{PREFIX}attributes_{kind}_idx": ("name", f"value_{kind}", "account_id")
    for kind in ("text", "ci", "int", "decimal", "time")
}
"""``(name, value, account)`` indexes of ``idc_attributes``: filters on a custom attribute seek
them (revision 0005)."""


def verification_columns(account: sa.ForeignKey) -> list[sa.Column[Any]]:
    """The columns of ``idc_verifications`` (revision 0003), as :class:`RecordSql` reads them.

    :param account: the foreign key to the accounts (deleting an account deletes its records).
    :returns: new column objects.
    """
    return [
        sa.Column("id", text(ID), primary_key=True),
        sa.Column("account_id", text(ID), account, nullable=False),
        sa.Column("policy", text(64), nullable=False),
        sa.Column("methods", text(SHORT), nullable=False),
        sa.Column("level", text(16), nullable=False),
        sa.Column("evidence", text(SHORT), nullable=False),
        sa.Column("verified_at", UtcDateTime, nullable=False),
        sa.Column("verified_by", text(512), nullable=False),
        sa.Column("expires_at", UtcDateTime),
        sa.Column("revoked_at", UtcDateTime),
        sa.Column("revoked_by", text(512)),
        sa.Column("revoke_reason", text(512)),
    ]


def consent_columns(account: sa.ForeignKey) -> list[sa.Column[Any]]:
    """The columns of ``idc_consents`` (revision 0003), as :class:`RecordSql` reads them.

    :param account: the foreign key to the accounts (deleting an account deletes its records).
    :returns: new column objects.
    """
    return [
        sa.Column("id", text(ID), primary_key=True),
        sa.Column("account_id", text(ID), account, nullable=False),
        sa.Column("purpose", text(128), nullable=False),
        sa.Column("version", text(64), nullable=False),
        sa.Column("agreed_at", UtcDateTime, nullable=False),
        sa.Column("opted_out_at", UtcDateTime),
        sa.Column("ended_how", text(32)),
        sa.Column("revoked_by", text(512)),
        sa.Column("reason", text(512)),
    ]


def activity_columns(account: sa.ForeignKey) -> list[sa.Column[Any]]:
    """The columns of ``idc_activity`` (revision 0004): what happened to an account.

    ``kind`` is one of ``idconnect.backend.STORE_KINDS``; ``detail`` a short text or a JSON
    object of short texts (never a secret); ``ip`` an IPv4 or IPv6 address as text.

    :param account: the foreign key to the accounts (deleting an account deletes its records).
    :returns: new column objects.
    """
    return [
        sa.Column("id", text(ID), primary_key=True),
        sa.Column("account_id", text(ID), account, nullable=False),
        sa.Column("kind", text(32), nullable=False),
        sa.Column("at", UtcDateTime, nullable=False),
        sa.Column("ip", text(64)),
        sa.Column("user_agent", text(512)),
        sa.Column("detail", sa.Text),
    ]


class ManagedTables:
    """The managed tables of one store, bound to one :class:`sqlalchemy.MetaData`.

    :param schema: the database schema (PostgreSQL) the tables live in, or ``None``.
    """

    def __init__(self, schema: str | None = None) -> None:
        self.metadata = sa.MetaData(schema=schema)
        m = self.metadata
        opts: dict[str, Any] = {"mysql_charset": "utf8mb4", "mariadb_charset": "utf8mb4"}

        def fk(table: str) -> sa.ForeignKey:
            target = f"{schema}.{PREFIX}{table}.id" if schema else f"{PREFIX}{table}.id"
            return sa.ForeignKey(target, ondelete="CASCADE")

        def ci(name: str, length: int = SHORT) -> list[sa.Column[str]]:
            return [sa.Column(name, text(length)), sa.Column(f"{name}_ci", text(length))]

        self.organizations = sa.Table(
            f"{PREFIX}organizations",
            m,
            sa.Column("id", text(ID), primary_key=True),
            sa.Column("name", text(SHORT)),
            **opts,
        )
        self.accounts = sa.Table(
            f"{PREFIX}accounts",
            m,
            sa.Column("id", text(ID), primary_key=True),
            sa.Column("user_name", text(SHORT), nullable=False),
            sa.Column("user_name_ci", text(SHORT), nullable=False),
            sa.Column("user_name_rev", text(SHORT), nullable=False),
            *ci("display_name"),
            *ci("formatted"),
            *ci("family_name"),
            *ci("given_name"),
            *ci("middle_name"),
            *ci("organization"),
            sa.Column("active", sa.Boolean, nullable=False, default=True),
            sa.Column("disabled_at", UtcDateTime),
            sa.Column("created", UtcDateTime, nullable=False),
            sa.Column("last_modified", UtcDateTime, nullable=False),
            sa.Column("last_login", UtcDateTime),
            sa.Column("failed_password", sa.Integer, nullable=False, default=0),
            sa.Column("failed_otp", sa.Integer, nullable=False, default=0),
            sa.Column("version", sa.Integer, nullable=False, default=1),
            sa.Column(
                "child_kinds", sa.SmallInteger, nullable=False, server_default=str(ALL_CHILD_KINDS)
            ),
            sa.Index(f"{PREFIX}accounts_user_name_ci_key", "user_name_ci", unique=True),
            sa.Index(f"{PREFIX}accounts_user_name_rev_idx", "user_name_rev"),
            sa.Index(f"{PREFIX}accounts_created_idx", "created", "id"),
            sa.Index(f"{PREFIX}accounts_last_login_idx", "last_login", "id"),
            *(sa.Index(name, column, "id") for name, column in SORT_INDEXES.items()),
            **opts,
        )
        self.emails = sa.Table(
            f"{PREFIX}emails",
            m,
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("account_id", text(ID), fk("accounts"), nullable=False),
            sa.Column("position", sa.Integer, nullable=False),
            sa.Column("value", text(LONG), nullable=False),
            sa.Column("value_ci", text(LONG), nullable=False),
            sa.Column("value_rev", text(LONG), nullable=False),
            *ci("type", 64),
            sa.Column("primary", sa.Boolean, nullable=False, default=False),
            sa.Column("verified", sa.Boolean, nullable=False, default=False),
            sa.Index(f"{PREFIX}emails_value_idx", "value_ci", "account_id"),
            sa.Index(f"{PREFIX}emails_value_rev_idx", "value_rev", "account_id"),
            sa.Index(f"{PREFIX}emails_account_idx", "account_id", "position"),
            **opts,
        )
        self.phones = sa.Table(
            f"{PREFIX}phone_numbers",
            m,
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("account_id", text(ID), fk("accounts"), nullable=False),
            sa.Column("position", sa.Integer, nullable=False),
            sa.Column("value", text(64), nullable=False),
            sa.Column("value_ci", text(64), nullable=False),
            *ci("type", 64),
            sa.Column("primary", sa.Boolean, nullable=False, default=False),
            sa.Column("verified", sa.Boolean, nullable=False, default=False),
            sa.Index(f"{PREFIX}phone_numbers_value_idx", "value_ci", "account_id"),
            sa.Index(f"{PREFIX}phone_numbers_account_idx", "account_id", "position"),
            **opts,
        )
        self.external_identities = sa.Table(
            f"{PREFIX}external_identities",
            m,
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("account_id", text(ID), fk("accounts"), nullable=False),
            sa.Column("position", sa.Integer, nullable=False),
            sa.Column("provider", text(64), nullable=False),
            sa.Column("subject", text(SHORT), nullable=False),
            sa.Index(f"{PREFIX}external_identities_subject_idx", "subject", "provider"),
            sa.Index(f"{PREFIX}external_identities_account_idx", "account_id", "position"),
            **opts,
        )
        self.attributes = sa.Table(
            f"{PREFIX}attributes",
            m,
            *attribute_columns(fk("accounts")),
            *(sa.Index(name, *columns) for name, columns in ATTRIBUTE_INDEXES.items()),
            **opts,
        )
        self.groups = sa.Table(
            f"{PREFIX}groups",
            m,
            sa.Column("id", text(ID), primary_key=True),
            sa.Column("display_name", text(SHORT), nullable=False),
            sa.Column("display_name_ci", text(SHORT), nullable=False),
            sa.Column("created", UtcDateTime, nullable=False),
            sa.Column("version", sa.Integer, nullable=False, default=1),
            sa.Index(f"{PREFIX}groups_display_name_ci_key", "display_name_ci", unique=True),
            **opts,
        )
        self.memberships = sa.Table(
            f"{PREFIX}memberships",
            m,
            sa.Column("group_id", text(ID), fk("groups"), primary_key=True),
            sa.Column("account_id", text(ID), fk("accounts"), primary_key=True),
            sa.Index(f"{PREFIX}memberships_account_idx", "account_id", "group_id"),
            **opts,
        )
        self.role_assignments = sa.Table(
            f"{PREFIX}role_assignments",
            m,
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("account_id", text(ID), fk("accounts"), nullable=False),
            *ci("role", 128),
            *ci("organization"),
            sa.Index(f"{PREFIX}role_assignments_account_idx", "account_id", "role_ci"),
            sa.Index(f"{PREFIX}role_assignments_role_idx", "role_ci", "organization_ci"),
            **opts,
        )
        self.authenticators = sa.Table(
            f"{PREFIX}authenticators",
            m,
            sa.Column("id", text(ID), primary_key=True),
            sa.Column("account_id", text(ID), fk("accounts"), nullable=False),
            sa.Column("kind", text(32), nullable=False),
            sa.Column("label", text(LONG)),
            sa.Column("secret_hash", text(SHORT)),
            sa.Column("verified", sa.Boolean, nullable=False, default=False),
            sa.Column("created", UtcDateTime, nullable=False),
            sa.Column("last_used", UtcDateTime),
            sa.Index(f"{PREFIX}authenticators_account_idx", "account_id", "created"),
            **opts,
        )
        self.sessions = sa.Table(
            f"{PREFIX}sessions",
            m,
            sa.Column("id", text(ID), primary_key=True),
            sa.Column("account_id", text(ID), fk("accounts"), nullable=False),
            sa.Column("created", UtcDateTime, nullable=False),
            sa.Column("last_seen", UtcDateTime),
            sa.Column("expires", UtcDateTime),
            sa.Column("revoked_at", UtcDateTime),
            sa.Column("ip_address", text(64)),
            sa.Column("user_agent", text(512)),
            sa.Column("location", text(SHORT)),
            sa.Index(f"{PREFIX}sessions_account_idx", "account_id", "last_seen"),
            **opts,
        )
        self.consents = sa.Table(
            f"{PREFIX}consents",
            m,
            *consent_columns(fk("accounts")),
            sa.Index(f"{PREFIX}consents_account_idx", "account_id", "purpose", "agreed_at"),
            **opts,
        )
        self.verifications = sa.Table(
            f"{PREFIX}verifications",
            m,
            *verification_columns(fk("accounts")),
            sa.Index(f"{PREFIX}verifications_account_idx", "account_id", "verified_at"),
            **opts,
        )
        self.activity = sa.Table(
            f"{PREFIX}activity",
            m,
            *activity_columns(fk("accounts")),
            sa.Index(f"{PREFIX}activity_account_idx", "account_id", "at", "id"),
            **opts,
        )


UNIQUE_ATTRIBUTES = {
    f"{PREFIX}accounts_user_name_ci_key": "userName",
    f"{PREFIX}groups_display_name_ci_key": "displayName",
}
"""Unique index name to the attribute a violation of it concerns."""


def build_tables(schema: str | None = None) -> ManagedTables:
    """Build the managed tables' definitions.

    :param schema: the database schema to put them in, or ``None`` for the default.
    :returns: the tables.
    """
    return ManagedTables(schema)
