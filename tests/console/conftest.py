"""The console's browser harness: a real uvicorn serving ``create_app(hub)``, real Chromium.

The hub has a seeded SQLite sql store ``main`` (custom attributes ``loyaltyTier`` and
``loyaltyPoints``) and, where slapd is installed, an LDAP store ``directory`` on a throwaway
slapd. Admins: ``alice`` (role ``support``: every permission), ``rita`` (role ``reader``: reads
only), ``sam`` (role ``agent``: reads, enable and groups, no delete, export or impersonate),
``lena`` (role ``main-reader``: reads accounts of ``main`` only), each with the console
password :data:`PASSWORD`. The WebDriver is Selenium on Debian's ``/usr/bin/chromedriver`` and
``/usr/bin/chromium``, headless.

Tests that change accounts create their own (:meth:`Console.seed` with a tag of their own) and
filter on it, so the session's server and browser are shared safely.
"""

from __future__ import annotations

import getpass
import itertools
import os
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import requests

import idconnect
from idconnect.core.admin_login import set_admin_password
from idconnect.http.app import create_app
from idconnect.http.server import serving
from idconnect.testing.servers import in_ci, require_server

if TYPE_CHECKING:
    from tests.console.account_env import AccountConsole

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
INSTALL = "apt-get install -y chromium chromium-driver"
PASSWORD = "console-test-password-1"
"""Every test admin's console password."""
CUSTOM = "urn:ietf:params:scim:schemas:extension:idconnect:2.0:Attributes"
EXTENSION = "urn:ietf:params:scim:schemas:extension:idconnect:2.0:User"
LDAP_PASSWORD_ENV = "IDCONNECT_CONSOLE_TEST_LDAP_PASSWORD"
SEEDED = 120
"""Accounts seeded in ``main`` with the tag ``base`` (more than two pages of 50)."""
_tags = itertools.count()


def _ldap_store(tmp: Path) -> tuple[Any, dict[str, Any]] | None:
    try:
        import ldap3
        from idconnect_ldap.testing import Slapd, slapd_available
    except ImportError:
        return None
    if not slapd_available():
        return None
    server = Slapd()
    server.start()
    conn = ldap3.Connection(
        ldap3.Server(server.host, port=server.port, get_info=ldap3.NONE),
        server.root_dn,
        server.password,
        auto_bind=True,
    )
    base = f"ou=console,{server.suffix}"
    for dn in (base, f"ou=people,{base}", f"ou=groups,{base}"):
        conn.add(dn, ["organizationalUnit"])
        assert conn.result["result"] == 0, conn.result
    conn.unbind()
    os.environ[LDAP_PASSWORD_ENV] = server.password
    settings = {
        "plugin": "ldap",
        "url": server.url,
        "bind_dn": server.service_dn,
        "bind_password_env": LDAP_PASSWORD_ENV,
        "users_base": f"ou=people,{base}",
        "groups_base": f"ou=groups,{base}",
        "empty_member": server.placeholder,
        "connect_timeout": 2.0,
        "receive_timeout": 5.0,
    }
    return server, settings


class Console:
    """The served console: its hub (to check store state and audit events) and URL."""

    def __init__(self, hub: idconnect.Hub, url: str, ldap: bool) -> None:
        self.hub = hub
        self.url = url
        self.ldap = ldap

    def listing(self, store: str = "main", query: str = "") -> str:
        """The URL of a store's listing."""
        return f"{self.url}/console/stores/{store}/accounts" + (f"?{query}" if query else "")

    def seed(
        self, count: int, *, store: str = "main", tag: str | None = None, **extra: Any
    ) -> tuple[str, list[str]]:
        """Create ``count`` accounts ``TAG-NNN`` (emails ``TAG-NNN@example.org``), return the
        tag and their ids in creation order; ``extra`` adds JSON attributes to each."""
        tag = tag or f"t{next(_tags)}x"
        docs = [
            {
                "userName": f"{tag}-{n:03d}",
                "displayName": f"{tag.upper()} {n}",
                "emails": [{"value": f"{tag}-{n:03d}@example.org", "primary": True}],
                **extra,
            }
            for n in range(count)
        ]
        result = self.hub.store(store).create_accounts(docs, reason="console test seed")
        assert result.ok, [str(o.error) for o in result.failed]
        return tag, list(result.succeeded)

    def group(self, name: str, store: str = "main") -> str:
        """Create a group and return its id."""
        created = self.hub.store(store).create_group({"displayName": name}, reason="test")
        assert created.id is not None
        return created.id


