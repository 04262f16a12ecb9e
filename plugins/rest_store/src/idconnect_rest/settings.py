"""The settings of a ``rest`` store, read and checked from its :class:`StoreConfig`.

Settings (all optional except ``url``)::

    [stores.partners]
    plugin = "rest"
    url = "https://scim.example.com/v2"      # the SCIM base URL (http or https)
    connect_timeout = 5.0                   # seconds to open a connection
    read_timeout = 30.0                     # seconds to wait for each read of a response
    deadline = 60.0                         # seconds one request may take in all (connect,
                                            # headers, body, retries): never held past it
    max_response_bytes = 8388608            # largest answer accepted (decoded), 8 MiB
    max_pages = 100000                      # pages one search walks before it is refused as
                                            # looping (a cursor cycle, a lying totalResults)
    retries = 3                             # retries of GET/PUT/DELETE on 429/502/503/504
    backoff = 0.2                           # first retry delay, doubled each time
    max_retry_delay = 30.0                  # give up rather than wait longer (Retry-After)
    concurrency = 8                         # connection pool size and bulk fallback threads
    discovery_ttl = 300.0                   # seconds discovery results are kept (0: forever)
    memberships = "user"                    # "user": User.groups; "groups": ask /Groups
    attribute_map = { organization = "urn:...:enterprise:2.0:User:organization" }
    [stores.partners.attributes.loyaltyTier]   # a custom attribute: see idconnect_rest.custom
    type = "string"
    source = "urn:example:params:scim:schemas:extension:loyalty:2.0:User:loyaltyTier"
    ca_bundle = "/etc/ssl/ca.pem"           # CA bundle to verify the server
    client_cert = "/etc/idc/cert.pem"       # mutual TLS
    client_key = "/etc/idc/key.pem"
    # authentication, one of:
    token_env = "SCIM_TOKEN"                # bearer token (or token_file)
    username = "idconnect"                  # HTTP basic, with password_env / password_file
    token_url = "https://idp/oauth/token"   # OAuth 2.0 client credentials, with client_id
    client_id = "idconnect"                 # and client_secret_env / client_secret_file
    scope = "scim"
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from attrs import frozen

from idconnect.backend import AttributeDef, Secret, StoreConfig, custom_attributes, declared_sources
from idconnect_rest.errors import header_safe

__all__ = ["AuthSettings", "RestSettings"]

_KNOWN = {
    "url",
    "connect_timeout",
    "read_timeout",
    "deadline",
    "max_response_bytes",
    "max_pages",
    "retries",
    "backoff",
    "max_retry_delay",
    "concurrency",
    "discovery_ttl",
    "memberships",
    "attribute_map",
    "attributes",
    "ca_bundle",
    "client_cert",
    "client_key",
    "token_env",
    "token_file",
    "username",
    "password_env",
    "password_file",
    "token_url",
    "client_id",
    "client_secret_env",
    "client_secret_file",
    "scope",
}


@frozen(kw_only=True)
class AuthSettings:
    """How the store authenticates to the SCIM server."""

    kind: str
    """``none``, ``bearer``, ``basic`` or ``oauth``."""
    secret: Secret | None = None
    """The bearer token, basic password or OAuth client secret."""
    username: str | None = None
    """The basic user name."""
    token_url: str | None = None
    """The OAuth token endpoint."""
    client_id: str | None = None
    """The OAuth client id."""
    scope: str | None = None
    """The OAuth scope asked for, if any."""


@frozen(kw_only=True)
class RestSettings:
    """Every setting of a ``rest`` store, checked."""

    url: str
    """The SCIM base URL, without a trailing slash."""
    connect_timeout: float
    """Seconds to open a connection."""
    read_timeout: float
    """Seconds to wait for each read of a response."""
    deadline: float
    """Seconds one request may take in all: connect, send, headers, body and retries."""
    max_response_bytes: int
    """The largest answer accepted, counted after decoding gzip/deflate."""
    max_pages: int
    """How many pages one search (across cursors) may walk before it is refused as looping."""
    retries: int
    """How many times an idempotent request is retried."""
    backoff: float
    """The first retry delay in seconds (doubled on each retry)."""
    max_retry_delay: float
    """The longest delay the client waits before a retry; a longer Retry-After gives up."""
    concurrency: int
    """Connection pool size, and how many requests the bulk fallback runs at once."""
    discovery_ttl: float
    """Seconds discovery results stay cached; 0 keeps them until :meth:`refresh`."""
    memberships: str
    """``user`` (read ``User.groups``) or ``groups`` (search ``/Groups`` by member)."""
    attribute_map: Mapping[str, str]
    """Canonical top-level attribute name to the server's attribute (``urn:...:name``)."""
    custom: tuple[tuple[AttributeDef, str | None], ...]
    """The custom attributes the config declares, each with its ``source`` (or ``None``)."""
    verify: bool | str
    """``True`` or the path of a CA bundle."""
    cert: tuple[str, str] | None
    """Client certificate and key for mutual TLS."""
    auth: AuthSettings
    """Authentication."""

    @classmethod
    def from_config(cls, config: StoreConfig) -> RestSettings:
        """Read and check the settings of a ``rest`` store.

        :param config: the store's config.
        :returns: the settings.
        :raises ConfigError: naming the key for a missing, unknown or malformed setting.
        """
        unknown = sorted(set(config.settings) - _KNOWN)
        if unknown:
            raise config.error(unknown[0], "unknown setting of a rest store")
        url = config.require("url", str).rstrip("/")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise config.error("url", "must be an http:// or https:// URL")
        if parts.username is not None or parts.password is not None or parts.query:
            raise config.error(
                "url", "must hold no user info or query (credentials go in token_env etc.)"
            )

        def positive(key: str, default: float) -> float:
            value = config.get(key, float, default)
            if value <= 0:
                raise config.error(key, "must be a positive number of seconds")
            return value

        retries = config.get("retries", int, 3)
        if not 0 <= retries <= 10:
            raise config.error("retries", "must be from 0 to 10")
        concurrency = config.get("concurrency", int, 8)
        if not 1 <= concurrency <= 64:
            raise config.error("concurrency", "must be from 1 to 64")
        ttl = config.get("discovery_ttl", float, 300.0)
        if ttl < 0:
            raise config.error("discovery_ttl", "must be 0 (forever) or a positive number")
        memberships = config.get("memberships", str, "user")
        if memberships not in ("user", "groups"):
            raise config.error("memberships", 'must be "user" or "groups"')
        mapping = config.get("attribute_map", dict, {})
        if not all(isinstance(k, str) and isinstance(v, str) and v for k, v in mapping.items()):
            raise config.error("attribute_map", "must map attribute names to attribute names")
        sources = declared_sources(config)
        max_bytes = config.get("max_response_bytes", int, 8 * 1024 * 1024)
        if not 1024 <= max_bytes <= 1024**3:
            raise config.error("max_response_bytes", "must be from 1024 to 1073741824")
        max_pages = config.get("max_pages", int, 100_000)
        if max_pages < 1:
            raise config.error("max_pages", "must be a positive number of pages")
        cert_path = config.get("client_cert", str)
        key_path = config.get("client_key", str)
        if (cert_path is None) != (key_path is None):
            raise config.error("client_cert", "set client_cert and client_key together")
        return cls(
            url=url,
            connect_timeout=positive("connect_timeout", 5.0),
            read_timeout=positive("read_timeout", 30.0),
            deadline=positive("deadline", 60.0),
            max_response_bytes=max_bytes,
            max_pages=max_pages,
            retries=retries,
            backoff=positive("backoff", 0.2),
            max_retry_delay=positive("max_retry_delay", 30.0),
            concurrency=concurrency,
            discovery_ttl=ttl,
            memberships=memberships,
            attribute_map=dict(mapping),
            custom=tuple((d, sources.get(d.path)) for d in custom_attributes(config)),
            verify=config.get("ca_bundle", str) or True,
            cert=(cert_path, key_path) if cert_path and key_path else None,
            auth=_auth(config),
        )


