"""The rows that hang off a page of accounts, read in one statement.

Emails, phone numbers, external identities, role assignments and group memberships of every
account of a page come back from one ``UNION ALL`` of the child tables, each part shaped
``(kind, account_id, n, k, c1, c2, b1, b2)`` and ordered as the account lists them (``position``
for the first three, the assignment id for roles, ``display_name_ci, id`` for groups). Only the
kinds the query's ``attributes`` ask for are read (all of them when it asks for everything).

The page's account ids are one parameter where the dialect can take a list as one value:
``account_id = ANY(:ids)`` (an array) on PostgreSQL, ``account_id IN (SELECT value FROM
json_each(:ids))`` (JSON text) on SQLite. An expanding ``IN (:ids_1, ..., :ids_50)`` is
rendered into the statement anew for each page (and on SQLite, whose parameters are positional,
bound once per child table); elsewhere (MariaDB, MySQL) it is what is used.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from json.encoder import encode_basestring_ascii
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection

from idconnect_sql.tables import ManagedTables

__all__ = ["KINDS", "Among", "Children", "account_ids", "kinds_for"]

KINDS = ("emails", "phones", "idents", "roles", "groups")
"""The child lists of an account, in the order of their ``kind`` number."""

_NEEDS = {
    "emails": "emails",
    "emailverified": "emails",
    "phonenumbers": "phones",
    "phoneverified": "phones",
    "externalidentities": "idents",
    "roleassignments": "roles",
    "groups": "groups",
}
_ROW_ONLY = {
    "id",
    "username",
    "name",
    "displayname",
    "active",
    "organization",
    "meta",
    "lastlogin",
    "failedattempts",
    "disabledat",
}

_JSON_EACH = sqlite3.sqlite_version_info >= (3, 38)
"""Whether SQLite has ``json_each`` built in (from 3.38; an extension before)."""


Among = Callable[[sa.ColumnElement[Any]], sa.ColumnElement[bool]]
"""Makes the condition "this column is one of the ids" of a statement."""


def account_ids(dialect: str) -> tuple[Among, Callable[[Sequence[str]], Any]]:
    """Return how a statement takes a list of account ids as the parameter ``ids``.

    :param dialect: the SQLAlchemy dialect name.
    :returns: the condition maker, and what to bind ``ids`` to given the ids.
    """
    if dialect == "postgresql":
        array: sa.BindParameter[Any] = sa.bindparam("ids", type_=postgresql.ARRAY(sa.String))
        return (lambda column: column == sa.any_(array)), list
    if dialect == "sqlite" and _JSON_EACH:
        ids: sa.BindParameter[Any] = sa.bindparam("ids")
        listed: sa.Select[Any] = sa.select(sa.column("value")).select_from(sa.func.json_each(ids))
        return (lambda column: column.in_(listed)), _json_list
    expanding: sa.BindParameter[Any] = sa.bindparam("ids", expanding=True)
    return (lambda column: column.in_(expanding)), list


def _json_list(ids: Sequence[str]) -> str:
    """The ids as a JSON array (``json.dumps`` builds an encoder per call)."""
    return "[" + ",".join(map(encode_basestring_ascii, ids)) + "]"


def kinds_for(attributes: Sequence[str]) -> frozenset[str]:
    """Return the child lists a query's ``attributes`` need.

    :param attributes: canonical attribute paths (``emails.value``, ``userName``...), possibly
        with a schema URN prefix; empty means everything.
    :returns: a subset of :data:`KINDS` (all of them for a name it does not know).
    """
    if not attributes:
        return frozenset(KINDS)
    needed: set[str] = set()
    for attribute in attributes:
        top = attribute.rpartition(":")[2].split(".", 1)[0].lower()
        if top in _NEEDS:
            needed.add(_NEEDS[top])
        elif top not in _ROW_ONLY:
            return frozenset(KINDS)
    return frozenset(needed)


class Children:
    """Reads the child rows of a page of accounts (one statement per set of kinds, built once).

    :param tables: the managed tables.
    :param dialect: the SQLAlchemy dialect name (how the ids are bound, :func:`account_ids`).
    """

    def __init__(self, tables: ManagedTables, dialect: str) -> None:
        self.tables = tables
        self._among, self._bound = account_ids(dialect)
        self._statements: dict[frozenset[str], sa.CompoundSelect[Any] | sa.Select[Any]] = {}

    def _parts(self) -> Mapping[str, sa.Select[Any]]:
        t = self.tables
        e, p, x, r, m, g = (
            t.emails,
            t.phones,
            t.external_identities,
            t.role_assignments,
            t.memberships,
            t.groups,
        )
        blank: sa.ColumnElement[Any] = sa.literal_column("''")
        no: sa.ColumnElement[bool] = sa.false()

        def part(kind: str, owner: sa.Column[Any], *columns: Any) -> sa.Select[Any]:
            number: sa.ColumnElement[Any] = sa.literal_column(str(KINDS.index(kind)))
            return sa.select(number.label("kind"), owner.label("account_id"), *columns).where(
                self._among(owner)
            )

        return {
            "emails": part(
                "emails",
                e.c.account_id,
                e.c.position,
                blank,
                e.c.value,
                e.c.type,
                e.c.primary,
                e.c.verified,
            ),
            "phones": part(
                "phones",
                p.c.account_id,
                p.c.position,
                blank,
                p.c.value,
                p.c.type,
                p.c.primary,
                p.c.verified,
            ),
            "idents": part(
                "idents", x.c.account_id, x.c.position, blank, x.c.provider, x.c.subject, no, no
            ),
            "roles": part(
                "roles", r.c.account_id, r.c.id, blank, r.c.role, r.c.organization, no, no
            ),
            "groups": part(
                "groups",
                m.c.account_id,
                sa.literal_column("0"),
                g.c.display_name_ci,
                g.c.id,
                g.c.display_name,
                no,
                no,
            ).select_from(m.join(g, g.c.id == m.c.group_id)),
        }

    def statement(self, kinds: frozenset[str]) -> sa.CompoundSelect[Any] | sa.Select[Any]:
        """Return the statement reading the given kinds of child rows (built once per set).

        :param kinds: a non-empty subset of :data:`KINDS`.
        :returns: the statement, taking the account ids as the parameter ``ids`` (bound as
            :meth:`read` binds them).
        """
        stmt = self._statements.get(kinds)
        if stmt is None:
            parts = self._parts()
            chosen = [parts[kind] for kind in KINDS if kind in kinds]
            order: list[sa.ColumnElement[Any]] = [sa.literal_column(str(n)) for n in (1, 3, 4, 5)]
            stmt = (
                chosen[0].order_by(*order[1:])
                if len(chosen) == 1
                else sa.union_all(*chosen).order_by(*order)
            )
            self._statements[kinds] = stmt
        return stmt

    def read(
        self, connection: Connection, ids: Sequence[str], kinds: frozenset[str]
    ) -> dict[str, list[list[Any]]]:
        """Read the child rows of some accounts.

        :param connection: the open connection (the page's transaction).
        :param ids: the accounts' ids.
        :param kinds: which child lists to read.
        :returns: account id to its child lists, one per kind in the order of :data:`KINDS`,
            each of rows ``(kind, account_id, n, k, c1, c2, b1, b2)`` in order; accounts without
            any child row (or whose kinds were not read) are missing.
        """
        found: dict[str, list[list[Any]]] = {}
        if not ids or not kinds:
            return found
        rows = connection.execute(self.statement(kinds), {"ids": self._bound(ids)}).all()
        for row in rows:
            lists = found.get(row[1])
            if lists is None:
                lists = found[row[1]] = [[] for _ in KINDS]
            lists[row[0]].append(row)
        return found
