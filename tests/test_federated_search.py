"""hub.search_accounts over three real stores: sql on SQLite and PostgreSQL, ldap on slapd.

The walks create and delete accounts between pages and check that every account that existed
throughout comes exactly once; skipped stores (down, unable to sort, not readable by the actor)
are named with their cause; a cursor resumes in another process and a tampered one is refused.
"""

from __future__ import annotations

import getpass
import itertools
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ldap3
import pytest
import requests
from click.testing import CliRunner
from idconnect_ldap.testing import Slapd, slapd_available
from idconnect_sql.testing import Namespaces, run_name

import idconnect
from idconnect import InvalidInput, StoreUnavailable
from idconnect.cli import cli
from idconnect.core.api_tokens import issue_token
from idconnect.core.facade.federated import FederatedPage
from idconnect.http.app import create_app
from idconnect.http.server import serving
from idconnect.testing.servers import require_server

PASSWORD_ENV = "IDCONNECT_TEST_FEDERATED_LDAP_PASSWORD"
REASON = "federated search test"
_tenants = itertools.count(1)


@pytest.fixture(scope="module")
def slapd() -> Iterator[Slapd]:
    if not slapd_available():
        require_server("slapd is not installed", "apt-get install -y slapd ldap-utils")
    with Slapd() as server:
        server.start()
        os.environ[PASSWORD_ENV] = server.password
        yield server


@pytest.fixture(scope="module")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Namespaces]:
    found = Namespaces("postgresql", tmp_path_factory.mktemp("pg"), run_name())
    yield found
    found.drop()


def _ldap_settings(server: Slapd) -> dict[str, Any]:
    base = f"ou=fed{next(_tenants)}-{os.getpid()},{server.suffix}"
    conn = ldap3.Connection(
        ldap3.Server(server.host, port=server.port, get_info=ldap3.NONE),
        server.root_dn,
        server.password,
        auto_bind=True,
    )
    for dn in (base, f"ou=people,{base}", f"ou=groups,{base}"):
        conn.add(dn, ["organizationalUnit"])
        assert conn.result["result"] == 0, conn.result
    conn.unbind()
    return {
        "plugin": "ldap",
        "url": server.url,
        "bind_dn": server.service_dn,
        "bind_password_env": PASSWORD_ENV,
        "users_base": f"ou=people,{base}",
        "groups_base": f"ou=groups,{base}",
        "empty_member": server.placeholder,
    }


@pytest.fixture
def config(tmp_path: Path, slapd: Slapd, postgres: Namespaces) -> dict[str, Any]:
    return {
        "hub": {"state": f"sqlite:///{tmp_path / 'state.db'}"},
        "stores": {
            "lite": {"plugin": "sql", "url": f"sqlite:///{tmp_path / 'lite.db'}"},
            "pg": {"plugin": "sql", **postgres.fresh()},
            "dir": _ldap_settings(slapd),
        },
        "admins": {
            "roles": {"lite-reader": {"permissions": ["accounts.read"], "stores": ["lite"]}},
            "members": {getpass.getuser(): ["owner"], "carol": ["lite-reader"]},
        },
    }


@pytest.fixture
def hub(config: dict[str, Any]) -> Iterator[idconnect.Hub]:
    with idconnect.connect(config) as found:
        yield found


def _seed(hub: idconnect.Hub, per_store: int) -> dict[tuple[str, str], str]:
    """Create ``per_store`` accounts in each store; return (store, id) -> userName."""
    made = {}
    for store in hub.stores:
        for n in range(per_store):
            name = f"user{n:02d}.{store}"  # interleaved across stores by userName
            account = hub.store(store).create_account({"userName": name}, reason=REASON)
            assert account.id is not None
            made[store, account.id] = name
    return made


def _keys(page: FederatedPage) -> list[tuple[str, str]]:
    return [(item.store, item.account.id or "") for item in page.items]


