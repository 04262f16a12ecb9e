"""Quick actions in real Chromium: each on selected rows and on "all N matching", with a reason,
checked against the store's state and the audit trail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait

from idconnect.core.errors import NotFound
from tests.console.conftest import Console, ids_on, logged_in

ACTIONS_OF = {
    "delete": "delete_account",
    "enable": "enable_account",
    "disable": "disable_account",
    "add-to-group": "add_group_member",
    "remove-from-group": "remove_group_member",
}


def _open(driver: Any, console: Console, tag: str, extra: str = "") -> None:
    driver.get(console.listing(query=f"pin=userName&op.userName=sw&v.userName={tag}-{extra}"))
    WebDriverWait(driver, 10).until(ec.presence_of_element_located((By.ID, "results-title")))


def _select(driver: Any, ids: list[str]) -> None:
    for account_id in ids:
        driver.find_element(By.CSS_SELECTOR, f".row-select[value='{account_id}']").click()


def _run(driver: Any, action: str, reason: str, group: str | None = None) -> str:
    driver.find_element(By.CSS_SELECTOR, f"#quick-actions button[data-action='{action}']").click()
    dialog = driver.find_element(By.ID, "action-dialog")
    WebDriverWait(driver, 5).until(lambda d: dialog.get_attribute("open") is not None)
    if group is not None:
        Select(driver.find_element(By.ID, "dialog-group")).select_by_visible_text(group)
    driver.find_element(By.ID, "dialog-reason").send_keys(reason)
    if action == "delete":
        driver.find_element(By.ID, "dialog-submit").click()  # not confirmed: the form refuses
        assert dialog.get_attribute("open") is not None
        driver.find_element(By.ID, "dialog-confirm").click()
    driver.find_element(By.ID, "dialog-submit").click()
    summary = WebDriverWait(driver, 30).until(
        ec.presence_of_element_located((By.ID, "outcome-summary"))
    )
    text: str = summary.text
    return text


def _events(console: Console, action: str, since: datetime) -> set[tuple[Any, ...]]:
    store = console.hub.store("main")
    return {
        (e.account_id, e.actor, e.reason, e.outcome, e.target)
        for e in store.events(since=since, action=ACTIONS_OF[action])
    }


def _since() -> datetime:
    return datetime.now(UTC) - timedelta(seconds=1)


@pytest.mark.parametrize("action", ["disable", "enable", "delete"])
def test_an_action_on_selected_rows(driver: Any, console: Console, action: str) -> None:
    tag, ids = console.seed(3)
    store = console.hub.store("main")
    if action == "enable":
        store.disable_accounts(ids, reason="setup")
    logged_in(driver, console, "alice")
    _open(driver, console, tag)
    toolbar = driver.find_element(By.ID, "quick-actions")
    assert not driver.find_element(By.CSS_SELECTOR, "#quick-actions button").is_displayed()
    _select(driver, ids[:2])
    assert "2 selected" in toolbar.text
    since = _since()
    summary = _run(driver, action, f"ticket {tag} {action}")
    assert summary.startswith("2 accounts: 2 succeeded, 0 failed, 0 indeterminate")
    outcomes = driver.find_elements(By.CSS_SELECTOR, "table.outcomes tbody tr")
    assert {
        (r.get_attribute("data-account"), r.find_elements(By.TAG_NAME, "td")[1].text)
        for r in outcomes
    } == {(ids[0], "ok"), (ids[1], "ok")}
    assert _events(console, action, since) == {
        (i, "alice", f"ticket {tag} {action}", "success", None) for i in ids[:2]
    }
    if action == "delete":
        for account_id in ids[:2]:
            with pytest.raises(NotFound):
                store.get_account(account_id)
        assert store.get_account(ids[2]).active
    else:
        assert [store.get_account(i).active for i in ids] == [
            action == "enable",
            action == "enable",
            action != "enable",
        ]


@pytest.mark.parametrize("action", ["add-to-group", "remove-from-group"])
def test_a_group_action_lists_the_stores_groups(driver: Any, console: Console, action: str):
    tag, ids = console.seed(3)
    name = f"group {tag}"
    group = console.group(name)
    console.group(f"other {tag}")
    store = console.hub.store("main")
    if action == "remove-from-group":
        store.add_to_group(group, ids, reason="setup")
    logged_in(driver, console, "alice")
    _open(driver, console, tag)
    _select(driver, ids[1:])
    driver.find_element(By.CSS_SELECTOR, f"#quick-actions button[data-action='{action}']").click()
    offered = [o.text for o in Select(driver.find_element(By.ID, "dialog-group")).options]
    assert {name, f"other {tag}"} <= set(offered)
    driver.find_element(By.ID, "dialog-cancel").click()
    since = _since()
    summary = _run(driver, action, f"ticket {tag}", group=name)
    assert summary.startswith("2 accounts: 2 succeeded")
    assert _events(console, action, since) == {
        (i, "alice", f"ticket {tag}", "success", group) for i in ids[1:]
    }
    members = set(store.get_group(group).members)
    assert members == ({ids[0]} if action == "remove-from-group" else set(ids[1:]))


@pytest.mark.parametrize("action", list(ACTIONS_OF))
def test_all_n_matching_runs_one_bulk_action_over_the_filter(
    driver: Any, console: Console, action: str
) -> None:
    tag, ids = console.seed(30)
    _, outside = console.seed(2, tag=f"{tag}z")  # "TAGz-NNN": outside the filter
    name = f"all {tag}"
    group = console.group(name)
    store = console.hub.store("main")
    if action == "enable":
        store.disable_accounts(ids + outside, reason="setup")
    if action == "remove-from-group":
        store.add_to_group(group, ids + outside, reason="setup")
    logged_in(driver, console, "alice")
    driver.get(console.listing(query=f"pin=userName&op.userName=sw&v.userName={tag}-&count=25"))
    assert len(ids_on(driver)) == 25
    label = driver.find_element(By.CSS_SELECTOR, "label[for='all-matching']").text
    assert "Select all 30 matching" in label
    driver.find_element(By.ID, "all-matching").click()
    since = _since()
    summary = _run(driver, action, f"ticket {tag}", group=name if "group" in action else None)
    assert summary.startswith("30 accounts: 30 succeeded, 0 failed")
    events = _events(console, action, since)
    assert {e[0] for e in events} == set(ids)
    assert {e[1:4] for e in events} == {("alice", f"ticket {tag}", "success")}
    members = set(store.get_group(group).members)
    if action == "delete":
        assert sorted(a.id for a in store.iter_accounts(f'userName sw "{tag}"')) == sorted(outside)
    elif action in ("enable", "disable"):
        assert {a.active for a in store.iter_accounts(f'userName sw "{tag}-"')} == {
            action == "enable"
        }
        assert {a.active for a in store.iter_accounts(f'userName sw "{tag}z-"')} == {
            action == "disable"
        }
    elif action == "add-to-group":
        assert members == set(ids)
    else:
        assert members == set(outside)
    driver.find_element(By.ID, "back-to-list").click()
    WebDriverWait(driver, 10).until(ec.presence_of_element_located((By.ID, "results-title")))
    assert driver.find_element(By.ID, "v-userName").get_attribute("value") == f"{tag}-"


def test_a_quick_action_from_the_keyboard_alone(driver: Any, console: Console) -> None:
    tag, ids = console.seed(2)
    logged_in(driver, console, "alice")
    _open(driver, console, tag)
    box = driver.find_element(By.CSS_SELECTOR, f".row-select[value='{ids[0]}']")
    box.send_keys(Keys.SPACE)
    assert box.is_selected()
    button = driver.find_element(By.CSS_SELECTOR, "#quick-actions button[data-action='disable']")
    button.send_keys(Keys.ENTER)
    dialog = driver.find_element(By.ID, "action-dialog")
    WebDriverWait(driver, 5).until(lambda d: dialog.get_attribute("open") is not None)
    active = driver.switch_to.active_element
    assert active.get_attribute("id") == "dialog-reason"  # focus moved into the dialog
    active.send_keys(Keys.ESCAPE)
    WebDriverWait(driver, 5).until(lambda d: dialog.get_attribute("open") is None)
    assert driver.switch_to.active_element.get_attribute("data-action") == "disable"
    driver.switch_to.active_element.send_keys(Keys.ENTER)
    WebDriverWait(driver, 5).until(lambda d: dialog.get_attribute("open") is not None)
    driver.switch_to.active_element.send_keys("keyboard only")
    driver.switch_to.active_element.send_keys(Keys.TAB)  # the delete-only checkbox is hidden
    assert driver.switch_to.active_element.get_attribute("id") == "dialog-submit"
    driver.switch_to.active_element.send_keys(Keys.ENTER)
    WebDriverWait(driver, 30).until(ec.presence_of_element_located((By.ID, "outcome-summary")))
    store = console.hub.store("main")
    assert [store.get_account(i).active for i in ids] == [False, True]
    assert [e.reason for e in store.events(ids[0], action="disable_account")] == ["keyboard only"]
