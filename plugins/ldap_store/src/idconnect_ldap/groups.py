"""Groups: entries of the group object class whose member attribute holds account DNs.

An empty group holds the placeholder member (``empty_member``, by default the groups base's
own DN, which exists in the directory and is never an account), because ``groupOfNames`` and
``groupOfUniqueNames`` require a member.

A group's id is its ``entryUUID`` (``objectGUID``), never its DN: renaming a group whose name
attribute is its RDN moves the entry (a modrdn, ``cn=old`` to ``cn=new`` under the same parent)
and keeps the id; the memberof overlay rewrites the members' ``memberOf``. A group whose RDN
does not hold its name attribute keeps its DN and has the attribute replaced.
"""

from __future__ import annotations

from collections.abc import Sequence

import ldap3  # type: ignore[import-untyped]
from ldap3.utils.conv import escape_filter_chars  # type: ignore[import-untyped]
from ldap3.utils.dn import escape_rdn, parse_dn  # type: ignore[import-untyped]

from idconnect.backend import (
    GROUP_CATALOGUE,
    Account,
    Conflict,
    Group,
    NotFound,
    Page,
    Query,
    evaluate,
    hookimpl,
)
from idconnect_ldap.accounts import AccountsMixin
from idconnect_ldap.base import CHUNK
from idconnect_ldap.entries import Raw, check_value, text_values
from idconnect_ldap.errors import check
from idconnect_ldap.pool import answer_lost
from idconnect_ldap.settings import Base
from idconnect_ldap.values import parse_generalized_time

__all__ = ["GroupsMixin"]


