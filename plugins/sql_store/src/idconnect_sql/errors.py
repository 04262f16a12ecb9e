"""Turn driver and SQLAlchemy errors into idconnect errors; no raw driver exception escapes.

Unique violations become :class:`Conflict` naming the attribute; connection failures and
timeouts become :class:`StoreUnavailable` naming the store and the host (never the password);
values the database refuses become :class:`InvalidInput`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL

from idconnect.backend import Conflict, IdconnectError, InvalidInput, StoreUnavailable

__all__ = ["translate_errors"]


def _where(url: URL) -> str:
    if url.get_backend_name() == "sqlite":
        return f"SQLite database {url.database or ':memory:'}"
    port = f":{url.port}" if url.port else ""
    return f"{url.get_backend_name()} server {url.host or 'localhost'}{port}"


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
    except (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError) as exc:
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
