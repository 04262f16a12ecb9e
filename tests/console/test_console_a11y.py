"""The console's accessibility, keyboard use and screenshots, in real Chromium.

axe-core (``tests/console/vendor/axe.min.js``, from the npm registry, see the README there) is
injected into the listing, the search across stores, every tab of the account page and every
dialog, and no ``serious`` or ``critical`` violation may be found. The quick actions are driven
with the keyboard alone (TAB, SPACE, ENTER, arrow keys: no click), and the store's state and
audit events are checked.

The console here serves the demo population (``seed_demo``, seed 42, dates relative to a fixed
instant), so the pages are the same at every run; with ``IDCONNECT_SCREENSHOTS=1`` the
screenshots of the listing and an account page are written to ``docs/`` (the README shows them),
otherwise to the test's temporary folder only.
"""

from __future__ import annotations

import getpass
import os
import struct
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import idconnect
from idconnect.core.admin_login import set_admin_password
from idconnect.http.app import create_app
from idconnect.http.server import serving
from tests.console.account_env import AccountConsole, _config_with_clients
from tests.console.conftest import PASSWORD, logged_in
from tests.token_helpers import Inbox, free_port

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
DOCS = Path(__file__).parents[2] / "docs"
SCREENSHOTS_ENV = "IDCONNECT_SCREENSHOTS"
NOW = datetime(2026, 6, 1, 9, 30, tzinfo=UTC)
"""The instant the demo population's dates are relative to."""
TABS = (
    "attributes",
    "activity",
    "notifications",
    "groups",
    "roles",
    "authenticators",
    "sessions",
    "verification",
    "consents",
)
_RUN_AXE = """
const done = arguments[arguments.length - 1];
axe.run(document, {resultTypes: ["violations"]}).then(
  (results) => done(results.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.map((n) => n.target.join(" ")).slice(0, 5),
  }))),
  (error) => done([{id: "axe-error", impact: "critical", help: String(error), targets: []}]),
);
"""


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AccountConsole]:
    from idconnect_sql.demo import seed_demo

    tmp = tmp_path_factory.mktemp("console-a11y")
    config = _config_with_clients(tmp, None, free_port())  # no mail is sent here
    with idconnect.connect(config) as hub:
        hub.store("main").provision()
        seed_demo(hub.store("main"), 200, 42, now=NOW)
        for admin in ("alice", "rita", "sam"):
            set_admin_password(hub, admin, PASSWORD, by=getpass.getuser(), reason="tests")
        with serving(create_app(hub)) as url:
            yield AccountConsole(hub, url, False, Inbox())


@pytest.fixture
def browser(driver: Any, demo: AccountConsole) -> Any:
    driver.set_script_timeout(120)
    logged_in(driver, demo, "alice")
    return driver


def _axe(driver: Any, where: str) -> None:
    driver.execute_script(AXE.read_text(encoding="utf-8"))
    found = driver.execute_async_script(_RUN_AXE)
    bad = [v for v in found if v["impact"] in ("serious", "critical")]
    assert bad == [], f"{where}: " + "; ".join(
        f"{v['impact']} {v['id']} ({v['help']}) at {', '.join(v['targets'])}" for v in bad
    )


def _first_account(demo: AccountConsole) -> str:
    [account] = demo.hub.store("main").search_accounts(sort_by="userName", count=1).items
    assert account.id is not None
    return account.id


def test_axe_finds_nothing_serious_on_the_listing_and_its_dialog(
    browser: Any, demo: AccountConsole
) -> None:
    from selenium.webdriver.common.by import By

    browser.get(demo.listing(query="count=50"))
    assert len(browser.find_elements(By.CSS_SELECTOR, "table.accounts tbody tr")) == 50
    _axe(browser, "listing")
    browser.get(demo.listing(query="v.userName=a&op.userName=sw&pin=userName"))
    _axe(browser, "listing with a pinned field")
    browser.get(demo.listing(query="filter=userName+eq"))
    _axe(browser, "listing with a filter error")
    browser.get(demo.listing())
    browser.execute_script("document.querySelector('input.row-select').checked = true")
    for action in ("add-to-group", "delete"):
        browser.execute_script(f"document.querySelector('button.action-{action}').click()")
        assert browser.find_element(By.ID, "action-dialog").get_attribute("open") is not None
        _axe(browser, f"quick action dialog {action}")
        browser.execute_script("document.getElementById('action-dialog').close()")


def test_axe_finds_nothing_serious_on_the_search_across_stores(
    browser: Any, demo: AccountConsole
) -> None:
    from selenium.webdriver.common.by import By

    browser.get(f"{demo.url}/console/find?q=a&count=25")
    assert browser.find_elements(By.CSS_SELECTOR, "table.found tbody tr")
    _axe(browser, "search across stores")
    browser.get(f"{demo.url}/console/find?filter=userName+eq")
    assert browser.find_element(By.ID, "advanced-error").text
    _axe(browser, "search across stores with a filter error")
    browser.get(f"{demo.url}/console/find?filter=noSuchAttribute+eq+1")
    assert browser.find_element(By.ID, "skipped-stores").text
    _axe(browser, "search across stores with skipped stores")


