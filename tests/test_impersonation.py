"""Impersonation: signed links in RFC 8693 delegation shape, the JWKS, redemption and its refusals.

Time is injected (a clock the test moves), never slept on. Tokens are verified the way a client
app would: with joserfc and the published JWKS alone.
"""

from __future__ import annotations

import base64
import getpass
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet, OKPKey

import idconnect
from idconnect import Account, ConfigError, Email, PermissionDenied, TokenRefused
from idconnect.core.config import load_config
from idconnect.core.errors import SecretUnavailable
from idconnect.core.impersonation import GrantStatus
from tests.token_helpers import T0, Clock, Inbox, inbox

ADMIN = "agent-7"

__all__ = ["inbox"]


def write_key(path: Path, kind: str = "EC") -> Path:
    key = ECKey.generate_key("P-256") if kind == "EC" else OKPKey.generate_key("Ed25519")
    path.write_bytes(key.as_pem(private=True))
    return path


def config(tmp_path: Path, key: Path, **impersonation: Any) -> dict[str, Any]:
    return {
        "hub": {"state": f"sqlite:///{tmp_path / 'state.db'}"},
        "stores": {"mem": {"plugin": "memory"}, "other": {"plugin": "memory"}},
        "applications": {"shop": {}, "portal": {"organizational": True}},
        "clients": {
            "shop-web": {"application": "shop", "login_url": "https://shop.example.com/login?x=1"},
            "shop-app": {"application": "shop", "login_url": "https://app.example.com/login"},
            "portal-web": {"application": "portal", "login_url": "https://portal.example.com/"},
        },
        "impersonation": {
            "signing_key_file": str(key),
            "issuer": "https://hub.example",
            **impersonation,
        },
        "admins": {
            "roles": {
                "support": {"permissions": ["*"]},
                "agent": {"permissions": ["accounts.read"]},
            },
            "members": {getpass.getuser(): ["support"], ADMIN: ["support"], "junior": ["agent"]},
        },
    }


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def hub(tmp_path: Path, clock: Clock) -> Iterator[idconnect.Hub]:
    key = write_key(tmp_path / "impersonation.pem")
    with idconnect.connect(config(tmp_path, key), clock=clock) as hub:
        yield hub


def add(hub: idconnect.Hub, user_name: str = "bjensen", organization: str | None = None) -> str:
    store = hub.store("mem")
    return store.create_account(
        Account(user_name=user_name, organization=organization), reason="test"
    ).id


def token_of(link: str) -> str:
    return parse_qs(urlsplit(link).query)["impersonation_token"][0]


def impersonate(hub: idconnect.Hub, account_id: str, client: str = "shop-web") -> Any:
    with hub.acting_as(ADMIN):
        return hub.store("mem").impersonate(account_id, client=client, reason="ticket 4711")


def test_the_link_carries_a_delegation_token_the_jwks_verifies(hub: idconnect.Hub) -> None:
    account_id = add(hub)
    grant = impersonate(hub, account_id)
    parts = urlsplit(grant.link)
    assert (parts.netloc, parts.path) == ("shop.example.com", "/login")
    assert parse_qs(parts.query)["x"] == ["1"]
    assert grant.expires_at == T0 + timedelta(minutes=3)
    # as a client app would: the published JWKS and the JOSE library, nothing of idconnect
    jwks = json.loads(json.dumps(hub.jwks()))
    assert all("d" not in key for key in jwks["keys"])
    decoded = jwt.decode(token_of(grant.link), KeySet.import_key_set(jwks), algorithms=["ES256"])
    assert decoded.header["kid"] == jwks["keys"][0]["kid"]
    claims = decoded.claims
    assert claims["sub"] == account_id
    assert claims["act"] == {"sub": ADMIN}
    assert claims["aud"] == "shop-web"
    assert claims["iss"] == "https://hub.example"
    assert claims["jti"] == grant.id
    assert claims["exp"] - claims["iat"] == 180
    assert claims["idc_store"] == "mem"
    event = hub.store("mem").events(account_id, action="impersonate")[-1]
    assert claims["idc_event"] == event.id == grant.event_id
    assert (event.actor, event.reason, event.target) == (ADMIN, "ticket 4711", grant.id)


def test_redemption_returns_the_claims_once_and_records_the_start(
    hub: idconnect.Hub, clock: Clock
) -> None:
    account_id = add(hub)
    grant = impersonate(hub, account_id)
    clock.now += timedelta(minutes=2)
    claims = hub.redeem_impersonation(token_of(grant.link), client="shop-web")
    assert (claims["sub"], claims["act"]["sub"]) == (account_id, ADMIN)
    start = hub.store("mem").events(account_id, action="redeem_impersonation")[-1]
    assert (start.actor, start.reason, start.target, start.outcome) == (
        ADMIN,
        "ticket 4711",
        grant.id,
        "success",
    )
    with pytest.raises(TokenRefused, match="used already") as refused:
        hub.redeem_impersonation(token_of(grant.link), client="shop-web")
    assert refused.value.details["why"] == "used"
    [listed] = hub.store("mem").impersonations(account_id)
    assert listed.status(clock.now) is GrantStatus.REDEEMED
    assert listed.redeemed_at == T0 + timedelta(minutes=2)
    assert listed.link is None


