"""The child rows of accounts: read by the accounts' own statement where the dialect allows.

Each child list of an account (emails, phone numbers, external identities, role assignments,
group memberships: :data:`KINDS`) is described once (:class:`_Kind`: its rows, the values an
account is built from, their order: ``position`` for the first three, the assignment id for
roles, ``display_name_ci, id`` for groups) and read in one of two ways:

- *Aggregated* (PostgreSQL, SQLite with its JSON functions, MariaDB from 10.5): the statement
  reading the account rows also selects ``idc_children``, a JSON array of the five lists, each
  a correlated subquery aggregating the account's child rows to a JSON array of value arrays,
  each ending with the row's sort key (:attr:`_Kind.key`), or ``null`` for a kind the query
  does not ask for. PostgreSQL: ``json_agg(json_build_array(..., key))``, the column cast to
  text (decoded here as the others, not by psycopg's ``json.loads``); MariaDB:
  ``JSON_ARRAYAGG(JSON_ARRAY(..., key))``; SQLite: ``json_group_array(json_array(..., key))``,
  the five texts joined with ``||`` (``json_array`` would parse each again). The aggregates
  take no ORDER BY: a sort per account and kind was a sixth of PostgreSQL's time for a page
  (255 of them for 51 rows), so :meth:`Children.decode` sorts the lists of more than one
  element by their key. A page is then one statement; PostgreSQL and SQLite run the
  subqueries for the rows the LIMIT returns only.
- *Per statement* (MySQL, whose ``JSON_ARRAYAGG`` cannot order; SQLite without JSON): one
  ``UNION ALL`` of the child tables for a page's accounts, each part shaped ``(kind,
  account_id, n, k, *values)`` and ordered by ``kind, n, k``, the page's ids one parameter where
  the dialect takes a list as one value: ``account_id = ANY(:ids)`` on PostgreSQL,
  ``account_id IN (SELECT value FROM json_each(:ids))`` on SQLite; an expanding ``IN`` list
  elsewhere.

Either way only the kinds an account may have rows of are read: ``idc_accounts.child_kinds``
(:data:`HELD`) has bit ``1 << n`` set for ``KINDS[n]`` once a write gave the account rows of
that kind (:meth:`Children.mark` for memberships; the account's own insert or update, and a
role assignment's touch of it, set the bits in the statement writing the account row),
and is never cleared when rows go, so a set bit means "may have". An aggregated kind's
subquery runs only under its bit (``CASE WHEN child_kinds & bit <> 0``): on PostgreSQL each
was about 4 µs an account, and 40% of the demo's accounts' subqueries find nothing (external
identities are held by one account in ten). A row written without the column (another tool)
gets every bit (its server default, :data:`idconnect_sql.tables.ALL_CHILD_KINDS`).

Either way an account's children come out as five lists (``None`` or empty when it has none or
the kind was not read), in order, of value sequences: ``(value, type, primary, verified)`` for
emails and phone numbers, ``(provider, subject)``, ``(role, organization)``, ``(group id,
display name)`` (aggregated, each followed by its sort key).
Only the kinds the query's ``attributes`` ask for are read (all of them when it asks for
everything).
"""

from __future__ import annotations

import json
import operator
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from json.encoder import encode_basestring_ascii
from typing import Any

import sqlalchemy as sa
from attrs import frozen
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql.selectable import FromClause

from idconnect_sql.tables import ManagedTables

__all__ = [
    "CHILDREN",
    "HELD",
    "KINDS",
    "NO_CHILDREN",
    "Among",
    "ChildLists",
    "Children",
    "account_ids",
    "aggregates",
    "held_bits",
    "kinds_for",
]

KINDS = ("emails", "phones", "idents", "roles", "groups")
"""The child lists of an account, in the order of their ``kind`` number."""

CHILDREN = "idc_children"
"""The label of the aggregated child lists' column."""

HELD = "child_kinds"
"""The ``idc_accounts`` column of the kinds an account may have child rows of (a bit each)."""


def held_bits(kinds: Iterable[str]) -> int:
    """Return the :data:`HELD` bits of some kinds.

    :param kinds: names of :data:`KINDS`.
    :returns: the bits, or-ed.
    """
    bits = 0
    for kind in kinds:
        bits |= 1 << KINDS.index(kind)
    return bits


ChildLists = Sequence[Sequence[Sequence[Any]] | None]
"""An account's five child lists (:data:`KINDS` order), each of value sequences, or ``None``."""

NO_CHILDREN: ChildLists = ((), (), (), (), ())
"""The child lists of an account without any (or of a statement that read none)."""

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
"""Whether SQLite has its JSON functions built in (from 3.38; an extension before)."""


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


_KEY = operator.itemgetter(-1)
"""The sort key of an aggregated child row (its last value)."""

_scan: Callable[[str, int], tuple[Any, int]] = vars(json.JSONDecoder())["scan_once"]
"""Decodes the JSON value at an index of a text: ``json.loads`` without its wrappers (which
took half its time here: encoding detection, two regular expression matches, a method call)."""


