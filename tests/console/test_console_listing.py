"""The account listing in real Chromium: login, filters of each kind, pinned fields, paging."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.console.conftest import CUSTOM, EXTENSION, SEEDED, Console, ids_on, logged_in, navigation


def _wait_listing(driver: Any) -> None:
    WebDriverWait(driver, 10).until(ec.presence_of_element_located((By.ID, "results-title")))


def _pin(driver: Any, path: str) -> None:
    """Pin a field from the 'Add search fields' panel (the page reloads with it pinned)."""
    details = driver.find_element(By.CSS_SELECTOR, "details.fields")
    if details.get_attribute("open") is None:
        details.find_element(By.TAG_NAME, "summary").click()
    box = driver.find_element(By.ID, f"add-{path}")
    box.click()
    WebDriverWait(driver, 10).until(ec.presence_of_element_located((By.ID, f"pin-{path}")))


def _search(driver: Any) -> None:
    with navigation(driver):
        driver.find_element(By.CSS_SELECTOR, "#search-form button[type=submit]").click()
    _wait_listing(driver)


def _user_names(driver: Any) -> list[str]:
    return [e.text for e in driver.find_elements(By.CSS_SELECTOR, "table.accounts tbody td a")]


def test_login_lands_on_the_first_store_and_lists_its_accounts(driver: Any, console: Console):
    logged_in(driver, console, "alice")
    assert driver.current_url.endswith("/console/stores/main/accounts")
    _wait_listing(driver)
    assert len(ids_on(driver)) == 50
    total = driver.find_element(By.ID, "match-count").text
    store = console.hub.store("main")
    assert total.startswith(f"{store.search_accounts(include_total=True).total} matching")
    picker = Select(driver.find_element(By.ID, "store-picker"))
    assert [o.text for o in picker.options] == list(console.hub.stores)


def test_filter_by_identifier_pinned_until_deselected(driver: Any, console: Console) -> None:
    tag, ids = console.seed(3)
    logged_in(driver, console, "alice")
    _pin(driver, "emails.value")
    driver.find_element(By.ID, "v-emails.value").send_keys(f"{tag}-001@")
    _search(driver)
    assert ids_on(driver) == [ids[1]]
    assert "emails.value" in driver.current_url
    # pinned at the top, still there after a new search, until deselected
    pinned = driver.find_elements(By.CSS_SELECTOR, ".pinned fieldset")
    assert [p.get_attribute("data-path") for p in pinned] == ["emails.value"]
    assert driver.find_element(By.ID, "v-emails.value").get_attribute("value") == f"{tag}-001@"
    _pin(driver, "userName")
    pinned = driver.find_elements(By.CSS_SELECTOR, ".pinned fieldset")
    assert [p.get_attribute("data-path") for p in pinned] == ["emails.value", "userName"]
    driver.find_element(By.ID, "pin-emails.value").click()  # deselect: the panel reloads
    # the fieldsets found may belong to the page being replaced: look again when they go stale
    WebDriverWait(driver, 10, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda d: (
            [
                p.get_attribute("data-path")
                for p in d.find_elements(By.CSS_SELECTOR, ".pinned fieldset")
            ]
            == ["userName"]
        )
    )
    assert len(ids_on(driver)) == 50  # the email condition is gone


def test_filter_by_attribute_and_custom_attribute(driver: Any, console: Console) -> None:
    tag, ids = console.seed(2, **{CUSTOM: {"loyaltyTier": "platinum", "loyaltyPoints": 700}})
    _, others = console.seed(2, **{CUSTOM: {"loyaltyTier": "platinum", "loyaltyPoints": 20}})
    logged_in(driver, console, "alice")
    _pin(driver, "loyaltyTier")
    assert "custom" in driver.find_element(By.CSS_SELECTOR, "label[for='pin-loyaltyTier']").text
    Select(driver.find_element(By.ID, "op-loyaltyTier")).select_by_value("eq")
    driver.find_element(By.ID, "v-loyaltyTier").send_keys("Platinum")
    _search(driver)
    assert sorted(ids_on(driver)) == sorted(ids + others)
    _pin(driver, "loyaltyPoints")
    Select(driver.find_element(By.ID, "op-loyaltyPoints")).select_by_value("gt")
    driver.find_element(By.ID, "v-loyaltyPoints").send_keys("100")
    _search(driver)
    assert sorted(ids_on(driver)) == sorted(ids)
    # the pinned attributes get columns of their own, with each account's values
    headers = [e.text for e in driver.find_elements(By.CSS_SELECTOR, "th.pinned-column")]
    assert headers == ["loyaltyTier", "loyaltyPoints"]
    cells = [
        [td.text for td in row.find_elements(By.TAG_NAME, "td")[-2:]]
        for row in driver.find_elements(By.CSS_SELECTOR, "table.accounts tbody tr")
    ]
    assert cells == [["platinum", "700"], ["platinum", "700"]]
    _pin(driver, "displayName")
    driver.find_element(By.ID, "v-displayName").send_keys(f"{tag.upper()} 1")
    _search(driver)
    assert ids_on(driver) == [ids[1]]
    # a value the attribute's type refuses is shown next to the field, and nothing is listed
    field = driver.find_element(By.ID, "v-loyaltyPoints")
    field.clear()
    field.send_keys("lots")
    _search(driver)
    assert "'lots' is not a number" in driver.find_element(By.ID, "err-loyaltyPoints").text
    assert ids_on(driver) == []


def test_filter_by_date_range(driver: Any, console: Console) -> None:
    tag, ids = console.seed(2)
    logged_in(driver, console, "alice")
    _pin(driver, "userName")
    driver.find_element(By.ID, "v-userName").send_keys(f"{tag}-")
    _pin(driver, "meta.created")
    today = datetime.now(UTC).date()
    start = driver.find_element(By.ID, "from-meta.created")
    driver.execute_script("arguments[0].value = arguments[1]", start, today.isoformat())
    _search(driver)
    assert sorted(ids_on(driver)) == sorted(ids)
    end = driver.find_element(By.ID, "to-meta.created")
    yesterday = (today - timedelta(days=1)).isoformat()
    start = driver.find_element(By.ID, "from-meta.created")
    driver.execute_script("arguments[0].value = arguments[1]", start, "2020-01-01")
    driver.execute_script("arguments[0].value = arguments[1]", end, yesterday)
    _search(driver)
    assert ids_on(driver) == []
    assert "No account matches." in driver.find_element(By.CSS_SELECTOR, ".results").text


def test_filter_by_group_membership(driver: Any, console: Console) -> None:
    _, ids = console.seed(3)
    group = console.group("listing members")
    store = console.hub.store("main")
    store.add_to_group(group, ids[:2], reason="setup")
    logged_in(driver, console, "alice")
    _pin(driver, "groups.value")
    Select(driver.find_element(By.ID, "v-groups.value")).select_by_visible_text("listing members")
    _search(driver)
    assert sorted(ids_on(driver)) == sorted(ids[:2])


def test_cursor_paging_walks_every_account_once(driver: Any, console: Console) -> None:
    logged_in(driver, console, "alice")
    driver.get(console.listing(query="pin=userName&op.userName=sw&v.userName=base-"))
    _wait_listing(driver)
    seen: list[str] = []
    while True:
        seen.extend(_user_names(driver))
        nexts = driver.find_elements(By.ID, "next-page")
        if not nexts:
            break
        with navigation(driver):
            nexts[0].click()
        _wait_listing(driver)
        assert driver.find_elements(By.LINK_TEXT, "First page")
        assert driver.find_element(By.ID, "v-userName").get_attribute("value") == "base-"
    assert len(seen) == SEEDED
    assert sorted(seen) == [f"base-{n:03d}" for n in range(SEEDED)]


def test_advanced_filter_error_is_shown_inline_with_its_column(driver: Any, console: Console):
    logged_in(driver, console, "alice")
    box = driver.find_element(By.ID, "advanced-filter")
    if not box.is_displayed():
        driver.find_element(By.CSS_SELECTOR, "details.advanced summary").click()
    box.send_keys('userName eq "x" and')
    _search(driver)
    error = driver.find_element(By.ID, "advanced-error")
    assert "column 20" in error.text
    assert "Column 20" in error.text
    caret = error.find_element(By.CSS_SELECTOR, "pre.caret").text.split("\n")
    assert caret[1].index("^") == 19
    assert driver.find_element(By.ID, "advanced-filter").get_attribute("aria-invalid") == "true"
    assert ids_on(driver) == []
    # an attribute the store does not hold: the error points at it
    box = driver.find_element(By.ID, "advanced-filter")
    box.clear()
    box.send_keys('active eq true and nickName eq "x"')
    _search(driver)
    error = driver.find_element(By.ID, "advanced-error")
    assert "nickName" in error.text
    assert "Column 20" in error.text  # nickName starts after 19 characters
    # a good one filters, combined with the pinned fields
    tag, ids = console.seed(2)
    box = driver.find_element(By.ID, "advanced-filter")
    box.clear()
    box.send_keys(f'userName eq "{tag}-000" or userName eq "{tag}-001"')
    _search(driver)
    assert sorted(ids_on(driver)) == sorted(ids)


def test_status_labels(driver: Any, console: Console) -> None:
    store = console.hub.store("main")
    tag = "labels"
    docs: list[dict[str, Any]] = [
        {"userName": f"{tag}-plain", "emails": [{"value": "p@example.org"}]},
        {"userName": f"{tag}-email", "emails": [{"value": "e@example.org", "verified": True}]},
        {"userName": f"{tag}-phone", "phoneNumbers": [{"value": "+15550100", "verified": True}]},
        {
            "userName": f"{tag}-both",
            "emails": [{"value": "b@example.org", "verified": True}],
            "phoneNumbers": [{"value": "+15550101", "verified": True}],
        },
        {
            "userName": f"{tag}-social",
            EXTENSION: {"externalIdentities": [{"provider": "google", "subject": "g-1"}]},
        },
    ]
    result = store.create_accounts(docs, reason="labels")
    assert result.ok, [str(o.error) for o in result.failed]
    store.disable_accounts([result.succeeded[0]], reason="labels")
    logged_in(driver, console, "alice")
    driver.get(console.listing(query=f"pin=userName&op.userName=sw&v.userName={tag}-"))
    _wait_listing(driver)
    labels = {
        row.find_element(By.CSS_SELECTOR, "td a").text: [
            e.text for e in row.find_elements(By.CSS_SELECTOR, ".label")
        ]
        for row in driver.find_elements(By.CSS_SELECTOR, "table.accounts tbody tr")
    }
    assert labels == {
        f"{tag}-plain": ["Disabled"],
        f"{tag}-email": ["Enabled", "Email verified"],
        f"{tag}-phone": ["Enabled", "Phone verified"],
        f"{tag}-both": ["Enabled", "Email and phone verified"],
        f"{tag}-social": ["Enabled", "External identity: google"],
    }
