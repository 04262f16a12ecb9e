"""The account page's two handlers: show it (a tab), and run one of its actions.

An action's answer is the page itself, on the action's tab, with what was done (or the
error's message: a refusal for lack of a permission is ``403``, a stale version ``409``) and,
once, what is to be shown once (an impersonation link). A deleted account's answer is a page
saying so, linking to the listing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from idconnect.console.account.overview import offered
from idconnect.console.account.parts import Action, Done, Tab
from idconnect.console.account.web import Form, View, open_view
from idconnect.console.labels import status_labels
from idconnect.console.pages import render, render_error
from idconnect.core.errors import IdconnectError
from idconnect.http.calls import ApiError, api_error

if TYPE_CHECKING:
    from idconnect.core.facade import Hub

__all__ = ["act", "show"]


async def show(
    view: View,
    tabs: Mapping[str, Tab],
    tab: str | None,
    *,
    done: Done | None = None,
    error: ApiError | None = None,
) -> Response:
    """Render the account page on one tab.

    :param view: the request.
    :param tabs: the page's tabs by name, in order; the first is the default.
    :param tab: the tab to show (an unknown one shows the default).
    :param done: what an action just did.
    :param error: why an action was refused (the page's status is its status).
    :returns: the page; the error page when the account cannot be read (404, 403, ...).
    """
    try:
        account = await view.account()
    except ApiError as exc:
        return render_error(view.request, view.hub, exc.status, exc.detail)
    chosen = tabs.get(tab or "") or next(iter(tabs.values()))
    query = view.request.query_params
    context: dict[str, Any] = {
        "store": view.store,
        "current_store": view.store.name,
        "account": account,
        "tabs": list(tabs.values()),
        "tab": chosen,
        "panel": await chosen.load(view, account) if view.can(chosen.permission) else None,
        "offered": offered(view, account),
        "supports": view.supports,
        "base": view.base,
        "name": account.display_name or account.user_name,
        "labels": status_labels,
        "dialog_open": query.get("dialog") if done is None and error is None else None,
        "done": done,
        "error": None if error is None else error.detail,
    }
    status = 200 if error is None else error.status
    return render(view.request, view.hub, "account/page.html", context, status=status)


async def act(hub: Hub, tabs: Mapping[str, Tab], action: Action, request: Request) -> Response:
    """Run one action of the account page and answer with the page.

    Every action needs a reason, even one the facade would take without (an attribute edit).

    :param hub: the hub.
    :param tabs: the page's tabs by name.
    :param action: the action the path names.
    :param request: the POST request (its form was read by the console's middleware).
    :returns: the page after the action, a download, or the deleted-account page.
    """
    view = open_view(hub, request)
    if not isinstance(view, View):
        return view
    form = Form.of(request)
    try:
        form.required("reason", "a reason (kept in the audit trail)")
        done = await action.run(view, form)
    except ApiError as exc:
        return await show(view, tabs, form.get("tab") or action.tab, error=exc)
    except IdconnectError as exc:
        return await show(view, tabs, form.get("tab") or action.tab, error=api_error(exc))
    if done.response is not None:
        return done.response
    if done.gone:
        context = {
            "store": view.store,
            "current_store": view.store.name,
            "account_id": view.account_id,
            "done": done,
        }
        return render(request, hub, "account/deleted.html", context)
    return await show(view, tabs, form.get("tab") or action.tab, done=done)
