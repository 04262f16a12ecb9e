"""Where every attribute lives in the managed tables, for the filter compiler."""

from __future__ import annotations

import sqlalchemy as sa

from idconnect_sql.filters import Layout, Multi, Scalar
from idconnect_sql.managed.custom import CustomAttributes
from idconnect_sql.tables import ManagedTables

__all__ = ["managed_layout"]


def managed_layout(t: ManagedTables, custom: CustomAttributes) -> tuple[Layout, Layout]:
    """Describe where every attribute lives in the managed tables.

    :param t: the managed tables.
    :param custom: the store's custom attributes (element rows of ``idc_attributes`` for
        filters, a subquery on the account row for sorting).
    :returns: the account layout and the group layout.
    """
    a = t.accounts

    def text(column: str) -> Scalar:
        return Scalar(expr=a.c[column], folded=a.c[f"{column}_ci"])

    def verified(table: sa.Table) -> Scalar:
        return Scalar(
            expr=sa.exists(
                sa.select(sa.literal(1)).where(table.c.account_id == a.c.id, table.c.verified)
            ),
            predicate=True,
        )

    scalars = {
        "id": Scalar(expr=a.c.id),
        "username": Scalar(expr=a.c.user_name, folded=a.c.user_name_ci, reversed=a.c.user_name_rev),
        "displayname": text("display_name"),
        "name.formatted": text("formatted"),
        "name.familyname": text("family_name"),
        "name.givenname": text("given_name"),
        "name.middlename": text("middle_name"),
        "active": Scalar(expr=a.c.active),
        "meta.created": Scalar(expr=a.c.created),
        "meta.lastmodified": Scalar(expr=a.c.last_modified),
        "organization": text("organization"),
        "emailverified": verified(t.emails),
        "phoneverified": verified(t.phones),
        "lastlogin": Scalar(expr=a.c.last_login),
        "disabledat": Scalar(expr=a.c.disabled_at),
        "failedattempts.password": Scalar(expr=a.c.failed_password),
        "failedattempts.otp": Scalar(expr=a.c.failed_otp),
    }

    def contact(table: sa.Table, reversed_value: bool) -> Multi:
        c = table.c
        return Multi(
            source=table,
            link=c.account_id == a.c.id,
            owner=c.account_id,
            key=a.c.id,
            subs={
                "value": Scalar(
                    expr=c.value,
                    folded=c.value_ci,
                    reversed=c.value_rev if reversed_value else None,
                ),
                "type": Scalar(expr=c.type, folded=c.type_ci),
                "primary": Scalar(expr=c.primary),
                "verified": Scalar(expr=c.verified),
            },
        )

    g, m, r, x = t.groups, t.memberships, t.role_assignments, t.external_identities
    multis = {
        "emails": contact(t.emails, True),
        "phonenumbers": contact(t.phones, False),
        "groups": Multi(
            source=m.join(g, g.c.id == m.c.group_id),
            link=m.c.account_id == a.c.id,
            owner=m.c.account_id,
            key=a.c.id,
            subs={
                "value": Scalar(expr=g.c.id),
                "display": Scalar(expr=g.c.display_name, folded=g.c.display_name_ci),
            },
        ),
        "externalidentities": Multi(
            source=x,
            link=x.c.account_id == a.c.id,
            owner=x.c.account_id,
            key=a.c.id,
            subs={"provider": Scalar(expr=x.c.provider), "subject": Scalar(expr=x.c.subject)},
        ),
        "roleassignments": Multi(
            source=r,
            link=r.c.account_id == a.c.id,
            owner=r.c.account_id,
            key=a.c.id,
            subs={
                "role": Scalar(expr=r.c.role, folded=r.c.role_ci),
                "organization": Scalar(expr=r.c.organization, folded=r.c.organization_ci),
            },
        ),
    }
    groups = Layout(
        scalars={
            "id": Scalar(expr=g.c.id),
            "displayname": Scalar(expr=g.c.display_name, folded=g.c.display_name_ci),
        },
        multis={},
    )
    return Layout(
        scalars={**scalars, **custom.scalars()}, multis={**multis, **custom.multis()}
    ), groups