class GroupsMixin(AccountsMixin):
    """The group hooks."""

    def _group(self, raw: Raw, members: tuple[str, ...] = ()) -> Group:
        created = raw.first("createTimestamp")
        return Group(
            id=self.id_of(raw),
            display_name=raw.first(self.configured.group_name_attribute) or "",
            members=members,
            created=parse_generalized_time(created) if created else None,
            version=raw.first(self.configured.version_attribute),
        )

    @property
    def _group_attributes(self) -> list[str]:
        p = self.configured
        return [p.group_name_attribute, p.version_attribute, "createTimestamp"]

    @hookimpl
    def idconnect_search_groups(self, query: Query) -> Page[Group]:
        """Search groups by id and display name (the group's RDN attribute)."""
        view = self.view
        compiled = view.group_compiler.compile(query.filter) if query.filter is not None else True

        def keep(group: Group) -> bool:
            if query.filter is None:
                return True
            probe = Account(id=group.id, user_name="-", display_name=group.display_name)
            return evaluate(query.filter, probe, GROUP_CATALOGUE)

        s = self.settings
        return self.search(
            query,
            compiled,
            bases=(Base(s.groups_base, s.groups_scope),),
            object_class=self.configured.group_object_class,
            attributes=[self.configured.id_attribute, *self._group_attributes],
            build=lambda conn, raws: [self._group(r) for r in raws],
            keep=keep,
        )

    def _member_ids(self, conn: ldap3.Connection, dns: list[str]) -> tuple[str, ...]:
        placeholder = self.settings.empty_member.lower()
        dns = [dn for dn in dns if dn.lower() != placeholder]
        ids: list[str] = []
        for start in range(0, len(dns), CHUNK):
            wanted = self.dn_filter(dns[start : start + CHUNK])
            ids += [
                self.id_of(r)
                for r in self.user_entries(conn, wanted, [self.configured.id_attribute])
            ]
        return tuple(sorted(ids))

    @hookimpl
    def idconnect_get_group(self, group_id: str) -> Group:
        """Read a group and resolve its member DNs to account ids."""
        member = self.configured.member_attribute

        def run(conn: ldap3.Connection) -> Group:
            raw = self.find_group(conn, group_id, [*self._group_attributes, member])
            return self._group(raw, self._member_ids(conn, text_values(raw.get(member))))

        return self.run(run)

    def _account_dns(self, account_ids: Sequence[str]) -> dict[str, str]:
        found = self.resolve(list(account_ids), [self.configured.id_attribute])
        missing = [m for m in account_ids if m not in found]
        if missing:
            raise NotFound(
                f"no account with id {missing[0]!r}", store=self.name, account=missing[0]
            )
        return {i: raw.dn for i, raw in found.items()}

    def _refuse_taken(self, conn: ldap3.Connection, name: str, own: str | None = None) -> None:
        """Refuse a name another group has (the directory's matching rule: ignoring case)."""
        wanted = f"({self.configured.group_name_attribute}={escape_filter_chars(name)})"
        if any(self.id_of(raw) != own for raw in self.group_entries(conn, wanted, [])):
            raise Conflict(
                f"a group named {name!r} exists", store=self.name, attribute="displayName"
            )

    @hookimpl
    def idconnect_create_group(self, group: Group) -> Group:
        """Add a group entry; an empty group holds the placeholder member."""
        p = self.configured
        name_attr = p.group_name_attribute
        name = check_value(group.display_name, "displayName")
        dns = self._account_dns(group.members)

        def run(conn: ldap3.Connection) -> Group:
            self._refuse_taken(conn, name)
            members = [dns[m] for m in group.members] or [self.settings.empty_member]
            dn = f"{name_attr}={escape_rdn(name)},{self.settings.groups_base}"
            conn.add(dn, [p.group_object_class], {name_attr: name, p.member_attribute: members})
            check(conn.result, store=self.name, what="create group")
            conn.search(
                dn,
                "(objectClass=*)",
                ldap3.BASE,
                attributes=[p.id_attribute, *self._group_attributes],
            )
            check(conn.result, store=self.name, what="read the group")
            return self._group(Raw(conn.response[0]), tuple(sorted(group.members)))

        return self.run(run)

    def _renamed_rdn(self, dn: str, name: str) -> str | None:
        """The entry's RDN with its name attribute's value replaced; ``None`` when not in it."""
        components = []
        for attribute, value, separator in parse_dn(dn):
            components.append((attribute, value))
            if separator != "+":
                break
        wanted = self.configured.group_name_attribute.lower()
        if all(attribute.lower() != wanted for attribute, _ in components):
            return None
        return "+".join(
            f"{a}={escape_rdn(name)}" if a.lower() == wanted else f"{a}={v}" for a, v in components
        )

    @hookimpl
    def idconnect_rename_group(self, group_id: str, display_name: str) -> Group:
        """Rename a group: a modrdn when the name is in its RDN, else a modify; the id stays.

        :raises NotFound: when no group has the id.
        :raises Conflict: when another group has the name (the same check as on create).
        """
        name_attr = self.configured.group_name_attribute
        name = check_value(display_name, "displayName")

        def run(conn: ldap3.Connection) -> None:
            raw = self.find_group(conn, group_id, [name_attr])
            if raw.first(name_attr) == name:
                return
            self._refuse_taken(conn, name, self.id_of(raw))
            rdn = self._renamed_rdn(raw.dn, name)
            if rdn is not None:
                conn.modify_dn(raw.dn, rdn, delete_old_dn=True)
            else:
                conn.modify(raw.dn, {name_attr: [(ldap3.MODIFY_REPLACE, [name])]})
            check(conn.result, store=self.name, what="rename group")

        self.run(run)
        return self.idconnect_get_group(group_id)

    @hookimpl
    def idconnect_delete_group(self, group_id: str) -> None:
        """Delete the group entry; member accounts stay."""

        def run(conn: ldap3.Connection) -> None:
            raw = self.find_group(conn, group_id)
            conn.delete(raw.dn)
            check(conn.result, store=self.name, what="delete group")

        self.run(run)

    def _membership(self, group_id: str, account_id: str) -> tuple[str, str]:
        def run(conn: ldap3.Connection) -> tuple[str, str]:
            group = self.find_group(conn, group_id)
            account = self.find_account(conn, account_id, [self.configured.id_attribute])
            return group.dn, account.dn

        return self.run(run)

    @hookimpl
    def idconnect_add_group_member(self, group_id: str, account_id: str) -> None:
        """Add the account's DN to the member attribute, then drop the placeholder."""
        group_dn, account_dn = self._membership(group_id, account_id)
        member = self.configured.member_attribute
        placeholder = self.settings.empty_member

        def run(conn: ldap3.Connection) -> None:
            answer_lost(
                lambda: conn.modify(group_dn, {member: [(ldap3.MODIFY_ADD, [account_dn])]}),
                store=self.name,
                what="add member",
                account=account_id,
            )
            check(
                conn.result,
                store=self.name,
                what="add member",
                account=account_id,
                ok=frozenset({0, 20}),
            )
            # the member is in: a lost answer now is settled by re-reading, never "failed"
            answer_lost(
                lambda: conn.modify(group_dn, {member: [(ldap3.MODIFY_DELETE, [placeholder])]}),
                store=self.name,
                what="drop the placeholder member",
                account=account_id,
            )
            check(
                conn.result,
                store=self.name,
                what="drop the placeholder member",
                ok=frozenset({0, 16}),
            )

        self.run(run)

    @hookimpl
    def idconnect_remove_group_member(self, group_id: str, account_id: str) -> None:
        """Delete the account's DN from the member attribute (the placeholder keeps it valid)."""
        group_dn, account_dn = self._membership(group_id, account_id)
        self.run(lambda conn: self.remove_member(conn, group_dn, account_dn))
