"""Console logins and sessions on a PostgreSQL and a MariaDB hub state, shared by two hubs.

Two hubs on one state database stand for two workers of ``idconnect serve``: refusals counted
by one lock the name and limit the address for the other, a one-time code used on one is
refused by the other, and a session opened by one is read, and closed, by the other.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pyotp
import pytest
import sqlalchemy as sa

import idconnect
from idconnect.core.admin_login import (
    LoginLimits,
    enable_admin_totp,
    set_admin_password,
    verify_admin_login,
)
from idconnect.core.console_sessions import (
    IDLE_TIMEOUT,
    close_console_session,
    console_session,
    open_console_session,
)
from idconnect.core.errors import RateLimited, Unauthenticated
from tests.token_helpers import Clock

Namespaces = pytest.importorskip("idconnect_sql.testing").Namespaces
run_name = pytest.importorskip("idconnect_sql.testing").run_name

PASSWORD = "correct horse battery staple"
LIMITS = LoginLimits(per_client=4, per_admin=2, window=timedelta(minutes=5))


@pytest.fixture(params=["postgresql", "mariadb"])
def hubs(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[idconnect.Hub, idconnect.Hub, Clock]]:
    namespaces = Namespaces(request.param, tmp_path, run_name())
    try:
        url = namespaces.url
        if request.param == "mariadb":
            settings = namespaces.empty()
            url = sa.make_url(str(settings["url"])).set(database=str(settings["schema"]))
            url = url.render_as_string(hide_password=False)
        config = {
            "hub": {"state": url},
            "stores": {"main": {"plugin": "memory"}},
            "admins": {"members": {"root": ["owner"]}},
        }
        clock = Clock()
        with (
            idconnect.connect(config, clock=clock) as one,
            idconnect.connect(config, clock=clock) as two,
        ):
            yield one, two, clock
    finally:
        namespaces.drop()


def test_refusals_and_codes_count_across_hubs(
    hubs: tuple[idconnect.Hub, idconnect.Hub, Clock],
) -> None:
    one, two, clock = hubs
    set_admin_password(one, "carol", PASSWORD, by="root", reason="r")
    totp = pyotp.parse_uri(enable_admin_totp(two, "carol", by="root", reason="2fa"))
    code = totp.at(clock.now)
    assert verify_admin_login(two, "carol", PASSWORD, otp=code, client="a", limits=LIMITS)
    with pytest.raises(Unauthenticated) as replayed:
        verify_admin_login(one, "carol", PASSWORD, otp=code, client="a", limits=LIMITS)
    assert replayed.value.details["why"] == "bad_otp"
    with pytest.raises(Unauthenticated):
        verify_admin_login(two, "carol", "wrong password", client="a", limits=LIMITS)
    clock.now += timedelta(seconds=30)
    with pytest.raises(Unauthenticated) as locked:  # two refusals, one on each hub
        verify_admin_login(two, "carol", PASSWORD, otp=totp.at(clock.now), limits=LIMITS)
    assert locked.value.details["why"] == "locked"
    for hub in (one, two):
        with pytest.raises(Unauthenticated):
            verify_admin_login(hub, "nobody", "wrong password", client="a", limits=LIMITS)
    with pytest.raises(RateLimited):
        verify_admin_login(one, "root", "anything at all", client="a", limits=LIMITS)
    clock.now += LIMITS.window
    assert verify_admin_login(one, "carol", PASSWORD, otp=totp.at(clock.now), limits=LIMITS)


def test_a_session_opened_by_one_hub_is_read_and_closed_by_the_other(
    hubs: tuple[idconnect.Hub, idconnect.Hub, Clock],
) -> None:
    one, two, clock = hubs
    cookie, session = open_console_session(one, "carol")
    assert console_session(two, cookie) == session
    clock.now += IDLE_TIMEOUT / 2
    assert console_session(two, cookie).last_seen == clock.now
    clock.now += IDLE_TIMEOUT * 0.9  # still open: the other hub's read counted
    assert console_session(one, cookie).id == session.id
    close_console_session(two, cookie)
    with pytest.raises(Unauthenticated) as closed:
        console_session(one, cookie)
    assert closed.value.details["why"] == "unknown"
