"""Real scim2-server instances for the rest store's tests, served over real HTTP on free ports.

Each server runs in-process (the stdlib threading WSGI server the ``scim2-server`` command
uses) with dynamic tenants, so every :meth:`ScimServer.new_url` is a new, empty tenant at
``http://127.0.0.1:PORT/<tenant>/v2``.

- :func:`full_config` (with ``extension=True, enterprise=True``): the RFC 7643 schemas plus the
  idconnect User extension registered as a custom schema, cursor (RFC 9865) and index paging,
  bulk, ETags, sort, changePassword; ``kit=True`` also registers :data:`KIT_EXTENSION`, a
  custom schema holding the conformance kit's custom attributes (:func:`kit_extension_schema`).
- :func:`minimal_config` (with a bearer token): core User/Group only, a small ``maxResults``
  (5), no bulk, no changePassword, index paging only.
"""

from __future__ import annotations

import copy
import itertools
import threading
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

from idconnect.testing.servers import require_server

try:
    from scim2_models import ResourceType, Schema, ScimProvider, ServiceProviderConfig
    from scim2_server.applications.wsgi import TenantDispatcher
    from scim2_server.memory import InMemoryStorage
    from scim2_server.service import ScimService
    from scim2_server.testserver.application import BEARER_TOKEN_SCHEME, BearerTokenApplication
    from scim2_server.testserver.cli import ThreadingWSGIServer
    from scim2_server.utils import (
        load_default_resource_types,
        load_default_schemas,
        load_json_resource,
    )

    INSTALLED = True
except ImportError:  # pragma: no cover - reported by start_server
    INSTALLED = False

__all__ = [
    "ENTERPRISE",
    "IDCONNECT_EXTENSION",
    "KIT_EXTENSION",
    "TOKEN",
    "ScimServer",
    "build_provider",
    "full_config",
    "idconnect_extension_schema",
    "kit_extension_schema",
    "minimal_config",
    "start_server",
]

IDCONNECT_EXTENSION = "urn:ietf:params:scim:schemas:extension:idconnect:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
KIT_EXTENSION = "urn:example:params:scim:schemas:extension:loyalty:2.0:User"
TOKEN = "s3cr3t-bearer-token-for-tests"


def _attr(
    name: str,
    kind: str,
    *,
    multi: bool = False,
    mutability: str = "readWrite",
    case_exact: bool = False,
    subs: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "name": name,
        "type": kind,
        "multiValued": multi,
        "required": False,
        "caseExact": case_exact,
        "mutability": mutability,
        "returned": "default",
        "uniqueness": "none",
        "description": name,
    }
    if subs is not None:
        doc["subAttributes"] = subs
    return doc


def idconnect_extension_schema() -> dict[str, Any]:
    """The idconnect User extension as a SCIM Schema resource (without derived attributes)."""
    ro = "readOnly"
    return {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": IDCONNECT_EXTENSION,
        "name": "IdconnectUser",
        "description": "idconnect account extension",
        "attributes": [
            _attr("organization", "string"),
            _attr("lastLogin", "dateTime", mutability=ro),
            _attr("disabledAt", "dateTime"),
            _attr(
                "failedAttempts",
                "complex",
                mutability=ro,
                subs=[
                    _attr("password", "integer", mutability=ro),
                    _attr("otp", "integer", mutability=ro),
                ],
            ),
            _attr(
                "externalIdentities",
                "complex",
                multi=True,
                subs=[
                    _attr("provider", "string", case_exact=True),
                    _attr("subject", "string", case_exact=True),
                ],
            ),
            _attr(
                "roleAssignments",
                "complex",
                multi=True,
                mutability=ro,
                subs=[
                    _attr("role", "string", mutability=ro),
                    _attr("organization", "string", mutability=ro),
                ],
            ),
        ],
        "meta": {"resourceType": "Schema", "location": f"/v2/Schemas/{IDCONNECT_EXTENSION}"},
    }


