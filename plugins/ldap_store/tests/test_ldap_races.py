"""Two writers racing on one directory entry: no lost update, no case-variant duplicate.

The same races as the sql store's (:mod:`idconnect.testing.races`), through the facade on
slapd (the updates carry the entry's version as an LDAP assertion control). The suite runs few
rounds; the full counts of issue 10 run with ``IDC_RACE_UPDATES=1000 IDC_RACE_CREATES=500
pytest plugins/ldap_store/tests/test_ldap_races.py -s`` (each test prints its tally).
"""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest
from idconnect_ldap.testing import Slapd

import idconnect
from idconnect.testing.races import create_races, update_races

UPDATES = int(os.environ.get("IDC_RACE_UPDATES", "30"))
CREATES = int(os.environ.get("IDC_RACE_CREATES", "30"))


@pytest.mark.parametrize("layout", ["openldap", "plain"])
def test_update_races_lose_no_update(
    store_factory: Callable[..., idconnect.Store],
    slapd_server: Slapd,
    slapd_plain: Slapd,
    layout: str,
) -> None:
    server = slapd_server if layout == "openldap" else slapd_plain
    tally = update_races(store_factory(server, layout), UPDATES)
    print(tally.line(f"ldap {layout} update races"))
    assert tally.clean, tally
    assert tally.both_won == 0 and tally.rounds == UPDATES


@pytest.mark.parametrize("layout", ["openldap", "plain"])
def test_create_races_make_no_duplicate(
    store_factory: Callable[..., idconnect.Store],
    slapd_server: Slapd,
    slapd_plain: Slapd,
    layout: str,
) -> None:
    server = slapd_server if layout == "openldap" else slapd_plain
    tally = create_races(store_factory(server, layout), CREATES)
    print(tally.line(f"ldap {layout} create races"))
    assert tally.clean, tally
    assert tally.both_won == 0 and tally.rounds == CREATES