def test_an_expired_token_is_refused(hub: idconnect.Hub, clock: Clock) -> None:
    grant = impersonate(hub, add(hub))
    clock.now += timedelta(minutes=3)
    with pytest.raises(TokenRefused, match="expired") as refused:
        hub.redeem_impersonation(token_of(grant.link), client="shop-web")
    assert refused.value.details["why"] == "expired"
    assert hub.impersonations()[0].status(clock.now) is GrantStatus.EXPIRED


def test_the_wrong_audience_is_refused_and_the_grant_stays_usable(hub: idconnect.Hub) -> None:
    grant = impersonate(hub, add(hub))
    with pytest.raises(TokenRefused, match="not for client 'shop-app'") as refused:
        hub.redeem_impersonation(token_of(grant.link), client="shop-app")
    assert refused.value.details["why"] == "wrong_audience"
    assert hub.redeem_impersonation(token_of(grant.link), client="shop-web")["jti"] == grant.id


def test_a_revoked_grant_is_refused(hub: idconnect.Hub) -> None:
    account_id = add(hub)
    grant = impersonate(hub, account_id)
    revoked = hub.revoke_impersonation(grant.id, reason="wrong customer")
    assert (revoked.revoked_by, revoked.revoke_reason) == (getpass.getuser(), "wrong customer")
    with pytest.raises(TokenRefused, match="revoked") as refused:
        hub.redeem_impersonation(token_of(grant.link), client="shop-web")
    assert refused.value.details["why"] == "revoked"
    actions = [e.action for e in hub.store("mem").events(account_id)]
    assert actions[-2:] == ["revoke_impersonation", "redeem_impersonation"]
    assert hub.store("mem").events(account_id)[-1].outcome == "failure"
    with pytest.raises(idconnect.Conflict, match="revoked already"):
        hub.revoke_impersonation(grant.id, reason="again")


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_a_changed_payload_is_refused(hub: idconnect.Hub) -> None:
    grant = impersonate(hub, add(hub))
    header, payload, signature = token_of(grant.link).split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "someone-else"
    forged = ".".join([header, _b64(claims), signature])
    with pytest.raises(TokenRefused, match="signature does not verify") as refused:
        hub.redeem_impersonation(forged, client="shop-web")
    assert refused.value.details["why"] == "bad_signature"


def test_a_token_signed_by_another_key_is_refused(hub: idconnect.Hub, tmp_path: Path) -> None:
    grant = impersonate(hub, add(hub))
    claims = jwt.decode(token_of(grant.link), KeySet.import_key_set(hub.jwks())).claims
    other = ECKey.import_key(write_key(tmp_path / "other.pem").read_bytes())
    kid = hub.jwks()["keys"][0]["kid"]
    forged = jwt.encode({"alg": "ES256", "kid": kid}, claims, other)
    with pytest.raises(TokenRefused) as refused:
        hub.redeem_impersonation(forged, client="shop-web")
    assert refused.value.details["why"] == "bad_signature"
    none_alg = ".".join([_b64({"alg": "none"}), _b64(claims), ""])
    with pytest.raises(TokenRefused) as refused:
        hub.redeem_impersonation(none_alg, client="shop-web")
    assert refused.value.details["why"] == "malformed"


def test_another_issuer_is_refused(tmp_path: Path, clock: Clock) -> None:
    key = write_key(tmp_path / "k.pem")
    with idconnect.connect(config(tmp_path, key), clock=clock) as hub:
        grant = impersonate(hub, add(hub))
    other = config(tmp_path, key)
    other["impersonation"]["issuer"] = "https://elsewhere.example"
    with idconnect.connect(other, clock=clock) as hub, pytest.raises(TokenRefused) as refused:
        hub.redeem_impersonation(token_of(grant.link), client="shop-web")
    assert refused.value.details["why"] == "wrong_issuer"


def test_ed25519_keys_sign_too(tmp_path: Path, clock: Clock) -> None:
    key = write_key(tmp_path / "ed.pem", kind="OKP")
    with idconnect.connect(config(tmp_path, key, lifetime="45s"), clock=clock) as hub:
        grant = impersonate(hub, add(hub))
        jwks = hub.jwks()
        assert jwks["keys"][0]["crv"] == "Ed25519"
        decoded = jwt.decode(
            token_of(grant.link), KeySet.import_key_set(jwks), algorithms=["Ed25519"]
        )
        assert decoded.claims["exp"] - decoded.claims["iat"] == 45
        assert hub.redeem_impersonation(token_of(grant.link), client="shop-web")["jti"] == grant.id


