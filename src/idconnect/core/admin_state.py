"""Admin roles and grants kept in the hub's state database (``idconnect admins ...``).

Two tables next to the audit trail, created on first use: ``idconnect_admin_roles`` (a role's
permissions and stores, as JSON lists) and ``idconnect_admin_grants`` (which actor holds which
role, who granted it and when). :class:`AdminState` reads them as an
:class:`~idconnect.core.admins.AdminPolicy` and changes them; checking a change (known names,
no redefined config role, nobody locked out) is :class:`~idconnect.core.facade.admins.Admins`'
job.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import mysql

from idconnect.core.admins import OWNER, AdminPolicy, AdminRole
from idconnect.core.instants import utc_now
from idconnect.core.state import StateDatabase
from idconnect.core.state_tables import StateTables

__all__ = ["AdminState"]

T = TypeVar("T")

_meta = sa.MetaData()
_AT = sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
_roles = sa.Table(
    "idconnect_admin_roles",
    _meta,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("permissions", sa.Text, nullable=False),
    sa.Column("stores", sa.Text),
    sa.Column("defined_by", sa.String(256), nullable=False),
    sa.Column("defined_at", _AT, nullable=False),
)
_grants = sa.Table(
    "idconnect_admin_grants",
    _meta,
    sa.Column("actor", sa.String(256), primary_key=True),
    sa.Column("role", sa.String(64), primary_key=True),
    sa.Column("granted_by", sa.String(256), nullable=False),
    sa.Column("granted_at", _AT, nullable=False),
)


_TABLES = StateTables(_meta, "admin roles")


class AdminState:
    """The admin roles and grants of one hub's state database.

    :param state: the hub's state database (its engine is shared).
    """

    def __init__(self, state: StateDatabase) -> None:
        self.state = state

    def _run(self, what: str, work: Callable[[sa.Connection], T]) -> T:
        return _TABLES.run(self.state, work, doing=what)

    def load(self) -> AdminPolicy:
        """Read every role and grant.

        :returns: the state's policy (roles marked ``source="state"``; grants may name roles
            defined in the config, which :meth:`AdminPolicy.combine` resolves).
        :raises StoreUnavailable: when the database cannot be read.
        """

        def read(conn: sa.Connection) -> AdminPolicy:
            roles = {OWNER.name: OWNER}
            for row in conn.execute(sa.select(_roles).order_by(_roles.c.name)).mappings():
                roles[row["name"]] = AdminRole(
                    name=row["name"],
                    permissions=tuple(json.loads(row["permissions"])),
                    stores=None if row["stores"] is None else tuple(json.loads(row["stores"])),
                    source="state",
                )
            members: dict[str, tuple[str, ...]] = {}
            order = (_grants.c.actor, _grants.c.granted_at, _grants.c.role)
            for actor, role in conn.execute(
                sa.select(_grants.c.actor, _grants.c.role).order_by(*order)
            ):
                members[actor] = (*members.get(actor, ()), role)
            return AdminPolicy(roles=roles, members=members)

        return self._run("read", read)

    def define(self, role: AdminRole, *, by: str) -> None:
        """Create a role, or replace its permissions and stores.

        :param role: the role (already checked).
        :param by: the acting admin.
        :raises StoreUnavailable: when the database cannot be written.
        """
        values = {
            "permissions": json.dumps(list(role.permissions)),
            "stores": None if role.stores is None else json.dumps(list(role.stores)),
            "defined_by": by,
            "defined_at": utc_now(),
        }

        def write(conn: sa.Connection) -> None:
            found = conn.execute(_roles.update().where(_roles.c.name == role.name), values)
            if not found.rowcount:
                conn.execute(_roles.insert(), {"name": role.name, **values})

        self._run("write", write)

    def drop(self, name: str) -> bool:
        """Delete a role defined in the state (its grants must be revoked first).

        :param name: the role's name.
        :returns: whether it existed.
        :raises StoreUnavailable: when the database cannot be written.
        """
        return self._run(
            "write",
            lambda c: bool(c.execute(_roles.delete().where(_roles.c.name == name)).rowcount),
        )

    def grant(self, actor: str, role: str, *, by: str) -> bool:
        """Let ``actor`` hold ``role``.

        :param actor: the admin receiving the role.
        :param role: the role's name (already checked to exist).
        :param by: the acting admin.
        :returns: ``False`` when the grant was already there.
        :raises StoreUnavailable: when the database cannot be written.
        """
        row = {"actor": actor, "role": role, "granted_by": by, "granted_at": utc_now()}

        def write(conn: sa.Connection) -> bool:
            where = (_grants.c.actor == actor) & (_grants.c.role == role)
            if conn.execute(sa.select(_grants.c.actor).where(where)).first() is not None:
                return False
            conn.execute(_grants.insert(), row)
            return True

        return self._run("write", write)

    def revoke(self, actor: str, role: str) -> bool:
        """Take ``role`` from ``actor``.

        :param actor: the admin losing the role.
        :param role: the role's name.
        :returns: whether the state held that grant.
        :raises StoreUnavailable: when the database cannot be written.
        """
        where = (_grants.c.actor == actor) & (_grants.c.role == role)
        return self._run("write", lambda c: bool(c.execute(_grants.delete().where(where)).rowcount))
