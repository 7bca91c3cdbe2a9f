"""One argument grammar: the fast route (mightycli.entry with mightycli.grammar) accepts exactly
what the Typer commands accept, and means the same by it.

Three layers: the grammar's description equals the Typer commands' parameters; on a table of
argument vectors (and on generated ones) whatever the grammar accepts, Typer passes the same
values to the same command function, and whatever Typer refuses, the grammar declines; and on
the same table the two routes print the same and exit alike, logged out and logged in.
"""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import typer
from conftest import admin_token_login, login_args
from hypothesis import given, settings
from hypothesis import strategies as st

from mightycli import cli, debug, entry, grammar, listings
from mightycli.cli import calling as commands
from mightycli.cli import output

KINDS: dict[Any, str] = {
    str: grammar.STR, float: grammar.FLOAT, bool: grammar.FLAG, int: grammar.INT
}  # fmt: skip
# Every command the grammar describes, by its words: token, ..., and the list commands.
DESCRIBED: dict[str, grammar.Command] = {
    **grammar.COMMANDS,
    **{key: grammar.list_command(key) for key in listings.LISTINGS},
}


def _typer_command(name: str) -> Any:
    from mightycli.cli.root import _built_for

    words = name.split()
    with _built_for(words):
        command = typer.main.get_command(cli.app)
    for word in words:
        command = command.commands[word]  # type: ignore[attr-defined]
    return command


@pytest.mark.parametrize("name", sorted(DESCRIBED))
def test_the_description_is_the_typer_commands(name: str) -> None:
    described = DESCRIBED[name]
    command = _typer_command(name)
    assert callable(getattr(commands, described.function))
    options = {o.dest: o for o in described.options}
    seen: set[str] = set()
    for param in command.params:
        if param.param_type_name == "argument":
            assert (param.name, param.required, param.nargs) == (
                described.argument and described.argument.dest,
                True,
                1,
            )
            continue
        option = options[param.name]
        seen.add(param.name)
        assert set(option.names) == set(param.opts) and not param.secondary_opts, param.name
        annotation = param.type_descriptor.annotation
        kind = KINDS[annotation.__args__[0] if param.multiple else annotation]
        assert (kind == grammar.FLAG) == param.is_flag, param.name
        assert (option.kind, option.multiple) == (kind, param.multiple), param.name
        assert option.default == param.default, param.name
    assert seen == set(options)
    assert command.context_settings.get("ignore_unknown_options") is not True


def test_the_root_options_the_grammar_takes_are_mightys() -> None:
    group = typer.main.get_command(cli.app)
    flags: dict[str, Any] = {opt: p for p in group.params for opt in p.opts}
    for name in grammar.ROOT_OPTIONS:
        assert flags[name].is_flag and flags[name].name == "debug"


