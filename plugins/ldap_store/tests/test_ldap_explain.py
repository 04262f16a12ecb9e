"""explain and the scan guard on slapd: the escaped filter, bases, declared indexes, threshold."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from idconnect_ldap.explain import read_indexes

from idconnect import Account, ConfigError, Name, UnsupportedFilter
from idconnect.backend import StoreConfig
from idconnect.cli import cli

REASON = "explain test"
INDEXES = {"uid": ["eq", "sub"], "mail": ["eq", "sub"], "o": ["eq"], "entryUUID": ["eq"]}
"""What the test slapd indexes (a subset of its olcDbIndex), as a store declares it."""


def _account(user_name: str, family_name: str = "Y") -> Account:
    return Account(user_name=user_name, organization="Acme", name=Name(family_name=family_name))


@pytest.fixture
def store(slapd_server, store_factory):
    made = store_factory(slapd_server, "openldap", indexed_attributes=INDEXES, scan_threshold=3)
    for n in range(3):
        made.create_account(_account(f"exp{n}", family_name="X"), reason=REASON)
    return made


def test_explain_shows_the_escaped_filter_bases_and_the_recheck(store) -> None:
    hostile = "exp*)(uid=*"
    explanation = store.explain(f'userName eq "{hostile}"')
    assert explanation.backend == "ldap"
    assert "(uid=exp\\2a\\29\\28uid=\\2a)" in explanation.native
    assert "(objectClass=inetOrgPerson)" in explanation.native
    assert hostile not in explanation.native
    (base,) = explanation.target
    assert base == f"base {store.backend.settings.user_bases[0].dn} scope sub"
    assert explanation.rechecked and "reference evaluator" in explanation.rechecked[0]
    assert explanation.full_scan is False
    text = str(explanation)
    assert "full scan: no" in text and "re-checked locally" in text


def test_explain_judges_by_the_declared_indexes(store) -> None:
    scan = store.explain('organization co "cm"')
    assert scan.full_scan is True
    assert scan.scan_cause == "no sub index on 'o'"
    assert store.explain('organization eq "Acme"').full_scan is False
    assert store.explain('userName co "xp"').full_scan is False
    either = store.explain('userName eq "a" or name.familyName eq "X"')
    assert either.full_scan is True and "'sn'" in (either.scan_cause or "")
    assert store.explain('not (userName eq "a")').full_scan is True
    both = store.explain('userName eq "exp1" and organization co "c"')
    assert both.full_scan is False


def test_without_declared_indexes_the_verdict_is_unknown_and_nothing_is_refused(
    slapd_server, store_factory
) -> None:
    plain = store_factory(slapd_server, "openldap", scan_threshold=0)
    plain.create_account(_account("unknown1"), reason=REASON)
    assert plain.explain('organization co "cm"').full_scan is None
    assert "full scan: unknown" in str(plain.explain('organization co "cm"'))
    assert len(plain.search_accounts('organization co "cm"').items) == 1


def test_the_scan_guard_refuses_above_the_threshold_only(store) -> None:
    # three accounts, threshold three: not above it
    assert len(store.search_accounts('organization co "cm"').items) == 3
    store.create_account(_account("exp3"), reason=REASON)
    with pytest.raises(UnsupportedFilter, match=r"no sub index on 'o'.*scan_threshold"):
        store.search_accounts('organization co "cm"')
    with pytest.raises(UnsupportedFilter, match="scan_threshold"):
        list(store.iter_accounts('organization co "cm"'))
    assert len(store.search_accounts('organization co "cm"', allow_scan=True).items) == 4
    assert len(list(store.iter_accounts('organization co "cm"', allow_scan=True))) == 4
    assert len(store.search_accounts('organization eq "acme"').items) == 4  # indexed


def test_the_cli_explains_and_allows_a_scan(store, tmp_path, monkeypatch) -> None:
    hub_config = store.hub.config
    settings = dict(store.config.settings)
    config = tmp_path / "idconnect.toml"
    lines = [f'[hub]\nstate = "{hub_config.state_url}"\n', "[stores.directory]", 'plugin = "ldap"']
    for key, value in settings.items():
        lines.append(f"{key} = {_toml(value)}")
    config.write_text("\n".join(lines) + "\n")
    runner = CliRunner()
    args = ["--config", str(config), "accounts", "list", "directory", "--filter"]
    explained = runner.invoke(cli, [*args, 'organization co "cm"', "--explain"])
    assert explained.exit_code == 0, explained.output
    assert "(o=*c*)" in explained.output and "no sub index on 'o'" in explained.output
    store.create_account(_account("exp9"), reason=REASON)
    refused = runner.invoke(cli, [*args, 'organization co "cm"'])
    assert refused.exit_code != 0 and "scan_threshold" in refused.output
    allowed = runner.invoke(cli, [*args, 'organization co "cm"', "--allow-scan", "--json"])
    assert allowed.exit_code == 0, allowed.output
    assert allowed.output.count('"userName"') == 4


def _toml(value: object) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f'"{k}" = {_toml(v)}' for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


@pytest.mark.parametrize(
    "value",
    [["eq"], {"uid": []}, {"uid": ["btree"]}, {"uid": "eq"}],
)
def test_indexed_attributes_are_validated(value) -> None:
    config = StoreConfig(name="d", plugin="ldap", settings={"indexed_attributes": value})
    with pytest.raises(ConfigError, match="indexed_attributes"):
        read_indexes(config)
