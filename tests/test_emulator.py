"""The emulator, exercised over real HTTP on 127.0.0.1 the way a Mighty client would use it."""

from __future__ import annotations

import base64
import re
import socket
import ssl
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mightycli.emulator import (
    ADMIN_API_TOKEN,
    ALL_SCOPES,
    CONFIDENTIAL_CLIENT_ID,
    CONFIDENTIAL_CLIENT_SECRET,
    DEFAULT_REDIRECT_URI,
    NETWORK_ID,
    NETWORK_SUBDOMAIN,
    NETWORK_TITLE,
    PUBLIC_CLIENT_ID,
    Emulator,
    browser,
)
from mightycli.emulator.browser import BrowserError, BrowserResult

# RFC 7636 Appendix B.
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
USER_AGENT = "mighty-cli-tests/1.0"
# Building a TLS context per client costs ~0.1 s; every client here speaks plain HTTP to
# 127.0.0.1, so one shared default context keeps the file fast without weakening anything.
TLS = ssl.create_default_context()


def http_client(base_url: str = "", **kwargs: Any) -> httpx.Client:
    headers = {"User-Agent": USER_AGENT, **kwargs.pop("headers", {})}
    return httpx.Client(base_url=base_url, headers=headers, verify=TLS, trust_env=False, **kwargs)


# -- a callback receiver standing in for the client's loopback listener -----------------


@dataclass
class Receiver:
    uri: str
    status: int = 200
    hits: list[str] = field(default_factory=list)

    def last_query(self) -> dict[str, list[str]]:
        assert self.hits, "the callback was never reached"
        return parse_qs(urlsplit(self.hits[-1]).query)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    box: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            target = box["r"]
            target.hits.append(self.path)
            body = b"<html><body><h1>Callback received</h1></body></html>"
            self.send_response(target.status)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    box["r"] = Receiver(f"http://127.0.0.1:{server.server_address[1]}/callback")
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield box["r"]
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def emu(receiver: Receiver) -> Iterator[Emulator]:
    with Emulator(redirect_uris=(receiver.uri, DEFAULT_REDIRECT_URI)) as server:
        yield server


@pytest.fixture
def client(emu: Emulator) -> Iterator[httpx.Client]:
    with http_client(emu.url) as http:
        yield http


# -- helpers -------------------------------------------------------------------------------


def authorize_params(**overrides: str | None) -> dict[str, str]:
    params: dict[str, str | None] = {
        "response_type": "code",
        "client_id": PUBLIC_CLIENT_ID,
        "redirect_uri": DEFAULT_REDIRECT_URI,
        "scope": "read:userinfo read:network",
        "state": "state-123",
        "code_challenge": CHALLENGE,
        "code_challenge_method": "S256",
    }
    params.update(overrides)
    return {k: v for k, v in params.items() if v is not None}


def redirect_query(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def consent_id(page: str) -> str:
    match = re.search(r'name="consent" value="([^"]+)"', page)
    assert match is not None, page
    return match.group(1)


def approve(client: httpx.Client, **overrides: str | None) -> dict[str, str]:
    """Walk the consent page like a person pressing Approve; return the redirect's query."""
    page = client.get("/oauth/authorize", params=authorize_params(**overrides))
    assert page.status_code == 200, page.text
    answer = client.post(
        "/oauth/authorize/decision", data={"consent": consent_id(page.text), "decision": "approve"}
    )
    return redirect_query(answer)


def exchange(client: httpx.Client, code: str, **overrides: str | None) -> httpx.Response:
    form: dict[str, str | None] = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": DEFAULT_REDIRECT_URI,
        "code_verifier": VERIFIER,
        "client_id": PUBLIC_CLIENT_ID,
    }
    form.update(overrides)
    return client.post("/oauth/token", data={k: v for k, v in form.items() if v is not None})


def login(client: httpx.Client, scope: str = "read:userinfo read:network") -> dict[str, Any]:
    code = approve(client, scope=scope)["code"]
    response = exchange(client, code)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def refresh(client: httpx.Client, token: str, **extra: str) -> httpx.Response:
    form = {"grant_type": "refresh_token", "refresh_token": token, "client_id": PUBLIC_CLIENT_ID}
    form.update(extra)
    return client.post("/oauth/token", data=form)


