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


# ------------------------------------------------------- an address pasted while the line runs


def screen_lines(received: str) -> list[str]:
    """What a terminal shows for ``received``, line by line: enough of a VT100 for mighty's
    output (carriage return, newline, backspace, erasing a line, the cursor up), every other
    control sequence ignored, lines never wrapped."""
    import re

    lines, row, col = [""], 0, 0
    for token in re.findall(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[^\[]|[\r\n\b]|[^\x1b\r\n\b]+", received):
        if token == "\r":
            col = 0
        elif token == "\n":
            row += 1
            lines += [""] * (row + 1 - len(lines))
        elif token == "\b":
            col = max(col - 1, 0)
        elif token.startswith("\x1b["):
            final, number = token[-1], token[2:-1]
            if final == "K":
                line = lines[row]
                lines[row] = (
                    line[:col] if number in ("", "0") else " " * col if number == "1" else ""
                )
            elif final == "A":
                row = max(row - int(number or 1), 0)
        elif not token.startswith("\x1b"):
            line = lines[row].ljust(col)
            lines[row] = line[:col] + token + line[col + len(token) :]
            col += len(token)
    return [line.rstrip() for line in lines]


def _approved_redirect(url: str) -> str:
    import httpx

    return httpx.get(url, headers={"User-Agent": "test"}).headers["location"]


def test_a_pasted_address_stays_on_its_own_line(redirect_uri: str, tmp_path: Path) -> None:
    """The live line runs while a person pastes: what they paste is not drawn over, and ends
    up on a line of its own, a wrong address as much as the right one."""
    import re

    from mightycli.emulator import Emulator

    with Emulator(redirect_uris=(redirect_uri,), auto_approve=True) as emulator:
        leader, follower = os.openpty()
        env = {**_env(tmp_path), "NO_COLOR": "1"}
        env.pop("BROWSER")
        process = subprocess.Popen(
            [sys.executable, "-m", "mightycli", *login_args(emulator, redirect_uri), "--no-browser"],
            stdin=follower, stdout=follower, stderr=follower, env=env, close_fds=True,
        )  # fmt: skip
        os.close(follower)
        received = bytearray()

        def read_until(wanted: bytes, seconds: float = 30) -> None:
            deadline = time.monotonic() + seconds
            while wanted not in received and time.monotonic() < deadline:
                if select.select([leader], [], [], 0.2)[0]:
                    try:
                        received.extend(os.read(leader, 65536))
                    except OSError:
                        return

        read_until(b"Waiting for the browser: 0:0")
        url = re.search(rb"http://127\.0\.0\.1:\d+/oauth/authorize\S+", received)
        assert url, received
        address = _approved_redirect(url.group().decode())
        slip = "http://localhost:1/not-it"
        os.write(leader, slip[:12].encode())
        read_until(b"\x00", seconds=1.0)  # a second of the live line running meanwhile
        os.write(leader, slip[12:].encode() + b"\n")
        read_until(b"not an address under")
        read_until(b"\x00", seconds=1.0)  # the live line again
        os.write(leader, address[:40].encode())
        read_until(b"\x00", seconds=1.0)
        os.write(leader, address[40:].encode() + b"\n")
        read_until(b"Logged in to")
        read_until(b"\x00", seconds=0.5)
        code = process.wait(timeout=30)
        os.close(leader)
    text = received.decode("utf-8", "replace")
    lines = screen_lines(text)
    assert code == 0, text
    assert LIVE in text  # the live line ran while the person pasted
    assert slip in lines, lines
    assert "not an address under" in lines[lines.index(slip) + 1]
    assert address in lines, lines
    after = lines[lines.index(address) + 1 :]
    assert [line for line in after if line][:2] == [
        "Authorization received; exchanging the code for tokens...",
        "Logged in to Emulated Network as Ada Lovelace.",
    ], lines


def test_the_paste_line_edits_echoes_and_gives_the_terminal_back() -> None:
    import io
    import termios

    from mightycli.cli.render import PasteInput, WaitLine

    leader, follower = os.openpty()
    before = termios.tcgetattr(follower)
    line, echoed = WaitLine(), io.StringIO()

    def typed(paste: PasteInput, keys: bytes) -> bytes:
        os.write(leader, keys)
        lines = b""
        while select.select([follower], [], [], 0.3)[0]:
            lines += paste.read() or b""
        return lines

    try:
        with PasteInput(follower, line, echoed) as paste:
            mode = termios.tcgetattr(follower)[3]
            assert not mode & (termios.ECHO | termios.ICANON)  # key by key, echoed by mighty
            # A slip erased with backspace, an arrow key ignored: no line yet, the live line held.
            assert typed(paste, b"htx\x7ftp\x1b[D://a") == b"" and line.held
            # Ctrl-U takes the whole line back; Enter hands the line over.
            assert typed(paste, b"\x15http://b\r") == b"http://b\n" and not line.held
            assert typed(paste, b"\r") == b""  # an empty line is no answer
        assert echoed.getvalue() == "htx\b \btp://a" + "\b \b" * 8 + "http://b\n"
        assert termios.tcgetattr(follower) == before
    finally:
        os.close(leader)
        os.close(follower)


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
