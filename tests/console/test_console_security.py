"""The console's security: CSRF, hostile account data, cookie flags, rate limits, expiry, 403.

A console of its own (a hub with a clock the tests move, over the account page's config: clients
and an impersonation key), so its rate limits and expired sessions touch no other test. The
hostile data is checked in real Chromium: no script of its own ran (a ``window.__pwned``
canary), no element carries an event handler attribute, no link has a ``javascript:`` URL, and
the text shows as text.
"""

from __future__ import annotations

import getpass
import ipaddress
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

import idconnect
from idconnect.core.admin_login import LIMITS, set_admin_password
from idconnect.core.console_sessions import IDLE_TIMEOUT
from idconnect.http.app import create_app
from idconnect.http.server import serving
from tests.console.account_env import AccountConsole, _config_with_clients
from tests.console.conftest import CUSTOM, PASSWORD, csrf_of, logged_in, session_for
from tests.token_helpers import Clock, Inbox, free_port

HOSTILE_SCRIPT = '<script>window.__pwned = 1</script>" onmouseover="window.__pwned = 2" x="'
HOSTILE_IMG = '\'><img src=x onerror="window.__pwned = 3">'
HOSTILE_URL = "javascript:window.__pwned = 4"


class SecureConsole(AccountConsole):
    """The console with the clock its hub reads."""

    def __init__(self, hub: idconnect.Hub, url: str, clock: Clock) -> None:
        super().__init__(hub, url, False, Inbox())
        self.clock = clock

    def login(self, admin: str, password: str = PASSWORD) -> requests.Response:
        """One login attempt over plain HTTP (a fresh client: no cookie but the login one)."""
        http = requests.Session()
        page = http.get(f"{self.url}/console/login", timeout=10)
        return http.post(
            f"{self.url}/console/login",
            data={"csrf_token": csrf_of(page.text), "name": admin, "password": password},
            allow_redirects=False,
            timeout=10,
        )


@pytest.fixture(scope="module")
def sec(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecureConsole]:
    tmp = tmp_path_factory.mktemp("console-security")
    clock = Clock()
    clock.now = datetime.now(UTC)
    config = _config_with_clients(tmp, None, free_port())  # no mail is sent here
    with idconnect.connect(config, clock=clock) as hub:
        for admin in ("alice", "rita", "sam"):
            set_admin_password(hub, admin, PASSWORD, by=getpass.getuser(), reason="tests")
        with serving(create_app(hub)) as url:
            yield SecureConsole(hub, url, clock)


def _account(sec: SecureConsole, tag: str, **extra: Any) -> str:
    _, [account_id] = sec.seed(1, tag=tag, **extra)
    return account_id


# -- CSRF ----------------------------------------------------------------------------------------


def test_a_missing_or_wrong_csrf_token_is_refused_and_nothing_changes(sec: SecureConsole) -> None:
    account_id = _account(sec, "csrf")
    http = session_for(sec, "alice")
    other = csrf_of(session_for(sec, "sam").get(sec.page("main", account_id), timeout=10).text)
    page = sec.page("main", account_id)
    listing_action = f"{sec.url}/console/stores/main/accounts/actions"
    for token in (None, "", "not-the-token", other):
        fields = {"reason": "csrf test", "tab": "attributes"}
        if token is not None:
            fields["csrf_token"] = token
        on_page = http.post(f"{page}/disable", data=fields, timeout=10)
        assert on_page.status_code == 403, on_page.text
        assert "CSRF token is missing or wrong" in on_page.text
        quick = http.post(
            listing_action,
            data={**fields, "action": "disable", "id": account_id, "back": ""},
            timeout=10,
        )
        assert quick.status_code == 403
        header = {} if token is None else {"X-CSRF-Token": token}
        scripted = http.post(f"{page}/disable", data={"reason": "r"}, headers=header, timeout=10)
        assert scripted.status_code == 403
    assert sec.hub.store("main").get_account(account_id).active
    assert sec.events("main", account_id, "disable_account") == []
    logout = http.post(f"{sec.url}/console/logout", data={"csrf_token": "wrong"}, timeout=10)
    assert logout.status_code == 403
    assert http.get(sec.listing(), allow_redirects=False, timeout=10).status_code == 200
    # the right token, for contrast: the same request goes through
    done = sec.post(http, "main", account_id, "disable", reason="csrf test", tab="attributes")
    assert done.status_code == 200, done.text
    assert not sec.hub.store("main").get_account(account_id).active
    [event] = sec.events("main", account_id, "disable_account")
    assert (event.actor, event.reason) == ("alice", "csrf test")


def test_the_login_form_needs_its_pre_login_token(sec: SecureConsole) -> None:
    fields = {"name": "alice", "password": PASSWORD}
    bare = requests.post(f"{sec.url}/console/login", data=fields, allow_redirects=False, timeout=10)
    assert bare.status_code == 403
    forged = requests.post(
        f"{sec.url}/console/login",
        data={**fields, "csrf_token": "attacker-chosen"},
        cookies={"idconnect_console_login": "something-else"},
        allow_redirects=False,
        timeout=10,
    )
    assert forged.status_code == 403 and "idconnect_console=" not in str(forged.headers)


