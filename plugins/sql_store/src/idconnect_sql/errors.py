"""Turn driver and SQLAlchemy errors into idconnect errors; no raw driver exception escapes.

Unique violations become :class:`Conflict` naming the attribute; connection failures and
timeouts become :class:`StoreUnavailable` naming the store and the host (never the password);
values the database refuses become :class:`InvalidInput`. A transaction the database aborted to
resolve a conflict with another one (a deadlock, a lock wait timeout, a serialization failure)
is :func:`retryable`: :func:`retried` runs the whole operation again, a bounded number of times.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL

from idconnect.backend import Conflict, IdconnectError, InvalidInput, StoreUnavailable

__all__ = ["ATTEMPTS", "retried", "retryable", "translate_errors"]

T = TypeVar("T")

ATTEMPTS = 6
"""How many times an operation runs before a transaction conflict is reported."""
_MYSQL_CONFLICTS = {1020: "the row changed since read", 1205: "lock wait timeout", 1213: "deadlock"}
_PG_CONFLICTS = {"40001": "serialization failure", "40P01": "deadlock"}


def _conflict(exc: BaseException | None) -> str | None:
    if not isinstance(exc, sa_exc.DBAPIError) or exc.connection_invalidated:
        return None
    orig = exc.orig
    sqlstate = getattr(orig, "sqlstate", None)
    if isinstance(sqlstate, str) and sqlstate in _PG_CONFLICTS:
        return _PG_CONFLICTS[sqlstate]
    args = getattr(orig, "args", ())
    code = args[0] if args else None
    return _MYSQL_CONFLICTS.get(code) if isinstance(code, int) else None


def retryable(exc: BaseException) -> bool:
    """Whether an error is a transaction conflict that running the operation again may resolve.

    :param exc: an error raised by a store operation (a translated one: its cause is looked at).
    :returns: ``True`` for InnoDB deadlocks and lock wait timeouts, PostgreSQL deadlocks and
        serialization failures.
    """
    return isinstance(exc, StoreUnavailable) and _conflict(exc.__cause__) is not None


def retried(call: Callable[[], T], attempts: int = ATTEMPTS) -> T:
    """Run an operation, again after a short random pause while it fails :func:`retryable`.

    :param call: the whole operation (its own transaction: a conflict rolled it back).
    :param attempts: how many runs at most.
    :returns: what the operation returned.
    :raises StoreUnavailable: the last conflict, when every run hit one.
    """
    for attempt in range(1, attempts + 1):
        try:
            return call()
        except StoreUnavailable as exc:
            if attempt == attempts or not retryable(exc):
                raise
        time.sleep(random.uniform(0, 0.005 * 2**attempt))
    raise AssertionError("unreachable")


def _where(url: URL) -> str:
    if url.get_backend_name() == "sqlite":
        return f"SQLite database {url.database or ':memory:'}"
    port = f":{url.port}" if url.port else ""
    return f"{url.get_backend_name()} server {url.host or 'localhost'}{port}"


def _missing_folder(url: URL) -> str:
    """Words saying that a SQLite file's folder does not exist (SQLite only says it cannot open)."""
    database = url.database or ""
    if url.get_backend_name() != "sqlite" or database in ("", ":memory:"):
        return ""
    if database.startswith("file:"):
        return ""
    folder = Path(database).expanduser().parent
    return "" if folder.is_dir() else f" (its folder {folder} does not exist)"


def _unique_attribute(message: str, unique: Mapping[str, str]) -> str | None:
    for index, attribute in unique.items():
        if index in message:
            return attribute
    for column, attribute in (("user_name", "userName"), ("display_name", "displayName")):
        if column in message:
            return attribute
    return None


@contextmanager
def translate_errors(
    store: str, url: URL, unique: Mapping[str, str], account: str | None = None
) -> Iterator[None]:
    """Run a block, translating database errors into idconnect errors.

    :param store: the store name, for messages.
    :param url: the store's URL (only host, port and database name reach messages).
    :param unique: unique index (or constraint) name to the attribute it protects.
    :param account: the account concerned, if any.
    :returns: a context manager.
    :raises Conflict: for a unique violation.
    :raises InvalidInput: for a value the database cannot hold.
    :raises StoreUnavailable: for connection failures, timeouts and other database errors.
    """
    try:
        yield
    except IdconnectError:
        raise
    except sa_exc.IntegrityError as exc:
        text = str(exc.orig)
        attribute = _unique_attribute(text, unique)
        if attribute is not None:
            raise Conflict(
                f"{attribute} is taken (it must be unique, ignoring case)",
                store=store,
                account=account,
                attribute=attribute,
            ) from exc
        raise Conflict(
            "the change breaks an integrity rule of the database", store=store, account=account
        ) from exc
    except sa_exc.DataError as exc:
        raise InvalidInput(
            f"the database refused a value ({type(exc.orig).__name__})",
            store=store,
            account=account,
        ) from exc
    except sa_exc.DBAPIError as exc:
        conflict = _conflict(exc)
        if conflict is not None:
            message = f"{_where(url)} aborted the transaction: {conflict} with another writer"
        elif isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError):
            cause = f"{type(exc.orig).__name__}{_missing_folder(url)}"
            message = f"cannot reach {_where(url)}: {cause}"
        else:
            message = f"{_where(url)} failed: {type(exc.orig).__name__}"
        raise StoreUnavailable(message, store=store, account=account, host=url.host) from exc
    except sa_exc.TimeoutError as exc:
        raise StoreUnavailable(
            f"cannot reach {_where(url)}: {type(getattr(exc, 'orig', exc)).__name__}",
            store=store,
            account=account,
            host=url.host,
        ) from exc
    except sa_exc.SQLAlchemyError as exc:
        raise StoreUnavailable(
            f"{_where(url)} failed: {type(getattr(exc, 'orig', None) or exc).__name__}",
            store=store,
            account=account,
            host=url.host,
        ) from exc
    except ValueError as exc:
        # psycopg refuses NUL characters in text before sending them.
        if "NUL" in str(exc):
            raise InvalidInput(
                "a value contains a NUL character, which this database cannot hold",
                store=store,
                account=account,
            ) from exc
        raise
