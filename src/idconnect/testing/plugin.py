"""The conformance kit as a pytest plugin: run it against a configured store from the command line.

idconnect registers this module under the ``pytest11`` entry point, so an installed idconnect
adds the options below to every pytest run (without the entry point, load it with
``-p idconnect.testing.plugin``)::

    pytest --idconnect-store NAME [--idconnect-config FILE] [--idconnect-capabilities OPS]

- ``--idconnect-store NAME`` runs the whole kit (:class:`~idconnect.testing.suite.ConformanceSuite`)
  against the store ``NAME`` of the config, instead of the configured test paths (given explicit
  paths, it runs them and the kit);
- ``--idconnect-config FILE`` is the idconnect config (TOML) holding it; default
  ``$IDCONNECT_CONFIG``, else the embedded SQLite default (a store named ``default``);
- ``--idconnect-capabilities OPS`` are the operations the store must offer, exactly, comma
  separated (``get_account,search_accounts,create_account``); without it
  ``test_declared_capabilities`` fails and names the store's actual capabilities.

The kit needs a fresh, empty store for every connection it makes, and it writes to it: point it at
a disposable store, never at production. Every ``{kit}`` in the store's text settings is replaced
by a token unique to each connection (``path = "/tmp/kit-{kit}.json"``,
``url = "sqlite:////tmp/kit-{kit}.db"``), so each connection gets storage of its own; a store
without ``{kit}`` must be fresh by itself (``sqlite://`` in memory, the ``memory`` plugin). The hub
state of each connection is an in-memory SQLite database whatever the config says, so the kit's
audit events stay out of the real trail. Each store is provisioned (``idconnect store init``)
first when its backend can. A store that is not empty when the kit connects fails the test that
asked for it, before the kit writes anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

__all__ = [
    "KIT_MODULE",
    "PLACEHOLDER",
    "fresh_config",
    "pytest_addoption",
    "pytest_configure",
    "selected_capabilities",
]

KIT_MODULE = Path(__file__).with_name("selected.py")
"""The test module holding the kit class for the store chosen on the command line."""


PLACEHOLDER = "{kit}"
"""Replaced, in the store's text settings, by a token unique to each connection."""


def fresh_config(config: str | None, name: str, token: str) -> dict[str, Any]:
    """Build the config of one kit connection to store ``name``.

    :param config: the config file, or ``None`` for idconnect's default.
    :param name: the store's name in it.
    :param token: replaces every :data:`PLACEHOLDER` in the store's text settings.
    :returns: a config dict with only that store, an in-memory hub state and the kit's
        verification policy (:data:`~idconnect.testing.suite.KIT_VERIFICATION`).
    :raises ConfigError: when the config is invalid.
    :raises pytest.UsageError: when it has no store ``name``.
    """
    from idconnect.core.config import load_config

    loaded = load_config(config)
    if name not in loaded.stores:
        where = config or "the default config"
        raise pytest.UsageError(
            f"--idconnect-store: {where} has no store {name!r}"
            f" (it has: {', '.join(loaded.stores) or 'none'})"
        )
    chosen = loaded.stores[name]
    settings = {key: _fill(value, token) for key, value in chosen.settings.items()}
    from idconnect.testing.suite import KIT_VERIFICATION

    return {
        "hub": {"state": "sqlite://"},
        "stores": {name: {"plugin": chosen.plugin, **settings}},
        "verification": KIT_VERIFICATION,  # the kit's own policy, beside any of the config's
    }


def _fill(value: object, token: str) -> object:
    if isinstance(value, str):
        return value.replace(PLACEHOLDER, token)
    if isinstance(value, Mapping):
        return {k: _fill(v, token) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, token) for v in value]
    return value


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add the ``--idconnect-*`` options.

    :param parser: pytest's option parser.
    """
    group = parser.getgroup("idconnect", "idconnect conformance kit")
    group.addoption(
        "--idconnect-store",
        metavar="NAME",
        help="run the idconnect conformance kit against store NAME of the config",
    )
    group.addoption(
        "--idconnect-config",
        metavar="FILE",
        help="idconnect config file holding the store (default: $IDCONNECT_CONFIG, else the"
        " embedded default)",
    )
    group.addoption(
        "--idconnect-capabilities",
        metavar="OPS",
        help="comma-separated operations the store must offer, exactly",
    )


def selected_capabilities(config: pytest.Config) -> frozenset[str] | None:
    """Read ``--idconnect-capabilities``.

    :param config: the pytest config.
    :returns: the operation names, or ``None`` when the option was not given.
    :raises pytest.UsageError: when it names an operation that does not exist.
    """
    from idconnect.core.operations import OPERATIONS

    text: str | None = config.getoption("idconnect_capabilities")
    if text is None:
        return None
    names = frozenset(n.strip() for n in text.split(",") if n.strip())
    unknown = sorted(names - set(OPERATIONS))
    if unknown:
        raise pytest.UsageError(
            f"--idconnect-capabilities: unknown operations {', '.join(unknown)}"
            f" (known: {', '.join(OPERATIONS)})"
        )
    return names


def pytest_configure(config: pytest.Config) -> None:
    """With ``--idconnect-store``, collect the kit module (instead of the configured test paths).

    :param config: the pytest config.
    :raises pytest.UsageError: when ``--idconnect-config`` or ``--idconnect-capabilities`` is given
        without ``--idconnect-store``, the config is invalid or lacks the store, or the
        capabilities name an unknown operation.
    """
    if config.getoption("idconnect_store") is None:
        for option in ("idconnect_config", "idconnect_capabilities"):
            if config.getoption(option) is not None:
                flag = "--" + option.replace("_", "-")
                raise pytest.UsageError(f"{flag} needs --idconnect-store NAME")
        return
    selected_capabilities(config)
    from idconnect.core.errors import ConfigError

    try:
        fresh_config(config.getoption("idconnect_config"), config.getoption("idconnect_store"), "0")
    except ConfigError as exc:
        raise pytest.UsageError(f"--idconnect-store: {exc}") from exc
    if config.args_source is pytest.Config.ArgsSource.ARGS:
        config.args.append(str(KIT_MODULE))
    else:
        config.args[:] = [str(KIT_MODULE)]