# -- hostile account data ------------------------------------------------------------------------

_FINDINGS = """
const handlers = [];
for (const el of document.querySelectorAll("*")) {
  for (const a of el.attributes) {
    if (a.name.toLowerCase().startsWith("on")) handlers.push(el.tagName + " " + a.name);
  }
}
return {
  pwned: window.__pwned === undefined ? null : window.__pwned,
  handlers: handlers,
  badLinks: [...document.querySelectorAll("[href], [src], [action], [formaction]")]
    .flatMap((e) => ["href", "src", "action", "formaction"].map((a) => e.getAttribute(a) || ""))
    .filter((v) => /^\\s*(javascript|data|vbscript):/i.test(v)),
  inlineScripts: [...document.scripts].filter((s) => !s.src).length,
  foreignScripts: [...document.scripts].map((s) => s.src)
    .filter((s) => s && !new URL(s).pathname.startsWith("/console/static/")),
  images: document.images.length,
  text: document.body.innerText,
};
"""


def _inert(driver: Any, *shown: str) -> None:
    from selenium.webdriver.common.action_chains import ActionChains

    carriers = driver.execute_script(
        "return [...document.querySelectorAll('bdi, td, dd, h1, span, input, textarea, a')]"
        ".filter((e) => (e.value || e.textContent).includes('__pwned'))"
    )
    assert carriers, "the hostile values are not on the page"
    for element in carriers:
        if element.is_displayed():  # an injected onmouseover would run now
            ActionChains(driver).move_to_element(element).perform()
    found = driver.execute_script(_FINDINGS)
    assert found["pwned"] is None, found
    assert found["handlers"] == [] and found["badLinks"] == [], found
    assert found["inlineScripts"] == 0 and found["foreignScripts"] == [], found
    assert found["images"] == 0, found
    for text in shown:
        assert text in found["text"], (text, found["text"][:2000])


def test_hostile_account_data_renders_inert_in_the_listing_and_the_account_page(
    sec: SecureConsole, driver: Any
) -> None:
    from selenium.webdriver.common.by import By

    account_id = _account(
        sec,
        "hostile",
        displayName=HOSTILE_SCRIPT,
        **{CUSTOM: {"loyaltyTier": HOSTILE_IMG, "profileUrl": HOSTILE_URL}},
    )
    stored = sec.hub.store("main").get_account(account_id)
    assert stored.display_name == HOSTILE_SCRIPT
    assert stored.attributes["profileUrl"] == HOSTILE_URL
    for admin in ("alice", "rita"):  # alice edits the attributes in inputs, rita reads them
        logged_in(driver, sec, admin)
        driver.get(sec.listing(query="v.userName=hostile&op.userName=sw&pin=userName"))
        rows = driver.find_elements(By.CSS_SELECTOR, "table.accounts tbody tr")
        assert len(rows) == 1 and HOSTILE_SCRIPT in rows[0].text
        _inert(driver, HOSTILE_SCRIPT)
        driver.get(sec.page("main", account_id))
        assert driver.find_element(By.ID, "overview-title").text == HOSTILE_SCRIPT
        _inert(driver, HOSTILE_SCRIPT)
        values = driver.execute_script(
            "return [...document.querySelectorAll('.attributes input, .attributes .value')]"
            ".map((e) => e.value || e.textContent)"
        )
        assert HOSTILE_IMG in values and HOSTILE_URL in values, values
        if admin == "rita":  # the reference is shown as text, not as a link
            assert driver.find_elements(By.CSS_SELECTOR, ".attributes a") == []


# -- cookies -------------------------------------------------------------------------------------


def _self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def _flags(response: requests.Response, name: str) -> set[str]:
    [cookie] = [c for c in response.raw.headers.getlist("Set-Cookie") if c.startswith(name + "=")]
    return {part.strip().lower() for part in cookie.split(";")[1:]}


@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
def test_cookies_are_http_only_strict_and_secure_over_tls(
    sec: SecureConsole, tmp_path: Path, tls: bool
) -> None:
    cert, key = _self_signed(tmp_path)
    options = {"ssl_certfile": str(cert), "ssl_keyfile": str(key)} if tls else {}
    with serving(create_app(sec.hub), **options) as url:
        assert url.startswith("https://" if tls else "http://")
        http = requests.Session()
        # an idle keep-alive TLS connection holds uvicorn's graceful stop for its whole timeout
        http.headers["Connection"] = "close"
        page = http.get(f"{url}/console/login", verify=str(cert), timeout=10)
        login_flags = _flags(page, "idconnect_console_login")
        done = http.post(
            f"{url}/console/login",
            data={"csrf_token": csrf_of(page.text), "name": "alice", "password": PASSWORD},
            allow_redirects=False,
            verify=str(cert),
            timeout=10,
        )
        assert done.status_code == 303, done.text
        session_flags = _flags(done, "idconnect_console")
        for flags in (login_flags, session_flags):
            assert {"httponly", "samesite=strict", "path=/console"} <= flags
            assert ("secure" in flags) is tls
        listing = http.get(f"{url}/console/stores/main/accounts", verify=str(cert), timeout=10)
        assert listing.status_code == 200


