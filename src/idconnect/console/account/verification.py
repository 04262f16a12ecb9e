"""The Identity verification tab: the history; verify manually under a policy; revoke one."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from idconnect.console.account.parts import Action, Done, Tab, section
from idconnect.console.account.web import Form, View
from idconnect.core.model import Account

__all__ = ["ACTIONS", "TAB"]


async def _load(view: View, account: Account) -> Mapping[str, Any]:
    policies = sorted(view.hub.config.verification_policies.values(), key=lambda p: p.name)
    return {
        "verifications": await section(view, view.store.verifications, view.account_id),
        "policies": policies,
    }


async def _verify(view: View, form: Form) -> Done:
    done = await view.act(
        view.store.verify_identity,
        form,
        policy=form.required("policy", "a verification policy"),
        evidence=form.required("evidence", "the evidence checked"),
    )
    return Done(message=f"Identity verified under policy {done.policy}.")


async def _revoke(view: View, form: Form) -> Done:
    await view.act(
        view.store.revoke_verification, form, form.required("verification", "the verification")
    )
    return Done(message="Identity verification revoked.")


TAB = Tab(
    name="verification", title="Identity verification", permission="verification.read", load=_load
)
ACTIONS = (
    Action(name="verification/verify", tab="verification", run=_verify),
    Action(name="verification/revoke", tab="verification", run=_revoke),
)
