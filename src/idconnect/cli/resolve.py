"""Accounts named on the command line: by id, else by userName or email where unambiguous."""

from __future__ import annotations

import functools
import operator
from collections.abc import Sequence
from typing import TYPE_CHECKING

from idconnect.core.errors import InvalidInput, NotFound, NotSupported
from idconnect.core.model import Account

if TYPE_CHECKING:
    from idconnect.core.facade import Store
    from idconnect.core.filter import Filter

__all__ = ["ID_CHUNK", "account_id", "find_account", "resolve_account", "resolve_accounts"]

_SHOWN_MATCHES = 5


def _by_name(store: Store, ref: str) -> list[Account]:
    from idconnect.core.filter import attr  # with the facade, not at CLI start-up

    catalogue = store.catalogue
    terms: list[Filter] = [
        attr(path).eq(ref) for path in ("userName", "emails.value") if path in catalogue
    ]
    if not terms or "search_accounts" not in store.capabilities:
        return []
    wanted: Filter = terms[0] if len(terms) == 1 else terms[0] | terms[1]
    return list(store.search_accounts(wanted, count=_SHOWN_MATCHES + 1).items)


def find_account(store: Store, ref: str) -> Account | None:
    """Find the account a user named: by its id, else by a userName or an email address.

    :param store: the store.
    :param ref: what the user typed: an id, a userName or an email address.
    :returns: the account, or ``None`` when nothing matches.
    :raises InvalidInput: when several accounts match the userName or email (the error lists
        them), or when ``ref`` is not acceptable text.
    """
    try:
        return store.get_account(ref)
    except NotFound:
        pass
    except InvalidInput:
        if not ref.strip():
            raise
    matches = _by_name(store, ref)
    if len(matches) == 1:
        return matches[0]
    if not matches:
        return None
    shown = ", ".join(f"{a.user_name} ({a.id})" for a in matches[:_SHOWN_MATCHES])
    more = " and more" if len(matches) > _SHOWN_MATCHES else ""
    raise InvalidInput(
        f"{ref!r} matches several accounts: {shown}{more}; give the id", store=store.name
    )


def resolve_account(store: Store, ref: str) -> Account:
    """Return the account a user named (see :func:`find_account`).

    :param store: the store.
    :param ref: an id, a userName or an email address.
    :returns: the account.
    :raises NotFound: when nothing matches.
    :raises InvalidInput: when the name is ambiguous.
    """
    found = find_account(store, ref)
    if found is None:
        raise NotFound("no account has this id, userName or email", store=store.name, account=ref)
    return found


def account_id(store: Store, ref: str) -> str:
    """Return the id of the account a user named (see :func:`find_account`).

    :param store: the store.
    :param ref: an id, a userName or an email address.
    :returns: the account's id.
    :raises NotFound: when nothing matches.
    :raises InvalidInput: when the name is ambiguous.
    """
    found = resolve_account(store, ref)
    assert found.id is not None
    return found.id


def resolve_accounts(
    store: Store, refs: Sequence[str]
) -> tuple[tuple[str, ...], dict[str, Account], tuple[str, ...]]:
    """Resolve the accounts of a bulk command, keeping those that match nothing apart.

    Ids are looked up a chunk at a time (one search per :data:`ID_CHUNK` ids where the store can
    filter on ``id``); only what is not an id is then looked up one by one.

    :param store: the store.
    :param refs: ids, userNames or email addresses, in order.
    :returns: the ids in the order given, without duplicates (a ref that matches nothing
        stays as given), id to account for those found, and the refs that match nothing.
    :raises InvalidInput: when a name is ambiguous.
    """
    distinct = list(dict.fromkeys(refs))
    by_id = _by_ids(store, distinct)
    ids: dict[str, None] = {}
    found: dict[str, Account] = {}
    unknown: list[str] = []
    for ref in distinct:
        account = by_id.get(ref) or find_account(store, ref)
        if account is None or account.id is None:
            unknown.append(ref)
            ids[ref] = None
        else:
            found.setdefault(account.id, account)
            ids[account.id] = None
    return tuple(ids), found, tuple(unknown)


ID_CHUNK = 50
"""How many ids one search of :func:`resolve_accounts` asks for."""


def _by_ids(store: Store, refs: Sequence[str]) -> dict[str, Account]:
    from idconnect.core.filter import attr

    if len(refs) < 2 or "id" not in store.catalogue or "search_accounts" not in store.capabilities:
        return {}
    found: dict[str, Account] = {}
    try:
        for start in range(0, len(refs), ID_CHUNK):
            chunk = set(refs[start : start + ID_CHUNK])
            wanted = functools.reduce(operator.or_, (attr("id").eq(r) for r in sorted(chunk)))
            for account in store.iter_accounts(wanted, page_size=ID_CHUNK):
                if account.id in chunk:  # never trust a store to have applied the filter
                    found[account.id] = account
    except (InvalidInput, NotSupported):  # it cannot search by id: look each one up instead
        return found
    return found
