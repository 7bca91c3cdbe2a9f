"""Live lines as a person sees them. The login wait: on a terminal (a real pty) a live line with the time waited
and the limit; into a pipe plain lines only; and a hint when no callback has come for a minute. Paging shows its progress the same way."""

from __future__ import annotations

import os
import select
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import admin_token_login, login_args

from mightycli import config, oauth
from mightycli.emulator import PUBLIC_CLIENT_ID
from mightycli.logins import LoginOptions
from mightycli.logins.flow import SLOW_LOGIN_HINT_AFTER, _WaitTicker

LIVE = "Waiting for the browser: 0:0"  # the live line's text, with the time waited


@pytest.fixture
def logged_in_admin(emulator, run_mighty):  # type: ignore[no-untyped-def]
    admin_token_login(run_mighty, emulator)
    return emulator


# the live line's text, with the time waited


def _slow_browser(tmp_path: Path) -> Path:
    """A $BROWSER that lets mighty wait a few seconds before it approves."""
    path = tmp_path / "slow-browser"
    path.write_text(
        f'#!/bin/sh\nsleep 3\nexec {sys.executable} -m mightycli.emulator.browser "$1"\n'
    )
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def _env(tmp_path: Path) -> dict[str, str]:
    env = {**os.environ, "BROWSER": str(_slow_browser(tmp_path)), "COLUMNS": "100"}
    env.pop("NO_COLOR", None)  # a terminal as people have it
    env["TERM"] = "xterm-256color"
    return env


