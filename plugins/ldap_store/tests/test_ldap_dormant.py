"""The dormant-account policy on slapd, the hub's clock 100 days ahead: accounts never logged in
(created "100 days ago") are disabled by a durable job whose reason names the policy, a member
of an exempt group is not, and a re-run starts nothing."""

from __future__ import annotations

from datetime import timedelta

import idconnect
from idconnect.core.instants import utc_now


def test_the_dormant_policy_on_slapd(slapd_server, store_factory, tmp_path) -> None:
    tenant = store_factory(slapd_server, "openldap").config  # a fresh subtree, its password set
    settings = {"plugin": tenant.plugin, **tenant.settings}
    settings["policies"] = {
        "dormant": {
            "inactive_after": "365d",
            "never_logged_in_after": "90d",
            "exempt_groups": ["ops"],
        }
    }
    ahead = utc_now() + timedelta(days=100)
    config = {
        "hub": {"state": f"sqlite:///{tmp_path / 'state.db'}"},
        "stores": {"directory": settings},
    }
    with idconnect.connect(config, clock=lambda: ahead) as hub:
        store = hub.store("directory")
        created = store.create_accounts(
            [{"userName": f"dormant{n}"} for n in range(3)], reason="seed"
        )
        ids = [o.account_id for o in created.outcomes]
        group = store.create_group({"displayName": "ops"}, reason="setup")
        store.add_to_group(group.id, ids[:1], reason="setup")
        plan = store.run_dormant_policy(dry_run=True)
        assert {d.account_id: d.action for d in plan.decisions} == {
            ids[1]: "disable",
            ids[2]: "disable",
        }
        assert all("never logged in, created 100 days ago" in d.why for d in plan.decisions)
        ran = store.run_dormant_policy()
        [job] = ran.jobs
        assert job.reason.startswith("dormant policy:")
        assert store.wait_job(job.id).counts == {"ok": 2}
        assert [store.get_account(i).active for i in ids] == [True, False, False]
        again = store.run_dormant_policy()
        assert again.jobs == () and again.decisions == ()
