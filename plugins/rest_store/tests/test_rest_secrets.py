"""Credentials and header values never reach a message: a token with a line break (as a
``token_file`` with an inner newline yields) is refused with the store's own error naming the
key, never the value, before requests could build a header with it (its ``InvalidHeader``
repeats the value); the same for an OAuth token and an ``If-Match`` value.
"""

from __future__ import annotations

import json
import logging

import pytest
from idconnect_rest.http import ScimClient
from idconnect_rest.settings import RestSettings
from idconnect_rest.testing.hostile import HostileServer
from werkzeug import Response

from idconnect.backend import ConfigError, InvalidInput, StoreConfig, StoreUnavailable

HALF_A = "canary-first-half-7f3a"
HALF_B = "canary-second-half-91c2"


@pytest.fixture(scope="module")
def server():
    hostile = HostileServer()
    yield hostile
    hostile.stop()


def _assert_no_canary(text: str) -> None:
    assert HALF_A not in text and HALF_B not in text


@pytest.mark.parametrize("sep", ["\n", "\r\n", "\r", "\t", " ", "\x00", "\u2028", "é"])
def test_a_token_file_with_an_inner_control_character_is_refused_without_the_token(
    server, connect_store, tmp_path, caplog, sep
):
    caplog.set_level(logging.DEBUG)
    token_file = tmp_path / "token"
    token_file.write_text(f"{HALF_A}{sep}{HALF_B}\n", encoding="utf-8")
    before = len(server.seen)
    with pytest.raises(ConfigError) as info:
        connect_store(server.url("ok"), token_file=str(token_file)).search_accounts()
    assert "token_file" in str(info.value)
    _assert_no_canary(str(info.value))
    _assert_no_canary(repr(info.value.details))
    _assert_no_canary(caplog.text)
    assert len(server.seen) == before, "refused before any request"


def test_a_token_env_with_a_line_break_is_refused_naming_the_key(
    server, connect_store, monkeypatch
):
    monkeypatch.setenv("CANARY_TOKEN", f"{HALF_A}\n{HALF_B}")
    with pytest.raises(ConfigError, match="token_env") as info:
        connect_store(server.url("ok"), token_env="CANARY_TOKEN").search_accounts()
    _assert_no_canary(str(info.value))


def test_one_trailing_newline_is_stripped(server, connect_store, monkeypatch):
    monkeypatch.setenv("CANARY_TOKEN", f"{HALF_A}\n")
    connect_store(server.url("ok"), token_env="CANARY_TOKEN").search_accounts()
    assert server.seen[-1].authorization == f"Bearer {HALF_A}"


def test_an_oauth_token_with_a_line_break_is_refused_without_the_token(
    httpserver, monkeypatch, caplog
):
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("CANARY_CLIENT_SECRET", "client-secret")
    httpserver.expect_request("/oauth/token").respond_with_response(
        Response(
            json.dumps({"access_token": f"{HALF_A}\r\n{HALF_B}", "expires_in": 3600}),
            content_type="application/json",
        )
    )
    config = StoreConfig(
        name="scim",
        plugin="rest",
        settings={
            "url": httpserver.url_for("/v2"),
            "token_url": httpserver.url_for("/oauth/token"),
            "client_id": "idc",
            "client_secret_env": "CANARY_CLIENT_SECRET",
        },
    )
    client = ScimClient("scim", RestSettings.from_config(config))
    with pytest.raises(StoreUnavailable, match="no access token that idconnect can send") as info:
        client.request("GET", "/Users", what="the search")
    _assert_no_canary(str(info.value))
    _assert_no_canary(caplog.text)
    assert [request.path for request, _ in httpserver.log] == ["/oauth/token"], "no SCIM request"


def test_an_if_match_value_with_a_line_break_is_refused_without_the_value(server, caplog):
    caplog.set_level(logging.DEBUG)
    config = StoreConfig(name="scim", plugin="rest", settings={"url": server.url("ok")})
    client = ScimClient("scim", RestSettings.from_config(config))
    before = len(server.seen)
    with pytest.raises(InvalidInput) as info:
        client.request(
            "PATCH", "/Users/u1", body={}, if_match=f'W/"{HALF_A}"\r\nX-{HALF_B}: 1', what="x"
        )
    _assert_no_canary(str(info.value))
    _assert_no_canary(caplog.text)
    assert len(server.seen) == before


@pytest.mark.parametrize("kind", ["bearer", "basic"])
def test_credentials_a_server_echoes_are_not_quoted(server, connect_store, monkeypatch, kind):
    monkeypatch.setenv("CANARY_SECRET", HALF_A)
    auth = (
        {"token_env": "CANARY_SECRET"}
        if kind == "bearer"
        else {"username": "idc", "password_env": "CANARY_SECRET"}
    )
    with pytest.raises(InvalidInput) as info:
        connect_store(server.url("echo"), **auth).search_accounts()
    assert "[redacted]" in str(info.value)
    _assert_no_canary(str(info.value))
    _assert_no_canary(repr(info.value.details))
