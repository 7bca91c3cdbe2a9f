from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from localserver import Reply, serve

from mightycli import oauth, pkce
from mightycli.discovery import ServerMetadata, fixed_metadata
from mightycli.errors import (
    AuthorizationDeniedError,
    IssuerMismatchError,
    LoginError,
    StateMismatchError,
    TokenRequestError,
)

ISSUER = "https://demo.mn.co"


def _request(iss_required: bool = True) -> oauth.AuthorizationRequest:
    meta = ServerMetadata(
        issuer=ISSUER,
        authorization_endpoint=f"{ISSUER}/oauth/authorize",
        token_endpoint=f"{ISSUER}/oauth/token",
        iss_parameter_supported=iss_required,
    )
    return oauth.begin_authorization(
        meta, oauth.ClientCredentials("cid"), "http://localhost:3000/callback", ("read:network",)
    )


def test_authorization_url_carries_pkce_state_and_scopes() -> None:
    request = _request()
    query = parse_qs(urlsplit(request.url).query)
    assert query["response_type"] == ["code"]
    assert query["client_id"] == ["cid"]
    assert query["redirect_uri"] == ["http://localhost:3000/callback"]
    assert query["scope"] == ["read:network"]
    assert query["state"] == [request.state]
    assert query["code_challenge"] == [pkce.challenge_s256(request.verifier)]
    assert query["code_challenge_method"] == ["S256"]
    assert request.state not in repr(request) and request.verifier not in repr(request)


def test_valid_callback_yields_code() -> None:
    request = _request()
    callback = oauth.parse_callback_query(f"code=the-code&state={request.state}&iss={ISSUER}")
    assert oauth.validate_callback(request, callback) == "the-code"


def test_state_is_checked_before_error_or_code() -> None:
    request = _request()
    for query in ("code=c&state=wrong&iss=" + ISSUER, "error=access_denied&state=wrong", "code=c"):
        with pytest.raises(StateMismatchError):
            oauth.validate_callback(request, oauth.parse_callback_query(query))


def test_iss_mismatch_and_missing_iss() -> None:
    request = _request(iss_required=True)
    with pytest.raises(IssuerMismatchError, match="evil"):
        oauth.validate_callback(
            request, oauth.parse_callback_query(f"code=c&state={request.state}&iss=https://evil")
        )
    with pytest.raises(IssuerMismatchError, match="lacks the iss"):
        oauth.validate_callback(
            request, oauth.parse_callback_query(f"code=c&state={request.state}")
        )
    lenient = _request(iss_required=False)
    callback = oauth.parse_callback_query(f"code=c&state={lenient.state}")
    assert oauth.validate_callback(lenient, callback) == "c"


def test_authorization_errors_carry_the_servers_description() -> None:
    request = _request()
    query = (
        f"error=access_denied&error_description=Member+said+no&state={request.state}&iss={ISSUER}"
    )
    with pytest.raises(AuthorizationDeniedError, match="denied: Member said no"):
        oauth.validate_callback(request, oauth.parse_callback_query(query))
    query = f"error=invalid_scope&error_description=nope&state={request.state}&iss={ISSUER}"
    with pytest.raises(AuthorizationDeniedError, match="invalid_scope: nope") as info:
        oauth.validate_callback(request, oauth.parse_callback_query(query))
    assert "--scope" in (info.value.hint or "")


def test_duplicate_parameters_are_refused() -> None:
    with pytest.raises(LoginError, match="more than once"):
        oauth.parse_callback_query("code=a&code=b&state=s")


