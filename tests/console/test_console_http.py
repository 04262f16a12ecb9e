"""Plain-HTTP checks of the console: login, cookie flags, CSRF refusal, 403 on a forced action."""

from __future__ import annotations

import html

import pytest
import requests

from idconnect.core.errors import NotFound
from tests.console.conftest import PASSWORD, Console, csrf_of, require_ldap, session_for


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


def _actions(console: Console) -> str:
    return f"{console.url}/console/stores/main/accounts/actions"


def test_a_quick_action_without_or_with_a_wrong_csrf_token_is_refused(console: Console) -> None:
    _, ids = console.seed(1)
    http = session_for(console, "alice")
    token = csrf_of(http.get(console.listing(), timeout=10).text)
    form = {"action": "disable", "id": ids[0], "reason": "csrf test"}
    for extra in ({}, {"csrf_token": "wrong"}, {"csrf_token": token[:-1]}):
        answer = http.post(_actions(console), data={**form, **extra}, timeout=10)
        assert answer.status_code == 403
        assert "CSRF token is missing or wrong" in answer.text
    # the header works for scripts; a token of another session does not
    other = csrf_of(session_for(console, "alice").get(console.listing(), timeout=10).text)
    answer = http.post(_actions(console), data=form, headers={"X-CSRF-Token": other}, timeout=10)
    assert answer.status_code == 403
    store = console.hub.store("main")
    assert store.get_account(ids[0]).active
    assert store.events(ids[0], action="disable_account") == []
    answer = http.post(_actions(console), data=form, headers={"X-CSRF-Token": token}, timeout=10)
    assert answer.status_code == 200
    assert not store.get_account(ids[0]).active


def test_a_post_without_a_session_leads_to_the_login_page(console: Console) -> None:
    _, ids = console.seed(1)
    answer = requests.post(
        _actions(console),
        data={"action": "delete", "id": ids[0]},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/console/login"  # the form is not posted again
    assert console.hub.store("main").get_account(ids[0]).active
    page = requests.get(
        console.listing(query="pin=userName&v.userName=a"), allow_redirects=False, timeout=10
    )
    assert page.headers["Location"] == (
        "/console/login?next=/console/stores/main/accounts%3Fpin%3DuserName%26v.userName%3Da"
    )


def test_actions_without_permission_are_not_offered_and_forced_ones_get_403(
    console: Console,
) -> None:
    tag, ids = console.seed(2)
    group = console.group(f"forced {tag}")
    listing = console.listing(query=f"pin=userName&v.userName={tag}-")
    rita = session_for(console, "rita")  # reads only
    page = rita.get(listing, timeout=10)
    assert page.status_code == 200
    assert ids[0] in page.text
    assert "data-action=" not in page.text
    sam = session_for(console, "sam")  # enable and groups, no delete
    page = sam.get(listing, timeout=10)
    offered = {a.split('"')[1] for a in page.text.split("data-action=")[1:]}
    assert offered == {"add-to-group", "remove-from-group", "enable", "disable"}
    store = console.hub.store("main")
    for who, session, action in (
        ("rita", rita, "disable"),
        ("rita", rita, "add-to-group"),
        ("sam", sam, "delete"),
    ):
        token = csrf_of(session.get(listing, timeout=10).text)
        form = {
            "csrf_token": token,
            "action": action,
            "id": ids,
            "reason": "forced",
            "group": group,
            "confirm_delete": "1",
        }
        answer = session.post(_actions(console), data=form, timeout=10)
        assert answer.status_code == 403, (who, action, answer.text)
        assert "Not allowed" in answer.text
        denied = [e for e in store.events(ids[0]) if e.actor == who and e.outcome == "denied"]
        assert denied, (who, action)
    assert all(store.get_account(i).active for i in ids)
    assert store.get_group(group).members == ()


def test_without_javascript_an_action_asks_for_its_reason_on_a_confirmation_page(
    console: Console,
) -> None:
    _, ids = console.seed(2)
    http = session_for(console, "alice")
    token = csrf_of(http.get(console.listing(), timeout=10).text)
    form = {"csrf_token": token, "action": "delete", "id": ids}
    page = http.post(_actions(console), data=form, timeout=10)
    assert page.status_code == 200
    assert "Give a reason" in page.text
    assert "Confirm that the accounts are deleted for good" in page.text
    assert page.text.count('name="id"') == 2
    store = console.hub.store("main")
    assert store.get_account(ids[0]).active  # nothing ran yet
    page = http.post(_actions(console), data={**form, "reason": "gone"}, timeout=10)
    assert page.status_code == 400
    assert "Give a reason" not in page.text
    assert "Confirm that the accounts" in page.text
    done = http.post(
        _actions(console), data={**form, "reason": "gone", "confirm_delete": "1"}, timeout=10
    )
    assert done.status_code == 200
    assert "2 accounts: 2 succeeded, 0 failed" in done.text
    for account_id in ids:
        with pytest.raises(NotFound):
            store.get_account(account_id)


def test_login_never_redirects_outside_the_console(console: Console) -> None:
    for target, expected in (
        ("https://evil.example/", "/console/"),
        ("//evil.example/x", "/console/"),
        ("/console//evil.example", "/console/"),
        (
            "/console/stores/main/accounts?pin=userName",
            "/console/stores/main/accounts?pin=userName",
        ),
    ):
        http = requests.Session()
        token = csrf_of(http.get(f"{console.url}/console/login", timeout=10).text)
        answer = http.post(
            f"{console.url}/console/login",
            data={"csrf_token": token, "name": "alice", "password": PASSWORD, "next": target},
            allow_redirects=False,
            timeout=10,
        )
        assert answer.status_code == 303
        assert answer.headers["Location"] == expected


def test_an_unknown_store_is_a_404_page(console: Console) -> None:
    http = session_for(console, "alice")
    answer = http.get(console.listing(store="nope"), timeout=10)
    assert answer.status_code == 404
    assert "no store 'nope' is configured (main" in html.unescape(answer.text)


def test_the_store_drop_down_lists_only_the_stores_an_admin_may_read(console: Console) -> None:
    require_ldap(console)
    lena = session_for(console, "lena")  # reads accounts of main only
    home = lena.get(f"{console.url}/console/", allow_redirects=False, timeout=10)
    assert home.headers["Location"] == "/console/stores/main/accounts"
    page = lena.get(console.listing(), timeout=10)
    assert 'value="main"' in page.text
    assert 'value="directory"' not in page.text
    alice = session_for(console, "alice").get(console.listing(), timeout=10)
    assert 'value="directory"' in alice.text
    refused = lena.get(console.listing(store="directory"), timeout=10)
    assert refused.status_code == 403
    assert "accounts.read" in html.unescape(refused.text)
