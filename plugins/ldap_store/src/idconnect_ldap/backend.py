"""The LDAP store: idconnect hooks over a directory, through a pool of ldap3 connections.

Ids are the directory's stable ids (``entryUUID``, ``objectGUID``), never DNs; versions are
``entryCSN`` (OpenLDAP). Searches compile the filter (:mod:`idconnect_ldap.filters`), read
results sorted by the id with the Server Side Sort control and Simple Paged Results, and resume
from a keyset cursor holding the last id seen, so a cursor printed in one process resumes in
another: the next page is ``(&(filter)(entryUUID>=last)(!(entryUUID=last)))`` sorted by
``entryUUID`` (``UUIDOrderingMatch``). A first page is first asked for without the sort
control, with a size limit of ``count + 1``: when every match fits in that one page, those few
entries are ordered by id here and no cursor is returned, so the common small search costs the
server no sorting. Candidate entries are rechecked with the reference
evaluator (see the filters module for why LDAP may match more); a page may then hold fewer
than ``count`` items while ``next_cursor`` is set.

Bulk status changes resolve a batch's ids with OR-filters of ids (100 per search), then send
the modifies pipelined on one connection (:mod:`idconnect_ldap.pipeline`); every account gets
its own outcome.

Not implemented, so the facade raises ``NotSupported``: roles (no honest mapping in a plain
directory), sessions (not kept in a directory), authenticators other than the password, and
sorting (``sortBy``): the server-side sort control cannot honour the project's order (missing
values last in both directions, ties broken by id) nor resume in another process.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import ldap3
from ldap3.utils.conv import escape_filter_chars
from ldap3.utils.dn import escape_rdn

from idconnect.core.config import StoreConfig
from idconnect.core.errors import (
    Conflict,
    IdconnectError,
    InvalidInput,
    NotFound,
    NotSupported,
)
from idconnect.core.filter import evaluate
from idconnect.core.model import (
    Account,
    Email,
    FailedAttempts,
    Group,
    GroupRef,
    Name,
    Outcome,
    PhoneNumber,
    Secret,
)
from idconnect.core.plugins import hookimpl
from idconnect.core.query import Page, Query, decode_cursor, encode_cursor
from idconnect.core.schema import GROUP_CATALOGUE, USER_CATALOGUE, Catalogue
from idconnect_ldap.filters import Compiled, FilterCompiler, conjoin, disjoin
from idconnect_ldap.pipeline import modify_many
from idconnect_ldap.pool import ConnectionPool
from idconnect_ldap.protocol import (
    ASSERTION_OID,
    RELAX,
    SORT_OID,
    Control,
    assertion,
    check,
    entries_within,
    paged_entries,
    sort_by,
)
from idconnect_ldap.settings import Profile, read_settings
from idconnect_ldap.values import (
    ADMIN_LOCK,
    filetime_to_datetime,
    guid_from_bytes,
    parse_generalized_time,
    uac_is_disabled,
    uac_with_disabled,
    unicode_pwd,
)

__all__ = ["LdapStore"]

_CHUNK = 100
"""Ids or DNs per OR-filter when resolving many at once."""

Entry = dict[str, Any]


def _text(values: Sequence[bytes] | None) -> list[str]:
    return [v.decode("utf-8") for v in values or ()]


def _first(values: Sequence[bytes] | None) -> str | None:
    return values[0].decode("utf-8") if values else None


class _Raw:
    """An entry's DN and attributes with case-insensitive names."""

    __slots__ = ("attrs", "dn")

    def __init__(self, item: Entry) -> None:
        self.dn: str = item["dn"]
        self.attrs = {k.lower(): v for k, v in item.get("raw_attributes", {}).items()}

    def get(self, name: str) -> list[bytes]:
        return list(self.attrs.get(name.lower(), ()))


def _check_value(value: str, what: str) -> str:
    if "\x00" in value or value != " ".join(value.split()):
        raise InvalidInput(
            f"{what} must not hold NUL, line breaks, or leading, trailing or repeated spaces"
            " (the directory would not keep them apart)",
            attribute=what,
        )
    return value


