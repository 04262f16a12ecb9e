"""POST /api/stores/{store}/policies/dormant/run over real HTTP: the dry run plans what the
facade plans and changes nothing; the run starts the disable job whose reason names the policy;
a store without a policy is 404, a reader is 403."""

from __future__ import annotations

from pathlib import Path

import requests

import idconnect
from idconnect.core.api_tokens import issue_token
from idconnect.http.app import create_app
from idconnect.http.server import serving
from tests.http.admin_env import ALICE, BOB, hub_config


def test_run_the_dormant_policy_over_http(tmp_path: Path) -> None:
    config = hub_config(tmp_path)
    config["stores"]["main"]["policies"] = {"dormant": {"inactive_after": "60d"}}
    with idconnect.connect(config) as hub:
        store = hub.store("main")
        store.provision()
        store.seed_demo(30, 1)
        planned = store.run_dormant_policy(dry_run=True)
        due = sorted(d.account_id for d in planned.of("disable"))
        assert due, "the demo data holds accounts without a login for 60 days"
        with serving(create_app(hub)) as base:
            tokens = {a: issue_token(hub, admin=a, reason="tests")[0] for a in (ALICE, BOB)}

            def post(path: str, admin: str = ALICE, **body: object) -> requests.Response:
                headers = {"Authorization": f"Bearer {tokens[admin]}"}
                return requests.post(base + "/api" + path, json=body, headers=headers, timeout=30)

            dry = post("/stores/main/policies/dormant/run", dry_run=True)
            assert dry.status_code == 200, dry.text
            doc = dry.json()
            assert doc["dryRun"] is True and doc["jobs"] == []
            assert (
                sorted(d["accountId"] for d in doc["decisions"] if d["action"] == "disable") == due
            )
            assert all(store.get_account(i).active for i in due)
            assert post("/stores/main/policies/dormant/run", admin=BOB).status_code == 403
            assert post("/stores/orgs/policies/dormant/run").status_code == 404
            ran = post("/stores/main/policies/dormant/run")
            assert ran.status_code == 200, ran.text
            [job] = ran.json()["jobs"]
            assert job["action"] == "disable" and job["reason"].startswith("dormant policy:")
            assert job["actor"] == ALICE
            assert store.wait_job(job["id"]).counts == {"ok": len(due)}
            assert not any(store.get_account(i).active for i in due)
