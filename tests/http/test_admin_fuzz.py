"""The admin API fuzzed from its own /api/openapi.json (issue 14, Done when).

Schemathesis loads the document from the running server and generates requests for every
operation (a bounded, derandomized run: a few examples each, the store pinned to ``main``
so requests reach the sql store and its demo customers, most of them on a real account);
every answer must be no 5xx, have a declared status and match its declared schema. A second,
smaller run sends invalid requests (wrong types, missing fields, no token) and holds them to
the same checks: every one is a declared 4xx.
``listOrganizations`` goes to the memory store ``orgs``: the sql store keeps no organizations
and answers 501 by design (test_admin_accounts.py checks that answer).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from tests.http.admin_env import Api, admin_api

CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
EXAMPLES = 10
INVALID_EXAMPLES = 4
STORES = {"listOrganizations": "orgs"}
"""Operations fuzzed on another store than ``main``."""


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    with admin_api(Path(tmp_path_factory.mktemp("fuzz"))) as served:
        yield served


@pytest.fixture(scope="module")
def unlimited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    with admin_api(Path(tmp_path_factory.mktemp("invalid")), unlimited=True) as served:
        yield served


def _operations(api: Api) -> list[Any]:
    schema = schemathesis.openapi.from_url(
        api.base + "/api/openapi.json", headers={"Authorization": api.tokens["alice"]}
    )
    found = [result.ok() for result in schema.get_all_operations()]
    assert len(found) > 30
    return found


def _fuzz(
    api: Api,
    session: requests.Session,
    operation: Any,
    accounts: list[str],
    seen: set[int],
    *,
    mode: GenerationMode = GenerationMode.POSITIVE,
    examples: int = EXAMPLES,
) -> None:
    names = {p.name for p in operation.path_parameters}
    store = STORES.get(operation.definition.raw.get("operationId"), "main")
    pinned = {"store": store} if "store" in names else None

    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        case=operation.as_strategy(generation_mode=mode, path_parameters=pinned),
        real=st.sampled_from([None, *accounts]),
    )
    def run(case: schemathesis.Case, real: str | None) -> None:
        if real is not None and "account" in names:
            case.path_parameters = {**(case.path_parameters or {}), "account": real}
        response = case.call_and_validate(base_url=api.base, session=session, checks=CHECKS)
        seen.add(response.status_code)

    run()


def _session(api: Api) -> requests.Session:
    session = requests.Session()
    session.headers.update({"Authorization": api.tokens["alice"], "Idconnect-Reason": "fuzz"})
    return session


def _accounts(api: Api) -> list[str]:
    return [str(a.id) for a in api.hub.store("main").iter_accounts()][:5]


def test_every_operation_answers_as_its_document_says(api: Api) -> None:
    session, accounts = _session(api), _accounts(api)
    seen: set[int] = set()
    for operation in _operations(api):
        _fuzz(api, session, operation, accounts, seen)
    assert {200, 201, 204, 400, 404} <= seen


def test_invalid_requests_are_declared_client_errors(unlimited: Api) -> None:
    session, accounts = _session(unlimited), _accounts(unlimited)
    seen: set[int] = set()
    for operation in _operations(unlimited):
        mode, n = GenerationMode.NEGATIVE, INVALID_EXAMPLES
        _fuzz(unlimited, session, operation, accounts, seen, mode=mode, examples=n)
    assert {400, 401} <= seen
