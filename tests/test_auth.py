"""BearerAuth on a real client against a local server: attach, refresh after 401, resend."""

from __future__ import annotations

from pathlib import Path

from localserver import Reply, Request, Route, serve

from mightycli import config
from mightycli.auth import BearerAuth
from mightycli.http import make_http_client
from mightycli.session import Session
from mightycli.tokens import KeyringStore, Token


def _session(server_url: str, state_path: Path, expires_at: float | None) -> Session:
    record = config.LoginRecord(
        network="demo",
        api_url=server_url,
        issuer=server_url,
        client_id="cid",
        authorization_endpoint=f"{server_url}/authorize",
        token_endpoint=f"{server_url}/token",
        has_refresh_token=True,
    )
    config.write_state(state_path, config.LoginState().with_login(record))
    store = KeyringStore()
    store.save("demo", "old-access", "old-refresh")
    token = Token("old-access", refresh_token="old-refresh", expires_at=expires_at)
    return Session("demo", server_url, token, record=record, store=store, state_path=state_path)


def test_401_refreshes_once_and_resends_the_body(isolated: Path) -> None:
    def resource(request: Request) -> Reply:
        ok = request.headers.get("Authorization") == "Bearer new-access"
        return Reply(200 if ok else 401, {"body": request.body.decode()})

    fresh = {"access_token": "new-access", "token_type": "Bearer", "refresh_token": "new-refresh"}
    routes: dict[tuple[str, str], Route] = {
        ("POST", "/thing"): resource,
        ("POST", "/token"): Reply(200, fresh),
    }
    with serve(routes) as server:
        session = _session(server.url, isolated / "s" / "logins.json", expires_at=None)
        auth = BearerAuth(session)
        with auth.attach(make_http_client(auth=auth)) as client:
            response = client.post(f"{server.url}/thing", content=b"payload")
    assert response.status_code == 200 and response.json() == {"body": "payload"}
    thing_1, token_request, thing_2 = server.requests
    assert thing_1.headers["Authorization"] == "Bearer old-access"
    assert "Authorization" not in token_request.headers  # the bearer never goes to the token URL
    assert b"refresh_token=old-refresh" in token_request.body
    assert thing_2.headers["Authorization"] == "Bearer new-access" and thing_2.body == b"payload"
    stored = KeyringStore().load("demo")
    assert (stored.access_token, stored.refresh_token) == ("new-access", "new-refresh")


def test_second_401_is_final(isolated: Path) -> None:
    fresh = {"access_token": "new-access", "token_type": "Bearer"}
    routes = {("GET", "/thing"): Reply(401, {}), ("POST", "/token"): Reply(200, fresh)}
    with serve(routes) as server:
        session = _session(server.url, isolated / "s" / "logins.json", expires_at=None)
        auth = BearerAuth(session)
        with auth.attach(make_http_client(auth=auth)) as client:
            response = client.get(f"{server.url}/thing")
    assert response.status_code == 401
    assert [r.path for r in server.requests] == ["/thing", "/token", "/thing"]


def test_refresh_before_sending_when_expiring(isolated: Path) -> None:
    import time

    fresh = {"access_token": "new-access", "token_type": "Bearer", "expires_in": 3600}
    routes = {("GET", "/thing"): Reply(200, {}), ("POST", "/token"): Reply(200, fresh)}
    with serve(routes) as server:
        session = _session(server.url, isolated / "s" / "logins.json", expires_at=time.time() + 30)
        auth = BearerAuth(session)
        with auth.attach(make_http_client(auth=auth)) as client:
            client.get(f"{server.url}/thing")
    assert [r.path for r in server.requests] == ["/token", "/thing"]
    assert server.requests[1].headers["Authorization"] == "Bearer new-access"
    saved = config.read_state(isolated / "s" / "logins.json").logins["demo"]
    assert saved.expires_at is not None and saved.expires_at > time.time() + 3000


def test_graphql_unauthenticated_at_200_renews_once_and_resends(isolated: Path) -> None:
    def graphql(request: Request) -> Reply:
        if request.headers.get("Authorization") == "Bearer new-access":
            return Reply(200, {"data": {"me": {"name": "Ada"}}})
        refused = {"message": "expired", "extensions": {"code": "UNAUTHENTICATED"}}
        return Reply(200, {"data": None, "errors": [refused]})

    fresh = {"access_token": "new-access", "token_type": "Bearer", "refresh_token": "new-refresh"}
    routes: dict[tuple[str, str], Route] = {
        ("POST", "/graphql"): graphql,
        ("POST", "/token"): Reply(200, fresh),
    }
    with serve(routes) as server:
        session = _session(server.url, isolated / "s" / "logins.json", expires_at=None)
        auth = BearerAuth(session)
        with auth.attach(make_http_client(auth=auth)) as client:
            response = client.post(f"{server.url}/graphql", json={"query": "{ me { name } }"})
    assert response.json() == {"data": {"me": {"name": "Ada"}}}
    assert [r.path for r in server.requests] == ["/graphql", "/token", "/graphql"]
    assert session.refreshes == 1
