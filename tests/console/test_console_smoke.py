"""Plain-HTTP checks of the console: login, cookie flags, CSRF refusal, 403 on a forced action."""

from __future__ import annotations

import requests

from tests.console.conftest import PASSWORD, Console, csrf_of


def test_a_page_without_a_session_leads_to_the_login_page(console: Console) -> None:
    answer = requests.get(console.listing(), allow_redirects=False, timeout=10)
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/console/login?next=/console/stores/main/accounts"
    login = requests.get(console.url + answer.headers["Location"], timeout=10)
    assert login.status_code == 200
    assert 'name="next" value="/console/stores/main/accounts"' in login.text


def test_login_sets_a_strict_http_only_session_cookie_limited_to_the_console(
    console: Console,
) -> None:
    http = requests.Session()
    page = http.get(f"{console.url}/console/login", timeout=10)
    answer = http.post(
        f"{console.url}/console/login",
        data={"csrf_token": csrf_of(page.text), "name": "alice", "password": PASSWORD},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 303
    cookie = next(
        c for c in answer.raw.headers.getlist("Set-Cookie") if c.startswith("idconnect_console=")
    )
    flags = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "samesite=strict", "path=/console"} <= flags
    assert "secure" not in flags  # plain HTTP here; over TLS the flag is set
    listing = http.get(console.listing(), timeout=10)
    assert listing.status_code == 200
    assert "Signed in as <strong>alice</strong>" in listing.text
    assert listing.headers["Content-Security-Policy"].startswith("default-src 'none'")
