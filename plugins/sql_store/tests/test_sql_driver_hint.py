"""A URL whose default driver is not installed: the error names the driver-qualified form.

This machine has PyMySQL and psycopg 3 (idconnect-sql's extras) but not MySQLdb, the driver
SQLAlchemy picks for a bare ``mysql://`` or ``mariadb://``, nor psycopg2 (``postgresql://``
before SQLAlchemy 2.1, ``postgresql+psycopg2://``).
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from idconnect import ConfigError


def _error(open_hub, url: str, call: str = "search") -> ConfigError:
    store = open_hub({"url": url}).store("s")
    with pytest.raises(ConfigError) as caught:
        if call == "search":
            store.search_accounts(count=1)
        else:
            store.provision()
    return caught.value


@pytest.mark.parametrize(
    ("url", "driver", "qualified"),
    [
        ("mysql://root@127.0.0.1/idc", "MySQLdb", "mysql+pymysql"),
        ("mariadb://root@127.0.0.1/idc", "MySQLdb", "mariadb+pymysql"),
        ("mysql+mysqldb://root@127.0.0.1/idc", "MySQLdb", "mysql+pymysql"),
        ("postgresql+psycopg2://postgres@127.0.0.1/idc", "psycopg2", "postgresql+psycopg"),
    ],
)
@pytest.mark.parametrize("call", ["search", "provision"])
def test_a_default_driver_that_is_missing_names_the_qualified_form(
    open_hub, url, driver, qualified, call
):
    assert importlib.util.find_spec(driver) is None, f"{driver} is installed here"
    error = _error(open_hub, url, call)
    assert error.store == "s"
    assert error.details["key"] == "url"
    scheme = url.partition("://")[0]
    assert error.message == (
        f"the database driver for {scheme!r} is not installed ({driver});"
        f" write the URL as {qualified}://user@host/db,"
        " the form whose driver idconnect-sql installs"
    )
    assert "pip install" not in str(error)


@pytest.mark.parametrize("url", ["postgresql+pg8000://postgres@127.0.0.1/idc"])
def test_any_other_driver_of_the_three_names_the_qualified_form(open_hub, url):
    assert importlib.util.find_spec("pg8000") is None
    error = _error(open_hub, url)
    assert "write the URL as postgresql+psycopg://user@host/db" in error.message


@pytest.mark.parametrize(
    ("url", "module"),
    [
        ("mysql+pymysql://root@127.0.0.1/idc", "pymysql"),
        ("mariadb+pymysql://root@127.0.0.1/idc", "pymysql"),
        ("postgresql+psycopg://postgres@127.0.0.1/idc", "psycopg"),
        ("postgresql://postgres@127.0.0.1/idc", "psycopg"),  # SQLAlchemy 2.1's default driver
    ],
)
def test_a_missing_extra_keeps_the_install_hint(open_hub, monkeypatch, url, module):
    # The extras' drivers are installed here: hiding the module (import then fails with
    # ModuleNotFoundError, as without the extra) is the only way to reach this branch.
    monkeypatch.setitem(sys.modules, module, None)
    error = _error(open_hub, url)
    assert error.store == "s" and error.details["key"] == "url"
    assert error.message.endswith(
        f"is not installed ({module});"
        " pip install idconnect-sql[postgresql] or idconnect-sql[mysql]"
    )


def test_the_cli_prints_the_hint_as_a_config_error(tmp_path):
    config = tmp_path / "hub.toml"
    config.write_text(
        f'[hub]\nstate = "sqlite:///{tmp_path / "state.db"}"\n'
        '[stores.s]\nplugin = "sql"\nurl = "mysql://root@127.0.0.1/idc"\n',
        encoding="utf-8",
    )
    command = Path(sys.executable).with_name("idconnect")
    result = subprocess.run(
        [str(command), "--config", str(config), "accounts", "list", "s"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert "store 's'" in result.stderr
    assert "write the URL as mysql+pymysql://user@host/db" in result.stderr
    assert "Traceback" not in result.stderr