def _run_on_pty(args: list[str], env: dict[str, str]) -> tuple[int, str]:
    """Run mighty with stdout and stderr on a pseudo-terminal; return its code and what the
    terminal received."""
    main, secondary = os.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "mightycli", *args],
        stdin=subprocess.DEVNULL,
        stdout=secondary,
        stderr=secondary,
        env=env,
    )
    os.close(secondary)
    received = bytearray()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([main], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # the other side closed: the process has ended
                break
            if not chunk:
                break
            received += chunk
        elif process.poll() is not None:
            break
    code = process.wait(timeout=30)
    os.close(main)
    return code, received.decode("utf-8", "replace")


def test_live_line_on_a_terminal(emulator, redirect_uri, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    code, screen = _run_on_pty(login_args(emulator, redirect_uri), _env(tmp_path))
    assert code == 0, screen
    assert LIVE in screen and "of 0:30" in screen  # time waited and the limit (--timeout 30)
    assert "\x1b[" in screen  # drawn in place with terminal control sequences
    host = emulator.url.split("//", 1)[1]
    assert f"Opening your browser at {host}. If it does not open, visit:" in screen
    assert "Logged in to Emulated Network as Ada Lovelace." in screen


def test_plain_lines_into_a_pipe(emulator, redirect_uri, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = subprocess.run(
        [sys.executable, "-m", "mightycli", *login_args(emulator, redirect_uri)],
        capture_output=True,
        text=True,
        env=_env(tmp_path),
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stderr
    assert LIVE not in result.stderr and "\x1b[" not in result.stderr
    assert f"Waiting for the browser to return to {redirect_uri}" in result.stderr
    # What the browser prints is its own: mighty starts it with its output elsewhere.
    assert "scripted browser" not in result.stderr


def _options() -> LoginOptions:
    return LoginOptions(
        network="emulated",
        issuer="https://emulated.mn.co",
        api_url="https://api.mn.co",
        client=oauth.ClientCredentials(PUBLIC_CLIENT_ID),
        scopes=config.DEFAULT_SCOPES,
        redirect_uri="http://localhost:3000/callback",
        timeout=300,
    )


def test_a_minute_without_callback_hints_what_to_check() -> None:
    notes: list[str] = []
    heard: list[tuple[float | None, float]] = []
    ticker = _WaitTicker(
        _options(), notes.append, lambda elapsed, limit: heard.append((elapsed, limit))
    )
    for elapsed in (0.0, 0.5, SLOW_LOGIN_HINT_AFTER - 0.5):
        ticker(elapsed)
    assert notes == []
    ticker(SLOW_LOGIN_HINT_AFTER)
    ticker(SLOW_LOGIN_HINT_AFTER + 0.5)
    ticker.done()
    assert len(notes) == 1  # once
    hint = notes[0]
    assert PUBLIC_CLIENT_ID in hint and "http://localhost:3000/callback" in hint
    assert "client id" in hint and "redirect URI" in hint and "browser" in hint
    assert heard[-1] == (None, 300) and heard[0] == (0.0, 300)


def _paging_on_a_terminal(stdout: Any, env: dict[str, str]) -> tuple[int, str]:
    """`mighty api members --paginate` with stderr on a pseudo-terminal and stdout where the
    caller puts it; the exit code and what the terminal received."""
    args = ["-m", "mightycli", "api", "members", "-f", "per_page=2", "--paginate"]
    main, secondary = os.openpty()
    process = subprocess.Popen([sys.executable, *args], stdout=stdout, stderr=secondary, env=env)
    os.close(secondary)
    screen = bytearray()
    while process.poll() is None or select.select([main], [], [], 0.2)[0]:
        if not select.select([main], [], [], 0.2)[0]:
            continue
        try:
            chunk = os.read(main, 65536)
        except OSError:
            break
        if not chunk:
            break
        screen += chunk
    process.wait(timeout=60)
    os.close(main)
    return process.returncode, screen.decode("utf-8", "replace")


def test_paging_progress_is_drawn_only_when_the_data_goes_to_a_file(  # type: ignore[no-untyped-def]
    logged_in_admin, tmp_path: Path
) -> None:
    env = _env(tmp_path)
    into = tmp_path / "members.ndjson"
    with into.open("wb") as file:
        code, screen = _paging_on_a_terminal(file, env)
    assert code == 0, screen
    items = len(into.read_text().splitlines())
    pages = -(-items // 2)  # per_page=2
    assert items >= 4
    # The line ends showing the final counts, and stays: nothing erases it or moves up over it.
    last = screen[screen.rindex("Fetched ") :]
    assert last.startswith(f"Fetched {pages} pages, {items} items"), repr(screen[-400:])
    assert "\x1b[2K" not in last and "\x1b[1A" not in last, repr(screen[-400:])


def test_no_paging_progress_when_the_data_goes_into_a_pipe(  # type: ignore[no-untyped-def]
    logged_in_admin, tmp_path: Path
) -> None:
    # `| head` or `| jq` write the data to this very terminal: a live line drawn there would
    # overwrite it, so a pipe gets none.
    code, screen = _paging_on_a_terminal(subprocess.PIPE, _env(tmp_path))
    assert code == 0 and "Fetched" not in screen and "\x1b[" not in screen, repr(screen)
    piped = subprocess.run(
        [sys.executable, "-m", "mightycli", "api", "members", "--paginate"],
        capture_output=True,
        text=True,
        env=_env(tmp_path),
    )
    assert piped.returncode == 0 and piped.stderr == ""
    assert len(piped.stdout.splitlines()) >= 4


def test_where_the_data_surely_goes_elsewhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mightycli.cli.calling import data_goes_elsewhere

    main, secondary = os.openpty()
    other_main, other = os.openpty()
    read_end, write_end = os.pipe()
    terminal = os.fdopen(secondary, "w")
    targets = {
        "file": (open(tmp_path / "out", "w"), True),
        "null": (open(os.devnull, "w"), True),
        "other terminal": (os.fdopen(other, "w"), True),
        "same terminal": (os.fdopen(os.dup(secondary), "w"), False),
        "pipe": (os.fdopen(write_end, "w"), False),
    }
    monkeypatch.setattr(sys, "stderr", terminal)
    try:
        for name, (stream, expected) in targets.items():
            monkeypatch.setattr(sys, "stdout", stream)
            assert data_goes_elsewhere() is expected, name
    finally:
        monkeypatch.undo()
        for stream, _ in targets.values():
            stream.close()
        terminal.close()
        for fd in (main, other_main, read_end):
            os.close(fd)
