"""``/console/find``: one search across every store, over plain HTTP and in Chromium.

The hub here has four stores: ``main`` (sql on SQLite, custom attribute ``loyaltyTier``),
``files`` (the json example store), ``mem`` (the memory store) and ``down`` (sql on a
PostgreSQL port nothing listens on: always skipped, ``unavailable``). Admins as in the
harness: ``alice`` reads everything, ``lena`` the accounts of ``main`` only. One test runs on
the harness's own console, whose ``directory`` store is ldap on slapd.
"""

from __future__ import annotations

import getpass
import html
import re
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from markupsafe import escape

import idconnect
from idconnect.core.admin_login import set_admin_password
from idconnect.core.errors import FilterError
from idconnect.core.filter import parse
from idconnect.http.app import create_app
from idconnect.http.server import serving
from tests.console.conftest import (
    PASSWORD,
    Console,
    _config,
    logged_in,
    navigation,
    require_ldap,
    session_for,
)

STORES = ("main", "files", "mem")
"""The stores that answer."""
HOSTILE = '<script>window.__pwned = 1</script>" onmouseover="window.__pwned = 2'
_ROW = re.compile(r'<tr data-store="([^"]*)" data-id="([^"]*)">')
_SKIPPED = re.compile(r'<li data-store="([^"]*)" data-cause="([^"]*)">')
_NEXT = re.compile(r'<a href="([^"]*)" rel="next" id="next-page">')


