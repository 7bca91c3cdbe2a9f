"""Bad input is a usage error (exit 2) that says what was wrong and what to do, never an
"internal error", and never the whole of a huge value quoted back; and, as a property, random
bytes and lengths in every argument and variable give exit 0, 1, 2 or 4 with a sentence."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import inprocess
import pytest
from conftest import admin_token_login
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from localserver import Reply, Server, serve

from mightycli.environment import Env

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
    (
        ["api", "me"],
        {"MIGHTY_NETWORK": "\udcff"},
        ("The MIGHTY_NETWORK value is not valid UTF-8 text",),
    ),
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
    _usage_error(
        [*login, "--client-id", b"\xff"], {}, "The --client-id value is not valid UTF-8 text"
    )
    _usage_error(
        login, {"MIGHTY_CLIENT_ID": "\udcff"}, "The MIGHTY_CLIENT_ID value is not valid UTF-8 text"
    )


def test_a_keyring_timeout_that_is_no_number_names_the_variable(
    emulator: Any, run_mighty: Any
) -> None:
    admin_token_login(run_mighty, emulator)
    for value in ("nan", "inf", "-1", "soon", "1e400"):
        stderr = _usage_error(
            ["token"], {"MIGHTY_KEYRING_TIMEOUT": value}, "MIGHTY_KEYRING_TIMEOUT"
        )
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


# --------------------------------------------------------------------------- the property

# No NUL (no argument or variable can hold one) and no lone surrogate that bytes could not have
# made: argv and the environment reach Python through os.fsdecode.
_TEXT = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=24)
_BYTES = st.binary(max_size=16).filter(lambda b: b"\x00" not in b).map(os.fsdecode)
_HUGE = st.sampled_from([201, 5000, 70_000, 130_000]).map(lambda n: "a" * n)
_PLAUSIBLE = st.sampled_from(
    ["", "-", "--", "0", "-1", "nan", "inf", "1e400", "99999999999999999999999", "2.5", "30"]
    + ["members", "graphql", "me", "members/5000003/", "spaces/7001/members", "emulated"]
    + ["ГЕТ", "PATCH", "X: ☃", "X-A: 1", "me\tx", "a=b", "per_page=2", "query={ me { name } }"]
    + ["@-", ".name", ".items[]", "length", "bad(", "csv", "ndjson", "table", "id,email"]
    + ["http://127.0.0.1:4500:99999/x", "https://evil.example/x", "ada@example.com", "Gold"]
    + ["--help", "--json", "--debug", "--paginate", "--slurp", "-i", "--silent", "--all"]
    + ["complete_bash", "source_zsh", "bash_complete", "file", "keyring", "1", "true"]
)
WORDS = st.one_of(_PLAUSIBLE, _PLAUSIBLE, _TEXT, _BYTES, _HUGE)

# The main commands, each with the words that stand before the random ones and how many random
# positional arguments it takes; logins never wait for a browser.
COMMANDS: list[tuple[list[str], int]] = [
    (["api"], 1), (["api", "members"], 0), (["api", "graphql"], 0), (["token"], 0),
    (["whoami"], 0), (["status"], 0), (["status", "--check"], 0), (["switch"], 1),
    (["members", "list"], 0), (["plans", "members"], 1), (["spaces", "list"], 0),
    (["apply", "rows.csv"], 0), (["apply"], 1), (["login", "--no-wait"], 0),
    (["login", "--with-token"], 0), (["login", "--complete"], 1), (["completion"], 1),
    (["help"], 1), ([], 1),
]  # fmt: skip
NO_URL = _TEXT.filter(lambda t: "://" not in t)
# Values an option is meant to take, so that runs get past the first check now and then.
MEANT = {
    "--network": ["emulated"], "-n": ["emulated"], "--jq": [".", ".name", "length", ".[0]"],
    "--format": ["csv", "tsv", "ndjson", "table"], "--json": ["id,email", "email"],
    "--raw-field": ["per_page=2", "email=ada@example.com"], "-f": ["per_page=2", "query={ me { name } }"],
    "--field": ["n=5", "x=@-"], "-F": ["flag=true"], "--header": ["X-A: 1"], "-H": ["X-A: 1"],
    "--method": ["GET", "POST", "PATCH"], "-X": ["GET", "DELETE"], "--timeout": ["5", "0.5"],
    "--max-wait": ["0", "1"], "--limit": ["3"], "-L": ["1"], "--scope": ["read:network"],
    "-s": ["read:userinfo"], "--client-id": ["emulator-public-client"], "--input": ["-", "rows.csv"],
    "--query-file": ["-"], "--log": ["run.log"], "--rate": ["6000"], "--space": ["Welcome"],
    "--plan": ["Gold"],
}  # fmt: skip


def _options(words: list[str]) -> tuple[list[str], list[str]]:
    """The flags and the options taking a value of the command named by ``words`` (mighty's own
    for none), as Typer has them."""
    import typer

    from mightycli import cli
    from mightycli.cli.root import _built_for

    with _built_for(words):
        command: Any = typer.main.get_command(cli.app)
    for word in [w for w in words if not w.startswith("-")][:2]:
        command = command.commands.get(word, command) if hasattr(command, "commands") else command
    flags: set[str] = set()
    valued: set[str] = set()
    for param in command.params:
        if param.param_type_name == "option":
            (flags if param.is_flag else valued).update(param.opts)
    return sorted(flags), sorted(valued)


# Options that name a server: their values only ever name this machine.
SERVER_OPTIONS = ("--api-url", "--issuer", "--redirect-uri")


def _not_slow(value: str) -> bool:
    """Not a --rate that paces apply to a few requests a minute (a wait, not a failure)."""
    try:
        return not 0 < int(value) < 1000  # as Typer reads an integer: " 5", "+5", "5_0"
    except ValueError:
        return True


@st.composite
def arguments(
    draw: st.DrawFn, words: list[str], positional: int, urls: st.SearchStrategy[str]
) -> list[str]:
    """``words``, then options with values (mostly) and flags in any order, the positional
    arguments among them, and now and then a stray word."""
    flags, valued = _options(words)
    items: list[list[str]] = [[draw(WORDS)] for _ in range(positional)]
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.integers(0, 9))
        if kind < 6 and valued:
            option = draw(st.sampled_from(valued))
            meant = st.sampled_from(MEANT.get(option, ["emulated"]))
            value = urls if option in SERVER_OPTIONS else st.one_of(meant, meant, WORDS)
            value = value.filter(_not_slow) if option == "--rate" else value
            items.append([option, draw(value)])
        elif kind < 9 and flags:
            items.append([draw(st.sampled_from(flags))])
        else:
            items.append([draw(WORDS)])
    order = draw(st.permutations(items))
    return [*words, *(word for item in order for word in item)]


@st.composite
def environments(draw: st.DrawFn, local_urls: list[str], config_dirs: list[str]) -> dict[str, str]:
    """Random values for the variables mighty reads, each now and then; those that name a server
    only ever name this machine, and the config folder is one of this test's."""
    value = st.one_of(_PLAUSIBLE, _TEXT, _BYTES, _HUGE)
    urls = local(local_urls)
    special: dict[str, st.SearchStrategy[str]] = {
        "MIGHTY_API_URL": urls,
        "MIGHTY_ISSUER": urls,
        "MIGHTY_REDIRECT_URI": st.sampled_from(["http://localhost:3000/callback"]) | NO_URL,
        "MIGHTY_CONFIG_DIR": st.sampled_from(config_dirs),
        "MIGHTY_NETWORK": st.just("emulated") | value,
        "MIGHTY_TOKEN": st.just("emulator-admin-api-token") | value,
        "MIGHTY_KEYRING_TIMEOUT": st.just("5") | value,
        "MIGHTY_DEBUG": st.sampled_from(["1", "0", "yes"]) | value,
    }
    env: dict[str, str] = {}
    for name in [e.value for e in Env]:
        if draw(st.integers(0, 39 if name == Env.COMPLETE else 11)) == 0:
            env[name] = draw(special.get(name, value))
    if Env.COMPLETE in env:
        env["COMP_WORDS"] = draw(st.just("mighty to") | value)
        env["COMP_CWORD"] = draw(st.sampled_from(["1", "0", "x"]) | value)
    return env