# What Typer does with each vector, against what the grammar makes of it. Vectors marked True
# must take the fast route; the others may go either way, as long as the meaning is the same.
VECTORS: list[tuple[list[str], bool]] = [
    (["token"], True),
    (["token", "--network", "demo"], True),
    (["token", "-n", "demo"], True),
    (["token", "-ndemo"], True),
    (["token", "--network=demo"], True),
    (["token", "--network="], True),
    (["token", "--admin", "-n", "demo", "--admin"], True),
    (["token", "-n", "a", "-n", "b"], True),
    (["token", "--debug"], True),
    (["--debug", "token"], True),
    (["token", "--admin=yes"], False),
    (["token", "--network"], False),
    (["token", "-n", "--admin"], False),
    (["token", "extra"], False),
    (["token", "--help"], False),
    (["token", "-h"], False),
    (["token", "--netw", "demo"], False),
    (["token", "--", "x"], False),
    (["whoami"], True),
    (["whoami", "--json"], True),
    (["whoami", "--jq", ".name"], True),
    (["whoami", "--jq=.name", "--json", "-n", "demo"], True),
    (["whoami", "--json", "--debug"], True),
    (["whoami", "--no-json"], False),
    (["whoami", "--jq", "bad("], False),  # refused alike: by Typer's callback, by the command
    (["api", "--jq", "-", "members"], False),
    (["whoami", "--jq"], False),
    (["members", "list"], True),
    (["members", "list", "--all", "--format", "csv"], True),
    (["members", "list", "--space", "Welcome", "-L", "5"], True),
    (["members", "list", "-L5", "--json", "id,email", "--jq", ".[].id"], True),
    (["members", "list", "--limit=0"], True),
    (["members", "list", "--plan=Gold", "--space", "Welcome"], True),
    (["--debug", "plans", "members", "Gold", "--all"], True),
    (["events", "rsvps", "Office Hours", "--instance-at", "2026-01-15T17:00:00Z"], True),
    (["purchases", "list", "--member", "ada@example.com", "--plan", "Gold"], True),
    (["members", "list", "-L", "abc"], False),
    (["members", "list", "--limit", "-3"], False),
    (["members", "list", "extra"], False),
    (["plans", "members"], False),
    (["members", "list", "--help"], False),
    (["members", "view", "x"], False),
    (["members"], False),
    (["api", "members"], True),
    (["api", "graphql", "-f", "query={ me { name } }"], True),
    (["api", "--paginate", "members", "-f", "per_page=2"], True),
    (["api", "members", "-fper_page=2", "-F", "a=1", "-F", "b=true", "-H", "X-A: 1"], True),
    (["api", "-X", "PATCH", "members/5000003/", "-f", "first_name=Alan"], True),
    (["api", "-XGET", "members", "--method=POST"], True),
    (["api", "members", "--timeout", "5", "--max-wait", "0"], True),
    (["api", "members", "--timeout=2.5", "--max-wait=10."], True),
    (["api", "members", "--timeout", "0"], True),
    (["api", "members", "-i", "--silent", "--slurp", "--jq", "length"], True),
    (["api", "graphql", "--query-file", "-"], True),
    (["api", "--input", "-", "-X", "POST", "posts"], True),
    (["api", "--", "members"], True),
    (["api", "-", "--json"], False),
    (["api", "-"], True),
    (["api", ""], True),
    (["api"], False),
    (["api", "a", "b"], False),
    (["api", "members", "--timeout", "abc"], False),
    (["api", "members", "--timeout", "1e3"], False),
    (["api", "members", "--timeout", "-1"], False),
    (["api", "members", "--timeout", "nan"], False),
    (["api", "members", "--max-wait", "inf"], False),
    (["api", "members", "-iv"], False),
    (["api", "members", "--include=1"], False),
    (["api", "members", "-f"], False),
    (["api", "members", "-Z"], False),
    (["api", "members", "--header", "-H"], False),
    (["api", "-h"], False),
    (["--version"], False),
    (["status"], False),
    (["--debug"], False),
    ([], False),
]


class Recorder:
    """Stands in for the command functions: what each route passes them, and whether the
    route switched the debug log on. Like the real functions, a stand-in first compiles --jq:
    that check is the command's own on the fast route and Typer's option callback on the other,
    so a bad expression is refused on both with the same words."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        for described in DESCRIBED.values():
            monkeypatch.setattr(commands, described.function, self._stand_in(described.function))

    def _stand_in(self, function: str) -> Any:
        def record(**kwargs: Any) -> None:
            output.use_jq(kwargs.get("jq"))
            self.calls.append((function, {**kwargs, "debug": debug.current() is not None}))

        return record

    def run(self, main: Any, args: list[str]) -> Run:
        """A whole run through ``main``: its exit code, what it said, the calls it made."""
        self.calls.clear()
        err = io.StringIO()
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
            code = main(list(args))
        return Run(code, err.getvalue(), [typed(call) for call in self.calls])


@dataclass(frozen=True)
class Run:
    code: int
    stderr: str
    calls: list[tuple[str, list[tuple[str, str, Any]]]]


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Iterator[Recorder]:
    yield Recorder(monkeypatch)


def typed(route: tuple[str, dict[str, Any]]) -> tuple[str, list[tuple[str, str, Any]]]:
    """A call with each value's type, so that 30 and 30.0 differ."""
    function, values = route
    return function, sorted((k, type(v).__name__, v) for k, v in values.items())


def check_same_meaning(recorder: Recorder, args: list[str]) -> tuple[Run, Run | None]:
    """Typer's run of ``args`` and, when the grammar takes them, the fast route's: the same
    values to the same function, or the same refusal; whatever the grammar declines is
    Typer's alone."""
    full = recorder.run(cli.main, args)
    parsed = grammar.parse(args)
    if parsed is None:
        return full, None
    fast = recorder.run(entry.main, args)
    assert fast == full, args
    command, values = parsed
    if full.code == 0:  # the fast route ran the command with what the grammar read
        assert fast.calls == [typed((command.function, values))], args
    return full, fast


@pytest.mark.parametrize(("args", "takes_fast_route"), VECTORS, ids=lambda v: repr(v))
def test_the_fast_route_means_what_typer_means(
    recorder: Recorder, args: list[str], takes_fast_route: bool
) -> None:
    full, fast = check_same_meaning(recorder, args)
    if takes_fast_route:
        assert fast is not None and full.code == 0 and full.calls, args


