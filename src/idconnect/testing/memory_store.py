"""The in-memory store: a complete backend in Python dicts, for tests and for proving the kit.

It is *not* the embedded default (that is SQLite) and keeps nothing when the process ends. Being
Python, it answers filters with the reference evaluator; real backends translate them instead.
It implements every hook, with one set-based bulk variant (enable/disable) so that the facade's
per-account fallback (delete, group membership) is exercised too. Configure it with
``plugin = "memory"``; ``organizations = ["Acme", ...]`` gives it a fixed list of organizations
(without it, it keeps none and cannot list them).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from attrs import evolve

from idconnect.core.attributes import custom_attributes
from idconnect.core.config import StoreConfig
from idconnect.core.context import CallContext
from idconnect.core.convert import apply_changes
from idconnect.core.errors import Conflict, NotFound
from idconnect.core.filter import evaluate, sort_key, values_at
from idconnect.core.hookspecs import StoreFactory
from idconnect.core.instants import utc_now
from idconnect.core.masking import new_authenticator
from idconnect.core.model import (
    Account,
    Authenticator,
    AuthenticatorKind,
    FailedAttempts,
    Group,
    GroupRef,
    Outcome,
    Role,
    RoleAssignment,
    Secret,
    Session,
)
from idconnect.core.plugins import hookimpl
from idconnect.core.query import Page, Query, decode_cursor, encode_cursor
from idconnect.core.schema import GROUP_CATALOGUE, USER_CATALOGUE, Catalogue
from idconnect.testing.memory_activity import MemoryActivity
from idconnect.testing.memory_explain import MemoryExplain

__all__ = ["MemoryStore", "MemoryStoreWithOrganizations"]


class MemoryStore(MemoryActivity, MemoryExplain):
    """A store in memory. Thread-safe; every hook holds one lock.

    :param config: the store's config; ``organizations`` (a list of names) is optional.
    """

    def __init__(self, config: StoreConfig) -> None:
        self.name = config.name
        names = config.get("organizations", list, [])
        if not all(isinstance(o, str) and o for o in names):
            raise config.error("organizations", "expected a list of non-empty names")
        self.organizations = tuple(sorted(names))
        self.held = Catalogue((*USER_CATALOGUE, *custom_attributes(config)))
        """Every canonical attribute and the custom ones the config declares."""
        self._lock = threading.RLock()
        self._accounts: dict[str, Account] = {}
        self._groups: dict[str, Group] = {}
        self._authenticators: dict[str, list[Authenticator]] = {}
        self._passwords: dict[str, Secret] = {}
        self._sessions: dict[str, list[Session]] = {}

    # -- helpers, also used by tests to put a store in a state no hook can reach ---------------

    def record_session(self, account_id: str, session: Session) -> None:
        """Add a session as a login would (tests use this; support cannot create sessions).

        :param account_id: the account.
        :param session: the session.
        :raises NotFound: when the account does not exist.
        """
        with self._lock:
            self._account(account_id)
            self._sessions.setdefault(account_id, []).append(session)

    def record_failed_attempts(self, account_id: str, password: int, otp: int) -> None:
        """Set the failed attempt counters as failed logins would (for tests).

        :param account_id: the account.
        :param password: wrong passwords entered.
        :param otp: wrong OTPs entered.
        """
        with self._lock:
            account = self._account(account_id)
            self._put(evolve(account, failed_attempts=FailedAttempts(password=password, otp=otp)))

    def _account(self, account_id: str) -> Account:
        try:
            return self._accounts[account_id]
        except KeyError:
            raise NotFound(f"no account with id {account_id!r}", store=self.name) from None

    def _group(self, group_id: str) -> Group:
        try:
            return self._groups[group_id]
        except KeyError:
            raise NotFound(f"no group with id {group_id!r}", store=self.name) from None

    def _put(self, account: Account) -> Account:
        assert account.id is not None
        version = str(int(account.version or "0") + 1)
        stored = evolve(account, version=version, last_modified=utc_now())
        self._accounts[account.id] = stored
        return stored

    def _with_groups(self, account: Account) -> Account:
        refs = tuple(
            GroupRef(value=g.id, display=g.display_name)
            for g in self._groups.values()
            if g.id is not None and account.id in g.members
        )
        return evolve(account, groups=refs)

    def _check_unique(self, user_name: str, except_id: str | None) -> None:
        for other in self._accounts.values():
            if other.id != except_id and other.user_name.lower() == user_name.lower():
                raise Conflict(
                    f"userName {user_name!r} is taken", store=self.name, attribute="userName"
                )

    def _page(self, items: list[Any], query: Query, catalogue: Catalogue) -> Page[Any]:
        definition = catalogue.get(query.sort_by.dotted) if query.sort_by else None

        def key(item: Any) -> list[Any]:
            if definition is None:
                return [[0, ""], item.id]
            values = values_at(_as_account(item), definition.path)
            return [sort_key(values[0] if values else None, definition.case_exact), item.id]

        keyed = sorted(((key(i), i) for i in items), key=lambda pair: pair[0])
        if query.descending:
            present = [p for p in keyed if p[0][0][0] == 0][::-1]
            keyed = present + [p for p in keyed if p[0][0][0] == 1][::-1]
        if query.cursor is not None:
            after = decode_cursor(query)
            index = next((n for n, (k, _) in enumerate(keyed) if k == after), None)
            if index is None:
                keyed = [p for p in keyed if _after(p[0], after, query.descending)]
            else:
                keyed = keyed[index + 1 :]
        chunk = keyed[: query.count]
        more = len(keyed) > query.count
        return Page(
            items=[item for _, item in chunk],
            next_cursor=encode_cursor(query, chunk[-1][0]) if more and chunk else None,
            total=len(items) if query.include_total and query.cursor is None else None,
        )

    # -- store-wide -------------------------------------------------------------------------------

    @hookimpl
    def idconnect_catalogue(self) -> Catalogue:
        """Hold every canonical attribute, and the custom ones the config declares."""
        return self.held

    @hookimpl
    def idconnect_ping(self) -> bool:
        """Always reachable."""
        return True

    # -- accounts ---------------------------------------------------------------------------------

    @hookimpl
    def idconnect_get_account(self, account_id: str) -> Account:
        """Read an account."""
        with self._lock:
            return self._with_groups(self._account(account_id))

    @hookimpl
    def idconnect_search_accounts(self, query: Query) -> Page[Account]:
        """Search with the reference evaluator."""
        with self._lock:
            matching = [
                self._with_groups(a)
                for a in self._accounts.values()
                if query.filter is None or evaluate(query.filter, self._with_groups(a), self.held)
            ]
            page: Page[Account] = self._page(matching, query, self.held)
            return page

    @hookimpl
    def idconnect_create_account(self, account: Account) -> Account:
        """Create an account with a new random id."""
        with self._lock:
            self._check_unique(account.user_name, None)
            now = utc_now()
            new = evolve(
                account,
                id=uuid.uuid4().hex,
                created=now,
                version=None,
                groups=(),
                role_assignments=(),
                disabled_at=None if account.active else now,
            )
            return self._with_groups(self._put(new))

    @hookimpl
    def idconnect_update_account(
        self, account_id: str, changes: Mapping[str, Any], expected_version: str | None
    ) -> Account:
        """Apply changes if the version matches."""
        with self._lock:
            account = self._account(account_id)
            if expected_version is not None and expected_version != account.version:
                raise Conflict(
                    f"version {expected_version} is stale (current is {account.version})",
                    store=self.name,
                    account=account_id,
                )
            if "userName" in changes:
                self._check_unique(changes["userName"], account_id)
            updated = apply_changes(account, changes)
            return self._with_groups(self._put(updated))

    @hookimpl
    def idconnect_set_account_enabled(self, account_id: str, enabled: bool) -> None:
        """Enable or disable one account."""
        with self._lock:
            account = self._account(account_id)
            if account.active != enabled:
                self._put(
                    evolve(account, active=enabled, disabled_at=None if enabled else utc_now())
                )

    @hookimpl
    def idconnect_bulk_set_accounts_enabled(
        self, context: CallContext, account_ids: Sequence[str], enabled: bool
    ) -> list[Outcome]:
        """Enable or disable many accounts under one lock."""
        outcomes = []
        with self._lock:
            for account_id in account_ids:
                try:
                    self.idconnect_set_account_enabled(account_id, enabled)
                except NotFound as exc:
                    outcomes.append(Outcome(account_id=account_id, error=exc))
                else:
                    outcomes.append(Outcome(account_id=account_id))
        return outcomes

    @hookimpl
    def idconnect_delete_account(self, account_id: str) -> None:
        """Delete an account, its memberships, authenticators and sessions."""
        with self._lock:
            self._account(account_id)
            del self._accounts[account_id]
            for gid, group in list(self._groups.items()):
                if account_id in group.members:
                    members = tuple(m for m in group.members if m != account_id)
                    self._groups[gid] = evolve(group, members=members)
            self._authenticators.pop(account_id, None)
            self._passwords.pop(account_id, None)
            self._sessions.pop(account_id, None)

    # -- groups -----------------------------------------------------------------------------------

    @hookimpl
    def idconnect_search_groups(self, query: Query) -> Page[Group]:
        """Search groups with the reference evaluator's string rules."""
        with self._lock:
            matching = [
                evolve(g, members=())
                for g in self._groups.values()
                if query.filter is None or evaluate(query.filter, _as_account(g), GROUP_CATALOGUE)
            ]
            page: Page[Group] = self._page(matching, query, GROUP_CATALOGUE)
            return page

    @hookimpl
    def idconnect_get_group(self, group_id: str) -> Group:
        """Read a group with members."""
        with self._lock:
            return self._group(group_id)

    def _refuse_taken(self, name: str, own: str | None = None) -> None:
        folded = name.lower()
        if any(g.id != own and g.display_name.lower() == folded for g in self._groups.values()):
            raise Conflict(
                f"a group named {name!r} exists", store=self.name, attribute="displayName"
            )

    @hookimpl
    def idconnect_create_group(self, group: Group) -> Group:
        """Create a group; display names are unique ignoring case."""
        with self._lock:
            self._refuse_taken(group.display_name)
            for member in group.members:
                self._account(member)
            new = evolve(group, id=uuid.uuid4().hex, created=utc_now(), version="1")
            assert new.id is not None
            self._groups[new.id] = new
            return new

    @hookimpl
    def idconnect_rename_group(self, group_id: str, display_name: str) -> Group:
        """Rename a group (a new version); display names are unique ignoring case."""
        with self._lock:
            group = self._group(group_id)
            self._refuse_taken(display_name, group_id)
            version = str(int(group.version or "0") + 1)
            self._groups[group_id] = evolve(group, display_name=display_name, version=version)
            return self._groups[group_id]

    @hookimpl
    def idconnect_delete_group(self, group_id: str) -> None:
        """Delete a group."""
        with self._lock:
            self._group(group_id)
            del self._groups[group_id]

    @hookimpl
    def idconnect_add_group_member(self, group_id: str, account_id: str) -> None:
        """Add a member."""
        with self._lock:
            group = self._group(group_id)
            self._account(account_id)
            if account_id not in group.members:
                self._groups[group_id] = evolve(group, members=(*group.members, account_id))

    @hookimpl
    def idconnect_remove_group_member(self, group_id: str, account_id: str) -> None:
        """Remove a member."""
        with self._lock:
            group = self._group(group_id)
            self._account(account_id)
            members = tuple(m for m in group.members if m != account_id)
            self._groups[group_id] = evolve(group, members=members)

    # -- roles ------------------------------------------------------------------------------------

    @hookimpl
    def idconnect_list_roles(self) -> list[Role]:
        """The roles some account holds (this store has no fixed catalogue)."""
        with self._lock:
            names = {r.role for a in self._accounts.values() for r in a.role_assignments}
            return [Role(name=n) for n in sorted(names)]

    @hookimpl
    def idconnect_assign_role(self, account_id: str, assignment: RoleAssignment) -> None:
        """Assign a role pair."""
        with self._lock:
            account = self._account(account_id)
            if assignment not in account.role_assignments:
                self._put(evolve(account, role_assignments=(*account.role_assignments, assignment)))

    @hookimpl
    def idconnect_unassign_role(self, account_id: str, assignment: RoleAssignment) -> None:
        """Remove a role pair."""
        with self._lock:
            account = self._account(account_id)
            if assignment not in account.role_assignments:
                raise NotFound(
                    f"the account does not hold role {assignment.role!r}"
                    f" in {assignment.organization or 'no organization'}",
                    store=self.name,
                    account=account_id,
                )
            kept = tuple(r for r in account.role_assignments if r != assignment)
            self._put(evolve(account, role_assignments=kept))

    # -- authenticators ---------------------------------------------------------------------------

    @hookimpl
    def idconnect_list_authenticators(self, account_id: str) -> list[Authenticator]:
        """List methods."""
        with self._lock:
            self._account(account_id)
            return list(self._authenticators.get(account_id, ()))

    @hookimpl
    def idconnect_add_authenticator(
        self, account_id: str, kind: AuthenticatorKind, value: str, verified: bool
    ) -> Authenticator:
        """Add an email or phone method."""
        with self._lock:
            self._account(account_id)
            new = new_authenticator(kind, value, verified)
            self._authenticators.setdefault(account_id, []).append(new)
            return new

    @hookimpl
    def idconnect_remove_authenticator(self, account_id: str, authenticator_id: str) -> None:
        """Remove a method."""
        with self._lock:
            self._account(account_id)
            methods = self._authenticators.get(account_id, [])
            kept = [m for m in methods if m.id != authenticator_id]
            if len(kept) == len(methods):
                raise NotFound(
                    f"no authenticator with id {authenticator_id!r}",
                    store=self.name,
                    account=account_id,
                )
            self._authenticators[account_id] = kept
            if not any(m.kind is AuthenticatorKind.PASSWORD for m in kept):
                self._passwords.pop(account_id, None)

    @hookimpl
    def idconnect_set_password(self, account_id: str, password: Secret) -> None:
        """Keep the password (this is a test store; real ones hash it)."""
        with self._lock:
            self._account(account_id)
            self._passwords[account_id] = password
            methods = self._authenticators.setdefault(account_id, [])
            if not any(m.kind is AuthenticatorKind.PASSWORD for m in methods):
                methods.append(
                    Authenticator(
                        id=uuid.uuid4().hex,
                        kind=AuthenticatorKind.PASSWORD,
                        label="password",
                        verified=True,
                        created=utc_now(),
                    )
                )

    def check_password(self, account_id: str, password: str) -> bool:
        """Whether ``password`` is the account's password (for tests).

        :param account_id: the account.
        :param password: the candidate.
        :returns: whether it matches.
        """
        with self._lock:
            stored = self._passwords.get(account_id)
            return stored is not None and stored.reveal() == password

    @hookimpl
    def idconnect_reset_failed_attempts(self, account_id: str) -> None:
        """Zero the counters."""
        with self._lock:
            account = self._account(account_id)
            self._put(evolve(account, failed_attempts=FailedAttempts()))

    # -- sessions ---------------------------------------------------------------------------------

    @hookimpl
    def idconnect_list_sessions(self, account_id: str) -> list[Session]:
        """List sessions, most recently seen first."""
        with self._lock:
            self._account(account_id)
            sessions = list(self._sessions.get(account_id, ()))
            return sorted(
                sessions, key=lambda s: s.last_seen or s.created or utc_now(), reverse=True
            )

    @hookimpl
    def idconnect_revoke_session(self, account_id: str, session_id: str) -> None:
        """End one session."""
        with self._lock:
            self._account(account_id)
            sessions = self._sessions.get(account_id, [])
            kept = [s for s in sessions if s.id != session_id]
            if len(kept) == len(sessions):
                raise NotFound(
                    f"no session with id {session_id!r}", store=self.name, account=account_id
                )
            self._sessions[account_id] = kept

    @hookimpl
    def idconnect_revoke_sessions(self, account_id: str) -> int:
        """End every session."""
        with self._lock:
            self._account(account_id)
            return len(self._sessions.pop(account_id, []))