def local(urls: list[str]) -> st.SearchStrategy[str]:
    """A server's address on this machine, or text that names none."""
    return st.sampled_from(urls) | NO_URL


def _loopback_only(outside: list[str]) -> Any:
    """httpx's transport, refusing (and noting) any request for a host off this machine."""
    import httpx

    from mightycli.config import is_loopback_host

    send = httpx.HTTPTransport.handle_request

    def handle_request(self: httpx.HTTPTransport, request: httpx.Request) -> httpx.Response:
        if not is_loopback_host(request.url.host):
            outside.append(str(request.url))
            raise httpx.ConnectError("the test allows loopback hosts only", request=request)
        return send(self, request)

    return handle_request


def test_random_arguments_and_variables_give_a_sentence_never_an_internal_error(
    emulator: Any,
    redirect_uri: str,
    run_mighty: Any,
    isolated: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import httpx
    from conftest import login_args

    assert run_mighty(*login_args(emulator, redirect_uri)).code == 0
    admin_token_login(run_mighty, emulator)
    outside: list[str] = []
    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", _loopback_only(outside))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)  # whatever a random argument names as a file is under here
    # The emulator only: a closed port is retried with real backoff (15 s a run); its
    # failure is tested in test_cli_api.
    local_urls = [emulator.url, emulator.url.replace("127.0.0.1", "localhost")]
    config_dirs = [str(isolated / "config"), str(tmp_path / "elsewhere"), str(work / "-")]

    @settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
    @given(
        args=st.sampled_from(COMMANDS).flatmap(lambda c: arguments(*c, local(local_urls))),
        env=environments(local_urls, config_dirs),
        stdin=st.binary(max_size=64) | st.just(b"emulator-admin-api-token\n"),
        sheet=st.binary(max_size=64) | st.just(b"email,plans\nada@example.com,Gold\n"),
    )
    def check(args: list[str], env: dict[str, str], stdin: bytes, sheet: bytes) -> None:
        # Unset, they would be https://<network>.mn.co and https://api.mn.co.
        env.setdefault("MIGHTY_ISSUER", emulator.url)
        env.setdefault("MIGHTY_API_URL", emulator.url)
        outside.clear()
        (work / "rows.csv").write_bytes(sheet)
        result = inprocess.run_raw(args, env={"BROWSER": "true", **env}, input=stdin)
        stderr = result.stderr.decode("utf-8", "backslashreplace")
        event(f"exit {result.code}")
        shown = f"mighty {args!r:.300} with {env!r:.300}: {result.code}\n{stderr[:2000]}"
        assert result.code in (0, 1, 2, 4), shown
        assert "internal error" not in stderr and "Traceback" not in stderr, shown
        # A failure says why: on stderr, or in the report status --check prints.
        assert result.code == 0 or stderr.strip() or result.stdout.strip(), shown
        debug = "--debug" in args or "MIGHTY_DEBUG" in env or "-i" in args
        assert debug or len(stderr) < 20_000, shown  # no huge value quoted back whole
        assert outside == [], outside

    check()
