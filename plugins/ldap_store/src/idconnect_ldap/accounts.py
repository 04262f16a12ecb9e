"""Accounts: reading entries as accounts, searching, creating, updating and deleting them.

New entries are named by the RDN attribute under ``users_create_base`` and get the mapped
values, the status strategy's attributes, the configured templates and an allocated number
(:mod:`idconnect_ldap.templates`). Updates carry an Assertion control on the version attribute
(``entryCSN``) when the directory supports it, and rename the entry when its RDN value changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import ldap3  # type: ignore[import-untyped]
from ldap3.utils.conv import escape_filter_chars  # type: ignore[import-untyped]
from ldap3.utils.dn import escape_rdn  # type: ignore[import-untyped]

from idconnect.backend import (
    CUSTOM_CHANGES,
    Account,
    Conflict,
    Email,
    FailedAttempts,
    GroupRef,
    InvalidInput,
    Name,
    Page,
    PhoneNumber,
    Query,
    evaluate,
    hookimpl,
)
from idconnect_ldap.custom import custom_values, ldap_values
from idconnect_ldap.entries import Raw, check_value, text_values
from idconnect_ldap.errors import check
from idconnect_ldap.paging import PagingMixin
from idconnect_ldap.pool import answer_lost
from idconnect_ldap.protocol import ASSERTION_OID, Control, assertion
from idconnect_ldap.templates import Allocator, fill_templates
from idconnect_ldap.values import filetime_to_datetime, parse_generalized_time

__all__ = ["AccountsMixin"]

_RETRIES = 5
"""Numbers tried when another process allocated the same one meanwhile."""


class AccountsMixin(PagingMixin):
    """The account hooks."""

    _allocator: Allocator | None = None

    # -- entries as accounts ---------------------------------------------------------------------

    def _instant(self, raw: Raw, path: str) -> Any:
        name = self.view.profile.attributes.get(path)
        value = raw.first(name) if name else None
        if value is None:
            return None
        if name == "lastLogonTimestamp":
            return filetime_to_datetime(int(value))
        return parse_generalized_time(value)

    def account(self, raw: Raw, groups: Mapping[str, list[GroupRef]]) -> Account:
        """Build an account from its entry.

        :param raw: the entry, read with the view's account attributes.
        :param groups: groups by lower-case account DN (see :meth:`LdapBase.group_refs`).
        :returns: the account (status and counters only as the directory holds them).
        """
        view = self.view
        p = view.profile

        def one(path: str) -> str | None:
            name = p.attributes.get(path)
            value = raw.first(name) if name else None
            if value is not None and name is not None and p.placeholders.get(name) == value:
                return None
            return value

        def many(path: str) -> list[str]:
            name = p.attributes.get(path)
            return text_values(raw.get(name)) if name else []

        given, family = one("name.givenName"), one("name.familyName")
        status = view.status
        return Account(
            id=self.id_of(raw),
            user_name=one("userName") or "",
            name=Name(given_name=given, family_name=family) if given or family else None,
            display_name=one("displayName"),
            emails=tuple(Email(value=v) for v in many("emails.value")),
            phone_numbers=tuple(PhoneNumber(value=v) for v in many("phoneNumbers.value")),
            active=status.active(raw) if status is not None else True,
            organization=one("organization"),
            created=self._instant(raw, "meta.created"),
            last_modified=self._instant(raw, "meta.lastModified"),
            last_login=self._instant(raw, "lastLogin"),
            failed_attempts=FailedAttempts(password=status.failures(raw) if status else 0),
            groups=tuple(groups.get(raw.dn.lower(), ())),
            version=raw.first(p.version_attribute),
            attributes=custom_values(view.custom, raw.get),
        )

    def read_account(self, conn: ldap3.Connection, account_id: str) -> Account:
        """Read one account with its groups.

        :param conn: a pooled connection.
        :param account_id: the id.
        :returns: the account.
        :raises NotFound: when no account has this id.
        """
        raw = self.find_account(conn, account_id)
        return self.account(raw, self.group_refs(conn, [raw]))

    @hookimpl
    def idconnect_get_account(self, account_id: str) -> Account:
        """Read one account by its stable id."""
        return self.run(lambda conn: self.read_account(conn, account_id))

    @hookimpl
    def idconnect_search_accounts(self, query: Query) -> Page[Account]:
        """Search with a compiled filter, ordered by id, resuming from a keyset cursor."""
        view = self.view
        compiled = view.compiler.compile(query.filter) if query.filter is not None else True

        def build(conn: ldap3.Connection, raws: list[Raw]) -> list[Account]:
            groups = self.group_refs(conn, raws)
            return [self.account(raw, groups) for raw in raws]

        return self.search(
            query,
            compiled,
            bases=self.settings.user_bases,
            object_class=self.configured.user_class,
            attributes=view.account_attributes,
            build=build,
            keep=lambda a: query.filter is None or evaluate(query.filter, a, view.catalogue),
        )

    # -- writing ----------------------------------------------------------------------------------

    def _ldap_values(self, changes: Mapping[str, Any]) -> dict[str, list[str]]:
        """Map canonical changes to LDAP attribute values (an empty list clears)."""
        p = self.view.profile
        out: dict[str, list[str]] = {}

        def put(path: str, values: list[str]) -> None:
            name = p.attributes.get(path)
            if name is None:
                if values:
                    raise InvalidInput(
                        f"this store does not hold {path!r}", store=self.name, attribute=path
                    )
                return
            checked = [check_value(v, path) for v in values]
            if name in p.ia5_attributes and not all(v.isascii() for v in checked):
                raise InvalidInput(
                    f"{path} must be ASCII: the directory's {name!r} is an IA5String",
                    attribute=path,
                )
            marker = p.placeholders.get(name)
            if marker is not None and marker in checked:
                raise InvalidInput(f"{path} cannot be {marker!r} in this directory", attribute=path)
            out[name] = checked or ([marker] if marker is not None else [])

        for key, value in changes.items():
            if key == "userName":
                put("userName", [value])
                for mirror in p.user_name_mirrors:
                    out[mirror] = [value]
            elif key in ("displayName", "organization"):
                put(key, [value] if value else [])
            elif key == "name":
                name = value or Name()
                put("name.givenName", [name.given_name] if name.given_name else [])
                put("name.familyName", [name.family_name] if name.family_name else [])
            elif key == "emails":
                put("emails.value", [e.value for e in value or ()])
            elif key == "phoneNumbers":
                put("phoneNumbers.value", [p.value for p in value or ()])
            elif key == CUSTOM_CHANGES:
                out.update(self._custom_ldap_values(value))
            elif value not in (None, ()):
                raise InvalidInput(f"this store does not hold {key!r}", attribute=key)
        return out

    def _custom_ldap_values(self, values: Mapping[str, Any]) -> dict[str, list[str]]:
        """Map typed custom values (``None`` clears) to their LDAP attributes' values."""
        custom = self.view.custom
        out: dict[str, list[str]] = {}
        for name, value in values.items():
            attr = custom.get(name.lower())
            if attr is None:
                raise InvalidInput(
                    f"this store does not hold {name!r}", store=self.name, attribute=name
                )
            out[attr.name] = ldap_values(attr, value, self.name)
        return out

    def _check_unique(self, conn: ldap3.Connection, user_name: str, except_id: str | None) -> None:
        name = self.configured.attributes["userName"]
        found = self.user_entries(
            conn, f"({name}={escape_filter_chars(user_name)})", [self.configured.id_attribute]
        )
        if any(self.id_of(raw) != except_id for raw in found):
            raise Conflict(
                f"userName {user_name!r} is taken", store=self.name, attribute="userName"
            )

    def _new_entry(self, account: Account, number: int | None) -> dict[str, Any]:
        values = self._ldap_values(
            {
                "userName": account.user_name,
                "displayName": account.display_name,
                "organization": account.organization,
                "name": account.name,
                "emails": account.emails,
                "phoneNumbers": account.phone_numbers,
                CUSTOM_CHANGES: account.attributes,
            }
        )
        attributes: dict[str, Any] = {
            **fill_templates(self.settings, account.user_name, number),
            **{k: v for k, v in values.items() if v},
        }
        status = self.view.status
        if status is not None:
            attributes.update(status.created(account.active))
        elif not account.active:
            raise InvalidInput(
                "this directory holds no account status: a new account cannot be disabled",
                store=self.name,
                attribute="active",
            )
        if number is not None and self.settings.id_range is not None:
            attributes[self.settings.id_range.attribute] = [str(number)]
        return attributes

    @hookimpl
    def idconnect_create_account(self, account: Account) -> Account:
        """Add an entry named by the RDN attribute under ``users_create_base``."""
        attributes = self._new_entry(account, None)  # checks every value before any I/O
        rdn = self.configured.rdn_attribute
        if rdn not in attributes:
            raise InvalidInput(f"a new account needs a value for its RDN attribute {rdn!r}")
        dn = f"{rdn}={escape_rdn(attributes[rdn][0])},{self.settings.users_create_base}"
        id_range = self.settings.id_range
        with self._lock:
            if id_range is not None and self._allocator is None:
                self._allocator = Allocator(id_range, self.name)

        def add(conn: ldap3.Connection, values: dict[str, Any]) -> None:
            conn.add(dn, list(self.configured.user_object_classes), values)
            if (conn.result or {}).get("result") == 68:
                raise Conflict(
                    f"an entry named {rdn}={attributes[rdn][0]!r} exists",
                    store=self.name,
                    attribute="userName",
                )
            check(conn.result, store=self.name, what="create account")

        def run(conn: ldap3.Connection) -> Account:
            self._check_unique(conn, account.user_name, None)
            allocator = self._allocator
            if allocator is None:
                add(conn, attributes)
            else:
                bases = self.settings.user_bases
                for _ in range(_RETRIES):
                    number = allocator.candidate(conn, bases)
                    add(conn, self._new_entry(account, number))
                    if not allocator.collided(conn, bases, number):
                        break
                    conn.delete(dn)
                    check(conn.result, store=self.name, what="undo a colliding account")
                else:
                    raise Conflict(
                        f"{allocator.range.attribute} collided {_RETRIES} times",
                        store=self.name,
                    )
            conn.search(dn, "(objectClass=*)", ldap3.BASE, attributes=self.view.account_attributes)
            check(conn.result, store=self.name, what="read the new account")
            return self.account(Raw(conn.response[0]), {})

        return self.run(run)

    def _version_control(self, expected: str | None) -> list[Control]:
        if expected is None or ASSERTION_OID not in self.view.directory.controls:
            return []
        attribute = self.configured.version_attribute
        return [assertion(f"({attribute}={escape_filter_chars(expected)})")]

    @hookimpl
    def idconnect_update_account(
        self, account_id: str, changes: Mapping[str, Any], expected_version: str | None
    ) -> Account:
        """Modify with an Assertion control on ``entryCSN``; rename when the RDN value changes."""
        values = self._ldap_values(changes)
        rdn = self.configured.rdn_attribute

        def run(conn: ldap3.Connection) -> Account:
            raw = self.find_account(conn, account_id)
            current = raw.first(self.configured.version_attribute)
            controls = self._version_control(expected_version)
            if expected_version is not None and not controls and current != expected_version:
                raise Conflict(
                    f"version {expected_version} is stale (current is {current})",
                    store=self.name,
                    account=account_id,
                )
            if "userName" in changes:
                self._check_unique(conn, changes["userName"], account_id)
            new_rdn = values.pop(rdn, None)
            modify = {k: [(ldap3.MODIFY_REPLACE, v)] for k, v in values.items()}
            if modify:
                conn.modify(raw.dn, modify, controls=controls or None)
                check(conn.result, store=self.name, what="update account", account=account_id)
                controls = []
            if new_rdn and raw.first(rdn) != new_rdn[0]:
                conn.modify_dn(
                    raw.dn,
                    f"{rdn}={escape_rdn(new_rdn[0])}",
                    delete_old_dn=True,
                    controls=controls or None,
                )
                if (conn.result or {}).get("result") == 68:
                    raise Conflict(
                        f"an entry named {rdn}={new_rdn[0]!r} exists",
                        store=self.name,
                        account=account_id,
                    )
                check(conn.result, store=self.name, what="rename account", account=account_id)
            return self.read_account(conn, account_id)

        return self.run(run)

    @hookimpl
    def idconnect_delete_account(self, account_id: str) -> None:
        """Remove the account from its groups, then delete its entry."""
        member = self.configured.member_attribute

        def run(conn: ldap3.Connection) -> None:
            raw = self.find_account(conn, account_id, [self.configured.id_attribute])
            for group in self.group_entries(conn, f"({member}={escape_filter_chars(raw.dn)})", []):
                self.remove_member(conn, group.dn, raw.dn)
            answer_lost(
                lambda: conn.delete(raw.dn),
                store=self.name,
                what="delete account",
                account=account_id,
            )
            check(conn.result, store=self.name, what="delete account", account=account_id)

        self.run(run)

    def remove_member(self, conn: ldap3.Connection, group_dn: str, account_dn: str) -> None:
        """Delete a DN from a group's member attribute; the placeholder keeps a group valid.

        :param conn: a pooled connection.
        :param group_dn: the group.
        :param account_dn: the member.
        :raises IdconnectError: as :func:`idconnect_ldap.errors.check`.
        """
        member = self.configured.member_attribute
        placeholder = self.settings.empty_member
        answer_lost(
            lambda: conn.modify(group_dn, {member: [(ldap3.MODIFY_DELETE, [account_dn])]}),
            store=self.name,
            what="remove member",
        )
        code = check(conn.result, store=self.name, what="remove member", ok=frozenset({0, 16, 65}))
        if code == 65:  # the last member: groupOfNames needs one, so the placeholder stays
            answer_lost(
                lambda: conn.modify(group_dn, {member: [(ldap3.MODIFY_REPLACE, [placeholder])]}),
                store=self.name,
                what="remove the last member",
            )
            check(conn.result, store=self.name, what="remove the last member")
