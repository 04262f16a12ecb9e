"""Export: everything known about an account, as JSON or as one printable HTML page.

A sensitive read: it needs a reason like a change, and is audited.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import HTMLResponse

from idconnect.http.admin.schemas import TEXT, account_param, ref, store_param
from idconnect.http.admin.spec import Call, Endpoint, Reply

__all__ = ["ENDPOINTS", "EXPORT_CSP"]

EXPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
"""The page's own policy, as a header too: no script, no remote asset, inline styles only."""


async def _export(call: Call) -> Any:
    fmt = call.body.get("format", "json")
    found = await call.run(
        call.store.export_account, call.path["account"], format=fmt, reason=call.reason()
    )
    if fmt == "html":
        return HTMLResponse(found, headers={"Content-Security-Policy": EXPORT_CSP})
    return found


ENDPOINTS = (
    Endpoint(
        method="POST",
        path="/stores/{store}/accounts/{account}/export",
        name="exportAccount",
        summary="Everything known about an account (a data request), as JSON or HTML.",
        tag="export",
        description="Audited; never a password, token or OTP.",
        run=_export,
        params=(store_param(), account_param()),
        body={"format": {"enum": ["json", "html"]}, "reason": TEXT},
        mutates=True,
        responses={
            200: Reply(
                description="The export: a JSON document, or the HTML page (text/html).",
                schema={
                    "type": "object",
                    "required": ["store", "account"],
                    "properties": {"store": {"type": "string"}, "account": ref("Account")},
                },
                html=True,
            )
        },
    ),
)