def test_token_response_parsing() -> None:
    token = oauth.parse_token_response(
        {"access_token": "at", "token_type": "bearer", "expires_in": "60", "refresh_token": "rt"},
        now=1000.0,
        requested_scopes=("read:network",),
    )
    assert (token.access_token, token.expires_at, token.refresh_token) == ("at", 1060.0, "rt")
    assert token.scopes == ("read:network",)
    assert "at" not in repr(token).replace("expires_at", "")
    cases: list[tuple[dict[str, Any], str]] = [
        ({"token_type": "Bearer"}, "no access_token"),
        ({"access_token": "x", "token_type": "mac"}, "Bearer"),
        ({"access_token": "x"}, "Bearer"),
        ({"access_token": "x", "token_type": "Bearer", "expires_in": "soon"}, "not a number"),
        ({"access_token": "x", "token_type": "Bearer", "expires_in": -5}, "out of range"),
        # Found by test_properties.py: float() of a huge integer raised OverflowError.
        ({"access_token": "x", "token_type": "Bearer", "expires_in": 10**400}, "out of range"),
        ({"access_token": "x", "token_type": "Bearer", "scope": ["a"]}, "scope"),
    ]
    for body, message in cases:
        with pytest.raises(TokenRequestError, match=message):
            oauth.parse_token_response(body, now=0)


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (
            Reply(400, {"error": "invalid_grant", "error_description": "Code expired"}),
            "HTTP 400 Bad Request, invalid_grant\\): Code expired",
        ),
        (Reply(401, {"error": "invalid_client"}), "invalid_client"),
        (Reply(500, "<html><body>Oops</body></html>", "text/html"), "HTTP 500.*text/html"),
        (Reply(200, "{truncated", "application/json"), "no JSON object"),
        (Reply(200, {"error": "invalid_request"}), "invalid_request"),
        # Found by test_properties.py: deep nesting made json.loads raise RecursionError.
        (Reply(200, b"[" * 100_000), "no JSON object"),
        (Reply(502, b'{"a":' * 100_000), "HTTP 502"),
    ],
)
def test_token_endpoint_failures(reply: Reply, message: str) -> None:
    with serve({("POST", "/oauth/token"): reply}) as server:
        meta = fixed_metadata(server.url)
        with httpx.Client() as http, pytest.raises(TokenRequestError, match=message) as info:
            oauth.exchange_code(http, meta, oauth.ClientCredentials("cid"), _request(), "c", 0)
    assert "Oops" not in info.value.message


def test_exchange_sends_verifier_and_secret_only_when_configured() -> None:
    answer = {"access_token": "at", "token_type": "Bearer", "expires_in": 3600}
    with serve({("POST", "/oauth/token"): Reply(200, answer)}) as server:
        meta = fixed_metadata(server.url)
        request = _request()
        with httpx.Client() as http:
            oauth.exchange_code(http, meta, oauth.ClientCredentials("cid"), request, "c1", 0)
            oauth.exchange_code(http, meta, oauth.ClientCredentials("cid", "sec"), request, "c2", 0)
        public, confidential = (parse_qs(r.body.decode()) for r in server.requests)
    assert public["code_verifier"] == [request.verifier]
    assert public["grant_type"] == ["authorization_code"]
    assert "client_secret" not in public
    assert confidential["client_secret"] == ["sec"]


def test_refresh_keeps_old_refresh_token_when_none_is_returned() -> None:
    answer = {"access_token": "new", "token_type": "Bearer"}
    with serve({("POST", "/oauth/token"): Reply(200, answer)}) as server:
        with httpx.Client() as http:
            token = oauth.refresh_access_token(
                http, f"{server.url}/oauth/token", oauth.ClientCredentials("cid"), "old-rt", 0
            )
    assert (token.access_token, token.refresh_token) == ("new", "old-rt")


@pytest.mark.parametrize(
    ("reply", "outcome"),
    [
        (Reply(200, b""), oauth.RevocationOutcome.REVOKED),
        (Reply(404, "<html/>", "text/html"), oauth.RevocationOutcome.UNSUPPORTED),
        (Reply(400, {"error": "unsupported_token_type"}), oauth.RevocationOutcome.UNSUPPORTED),
        (Reply(503, "busy", "text/plain"), oauth.RevocationOutcome.FAILED),
        (Reply(400, b"[" * 100_000), oauth.RevocationOutcome.FAILED),
    ],
)
def test_revocation_outcomes(reply: Reply, outcome: oauth.RevocationOutcome) -> None:
    with serve({("POST", "/oauth/revoke"): reply}) as server:
        with httpx.Client() as http:
            got = oauth.revoke_token(
                http,
                f"{server.url}/oauth/revoke",
                oauth.ClientCredentials("c"),
                "t",
                "access_token",
            )
    assert got is outcome


def test_token_endpoint_reset_and_timeout_are_network_errors() -> None:
    import socket
    import struct
    import threading

    from mightycli.errors import NetworkError

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)

    def reset_everything() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            conn.recv(65536)
            # SO_LINGER with a zero timeout turns close() into a TCP reset.
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.close()

    threading.Thread(target=reset_everything, daemon=True).start()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    try:
        with httpx.Client() as http, pytest.raises(NetworkError, match="Cannot reach the token"):
            oauth.exchange_code(
                http, fixed_metadata(url), oauth.ClientCredentials("c"), _request(), "x", 0
            )
    finally:
        listener.close()

    def too_slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("no answer", request=request)

    with (
        httpx.Client(transport=httpx.MockTransport(too_slow)) as http,
        pytest.raises(NetworkError, match="timed out"),
    ):
        oauth.exchange_code(
            http,
            fixed_metadata("https://x.example"),
            oauth.ClientCredentials("c"),
            _request(),
            "x",
            0,
        )
