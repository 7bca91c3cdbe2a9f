"""The session as the one owner of a token's life, against a strict server on a real clock."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import keyring
from conftest import login_args, wait_until_expired
from keyring.backend import KeyringBackend
from localserver import Reply, serve

from mightycli import config
from mightycli.emulator import PUBLIC_CLIENT_ID, Emulator
from mightycli.session import Session
from mightycli.tokens import KeyringStore, Token


def _stored(entry: str) -> str:
    value = keyring.get_password("mighty-cli:emulated", entry)
    assert value is not None
    return value


def test_token_after_expiry_prints_an_active_token(redirect_uri, run_mighty) -> None:  # type: ignore[no-untyped-def]
    # Obtained seconds ago, already expired: "obtained moments ago" must not hand it out.
    with Emulator(redirect_uris=(redirect_uri,), access_token_ttl=8, strict=True) as emulator:
        assert run_mighty(*login_args(emulator, redirect_uri)).code == 0
        old = _stored("access_token")
        wait_until_expired(emulator, old)
        result = run_mighty("token")
        printed = result.stdout.strip()
        assert result.code == 0, result.stderr
        assert emulator.is_token_active(printed) and printed != old
        assert emulator.refresh_count == 1


def test_token_with_the_grant_revoked_exits_4(redirect_uri, run_mighty) -> None:  # type: ignore[no-untyped-def]
    with Emulator(redirect_uris=(redirect_uri,), access_token_ttl=4, strict=True) as emulator:
        assert run_mighty(*login_args(emulator, redirect_uri)).code == 0
        revoked = httpx.post(
            f"{emulator.url}/oauth/revoke",
            data={"token": _stored("refresh_token"), "client_id": PUBLIC_CLIENT_ID},
        )
        assert revoked.status_code == 200
        assert not emulator.is_token_active(_stored("access_token"))
        time.sleep(4.1)  # the token's own life is over too: mighty must renew, and cannot
        result = run_mighty("token")
        assert result.code == 4 and result.stdout == ""
        assert "could not be renewed" in result.stderr
        assert "mighty login --network emulated" in result.stderr


def _session(url: str, state_path: Path, *, record_expiry: float, token_expiry: float) -> Session:
    record = config.LoginRecord(
        network="demo",
        api_url=url,
        issuer=url,
        client_id="cid",
        authorization_endpoint=f"{url}/a",
        token_endpoint=f"{url}/token",
        has_refresh_token=True,
        expires_at=record_expiry,
        obtained_at=time.time() - 5,
    )
    config.write_state(state_path, config.LoginState().with_login(record))
    token = Token("mine", expires_at=token_expiry, refresh_token="refresh-1")
    return Session("demo", url, token, record=record, store=KeyringStore(), state_path=state_path)


def test_an_expired_replacement_is_never_adopted(isolated: Path) -> None:
    """Another process stored a token that has expired since: the refused one is renewed."""
    fresh = {"access_token": "new", "token_type": "Bearer", "expires_in": 3600}
    with serve({("POST", "/token"): Reply(200, fresh)}) as server:
        state = isolated / "s" / "logins.json"
        session = _session(server.url, state, record_expiry=time.time() - 1, token_expiry=0)
        KeyringStore().save("demo", "theirs-expired", "refresh-2")
        token = session.refresh(rejected="mine")
    assert token.access_token == "new" and session.adoptions == 0
    (request,) = server.requests
    assert b"refresh_token=refresh-2" in request.body  # the one read under the lock


def test_a_valid_replacement_is_adopted_without_asking(isolated: Path) -> None:
    with serve({}) as server:
        state = isolated / "s" / "logins.json"
        session = _session(
            server.url, state, record_expiry=time.time() + 3600, token_expiry=time.time() + 3600
        )
        KeyringStore().save("demo", "theirs", "refresh-2")
        token = session.refresh(rejected="mine")
    assert token.access_token == "theirs" and session.adoptions == 1
    assert server.requests == []


def test_a_fresh_token_that_has_expired_is_renewed(isolated: Path) -> None:
    """The shortcut for tokens obtained moments ago only skips renewing a valid token."""
    fresh = {"access_token": "new", "token_type": "Bearer", "expires_in": 3600}
    with serve({("POST", "/token"): Reply(200, fresh)}) as server:
        state = isolated / "s" / "logins.json"
        session = _session(
            server.url, state, record_expiry=time.time() - 1, token_expiry=time.time() - 1
        )
        KeyringStore().save("demo", "mine", "refresh-1")
        assert session.valid_token().access_token == "new"
    assert len(server.requests) == 1


def test_a_fresh_valid_token_is_used_as_it_is(isolated: Path) -> None:
    with serve({}) as server:
        state = isolated / "s" / "logins.json"
        soon = time.time() + 30  # within the one-minute margin, but obtained seconds ago
        session = _session(server.url, state, record_expiry=soon, token_expiry=soon)
        assert session.valid_token().access_token == "mine"
    assert server.requests == []


def test_a_precaution_the_server_cannot_answer_keeps_the_valid_token(isolated: Path) -> None:
    broken = Reply(503, "<html>down</html>", content_type="text/html")
    with serve({("POST", "/token"): broken}) as server:
        state = isolated / "s" / "logins.json"
        soon = time.time() + 30
        session = _session(server.url, state, record_expiry=soon, token_expiry=soon)
        session.record = config.read_state(state).logins["demo"]
        data = config.read_state(state)
        aged = data.logins["demo"]._replace(obtained_at=time.time() - 3600)
        config.write_state(state, data.with_login(aged))
        session.record = aged
        KeyringStore().save("demo", "mine", "refresh-1")
        assert session.valid_token().access_token == "mine"
    assert len(server.requests) == 1


class SlowOrFailingWrites(KeyringBackend):
    """The test keyring, with writes that take their time or fail for one entry."""

    priority = 1

    def __init__(self, inner: KeyringBackend, *, delay: float = 0.0, fail: str = "") -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.inner, self.delay, self.fail = inner, delay, fail

    def get_password(self, service: str, username: str) -> str | None:
        return self.inner.get_password(service, username)

    def set_password(self, service: str, username: str, password: str) -> None:
        time.sleep(self.delay)
        if username == self.fail:
            raise OSError("the collection is locked")
        self.inner.set_password(service, username, password)

    def delete_password(self, service: str, username: str) -> None:
        self.inner.delete_password(service, username)


def _expired_session(url: str, state: Path, timeout: float) -> Session:
    session = _session(url, state, record_expiry=time.time() - 60, token_expiry=time.time() - 60)
    KeyringStore().save("demo", "mine", "refresh-1")
    session.store = KeyringStore(timeout=timeout)
    return session


def test_a_slow_keyring_still_saves_a_rotated_pair(isolated: Path) -> None:
    rotated = {"access_token": "new", "token_type": "Bearer", "refresh_token": "refresh-2"}
    with serve({("POST", "/token"): Reply(200, rotated)}) as server:
        session = _expired_session(server.url, isolated / "s" / "logins.json", timeout=0.2)
        # Slower than the keyring deadline: after the server has answered, that must not matter.
        keyring.set_keyring(SlowOrFailingWrites(keyring.get_keyring(), delay=0.5))
        assert session.valid_token().access_token == "new"
    saved = KeyringStore().load("demo")
    assert (saved.access_token, saved.refresh_token) == ("new", "refresh-2")


def test_a_rotated_refresh_token_that_cannot_be_saved_says_the_login_is_lost(
    isolated: Path,
) -> None:
    import pytest

    from mightycli.errors import RefreshFailedError

    rotated = {"access_token": "new", "token_type": "Bearer", "refresh_token": "refresh-2"}
    with serve({("POST", "/token"): Reply(200, rotated)}) as server:
        session = _expired_session(server.url, isolated / "s" / "logins.json", timeout=5)
        keyring.set_keyring(SlowOrFailingWrites(keyring.get_keyring(), fail="refresh_token"))
        with pytest.raises(RefreshFailedError) as info:
            session.valid_token()
    message = info.value.message
    assert "new refresh token could not be saved" in message and "login is lost" in message
    assert info.value.exit_code == 4
    assert info.value.hint == "Run: mighty login --network demo"
