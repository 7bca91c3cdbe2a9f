"""The config folder as untrusted input, end to end: a folder or file other users can write or
own is refused with the chmod to run (as ssh refuses its own), URLs read back follow the login
rules, and a read-only folder (a real read-only bind mount in a mount namespace of its own) is
a sentence naming the path, never a traceback or tokens left alive and stored nowhere."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import pytest
from conftest import login_args
from localserver import serve

from mightycli import config


def _logged_in(run_mighty, emulator, redirect_uri) -> Path:  # type: ignore[no-untyped-def]
    login = run_mighty(*login_args(emulator, redirect_uri))
    assert login.code == 0, login.stderr
    return config.state_file_path()


def _no_traceback(stderr: str) -> None:
    assert "Traceback" not in stderr and "internal error" not in stderr


def test_a_logins_file_swapped_by_another_user_is_refused_before_any_request(  # type: ignore[no-untyped-def]
    emulator, redirect_uri, run_mighty, isolated
) -> None:
    if os.geteuid() != 0:
        pytest.skip("giving a file to another user needs root")
    path = _logged_in(run_mighty, emulator, redirect_uri)
    with serve({}) as attacker:  # on loopback, so its URL passes the URL rules
        data = json.loads(path.read_text())
        data["logins"]["emulated"]["api_url"] = attacker.url
        path.write_text(json.dumps(data))
        os.chown(path, 65534, 65534)  # as if user nobody had put it there
        for command in (["whoami"], ["token"], ["api", "graphql", "-f", "query={ me { id } }"]):
            result = run_mighty(*command)
            assert result.code == 2, result.stderr
            assert str(path) in result.stderr and "another user" in result.stderr
            _no_traceback(result.stderr)
        assert attacker.requests == []


def test_a_world_writable_folder_is_refused_with_the_chmod_to_run(  # type: ignore[no-untyped-def]
    emulator, redirect_uri, run_mighty, isolated
) -> None:
    path = _logged_in(run_mighty, emulator, redirect_uri)
    folder = path.parent
    folder.chmod(0o777)
    for command in (["whoami"], ["status"], ["switch", "emulated"], ["logout"]):
        result = run_mighty(*command)
        assert result.code == 2, (command, result.stderr)
        assert f"chmod go-w {folder}" in result.stderr
        _no_traceback(result.stderr)
    login = run_mighty(*login_args(emulator, redirect_uri))
    assert login.code == 2 and "Opening your browser" not in login.stderr, login.stderr
    folder.chmod(0o700)
    assert run_mighty("whoami").code == 0


def test_a_url_in_the_logins_file_that_breaks_the_login_rules_is_a_damaged_file(  # type: ignore[no-untyped-def]
    emulator, redirect_uri, run_mighty, isolated
) -> None:
    path = _logged_in(run_mighty, emulator, redirect_uri)
    data = json.loads(path.read_text())
    data["logins"]["emulated"]["token_endpoint"] = "http://attacker.example/oauth/token"
    path.write_text(json.dumps(data))
    result = run_mighty("whoami")
    assert result.code == 1 and str(path) in result.stderr and "damaged" in result.stderr
    assert "token_endpoint" in result.stderr
    _no_traceback(result.stderr)


@pytest.mark.parametrize(
    "change",
    [
        {"metadata": {"token_endpoint": "http://attacker.example/oauth/token"}},
        {"api_url": "http://attacker.example"},
        {"redirect_uri": "https://attacker.example/callback"},
        {"network": "a$(touch PWNED)"},
    ],
)
def test_a_pending_file_with_a_bad_url_or_network_is_a_damaged_file(  # type: ignore[no-untyped-def]
    emulator, redirect_uri, run_mighty, isolated, change
) -> None:
    args = [a for a in login_args(emulator, redirect_uri) if a not in ("--timeout", "30")]
    assert run_mighty(*args, "--no-wait").code == 0
    (pending,) = (isolated / "config" / "pending").iterdir()
    data = json.loads(pending.read_text())
    for key, value in change.items():
        if isinstance(value, dict):
            data[key].update(value)
        else:
            data[key] = value
    pending.write_text(json.dumps(data))
    result = run_mighty("login", "--complete", f"{redirect_uri}?code=c&state={data['state']}")
    assert result.code == 1 and str(pending) in result.stderr and "damaged" in result.stderr
    _no_traceback(result.stderr)


# --------------------------------------------------------------------------- a read-only folder


def _folder(isolated: Path) -> Path:
    return isolated / "config"


def _unusable_folder_said_plainly(result, folder: Path, code: int = 1) -> None:  # type: ignore[no-untyped-def]
    assert result.code == code, result.stderr
    assert str(folder) in result.stderr and "Read-only file system" in result.stderr
    _no_traceback(result.stderr)


def _active(emulator) -> set[str]:  # type: ignore[no-untyped-def]
    return {token for token in emulator.secrets_seen() if emulator.is_token_active(token)}


@pytest.mark.parametrize("extra", [(), ("--insecure-storage",), ("--no-wait",)])
def test_login_into_a_read_only_folder_stops_before_the_browser(  # type: ignore[no-untyped-def]
    emulator, redirect_uri, run_read_only, isolated, extra
) -> None:
    result = run_read_only(_folder(isolated), *login_args(emulator, redirect_uri), *extra)
    _unusable_folder_said_plainly(result, _folder(isolated))
    assert "Opening your browser" not in result.stderr and "Open this URL" not in result.stderr
    assert emulator.secrets_seen() == set()  # no code was ever issued


@pytest.mark.parametrize("extra", [(), ("--insecure-storage",)])
def test_a_login_that_cannot_be_saved_revokes_its_tokens(  # type: ignore[no-untyped-def]
    emulator, redirect_uri, run_read_only, isolated, tmp_path, extra
) -> None:
    # The folder turns read-only while the browser is away: the code is exchanged, then
    # saving fails. Tokens stored nowhere must not stay alive at the server.
    browser = tmp_path / "remounting-browser"
    browser.write_text(
        f'#!/bin/sh\nmount -o remount,bind,ro "{_folder(isolated)}" || exit 1\n'
        f'exec {sys.executable} -m mightycli.emulator.browser "$1"\n'
    )
    browser.chmod(0o755)
    env = {"BROWSER": str(browser), "MIGHTY_TEST_WRITABLE": "1"}
    result = run_read_only(_folder(isolated), *login_args(emulator, redirect_uri), *extra, env=env)
    _unusable_folder_said_plainly(result, _folder(isolated))
    assert "could not be saved" in result.stderr and "revoked" in result.stderr
    issued = emulator.secrets_seen() & emulator.revoked_tokens()
    assert len(issued) == 2  # the access and the refresh token
    assert _active(emulator) == set()
    assert not config.state_file_path().exists()


def test_logout_from_a_read_only_folder_changes_nothing(  # type: ignore[no-untyped-def]
    emulator, redirect_uri, run_mighty, run_read_only, isolated
) -> None:
    path = _logged_in(run_mighty, emulator, redirect_uri)
    before, active = path.read_bytes(), _active(emulator)
    for extra in ((), ("--force",)):
        result = run_read_only(path.parent, "logout", *extra)
        _unusable_folder_said_plainly(result, path.parent)
        assert "token: revoked" not in result.stderr.lower()
        assert "Nothing was revoked or forgotten" in result.stderr
    assert path.read_bytes() == before and _active(emulator) == active  # nothing revoked
    assert run_mighty("whoami").code == 0


@pytest.mark.parametrize("command", [["switch", "emulated"], ["token"], ["whoami"]])
def test_commands_that_must_write_say_which_folder_is_read_only(  # type: ignore[no-untyped-def]
    emulator, redirect_uri, run_mighty, run_read_only, isolated, command
) -> None:
    path = _logged_in(run_mighty, emulator, redirect_uri)
    # Expired here and at the server: token and whoami must renew, under the lock, then save.
    data = json.loads(path.read_text())
    data["logins"]["emulated"]["expires_at"] = time.time() - 60
    path.write_text(json.dumps(data))
    emulator.expire_access_tokens()
    result = run_read_only(path.parent, *command)
    _unusable_folder_said_plainly(result, path.parent)
    assert run_mighty("whoami").code == 0  # the refresh token was not spent


def test_reading_commands_work_in_a_read_only_folder(  # type: ignore[no-untyped-def]
    emulator, redirect_uri, run_mighty, run_read_only, isolated
) -> None:
    path = _logged_in(run_mighty, emulator, redirect_uri)
    for command in (["status"], ["whoami"], ["token"], ["status", "--json"]):
        result = run_read_only(path.parent, *command)
        assert result.code == 0, (command, result.stderr)


# --------------------------------------------------------------------------- killed writes


def test_a_refresh_killed_before_the_rename_leaves_nothing_behind(  # type: ignore[no-untyped-def]
    emulator, redirect_uri, run_mighty, isolated
) -> None:
    # Killed between writing the rotated tokens and renaming them over tokens.json: their temp
    # file stays, 0600, until something removes it.
    login = run_mighty(*login_args(emulator, redirect_uri, "--insecure-storage"))
    assert login.code == 0, login.stderr
    folder = isolated / "config"
    stale = folder / ".tokens.json.k1ll3d_x.tmp"
    stale.write_text('{"emulated": {"refresh_token": "rotated-and-lost"}}')
    stale.chmod(0o600)
    emulator.expire_access_tokens()
    assert run_mighty("whoami").code == 0  # renewed: tokens.json rewritten
    assert not stale.exists()
    stale.write_text("{}")
    assert run_mighty("logout").code == 0
    assert sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp")) == []


def test_logout_removes_temp_files_a_killed_write_left(  # type: ignore[no-untyped-def]
    emulator, redirect_uri, run_mighty, isolated
) -> None:
    # A keyring login now, but a file login's refresh was killed here once.
    path = _logged_in(run_mighty, emulator, redirect_uri)
    stale = [path.with_name(f".{name}.k1ll3d_x.tmp") for name in ("tokens.json", "logins.json")]
    for temp in stale:
        temp.write_text('{"emulated": {"refresh_token": "rotated-and-lost"}}')
    assert run_mighty("logout").code == 0
    assert not any(temp.exists() for temp in stale)


def _waiting_for_lock(proc, lock_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Wait (at most 30 s) until the process waits for the lock: between its attempts it sleeps
    (nothing else in a logout does), and during one it has the lock file open."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if "nanosleep" in Path(f"/proc/{proc.pid}/wchan").read_text():
                return
            for fd in Path(f"/proc/{proc.pid}/fd").iterdir():
                if Path(os.readlink(fd)) == lock_path:
                    return
        except OSError:
            pass
        time.sleep(0.01)
    pytest.fail("the logout never waited for the lock")


def test_logout_revokes_the_tokens_stored_when_it_holds_the_lock(  # type: ignore[no-untyped-def]
    emulator, redirect_uri, run_mighty, isolated
) -> None:
    # Another process renews while the logout waits for the lock: the rotated pair is the one
    # to revoke, not the pair the logout would have read before the lock.
    import subprocess

    import httpx
    import keyring

    from mightycli import oauth
    from mightycli.session import refresh_lock
    from mightycli.tokens import service_name

    path = _logged_in(run_mighty, emulator, redirect_uri)
    service = service_name("emulated")
    old_refresh = keyring.get_password(service, "refresh_token")
    assert old_refresh is not None
    with refresh_lock(path, "emulated"):
        proc = subprocess.Popen(
            [sys.executable, "-m", "mightycli", "logout"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        if not os.path.exists(f"/proc/{proc.pid}/wchan"):
            proc.kill()
            pytest.skip("no /proc/PID/wchan to see the logout wait for the lock")
        _waiting_for_lock(proc, config.lock_file_path(path))
        with httpx.Client() as http:
            new = oauth.refresh_access_token(
                http, f"{emulator.url}/oauth/token",
                oauth.ClientCredentials("emulator-public-client"), old_refresh, time.time(),
            )  # fmt: skip
        assert new.refresh_token is not None
        keyring.set_password(service, "refresh_token", new.refresh_token)
        keyring.set_password(service, "access_token", new.access_token)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, stderr
    assert {new.access_token, new.refresh_token} <= emulator.revoked_tokens()
    assert not emulator.is_token_active(new.refresh_token)


def test_admin_token_and_completed_logins_into_a_read_only_folder(  # type: ignore[no-untyped-def]
    emulator, redirect_uri, run_mighty, run_read_only, isolated
) -> None:
    from mightycli.emulator import ADMIN_API_TOKEN

    folder = _folder(isolated)
    args = ("login", "--with-token", "-n", "emulated", "--api-url", emulator.url)
    result = run_read_only(folder, *args, input=ADMIN_API_TOKEN + "\n")
    _unusable_folder_said_plainly(result, folder)
    start = [a for a in login_args(emulator, redirect_uri) if a not in ("--timeout", "30")]
    assert run_mighty(*start, "--no-wait").code == 0
    (pending,) = (folder / "pending").iterdir()
    state = json.loads(pending.read_text())["state"]
    result = run_read_only(folder, "login", "--complete", f"{redirect_uri}?code=c&state={state}")
    _unusable_folder_said_plainly(result, folder)
    assert pending.exists()  # the code was not spent: the login can be completed once it is fixed
