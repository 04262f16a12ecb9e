"""idconnect's SCIM service over a SQLite sql store, served by uvicorn on a free port."""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests

import idconnect
from idconnect.core.api_tokens import issue_token
from idconnect.http.app import create_app
from idconnect.http.limits import Limits
from idconnect.http.server import serving

PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


def hub_config(tmp_path: Path, **store: Any) -> dict[str, Any]:
    """A hub with the sql store ``main``, admins ``alice`` (everything) and ``bob`` (reads)."""
    return {
        "hub": {"state": f"sqlite:///{tmp_path / 'state.db'}"},
        "stores": {"main": {"plugin": "sql", "url": f"sqlite:///{tmp_path / 'main.db'}", **store}},
        "admins": {
            "roles": {
                "support": {"permissions": ["*"]},
                "reader": {"permissions": ["accounts.read"]},
            },
            "members": {getpass.getuser(): ["owner"], "alice": ["support"], "bob": ["reader"]},
        },
    }


class Scim:
    """A client of one store's SCIM endpoints, acting as ``alice`` with a reason."""

    def __init__(self, hub: idconnect.Hub, url: str) -> None:
        self.hub = hub
        self.url = url
        self.base = f"{url}/scim/v2/main"
        token, _ = issue_token(hub, admin="alice", reason="tests")
        self.token = token
        self.session = requests.Session()
        self.session.headers.update(
            {"Authorization": f"Bearer {token}", "Idconnect-Reason": "scim tests"}
        )

    def __call__(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.session.request(method, self.base + path, timeout=30, **kwargs)

    def create(self, user_name: str, **attributes: Any) -> dict[str, Any]:
        answer = self("POST", "/Users", json={"userName": user_name, **attributes})
        assert answer.status_code == 201, answer.text
        doc: dict[str, Any] = answer.json()
        return doc

    def patch(self, user_id: str, *operations: dict[str, Any], **kwargs: Any) -> requests.Response:
        body = {"schemas": [PATCH_OP], "Operations": list(operations)}
        return self("PATCH", f"/Users/{user_id}", json=body, **kwargs)


@contextmanager
def scim_service(tmp_path: Path, limits: Limits | None = None, **store: Any) -> Iterator[Scim]:
    """Serve the SCIM service over a fresh hub (``store`` adds settings of the store)."""
    with (
        idconnect.connect(hub_config(tmp_path, **store)) as hub,
        serving(create_app(hub, limits=limits)) as url,
    ):
        yield Scim(hub, url)
