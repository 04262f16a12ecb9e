"""``idconnect serve``: the HTTP service (SCIM 2.0, the admin API, probes) under uvicorn.

Every worker is a process of its own building its hub from ``$IDCONNECT_CONFIG`` (``--config``
is passed on through it) with :func:`idconnect.http.app.app_from_env`; workers share nothing but
the stores and the hub's state database, so several of them (or several machines) behind a load
balancer need a state database they can all reach (PostgreSQL).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from idconnect.cli.context import App, pass_app
from idconnect.core.config import CONFIG_ENV

__all__ = ["log_config", "serve"]

FACTORY = "idconnect.http.app:app_from_env"
"""The import string uvicorn builds each worker's application from."""


def log_config(debug: bool) -> dict[str, Any]:
    """Return the logging setup every worker applies: one JSON access line per request.

    :param debug: log idconnect's DEBUG messages too.
    :returns: a :func:`logging.config.dictConfig` dictionary (stderr, message only).
    """
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"plain": {"format": "%(message)s"}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "plain",
                "stream": "ext://sys.stderr",
            }
        },
        "loggers": {
            "idconnect": {"handlers": ["stderr"], "level": "DEBUG" if debug else "INFO"},
            "uvicorn.error": {"handlers": ["stderr"], "level": "INFO"},
        },
    }


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", default=8080, show_default=True, type=click.IntRange(0, 65535), help="TCP port."
)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Worker processes (more than one needs a shared state database, e.g. PostgreSQL).",
)
@click.option(
    "--threads",
    type=click.IntRange(1, 1000),
    help="Blocking store calls at once per worker (default 16).",
)
@pass_app
def serve(app: App, host: str, port: int, workers: int, threads: int | None) -> None:
    """Serve SCIM 2.0 (/scim/v2/STORE/...), the admin API (/api) and /healthz, /readyz.

    Requests authenticate with an API token (idconnect tokens create) and act as its admin;
    changes need the Idconnect-Reason header. Access logs go to stderr as JSON lines. Stop with
    Ctrl-C or SIGTERM: requests in flight finish first (up to 30 seconds).
    """
    import uvicorn

    from idconnect.http.app import THREADS_ENV

    if app.config is not None:
        os.environ[CONFIG_ENV] = str(Path(app.config).resolve())
    if threads is not None:
        os.environ[THREADS_ENV] = str(threads)
    uvicorn.run(
        FACTORY,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=log_config(app.debug),
        access_log=False,
        server_header=False,
        timeout_graceful_shutdown=30,
    )
