"""Bad input is a usage error (exit 2) that says what was wrong and what to do, never an
"internal error", and never the whole of a huge value quoted back; and, as a property, random
bytes and lengths in every argument and variable give exit 0, 1, 2 or 4 with a sentence."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import inprocess
import pytest
from conftest import admin_token_login
from localserver import Reply, Server, serve

BIG = "a" * 130_000
ECHO = Reply(200, {"items": [], "links": {}})


@pytest.fixture
def recorder() -> Iterator[Server]:
    routes = {(m, "/admin/v1/networks/demo/me"): ECHO for m in ("GET", "POST")}
    with serve(routes) as server:
        yield server


def _env(server: Server) -> dict[str, str]:
    return {"MIGHTY_TOKEN": "tok-123", "MIGHTY_NETWORK": "demo", "MIGHTY_API_URL": server.url}


def _usage_error(args: Sequence[str | bytes], env: dict[str, str], *said: str) -> str:
    result = inprocess.run(args, env=env)
    assert result.code == 2, result.stderr
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr) < 1500, result.stderr[:3000]  # never the huge value in full
    for words in said:
        assert words in result.stderr, result.stderr
    return result.stderr


CASES: list[tuple[list[str | bytes], dict[str, str], tuple[str, ...]]] = [
    (["api", b"\xff"], {}, ("The endpoint is not valid UTF-8 text",)),
    (["api", "me", "-n", b"\xff"], {}, ("The --network value is not valid UTF-8 text",)),
    (["api", "me"], {"MIGHTY_NETWORK": "\udcff"}, ("The MIGHTY_NETWORK value is not valid UTF-8 text",)),
    (["api", BIG], {}, ("is too long", "characters")),
    (["api", "me", "-f", f"x={BIG}"], {}, ("is too long", "-X POST")),
    (["api", "-X", "ГЕТ", "me"], {}, ("is not an HTTP method", "GET, POST")),
    (["api", "-X", BIG, "me"], {}, ("is not an HTTP method",)),
    (["api", "-H", "X: ☃", "me"], {}, ("ASCII",)),
    (["api", "-H", "X☃: 1", "me"], {}, ("header name",)),
    (["api", "me\tx"], {}, ("The endpoint", "is not a valid address")),
    (["api", "--timeout", "1e400", "me"], {}, ("--timeout must be",)),
    (["api", "--timeout", "99999999999999999999999", "me"], {}, ("--timeout must be",)),
    (["api", "--timeout", BIG, "me"], {}, ("--timeout expects a number",)),
    (["api", "http://127.0.0.1:4500:99999/x"], {}, ("is not a valid URL",)),
    (["api", "--jq", BIG, "me"], {}, ("--jq",)),
    (["whoami", "-n", BIG], {}, ("Cannot tell which network",)),
    (["login", "-n", "", "--no-wait"], {}, ("--network is empty", "leave it out")),
    (["token", "--network="], {}, ("--network is empty",)),
    (["members", "list", "-n", ""], {}, ("--network is empty",)),
]


@pytest.mark.parametrize(("args", "env", "said"), CASES, ids=lambda v: repr(v)[:60])
def test_bad_input_is_a_usage_error(
    recorder: Server, args: list[str | bytes], env: dict[str, str], said: tuple[str, ...]
) -> None:
    _usage_error(args, {**_env(recorder), **env}, *said)
    assert recorder.requests == []  # refused before anything was sent


def test_a_client_id_that_is_not_utf8_is_a_usage_error(recorder: Server) -> None:
    login = ["login", "-n", "demo", "--issuer", recorder.url, "--no-wait"]
    _usage_error([*login, "--client-id", b"\xff"], {}, "The --client-id value is not valid UTF-8 text")
    _usage_error(login, {"MIGHTY_CLIENT_ID": "\udcff"}, "The MIGHTY_CLIENT_ID value is not valid UTF-8 text")


def test_a_keyring_timeout_that_is_no_number_names_the_variable(
    emulator: Any, run_mighty: Any
) -> None:
    admin_token_login(run_mighty, emulator)
    for value in ("nan", "inf", "-1", "soon", "1e400"):
        stderr = _usage_error(["token"], {"MIGHTY_KEYRING_TIMEOUT": value}, "MIGHTY_KEYRING_TIMEOUT")
        assert "seconds" in stderr
    assert inprocess.run(["token"], env={"MIGHTY_KEYRING_TIMEOUT": "5"}).code == 0


def test_a_completion_request_without_the_shells_words_is_a_usage_error() -> None:
    # Typer's scripts set complete_bash; bash_complete is Click's spelling, which Typer answered
    # with "Shell complete not supported." and exit 1.
    stderr = _usage_error([], {"_MIGHTY_COMPLETE": "complete_bash"}, "COMP_WORDS", "unset")
    assert "_MIGHTY_COMPLETE" in stderr
    for value in ("bash_complete", "nonsense", "complete_tcsh"):
        stderr = _usage_error([], {"_MIGHTY_COMPLETE": value}, "no completion request")
        assert "complete_bash" in stderr and "unset _MIGHTY_COMPLETE" in stderr
    bad_word = {"_MIGHTY_COMPLETE": "complete_bash", "COMP_WORDS": "mighty to", "COMP_CWORD": "x"}
    _usage_error([], bad_word, "COMP_CWORD")
    words = {"_MIGHTY_COMPLETE": "complete_bash", "COMP_WORDS": "mighty to", "COMP_CWORD": "1"}
    assert inprocess.run([], env=words).stdout == "token\n"
