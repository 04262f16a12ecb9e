"""Identity verifications and consents: policies from config, the facade's checks, the hub's
records for a store that cannot hold them (the memory store here; the kit covers every backend)."""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

import idconnect
from idconnect import hookimpl
from idconnect.core.config import load_config
from idconnect.core.records import AssuranceLevel, ConsentEnd, VerificationStatus

POLICIES = {
    "document-check": {"methods": ["document"], "level": "substantial", "validity": "365d"},
    "in-person": {"methods": ["in_person", "document"], "level": "high"},
}


def _config(**extra: Any) -> dict[str, Any]:
    return {
        "hub": {"state": "sqlite://"},
        "stores": {"mem": {"plugin": "memory"}, "other": {"plugin": "memory"}},
        "verification": {"policies": POLICIES},
        "admins": {
            "roles": {"support": {"permissions": ["*"]}},
            "members": {name: ["support"] for name in (getpass.getuser(), "agent-7", "risk-team")},
        },
        **extra,
    }


@pytest.fixture
def hub() -> Iterator[idconnect.Hub]:
    with idconnect.connect(_config()) as hub:
        yield hub


def test_policies_are_read_from_the_config() -> None:
    policies = load_config(_config()).verification_policies
    assert policies["document-check"].methods == ("document",)
    assert policies["document-check"].level is AssuranceLevel.SUBSTANTIAL
    assert policies["document-check"].validity == timedelta(days=365)
    assert policies["in-person"].validity is None


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        (
            {"methods": ["document"], "level": "substantial", "validty": 3},
            "did you mean 'validity'",
        ),
        ({"methods": ["telepathy"], "level": "low"}, "unknown method 'telepathy'"),
        ({"methods": [], "level": "low"}, "'methods' must be a non-empty list"),
        ({"methods": ["document"], "level": "medium"}, "expected one of low, substantial, high"),
        ({"methods": ["document"], "level": "low", "validity": "1y"}, "key 'validity'"),
        ({"methods": ["document"], "level": "low", "validity": 0}, "key 'validity'"),
        ({"methods": ["document"], "level": "low", "validity": True}, "key 'validity'"),
    ],
)
def test_a_bad_policy_is_refused_naming_it(policy: dict[str, Any], message: str) -> None:
    config = _config(verification={"policies": {"p1": policy}})
    with pytest.raises(idconnect.ConfigError, match=message) as caught:
        load_config(config)
    assert "verification.policies.p1" in str(caught.value)


def test_an_unknown_key_of_the_verification_table_is_refused() -> None:
    with pytest.raises(idconnect.ConfigError, match="unknown key 'policy'"):
        load_config(_config(verification={"policy": {}}))


def test_a_verification_follows_its_policy_and_is_kept_by_the_hub(hub: idconnect.Hub) -> None:
    store = hub.store("mem")
    account = store.create_account({"userName": "ann"})
    assert account.id
    with hub.acting_as("agent-7"):
        made = store.verify_identity(
            account.id, policy="document-check", evidence="passport, ref 4711", reason="call 88"
        )
    assert made.methods == ("document",) and made.level is AssuranceLevel.SUBSTANTIAL
    assert made.verified_by == "agent-7"
    assert made.expires_at == made.verified_at + timedelta(days=365)
    assert made.status is VerificationStatus.VALID
    assert made.status_at(made.verified_at + timedelta(days=366)) is VerificationStatus.EXPIRED
    assert store.verifications(account.id) == [made]
    rows = hub.state.engine.connect().execute(
        sa.text("SELECT store, account_id FROM idconnect_verifications")
    )
    assert rows.all() == [("mem", account.id)]
    assert hub.store("other").backend is not store.backend


def test_records_are_kept_per_store(hub: idconnect.Hub) -> None:
    mem, other = hub.store("mem"), hub.store("other")
    ann = mem.create_account({"userName": "ann"})
    twin = other.create_account({"userName": "ann"})
    assert ann.id and twin.id
    mem.record_consent(ann.id, purpose="marketing-email", version="1")
    assert other.consents(twin.id) == []
    with pytest.raises(idconnect.NotFound):
        other.consents(ann.id)


def test_an_unknown_policy_is_refused_before_any_io(hub: idconnect.Hub) -> None:
    store = hub.store("mem")
    with pytest.raises(idconnect.InvalidInput, match=r"'video' .*configured: document-check"):
        store.verify_identity("no-such-account", policy="video", evidence="x", reason="y")


@pytest.mark.parametrize("evidence", ["", "  ", "line\nbreak", "x" * 201, b"bytes"])
def test_evidence_is_a_short_note(hub: idconnect.Hub, evidence: Any) -> None:
    store = hub.store("mem")
    account = store.create_account({"userName": "ann"})
    assert account.id
    with pytest.raises(idconnect.InvalidInput, match="evidence"):
        store.verify_identity(account.id, policy="in-person", evidence=evidence, reason="y")
    assert store.verifications(account.id) == []


def test_the_hub_confirms_the_account_before_writing(hub: idconnect.Hub) -> None:
    store = hub.store("mem")
    ann = store.create_account({"userName": "ann"})
    assert ann.id
    store.record_consent(ann.id, purpose="terms", version="1")
    with pytest.raises(idconnect.NotFound, match="no-such-account"):
        store.verify_identity("no-such-account", policy="in-person", evidence="x", reason="y")
    with pytest.raises(idconnect.NotFound):
        store.record_consent("no-such-account", purpose="terms", version="1")
    with hub.state.engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM idconnect_consents")).scalar() == 1