def _after(key: list[Any], after: list[Any], descending: bool) -> bool:
    (missing, value), ident = key
    (a_missing, a_value), a_ident = after
    if missing != a_missing:
        return bool(missing > a_missing)
    if value == a_value:
        return bool(ident < a_ident) if descending else bool(ident > a_ident)
    return bool(value < a_value) if descending else bool(value > a_value)


def _as_account(item: Account | Group) -> Account:
    # The group catalogue's attributes (id, displayName) read the same on an Account, so the
    # reference evaluator and sort keys serve groups through this projection.
    if isinstance(item, Account):
        return item
    return Account(id=item.id, user_name="group", display_name=item.display_name)


class MemoryStoreWithOrganizations(MemoryStore):
    """The memory store configured with ``organizations``: it can list them too."""

    @hookimpl
    def idconnect_list_organizations(self) -> list[str]:
        """The organizations of the config."""
        return list(self.organizations)


def _memory_store(config: StoreConfig) -> MemoryStore:
    with_organizations = bool(config.settings.get("organizations"))
    return (MemoryStoreWithOrganizations if with_organizations else MemoryStore)(config)


@hookimpl
def idconnect_store_types() -> dict[str, StoreFactory]:
    """Provide the ``memory`` store type."""
    return {"memory": _memory_store}
