"""A token lifecycle that holds under parallel use: many processes, one refresh."""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import login_args, wait_until_expired

from mightycli.emulator import Emulator

TOKEN_LIFE = 3  # seconds: several renewals happen while sixteen interpreters start


def test_sixteen_processes_on_a_strict_server_with_a_real_clock(redirect_uri, run_mighty) -> None:  # type: ignore[no-untyped-def]
    """Tokens live three seconds of real time while sixteen processes start on a busy machine:
    renewals happen mid-run, processes meet expired, replaced and refused tokens, and every one
    of them must answer; nobody may present a used refresh token (it would revoke the grant)."""
    import keyring

    with Emulator(
        redirect_uris=(redirect_uri,), access_token_ttl=TOKEN_LIFE, strict=True
    ) as emulator:
        assert run_mighty(*login_args(emulator, redirect_uri)).code == 0
        first = keyring.get_password("mighty-cli:emulated", "access_token")
        assert first is not None
        wait_until_expired(emulator, first)
        command = [
            sys.executable,
            "-m",
            "mightycli",
            "api",
            "graphql",
            "-f",
            "query={ me { name } }",
        ]
        procs = [
            subprocess.Popen(
                command,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                stdin=subprocess.DEVNULL,
                text=True,
                env=dict(os.environ),
            )
            for _ in range(16)
        ]
        results = [(p.wait(120), *p.communicate()) for p in procs]
        failures = [(code, err) for code, _, err in results if code != 0]
        assert failures == []
        assert all('"Ada Lovelace"' in out for _, out, _ in results)
        assert emulator.refresh_count >= 1
        assert emulator.reuse_detections == 0
        # The grant survived: the stored refresh token is the newest one.
        stored = keyring.get_password("mighty-cli:emulated", "refresh_token")
        assert stored is not None and emulator.is_token_active(stored)
        assert run_mighty("whoami").code == 0


def test_sixteen_token_commands_never_print_an_expired_token(redirect_uri, run_mighty) -> None:  # type: ignore[no-untyped-def]
    with Emulator(
        redirect_uris=(redirect_uri,), access_token_ttl=TOKEN_LIFE, strict=True
    ) as emulator:
        assert run_mighty(*login_args(emulator, redirect_uri)).code == 0
        first = keyring_access()
        wait_until_expired(emulator, first)
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "mightycli", "token"],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                stdin=subprocess.DEVNULL,
                text=True,
            )
            for _ in range(16)
        ]
        for proc in procs:
            out, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err
            printed = out.strip()
            assert printed != first
            # Checked as soon as this process ended: it was valid when handed out (a token
            # handed out with under a second left may have expired since, never before).
            assert printed in emulator.secrets_seen()
        assert emulator.reuse_detections == 0


def keyring_access() -> str:
    import keyring

    value = keyring.get_password("mighty-cli:emulated", "access_token")
    assert value is not None
    return value


def _session(token_endpoint: str, store, state_path):  # type: ignore[no-untyped-def]
    from mightycli import config
    from mightycli.session import Session
    from mightycli.tokens import Token

    record = config.LoginRecord(
        network="demo",
        api_url="http://127.0.0.1:1",
        issuer="http://127.0.0.1:1",
        client_id="cid",
        authorization_endpoint="http://127.0.0.1:1/a",
        token_endpoint=token_endpoint,
        has_refresh_token=True,
    )
    config.write_state(state_path, config.LoginState().with_login(record))
    store.save("demo", "access-1", "refresh-1")
    token = Token(access_token="access-1", refresh_token="refresh-1", expires_at=0.0)
    return Session("demo", record.api_url, token, record=record, store=store, state_path=state_path)


class RotatedBehindOurBack:
    """A real keyring store in which another process rotates the tokens after our first read."""

    def __init__(self) -> None:
        from mightycli.tokens import KeyringStore

        self.inner = KeyringStore()
        self.loads = 0

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        return getattr(self.inner, name)

    def load(self, network: str, **entries: bool):  # type: ignore[no-untyped-def]
        self.loads += 1
        if self.loads == 2:
            self.inner.save(network, "access-2", "refresh-2")
        return self.inner.load(network, **entries)


def test_invalid_grant_adopts_a_token_rotated_elsewhere(isolated) -> None:  # type: ignore[no-untyped-def]
    from localserver import Reply, serve

    refused = Reply(400, {"error": "invalid_grant", "error_description": "rotated"})
    with serve({("POST", "/token"): refused}) as server:
        store = RotatedBehindOurBack()
        session = _session(f"{server.url}/token", store, isolated / "state" / "logins.json")
        store.loads = 0
        token = session.refresh()
    assert token.access_token == "access-2" and session.adoptions == 1
    assert len(server.requests) == 1  # it asked once, then found the newer token


def test_invalid_grant_with_nothing_newer_means_login_again(isolated) -> None:  # type: ignore[no-untyped-def]
    import pytest
    from localserver import Reply, serve

    from mightycli.errors import RefreshFailedError
    from mightycli.tokens import KeyringStore

    refused = Reply(400, {"error": "invalid_grant", "error_description": "revoked"})
    with serve({("POST", "/token"): refused}) as server:
        store = KeyringStore()
        session = _session(f"{server.url}/token", store, isolated / "state" / "logins.json")
        with pytest.raises(RefreshFailedError, match="revoked") as info:
            session.refresh()
    assert info.value.exit_code == 4 and "mighty login --network demo" in (info.value.hint or "")
    kept = store.load("demo")  # nothing the user might still need is deleted
    assert (kept.access_token, kept.refresh_token) == ("access-1", "refresh-1")