@pytest.mark.parametrize("sort_by", [None, "userName"])
def test_walking_every_page_returns_each_account_once_while_accounts_come_and_go(
    hub: idconnect.Hub, sort_by: str | None
) -> None:
    before = _seed(hub, 7)
    if sort_by is not None:  # the ldap store cannot sort: it is skipped
        before = {key: name for key, name in before.items() if key[0] != "dir"}
    doomed = list(before)[1::4]  # deleted during the walk: at most once
    seen: list[tuple[str, str]] = []
    names: list[str] = []
    created: set[tuple[str, str]] = set()
    cursor = None
    pages = 0
    while True:
        page = hub.search_accounts('userName co "user"', sort_by=sort_by, count=4, cursor=cursor)
        assert [s.store for s in page.skipped] == ([] if sort_by is None else ["dir"])
        names += [item.account.user_name for item in page.items]
        assert len(page.items) <= 4
        seen += _keys(page)
        pages += 1
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
        if pages <= len(doomed):
            store, account_id = doomed[pages - 1]
            hub.store(store).delete_accounts([account_id], reason=REASON)
            for target in hub.stores:
                if sort_by is not None and target == "dir":
                    continue
                fresh = hub.store(target).create_account(
                    {"userName": f"user{2 * pages:02d}.new.{target}"}, reason=REASON
                )
                created.add((target, fresh.id or ""))
    assert len(seen) == len(set(seen)), "an account came twice"
    kept = set(before) - set(doomed)
    assert kept <= set(seen), f"missing: {sorted(kept - set(seen))}"
    assert set(seen) <= set(before) | created
    assert pages > 3  # 14 accounts and more, 4 a page: really paged
    if sort_by is None:  # store by store, in the order of the configured stores
        order = [store for store, _ in seen]
        assert order == sorted(order, key=list(hub.stores).index)
    else:  # merged by userName across pages (those created behind the walk are left out)
        assert names == sorted(names, key=str.lower)


def test_a_sorted_search_merges_by_the_cores_order_and_skips_a_store_that_cannot_sort(
    hub: idconnect.Hub,
) -> None:
    made = _seed(hub, 5)
    for descending in (False, True):
        names: list[str] = []
        cursor = None
        while True:
            page = hub.search_accounts(
                sort_by="userName", descending=descending, count=3, cursor=cursor
            )
            assert [s.store for s in page.skipped] == ["dir"]
            assert page.skipped[0].cause == "not supported"
            names += [item.account.user_name for item in page.items]
            cursor = page.next_cursor
            if cursor is None:
                break
        expected = sorted(
            (n for (store, _), n in made.items() if store != "dir"), reverse=descending
        )
        assert names == expected


def test_an_exact_search_finds_the_one_account_in_its_store(hub: idconnect.Hub) -> None:
    _seed(hub, 3)
    page = hub.search_accounts('userName eq "user01.dir"')
    assert [(i.store, i.account.user_name) for i in page.items] == [("dir", "user01.dir")]
    assert page.next_cursor is None and page.skipped == ()
    only = hub.search_accounts('userName ew ".lite"', stores=["pg", "lite"])
    assert {i.store for i in only.items} == {"lite"}


def test_a_store_that_is_down_is_skipped_unless_strict(
    config: dict[str, Any], tmp_path: Path
) -> None:
    config["stores"]["down"] = {
        "plugin": "sql",
        "url": "postgresql+psycopg://postgres@127.0.0.1:1/nothing",
        "connect_timeout": 1,
    }
    with idconnect.connect(config) as hub:
        hub.store("lite").create_account({"userName": "alive"}, reason=REASON)
        page = hub.search_accounts('userName eq "alive"')
        assert [i.account.user_name for i in page.items] == ["alive"]
        assert [(s.store, s.cause) for s in page.skipped] == [("down", "unavailable")]
        assert "127.0.0.1" in page.skipped[0].message
        with pytest.raises(StoreUnavailable, match="down"):
            hub.search_accounts('userName eq "alive"', strict=True)