def test_a_revoked_verification_stays_listed_with_who_when_why(hub: idconnect.Hub) -> None:
    store = hub.store("mem")
    account = store.create_account({"userName": "ann"})
    assert account.id
    made = store.verify_identity(account.id, policy="in-person", evidence="desk 3", reason="visit")
    with hub.acting_as("risk-team"):
        revoked = store.revoke_verification(account.id, made.id, reason="stolen identity")
    assert (revoked.revoked_by, revoked.revoke_reason) == ("risk-team", "stolen identity")
    assert store.verifications(account.id) == [revoked]
    assert revoked.status is VerificationStatus.REVOKED
    with pytest.raises(idconnect.Conflict, match="revoked already"):
        store.revoke_verification(account.id, made.id, reason="again")
    with pytest.raises(idconnect.InvalidInput, match="reason"):
        store.revoke_verification(account.id, made.id, reason="")
    with pytest.raises(idconnect.NotFound, match="no identity verification"):
        store.revoke_verification(account.id, "nope", reason="x")
    actions = [(e.action, e.target, e.outcome) for e in store.events(account.id)]
    assert ("verify_identity", made.id, "success") in actions
    assert ("revoke_verification", made.id, "success") in actions
    assert ("revoke_verification", made.id, "failure") in actions


def test_a_newer_version_supersedes_and_revocations_say_by_whom(hub: idconnect.Hub) -> None:
    store = hub.store("mem")
    account = store.create_account({"userName": "ann"})
    assert account.id
    first = datetime(2025, 1, 1, tzinfo=UTC)
    v1 = store.record_consent(account.id, purpose="marketing-email", version="1", agreed_at=first)
    terms = store.record_consent(account.id, purpose="terms", version="2025-01", agreed_at=first)
    v2 = store.record_consent(account.id, purpose="marketing-email", version="2")
    log = {c.id: c for c in store.consents(account.id)}
    assert log[v1.id].ended_how is ConsentEnd.SUPERSEDED
    assert log[v1.id].opted_out_at == v2.agreed_at
    assert log[v2.id].active and log[terms.id].active
    ended = store.revoke_consent(account.id, v2.id, reason="opted out in app", by_customer=True)
    assert ended.ended_how is ConsentEnd.REVOKED_BY_CUSTOMER and not ended.active
    by_support = store.revoke_consent(account.id, terms.id, reason="ticket 9")
    assert by_support.ended_how is ConsentEnd.REVOKED_BY_SUPPORT
    assert by_support.reason == "ticket 9"
    with pytest.raises(idconnect.Conflict, match="ended already"):
        store.revoke_consent(account.id, v1.id, reason="x")
    assert store.consents(account.id)[0].id == v2.id


@pytest.mark.parametrize(
    "kwargs",
    [
        {"purpose": "", "version": "1"},
        {"purpose": "p", "version": "v\t1"},
        {"purpose": "p" * 129, "version": "1"},
        {"purpose": "p", "version": "1", "agreed_at": datetime(2025, 1, 1)},
        {"purpose": "p", "version": "1", "agreed_at": datetime.now(UTC) + timedelta(days=1)},
    ],
)
def test_a_bad_consent_is_refused(hub: idconnect.Hub, kwargs: dict[str, Any]) -> None:
    store = hub.store("mem")
    account = store.create_account({"userName": "ann"})
    assert account.id
    with pytest.raises(idconnect.InvalidInput):
        store.record_consent(account.id, **kwargs)


class Native:
    """A backend keeping its own consents (and reading accounts)."""

    def __init__(self, config: Any) -> None:
        self.calls: list[str] = []

    @hookimpl
    def idconnect_get_account(self, account_id: str) -> idconnect.Account:
        return idconnect.Account(id=account_id, user_name="x")

    @hookimpl
    def idconnect_list_consents(self, account_id: str) -> list[idconnect.Consent]:
        self.calls.append(account_id)
        return []


class NoAccounts:
    """A backend that cannot read accounts: the hub cannot confirm them, so it keeps nothing."""

    def __init__(self, config: Any) -> None:
        pass

    @hookimpl
    def idconnect_list_sessions(self, account_id: str) -> list[idconnect.Session]:
        return []


class Types:
    @hookimpl
    def idconnect_store_types(self) -> dict[str, Any]:
        return {"native": Native, "blind": NoAccounts}


def test_the_hub_provides_only_what_a_backend_lacks() -> None:
    config = {
        "hub": {"state": "sqlite://"},
        "stores": {"n": {"plugin": "native"}, "b": {"plugin": "blind"}},
    }
    with idconnect.connect(config, plugins=[Types()]) as hub:
        native = hub.store("n")
        assert {"list_consents", "verify_identity", "list_verifications"} <= native.capabilities
        assert "record_consent" not in native.capabilities  # never half from the hub
        assert native.consents("a1") == []
        assert native.backend.calls == ["a1"]
        with pytest.raises(idconnect.NotSupported):
            native.record_consent("a1", purpose="terms", version="1")
        assert "list_consents" not in hub.store("b").capabilities
        with pytest.raises(idconnect.NotSupported):
            hub.store("b").consents("a1")
