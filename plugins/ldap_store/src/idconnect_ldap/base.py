"""The state every operation family shares, and finding entries across the configured bases.

The state is the settings, the connection pool and what the directory supports.

What the directory supports is learnt on first use (:func:`idconnect_ldap.discovery.discover`)
and kept in a :class:`View`: the profile narrowed to the attribute types the directory defines,
the status strategy that can work there, the catalogue and the filter compilers built from them.
:meth:`LdapBase.forget` drops it (``idconnect_refresh``), and the next call learns it again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TypeVar

import ldap3  # type: ignore[import-untyped]
from attrs import evolve, frozen
from ldap3.utils.conv import escape_filter_chars  # type: ignore[import-untyped]

from idconnect.backend import (
    GROUP_CATALOGUE,
    USER_CATALOGUE,
    AttrPath,
    Catalogue,
    CompareOp,
    Comparison,
    GroupRef,
    IdconnectError,
    NotFound,
    StoreConfig,
)
from idconnect_ldap.custom import CustomAttribute, learn_custom
from idconnect_ldap.discovery import Directory, discover
from idconnect_ldap.entries import Raw, text_values
from idconnect_ldap.expressions import Compiled, conjoin, disjoin
from idconnect_ldap.filters import FilterCompiler
from idconnect_ldap.pool import ConnectionPool
from idconnect_ldap.protocol import paged_entries
from idconnect_ldap.settings import Base, Profile, Settings, read_settings
from idconnect_ldap.status import FlagStatus, PpolicyStatus, ShadowStatus, Status, UacStatus
from idconnect_ldap.values import guid_from_bytes

__all__ = ["CHUNK", "LdapBase", "View"]

T = TypeVar("T")

CHUNK = 100
"""Ids or DNs per OR-filter when resolving many at once."""
_MEMBER_CHUNK = 500
"""Accounts per member-attribute search for their groups (one search per page, mostly)."""


@frozen
class View:
    """The store as it works on this directory, derived from the settings and the discovery."""

    directory: Directory
    """What the directory supports."""
    profile: Profile
    """The configured profile without the attributes the directory does not define."""
    status: Status | None
    """How accounts are enabled and disabled; ``None`` when they cannot be."""
    catalogue: Catalogue
    """The account attributes held and filterable."""
    compiler: FilterCompiler
    """Compiles account filters."""
    group_compiler: FilterCompiler
    """Compiles group filters."""
    account_attributes: list[str]
    """What to read of an account entry."""
    custom: Mapping[str, CustomAttribute]
    """The custom attributes by lower-case name."""


def _status(settings: Settings, directory: Directory) -> Status | None:
    kind = settings.profile.status
    found: Status | None = None
    if kind == "ppolicy":
        found = PpolicyStatus(failures=directory.defines("pwdFailureTime"))
    elif kind == "uac":
        found = UacStatus()
    elif kind == "flag":
        found = FlagStatus(settings.status_attribute, settings.status_flag_means)
    elif kind == "shadow":
        found = ShadowStatus()
    if found is None or not directory.defines(found.attribute):
        return None
    return found


class LdapBase:
    """Settings, pool, discovery and entry lookups shared by the operation families.

    :param config: the store's config (see the plugin's README).
    :raises ConfigError: for a missing or malformed setting.
    """

    def __init__(self, config: StoreConfig) -> None:
        self.settings = read_settings(config)
        self.name = config.name
        self.configured: Profile = self.settings.profile
        self.pool = ConnectionPool(self.settings)
        self._lock = threading.Lock()
        self._view: View | None = None

    # -- discovery ------------------------------------------------------------------------------

    @property
    def view(self) -> View:
        """The store on this directory, learnt on first use.

        :raises StoreUnavailable: when the directory cannot be asked.
        """
        view = self._view
        if view is None:
            with self._lock:
                if self._view is None:
                    self._view = self._learn(self.pool.run(lambda c: discover(c, self.name)))
                view = self._view
        return view

    def run(self, operation: Callable[[ldap3.Connection], T]) -> T:
        """Run an operation on a pooled connection, after learning the directory if needed.

        Learning first keeps discovery out of the operation (it needs a connection of its own).

        :param operation: does the LDAP calls.
        :returns: what it returned.
        :raises StoreUnavailable: as :meth:`ConnectionPool.run`.
        """
        _ = self.view
        return self.pool.run(operation)

    def forget(self) -> None:
        """Drop what was learnt; the next call asks the directory again."""
        with self._lock:
            self._view = None

    def _learn(self, directory: Directory) -> View:
        p = self.configured
        attributes = {
            path: name
            for path, name in p.attributes.items()
            if path == "userName" or directory.defines(name)
        }
        member_of = p.member_of_attribute if directory.defines(p.member_of_attribute) else ""
        profile = evolve(p, attributes=attributes, member_of_attribute=member_of)
        status = _status(self.settings, directory)
        paths = ["id", *attributes, "groups.value", "groups.display"]
        if status is not None:
            paths.append("active")
            if status.kind == "ppolicy" and status.failure_attribute:
                paths.append("failedAttempts.password")
        read = [p.id_attribute, p.version_attribute, *attributes.values()]
        if member_of:
            read.append(member_of)
        if status is not None:
            read += status.attributes
        custom = learn_custom(self.settings.custom, directory, self._reserved(read), self.name)
        held = USER_CATALOGUE.only([d.path for d in USER_CATALOGUE if d.path in paths])
        catalogue = Catalogue((*held, *(c.definition for c in custom.values())))
        members = None if member_of else self._members_of_groups
        compiler = FilterCompiler(
            profile,
            catalogue,
            self._group_dn,
            self._group_dns,
            status=status,
            group_members=members,
            custom=custom,
        )
        group_profile = evolve(
            profile, attributes={"displayName": p.group_name_attribute}, placeholders={}
        )
        group_compiler = FilterCompiler(
            group_profile, GROUP_CATALOGUE, self._group_dn, self._group_dns, status=None
        )
        return View(
            directory=directory,
            profile=profile,
            status=status,
            catalogue=catalogue,
            compiler=compiler,
            group_compiler=group_compiler,
            account_attributes=[*read, *(c.name for c in custom.values())],
            custom=custom,
        )

    def _reserved(self, read: Iterable[str]) -> dict[str, str]:
        """The LDAP attributes the store itself uses (no custom attribute may take one)."""
        p, s = self.configured, self.settings
        names = {n.lower(): f"{path!r}" for path, n in p.attributes.items()}
        names.update(
            {n.lower(): "the account entry itself" for n in read if n.lower() not in names}
        )
        own = [p.rdn_attribute, p.dn_attribute, *p.user_name_mirrors, "objectClass", *s.templates]
        own += [s.status_attribute, s.id_range.attribute if s.id_range else ""]
        names.update({n.lower(): "the account entry itself" for n in own if n})
        return names

    # -- reading entries ------------------------------------------------------------------------

    def id_of(self, raw: Raw) -> str:
        """The stable id of an entry.

        :param raw: an entry read with the id attribute.
        :returns: the canonical lower-case UUID text.
        :raises IdconnectError: when the entry has no id attribute.
        """
        attribute = self.configured.id_attribute
        values = raw.get(attribute)
        if not values:
            raise IdconnectError(f"entry {raw.dn!r} has no {attribute}", store=self.name)
        if attribute == "objectGUID":
            return guid_from_bytes(values[0])
        return values[0].decode("ascii")

    def order_key(self, raw: Raw) -> bytes:
        """The id as the directory orders it (entryUUID text, objectGUID bytes).

        :param raw: an entry read with the id attribute.
        :returns: the sort key.
        """
        values = raw.get(self.configured.id_attribute)
        return bytes(values[0]) if values else b""

    def id_filter(self, entry_id: str) -> Compiled:
        """An exact filter for one id (``False`` for text that is no canonical id).

        :param entry_id: an account or group id.
        :returns: the compiled filter.
        """
        return self.view.compiler.compile(Comparison(AttrPath("id"), CompareOp.EQ, entry_id))

    def dn_filter(self, dns: Sequence[str]) -> Compiled:
        """A filter matching the entries with these DNs.

        :param dns: DNs.
        :returns: an OR of ``entryDN`` (``distinguishedName``) tests, ``False`` for none.
        """
        attribute = self.configured.dn_attribute
        return disjoin([f"({attribute}={escape_filter_chars(dn)})" for dn in dns])

    def _entries(
        self,
        conn: ldap3.Connection,
        bases: Iterable[Base],
        object_class: str,
        extra: Compiled,
        attributes: list[str],
    ) -> list[Raw]:
        wanted = conjoin([f"(objectClass={object_class})", extra])
        if wanted is False:
            return []
        found: dict[str, Raw] = {}
        for base in bases:
            for item in paged_entries(
                conn,
                base=base.dn,
                scope=base.scope,
                ldap_filter=str(wanted),
                attributes=attributes,
                page_size=self.settings.page_size,
                limit=None,
                controls=[],
                store=self.name,
            ):
                raw = Raw(item)
                found.setdefault(raw.dn.lower(), raw)
        return list(found.values())

    def user_entries(
        self, conn: ldap3.Connection, extra: Compiled, attributes: list[str]
    ) -> list[Raw]:
        """Every account entry matching a filter, over all user bases.

        :param conn: a pooled connection.
        :param extra: the filter (ANDed with the user object class).
        :param attributes: attributes to read.
        :returns: the entries, each once.
        """
        return self._entries(
            conn, self.settings.user_bases, self.configured.user_class, extra, attributes
        )

    def group_entries(
        self, conn: ldap3.Connection, extra: Compiled, attributes: list[str]
    ) -> list[Raw]:
        """Every group entry matching a filter, read with its id.

        :param conn: a pooled connection.
        :param extra: the filter (ANDed with the group object class).
        :param attributes: attributes to read besides the id.
        :returns: the entries.
        """
        s = self.settings
        return self._entries(
            conn,
            [Base(s.groups_base, s.groups_scope)],
            self.configured.group_object_class,
            extra,
            [self.configured.id_attribute, *attributes],
        )

    def find_account(
        self, conn: ldap3.Connection, account_id: str, attributes: list[str] | None = None
    ) -> Raw:
        """The entry of one account.

        :param conn: a pooled connection.
        :param account_id: its id.
        :param attributes: what to read (default: everything an account shows).
        :returns: the entry.
        :raises NotFound: when no account has this id.
        """
        read = attributes or self.view.account_attributes
        found = self.user_entries(conn, self.id_filter(account_id), read)
        if not found:
            raise NotFound(
                f"no account with id {account_id!r}", store=self.name, account=account_id
            )
        return found[0]

    def find_group(
        self, conn: ldap3.Connection, group_id: str, attributes: list[str] | None = None
    ) -> Raw:
        """The entry of one group.

        :param conn: a pooled connection.
        :param group_id: its id.
        :param attributes: what to read besides the id.
        :returns: the entry.
        :raises NotFound: when no group has this id.
        """
        found = self.group_entries(conn, self.id_filter(group_id), attributes or [])
        if not found:
            raise NotFound(f"no group with id {group_id!r}", store=self.name)
        return found[0]

    def resolve(self, account_ids: Sequence[str], attributes: list[str]) -> dict[str, Raw]:
        """Find many accounts with OR-filters of ids, :data:`CHUNK` at a time.

        :param account_ids: ids.
        :param attributes: what to read (include the id attribute).
        :returns: the entries found, by id.
        """

        def run(conn: ldap3.Connection) -> dict[str, Raw]:
            found: dict[str, Raw] = {}
            for start in range(0, len(account_ids), CHUNK):
                chunk = account_ids[start : start + CHUNK]
                wanted = disjoin([self.id_filter(i) for i in chunk])
                for raw in self.user_entries(conn, wanted, attributes):
                    found[self.id_of(raw)] = raw
            return found

        return self.run(run)

    def _group_dn(self, group_id: str) -> str | None:
        def find(conn: ldap3.Connection) -> str | None:
            found = self.group_entries(conn, self.id_filter(group_id), [])
            return found[0].dn if found else None

        return self.pool.run(find)

    def _group_dns(self, ldap_filter: str) -> list[str]:
        return self.pool.run(lambda conn: [r.dn for r in self.group_entries(conn, ldap_filter, [])])

    def _members_of_groups(self, groups: Compiled) -> list[str]:
        """The member DNs (placeholder left out) of the groups a filter matches."""
        member = self.configured.member_attribute
        placeholder = self.settings.empty_member.lower()

        def run(conn: ldap3.Connection) -> list[str]:
            return [
                dn
                for raw in self.group_entries(conn, groups, [member])
                for dn in text_values(raw.get(member))
                if dn.lower() != placeholder
            ]

        return self.pool.run(run)

    def group_refs(self, conn: ldap3.Connection, raws: Sequence[Raw]) -> dict[str, list[GroupRef]]:
        """The groups of some account entries, by the account's lower-case DN.

        With ``memberOf`` the accounts' own values are resolved; without it, the groups whose
        member attribute lists the accounts are searched, 500 accounts at a time.

        :param conn: a pooled connection.
        :param raws: account entries (read with ``memberOf`` when the directory has it).
        :returns: each account's groups, ordered by id.
        """
        p = self.view.profile
        name = p.group_name_attribute
        refs: dict[str, list[GroupRef]] = {raw.dn.lower(): [] for raw in raws}
        if p.member_of_attribute:
            dns = sorted({dn for raw in raws for dn in text_values(raw.get(p.member_of_attribute))})
            groups: dict[str, GroupRef] = {}
            for start in range(0, len(dns), CHUNK):
                for group in self.group_entries(
                    conn, self.dn_filter(dns[start : start + CHUNK]), [name]
                ):
                    groups[group.dn.lower()] = GroupRef(
                        value=self.id_of(group), display=group.first(name)
                    )
            for raw in raws:
                found = [
                    groups.get(dn.lower()) for dn in text_values(raw.get(p.member_of_attribute))
                ]
                refs[raw.dn.lower()] = [g for g in found if g is not None]
        else:
            member = p.member_attribute
            accounts = [raw.dn for raw in raws]
            for start in range(0, len(accounts), _MEMBER_CHUNK):
                chunk = accounts[start : start + _MEMBER_CHUNK]
                wanted = disjoin([f"({member}={escape_filter_chars(dn)})" for dn in chunk])
                for group in self.group_entries(conn, wanted, [name, member]):
                    ref = GroupRef(value=self.id_of(group), display=group.first(name))
                    for dn in text_values(group.get(member)):
                        if dn.lower() in refs:
                            refs[dn.lower()].append(ref)
        return {dn: sorted(found, key=lambda r: r.value) for dn, found in refs.items()}