def test_a_store_the_actor_may_not_read_is_skipped_with_permission(hub: idconnect.Hub) -> None:
    _seed(hub, 2)
    page = hub.search_accounts('userName co "user"', actor="carol")
    assert {i.store for i in page.items} == {"lite"}
    assert sorted((s.store, s.cause) for s in page.skipped) == [
        ("dir", "permission"),
        ("pg", "permission"),
    ]


def test_the_cursor_resumes_in_another_process(
    hub: idconnect.Hub, config: dict[str, Any], tmp_path: Path
) -> None:
    made = _seed(hub, 4)
    first = hub.search_accounts('userName co "user"', count=5)
    assert first.next_cursor is not None
    config_file = tmp_path / "config.json"
    config_file.write_text(json.dumps(config))
    script = (
        "import json, sys, idconnect\n"
        "hub = idconnect.connect(json.load(open(sys.argv[1])))\n"
        "cursor, seen = sys.argv[2], []\n"
        "while cursor:\n"
        "    page = hub.search_accounts('userName co \"user\"', count=5, cursor=cursor)\n"
        "    seen += [[i.store, i.account.id] for i in page.items]\n"
        "    cursor = page.next_cursor\n"
        "print(json.dumps(seen))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(config_file), first.next_cursor],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, PASSWORD_ENV: os.environ[PASSWORD_ENV]},
    )
    rest = [tuple(pair) for pair in json.loads(done.stdout)]
    walked = _keys(first) + rest
    assert sorted(walked) == sorted(made)


def test_a_tampered_or_foreign_cursor_is_invalid_input(hub: idconnect.Hub) -> None:
    _seed(hub, 3)
    page = hub.search_accounts(count=2)
    assert page.next_cursor is not None
    with pytest.raises(InvalidInput, match="different filter"):
        hub.search_accounts('userName co "x"', count=2, cursor=page.next_cursor)
    with pytest.raises(InvalidInput):
        hub.search_accounts(count=2, cursor=page.next_cursor[:-3] + "AAA")
    with pytest.raises(InvalidInput):
        hub.search_accounts(count=2, cursor="not a cursor")
    with pytest.raises(InvalidInput):
        hub.search_accounts(count=0)


