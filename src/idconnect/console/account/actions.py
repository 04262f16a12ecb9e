"""The overview panel's actions: password, failed attempts, export, impersonate, status, delete.

Each one is a POST form carrying a reason; it calls the facade as the logged-in admin, whose
permission wrapper refuses (403) before any I/O what the admin may not do.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from starlette.responses import HTMLResponse, Response

from idconnect.console.account.parts import Action, Done, one, told
from idconnect.console.account.web import Form, View
from idconnect.core.model import BulkResult
from idconnect.http.admin.export import EXPORT_CSP
from idconnect.http.calls import ApiError

__all__ = ["ACTIONS"]

_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


async def _unlock(view: View, form: Form) -> Done:
    await view.act(view.store.reset_failed_attempts, form)
    return Done(message="Failed attempts reset: the password and OTP counters are back to 0.")


async def _set_password(view: View, form: Form) -> Done:
    password = form.raw("password")
    if not password:
        raise ApiError(400, "invalid_input", "the new password is required")
    if password != form.raw("confirm"):
        raise ApiError(400, "invalid_input", "the two passwords differ")
    done = await view.act(view.store.set_password, form, password, notify=form.get("notify"))
    return told(done, "Password changed.")


async def _reset_link(view: View, form: Form) -> Done:
    sent = await view.act(
        view.store.send_password_reset, form, client=form.required("client", "a client")
    )
    if sent.status.value == "failed":
        return Done(message=f"The reset link could not be sent: {sent.cause}", failed=True)
    return Done(message=f"Password reset link sent to {sent.target or 'the customer'}.")


async def _export(view: View, form: Form) -> Done:
    format = form.required("format", "a format")
    exported = await view.act(view.store.export_account, form, format=format)
    name = _SAFE_NAME.sub("_", f"account-{view.store.name}-{view.account_id}")
    disposition = {
        "Content-Disposition": f'attachment; filename="{name}.{format}"',
        "Cache-Control": "no-store",
    }
    if isinstance(exported, str):
        page = HTMLResponse(
            exported, headers={**disposition, "Content-Security-Policy": EXPORT_CSP}
        )
        return Done(response=page)
    body = json.dumps(exported, indent=2, ensure_ascii=False, default=str)
    return Done(response=Response(body, media_type="application/json", headers=disposition))


async def _impersonate(view: View, form: Form) -> Done:
    grant = await view.act(view.store.impersonate, form, client=form.required("client", "a client"))
    return Done(
        message=f"Impersonation link made for client {grant.client}; it is shown once.",
        reveal={"link": grant.link, "expires_at": grant.expires_at, "client": grant.client},
    )


async def _this_one(view: View, form: Form, fn: Callable[..., BulkResult]) -> None:
    """Run a bulk facade method on the page's account alone, with the form's reason.

    :raises ApiError: the account's error when it did not succeed.
    """
    one(await view.run(fn, [view.account_id], reason=form.get("reason")))


async def _enable(view: View, form: Form) -> Done:
    await _this_one(view, form, view.store.enable_accounts)
    return Done(message="Account enabled: the customer can log in.")


async def _disable(view: View, form: Form) -> Done:
    await _this_one(view, form, view.store.disable_accounts)
    return Done(message="Account disabled: the customer cannot log in; the data stays.")


async def _delete(view: View, form: Form) -> Done:
    if form.get("confirm") != view.account_id:
        raise ApiError(
            400, "invalid_input", "type the account's id to confirm that it is to be deleted"
        )
    await _this_one(view, form, view.store.delete_accounts)
    return Done(message="Account deleted.", gone=True)


ACTIONS: tuple[Action, ...] = (
    Action(name="unlock", tab="attributes", run=_unlock),
    Action(name="password", tab="authenticators", run=_set_password),
    Action(name="reset-link", tab="authenticators", run=_reset_link),
    Action(name="export", tab="attributes", run=_export),
    Action(name="impersonate", tab="attributes", run=_impersonate),
    Action(name="enable", tab="attributes", run=_enable),
    Action(name="disable", tab="attributes", run=_disable),
    Action(name="delete", tab="attributes", run=_delete),
)
"""The overview panel's actions (delete sessions is the sessions tab's ``sessions/revoke-all``)."""