def _joined(texts: Sequence[sa.ColumnElement[Any]]) -> sa.ColumnElement[Any]:
    """SQLite: the JSON array of some JSON texts, as one text (``'[' || a || ',' || b || ']'``)."""
    joined: sa.ColumnElement[Any] = sa.literal_column("'['", sa.String)
    for n, text in enumerate(texts):
        joined = (joined.concat(sa.literal_column("','", sa.String)) if n else joined).concat(text)
    return joined.concat(sa.literal_column("']'", sa.String))


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


def aggregates(dialect: Dialect) -> bool:
    """Whether a connected dialect can aggregate ordered child rows to JSON (see the module).

    :param dialect: the engine's dialect, after its first connection.
    :returns: ``True`` on PostgreSQL, SQLite with JSON and MariaDB from 10.5.
    """
    if dialect.name == "postgresql":
        return True
    if dialect.name == "sqlite":
        return _JSON_EACH
    version = dialect.server_version_info or ()
    return bool(getattr(dialect, "is_mariadb", False)) and tuple(version[:2]) >= (10, 5)


@frozen
class _Kind:
    """One child list: its rows, the values an account is built from, and their order.

    The rows are ordered by :attr:`number`, then :attr:`text` (the ones present), unique per
    account: the position the store wrote, the assignment id, the group's unique folded name.
    Read per statement, every kind has the same shape (:meth:`part`).
    """

    kind: int
    """Its place in :data:`KINDS`."""
    source: FromClause
    """The rows (a table, or the memberships joined to the groups)."""
    owner: sa.ColumnElement[Any]
    """The account id column of the rows."""
    values: tuple[sa.ColumnElement[Any], ...]
    """What the account is built from, in order (at most four)."""
    number: sa.ColumnElement[int] | None = None
    """An integer the rows are ordered by first."""
    text: sa.ColumnElement[str] | None = None
    """A text the rows are ordered by next."""

    @property
    def key(self) -> sa.ColumnElement[Any]:
        """The one column the rows are ordered by (every kind has one of the two)."""
        return self.number if self.number is not None else self.text  # type: ignore[return-value]

    def part(self, among: Among) -> sa.Select[Any]:
        """Return the rows of some accounts as ``(kind, account_id, n, k, c1, c2, b1, b2)``.

        :param among: the condition on the account ids.
        :returns: the statement (ordered by ``n, k`` within a kind: :attr:`key`).
        """
        number: sa.ColumnElement[Any] = sa.literal_column(str(self.kind))
        return (
            sa.select(
                number.label("kind"),
                self.owner.label("account_id"),
                self.number if self.number is not None else sa.literal_column("0"),
                self.text if self.text is not None else sa.literal_column("''"),
                *self.values,
                *[sa.false()] * (4 - len(self.values)),
            )
            .select_from(self.source)
            .where(among(self.owner))
        )