def _toml_config(config: dict[str, Any], path: Path) -> Path:
    """Write the test's config (flat store settings) as TOML for the CLI."""
    lines = [f'[hub]\nstate = "{config["hub"]["state"]}"']
    for name, settings in config["stores"].items():
        lines.append(f"[stores.{name}]")
        lines += [f"{key} = {json.dumps(value)}" for key, value in settings.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_the_find_command_prints_each_store_and_follows_the_cursor(
    hub: idconnect.Hub, config: dict[str, Any], tmp_path: Path
) -> None:
    made = _seed(hub, 2)
    toml = _toml_config(config, tmp_path / "idconnect.toml")
    runner = CliRunner()
    shown = runner.invoke(cli, ["--config", str(toml), "find", 'userName co "user"'])
    assert shown.exit_code == 0, shown.output
    for store, name in {(s, n) for (s, _), n in made.items()}:
        assert name in shown.output and store in shown.output
    assert "6 account(s)" in shown.output
    first = runner.invoke(
        cli, ["--config", str(toml), "find", 'userName co "user"', "--count", "4", "--json"]
    )
    doc = json.loads(first.output)
    assert len(doc["Resources"]) == 4 and doc["skipped"] == []
    rest = runner.invoke(
        cli,
        [
            "--config",
            str(toml),
            "find",
            'userName co "user"',
            "--count",
            "4",
            "--json",
            "--cursor",
            doc["nextCursor"],
        ],
    )
    later = json.loads(rest.output)
    walked = {(r["store"], r["account"]["id"]) for r in doc["Resources"] + later["Resources"]}
    assert walked == set(made) and later["nextCursor"] is None
    only = runner.invoke(cli, ["--config", str(toml), "find", "--stores", "pg", "--json"])
    assert {r["store"] for r in json.loads(only.output)["Resources"]} == {"pg"}
    sorted_ = runner.invoke(cli, ["--config", str(toml), "find", "--sort-by", "userName"])
    assert "skipped dir (not supported)" in sorted_.output


def test_the_admin_api_searches_every_store_and_allows_a_scan(
    config: dict[str, Any], tmp_path: Path
) -> None:
    config["stores"]["lite"]["scan_threshold"] = 1
    with idconnect.connect(config) as hub:
        made = _seed(hub, 2)
        token, _ = issue_token(hub, admin=getpass.getuser(), reason="federated test")
        with serving(create_app(hub)) as base:
            session = requests.Session()
            session.headers["Authorization"] = f"Bearer {token}"
            url = f"{base}/api/accounts"
            found = session.get(url, params={"filter": 'displayName co "x"'}, timeout=30)
            assert found.status_code == 200, found.text
            doc = found.json()
            assert [s["store"] for s in doc["skipped"]] == ["lite"]
            assert doc["skipped"][0]["cause"] == "filter"
            assert "scan_threshold" in doc["skipped"][0]["message"]
            strict = session.get(
                url, params={"filter": 'displayName co "x"', "strict": "true"}, timeout=30
            )
            assert strict.status_code == 400 and "scan_threshold" in strict.text
            allowed = session.get(
                url, params={"filter": 'userName co "user"', "allowScan": "true"}, timeout=30
            )
            assert allowed.status_code == 200 and allowed.json()["skipped"] == []
            ids = {(r["store"], r["account"]["id"]) for r in allowed.json()["Resources"]}
            assert ids == set(made)
            some = session.get(url, params={"stores": ["pg", "dir"], "count": 1}, timeout=30)
            page = some.json()
            assert [r["store"] for r in page["Resources"]] == ["pg"]
            assert page["nextCursor"]
            nxt = session.get(
                url,
                params={"stores": ["pg", "dir"], "count": 1, "cursor": page["nextCursor"]},
                timeout=30,
            )
            assert nxt.status_code == 200 and len(nxt.json()["Resources"]) == 1
            bad = session.get(url, params={"cursor": "x" * 20}, timeout=30)
            assert bad.status_code == 400
            unknown = session.get(url, params={"stores": "nowhere"}, timeout=30)
            assert unknown.status_code == 404
            openapi = session.get(f"{base}/api/openapi.json", timeout=30).json()
            assert "searchAllStores" in json.dumps(openapi["paths"]["/api/accounts"])
            assert "explainSearch" in json.dumps(openapi["paths"])
            for store, expected in (
                ("lite", "SEARCH idc_accounts USING INDEX"),
                ("pg", "user_name_ci"),
                ("dir", "(uid=a\\2ab\\29)"),
            ):
                explained = session.get(
                    f"{base}/api/stores/{store}/accounts/explain",
                    params={"filter": 'userName eq "a*b)"'},
                    timeout=30,
                )
                assert explained.status_code == 200, explained.text
                doc = explained.json()
                assert expected in doc["text"], doc["text"]
                assert doc["store"] == store and doc["native"] in doc["text"]
            scan = session.get(
                f"{base}/api/stores/lite/accounts/explain",
                params={"filter": 'displayName co "x"'},
                timeout=30,
            ).json()
            assert scan["full_scan"] is True and scan["over_threshold"] is True
            scim = session.get(
                f"{base}/scim/v2/lite/Users", params={"filter": 'displayName co "x"'}, timeout=30
            )
            assert scim.status_code == 400, scim.text  # SCIM has no way to allow a scan
            assert scim.json()["scimType"] == "invalidFilter"
            assert "scan_threshold" in scim.json()["detail"]


def test_a_first_search_on_fresh_stores_opens_each_of_them_once_from_several_threads(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    for trial in range(5):
        folder = tmp_path / f"t{trial}"
        folder.mkdir()
        stores = {n: {"plugin": "sql", "url": f"sqlite:///{folder / n}.db"} for n in "abcd"}
        config = {"hub": {"state": f"sqlite:///{folder / 'state.db'}"}, "stores": stores}
        with idconnect.connect(config) as fresh:
            page = fresh.search_accounts('userName eq "nobody"')
        assert page.items == () and page.skipped == ()
    assert "unreadable" not in caplog.text
