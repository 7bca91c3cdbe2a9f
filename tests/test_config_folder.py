"""The config folder as untrusted input, end to end: a folder or file other users can write or
own is refused with the chmod to run (as ssh refuses its own), URLs read back follow the login
rules, and a read-only folder (a real read-only bind mount in a mount namespace of its own) is
a sentence naming the path, never a traceback or tokens left alive and stored nowhere."""

from __future__ import annotations

import json
import os
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