def kit_extension_schema() -> dict[str, Any]:
    """A User extension holding the kit's custom attributes (``KIT_ATTRIBUTES``), by name."""
    return {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": KIT_EXTENSION,
        "name": "LoyaltyUser",
        "description": "the conformance kit's custom attributes",
        "attributes": [
            _attr("loyaltyTier", "string"),
            _attr("loyaltyPoints", "integer"),
            _attr("balance", "decimal"),
            _attr("memberSince", "dateTime"),
            _attr("newsletter", "boolean"),
            _attr("profileUrl", "reference", case_exact=True),
            _attr("interests", "string", multi=True),
            _attr("internalNote", "string"),
            _attr("accountCode", "string", case_exact=True),
        ],
        "meta": {"resourceType": "Schema", "location": f"/v2/Schemas/{KIT_EXTENSION}"},
    }


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class ScimServer:
    """A running scim2-server with dynamic tenants."""

    def __init__(self, provider: Any, tokens: tuple[str, ...] = ()) -> None:
        service = ScimService(provider, secret="test-secret-for-cursors-0123456789")

        def factory(tenant: str) -> Any:
            return BearerTokenApplication(
                InMemoryStorage(), provider, service=service, bearer_tokens=tokens
            )

        self._httpd = make_server(
            "127.0.0.1",
            0,
            TenantDispatcher(factory),
            server_class=ThreadingWSGIServer,
            handler_class=_Quiet,
        )
        self.port = self._httpd.server_port
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        self._tenants = itertools.count(1)

    def new_url(self) -> str:
        """The base URL of a new, empty tenant."""
        return f"http://127.0.0.1:{self.port}/t{next(self._tenants)}/v2"

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._httpd.shutdown()
        self._httpd.server_close()


def build_provider(
    *,
    extension: bool,
    enterprise: bool,
    config: dict[str, Any],
    bearer: bool = False,
    kit: bool = False,
) -> Any:
    """A scim2-server provider with the given schemas and service provider config."""
    schemas = dict(load_default_schemas())
    types = {k: copy.deepcopy(v) for k, v in load_default_resource_types().items()}
    user = types["User"]
    extensions = []
    if enterprise:
        extensions.append({"schema": ENTERPRISE, "required": False})
    else:
        schemas.pop(ENTERPRISE)
    if extension:
        schemas[IDCONNECT_EXTENSION] = Schema.model_validate(idconnect_extension_schema())
        extensions.append({"schema": IDCONNECT_EXTENSION, "required": False})
    if kit:
        schemas[KIT_EXTENSION] = Schema.model_validate(kit_extension_schema())
        extensions.append({"schema": KIT_EXTENSION, "required": False})
    doc = user.model_dump()
    doc["schemaExtensions"] = extensions or None
    types["User"] = ResourceType.model_validate({k: v for k, v in doc.items() if v is not None})
    spc = ServiceProviderConfig.model_validate(config)
    if bearer:
        spc.authentication_schemes = [BEARER_TOKEN_SCHEME]
    return ScimProvider.from_discovery(schemas.values(), types.values(), config=spc)


def full_config() -> dict[str, Any]:
    """The service provider config of the full server (cursors, index paging, bulk...)."""
    doc: dict[str, Any] = dict(load_json_resource("default-service-provider-config.json"))
    doc["pagination"] = {
        "cursor": True,
        "index": True,
        "defaultPaginationMethod": "index",
        "defaultPageSize": 100,
        "maxPageSize": 1000,
        "cursorTimeout": 3600,
    }
    return doc


def minimal_config() -> dict[str, Any]:
    """The service provider config of the minimal server (no bulk, maxResults 5)."""
    doc: dict[str, Any] = dict(load_json_resource("default-service-provider-config.json"))
    doc["bulk"] = {"supported": False, "maxOperations": 0, "maxPayloadSize": 0}
    doc["changePassword"] = {"supported": False}
    doc["filter"] = {"supported": True, "maxResults": 5}
    return doc


def start_server(**kwargs: Any) -> ScimServer:
    """Start a scim2-server with :func:`build_provider`'s keywords (and ``tokens``).

    :returns: the running server; call :meth:`ScimServer.stop` when done.
    """
    if not INSTALLED:
        require_server("scim2-server is not installed", "pip install 'scim2-server[cursor]'")
    tokens = kwargs.pop("tokens", ())
    return ScimServer(build_provider(**kwargs), tokens)