def test_the_table_holds_refusals_and_fast_forms(recorder: Recorder) -> None:
    outcomes = [recorder.run(cli.main, args) for args, _ in VECTORS]
    assert sum(o.code != 0 for o in outcomes) >= 15  # errors are in the table
    assert sum(fast for _, fast in VECTORS) >= 30


WORDS = st.sampled_from(
    sorted({name for c in DESCRIBED.values() for o in c.options for name in o.names})
    + ["--help", "-h", "--bogus", "-Z", "--", "-", "", "x", "members", "a=b", "30", "2.5"]
    + ["1e3", "-1", "nan", ".", "--json=1", "-nfoo", "-iX", "--timeout=7", "-X", "token"]
)


@settings(max_examples=300, deadline=None)
@given(
    command=st.sampled_from(sorted(DESCRIBED)),
    words=st.lists(WORDS, max_size=6),
    debug_first=st.booleans(),
)
def test_generated_vectors_mean_the_same_on_both_routes(
    command: str, words: list[str], debug_first: bool
) -> None:
    with pytest.MonkeyPatch.context() as monkeypatch:
        recorder = Recorder(monkeypatch)
        check_same_meaning(recorder, ["--debug"] * debug_first + [*command.split(), *words])


# --------------------------------------------------------------------------- whole runs


def both_routes(capsys: pytest.CaptureFixture[str], args: list[str]) -> list[Any]:
    """Exit code, stdout and stderr of the full command line and of the entry point.

    A response's `date:` header (shown by `-i`) is the one thing allowed to differ: two runs a
    moment apart can fall either side of a second.
    """
    results = []
    for main in (cli.main, entry.main):
        code = main(list(args))
        out, err = capsys.readouterr()
        results.append((code, out, SERVER_DATE.sub("date: <when>", err)))
    return results


SERVER_DATE = re.compile(r"^date: .*$", re.MULTILINE | re.IGNORECASE)


# Those that would read standard input are left to the table above: this run has none.
WITHOUT_STDIN = [args for args, _ in VECTORS if "-" not in args]


@pytest.mark.parametrize("args", WITHOUT_STDIN, ids=repr)
def test_logged_out_both_routes_print_and_exit_alike(
    capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    full, fast = both_routes(capsys, args)
    assert fast == full


LOGGED_IN = [
    ["token"],
    ["token", "--admin"],
    ["whoami"],
    ["whoami", "--json"],
    ["whoami", "--jq", ".name"],
    ["whoami", "--jq", "bad("],
    ["api", "members", "-f", "per_page=2", "--paginate"],
    ["api", "members", "-f", "per_page=2", "--slurp", "--jq", "length"],
    ["api", "graphql", "-f", "query={ me { name } }"],
    ["api", "members/9999999/"],
    ["api", "members", "--timeout", "0"],
    ["api", "nowhere", "-i"],
    # Refused by the command functions both routes share (issue 20): the same words on each.
    ["api", "-X", "ГЕТ", "members"],
    ["api", "members", "-H", "X: ☃"],
    ["api", "me\tx"],
    ["api", "members", "--timeout", "99999999999999999999999"],
    ["api", "members", "--timeout", "1e400"],
    ["api", "a" * 70_000],
    ["token", "--network="],
    ["whoami", "-n", ""],
    ["members", "list", "-n", ""],
    ["api", "members", "-f", "email=ada@example.com"],  # a warning, then the GET
    ["api", "members", "--paginate", "--jq", ".items[]"],
]


def test_logged_in_both_routes_print_and_exit_alike(
    capsys: pytest.CaptureFixture[str], run_mighty: Any, emulator: Any, redirect_uri: str
) -> None:
    assert run_mighty(*login_args(emulator, redirect_uri)).code == 0
    admin_token_login(run_mighty, emulator)
    outcomes = []
    for args in LOGGED_IN:
        full, fast = both_routes(capsys, args)
        assert fast == full, args
        outcomes.append(full[0])
    assert outcomes.count(0) >= 8 and set(outcomes) - {0}  # successes and failures compared


def test_an_option_described_once_reaches_typer_with_its_help() -> None:
    # One edit: an option added to a command's description is a Typer option, help and all.
    from mightycli.cli.calls import declare

    extra = grammar.Option("colour", ("--colour",), metavar="WHEN", help="When to colour.")
    described = grammar.Command("show_whoami", (*grammar.COMMANDS["whoami"].options, extra))
    app = typer.Typer()
    app.command("probe")(declare("probe", described))
    app.command("other")(lambda: None)
    probe = typer.main.get_command(app).commands["probe"]  # type: ignore[attr-defined]
    option = next(p for p in probe.params if p.name == "colour")
    assert option.opts == ["--colour"] and option.metavar == "WHEN"
    assert option.help == "When to colour."