def _config(tmp: Path, ldap: dict[str, Any] | None) -> dict[str, Any]:
    stores: dict[str, Any] = {
        "main": {
            "plugin": "sql",
            "url": f"sqlite:///{tmp / 'main.db'}",
            "attributes": {
                "loyaltyTier": {"type": "string", "description": "Loyalty programme tier"},
                "loyaltyPoints": {"type": "integer"},
            },
        }
    }
    if ldap is not None:
        stores["directory"] = ldap
    return {
        "hub": {"state": f"sqlite:///{tmp / 'state.db'}"},
        "stores": stores,
        "admins": {
            "roles": {
                "support": {"permissions": ["*"]},
                "reader": {"permissions": ["accounts.read", "groups.read", "activity.read"]},
                "main-reader": {"permissions": ["accounts.read"], "stores": ["main"]},
                "agent": {
                    "permissions": [
                        "accounts.read",
                        "accounts.enable",
                        "groups.read",
                        "groups.members",
                        "activity.read",
                    ]
                },
            },
            "members": {
                getpass.getuser(): ["owner"],
                "alice": ["support"],
                "rita": ["reader"],
                "sam": ["agent"],
                "lena": ["main-reader"],
            },
        },
    }


@pytest.fixture(scope="session")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    """The console served by uvicorn over the seeded stores (see the module)."""
    tmp = tmp_path_factory.mktemp("console")
    ldap = _ldap_store(tmp)
    server = ldap[0] if ldap else None
    try:
        with idconnect.connect(_config(tmp, ldap[1] if ldap else None)) as hub:
            for admin in ("alice", "rita", "sam", "lena"):
                set_admin_password(hub, admin, PASSWORD, by=getpass.getuser(), reason="tests")
            with serving(create_app(hub)) as url:
                made = Console(hub, url, ldap is not None)
                made.seed(SEEDED, tag="base", **{CUSTOM: {"loyaltyTier": "bronze"}})
                yield made
    finally:
        if server is not None:
            server.close()


@pytest.fixture(scope="module")
def env(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AccountConsole]:
    """The account page's environment of one test module (``tests.console.account_env``)."""
    from tests.console.account_env import account_console  # it builds on this module

    name = request.module.__name__.rsplit(".", 1)[-1]
    with account_console(tmp_path_factory.mktemp(name)) as made:
        yield made


@pytest.fixture(scope="module")
def alice(env: AccountConsole) -> requests.Session:
    """``alice`` (every permission) logged in to the module's account console."""
    return session_for(env, "alice")


def require_ldap(console: Console) -> None:
    """Skip (or fail under CI) a test of the LDAP store when slapd is not installed."""
    if not console.ldap:
        require_server("slapd is not installed", "apt-get install -y slapd ldap-utils")


@pytest.fixture(scope="session")
def driver() -> Iterator[Any]:
    """Headless Chromium driven by Selenium through Debian's chromedriver."""
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if shutil.which(p) is None]
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        missing.append("selenium (pip install 'selenium>=4.20')")
    if missing:
        message = f"{', '.join(missing)} missing; to run the console's browser tests: {INSTALL}"
        if in_ci():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    profile = Path(os.environ.get("TMPDIR", "/tmp"))
    user_data = profile / f"idconnect-chromium-{os.getpid()}"
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1400,1000",
        f"--user-data-dir={user_data}",
    ):
        options.add_argument(flag)
    browser = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    browser.implicitly_wait(0)
    try:
        yield browser
    finally:
        browser.quit()
        shutil.rmtree(user_data, ignore_errors=True)


@contextmanager
def navigation(driver: Any, timeout: float = 10) -> Iterator[None]:
    """Wait, after the block, until the browser shows a new page, loaded.

    The old page is told apart by a mark set on its window, not by an element of it: asking
    chromedriver about an element of a page already replaced can fail with an inspector error
    instead of the stale-element answer that ``staleness_of`` expects.
    """
    from selenium.webdriver.support.ui import WebDriverWait

    driver.execute_script("window.__idc_old_page = true")
    yield
    WebDriverWait(driver, timeout).until(
        lambda d: d.execute_script(
            "return window.__idc_old_page !== true && document.readyState === 'complete'"
        )
    )


def logged_in(driver: Any, console: Console, admin: str, password: str = PASSWORD) -> None:
    """Log ``admin`` in through the login form (ending any session the browser had)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    driver.delete_all_cookies()
    driver.get(f"{console.url}/console/login")
    driver.find_element(By.ID, "name").send_keys(admin)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "form.login button[type=submit]").click()
    WebDriverWait(driver, 10).until(ec.presence_of_element_located((By.CSS_SELECTOR, ".logout")))


def session_for(console: Console, admin: str) -> requests.Session:
    """Log ``admin`` in with plain HTTP (no browser): a session holding the console cookie."""
    http = requests.Session()
    page = http.get(f"{console.url}/console/login", timeout=10)
    answer = http.post(
        f"{console.url}/console/login",
        data={"csrf_token": csrf_of(page.text), "name": admin, "password": PASSWORD},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 303, answer.text
    return http


def csrf_of(html: str) -> str:
    """The CSRF token in a console page's forms."""
    return html.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]


def ids_on(driver: Any) -> Sequence[str]:
    """The account ids of the listing's rows, in order."""
    from selenium.webdriver.common.by import By

    return [e.get_attribute("value") for e in driver.find_elements(By.CSS_SELECTOR, ".row-select")]
