"""What every handler of the account page works with: the request's store, admin and account.

A :class:`View` is one request to ``/console/stores/{store}/accounts/{account}`` (the page or
one of its actions). It runs facade calls in the thread pool as the logged-in admin
(:func:`idconnect.http.calls.call`: an idconnect error comes back as an
:class:`~idconnect.http.calls.ApiError` carrying its HTTP status and message), and says what
the admin may do (:meth:`View.can`) and what the store can do (:meth:`View.supports`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote

from attrs import frozen
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from idconnect.console.listing import store_or_404
from idconnect.http.calls import ApiError, call

if TYPE_CHECKING:
    from idconnect.core.facade import Hub, Store
    from idconnect.core.model import Account
    from idconnect.core.schema import Catalogue

__all__ = ["Form", "View", "actor_of", "open_view"]

T = TypeVar("T")


class Form:
    """The fields of a submitted form, as the console's middleware read them.

    :param fields: the form data (``request.state.form``, set by
        :class:`~idconnect.console.auth.ConsoleAuth` for every POST).
    """

    def __init__(self, fields: FormData) -> None:
        self._fields = fields

    def get(self, name: str) -> str | None:
        """Return a field's first value, with surrounding white space removed.

        :param name: the field's name.
        :returns: the value, or ``None`` when the field is missing or blank.
        """
        value = self.raw(name)
        return value.strip() or None if value is not None else None

    def required(self, name: str, what: str) -> str:
        """Return a field that must be filled in.

        :param name: the field's name.
        :param what: how to name it in the error (``a client``).
        :returns: its value, white space removed around it.
        :raises ApiError: 400 naming the field when it is missing or blank.
        """
        value = self.get(name)
        if value is None:
            raise ApiError(400, "invalid_input", f"{what} is required")
        return value

    def raw(self, name: str) -> str | None:
        """Return a field's first value as typed (a password keeps its spaces).

        :param name: the field's name.
        :returns: the value, or ``None`` when the field is missing.
        """
        value = self._fields.get(name)
        return value if isinstance(value, str) else None

    def names(self) -> list[str]:
        """Return the names of the fields given, in order, each once.

        :returns: the names.
        """
        return list(dict.fromkeys(self._fields.keys()))

    def flag(self, name: str) -> bool:
        """Whether a checkbox was ticked (the field is present and not ``off``/``false``).

        :param name: the field's name.
        :returns: ``True`` when ticked.
        """
        value = self.get(name)
        return value is not None and value.lower() not in ("off", "false", "0")

    @classmethod
    def of(cls, request: Request) -> Form:
        """Return the form of a POST request.

        :param request: the request.
        :returns: the form (empty when the middleware read none).
        """
        fields = getattr(request.state, "form", None)
        return cls(fields if isinstance(fields, FormData) else FormData())


@frozen
class View:
    """One request to an account's page or one of its actions.

    :param hub: the hub.
    :param store: the store the path names.
    :param request: the request.
    :param account_id: the account the path names.
    :param actor: the logged-in admin.
    """

    hub: Hub
    store: Store
    request: Request
    account_id: str
    actor: str

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a blocking facade method in the thread pool as the logged-in admin.

        :param fn: the facade method.
        :param args: its positional arguments.
        :param kwargs: its keyword arguments (``actor=`` is added).
        :returns: what it returned.
        :raises ApiError: for every idconnect error it raised.
        """
        return await call(fn, *args, actor=self.actor, **kwargs)

    async def act(self, fn: Callable[..., T], form: Form, *args: Any, **kwargs: Any) -> T:
        """Run a facade mutation of this account as the logged-in admin, with the form's reason.

        :param fn: the facade method; it takes the account's id first.
        :param form: the action's form (its ``reason`` is passed on).
        :param args: its positional arguments after the account's id.
        :param kwargs: its other keyword arguments.
        :returns: what it returned.
        :raises ApiError: for every idconnect error it raised.
        """
        return await self.run(fn, self.account_id, *args, reason=form.get("reason"), **kwargs)

    @property
    def base(self) -> str:
        """The path of the account's page (its actions post below it)."""
        console: str = self.request.scope.get("root_path", "")  # where the console is mounted
        parts = ("stores", self.store.name, "accounts", self.account_id)
        return console + "".join(f"/{quote(part, safe='')}" for part in parts)

    async def account(self) -> Account:
        """Read the account in the thread pool, with the store's catalogue and capabilities.

        Those two may need the store once (then the store keeps them): read here, in the pool,
        the page's rendering never waits on the store.

        :returns: the account.
        :raises ApiError: 404 when it does not exist, and for every other idconnect error.
        """

        def read(*, actor: str) -> tuple[Account, Catalogue, frozenset[str]]:
            store = self.store
            return (
                store.get_account(self.account_id, actor=actor),
                store.catalogue,
                store.capabilities,
            )

        account, _, _ = await self.run(read)
        return account

    def can(self, permission: str) -> bool:
        """Whether the logged-in admin holds ``permission`` on this store.

        :param permission: a permission name, e.g. ``accounts.delete``.
        :returns: ``True`` when one of their roles grants it here.
        """
        return self.hub.permissions.allows(self.actor, permission, self.store.name)

    def supports(self, operation: str) -> bool:
        """Whether the store (or the hub, for it) can do an operation.

        :param operation: an operation name, e.g. ``list_sessions``.
        :returns: ``True`` when it is one of the store's capabilities.
        """
        return operation in self.store.capabilities


def actor_of(request: Request) -> str:
    """Return the logged-in admin of a console request.

    :param request: the request.
    :returns: the admin's name.
    :raises ApiError: 401 when no console session authenticated the request.
    """
    actor = getattr(request.state, "actor", None)
    if not isinstance(actor, str) or not actor:
        raise ApiError(401, "unauthenticated", "log in to the console first")
    return actor


def open_view(hub: Hub, request: Request) -> View | Response:
    """Build the :class:`View` of a request to an account's page or action.

    :param hub: the hub.
    :param request: the request; its path names the store and the account.
    :returns: the view, or the listing's error page for a store that is not configured (404)
        or cannot be used (503 for a secret that cannot be read).
    :raises ApiError: 401 without a logged-in admin.
    """
    actor = actor_of(request)
    store = store_or_404(request, hub)
    if isinstance(store, Response):
        return store
    return View(hub, store, request, request.path_params["account"], actor)