class Children:
    """Reads the child lists of accounts (statements and columns built once per set of kinds).

    :param tables: the managed tables.
    :param dialect: the SQLAlchemy dialect name (how the ids are bound, :func:`account_ids`).

    Until :meth:`adopt` sees a dialect that :func:`aggregates`, child lists are read per
    statement (:meth:`read`).
    """

    def __init__(self, tables: ManagedTables, dialect: str) -> None:
        self.tables = tables
        self.dialect = dialect
        self.aggregated = False
        """Whether account statements select :data:`CHILDREN` (see the module)."""
        self._among, self._bound = account_ids(dialect)
        self._kinds = self._describe()
        self._statements: dict[frozenset[str], sa.CompoundSelect[Any] | sa.Select[Any]] = {}
        self._columns: dict[frozenset[str], tuple[sa.ColumnElement[Any], ...]] = {}

    def adopt(self, dialect: Dialect) -> None:
        """Aggregate child lists from now on if the connected dialect can.

        :param dialect: the engine's dialect, after its first connection.
        """
        self.aggregated = aggregates(dialect)

    def _describe(self) -> dict[str, _Kind]:
        t = self.tables
        e, p, x, r, m, g = (
            t.emails,
            t.phones,
            t.external_identities,
            t.role_assignments,
            t.memberships,
            t.groups,
        )
        return {
            "emails": _Kind(
                0, e, e.c.account_id, (e.c.value, e.c.type, e.c.primary, e.c.verified), e.c.position
            ),
            "phones": _Kind(
                1, p, p.c.account_id, (p.c.value, p.c.type, p.c.primary, p.c.verified), p.c.position
            ),
            "idents": _Kind(2, x, x.c.account_id, (x.c.provider, x.c.subject), x.c.position),
            "roles": _Kind(3, r, r.c.account_id, (r.c.role, r.c.organization), r.c.id),
            "groups": _Kind(
                4,
                m.join(g, g.c.id == m.c.group_id),
                m.c.account_id,
                (g.c.id, g.c.display_name),
                text=g.c.display_name_ci,
            ),
        }

    # -- aggregated ---------------------------------------------------------------------------

    def columns(self, kinds: frozenset[str]) -> tuple[sa.ColumnElement[Any], ...]:
        """Return the column an account statement selects for the child lists of some kinds.

        :param kinds: a subset of :data:`KINDS`.
        :returns: the :data:`CHILDREN` column correlated to ``idc_accounts.id`` (decode its
            values with :meth:`decode`), or nothing when the lists are read per statement or
            no kind is asked for.
        """
        if not self.aggregated or not kinds:
            return ()
        found = self._columns.get(kinds)
        if found is None:
            sqlite = self.dialect == "sqlite"  # its lists are JSON texts, joined as text
            missing = sa.literal_column("'null'", sa.String) if sqlite else sa.null()
            lists = [
                self._aggregate(kind, missing) if name in kinds else missing
                for name, kind in self._kinds.items()
            ]
            packed: sa.ColumnElement[Any]
            if self.dialect == "postgresql":  # as text: decoded by decode, not by psycopg
                packed = sa.cast(sa.func.json_build_array(*lists), sa.Text)
            elif sqlite:
                packed = _joined(lists)
            else:
                packed = sa.func.json_array(*lists)
            found = self._columns[kinds] = (packed.label(CHILDREN),)
        return found

    def _aggregate(self, kind: _Kind, missing: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
        """One kind's rows of the account as a JSON array of value arrays ending in their key.

        The subquery runs only when the account's :data:`HELD` bit of the kind is set; the
        value is ``missing`` otherwise.
        """
        element = (*kind.values, kind.key)
        if self.dialect == "postgresql":
            aggregate = sa.func.json_agg(sa.func.json_build_array(*element))
        elif self.dialect == "sqlite":
            aggregate = sa.func.json_group_array(sa.func.json_array(*element))
        else:
            aggregate = sa.func.json_arrayagg(sa.func.json_array(*element))
        accounts = self.tables.accounts
        rows = (
            sa.select(aggregate)
            .select_from(kind.source)
            .where(kind.owner == accounts.c.id)
            .scalar_subquery()
        )
        held = accounts.c[HELD].bitwise_and(1 << kind.kind) != 0
        return sa.case((held, rows), else_=missing)

    def mark(self, connection: Connection, ids: Sequence[str], kind: str) -> None:
        """Record that some accounts now have rows of a kind (in the writing transaction).

        :param connection: the open connection of the write that added the rows.
        :param ids: the accounts' ids (at most a batch: an ``IN`` list).
        :param kind: one of :data:`KINDS`.
        """
        if not ids:
            return
        a = self.tables.accounts
        held, bit = a.c[HELD], held_bits([kind])
        connection.execute(
            sa.update(a)
            .where(a.c.id.in_(ids), held.bitwise_and(bit) == 0)
            .values({HELD: held.bitwise_or(bit)})
        )

    def decode(self, value: Any) -> ChildLists:
        """Return an account's child lists, in order, from its :data:`CHILDREN` value.

        :param value: the value: JSON text, as the database wrote it (no white space before it).
        :returns: the five lists, each sorted by its elements' last value (their key).
        """
        lists: list[list[list[Any]] | None] = _scan(value, 0)[0]
        for items in lists:
            if items is not None and len(items) > 1:
                items.sort(key=_KEY)
        return lists

    # -- per statement ------------------------------------------------------------------------

    def statement(self, kinds: frozenset[str]) -> sa.CompoundSelect[Any] | sa.Select[Any]:
        """Return the statement reading the given kinds' child rows per statement (built once).

        :param kinds: a non-empty subset of :data:`KINDS`.
        :returns: the statement, taking the account ids as the parameter ``ids`` (bound as
            :meth:`read` binds them).
        """
        stmt = self._statements.get(kinds)
        if stmt is None:
            chosen = [k.part(self._among) for name, k in self._kinds.items() if name in kinds]
            order: list[sa.ColumnElement[Any]] = [sa.literal_column(str(n)) for n in (1, 3, 4)]
            stmt = (
                chosen[0].order_by(*order[1:])
                if len(chosen) == 1
                else sa.union_all(*chosen).order_by(*order)
            )
            self._statements[kinds] = stmt
        return stmt

    def read(
        self, connection: Connection, ids: Sequence[str], kinds: frozenset[str]
    ) -> dict[str, ChildLists]:
        """Read the child lists of some accounts per statement.

        :param connection: the open connection (the page's transaction).
        :param ids: the accounts' ids.
        :param kinds: which child lists to read.
        :returns: account id to its five child lists, of ``(c1, c2, b1, b2)`` value rows;
            accounts without any child row (or whose kinds were not read) are missing.
        """
        found: dict[str, ChildLists] = {}
        if not ids or not kinds:
            return found
        rows = connection.execute(self.statement(kinds), {"ids": self._bound(ids)}).all()
        for row in rows:
            lists: Any = found.get(row[1])
            if lists is None:
                lists = found[row[1]] = [[] for _ in KINDS]
            lists[row[0]].append(row[4:])
        return found
