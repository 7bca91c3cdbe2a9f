from __future__ import annotations

import httpx
import pytest
from hostile import HOSTILE_AUTHORIZATION_ENDPOINTS, hostile_issuer
from localserver import Reply, serve

from mightycli.discovery import (
    SOURCE_FIXED,
    SOURCE_OPENID,
    SOURCE_RFC8414,
    discover,
    metadata_urls,
)
from mightycli.errors import DiscoveryError, IssuerMismatchError, NetworkError


def _doc(issuer: str, **extra: object) -> dict[str, object]:
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/authorize",
        "token_endpoint": f"{issuer}/token",
        **extra,
    }


def test_metadata_urls_follow_both_specs() -> None:
    assert metadata_urls("https://as.example/tenant") == [
        (SOURCE_RFC8414, "https://as.example/.well-known/oauth-authorization-server/tenant"),
        (SOURCE_OPENID, "https://as.example/tenant/.well-known/openid-configuration"),
    ]


def test_emulator_metadata(emulator: object) -> None:
    with httpx.Client() as http:
        meta = discover(http, emulator.url)  # type: ignore[attr-defined]
    assert meta.source == SOURCE_RFC8414
    assert meta.iss_parameter_supported is True
    assert meta.token_endpoint.endswith("/oauth/token")
    assert meta.scopes_supported and "read:network" in meta.scopes_supported


def test_openid_configuration_only_server() -> None:
    with serve({}) as server:
        server.routes[("GET", "/.well-known/openid-configuration")] = Reply(
            200, _doc(server.url, revocation_endpoint=f"{server.url}/revoke")
        )
        with httpx.Client() as http:
            meta = discover(http, server.url)
    assert meta.source == SOURCE_OPENID
    assert meta.authorization_endpoint == f"{server.url}/authorize"
    assert meta.revocation_endpoint == f"{server.url}/revoke"
    assert meta.iss_parameter_supported is False


def test_falls_back_to_fixed_paths_and_says_so() -> None:
    notes: list[str] = []
    with serve({}) as server:
        server.routes[("GET", "/.well-known/oauth-authorization-server")] = Reply(
            200, "<html>not json</html>", "text/html"
        )
        with httpx.Client() as http:
            meta = discover(http, server.url, notify=notes.append)
    assert meta.source == SOURCE_FIXED
    assert meta.token_endpoint == f"{server.url}/oauth/token"
    assert meta.revocation_endpoint == f"{server.url}/oauth/revoke"
    assert notes and "standard" in notes[0]


def test_deeply_nested_document_is_no_metadata() -> None:
    # Found by test_properties.py: json.loads raised RecursionError instead of ValueError.
    with serve({}) as server:
        server.routes[("GET", "/.well-known/oauth-authorization-server")] = Reply(
            200, b"[" * 100_000
        )
        with httpx.Client() as http:
            meta = discover(http, server.url)
    assert meta.source == SOURCE_FIXED


def test_issuer_mismatch_is_refused() -> None:
    with serve({}) as server:
        server.routes[("GET", "/.well-known/oauth-authorization-server")] = Reply(
            200, _doc("https://evil.example")
        )
        with httpx.Client() as http, pytest.raises(IssuerMismatchError, match="evil.example"):
            discover(http, server.url)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"code_challenge_methods_supported": ["plain"]}, "S256"),
        ({"response_types_supported": ["token"]}, "authorization code"),
        ({"token_endpoint": "http://remote.example/token"}, "plain http"),
        ({"token_endpoint": 42}, "token_endpoint"),
        ({"scopes_supported": "read:network"}, "list of strings"),
        ({"token_endpoint": "http://[::1/token"}, "not a valid URL"),  # urlsplit's ValueError
    ],
)
def test_unusable_documents(extra: dict[str, object], message: str) -> None:
    with serve({}) as server:
        server.routes[("GET", "/.well-known/oauth-authorization-server")] = Reply(
            200, {**_doc(server.url), **extra}
        )
        with httpx.Client() as http, pytest.raises(DiscoveryError, match=message):
            discover(http, server.url)


def test_unreachable_server_is_a_network_error() -> None:
    from conftest import free_port

    with httpx.Client() as http, pytest.raises(NetworkError, match="Cannot reach"):
        discover(http, f"http://127.0.0.1:{free_port()}")


@pytest.mark.parametrize("endpoint", HOSTILE_AUTHORIZATION_ENDPOINTS)
def test_a_hostile_authorization_endpoint_is_refused(endpoint: str) -> None:
    with hostile_issuer(authorization_endpoint=endpoint) as server, httpx.Client() as client:
        with pytest.raises(DiscoveryError, match="authorization_endpoint"):
            discover(client, server.url)


@pytest.mark.parametrize("status", [500, 502, 503, 401, 403, 429])
def test_a_failing_discovery_is_an_error_not_a_fallback(status: int) -> None:
    with serve({}) as server:
        server.routes[("GET", "/.well-known/oauth-authorization-server")] = Reply(
            status, "<html>down</html>", "text/html", headers={"Retry-After": "0"}
        )
        with httpx.Client() as http, pytest.raises(DiscoveryError, match=f"HTTP {status}"):
            discover(http, server.url)


def test_a_server_error_is_retried_then_the_document_is_used() -> None:
    answers = [Reply(503, "busy", "text/plain", headers={"Retry-After": "0"})] * 2
    notes: list[str] = []
    with serve({}) as server:

        def route(request: object) -> Reply:
            return answers.pop(0) if answers else Reply(200, _doc(server.url))

        server.routes[("GET", "/.well-known/oauth-authorization-server")] = route
        with httpx.Client() as http:
            meta = discover(http, server.url, notify=notes.append)
    assert meta.source == SOURCE_RFC8414
    assert len(notes) == 2 and "retrying" in notes[0]


@pytest.mark.parametrize("status", [404, 410])
def test_only_an_absent_document_falls_back(status: int) -> None:
    with serve({}) as server:
        server.routes[("GET", "/.well-known/oauth-authorization-server")] = Reply(status, "")
        with httpx.Client() as http:
            assert discover(http, server.url).source == SOURCE_FIXED