def test_impersonating_needs_the_permission_and_a_reason(hub: idconnect.Hub) -> None:
    account_id = add(hub)
    store = hub.store("mem")
    with pytest.raises(PermissionDenied, match=r"accounts\.impersonate"):
        store.impersonate(account_id, client="shop-web", reason="x", actor="junior")
    with pytest.raises(idconnect.InvalidInput, match="reason"):
        store.impersonate(account_id, client="shop-web", reason="")
    with pytest.raises(PermissionDenied):
        store.impersonations(actor="junior")
    denied = store.events(account_id, action="impersonate")[-1]
    assert (denied.actor, denied.outcome) == ("junior", "denied")
    assert store.impersonations() == []


def test_the_selection_rules_choose_the_client(hub: idconnect.Hub) -> None:
    member = add(hub, "partner", organization="acme")
    with pytest.raises(idconnect.InvalidInput, match="selection rule 1"):
        impersonate(hub, member, client="shop-web")
    assert urlsplit(impersonate(hub, member, client="portal-web").link).netloc == (
        "portal.example.com"
    )
    with pytest.raises(idconnect.InvalidInput, match="no client named"):
        impersonate(hub, add(hub), client="nope")
    failed = hub.store("mem").events(member, action="impersonate")
    assert [e.outcome for e in failed] == ["failure", "success"]


def test_grants_are_listed_per_store_and_revoked_only_on_theirs(hub: idconnect.Hub) -> None:
    first = impersonate(hub, add(hub))
    second = impersonate(hub, add(hub, "other"))
    assert [g.id for g in hub.impersonations()] == [first.id, second.id] or [
        g.id for g in hub.impersonations()
    ] == [second.id, first.id]
    assert hub.impersonations(store="other") == []
    with pytest.raises(idconnect.NotFound):
        hub.store("other").revoke_impersonation(first.id, reason="x")
    assert "link" not in repr(first) and first.link not in repr(first)


def test_the_lifetime_has_a_hard_maximum(tmp_path: Path) -> None:
    key = tmp_path / "k.pem"
    with pytest.raises(ConfigError, match="lifetime"):
        load_config(config(tmp_path, key, lifetime="11m"))
    with pytest.raises(ConfigError, match="unknown setting"):
        load_config(config(tmp_path, key, signing_key="inline"))
    assert load_config(config(tmp_path, key, lifetime="10m")).impersonation.lifetime == (
        timedelta(minutes=10)
    )


def test_without_a_key_impersonation_is_a_config_error(tmp_path: Path) -> None:
    cfg = config(tmp_path, tmp_path / "missing.pem")
    with idconnect.connect(cfg) as hub:
        with pytest.raises(SecretUnavailable, match="signing_key_file") as err:
            impersonate(hub, add(hub))
        assert "cannot be read" in str(err.value)
    del cfg["impersonation"]
    with idconnect.connect(cfg) as hub, pytest.raises(ConfigError, match="not configured"):
        hub.jwks()


@pytest.mark.parametrize("listed", [True, False])
def test_the_customer_is_told_when_their_policy_lists_the_start(
    tmp_path: Path, clock: Clock, inbox: tuple[Inbox, int], listed: bool
) -> None:
    cfg = config(tmp_path, write_key(tmp_path / "k.pem"))
    cfg["applications"]["shop"] = {"policy": "retail"}
    cfg["notifications"] = {
        "channels": {
            "email": {
                "plugin": "smtp",
                "host": "127.0.0.1",
                "port": inbox[1],
                "security": "none",
                "sender": "support@example.com",
            }
        },
        "policies": {"retail": {"events": {"impersonation_started": {}} if listed else {}}},
    }
    with idconnect.connect(cfg, clock=clock) as hub:
        account = Account(
            user_name="bjensen",
            emails=(Email(value="bjensen@example.org", primary=True, verified=True),),
        )
        account_id = hub.store("mem").create_account(account, reason="test").id
        assert account_id is not None
        grant = impersonate(hub, account_id)
        hub.redeem_impersonation(token_of(grant.link), client="shop-web")
        logged = hub.store("mem").notifications(account_id).items
        if not listed:
            assert inbox[0].messages == [] and list(logged) == []
            return
        [message] = inbox[0].messages
        assert message["To"] == "bjensen@example.org"
        assert message["Subject"] == "Support signed in to your account"
        [entry] = logged
        assert (entry.event, entry.actor, entry.reason, entry.status) == (
            "impersonation_started",
            ADMIN,
            "ticket 4711",
            "sent",
        )