@pytest.fixture(scope="module")
def several(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    """The console over the four stores of the module's docstring."""
    tmp = tmp_path_factory.mktemp("console-find")
    config = _config(tmp, None)
    config["stores"].update(
        {
            "files": {"plugin": "json", "path": str(tmp / "files.json")},
            "mem": {"plugin": "memory"},
            "down": {
                "plugin": "sql",
                "url": "postgresql+psycopg://postgres@127.0.0.1:1/nothing",
                "connect_timeout": 1,
            },
        }
    )
    with idconnect.connect(config) as hub:
        for admin in ("alice", "lena"):
            set_admin_password(hub, admin, PASSWORD, by=getpass.getuser(), reason="tests")
        with serving(create_app(hub)) as url:
            yield Console(hub, url, False)


def _seed_everywhere(console: Console, count: int) -> tuple[str, set[tuple[str, str]]]:
    """Seed ``count`` accounts of one tag in each answering store; return the tag and keys."""
    tag, ids = console.seed(count, store="main")
    made = {("main", i) for i in ids}
    for store in STORES[1:]:
        _, more = console.seed(count, store=store, tag=tag)
        made |= {(store, i) for i in more}
    return tag, made


def _find(http: requests.Session, console: Console, **params: str) -> requests.Response:
    return http.get(f"{console.url}/console/find", params=params, timeout=30)


def _rows(page: requests.Response) -> list[tuple[str, str]]:
    return [(html.unescape(s), html.unescape(i)) for s, i in _ROW.findall(page.text)]


def _skipped(page: requests.Response) -> dict[str, str]:
    return {html.unescape(s): c for s, c in _SKIPPED.findall(page.text)}


def test_a_quick_term_finds_accounts_of_every_store_each_tagged_and_linked(
    several: Console,
) -> None:
    tag, made = _seed_everywhere(several, 2)
    http = session_for(several, "alice")
    page = _find(http, several, q=tag)
    assert page.status_code == 200, page.text
    assert page.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert set(_rows(page)) == made and len(_rows(page)) == 6
    for store, account_id in made:
        link = f'<a href="/console/stores/{store}/accounts/{account_id}">'
        assert link in page.text
    store, account_id = sorted(made)[0]
    account = http.get(f"{several.url}/console/stores/{store}/accounts/{account_id}", timeout=30)
    assert account.status_code == 200
    assert several.hub.store(store).get_account(account_id).user_name in account.text
    for other in (account, http.get(several.listing(), timeout=30)):  # the header's box
        assert '<form method="get" action="/console/find" class="find-box" role="search"' in (
            other.text
        )
    # the term is a value: an email's start finds the account, a name's middle too
    by_email = _find(http, several, q=f"{tag}-001@example")
    assert {s for s, _ in _rows(by_email)} == set(STORES) and len(_rows(by_email)) == 3
    by_name = _find(http, several, q=f"{tag.upper()[1:]} 1")
    named = {(s, i) for s, i in made if several.hub.store(s).get_account(i).user_name.endswith("1")}
    assert len(named) == 3 and named <= set(_rows(by_name))
    assert 'name="q" value="' + str(escape(f"{tag.upper()[1:]} 1")) + '"' in by_name.text


def test_the_next_page_link_carries_the_federated_cursor_and_walks_each_account_once(
    several: Console,
) -> None:
    tag, made = _seed_everywhere(several, 20)
    http = session_for(several, "alice")
    url: str | None = f"{several.url}/console/find?q={tag}&count=25"
    seen: list[tuple[str, str]] = []
    pages = 0
    while url is not None:
        page = http.get(url, timeout=30)
        assert page.status_code == 200, page.text
        pages += 1
        seen += _rows(page)
        found = _NEXT.search(page.text)
        url = None if found is None else several.url + html.unescape(found[1])
        if url is not None:
            assert f"q={tag}" in url and "cursor=" in url and "count=25" in url
    assert pages >= 3
    assert len(seen) == len(set(seen)) == 60
    assert set(seen) == made


def test_skipped_stores_are_named_with_their_cause(several: Console) -> None:
    tag, _ = _seed_everywhere(several, 1)
    several.hub.store("main").create_account(
        {
            "userName": f"{tag}-gold",
            "urn:ietf:params:scim:schemas:extension:idconnect:2.0:Attributes": {
                "loyaltyTier": "gold"
            },
        },
        reason="console test seed",
    )
    http = session_for(several, "alice")
    page = _find(http, several, q=tag)
    assert _skipped(page) == {"down": "unavailable"}
    assert "127.0.0.1" in html.unescape(page.text)
    only_main = _find(http, several, q=tag, filter='loyaltyTier eq "gold"')
    assert only_main.status_code == 200
    assert [s for s, _ in _rows(only_main)] == ["main"]
    # the filter is refused before the down store is asked: it holds no loyaltyTier either
    assert _skipped(only_main) == {"files": "filter", "mem": "filter", "down": "filter"}
    assert "it cannot answer this search" in only_main.text


def test_a_malformed_filter_is_the_page_with_its_error_and_400(several: Console) -> None:
    http = session_for(several, "alice")
    with pytest.raises(FilterError) as refused:
        parse("userName eq")
    page = _find(http, several, filter="userName eq")
    assert page.status_code == 400
    assert str(escape(refused.value.message)) in page.text
    assert 'id="advanced-error"' in page.text and "Column" in page.text
    assert _rows(page) == []
    nowhere = _find(http, several, filter='noSuchAttribute eq "x"')
    assert nowhere.status_code == 400
    assert "No store could answer this search" in nowhere.text
    assert _skipped(nowhere) == dict.fromkeys(("main", *STORES[1:], "down"), "filter")
    assert "noSuchAttribute" in html.unescape(nowhere.text)
    bad_cursor = _find(http, several, q="x", cursor="not-a-cursor")
    assert bad_cursor.status_code == 400
    assert "cursor" in bad_cursor.text


def test_a_store_the_admin_may_not_read_is_skipped_with_permission(several: Console) -> None:
    tag, made = _seed_everywhere(several, 1)
    page = _find(session_for(several, "lena"), several, q=tag)
    assert page.status_code == 200
    assert _rows(page) == [next(k for k in made if k[0] == "main")]
    skipped = _skipped(page)
    assert (skipped["files"], skipped["mem"]) == ("permission", "permission")
    assert "you may not read its accounts" in page.text


def test_hostile_values_render_as_text(several: Console) -> None:
    made = several.hub.store("mem").create_account(
        {"userName": "hostile-find", "displayName": HOSTILE}, reason="console test seed"
    )
    http = session_for(several, "alice")
    page = _find(http, several, q="hostile-find")
    assert _rows(page) == [("mem", made.id)]
    assert HOSTILE not in page.text and "<script>window" not in page.text
    assert str(escape(HOSTILE)) in page.text
    echoed = _find(http, several, q=HOSTILE, filter=HOSTILE)
    assert "<script>window" not in echoed.text
    assert 'value="' + str(escape(HOSTILE)) + '"' in echoed.text


def test_the_ldap_store_is_searched_with_the_sql_store(console: Console) -> None:
    require_ldap(console)
    tag, ids = console.seed(2)
    _, in_directory = console.seed(2, store="directory", tag=tag)
    page = _find(session_for(console, "alice"), console, q=tag)
    assert page.status_code == 200
    assert set(_rows(page)) == {("main", i) for i in ids} | {("directory", i) for i in in_directory}
    assert _skipped(page) == {}
    lena = _find(session_for(console, "lena"), console, q=tag)
    assert {s for s, _ in _rows(lena)} == {"main"}
    assert _skipped(lena) == {"directory": "permission"}


def test_the_header_box_finds_an_account_and_leads_to_its_page(
    driver: Any, several: Console
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    tag, made = _seed_everywhere(several, 1)
    logged_in(driver, several, "alice")
    driver.get(several.listing())
    box = driver.find_element(By.ID, "find-box")
    with navigation(driver):
        box.send_keys(tag, Keys.ENTER)
    assert "/console/find?q=" in driver.current_url
    rows = driver.find_elements(By.CSS_SELECTOR, "table.found tbody tr")
    assert {(r.get_attribute("data-store"), r.get_attribute("data-id")) for r in rows} == made
    assert "down" in driver.find_element(By.ID, "skipped-stores").text
    [mem_id] = [i for s, i in made if s == "mem"]
    with navigation(driver):
        driver.find_element(By.CSS_SELECTOR, f"tr[data-id='{mem_id}'] a").click()
    assert driver.current_url.endswith(f"/console/stores/mem/accounts/{mem_id}")
    assert driver.find_element(By.ID, "overview-title").text == f"{tag.upper()} 0"
