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
        assert "revoked" not in result.stderr.lower()
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
