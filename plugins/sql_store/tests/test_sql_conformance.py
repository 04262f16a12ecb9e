from __future__ import annotations

from collections.abc import Callable

import pytest

import idconnect
from idconnect.testing.suite import ConformanceSuite


class TestManagedSchema(ConformanceSuite):
    """The kit on the managed schema, on SQLite, PostgreSQL and MariaDB (``sql_url`` params)."""

    @pytest.fixture(scope="class")
    @classmethod
    def make_store(cls, make_sql_store: Callable[[], idconnect.Store]):
        return make_sql_store

    @pytest.fixture
    def seed_sessions(self, request: pytest.FixtureRequest):
        return request.getfixturevalue("insert_sessions_fn")

    @pytest.fixture
    def seed_failed_attempts(self, request: pytest.FixtureRequest):
        return request.getfixturevalue("set_failed_attempts_fn")


class TestMappedDjangoSchema(ConformanceSuite):
    """The kit on the README's Django ``auth_user`` mapping, on SQLite, PostgreSQL and MariaDB."""

    @pytest.fixture(scope="class")
    @classmethod
    def make_store(cls, make_mapped_store: Callable[[], idconnect.Store]):
        return make_mapped_store
