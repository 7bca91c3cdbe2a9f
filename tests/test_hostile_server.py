"""A hostile server and the terminal: whatever text an answer carries (an error, a name, a title,
a header, a waiting time), what reaches a person holds no control character that could retitle,
clear or rewrite the screen, and what goes into a pipe stays exactly as it came."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import inprocess
import pytest
from localserver import Reply, Request, Server, serve

# An OSC that retitles the terminal, a CSI that clears it (in its 7-bit and 8-bit forms), a
# carriage return and a backspace that rewrite the line, DEL, and a lone surrogate.
HOSTILE = "\x1b]0;pwned\x07\x1b[2J\x9b2J\rAda\x08\x7f Lovelace"
CONTROLS = {*map(chr, range(0x20)), "\x7f", *map(chr, range(0x80, 0xA0))}


def controls_in(text: str, *, allow: str = "\n") -> set[str]:
    return {c for c in text if c in CONTROLS and c not in allow}


def _whoami_or_errors(request: Request) -> Reply:
    body = json.loads(request.body)
    if "MightyWhoami" in body["query"]:
        me = {"id": "m1", "name": HOSTILE, "email": "ada@example.com", "networkRole": HOSTILE}
        return Reply(200, {"data": {"me": me, "network": {"title": HOSTILE, "resourceId": "9"}}})
    return Reply(200, {"data": None, "errors": [{"message": HOSTILE}]})


MEMBER = {"id": 5, "first_name": HOSTILE, "last_name": "L", "email": "ada@example.com"}
ROUTES: dict[tuple[str, str], Any] = {
    ("GET", "/admin/v1/networks/demo/error"): Reply(400, {"error": HOSTILE}),
    ("GET", "/admin/v1/networks/demo/message"): Reply(422, {"message": HOSTILE}),
    ("GET", "/admin/v1/networks/demo/headers"): Reply(200, {}, headers={"X-Note": "a\x9b2Jb"}),
    ("GET", "/admin/v1/networks/demo/members"): Reply(200, {"items": [MEMBER], "links": {}}),
    ("GET", "/admin/v1/networks/demo/me"): Reply(
        200, {"user": {"id": 5, "name": HOSTILE}, "network": {"id": 9, "title": HOSTILE}}
    ),
    ("POST", "/networks/demo/graphql"): _whoami_or_errors,
    ("GET", "/admin/v1/networks/demo/later"): Reply(
        429, {}, headers={"Retry-After": "99999999999999999999999"}
    ),
}


@pytest.fixture
def hostile() -> Iterator[Server]:
    with serve(ROUTES) as server:
        yield server


def _env(server: Server) -> dict[str, str]:
    return {"MIGHTY_TOKEN": "tok-123", "MIGHTY_NETWORK": "demo", "MIGHTY_API_URL": server.url}


def _raw(args: list[str], env: dict[str, str], input: str | None = None) -> inprocess.RawResult:
    return inprocess.run_raw(args, env=env, input=input)


@pytest.mark.parametrize("endpoint", ["error", "message"])
def test_an_error_body_reaches_stderr_without_controls_and_stdout_byte_exact(
    hostile: Server, endpoint: str
) -> None:
    result = _raw(["api", endpoint], _env(hostile))
    assert result.code == 1
    stderr = result.stderr.decode()
    assert "pwned" in stderr and "Ada" in stderr  # the server's words are still shown
    assert controls_in(stderr) == set(), stderr
    key = "error" if endpoint == "error" else "message"
    # Into a pipe the body is data: exactly as it came, escapes and all.
    assert json.loads(result.stdout) == {key: HOSTILE}


def test_graphql_error_messages_reach_stderr_without_controls(hostile: Server) -> None:
    result = _raw(["api", "graphql", "-f", "query={ a }"], _env(hostile))
    assert result.code == 1
    stderr = result.stderr.decode()
    assert stderr.startswith("mighty: GraphQL: ") and controls_in(stderr) == set(), stderr


def test_whoami_shows_the_name_and_title_without_controls(hostile: Server) -> None:
    result = _raw(["whoami"], _env(hostile))
    assert result.code == 0, result.stderr
    text = result.stdout.decode()
    assert "pwned" in text and "Lovelace" in text
    assert controls_in(text) == set(), text
    # --json is data: the name exactly as the server gave it.
    data = json.loads(_raw(["whoami", "--json"], _env(hostile)).stdout)
    assert data["name"] == HOSTILE and data["network_title"] == HOSTILE


def test_status_and_login_show_stored_names_without_controls(hostile: Server) -> None:
    login = _raw(
        ["login", "--with-token", "-n", "demo", "--api-url", hostile.url], {}, input="tok-123\n"
    )
    assert login.code == 0, login.stderr
    assert "acting as" in login.stderr.decode() and controls_in(login.stderr.decode()) == set()
    status = _raw(["status"], {})
    assert status.code == 0, status.stderr
    text = status.stdout.decode()
    assert "pwned" in text and controls_in(text) == set(), text


def test_included_headers_reach_stderr_without_controls(hostile: Server) -> None:
    result = _raw(["api", "headers", "-i"], _env(hostile))
    assert result.code == 0
    stderr = result.stderr.decode()
    assert "x-note: a" in stderr.lower() and controls_in(stderr) == set(), stderr


def test_list_rows_into_a_pipe_stay_byte_exact(hostile: Server) -> None:
    result = _raw(["members", "list"], _env(hostile))
    assert result.code == 0, result.stderr
    # TSV escapes only its own separators (tab, line breaks, backslash); the rest is the data.
    assert HOSTILE.replace("\r", "\\r").encode() in result.stdout


def _on_a_terminal(args: list[str], env: dict[str, str]) -> tuple[int, str]:
    """Run mighty with stdout and stderr on a pseudo-terminal; its code and the screen."""
    main, secondary = os.openpty()
    full_env = {**os.environ, **env, "COLUMNS": "120", "TERM": "xterm-256color"}
    process = subprocess.Popen(
        [sys.executable, "-m", "mightycli", *args],
        stdin=subprocess.DEVNULL,
        stdout=secondary,
        stderr=secondary,
        env=full_env,
    )
    os.close(secondary)
    screen = bytearray()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if select.select([main], [], [], 0.5)[0]:
            try:
                chunk = os.read(main, 65536)
            except OSError:
                break
            if not chunk:
                break
            screen += chunk
        elif process.poll() is not None:
            break
    code = process.wait(timeout=30)
    os.close(main)
    return code, screen.decode("utf-8", "replace")


def test_a_table_on_a_terminal_holds_no_server_controls(hostile: Server) -> None:
    code, screen = _on_a_terminal(["members", "list"], _env(hostile))
    assert code == 0, screen
    assert "pwned" in screen and "ada@example.com" in screen
    # rich styles the header with its own escapes; the server's must not get through.
    assert "\x1b]0;" not in screen and "\x07" not in screen and "\x1b[2J" not in screen
    assert "\x9b" not in screen and "\x7f" not in screen and "\x08" not in screen


def test_an_authorization_error_description_reaches_stderr_without_controls(
    emulator: Any, redirect_uri: str, run_mighty: Any
) -> None:
    from conftest import login_args

    pending = run_mighty(*login_args(emulator, redirect_uri, "--no-wait", "--json"))
    assert pending.code == 0, pending.stderr
    url = json.loads(pending.stdout)["authorization_url"]
    state = parse_qs(urlsplit(url).query)["state"][0]
    address = (
        f"{redirect_uri}?error=access_denied&state={state}&iss={quote(emulator.url, safe='')}"
        f"&error_description={quote(HOSTILE)}"
    )
    result = run_mighty("login", "--complete", address)
    assert result.code == 1 and "denied" in result.stderr
    assert "pwned" in result.stderr and controls_in(result.stderr) == set(), result.stderr


def test_text_for_people_keeps_words_and_drops_what_drives_a_terminal() -> None:
    from mightycli.cli.output import for_people

    assert for_people(HOSTILE) == "]0;pwned[2J2JAda Lovelace"
    assert for_people("a\tb\nc") == "a b c" and for_people("a\nb", lines=True) == "a\nb"
    assert for_people("caf\u00e9 \u2603 \ud800") == "caf\u00e9 \u2603 \ufffd"


def test_pretty_json_escapes_what_json_dumps_leaves_raw(capsys: pytest.CaptureFixture[str]) -> None:
    from mightycli.cli.output import pretty_json

    pretty_json({"name": "\x9b2J\x7f\ud800 \x1b]0;x\x07 \u00e9"})
    shown = capsys.readouterr().out
    assert controls_in(shown) == set() and "\ud800" not in shown
    assert json.loads(shown) == {"name": "\x9b2J\x7f\ud800 \x1b]0;x\x07 \u00e9"}


def test_a_retry_after_beyond_any_clock_is_longer_than_mighty_waits(hostile: Server) -> None:
    result = _raw(["api", "later", "--max-wait", "99999999999999999999999"], _env(hostile))
    stderr = result.stderr.decode()
    assert result.code == 1 and "internal error" not in stderr, stderr
    assert "longer than mighty waits" in stderr and "Try again later" in stderr
