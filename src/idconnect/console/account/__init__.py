"""The account page of the support console: ``/console/stores/{store}/accounts/{account}``.

The overview panel (:mod:`.overview`, its actions :mod:`.actions`) stays above every tab;
each tab is one module: :mod:`.attributes`, :mod:`.activity`, :mod:`.notifications`,
:mod:`.groups`, :mod:`.roles`, :mod:`.authenticators`, :mod:`.sessions`,
:mod:`.verification`, :mod:`.consents`. A tab is a plain link (``?tab=NAME``); every change is
a POST form to ``.../{account}/{action}`` carrying the CSRF token and a reason, run through
the facade as the logged-in admin (:mod:`.web`), and answered with the page (:mod:`.page`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from idconnect.console.account import (
    actions,
    activity,
    attributes,
    authenticators,
    consents,
    groups,
    notifications,
    roles,
    sessions,
    verification,
)
from idconnect.console.account.page import act, show
from idconnect.console.account.parts import Action, Tab
from idconnect.console.account.web import View, open_view

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from idconnect.core.facade import Hub

__all__ = ["ACTIONS", "TABS", "account_routes"]

TABS: tuple[Tab, ...] = (
    attributes.TAB,
    activity.TAB,
    notifications.TAB,
    groups.TAB,
    roles.TAB,
    authenticators.TAB,
    sessions.TAB,
    verification.TAB,
    consents.TAB,
)
"""The tabs, in the order the page shows them; the first is the default."""

ACTIONS: tuple[Action, ...] = (
    *actions.ACTIONS,
    *attributes.ACTIONS,
    *groups.ACTIONS,
    *roles.ACTIONS,
    *authenticators.ACTIONS,
    *sessions.ACTIONS,
    *verification.ACTIONS,
    *consents.ACTIONS,
)
"""Every action of the page."""

_PAGE = "/stores/{store}/accounts/{account}"


def account_routes(hub: Hub) -> list[BaseRoute]:
    """Build the account page's routes, relative to ``/console``.

    ``GET /stores/{store}/accounts/{account}[?tab=NAME]`` shows the page;
    ``POST /stores/{store}/accounts/{account}/{action}`` runs one action. Both expect the
    console's middleware in front (the logged-in admin in ``request.state.actor``, the
    checked form in ``request.state.form``).

    :param hub: the hub the handlers call.
    :returns: the routes.
    """
    tabs = {tab.name: tab for tab in TABS}

    async def page(request: Request) -> Response:
        view = open_view(hub, request)
        if not isinstance(view, View):
            return view
        return await show(view, tabs, request.query_params.get("tab"))

    def handler(action: Action) -> Callable[[Request], Awaitable[Response]]:
        async def run(request: Request) -> Response:
            return await act(hub, tabs, action, request)

        return run

    routes: list[BaseRoute] = [Route(_PAGE, page, methods=["GET"], name="account_page")]
    routes += [
        Route(f"{_PAGE}/{a.name}", handler(a), methods=["POST"], name=f"account_{a.name}")
        for a in ACTIONS
    ]
    return routes