# -- login attempts, expiry, logout --------------------------------------------------------------


def test_login_attempts_lock_a_name_then_rate_limit_the_address(sec: SecureConsole) -> None:
    for _ in range(LIMITS.per_admin):
        assert sec.login("sam", "a wrong password").status_code == 401
    locked = sec.login("sam")  # the right password, refused while the name is locked
    assert locked.status_code == 401 and "idconnect_console=" not in str(locked.headers)
    for n in range(LIMITS.per_client - LIMITS.per_admin):
        assert sec.login(f"guess-{n}", "a wrong password").status_code == 401
    limited = sec.login("alice")  # anybody, from this address
    assert limited.status_code == 429, limited.text
    assert "too many refused console logins" in limited.text
    events = [e for e in sec.hub.state.events("(hub)") if e.action == "console_login"]
    assert [e.error_code for e in events[-2:]] == ["unauthenticated", "rate_limited"]
    assert all(PASSWORD not in repr(e) and "a wrong password" not in repr(e) for e in events)
    sec.clock.now += LIMITS.window + timedelta(seconds=1)  # the window passes (the hub's clock)
    assert sec.login("alice").status_code == 303
    assert sec.login("sam").status_code == 303


def test_a_session_expires_when_idle_by_the_hub_clock_and_ends_at_logout(
    sec: SecureConsole,
) -> None:
    http = session_for(sec, "rita")
    assert http.get(sec.listing(), allow_redirects=False, timeout=10).status_code == 200
    sec.clock.now += IDLE_TIMEOUT + timedelta(seconds=1)
    expired = http.get(sec.listing(), allow_redirects=False, timeout=10)
    assert expired.status_code == 303
    assert expired.headers["Location"].startswith("/console/login?next=")

    http = session_for(sec, "rita")
    cookie = http.cookies["idconnect_console"]
    listing = http.get(sec.listing(), timeout=10)
    out = http.post(
        f"{sec.url}/console/logout",
        data={"csrf_token": csrf_of(listing.text)},
        allow_redirects=False,
        timeout=10,
    )
    assert out.status_code == 303 and out.headers["Location"] == "/console/login"
    assert "max-age=0" in _flags(out, "idconnect_console")
    replayed = requests.get(  # the old cookie, kept by an attacker: closed on the server
        sec.listing(), cookies={"idconnect_console": cookie}, allow_redirects=False, timeout=10
    )
    assert replayed.status_code == 303
    closed = [e for e in sec.hub.state.events("(hub)") if e.action == "close_console_session"]
    assert closed and closed[-1].actor == "rita"


# -- permissions ---------------------------------------------------------------------------------


def test_without_export_and_impersonate_the_actions_are_absent_and_forced_ones_refused(
    sec: SecureConsole, driver: Any
) -> None:
    from selenium.webdriver.common.by import By

    account_id = _account(sec, "perm")
    logged_in(driver, sec, "alice")
    driver.get(sec.page("main", account_id))
    offered = {e.get_attribute("id") for e in driver.find_elements(By.CSS_SELECTOR, "a[id]")}
    assert {"open-export", "open-impersonate"} <= offered  # for contrast: alice may
    logged_in(driver, sec, "sam")
    for dialog in ("", "export", "impersonate"):
        driver.get(sec.page("main", account_id) + (f"?dialog={dialog}" if dialog else ""))
        assert driver.find_element(By.ID, "overview-title").text
        assert driver.find_elements(By.ID, "open-export") == []
        assert driver.find_elements(By.ID, "open-impersonate") == []
        assert driver.find_elements(By.ID, "dialog-export") == []
        assert driver.find_elements(By.ID, "dialog-impersonate") == []
        assert driver.find_elements(By.ID, "open-delete") == []
    http = session_for(sec, "sam")
    for action, fields in (
        ("export", {"format": "json"}),
        ("export", {"format": "html"}),
        ("impersonate", {"client": "shop-web"}),
        ("delete", {"confirm": account_id}),
    ):
        forced = sec.post(http, "main", account_id, action, reason="forced", **fields)
        assert forced.status_code == 403, (action, forced.text)
        assert "lacks permission" in forced.text
        assert "idconnect_export" not in forced.headers.get("Content-Disposition", "")
    assert sec.hub.store("main").get_account(account_id).active
    events = sec.hub.state.events("main", account_id=account_id)
    assert {e.outcome for e in events if e.actor == "sam"} == {"denied"}
    assert {e.action for e in events if e.actor == "sam"} >= {"export_account", "delete_account"}