def graphql(
    client: httpx.Client,
    token: str | None,
    query: str,
    variables: dict[str, Any] | None = None,
    network: str = str(NETWORK_ID),
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return client.post(
        f"/networks/{network}/graphql",
        json={"query": query, "variables": variables},
        headers=headers,
    )


def admin(
    client: httpx.Client, path: str, token: str = ADMIN_API_TOKEN, **params: str | int
) -> httpx.Response:
    return client.get(
        f"/admin/v1/networks/{NETWORK_ID}/{path}",
        params=params,
        headers={"Authorization": f"Bearer {token}"},
    )


def error_code(response: httpx.Response) -> str:
    body = response.json()
    errors = body["errors"]
    assert errors, body
    code: str = errors[0]["extensions"]["code"]
    return code


class FakeClock:
    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


# -- discovery -----------------------------------------------------------------------------


def test_discovery_document_describes_the_issuer(emu: Emulator, client: httpx.Client) -> None:
    response = client.get("/.well-known/oauth-authorization-server")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    meta = response.json()
    assert meta["issuer"] == emu.issuer == emu.url
    assert meta["authorization_endpoint"] == f"{emu.url}/oauth/authorize"
    assert meta["token_endpoint"] == f"{emu.url}/oauth/token"
    assert "revocation_endpoint" not in meta
    assert meta["response_types_supported"] == ["code"]
    assert meta["grant_types_supported"] == ["authorization_code", "refresh_token"]
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert meta["token_endpoint_auth_methods_supported"] == ["none", "client_secret_post"]
    assert meta["scopes_supported"] == list(ALL_SCOPES)
    assert meta["authorization_response_iss_parameter_supported"] is True
    assert client.get("/.well-known/openid-configuration").status_code == 404


def test_discovery_can_advertise_revocation() -> None:
    with Emulator(advertise_revocation=True) as server:
        with http_client(server.url) as http:
            meta = http.get("/.well-known/oauth-authorization-server").json()
    assert meta["revocation_endpoint"] == f"{server.url}/oauth/revoke"


def test_addresses_follow_the_bound_port(emu: Emulator) -> None:
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", emu.url)
    assert not emu.url.endswith(":0")
    assert emu.api_url == emu.url
    assert emu.graphql_url == f"{emu.url}/networks/1001/graphql"
    assert (NETWORK_ID, NETWORK_SUBDOMAIN, NETWORK_TITLE) == (1001, "emulated", "Emulated Network")
    assert "read:userinfo" in ALL_SCOPES and "host:write:network_assets" in ALL_SCOPES
    assert len(ALL_SCOPES) == 27


def test_ipv6_host_uses_bracketed_url() -> None:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback here")
    with Emulator(host="::1") as server:
        assert server.url.startswith("http://[::1]:")
        with http_client(server.url) as http:
            response = http.get("/.well-known/oauth-authorization-server")
        assert response.json()["issuer"] == server.url


# -- authorization endpoint ----------------------------------------------------------------


def test_unknown_client_gets_an_html_error_not_a_redirect(client: httpx.Client) -> None:
    hostile = '<script>alert("x")</script>'
    response = client.get("/oauth/authorize", params=authorize_params(client_id=hostile))
    assert response.status_code == 400
    assert "location" not in response.headers
    assert response.headers["content-type"].startswith("text/html")
    assert "<script>alert" not in response.text
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in response.text


@pytest.mark.parametrize(
    "uri",
    [
        DEFAULT_REDIRECT_URI + "/",  # trailing slash
        "http://localhost:3001/callback",  # other port
        "http://localhost:3000/callback?extra=1",  # extra query
        "https://localhost:3000/callback",  # other scheme
    ],
)
def test_unregistered_redirect_uri_gets_an_html_error(client: httpx.Client, uri: str) -> None:
    response = client.get("/oauth/authorize", params=authorize_params(redirect_uri=uri))
    assert response.status_code == 400
    assert "location" not in response.headers
    assert "Redirect URI mismatch" in response.text
    assert response.headers["cache-control"] == "no-store"


def test_missing_state_is_invalid_request_with_iss(emu: Emulator, client: httpx.Client) -> None:
    response = client.get("/oauth/authorize", params=authorize_params(state=None))
    location = response.headers["location"]
    assert location.startswith(DEFAULT_REDIRECT_URI + "?")
    query = redirect_query(response)
    assert query["error"] == "invalid_request"
    assert "state" in query["error_description"]
    assert query["iss"] == emu.issuer
    assert "state" not in query and "code" not in query


def test_public_client_must_use_pkce(client: httpx.Client) -> None:
    missing = redirect_query(
        client.get(
            "/oauth/authorize",
            params=authorize_params(code_challenge=None, code_challenge_method=None),
        )
    )
    assert missing["error"] == "invalid_request"
    assert missing["state"] == "state-123"
    plain = redirect_query(
        client.get("/oauth/authorize", params=authorize_params(code_challenge_method="plain"))
    )
    assert plain["error"] == "invalid_request"
    implied_plain = redirect_query(
        client.get("/oauth/authorize", params=authorize_params(code_challenge_method=None))
    )
    assert implied_plain["error"] == "invalid_request"


def test_confidential_client_may_skip_pkce(client: httpx.Client) -> None:
    response = client.get(
        "/oauth/authorize",
        params=authorize_params(
            client_id=CONFIDENTIAL_CLIENT_ID, code_challenge=None, code_challenge_method=None
        ),
    )
    assert response.status_code == 200
    assert "Emulator Server App" in response.text


def test_response_type_must_be_code(client: httpx.Client) -> None:
    query = redirect_query(
        client.get("/oauth/authorize", params=authorize_params(response_type="token"))
    )
    assert query["error"] == "unsupported_response_type"
    assert query["state"] == "state-123"


def test_unknown_scope_is_invalid_scope(emu: Emulator, client: httpx.Client) -> None:
    hostile = 'read:network <img src=x onerror="alert(1)">&x=1'
    query = redirect_query(client.get("/oauth/authorize", params=authorize_params(scope=hostile)))
    assert query["error"] == "invalid_scope"
    assert "<img" in query["error_description"]  # survived URL encoding intact
    assert query["state"] == "state-123" and query["iss"] == emu.issuer
    assert "x" not in query  # the hostile "&x=1" did not become a parameter


def test_empty_scope_is_allowed(client: httpx.Client) -> None:
    token = login(client, scope="")
    assert token["scope"] == ""


def test_host_scopes_need_a_host() -> None:
    with Emulator(signed_in_member="Grace Hopper") as server, http_client(server.url) as http:
        query = redirect_query(
            http.get("/oauth/authorize", params=authorize_params(scope="host:read:network_members"))
        )
        assert query["error"] == "invalid_scope"
        page = http.get("/oauth/authorize", params=authorize_params()).text
        assert "Grace Hopper" in page and "Ada Lovelace" not in page


def test_consent_page_names_everything_the_person_must_judge(client: httpx.Client) -> None:
    response = client.get(
        "/oauth/authorize",
        params=authorize_params(scope="read:userinfo read:network host:read:network_members"),
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-store"
    page = response.text
    for expected in (
        "Emulator CLI (public)",
        NETWORK_TITLE,
        "Ada Lovelace",
        "read:userinfo",
        "See your e-mail address",
        "read:network",
        "host:read:network_members",
    ):
        assert expected in page
    assert "<style>" in page
    assert 'action="/oauth/authorize/decision"' in page
    assert re.search(r'<input type="hidden" name="consent" value="[A-Za-z0-9_-]{40,}">', page)
    assert '<button type="submit" id="approve" name="decision" value="approve">' in page
    assert '<button type="submit" id="deny" name="decision" value="deny">' in page

    class Balance(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.stack: list[str] = []
            self.ok = True

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag not in ("meta", "input", "br", "link"):
                self.stack.append(tag)

        def handle_endtag(self, tag: str) -> None:
            self.ok = self.ok and bool(self.stack) and self.stack.pop() == tag

    checker = Balance()
    checker.feed(page)
    assert checker.ok and checker.stack == []


def test_consent_page_escapes_hostile_values() -> None:
    hostile_uri = 'http://127.0.0.1:9/cb?next="><script>steal()</script>'
    with Emulator(redirect_uris=(hostile_uri,)) as server, http_client(server.url) as http:
        page = http.get(
            "/oauth/authorize",
            params=authorize_params(redirect_uri=hostile_uri, state='"><script>alert(1)</script>'),
        ).text
    assert "<script>" not in page
    assert "&quot;&gt;&lt;script&gt;steal()&lt;/script&gt;" in page


def test_consent_id_is_single_use(client: httpx.Client) -> None:
    page = client.get("/oauth/authorize", params=authorize_params()).text
    consent = consent_id(page)
    first = client.post(
        "/oauth/authorize/decision", data={"consent": consent, "decision": "approve"}
    )
    assert first.status_code == 302
    again = client.post(
        "/oauth/authorize/decision", data={"consent": consent, "decision": "approve"}
    )
    assert again.status_code == 400
    assert "location" not in again.headers
    forged = client.post(
        "/oauth/authorize/decision", data={"consent": "made-up", "decision": "approve"}
    )
    assert forged.status_code == 400


def test_consent_expires_with_the_code_lifetime() -> None:
    clock = FakeClock()
    with Emulator(clock=clock) as server, http_client(server.url) as http:
        consent = consent_id(http.get("/oauth/authorize", params=authorize_params()).text)
        clock.now += 601
        late = http.post(
            "/oauth/authorize/decision", data={"consent": consent, "decision": "approve"}
        )
    assert late.status_code == 400


def test_auto_approve_redirects_straight_away() -> None:
    with Emulator(auto_approve=True) as server, http_client(server.url) as http:
        query = redirect_query(http.get("/oauth/authorize", params=authorize_params()))
    assert set(query) == {"code", "state", "iss"}
    assert query["state"] == "state-123" and query["iss"] == server.issuer


@pytest.fixture(scope="module")
def auto_emu() -> Iterator[tuple[Emulator, httpx.Client]]:
    with Emulator(auto_approve=True) as server, http_client(server.url) as http:
        yield server, http


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(state=st.text(min_size=1, max_size=60))
def test_any_state_comes_back_exactly(auto_emu: tuple[Emulator, httpx.Client], state: str) -> None:
    server, http = auto_emu
    query = redirect_query(http.get("/oauth/authorize", params=authorize_params(state=state)))
    assert query["state"] == state
    assert query["iss"] == server.issuer


# -- the stand-in browser -------------------------------------------------------------------


def authorize_url(emu: Emulator, redirect_uri: str, state: str = "state-123") -> str:
    params = authorize_params(redirect_uri=redirect_uri, state=state)
    return f"{emu.url}/oauth/authorize?" + urlencode(params)


def test_browser_approves_and_lands_on_the_callback(
    emu: Emulator, receiver: Receiver, client: httpx.Client
) -> None:
    result = browser.visit(authorize_url(emu, receiver.uri, state="abc"))
    assert isinstance(result, BrowserResult)
    assert result.status == 200
    assert result.text == "Callback received"
    assert result.final_url.startswith(receiver.uri + "?")
    query = receiver.last_query()
    assert query["state"] == ["abc"] and query["iss"] == [emu.issuer]
    token = exchange(client, query["code"][0], redirect_uri=receiver.uri)
    assert token.status_code == 200
    assert "code=" not in repr(result)


def test_browser_denies(emu: Emulator, receiver: Receiver) -> None:
    result = browser.visit(authorize_url(emu, receiver.uri), decision="deny")
    assert result.status == 200
    query = receiver.last_query()
    assert query["error"] == ["access_denied"]
    assert query["error_description"][0]
    assert query["state"] == ["state-123"] and query["iss"] == [emu.issuer]
    assert "code" not in query


def test_browser_accepts_any_status_from_the_callback(emu: Emulator, receiver: Receiver) -> None:
    receiver.status = 500
    result = browser.visit(authorize_url(emu, receiver.uri))
    assert result.status == 500
    assert receiver.hits


def test_browser_refuses_to_leave_the_machine() -> None:
    outside = "http://example.com/callback"
    with Emulator(redirect_uris=(outside,), auto_approve=True) as server:
        with pytest.raises(BrowserError, match="example.com"):
            browser.visit(authorize_url_for(server, outside))
        with pytest.raises(BrowserError):
            browser.visit("http://example.com/")


def authorize_url_for(emu: Emulator, redirect_uri: str) -> str:
    return f"{emu.url}/oauth/authorize?" + urlencode(authorize_params(redirect_uri=redirect_uri))


def test_browser_command_line(
    emu: Emulator, receiver: Receiver, capsys: pytest.CaptureFixture[str]
) -> None:
    assert browser.main(["--deny", authorize_url(emu, receiver.uri)]) == 0
    err = capsys.readouterr().err
    assert err.startswith("[scripted browser] ended on a page with HTTP 200: Callback received")
    assert err.count("\n") == 1
    assert receiver.last_query()["error"] == ["access_denied"]

    dead = Emulator().start()
    dead_url = dead.url
    dead.stop()
    assert browser.main([f"{dead_url}/oauth/authorize"]) == 1
    assert "could not load" in capsys.readouterr().err


def test_browser_runs_as_a_module(emu: Emulator, receiver: Receiver) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "mightycli.emulator.browser", authorize_url(emu, receiver.uri)],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == "[scripted browser] ended on a page with HTTP 200: Callback received\n"
    assert proc.stdout == ""
    assert receiver.last_query()["code"]


# -- token endpoint: authorization_code ---------------------------------------------------


def test_code_exchange_with_pkce(emu: Emulator, client: httpx.Client) -> None:
    query = approve(client)
    assert query["iss"] == emu.issuer and query["state"] == "state-123"
    response = exchange(client, query["code"])
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["scope"] == "read:userinfo read:network"
    assert len(body["access_token"]) >= 32 and len(body["refresh_token"]) >= 32
    assert body["access_token"] != body["refresh_token"]
    assert emu.is_token_active(body["access_token"])
    assert emu.is_token_active(body["refresh_token"])
    assert emu.token_requests == [
        {
            "grant_type": "authorization_code",
            "code": "<redacted>",
            "redirect_uri": DEFAULT_REDIRECT_URI,
            "code_verifier": "<redacted>",
            "client_id": PUBLIC_CLIENT_ID,
        }
    ]


def test_wrong_or_missing_verifier_is_rejected(emu: Emulator, client: httpx.Client) -> None:
    code = approve(client)["code"]
    wrong = exchange(client, code, code_verifier="x" * 43)
    assert wrong.status_code == 400
    assert wrong.json()["error"] == "invalid_grant"
    missing = exchange(client, code, code_verifier=None)
    assert missing.json()["error"] == "invalid_request"
    assert exchange(client, code).status_code == 200  # failures did not burn the code


def test_code_reuse_is_refused_and_revokes_its_tokens(emu: Emulator, client: httpx.Client) -> None:
    code = approve(client)["code"]
    tokens = exchange(client, code).json()
    again = exchange(client, code)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"
    assert not emu.is_token_active(tokens["access_token"])
    assert not emu.is_token_active(tokens["refresh_token"])
    assert {tokens["access_token"], tokens["refresh_token"]} <= emu.revoked_tokens()
    assert (
        error_code(graphql(client, tokens["access_token"], "{ me { name } }")) == "UNAUTHENTICATED"
    )


def test_expired_code_is_refused() -> None:
    clock = FakeClock()
    with Emulator(clock=clock) as server, http_client(server.url) as http:
        code = approve(http)["code"]
        clock.now += 600
        response = exchange(http, code)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert "expired" in response.json()["error_description"]


def test_code_is_bound_to_redirect_uri_and_client(client: httpx.Client) -> None:
    code = approve(client)["code"]
    other_uri = exchange(client, code, redirect_uri="http://localhost:3000/other")
    assert other_uri.json()["error"] == "invalid_grant"
    other_client = exchange(
        client, code, client_id=CONFIDENTIAL_CLIENT_ID, client_secret=CONFIDENTIAL_CLIENT_SECRET
    )
    assert other_client.json()["error"] == "invalid_grant"
    unknown = exchange(client, "not-a-code")
    assert unknown.json()["error"] == "invalid_grant"


def test_confidential_client_authentication(emu: Emulator, client: httpx.Client) -> None:
    def code() -> str:
        return approve(client, client_id=CONFIDENTIAL_CLIENT_ID)["code"]

    wrong = exchange(client, code(), client_id=CONFIDENTIAL_CLIENT_ID, client_secret="nope")
    assert wrong.status_code == 401
    assert wrong.json()["error"] == "invalid_client"
    missing = exchange(client, code(), client_id=CONFIDENTIAL_CLIENT_ID)
    assert missing.status_code == 401
    assert missing.json()["error"] == "invalid_client"
    right = exchange(
        client, code(), client_id=CONFIDENTIAL_CLIENT_ID, client_secret=CONFIDENTIAL_CLIENT_SECRET
    )
    assert right.status_code == 200
    basic = client.post(
        "/oauth/token",
        auth=(CONFIDENTIAL_CLIENT_ID, CONFIDENTIAL_CLIENT_SECRET),
        data={
            "grant_type": "authorization_code",
            "code": code(),
            "redirect_uri": DEFAULT_REDIRECT_URI,
            "code_verifier": VERIFIER,
        },
    )
    assert basic.status_code == 200
    bad_basic = client.post(
        "/oauth/token",
        auth=(CONFIDENTIAL_CLIENT_ID, "nope"),
        data={"grant_type": "authorization_code", "code": code()},
    )
    assert bad_basic.status_code == 401
    assert bad_basic.headers["www-authenticate"].startswith("Basic")
    assert all(entry.get("client_secret") in (None, "<redacted>") for entry in emu.token_requests)
    assert any(entry.get("client_secret") == "<redacted>" for entry in emu.token_requests)


def test_token_endpoint_request_errors(client: httpx.Client) -> None:
    unknown_client = client.post(
        "/oauth/token", data={"grant_type": "authorization_code", "client_id": "who"}
    )
    assert (unknown_client.status_code, unknown_client.json()["error"]) == (401, "invalid_client")
    no_client = client.post("/oauth/token", data={"grant_type": "authorization_code"})
    assert no_client.status_code == 401
    no_grant = client.post("/oauth/token", data={"client_id": PUBLIC_CLIENT_ID})
    assert (no_grant.status_code, no_grant.json()["error"]) == (400, "invalid_request")
    other = client.post(
        "/oauth/token", data={"grant_type": "password", "client_id": PUBLIC_CLIENT_ID}
    )
    assert other.json()["error"] == "unsupported_grant_type"
    no_code = client.post(
        "/oauth/token", data={"grant_type": "authorization_code", "client_id": PUBLIC_CLIENT_ID}
    )
    assert no_code.json()["error"] == "invalid_request"
    as_json = client.post(
        "/oauth/token", json={"grant_type": "authorization_code", "client_id": PUBLIC_CLIENT_ID}
    )
    assert (as_json.status_code, as_json.json()["error"]) == (400, "invalid_request")
    doubled = client.post(
        "/oauth/token",
        content=f"grant_type=refresh_token&grant_type=x&client_id={PUBLIC_CLIENT_ID}",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert doubled.json()["error"] == "invalid_request"
    for response in (unknown_client, no_grant, other, as_json):
        assert set(response.json()) == {"error", "error_description"}
        assert response.headers["cache-control"] == "no-store"


# -- token endpoint: refresh_token ----------------------------------------------------------


def test_refresh_rotates_both_tokens(emu: Emulator, client: httpx.Client) -> None:
    first = login(client)
    response = refresh(client, first["refresh_token"])
    assert response.status_code == 200
    second = response.json()
    assert second["access_token"] != first["access_token"]
    assert second["refresh_token"] != first["refresh_token"]
    assert second["scope"] == first["scope"]
    assert emu.refresh_count == 1
    assert not emu.is_token_active(first["refresh_token"])
    assert emu.is_token_active(second["refresh_token"])
    assert emu.is_token_active(second["access_token"])
    assert emu.revoked_tokens() == set()
    assert emu.token_requests[-1] == {
        "grant_type": "refresh_token",
        "refresh_token": "<redacted>",
        "client_id": PUBLIC_CLIENT_ID,
    }


def test_reusing_a_rotated_refresh_token_revokes_the_grant(
    emu: Emulator, client: httpx.Client
) -> None:
    first = login(client)
    second = refresh(client, first["refresh_token"]).json()
    replay = refresh(client, first["refresh_token"])
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    for token in (first["access_token"], second["access_token"], second["refresh_token"]):
        assert not emu.is_token_active(token)
    assert {second["access_token"], second["refresh_token"]} <= emu.revoked_tokens()
    assert refresh(client, second["refresh_token"]).json()["error"] == "invalid_grant"
    assert emu.refresh_count == 1


def test_refresh_may_narrow_but_not_widen_scope(client: httpx.Client) -> None:
    first = login(client)
    narrowed = refresh(client, first["refresh_token"], scope="read:network")
    assert narrowed.json()["scope"] == "read:network"
    wider = refresh(client, narrowed.json()["refresh_token"], scope="read:network write:posts")
    assert wider.json()["error"] == "invalid_scope"


def test_refresh_token_belongs_to_its_client(client: httpx.Client) -> None:
    tokens = login(client)
    stolen = client.post(
        "/oauth/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": CONFIDENTIAL_CLIENT_ID,
            "client_secret": CONFIDENTIAL_CLIENT_SECRET,
        },
    )
    assert stolen.json()["error"] == "invalid_grant"
    assert refresh(client, "made-up").json()["error"] == "invalid_grant"
    assert (
        client.post(
            "/oauth/token", data={"grant_type": "refresh_token", "client_id": PUBLIC_CLIENT_ID}
        ).json()["error"]
        == "invalid_request"
    )


def test_refresh_tokens_can_be_switched_off() -> None:
    with (
        Emulator(issue_refresh_tokens=False, access_token_ttl=0.2) as server,
        http_client(server.url) as http,
    ):
        tokens = login(http)
    assert "refresh_token" not in tokens
    assert tokens["expires_in"] == 1


# -- revocation -------------------------------------------------------------------------


def test_revoking_an_access_token(emu: Emulator, client: httpx.Client) -> None:
    tokens = login(client)
    response = client.post(
        "/oauth/revoke",
        data={
            "token": tokens["access_token"],
            "token_type_hint": "access_token",
            "client_id": PUBLIC_CLIENT_ID,
        },
    )
    assert response.status_code == 200
    assert response.content == b""
    assert not emu.is_token_active(tokens["access_token"])
    assert emu.is_token_active(tokens["refresh_token"])
    assert emu.revoked_tokens() == {tokens["access_token"]}
    assert (
        error_code(graphql(client, tokens["access_token"], "{ me { name } }")) == "UNAUTHENTICATED"
    )


def test_revoking_a_refresh_token_ends_the_grant(emu: Emulator, client: httpx.Client) -> None:
    tokens = login(client)
    client.post(
        "/oauth/revoke", data={"token": tokens["refresh_token"], "client_id": PUBLIC_CLIENT_ID}
    ).raise_for_status()
    assert not emu.is_token_active(tokens["access_token"])
    assert not emu.is_token_active(tokens["refresh_token"])
    assert refresh(client, tokens["refresh_token"]).json()["error"] == "invalid_grant"


def test_revocation_request_errors(client: httpx.Client) -> None:
    unknown = client.post("/oauth/revoke", data={"token": "nothing", "client_id": PUBLIC_CLIENT_ID})
    assert (unknown.status_code, unknown.content) == (200, b"")
    missing = client.post("/oauth/revoke", data={"client_id": PUBLIC_CLIENT_ID})
    assert missing.json()["error"] == "invalid_request"
    bad_client = client.post("/oauth/revoke", data={"token": "x", "client_id": "who"})
    assert (bad_client.status_code, bad_client.json()["error"]) == (401, "invalid_client")


# -- Headless API (GraphQL) ---------------------------------------------------------------


def test_me_and_network(client: httpx.Client, emu: Emulator) -> None:
    token = login(client)["access_token"]
    response = graphql(
        client,
        token,
        """{
      me { id resourceId name firstName lastName email avatarUrl url networkRole memberType
           timeZone __typename }
      network { id resourceId title slug url }
    }""",
    )
    assert response.status_code == 200
    body = response.json()
    assert "errors" not in body
    me = body["data"]["me"]
    assert me["name"] == "Ada Lovelace"
    assert (me["firstName"], me["lastName"]) == ("Ada", "Lovelace")
    assert me["email"] == "ada@example.com"
    assert me["timeZone"] == "Europe/London"
    assert me["networkRole"] == "HOST"
    assert me["memberType"] == "NETWORK_HOST" and me["__typename"] == "User"
    assert isinstance(me["resourceId"], str)  # ID!, as published
    assert base64.b64decode(me["id"]).decode() == f"User:{me['resourceId']}"
    assert me["url"].startswith(emu.url)
    assert body["data"]["network"]["title"] == NETWORK_TITLE
    assert body["data"]["network"]["resourceId"] == str(NETWORK_ID)
    assert body["data"]["network"]["slug"] == NETWORK_SUBDOMAIN

    by_subdomain = graphql(client, token, "{ network { title } }", network="emulated")
    assert by_subdomain.json()["data"]["network"]["title"] == NETWORK_TITLE
    node = graphql(
        client,
        token,
        "query($id: ID!) { node(id: $id) { id ... on Member { name } } }",
        {"id": me["id"]},
    )
    assert node.json()["data"]["node"] == {"id": me["id"], "name": "Ada Lovelace"}


def test_unknown_network_is_404(client: httpx.Client) -> None:
    token = login(client)["access_token"]
    response = graphql(client, token, "{ network { title } }", network="elsewhere")
    assert response.status_code == 404
    assert response.json() == {"errors": [{"message": "Network not found"}]}


def test_email_and_time_zone_need_read_userinfo(client: httpx.Client) -> None:
    token = login(client, scope="read:network")["access_token"]
    me = graphql(client, token, "{ me { email timeZone } }").json()["data"]["me"]
    assert me == {"email": "a***@***.***", "timeZone": None}


def test_members_need_a_network_scope(client: httpx.Client) -> None:
    token = login(client, scope="read:userinfo")["access_token"]
    response = graphql(client, token, "{ network { members { totalCount } } }")
    assert response.status_code == 200
    assert error_code(response) == "FORBIDDEN"


def test_members_paginate_across_pages() -> None:
    query = """query($after: String) {
      network { members(first: 50, after: $after) {
        totalCount
        edges { cursor node { name } }
        nodes { name }
        pageInfo { endCursor hasNextPage }
      } }
    }"""
    with Emulator(extra_members=117) as server, http_client(server.url) as http:
        # 4 seeded members and 117 generated ones
        token = login(http)["access_token"]
        names: list[str] = []
        after: str | None = None
        pages = 0
        while True:
            body = graphql(http, token, query, {"after": after}).json()
            members = body["data"]["network"]["members"]
            assert members["totalCount"] == 121
            assert [e["node"]["name"] for e in members["edges"]] == [
                n["name"] for n in members["nodes"]
            ]
            names.extend(n["name"] for n in members["nodes"])
            pages += 1
            if not members["pageInfo"]["hasNextPage"]:
                break
            after = members["pageInfo"]["endCursor"]
            assert after == members["edges"][-1]["cursor"]
        default = graphql(http, token, "{ network { members { nodes { name } } } }").json()
    assert pages == 3
    assert names[:5] == ["Ada Lovelace", "Grace Hopper", "Alan Turing", None, "Member 5"]
    assert names[-1] == "Member 121"
    assert len(names) == len(set(names)) == 121
    assert len(default["data"]["network"]["members"]["nodes"]) == 25


def test_page_size_over_fifty_is_bad_user_input(client: httpx.Client) -> None:
    token = login(client)["access_token"]
    response = graphql(client, token, "{ network { members(first: 51) { totalCount } } }")
    assert response.status_code == 200
    assert error_code(response) == "BAD_USER_INPUT"
    bad_cursor = graphql(client, token, '{ network { members(after: "zzz") { totalCount } } }')
    assert error_code(bad_cursor) == "BAD_USER_INPUT"


@pytest.mark.parametrize("how", ["missing", "unknown", "expired", "revoked", "admin"])
def test_unusable_tokens_are_unauthenticated(emu: Emulator, client: httpx.Client, how: str) -> None:
    tokens = login(client)
    token: str | None = tokens["access_token"]
    if how == "missing":
        token = None
    elif how == "unknown":
        token = "not-a-token"
    elif how == "expired":
        emu.expire_access_tokens()
    elif how == "revoked":
        client.post(
            "/oauth/revoke", data={"token": tokens["access_token"], "client_id": PUBLIC_CLIENT_ID}
        ).raise_for_status()
    elif how == "admin":
        token = ADMIN_API_TOKEN
    response = graphql(client, token, "{ me { name } }")
    assert response.status_code == 200
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert body["errors"][0]["message"]


def test_access_tokens_expire_by_the_clock() -> None:
    clock = FakeClock()
    with Emulator(clock=clock, access_token_ttl=60) as server, http_client(server.url) as http:
        tokens = login(http)
        assert tokens["expires_in"] == 60
        assert graphql(http, tokens["access_token"], "{ me { name } }").json()["data"]
        clock.now += 60
        assert not server.is_token_active(tokens["access_token"])
        expired = graphql(http, tokens["access_token"], "{ me { name } }")
        assert error_code(expired) == "UNAUTHENTICATED"
        renewed = refresh(http, tokens["refresh_token"]).json()
        assert graphql(http, renewed["access_token"], "{ me { name } }").json()["data"] == {
            "me": {"name": "Ada Lovelace"}
        }


def test_bad_documents_are_graphql_errors(client: httpx.Client) -> None:
    token = login(client)["access_token"]
    syntax = graphql(client, token, "{ me { name ")
    assert syntax.status_code == 200
    assert "Syntax Error" in syntax.json()["errors"][0]["message"]
    invalid = graphql(client, token, "{ viewer { name } }")
    assert invalid.status_code == 200
    assert error_code(invalid) == "BAD_USER_INPUT"
    assert "viewer" in invalid.json()["errors"][0]["message"]
    not_json = client.post(
        "/networks/1001/graphql",
        content=b"\xff{",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    assert not_json.status_code == 400
    no_query = client.post(
        "/networks/1001/graphql",
        json={"variables": {}},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert no_query.status_code == 400


def test_query_cost_limit_is_a_top_level_error_without_code(client: httpx.Client) -> None:
    token = login(client)["access_token"]
    pages = " ".join(f"p{i}: members(first: 50) {{ nodes {{ id }} }}" for i in range(30))
    response = graphql(client, token, f"{{ network {{ {pages} }} }}")
    assert response.status_code == 200
    error = response.json()["errors"][0]
    assert "cost" in error["message"].lower()
    assert "extensions" not in error


def test_schema_is_public(client: httpx.Client) -> None:
    response = client.get("/networks/1001/graphql/schema")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    sdl = response.text
    for expected in (
        "interface Member implements DatabaseRecord & Node",
        "type User implements DatabaseRecord & Member & Node",
        "enum MembershipRole",
        "sort: MemberSort = LAST_VISIT",
        "type Query",
        "me: Member",
    ):
        assert expected in sdl
    assert client.get("/networks/emulated/graphql/schema").text == sdl


# -- Admin API ----------------------------------------------------------------------------


def test_admin_me(client: httpx.Client) -> None:
    response = admin(client, "me")
    assert response.status_code == 200
    body = response.json()
    assert body["user"]["name"] == "Ada Lovelace"
    assert body["user"]["email"] == "ada@example.com"
    assert body["user"]["admin"] is True
    assert "short_bio" in body["user"]
    assert set(body["network"]) == {
        "id",
        "created_at",
        "updated_at",
        "subdomain",
        "title",
        "subtitle",
        "purpose",
        "description",
    }
    assert body["network"]["id"] == NETWORK_ID
    assert body["network"]["subdomain"] == NETWORK_SUBDOMAIN
    assert body["network"]["title"] == NETWORK_TITLE


def test_admin_members_follow_next_links() -> None:
    with (
        Emulator(extra_members=47) as server,
        http_client(headers={"Authorization": f"Bearer {ADMIN_API_TOKEN}"}) as http,
    ):
        url: str | None = f"{server.url}/admin/v1/networks/{NETWORK_ID}/members?per_page=20"
        seen: list[int] = []
        pages = 0
        while url is not None:
            body = http.get(url).json()
            seen.extend(item["id"] for item in body["items"])
            assert body["links"]["self"].startswith(server.url + "/admin/v1/")
            url = body["links"].get("next")
            pages += 1
        first_page = http.get(f"{server.url}/admin/v1/networks/emulated/members").json()
    assert pages == 3
    assert len(seen) == len(set(seen)) == 51
    assert len(first_page["items"]) == 25
    assert first_page["links"]["next"].endswith("page=2&per_page=25")


@pytest.mark.parametrize(
    "params", [{"per_page": 101}, {"per_page": 0}, {"page": 0}, {"page": "two"}]
)
def test_admin_paging_out_of_range_is_422(client: httpx.Client, params: dict[str, Any]) -> None:
    response = admin(client, "members", **params)
    assert response.status_code == 422
    assert isinstance(response.json()["error"], str)


def test_admin_one_member(client: httpx.Client) -> None:
    listing = admin(client, "members").json()["items"]
    grace = next(item for item in listing if item["first_name"] == "Grace")
    response = admin(client, f"members/{grace['id']}/")
    assert response.status_code == 200
    assert response.json()["email"] == "grace@example.com"
    assert admin(client, "members/999/").status_code == 404
    # Paths are served exactly as published: this one has a trailing slash.
    assert admin(client, f"members/{grace['id']}").status_code == 404
    assert admin(client, "nothing-here").json() == {"error": "Not Found"}


def test_admin_needs_the_api_token(client: httpx.Client) -> None:
    oauth_token = login(client)["access_token"]
    for token in ("wrong", oauth_token):
        response = admin(client, "me", token=token)
        assert response.status_code == 401
        assert isinstance(response.json()["error"], str)
    bare = client.get(f"/admin/v1/networks/{NETWORK_ID}/me")
    assert bare.status_code == 401


# -- the edge of the service ------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/networks/1001/graphql", "/admin/v1/networks/1001/me", "/networks/1001/graphql/schema"],
)
@pytest.mark.parametrize("agent", [None, ""])
def test_api_without_user_agent_gets_a_bot_challenge(
    emu: Emulator, path: str, agent: str | None
) -> None:
    with http_client(emu.url) as http:
        if agent is None:
            del http.headers["User-Agent"]
        else:
            http.headers["User-Agent"] = agent
        response = http.post(path, json={"query": "{ me { name } }"})
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("text/html")
    assert "<html" in response.text


def test_unknown_paths_are_404(client: httpx.Client) -> None:
    assert client.get("/").status_code == 404
    assert client.get("/oauth/nothing").status_code == 404
    assert client.get("/oauth/token").status_code == 405


def test_injected_faults(emu: Emulator, client: httpx.Client) -> None:
    emu.inject_fault("/oauth/token", 500, "<html><body>Oops</body></html>")
    failed = client.post("/oauth/token", data={"grant_type": "refresh_token"})
    assert failed.status_code == 500
    assert failed.headers["content-type"] == "text/html"
    assert failed.text == "<html><body>Oops</body></html>"
    healed = client.post("/oauth/token", data={"grant_type": "refresh_token"})
    assert healed.status_code == 401  # back to the real endpoint

    emu.inject_fault(
        "/networks/1001/graphql",
        429,
        b"slow down",
        content_type="text/plain",
        times=2,
        headers={"Retry-After": "7"},
    )
    for _ in range(2):
        limited = client.post("/networks/1001/graphql", json={"query": "{ me { name } }"})
        assert limited.status_code == 429
        assert limited.headers["retry-after"] == "7"
    assert (
        client.post("/networks/1001/graphql", json={"query": "{ me { name } }"}).status_code == 200
    )

    emu.inject_fault(
        "/.well-known/oauth-authorization-server", 200, "{not json", content_type="application/json"
    )
    broken = client.get("/.well-known/oauth-authorization-server?x=1")
    assert broken.text == "{not json"


def test_malformed_requests_do_not_break_the_server(emu: Emulator, client: httpx.Client) -> None:
    port = int(emu.url.rsplit(":", 1)[1])
    for raw in (
        b"POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
        b"POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n",
        b"GET /x HTTP/1.1 extra\r\n\r\n",
    ):
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(raw)
            status_line = sock.recv(200).split(b"\r\n", 1)[0]
        assert status_line.split()[1] in (b"400", b"413"), status_line
    assert client.get("/.well-known/oauth-authorization-server").status_code == 200


def test_request_log_leaves_out_secrets(capsys: pytest.CaptureFixture[str]) -> None:
    with Emulator(quiet=False, auto_approve=True) as server, http_client(server.url) as http:
        code = redirect_query(http.get("/oauth/authorize", params=authorize_params()))["code"]
        tokens = exchange(http, code).json()
        graphql(http, tokens["access_token"], "{ me { name } }")
    lines = capsys.readouterr().err.splitlines()
    assert lines == [
        "GET /oauth/authorize 302",
        "POST /oauth/token 200",
        "POST /networks/1001/graphql 200",
    ]


def test_stop_is_idempotent_and_closes_the_port() -> None:
    server = Emulator().start()
    url = server.url
    with http_client() as http:
        assert http.get(f"{url}/.well-known/oauth-authorization-server").status_code == 200
        server.stop()
        server.stop()
        with pytest.raises(httpx.TransportError):
            http.get(f"{url}/.well-known/oauth-authorization-server")


def test_serve_forever_runs_in_the_calling_thread() -> None:
    server = Emulator()
    url = server.url  # binds, so the address is known before serving
    runner = threading.Thread(target=server.serve_forever, daemon=True)
    runner.start()
    try:
        with http_client(url) as http:
            response = http.get("/.well-known/oauth-authorization-server", timeout=5)
        assert response.json()["issuer"] == url
    finally:
        server.stop()
        runner.join(timeout=5)
    assert not runner.is_alive()


def test_concurrent_requests_are_served(emu: Emulator, client: httpx.Client) -> None:
    tokens = login(client)
    results: list[int] = []
    lock = threading.Lock()

    def worker(task: Callable[[], httpx.Response]) -> None:
        status = task().status_code
        with lock:
            results.append(status)

    def me() -> httpx.Response:
        with http_client(emu.url) as http:
            return graphql(http, tokens["access_token"], "{ me { name } }")

    threads = [threading.Thread(target=worker, args=(me,)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert results == [200] * 8


def _banner(*args: str) -> tuple[str, list[str], dict[str, Any]]:
    """Start ``python -m mightycli.emulator ARGS``: its URL, its banner (stderr up to "Press
    Ctrl-C"), and what its GraphQL and Admin API say of the network; then stop it."""
    import os
    import signal

    proc = subprocess.Popen(
        [sys.executable, "-m", "mightycli.emulator", "--port", "0", *args],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=dict(os.environ),
    )  # fmt: skip
    assert proc.stdout is not None and proc.stderr is not None
    try:
        url = proc.stdout.readline().strip()
        banner: list[str] = []
        while not banner or banner[-1] != "Press Ctrl-C to stop.":
            banner.append(proc.stderr.readline().rstrip("\n"))
        with http_client(url) as http:
            me = http.get(
                "/admin/v1/networks/1001/me", headers={"Authorization": f"Bearer {ADMIN_API_TOKEN}"}
            ).json()
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=20)
    return url, banner, me["network"]


def test_the_banner_is_aligned_and_titled_after_the_network() -> None:
    url, banner, network = _banner("--network", "my-community", "--rate-limit", "200")
    assert banner[0] == "Mighty Networks emulator: My Community"
    assert network["title"] == "My Community" and network["subdomain"] == "my-community"
    # Every label's value starts in one column.
    rows = [line for line in banner[1:] if re.match(r"  [A-Z][\w ]*: ", line)]
    labels = [row.split(":", 1)[0].strip() for row in rows]
    assert labels == [
        "Network", "OAuth issuer", "GraphQL", "Admin API", "Public client", "Confidential",
        "Admin API token", "Consent", "Rate limit",
    ]  # fmt: skip
    columns = {len(row) - len(row.split(":", 1)[1].lstrip()) for row in rows}
    assert len(columns) == 1, rows
    assert f"  mighty login --network my-community --issuer {url}" in "\n".join(banner)


def test_the_default_network_keeps_its_title() -> None:
    _, banner, network = _banner()
    assert banner[0] == "Mighty Networks emulator: Emulated Network"
    assert network["title"] == NETWORK_TITLE
