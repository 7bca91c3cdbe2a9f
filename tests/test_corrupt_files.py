"""Damaged files and undecodable input: a clear message naming the file, never a traceback,
and nothing rewritten or deleted behind the user's back."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import inprocess
import pytest
from conftest import login_args

from mightycli import config
from mightycli.errors import StateFileError

GOOD_RECORD = {
    "network": "emulated",
    "api_url": "https://api.mn.co",
    "issuer": "https://emulated.mn.co",
    "client_id": "cid",
    "authorization_endpoint": "https://emulated.mn.co/oauth/authorize",
    "token_endpoint": "https://emulated.mn.co/oauth/token",
    "scopes": ["read:network"],
    "expires_at": 4102444800.0,
    "storage": "keyring",
}

DAMAGED_RECORDS: list[dict[str, object]] = [
    {"expires_at": "soon"},
    {"api_url": 5},
    {"scopes": "read:network"},
    {"scopes": [1, 2]},
    {"has_refresh_token": "yes"},
    {"expires_at": True},
    {"client_id": ["a"]},
    {"network": None},
]


def _state(record: object) -> bytes:
    return json.dumps(
        {"version": 1, "default": "emulated", "logins": {"emulated": record}}
    ).encode()


def _damaged_state_files() -> list[bytes]:
    files = [_state({**GOOD_RECORD, **change}) for change in DAMAGED_RECORDS]
    files += [
        b'{"version": 1, "logins": {"emulated": ' + b"\xff\xfe" + b"}}",
        _state(GOOD_RECORD)[:40],
        json.dumps({"version": 1, "logins": []}).encode(),
        json.dumps({"version": 1, "logins": {"emulated": 5}}).encode(),
        json.dumps({"version": 1, "default": 7, "logins": {}}).encode(),
        json.dumps({"version": 1, "logins": {"other": GOOD_RECORD}}).encode(),
        _state({k: v for k, v in GOOD_RECORD.items() if k != "api_url"}),
    ]
    return files


@pytest.mark.parametrize("content", _damaged_state_files())
def test_a_damaged_state_file_is_named_and_left_alone(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "logins.json"
    path.write_bytes(content)
    with pytest.raises(StateFileError) as caught:
        config.read_state(path)
    assert str(path) in caught.value.message and "mighty login" in (caught.value.hint or "")
    assert path.read_bytes() == content


def _run(*args: str | bytes, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    # In process (tests/inprocess.py): bytes in and out, arguments decoded as a process's are.
    result = inprocess.run_raw(args, env={}, input=stdin, timeout=60)
    return subprocess.CompletedProcess(args, result.code, result.stdout, result.stderr)


@pytest.mark.parametrize("command", [["status"], ["whoami"], ["token"], ["logout"]])
def test_commands_report_a_damaged_state_file(isolated: Path, command: list[str]) -> None:
    path = isolated / "config" / "logins.json"
    path.parent.mkdir(parents=True)
    content = _state({**GOOD_RECORD, "expires_at": "soon"})
    path.write_bytes(content)
    result = _run(*command)
    stderr = result.stderr.decode()
    assert result.returncode == 1, stderr
    assert "Traceback" not in stderr and "logins.json" in stderr and "damaged" in stderr
    assert path.read_bytes() == content


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("scopes = 5", "'scopes' must be a string or a list of strings"),
        ("scopes = [1, 2]", "'scopes' must be"),
        ("timeout = 'soon'", "'timeout' must be a positive number"),
        ("timeout = -3", "'timeout' must be a positive number"),
        ("api_url = 5", "'api_url' must be a string"),
        ("network = true", "'network' must be a string"),
        ("[networks.x]\nclient_id = 1.5", "'client_id' must be a string"),
    ],
)
def test_a_bad_config_value_is_a_usage_error_naming_the_file(
    isolated: Path, setting: str, message: str
) -> None:
    path = isolated / "config" / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_text(setting + "\n")
    result = _run("login", "-n", "x", "--client-id", "y", "--no-wait")
    stderr = result.stderr.decode()
    assert result.returncode == 2, stderr
    assert message in stderr and "config.toml" in stderr and "Traceback" not in stderr
    assert path.read_text() == setting + "\n"


def test_a_config_file_that_is_not_utf8(isolated: Path) -> None:
    path = isolated / "config" / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_bytes(b'client_id = "\xff"\n')
    result = _run("whoami")
    assert result.returncode == 2 and b"config.toml" in result.stderr
    assert b"Traceback" not in result.stderr


@pytest.mark.parametrize(
    "content",
    [
        json.dumps({"expires_at": "soon"}).encode(),
        json.dumps([1, 2]).encode(),
        b"\xff\xfe not utf-8",
        b'{"network": "x", "expires_at": ',
        json.dumps({"expires_at": 1e300}).encode(),
    ],
)
def test_a_damaged_pending_file_is_ignored_with_a_warning(  # type: ignore[no-untyped-def]
    emulator, redirect_uri, isolated: Path, content: bytes
) -> None:
    pending = isolated / "config" / "pending"
    pending.mkdir(parents=True)
    bad = pending / ("0" * 32 + ".json")
    bad.write_bytes(content)
    args = [a for a in login_args(emulator, redirect_uri) if a not in ("--timeout", "30")]
    result = _run(*args, "--no-wait")
    stderr = result.stderr.decode()
    assert result.returncode == 0, stderr
    assert "damaged pending login" in stderr and str(bad) in stderr
    assert bad.read_bytes() == content
    assert len(list(pending.iterdir())) == 2  # the new one beside it


def test_completing_with_a_damaged_pending_file_names_it_and_keeps_it(  # type: ignore[no-untyped-def]
    emulator, redirect_uri, isolated: Path
) -> None:
    args = [a for a in login_args(emulator, redirect_uri) if a not in ("--timeout", "30")]
    assert _run(*args, "--no-wait").returncode == 0
    (path,) = (isolated / "config" / "pending").iterdir()
    data = json.loads(path.read_text())
    state = data["state"]
    data["scopes"] = "read:network"
    path.write_text(json.dumps(data))
    before = path.read_bytes()
    result = _run("login", "--complete", f"{redirect_uri}?code=c&state={state}")
    stderr = result.stderr.decode()
    assert result.returncode == 1, stderr
    assert "damaged" in stderr and str(path) in stderr and "Traceback" not in stderr
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    ("args", "stdin"),
    [
        (["login", "--complete", "-"], b"http://localhost:3000/callback?state=\xff\xfe\n"),
        (["login", "--with-token", "-n", "emulated"], b"tok\xffen\n"),
        (["api", "members", "-F", "name=@-"], b"\xff\xfe"),
        (["api", "graphql", "--query-file", "-"], b"{ me \xff }"),
    ],
)
def test_stdin_that_is_not_utf8_is_a_usage_error(args: list[str], stdin: bytes) -> None:
    env_network = ["--network", "emulated"] if args[0] == "api" else []
    result = _run(*args, *env_network, stdin=stdin)
    assert result.returncode == 2, result.stderr
    assert b"UTF-8" in result.stderr and b"Traceback" not in result.stderr


@pytest.mark.parametrize("option", ["-H", "-f", "-F"])
def test_arguments_that_are_not_utf8_are_a_usage_error(option: str) -> None:
    value = b"X-Thing: \xff\xfe" if option == "-H" else b"name=\xff\xfe"
    result = _run("api", "members", "--network", "emulated", option, value)
    assert result.returncode == 2, result.stderr
    assert b"not valid UTF-8" in result.stderr and b"Traceback" not in result.stderr