def _auth(config: StoreConfig) -> AuthSettings:
    token = config.secret("token")
    username = config.get("username", str)
    token_url = config.get("token_url", str)
    chosen = [
        name
        for name, on in (("token", token), ("username", username), ("token_url", token_url))
        if on
    ]
    if len(chosen) > 1:
        raise config.error(chosen[1], f"choose one authentication: {' or '.join(chosen)}")
    if token is not None:
        value = token.reveal()
        value = value.removesuffix("\n").removesuffix("\r") if value.endswith("\n") else value
        token = Secret(value)
        if not header_safe(value):
            source = "token_env" if config.get("token_env", str) else "token_file"
            raise config.error(
                source,
                "the token holds a line break, a space, a control or a non-ASCII character"
                " and cannot be sent in a header (its value is not shown)",
            )
        return AuthSettings(kind="bearer", secret=token)
    if username is not None:
        if not header_safe(username, spaces=True) or ":" in username:
            raise config.error("username", "must hold no control character or colon")
        return AuthSettings(
            kind="basic", username=username, secret=config.secret("password", required=True)
        )
    if token_url is not None:
        token_parts = urlsplit(token_url)
        if token_parts.scheme not in ("http", "https") or token_parts.username is not None:
            raise config.error("token_url", "must be an http:// or https:// URL without user info")
        return AuthSettings(
            kind="oauth",
            token_url=token_url,
            client_id=config.require("client_id", str),
            secret=config.secret("client_secret", required=True),
            scope=config.get("scope", str),
        )
    if config.secret("password") is not None or config.secret("client_secret") is not None:
        raise config.error("password", "a password or client secret needs username or token_url")
    return AuthSettings(kind="none")
