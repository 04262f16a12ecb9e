"""Support-desk records: identity verifications and consents (list, record, revoke)."""

from __future__ import annotations

from typing import Any

from idconnect.core.convert import to_json
from idconnect.core.records import MAX_EVIDENCE, MAX_PURPOSE, MAX_VERSION, IdentityVerification
from idconnect.http.admin.schemas import ID, TEXT, account_param, array_of, ref, store_param
from idconnect.http.admin.spec import Call, Endpoint, Param, Reply, instant

__all__ = ["ENDPOINTS"]

_BASE = "/stores/{store}/accounts/{account}"


def _verification(record: IdentityVerification) -> dict[str, Any]:
    doc: dict[str, Any] = to_json(record)
    doc["status"] = record.status.value
    return doc


async def _verifications(call: Call) -> Any:
    found = await call.run(call.store.verifications, call.path["account"])
    return [_verification(v) for v in found]


async def _verify(call: Call) -> Any:
    done = await call.run(
        call.store.verify_identity,
        call.path["account"],
        policy=call.body["policy"],
        evidence=call.body["evidence"],
        reason=call.reason(),
    )
    return _verification(done)


async def _unverify(call: Call) -> Any:
    done = await call.run(
        call.store.revoke_verification,
        call.path["account"],
        call.path["verification"],
        reason=call.reason(),
    )
    return _verification(done)


async def _consents(call: Call) -> Any:
    return to_json(await call.run(call.store.consents, call.path["account"]))


async def _record(call: Call) -> Any:
    b = call.body
    done = await call.run(
        call.store.record_consent,
        call.path["account"],
        purpose=b["purpose"],
        version=b["version"],
        agreed_at=instant(b.get("agreedAt")),
        reason=call.optional_reason(),
    )
    return to_json(done)


async def _revoke(call: Call) -> Any:
    done = await call.run(
        call.store.revoke_consent,
        call.path["account"],
        call.path["consent"],
        reason=call.reason(),
        by_customer=call.body.get("byCustomer", False),
    )
    return to_json(done)


_VERIFICATION = Param(name="verification", schema=ID, description="The verification's id.")
_CONSENT = Param(name="consent", schema=ID, description="The consent's id.")

ENDPOINTS = (
    Endpoint(
        method="GET",
        path=_BASE + "/verifications",
        name="listVerifications",
        summary="An account's identity verifications, newest first (revoked, expired too).",
        tag="verifications",
        run=_verifications,
        params=(store_param(), account_param()),
        responses={200: Reply(description="The history.", schema=array_of(ref("Verification")))},
    ),
    Endpoint(
        method="POST",
        path=_BASE + "/verifications",
        name="verifyIdentity",
        summary="Record that support verified the holder's identity under a policy.",
        tag="verifications",
        run=_verify,
        params=(store_param(), account_param()),
        body={
            "policy": TEXT,
            "evidence": {**TEXT, "maxLength": MAX_EVIDENCE},
            "reason": TEXT,
        },
        required=("policy", "evidence"),
        mutates=True,
        responses={201: Reply(description="The new record.", schema=ref("Verification"))},
    ),
    Endpoint(
        method="POST",
        path=_BASE + "/verifications/{verification}/revoke",
        name="revokeVerification",
        summary="Revoke an identity verification; it stays listed.",
        tag="verifications",
        run=_unverify,
        params=(store_param(), account_param(), _VERIFICATION),
        body={"reason": TEXT},
        mutates=True,
        responses={200: Reply(description="The revoked record.", schema=ref("Verification"))},
    ),
    Endpoint(
        method="GET",
        path=_BASE + "/consents",
        name="listConsents",
        summary="An account's consent log, newest agreement first.",
        tag="consents",
        run=_consents,
        params=(store_param(), account_param()),
        responses={200: Reply(description="The log.", schema=array_of(ref("Consent")))},
    ),
    Endpoint(
        method="POST",
        path=_BASE + "/consents",
        name="recordConsent",
        summary="Record a consent (ends the one of the same purpose that still holds).",
        tag="consents",
        description="A reason is optional (the customer-facing app records consents).",
        run=_record,
        params=(store_param(), account_param()),
        body={
            "purpose": {**TEXT, "maxLength": MAX_PURPOSE},
            "version": {**TEXT, "maxLength": MAX_VERSION},
            "agreedAt": {"type": "string", "format": "date-time"},
            "reason": TEXT,
        },
        required=("purpose", "version"),
        responses={201: Reply(description="The new record.", schema=ref("Consent"))},
    ),
    Endpoint(
        method="POST",
        path=_BASE + "/consents/{consent}/revoke",
        name="revokeConsent",
        summary="End a consent that still holds; it stays in the log.",
        tag="consents",
        run=_revoke,
        params=(store_param(), account_param(), _CONSENT),
        body={"byCustomer": {"type": "boolean"}, "reason": TEXT},
        mutates=True,
        responses={200: Reply(description="The ended record.", schema=ref("Consent"))},
    ),
)
