"""The same listing and quick actions over the LDAP store (a throwaway slapd), in Chromium."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.console.conftest import Console, ids_on, logged_in, require_ldap

STORE = "directory"


@pytest.fixture
def ldap_console(console: Console) -> Console:
    require_ldap(console)
    return console


def _wait(driver: Any) -> None:
    WebDriverWait(driver, 10).until(ec.presence_of_element_located((By.ID, "results-title")))


def test_the_store_drop_down_opens_the_ldap_listing(driver: Any, ldap_console: Console) -> None:
    _, ids = ldap_console.seed(3, store=STORE)
    logged_in(driver, ldap_console, "alice")
    Select(driver.find_element(By.ID, "store-picker")).select_by_visible_text(STORE)
    WebDriverWait(driver, 10).until(ec.url_contains(f"/console/stores/{STORE}/accounts"))
    _wait(driver)
    assert set(ids) <= set(ids_on(driver))
    labels = driver.find_elements(By.CSS_SELECTOR, "table.accounts .label")
    assert {label.text for label in labels} >= {"Enabled"}


def test_ldap_filters_paging_and_membership(driver: Any, ldap_console: Console) -> None:
    tag, ids = ldap_console.seed(30, store=STORE)
    group = ldap_console.group(f"ldap {tag}", store=STORE)
    ldap_console.hub.store(STORE).add_to_group(group, ids[:3], reason="setup")
    logged_in(driver, ldap_console, "alice")
    query = f"pin=emails.value&op.emails.value=sw&v.emails.value={tag}-&count=25"
    driver.get(ldap_console.listing(STORE, query))
    _wait(driver)
    first = ids_on(driver)
    assert len(first) == 25
    assert "30 matching accounts" in driver.find_element(By.ID, "match-count").text
    driver.find_element(By.ID, "next-page").click()
    WebDriverWait(driver, 10).until(ec.url_contains("cursor="))
    _wait(driver)
    second = ids_on(driver)
    assert sorted(first + second) == sorted(ids)
    assert not driver.find_elements(By.ID, "next-page")
    driver.get(ldap_console.listing(STORE, f"pin=groups.value&v.groups.value={group}"))
    _wait(driver)
    assert sorted(ids_on(driver)) == sorted(ids[:3])
    assert Select(driver.find_element(By.ID, "v-groups.value")).first_selected_option.text == (
        f"ldap {tag}"
    )


def test_an_ldap_quick_action_is_applied_and_audited(driver: Any, ldap_console: Console) -> None:
    tag, ids = ldap_console.seed(3, store=STORE)
    logged_in(driver, ldap_console, "alice")
    driver.get(ldap_console.listing(STORE, f"pin=userName&v.userName={tag}-"))
    _wait(driver)
    for account_id in ids[:2]:
        driver.find_element(By.CSS_SELECTOR, f".row-select[value='{account_id}']").click()
    since = datetime.now(UTC) - timedelta(seconds=1)
    driver.find_element(By.CSS_SELECTOR, "#quick-actions button[data-action='disable']").click()
    driver.find_element(By.ID, "dialog-reason").send_keys(f"ldap {tag}")
    driver.find_element(By.ID, "dialog-submit").click()
    summary = WebDriverWait(driver, 30).until(
        ec.presence_of_element_located((By.ID, "outcome-summary"))
    )
    assert summary.text.startswith("2 accounts: 2 succeeded")
    store = ldap_console.hub.store(STORE)
    assert [store.get_account(i).active for i in ids] == [False, False, True]
    events = store.events(since=since, action="disable_account")
    assert {(e.account_id, e.actor, e.reason) for e in events} == {
        (i, "alice", f"ldap {tag}") for i in ids[:2]
    }
    driver.find_element(By.ID, "back-to-list").click()
    _wait(driver)
    rows = driver.find_elements(By.CSS_SELECTOR, "table.accounts tbody tr")
    status = {
        r.find_element(By.CSS_SELECTOR, ".row-select").get_attribute("value"): r.find_element(
            By.CSS_SELECTOR, ".label"
        ).text
        for r in rows
    }
    assert status == {ids[0]: "Disabled", ids[1]: "Disabled", ids[2]: "Enabled"}
