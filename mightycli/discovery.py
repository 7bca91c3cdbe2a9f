"""Authorization server metadata: RFC 8414, then OpenID discovery, then Mighty's fixed paths."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from mightycli.config import check_endpoint_url
from mightycli.errors import DiscoveryError, IssuerMismatchError, NetworkError, UsageError
from mightycli.http import connection_hint, decode_json, status_text
from mightycli.launcher import check_browser_url
from mightycli.retry import RetryPolicy, send

SOURCE_RFC8414 = "oauth-authorization-server"
SOURCE_OPENID = "openid-configuration"
SOURCE_FIXED = "fixed paths"
# Only these say "no metadata here"; any other failure must not switch the issuer checks off.
ABSENT = (404, 410)


@dataclass(frozen=True)
class ServerMetadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    revocation_endpoint: str | None = None
    scopes_supported: tuple[str, ...] | None = None
    code_challenge_methods_supported: tuple[str, ...] | None = None
    iss_parameter_supported: bool = False
    source: str = SOURCE_FIXED


def metadata_urls(issuer: str) -> list[tuple[str, str]]:
    """Where to look, in order.

    RFC 8414 section 3.1 inserts the well-known segment between host and path; OpenID Connect
    Discovery 1.0 section 4 appends it to the issuer.
    """
    parts = urlsplit(issuer)
    path = parts.path.rstrip("/")
    rfc8414 = urlunsplit(
        (parts.scheme, parts.netloc, "/.well-known/oauth-authorization-server" + path, "", "")
    )
    openid = urlunsplit(
        (parts.scheme, parts.netloc, path + "/.well-known/openid-configuration", "", "")
    )
    return [(SOURCE_RFC8414, rfc8414), (SOURCE_OPENID, openid)]


def fixed_metadata(issuer: str) -> ServerMetadata:
    """Mighty's documented paths, for a server that publishes no metadata."""
    base = issuer.rstrip("/")
    return ServerMetadata(
        issuer=issuer,
        authorization_endpoint=f"{base}/oauth/authorize",
        token_endpoint=f"{base}/oauth/token",
        revocation_endpoint=f"{base}/oauth/revoke",
        source=SOURCE_FIXED,
    )


def same_issuer(a: str, b: str) -> bool:
    """Issuers compare as exact strings (RFC 8414 section 3.3), forgiving only a trailing slash."""
    return a.rstrip("/") == b.rstrip("/")


def _fetch(
    client: httpx.Client,
    url: str,
    issuer: str,
    policy: RetryPolicy,
    notify: Callable[[str], None],
) -> httpx.Response:
    request = client.build_request("GET", url, headers={"Accept": "application/json"})
    try:
        response = send(
            client, request, idempotent=True, policy=policy, notify=notify, retry_transport=False
        )
    except NetworkError as exc:
        cause = exc.__cause__
        if isinstance(cause, httpx.TimeoutException):
            raise NetworkError(
                f"Timed out fetching the authorization server's metadata from {url}.",
                hint=connection_hint(url),
            ) from cause
        raise NetworkError(
            f"Cannot reach the authorization server at {issuer}: {cause or exc}",
            hint=connection_hint(url, also="the network name or --issuer, "),
        ) from cause
    if response.status_code not in (200, *ABSENT):
        status = status_text(response)
        raise DiscoveryError(
            f"The authorization server's metadata at {url} is unavailable ({status}).",
            hint="The server may be having trouble; try again later. mighty falls back to "
            "fixed paths only when a server publishes no metadata at all.",
        )
    return response


def discover(
    client: httpx.Client,
    issuer: str,
    *,
    notify: Callable[[str], None] | None = None,
    policy: RetryPolicy | None = None,
) -> ServerMetadata:
    """Fetch and validate the issuer's metadata; fall back to the fixed paths only when the
    server has none (404 or 410). A server error is retried like any request, then reported."""
    say = notify or (lambda _: None)
    for source, url in metadata_urls(issuer):
        response = _fetch(client, url, issuer, policy or RetryPolicy(), say)
        if response.status_code in ABSENT:
            continue
        document = decode_json(response.content)
        if not isinstance(document, dict):
            continue  # an HTML page at the well-known path is no metadata
        return parse_metadata(document, issuer, source)
    if notify is not None:
        notify(f"No discovery document at {issuer}; using the standard Mighty Networks paths.")
    return fixed_metadata(issuer)


def _string_list(document: dict[str, Any], key: str) -> tuple[str, ...] | None:
    value = document.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise DiscoveryError(f"The metadata field {key!r} is not a list of strings.")
    return tuple(value)


def parse_metadata(document: dict[str, Any], expected_issuer: str, source: str) -> ServerMetadata:
    issuer = document.get("issuer")
    if not isinstance(issuer, str) or not same_issuer(issuer, expected_issuer):
        # RFC 8414 section 3.3: a mismatch means the metadata must not be used at all.
        raise IssuerMismatchError(
            f"The discovery document names issuer {issuer!r}, not {expected_issuer!r}.",
            hint="Check --issuer; if it is right, the server may be misconfigured or impersonated.",
        )
    endpoints: dict[str, str | None] = {}
    for key in ("authorization_endpoint", "token_endpoint", "revocation_endpoint"):
        value = document.get(key)
        if value is None and key == "revocation_endpoint":
            endpoints[key] = None
            continue
        if not isinstance(value, str) or not value:
            raise DiscoveryError(f"The discovery document at {expected_issuer} lacks {key}.")
        try:
            endpoints[key] = check_endpoint_url(value, key.replace("_", " "))
            if key == "authorization_endpoint":
                check_browser_url(value)  # it goes to a browser opener
        except UsageError as exc:
            raise DiscoveryError(
                f"The discovery document's {key} is unusable: {exc.message}"
            ) from exc
    methods = _string_list(document, "code_challenge_methods_supported")
    if methods is not None and "S256" not in methods:
        raise DiscoveryError(
            "The authorization server does not support PKCE with S256, which mighty requires."
        )
    response_types = _string_list(document, "response_types_supported")
    if response_types is not None and "code" not in response_types:
        raise DiscoveryError("The authorization server does not offer the authorization code flow.")
    iss_supported = document.get("authorization_response_iss_parameter_supported") is True
    authorization_endpoint = endpoints["authorization_endpoint"]
    token_endpoint = endpoints["token_endpoint"]
    assert authorization_endpoint is not None and token_endpoint is not None
    return ServerMetadata(
        issuer=issuer,
        authorization_endpoint=authorization_endpoint,
        token_endpoint=token_endpoint,
        revocation_endpoint=endpoints["revocation_endpoint"],
        scopes_supported=_string_list(document, "scopes_supported"),
        code_challenge_methods_supported=methods,
        iss_parameter_supported=iss_supported,
        source=source,
    )