class LdapStore:
    """An idconnect store backed by an LDAP directory.

    :param config: the store's config (see :mod:`idconnect_ldap.settings`).
    :raises ConfigError: for a missing or malformed setting.
    """

    def __init__(self, config: StoreConfig) -> None:
        self.settings = read_settings(config)
        self.name = config.name
        self.profile: Profile = self.settings.profile
        self.pool = ConnectionPool(self.settings)
        self._controls: frozenset[str] | None = None
        self._lock = threading.Lock()
        self._catalogue = self._build_catalogue()
        self._compiler = FilterCompiler(
            self.profile, self._catalogue, self._group_dn, self._group_dns
        )
        self._group_compiler = FilterCompiler(
            self._group_profile(), GROUP_CATALOGUE, self._group_dn, self._group_dns
        )

    # -- setup ----------------------------------------------------------------------------------

    def _build_catalogue(self) -> Catalogue:
        paths = ["id", "active", *self.profile.attributes]
        if self.profile.member_of_attribute:
            paths += ["groups.value", "groups.display"]
        if self.profile.status == "ppolicy":
            paths.append("failedAttempts.password")
        return USER_CATALOGUE.only([d.path for d in USER_CATALOGUE if d.path in paths])

    def _group_profile(self) -> Profile:
        from attrs import evolve

        return evolve(
            self.profile,
            attributes={"displayName": self.profile.group_name_attribute},
            placeholders={},
        )

    def _server_controls(self, conn: ldap3.Connection) -> frozenset[str]:
        if self._controls is None:
            conn.search("", "(objectClass=*)", ldap3.BASE, attributes=["supportedControl"])
            check(conn.result, store=self.name, what="read the root DSE")
            found: set[str] = set()
            for item in conn.response or ():
                if item.get("type") == "searchResEntry":
                    found.update(_text(_Raw(item).get("supportedControl")))
            self._controls = frozenset(found)
        return self._controls

    @property
    def _account_attributes(self) -> list[str]:
        p = self.profile
        names = [p.id_attribute, p.version_attribute, *p.attributes.values()]
        if p.member_of_attribute:
            names.append(p.member_of_attribute)
        if p.status == "ppolicy":
            names += ["pwdAccountLockedTime", "pwdFailureTime"]
        else:
            names += ["userAccountControl", "badPwdCount"]
        return names

    # -- reading entries -----------------------------------------------------------------------

    def _id_of(self, raw: _Raw) -> str:
        values = raw.get(self.profile.id_attribute)
        if not values:
            raise IdconnectError(f"entry {raw.dn!r} has no {self.profile.id_attribute}")
        if self.profile.id_attribute == "objectGUID":
            return guid_from_bytes(values[0])
        return values[0].decode("ascii")

    def _order_key(self, raw: _Raw) -> bytes:
        """The id as the server's sort control orders it (entryUUID text, objectGUID bytes)."""
        values = raw.attrs.get(self.profile.id_attribute.lower())
        return bytes(values[0]) if values else b""

    def _instant(self, raw: _Raw, path: str) -> Any:
        name = self.profile.attributes.get(path)
        value = _first(raw.get(name)) if name else None
        if value is None:
            return None
        if name == "lastLogonTimestamp":
            return filetime_to_datetime(int(value))
        return parse_generalized_time(value)

    def _account(self, raw: _Raw, groups: Mapping[str, GroupRef]) -> Account:
        p = self.profile
        attrs = p.attributes

        def one(path: str) -> str | None:
            name = attrs.get(path)
            value = _first(raw.get(name)) if name else None
            if value is not None and name is not None and p.placeholders.get(name) == value:
                return None
            return value

        def many(path: str) -> list[str]:
            name = attrs.get(path)
            return _text(raw.get(name)) if name else []

        given, family = one("name.givenName"), one("name.familyName")
        if p.status == "ppolicy":
            active = _first(raw.get("pwdAccountLockedTime")) != ADMIN_LOCK
            failures = len(raw.get("pwdFailureTime"))
        else:
            active = not uac_is_disabled(int(_first(raw.get("userAccountControl")) or "0"))
            failures = int(_first(raw.get("badPwdCount")) or "0")
        member_of = _text(raw.get(p.member_of_attribute)) if p.member_of_attribute else []
        refs = [groups[dn.lower()] for dn in member_of if dn.lower() in groups]
        return Account(
            id=self._id_of(raw),
            user_name=one("userName") or "",
            name=Name(given_name=given, family_name=family) if given or family else None,
            display_name=one("displayName"),
            emails=tuple(Email(value=v) for v in many("emails.value")),
            phone_numbers=tuple(PhoneNumber(value=v) for v in many("phoneNumbers.value")),
            active=active,
            organization=one("organization"),
            created=self._instant(raw, "meta.created"),
            last_modified=self._instant(raw, "meta.lastModified"),
            last_login=self._instant(raw, "lastLogin"),
            failed_attempts=FailedAttempts(password=failures),
            groups=tuple(sorted(refs, key=lambda r: r.value)),
            version=_first(raw.get(p.version_attribute)),
        )

    def _group_refs(self, conn: ldap3.Connection, raws: Iterable[_Raw]) -> dict[str, GroupRef]:
        """Resolve the memberOf DNs of some account entries to group refs, keyed by lower DN."""
        p = self.profile
        if not p.member_of_attribute:
            return {}
        dns = sorted({dn for raw in raws for dn in _text(raw.get(p.member_of_attribute))})
        refs: dict[str, GroupRef] = {}
        for start in range(0, len(dns), _CHUNK):
            chunk = dns[start : start + _CHUNK]
            wanted = disjoin([f"({p.dn_attribute}={escape_filter_chars(dn)})" for dn in chunk])
            for raw in self._group_entries(conn, wanted, [p.group_name_attribute]):
                refs[raw.dn.lower()] = GroupRef(
                    value=self._id_of(raw), display=_first(raw.get(p.group_name_attribute))
                )
        return refs

    def _user_filter(self, extra: Compiled) -> Compiled:
        return conjoin([f"(objectClass={self.profile.user_class})", extra])

    def _id_filter(self, account_id: str) -> Compiled:
        from idconnect.core.filter.ast import AttrPath, CompareOp, Comparison

        return self._compiler.compile(Comparison(AttrPath("id"), CompareOp.EQ, account_id))

    def _user_entries(
        self, conn: ldap3.Connection, extra: Compiled, attributes: list[str]
    ) -> list[_Raw]:
        wanted = self._user_filter(extra)
        if wanted is False:
            return []
        s = self.settings
        return [
            _Raw(item)
            for item in paged_entries(
                conn,
                base=s.users_base,
                scope=s.users_scope,
                ldap_filter=str(wanted) if wanted is not True else "(objectClass=*)",
                attributes=attributes,
                page_size=s.page_size,
                limit=None,
                controls=[],
                store=self.name,
            )
        ]

    def _group_entries(
        self, conn: ldap3.Connection, extra: Compiled, attributes: list[str]
    ) -> list[_Raw]:
        wanted = conjoin([f"(objectClass={self.profile.group_object_class})", extra])
        if wanted is False:
            return []
        s = self.settings
        return [
            _Raw(item)
            for item in paged_entries(
                conn,
                base=s.groups_base,
                scope=s.groups_scope,
                ldap_filter=str(wanted),
                attributes=[self.profile.id_attribute, *attributes],
                page_size=s.page_size,
                limit=None,
                controls=[],
                store=self.name,
            )
        ]

    def _find_account(
        self, conn: ldap3.Connection, account_id: str, attributes: list[str] | None = None
    ) -> _Raw:
        found = self._user_entries(
            conn, self._id_filter(account_id), attributes or self._account_attributes
        )
        if not found:
            raise NotFound(
                f"no account with id {account_id!r}", store=self.name, account=account_id
            )
        return found[0]

    def _find_group(
        self, conn: ldap3.Connection, group_id: str, attributes: list[str] | None = None
    ) -> _Raw:
        found = self._group_entries(conn, self._id_filter(group_id), attributes or [])
        if not found:
            raise NotFound(f"no group with id {group_id!r}", store=self.name)
        return found[0]

    def _group_dn(self, group_id: str) -> str | None:
        def find(conn: ldap3.Connection) -> str | None:
            found = self._group_entries(conn, self._id_filter(group_id), [])
            return found[0].dn if found else None

        return self.pool.run(find)

    def _group_dns(self, ldap_filter: str) -> list[str]:
        return self.pool.run(
            lambda conn: [r.dn for r in self._group_entries(conn, ldap_filter, [])]
        )

    def _read_account(self, conn: ldap3.Connection, account_id: str) -> Account:
        raw = self._find_account(conn, account_id)
        return self._account(raw, self._group_refs(conn, [raw]))

    # -- store-wide -----------------------------------------------------------------------------

    @hookimpl
    def idconnect_catalogue(self) -> Catalogue:
        """Return what the profile maps: no types, primary or verified flags, roles, sessions."""
        return self._catalogue

    @hookimpl
    def idconnect_available_operations(self, implemented: frozenset[str]) -> frozenset[str]:
        """Drop password setting on Active Directory without TLS (unicodePwd needs it)."""
        if self.profile.password == "unicodePwd" and not self.pool.secure:
            return implemented - {"set_password"}
        return implemented

    @hookimpl
    def idconnect_ping(self) -> bool:
        """Read the root DSE."""
        self.pool.run(lambda conn: self._server_controls(conn))
        return True

    @hookimpl
    def idconnect_close(self) -> None:
        """Unbind every pooled connection."""
        self.pool.close()

    # -- accounts -------------------------------------------------------------------------------

    @hookimpl
    def idconnect_get_account(self, account_id: str) -> Account:
        """Read one account by its stable id."""
        return self.pool.run(lambda conn: self._read_account(conn, account_id))

    @hookimpl
    def idconnect_search_accounts(self, query: Query) -> Page[Account]:
        """Search with a compiled filter, sorted by id, resuming from a keyset cursor."""
        compiled = self._compiler.compile(query.filter) if query.filter is not None else True

        def build(conn: ldap3.Connection, raws: list[_Raw]) -> list[Account]:
            groups = self._group_refs(conn, raws)
            return [self._account(raw, groups) for raw in raws]

        return self._search(
            query,
            compiled,
            base=self.settings.users_base,
            scope=self.settings.users_scope,
            object_class=self.profile.user_class,
            attributes=self._account_attributes,
            build=build,
            keep=lambda a: query.filter is None or evaluate(query.filter, a, self._catalogue),
        )

    def _search(
        self,
        query: Query,
        compiled: Compiled,
        *,
        base: str,
        scope: str,
        object_class: str,
        attributes: list[str],
        build: Callable[[ldap3.Connection, list[_Raw]], list[Any]],
        keep: Callable[[Any], bool],
    ) -> Page[Any]:
        if query.sort_by is not None:
            raise NotSupported(
                "this LDAP store cannot sort: the server-side sort control can neither put"
                " missing values last in both directions nor resume in another process",
                store=self.name,
                operation="sort",
            )
        after: str | None = None
        if query.cursor is not None:
            after = decode_cursor(query)
            if not isinstance(after, str):
                raise InvalidInput("the cursor is not valid for this store", store=self.name)
        id_attr = self.profile.id_attribute
        matcher = conjoin([f"(objectClass={object_class})", compiled])

        def run(conn: ldap3.Connection) -> Page[Any]:
            if after is None and query.count < self.settings.page_size:
                few = entries_within(
                    conn,
                    base=base,
                    scope=scope,
                    ldap_filter=str(matcher),
                    attributes=attributes,
                    limit=query.count,
                    store=self.name,
                )
                if few is not None:  # one page holds every match: order it here, no cursor
                    raws = sorted((_Raw(item) for item in few), key=self._order_key)
                    found = [x for x in build(conn, raws) if keep(x)]
                    return Page(items=found, total=len(found) if query.include_total else None)
            sorted_reads = SORT_OID in self._server_controls(conn)
            items: list[Any] = []
            last = after
            exhausted = False
            while len(items) <= query.count and not exhausted:
                want = query.count + 1 - len(items)
                keyset: Compiled = True
                if last is not None:
                    bound = escape_filter_chars(last)
                    keyset = f"(&({id_attr}>={bound})(!({id_attr}={bound})))"
                wanted = conjoin([matcher, keyset])
                if wanted is False:
                    break
                if not sorted_reads and (last is not None):
                    raise NotSupported(
                        "paging across calls needs the server-side sort control",
                        store=self.name,
                    )
                raws = [
                    _Raw(item)
                    for item in paged_entries(
                        conn,
                        base=base,
                        scope=scope,
                        ldap_filter=str(wanted),
                        attributes=attributes,
                        page_size=min(self.settings.page_size, want),
                        limit=want,
                        controls=[sort_by(id_attr)] if sorted_reads else [],
                        store=self.name,
                    )
                ]
                exhausted = len(raws) < want
                if raws:
                    last = self._id_of(raws[-1])
                items.extend(x for x in build(conn, raws) if keep(x))
                if not sorted_reads:
                    if not exhausted:
                        raise NotSupported(
                            "the results span more than one page, and paging across calls"
                            " needs the server-side sort control",
                            store=self.name,
                        )
                    break
            more = len(items) > query.count
            page = items[: query.count]
            total = None
            if query.include_total and query.cursor is None and not more:
                total = len(page)
            elif query.include_total and query.cursor is None:
                total = self._count(conn, base, scope, str(matcher), attributes, build, keep)
            cursor = encode_cursor(query, page[-1].id) if more and page else None
            if more and not page:
                cursor = encode_cursor(query, last)
            return Page(items=page, next_cursor=cursor, total=total)

        if matcher is False:
            return Page(items=(), total=0 if query.include_total else None)
        return self.pool.run(run)

    def _count(
        self,
        conn: ldap3.Connection,
        base: str,
        scope: str,
        ldap_filter: str,
        attributes: list[str],
        build: Callable[[ldap3.Connection, list[_Raw]], list[Any]],
        keep: Callable[[Any], bool],
    ) -> int:
        """Count every match, streaming one server page at a time."""
        total = 0
        batch: list[_Raw] = []
        for item in paged_entries(
            conn,
            base=base,
            scope=scope,
            ldap_filter=ldap_filter,
            attributes=attributes,
            page_size=self.settings.page_size,
            limit=None,
            controls=[],
            store=self.name,
        ):
            batch.append(_Raw(item))
            if len(batch) >= self.settings.page_size:
                total += sum(1 for x in build(conn, batch) if keep(x))
                batch = []
        return total + sum(1 for x in build(conn, batch) if keep(x))

    def _ldap_values(self, changes: Mapping[str, Any]) -> dict[str, list[str]]:
        """Map canonical changes to LDAP attribute values (empty list clears)."""
        attrs = self.profile.attributes
        out: dict[str, list[str]] = {}

        def put(path: str, values: list[str]) -> None:
            name = attrs.get(path)
            if name is None:
                if values:
                    raise InvalidInput(f"this store does not hold {path!r}", attribute=path)
                return
            checked = [_check_value(v, path) for v in values]
            if name in self.profile.ia5_attributes and not all(v.isascii() for v in checked):
                raise InvalidInput(
                    f"{path} must be ASCII: the directory's {name!r} is an IA5String",
                    attribute=path,
                )
            marker = self.profile.placeholders.get(name)
            if marker is not None and marker in checked:
                raise InvalidInput(f"{path} cannot be {marker!r} in this directory", attribute=path)
            out[name] = checked or ([marker] if marker is not None else [])

        for key, value in changes.items():
            if key == "userName":
                put("userName", [value])
                for mirror in self.profile.user_name_mirrors:
                    out[mirror] = [value]
            elif key == "displayName":
                put("displayName", [value] if value else [])
            elif key == "organization":
                put("organization", [value] if value else [])
            elif key == "name":
                name = value or Name()
                put("name.givenName", [name.given_name] if name.given_name else [])
                put("name.familyName", [name.family_name] if name.family_name else [])
            elif key == "emails":
                put("emails.value", [e.value for e in value or ()])
            elif key == "phoneNumbers":
                put("phoneNumbers.value", [p.value for p in value or ()])
            elif value not in (None, ()):
                raise InvalidInput(f"this store does not hold {key!r}", attribute=key)
        return out

    def _check_unique(self, conn: ldap3.Connection, user_name: str, except_id: str | None) -> None:
        name = self.profile.attributes["userName"]
        found = self._user_entries(
            conn, f"({name}={escape_filter_chars(user_name)})", [self.profile.id_attribute]
        )
        if any(self._id_of(raw) != except_id for raw in found):
            raise Conflict(
                f"userName {user_name!r} is taken", store=self.name, attribute="userName"
            )

    @hookimpl
    def idconnect_create_account(self, account: Account) -> Account:
        """Add an entry named by the RDN attribute under ``users_create_base``."""
        values = self._ldap_values(
            {
                "userName": account.user_name,
                "displayName": account.display_name,
                "organization": account.organization,
                "name": account.name,
                "emails": account.emails,
                "phoneNumbers": account.phone_numbers,
            }
        )
        attributes: dict[str, Any] = {k: v for k, v in values.items() if v}
        if not account.active:
            if self.profile.status == "ppolicy":
                attributes["pwdAccountLockedTime"] = [ADMIN_LOCK]
            else:
                attributes["userAccountControl"] = [str(uac_with_disabled(0x200, True))]
        rdn = self.profile.rdn_attribute
        if rdn not in attributes:
            raise InvalidInput(f"a new account needs a value for its RDN attribute {rdn!r}")
        dn = f"{rdn}={escape_rdn(attributes[rdn][0])},{self.settings.users_create_base}"

        def run(conn: ldap3.Connection) -> Account:
            self._check_unique(conn, account.user_name, None)
            conn.add(dn, list(self.profile.user_object_classes), attributes)
            if (conn.result or {}).get("result") == 68:
                raise Conflict(
                    f"an entry named {rdn}={attributes[rdn][0]!r} exists",
                    store=self.name,
                    attribute="userName",
                )
            check(conn.result, store=self.name, what="create account")
            conn.search(dn, "(objectClass=*)", ldap3.BASE, attributes=self._account_attributes)
            check(conn.result, store=self.name, what="read the new account")
            raw = _Raw(conn.response[0])
            return self._account(raw, {})

        return self.pool.run(run)

    def _version_control(self, conn: ldap3.Connection, expected: str | None) -> list[Control]:
        if expected is None:
            return []
        if ASSERTION_OID not in self._server_controls(conn):
            return []
        attribute = self.profile.version_attribute
        return [assertion(f"({attribute}={escape_filter_chars(expected)})")]

    @hookimpl
    def idconnect_update_account(
        self, account_id: str, changes: Mapping[str, Any], expected_version: str | None
    ) -> Account:
        """Modify with an Assertion control on ``entryCSN``; rename when the RDN value changes."""
        values = self._ldap_values(changes)
        rdn = self.profile.rdn_attribute

        def run(conn: ldap3.Connection) -> Account:
            raw = self._find_account(conn, account_id)
            current = _first(raw.get(self.profile.version_attribute))
            controls = self._version_control(conn, expected_version)
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
            if new_rdn and _first(raw.get(rdn)) != new_rdn[0]:
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
            return self._read_account(conn, account_id)

        return self.pool.run(run)

    def _status_change(self, raw: _Raw, enabled: bool) -> dict[str, Any]:
        if self.profile.status == "ppolicy":
            return {
                "pwdAccountLockedTime": [(ldap3.MODIFY_REPLACE, [] if enabled else [ADMIN_LOCK])]
            }
        flags = int(_first(raw.get("userAccountControl")) or "512")
        new = uac_with_disabled(flags, not enabled)
        return {"userAccountControl": [(ldap3.MODIFY_REPLACE, [str(new)])]}

    def _set_enabled(
        self, conn: ldap3.Connection, raw: _Raw, account_id: str, enabled: bool
    ) -> None:
        conn.modify(raw.dn, self._status_change(raw, enabled))
        check(conn.result, store=self.name, what="change account status", account=account_id)

    @hookimpl
    def idconnect_set_account_enabled(self, account_id: str, enabled: bool) -> None:
        """Lock with ppolicy's administrative lock (or the UAC bit), or lift it."""

        def run(conn: ldap3.Connection) -> None:
            raw = self._find_account(conn, account_id, ["userAccountControl"])
            self._set_enabled(conn, raw, account_id, enabled)

        self.pool.run(run)

    def _resolve(self, account_ids: Sequence[str], attributes: list[str]) -> dict[str, _Raw]:
        """Find many accounts with OR-filters of ids, ``_CHUNK`` at a time."""

        def run(conn: ldap3.Connection) -> dict[str, _Raw]:
            found: dict[str, _Raw] = {}
            for start in range(0, len(account_ids), _CHUNK):
                chunk = account_ids[start : start + _CHUNK]
                wanted = disjoin([self._id_filter(i) for i in chunk])
                for raw in self._user_entries(conn, wanted, attributes):
                    found[self._id_of(raw)] = raw
            return found

        return self.pool.run(run)

    @hookimpl
    def idconnect_bulk_set_accounts_enabled(
        self, account_ids: Sequence[str], enabled: bool
    ) -> list[Outcome]:
        """Resolve the ids with OR-filters, then pipeline the modifies on one connection.

        :returns: one outcome per id: ``NotFound`` for an id no entry has, the mapped error of
            that account's modify when the directory refused it.
        """
        attributes = [self.profile.id_attribute]
        if self.profile.status != "ppolicy":
            attributes.append("userAccountControl")
        found = self._resolve(account_ids, attributes)
        known = [i for i in account_ids if i in found]
        changes = [(found[i].dn, self._status_change(found[i], enabled)) for i in known]
        answers = self.pool.run(lambda conn: modify_many(conn, changes)) if changes else []
        results = dict(zip(known, answers, strict=True))
        outcomes: list[Outcome] = []
        for account_id in account_ids:
            result = results.get(account_id)
            error: IdconnectError | None = None
            if result is None:
                error = NotFound(
                    f"no account with id {account_id!r}", store=self.name, account=account_id
                )
            else:
                try:
                    check(result, store=self.name, what="change account status", account=account_id)
                except IdconnectError as exc:
                    error = exc
            outcomes.append(Outcome(account_id=account_id, error=error))
        return outcomes

    def _leave_groups(self, conn: ldap3.Connection, dn: str) -> None:
        member = self.profile.member_attribute
        for group in self._group_entries(conn, f"({member}={escape_filter_chars(dn)})", []):
            self._remove_member(conn, group.dn, dn)

    @hookimpl
    def idconnect_delete_account(self, account_id: str) -> None:
        """Remove the account from its groups, then delete its entry."""

        def run(conn: ldap3.Connection) -> None:
            raw = self._find_account(conn, account_id, [self.profile.id_attribute])
            self._leave_groups(conn, raw.dn)
            conn.delete(raw.dn)
            check(conn.result, store=self.name, what="delete account", account=account_id)

        self.pool.run(run)

    # -- groups ---------------------------------------------------------------------------------

    def _group(self, raw: _Raw, members: tuple[str, ...] = ()) -> Group:
        created = _first(raw.get("createTimestamp"))
        return Group(
            id=self._id_of(raw),
            display_name=_first(raw.get(self.profile.group_name_attribute)) or "",
            members=members,
            created=parse_generalized_time(created) if created else None,
            version=_first(raw.get(self.profile.version_attribute)),
        )

    @property
    def _group_attributes(self) -> list[str]:
        p = self.profile
        return [p.group_name_attribute, p.version_attribute, "createTimestamp"]

    @hookimpl
    def idconnect_search_groups(self, query: Query) -> Page[Group]:
        """Search groups by id and display name (the group's RDN attribute)."""
        compiled = self._group_compiler.compile(query.filter) if query.filter is not None else True

        def keep(group: Group) -> bool:
            if query.filter is None:
                return True
            probe = Account(id=group.id, user_name="-", display_name=group.display_name)
            return evaluate(query.filter, probe, GROUP_CATALOGUE)

        return self._search(
            query,
            compiled,
            base=self.settings.groups_base,
            scope=self.settings.groups_scope,
            object_class=self.profile.group_object_class,
            attributes=[self.profile.id_attribute, *self._group_attributes],
            build=lambda conn, raws: [self._group(r) for r in raws],
            keep=keep,
        )

    def _member_ids(self, conn: ldap3.Connection, dns: list[str]) -> tuple[str, ...]:
        placeholder = self.settings.empty_member.lower()
        dns = [dn for dn in dns if dn.lower() != placeholder]
        ids: list[str] = []
        for start in range(0, len(dns), _CHUNK):
            chunk = dns[start : start + _CHUNK]
            attr = self.profile.dn_attribute
            wanted = disjoin([f"({attr}={escape_filter_chars(dn)})" for dn in chunk])
            ids += [
                self._id_of(r)
                for r in self._user_entries(conn, wanted, [self.profile.id_attribute])
            ]
        return tuple(sorted(ids))

    @hookimpl
    def idconnect_get_group(self, group_id: str) -> Group:
        """Read a group and resolve its member DNs to account ids."""
        member = self.profile.member_attribute

        def run(conn: ldap3.Connection) -> Group:
            raw = self._find_group(conn, group_id, [*self._group_attributes, member])
            return self._group(raw, self._member_ids(conn, _text(raw.get(member))))

        return self.pool.run(run)

    @hookimpl
    def idconnect_create_group(self, group: Group) -> Group:
        """Add a group entry; an empty group holds the placeholder member."""
        name_attr = self.profile.group_name_attribute
        name = _check_value(group.display_name, "displayName")

        found = self._resolve(list(group.members), [self.profile.id_attribute])
        missing = [m for m in group.members if m not in found]
        if missing:
            raise NotFound(
                f"no account with id {missing[0]!r}", store=self.name, account=missing[0]
            )

        def run(conn: ldap3.Connection) -> Group:
            taken = self._group_entries(conn, f"({name_attr}={escape_filter_chars(name)})", [])
            if taken:
                raise Conflict(
                    f"a group named {name!r} exists", store=self.name, attribute="displayName"
                )
            members = [found[m].dn for m in group.members] or [self.settings.empty_member]
            dn = f"{name_attr}={escape_rdn(name)},{self.settings.groups_base}"
            conn.add(
                dn,
                [self.profile.group_object_class],
                {name_attr: name, self.profile.member_attribute: members},
            )
            check(conn.result, store=self.name, what="create group")
            raw = self._find_group_dn(conn, dn)
            return self._group(raw, tuple(sorted(group.members)))

        return self.pool.run(run)

    def _find_group_dn(self, conn: ldap3.Connection, dn: str) -> _Raw:
        conn.search(
            dn,
            "(objectClass=*)",
            ldap3.BASE,
            attributes=[self.profile.id_attribute, *self._group_attributes],
        )
        check(conn.result, store=self.name, what="read the group")
        return _Raw(conn.response[0])

    @hookimpl
    def idconnect_delete_group(self, group_id: str) -> None:
        """Delete the group entry; member accounts stay."""

        def run(conn: ldap3.Connection) -> None:
            raw = self._find_group(conn, group_id)
            conn.delete(raw.dn)
            check(conn.result, store=self.name, what="delete group")

        self.pool.run(run)

    def _membership(self, group_id: str, account_id: str) -> tuple[str, str]:
        def run(conn: ldap3.Connection) -> tuple[str, str]:
            group = self._find_group(conn, group_id)
            account = self._find_account(conn, account_id, [self.profile.id_attribute])
            return group.dn, account.dn

        return self.pool.run(run)

    @hookimpl
    def idconnect_add_group_member(self, group_id: str, account_id: str) -> None:
        """Add the account's DN to the member attribute, then drop the placeholder."""
        group_dn, account_dn = self._membership(group_id, account_id)
        member = self.profile.member_attribute

        def run(conn: ldap3.Connection) -> None:
            conn.modify(group_dn, {member: [(ldap3.MODIFY_ADD, [account_dn])]})
            check(
                conn.result,
                store=self.name,
                what="add member",
                account=account_id,
                ok=frozenset({0, 20}),
            )
            conn.modify(group_dn, {member: [(ldap3.MODIFY_DELETE, [self.settings.empty_member])]})
            check(
                conn.result,
                store=self.name,
                what="drop the placeholder member",
                ok=frozenset({0, 16}),
            )

        self.pool.run(run)

    def _remove_member(self, conn: ldap3.Connection, group_dn: str, account_dn: str) -> None:
        member = self.profile.member_attribute
        conn.modify(group_dn, {member: [(ldap3.MODIFY_DELETE, [account_dn])]})
        code = check(conn.result, store=self.name, what="remove member", ok=frozenset({0, 16, 65}))
        if code == 65:  # the last member: groupOfNames needs one, so the placeholder stays
            conn.modify(group_dn, {member: [(ldap3.MODIFY_REPLACE, [self.settings.empty_member])]})
            check(conn.result, store=self.name, what="remove the last member")

    @hookimpl
    def idconnect_remove_group_member(self, group_id: str, account_id: str) -> None:
        """Delete the account's DN from the member attribute (the placeholder keeps it valid)."""
        group_dn, account_dn = self._membership(group_id, account_id)
        self.pool.run(lambda conn: self._remove_member(conn, group_dn, account_dn))

    # -- passwords and counters -----------------------------------------------------------------

    @hookimpl
    def idconnect_set_password(self, account_id: str, password: Secret) -> None:
        """Password Modify extended operation (RFC 3062), or ``unicodePwd`` on AD."""

        def run(conn: ldap3.Connection) -> None:
            raw = self._find_account(conn, account_id, [self.profile.id_attribute])
            if self.profile.password == "unicodePwd":
                conn.modify(
                    raw.dn,
                    {"unicodePwd": [(ldap3.MODIFY_REPLACE, [unicode_pwd(password.reveal())])]},
                )
            else:
                conn.extend.standard.modify_password(user=raw.dn, new_password=password.reveal())
            if (conn.result or {}).get("result") == 19:
                raise InvalidInput(
                    "the directory's password policy refused the new password",
                    store=self.name,
                    account=account_id,
                )
            check(conn.result, store=self.name, what="set password", account=account_id)

        self.pool.run(run)

    @hookimpl
    def idconnect_reset_failed_attempts(self, account_id: str) -> None:
        """Delete ppolicy's ``pwdFailureTime`` (Relax control) and a failure lockout.

        An administrative lock (a disabled account) stays. On Active Directory ``lockoutTime``
        is set to 0, which also clears ``badPwdCount``.
        """

        def run(conn: ldap3.Connection) -> None:
            raw = self._find_account(conn, account_id, ["pwdAccountLockedTime"])
            if self.profile.status == "ppolicy":
                change: dict[str, Any] = {"pwdFailureTime": [(ldap3.MODIFY_REPLACE, [])]}
                locked = _first(raw.get("pwdAccountLockedTime"))
                if locked is not None and locked != ADMIN_LOCK:
                    change["pwdAccountLockedTime"] = [(ldap3.MODIFY_REPLACE, [])]
                conn.modify(raw.dn, change, controls=[RELAX])
            else:
                conn.modify(raw.dn, {"lockoutTime": [(ldap3.MODIFY_REPLACE, ["0"])]})
            check(conn.result, store=self.name, what="reset failed attempts", account=account_id)

        self.pool.run(run)