def test_axe_finds_nothing_serious_on_every_tab_and_dialog_of_an_account(
    browser: Any, demo: AccountConsole
) -> None:
    from selenium.webdriver.common.by import By

    account_id = _first_account(demo)
    seen: set[str] = set()
    for tab in TABS:
        browser.get(demo.page("main", account_id, tab))
        assert browser.find_element(By.ID, "overview-title").text
        _axe(browser, f"account tab {tab}")
        openers = browser.find_elements(By.CSS_SELECTOR, "a[data-dialog]")
        for name in [o.get_attribute("data-dialog").removeprefix("dialog-") for o in openers]:
            if name in seen:
                continue
            seen.add(name)
            browser.get(demo.page("main", account_id, tab) + f"&dialog={name}")
            dialog = browser.find_element(By.ID, f"dialog-{name}")
            assert dialog.get_attribute("open") is not None
            _axe(browser, f"account dialog {name} on tab {tab}")
    assert {"password", "export", "impersonate", "disable", "delete"} <= seen, seen


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", path
    width, height = struct.unpack(">II", head[16:24])
    return int(width), int(height)


def test_screenshots_of_the_listing_and_an_account_page(
    browser: Any, demo: AccountConsole, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    folder = DOCS if os.environ.get(SCREENSHOTS_ENV) == "1" else tmp_path
    browser.set_window_size(1400, 1000)
    browser.get(demo.listing(query="count=50"))
    assert len(browser.find_elements(By.CSS_SELECTOR, "table.accounts tbody tr")) == 50
    browser.execute_script("document.activeElement.blur()")
    shots = {"console-list.png": None, "console-account.png": _first_account(demo)}
    for name, account_id in shots.items():
        if account_id is not None:
            browser.get(demo.page("main", account_id))
            assert browser.find_element(By.ID, "overview-title").text
        assert browser.save_screenshot(str(folder / name))
        width, height = _png_size(folder / name)
        assert width >= 1000 and height >= 600


def _tab_to(driver: Any, condition: str, limit: int = 300) -> Any:
    """Press TAB until the focused element satisfies ``condition`` (JS, on ``el``)."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    for _ in range(limit):
        if driver.execute_script(f"const el = document.activeElement; return !!({condition});"):
            return driver.switch_to.active_element
        ActionChains(driver).send_keys(Keys.TAB).perform()
    pytest.fail(f"no element with {condition} is reachable with TAB")


def _keys(driver: Any, *keys: str) -> None:
    from selenium.webdriver.common.action_chains import ActionChains

    ActionChains(driver).send_keys(*keys).perform()


def test_the_quick_actions_work_from_the_keyboard_alone(browser: Any, demo: AccountConsole) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    tag, ids = demo.seed(3, tag="keys")
    group = demo.group("keyboard testers")
    listing = demo.listing(query=f"v.userName={tag}-&op.userName=sw&pin=userName")
    store = demo.hub.store("main")

    def run(action: str, chosen: list[str], reason: str, pick_group: bool = False) -> None:
        browser.get(listing)
        for account_id in chosen:
            _tab_to(browser, f"el.classList.contains('row-select') && el.value === '{account_id}'")
            _keys(browser, Keys.SPACE)
        _tab_to(browser, f"el.dataset.action === '{action}'")
        _keys(browser, Keys.ENTER)
        WebDriverWait(browser, 10).until(
            lambda d: d.find_element(By.ID, "action-dialog").get_attribute("open") is not None
        )
        if pick_group:
            _tab_to(browser, "el.id === 'dialog-group'")
            for _ in range(20):
                if browser.execute_script("return document.activeElement.value") == group:
                    break
                _keys(browser, Keys.ARROW_DOWN)
        _tab_to(browser, "el.id === 'dialog-reason'")
        _keys(browser, reason)
        _tab_to(browser, "el.id === 'dialog-submit'")
        _keys(browser, Keys.ENTER)
        summary = WebDriverWait(browser, 30).until(
            ec.presence_of_element_located((By.ID, "outcome-summary"))
        )
        assert f"{len(chosen)} succeeded" in summary.text, summary.text

    run("disable", ids[:2], "keyboard only")
    assert [store.get_account(i).active for i in ids] == [False, False, True]
    for account_id in ids[:2]:
        [event] = demo.events("main", account_id, "disable_account")
        assert (event.actor, event.reason, event.outcome) == ("alice", "keyboard only", "success")
    assert demo.events("main", ids[2], "disable_account") == []

    run("add-to-group", ids[1:], "keyboard group", pick_group=True)
    members = set(store.get_group(group).members)
    assert members == set(ids[1:])

    run("enable", ids[:1], "keyboard enable")
    assert [store.get_account(i).active for i in ids] == [True, False, True]
