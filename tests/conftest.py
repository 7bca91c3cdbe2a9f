"""Shared fixtures: every test runs with its own config dir, environment and keyring file."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import keyring
import pytest
from keyrings.alt.file import PlaintextKeyring

KEYRING_BACKEND = "keyrings.alt.file.PlaintextKeyring"


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """No test may read or touch the developer's config, environment or keyring."""
    for name in list(os.environ):
        if name.startswith("MIGHTY_") or name in ("BROWSER", "PYTHON_KEYRING_BACKEND"):
            monkeypatch.delenv(name, raising=False)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("MIGHTY_CONFIG_DIR", str(home / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "xdg-config"))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", KEYRING_BACKEND)
    monkeypatch.setenv("NO_COLOR", "1")
    backend = PlaintextKeyring()
    backend.file_path = str(home / "data" / "python_keyring" / "keyring_pass.cfg")  # type: ignore[misc]
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        yield home
    finally:
        keyring.set_keyring(previous)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def callback_port() -> int:
    return free_port()


@pytest.fixture
def redirect_uri(callback_port: int) -> str:
    return f"http://localhost:{callback_port}/callback"


@pytest.fixture
def emulator(redirect_uri: str) -> Iterator[object]:
    from mightycli.emulator import Emulator

    with Emulator(redirect_uris=(redirect_uri,)) as server:
        yield server


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str


@pytest.fixture
def browser_script(tmp_path: Path) -> Path:
    """An executable for $BROWSER that drives the emulator's consent page like a person would."""
    path = tmp_path / "browser"
    path.write_text(
        textwrap.dedent(
            f"""\
            #!/bin/sh
            exec {sys.executable} -m mightycli.emulator.browser ${{MIGHTY_TEST_BROWSER_ARGS:-}} "$1"
            """
        )
    )
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


@pytest.fixture
def run_mighty(browser_script: Path):  # type: ignore[no-untyped-def]
    """Run the real command in a subprocess, with the isolated environment of this test."""

    def run(
        *args: str, env: dict[str, str] | None = None, timeout: float = 60, input: str | None = None
    ) -> Result:
        full_env = dict(os.environ)
        full_env["BROWSER"] = str(browser_script)
        full_env.update(env or {})
        proc = subprocess.run(
            [sys.executable, "-m", "mightycli", *args],
            capture_output=True,
            text=True,
            env=full_env,
            timeout=timeout,
            **({"input": input} if input is not None else {"stdin": subprocess.DEVNULL}),
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)

    return run


def login_args(emulator: object, redirect_uri: str, *extra: str) -> list[str]:
    url = emulator.url  # type: ignore[attr-defined]
    return [
        "login",
        "--network",
        "emulated",
        "--issuer",
        url,
        "--api-url",
        url,
        "--client-id",
        "emulator-public-client",
        "--redirect-uri",
        redirect_uri,
        "--timeout",
        "30",
        *extra,
    ]
