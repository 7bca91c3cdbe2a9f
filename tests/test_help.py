"""Help that reads well at any width: real metavars, first-sentence summaries, option names and
values never split, defaults shown one way, plain usage errors, `mighty help`, --debug anywhere."""

from __future__ import annotations

import re
import subprocess
import sys

import inprocess
import pytest

COMMANDS = (
    "login", "whoami", "token", "status", "switch", "logout", "api", "apply", "emulator", "completion",
    "help",
)  # fmt: skip
GROUPS = (
    "members", "plans", "spaces", "tags", "badges", "invites", "events", "posts", "subscriptions",
    "purchases", "webhooks",
)  # fmt: skip
WIDTHS = ("60", "200")


def mighty(*args: str, columns: str = "80") -> subprocess.CompletedProcess[str]:
    # In process (tests/inprocess.py): help is laid out for COLUMNS when it is drawn.
    result = inprocess.run(args, env={"COLUMNS": columns}, timeout=60)
    return subprocess.CompletedProcess(["mighty", *args], result.code, result.stdout, result.stderr)


def _help(*args: str, columns: str = "80") -> str:
    result = mighty(*args, "--help", columns=columns)
    assert result.returncode == 0, result.stderr
    return result.stdout


def subcommands() -> list[str]:
    """Every command of every group, as "members list"."""
    found = []
    for group in GROUPS:
        text = _help(group, columns="200").split("Commands:", 1)[1]
        found += [f"{group} {name}" for name in re.findall(r"^  ([a-z]+)\s", text, re.M)]
    return found


SUBCOMMANDS = subcommands()


def _option_names(text: str) -> set[str]:
    """Every long option named in the options column."""
    names = set(re.findall(r"^\s+(?:-\w, )?(--[a-z][\w-]*)", text, re.M))
    # A flag with its negation: --welcome-email / --no-welcome-email
    return names | set(re.findall(r"^\s+(?:-\w, )?--[a-z][\w-]* / (--[a-z][\w-]*)", text, re.M))


@pytest.mark.parametrize("columns", WIDTHS)
@pytest.mark.parametrize("command", COMMANDS + tuple(SUBCOMMANDS))
def test_help_has_real_metavars_and_whole_option_names(command: str, columns: str) -> None:
    text = _help(*command.split(), columns=columns)
    # No type placeholders, no braces around a required argument.
    assert not re.search(r"<(str|int|float|bool)>", text), text
    assert not re.search(r"\{[A-Z]+\}", text), text
    names = _option_names(text)
    assert "--help" in names and ("--debug" in names or command in ("help", "completion"))
    for line in text.splitlines():
        # An option name is never cut at a hyphen: no line ends inside one.
        assert not re.search(r"(^|\s)--?[\w-]*-$", line), (columns, line)
    # Every option named anywhere in the text is a whole name of some command's option.
    body = " ".join(text.split())
    for mention in re.findall(r"(?<![\w-])(--[a-z][a-z-]*[a-z])", body):
        assert mention in names or mention in ALL_OPTIONS, (columns, mention)


def _all_options() -> set[str]:
    found: set[str] = set()
    for command in (*COMMANDS, *SUBCOMMANDS):
        found |= _option_names(_help(*command.split(), columns="200"))
    return found | {"--version"}


ALL_OPTIONS = _all_options()


def test_metavars_name_what_is_expected() -> None:
    assert "Usage: mighty api [OPTIONS] ENDPOINT\n" in _help("api")
    assert "Usage: mighty switch [OPTIONS] [NETWORK]\n" in _help("switch")
    assert "Usage: mighty help [OPTIONS] [COMMAND]\n" in _help("help")
    emulator = _help("emulator", columns="200")
    for expected in ("--host ADDRESS", "-p, --port PORT", "--token-ttl SECONDS", "--members COUNT"):
        assert expected in emulator
    assert "-n, --network NETWORK" in _help("status")
    assert "--timeout SECONDS" in _help("login") and "--timeout SECONDS" in _help("api")


@pytest.mark.parametrize("columns", WIDTHS)
def test_summaries_are_first_sentences(columns: str) -> None:
    text = _help(columns=columns)
    commands = text.split("Commands:", 1)[1]
    summaries: dict[str, str] = {}
    current = ""
    for line in commands.splitlines():
        match = re.match(r"^  ([a-z]+)\s+(.*)$", line)
        if match:
            current = match.group(1)
            summaries[current] = match.group(2)
        elif line.strip():
            summaries[current] += " " + line.strip()
    assert set(summaries) == set(COMMANDS) | set(GROUPS)
    for name, summary in summaries.items():
        assert not summary.endswith("..."), summary
        first = " ".join(_help(name, columns="200").split("\n\n")[1].split())
        assert first.startswith(summary), (name, summary)
        assert summary.endswith("."), summary
    assert summaries["login"] == (
        "Log in to a network through the browser and keep the tokens in the OS keyring."
    )


def test_defaults_are_shown_one_way() -> None:
    login = " ".join(_help("login", columns="200").split())
    assert "[default: 300]" in login
    assert "[default: http://localhost:3000/callback]" in login
    assert "[default: https://api.mn.co]" in login
    assert "[default: read:userinfo read:network]" in login
    api = " ".join(_help("api", columns="200").split())
    assert "[default: 30]" in api and "[default: 60]" in api
    for command in COMMANDS:
        text = " ".join(_help(command, columns="200").split())
        assert not re.search(r"\(default \w", text), command  # no prose defaults
        assert "[default: (" not in text
        assert not re.search(r"\[default: \d+\.0\]", text), command


@pytest.mark.parametrize("command", [c for c in COMMANDS if c != "help"])
def test_help_command_prints_the_same_as_help_option(command: str) -> None:
    assert mighty("help", command).stdout == _help(command)


def test_help_alone_prints_the_command_list() -> None:
    result = mighty("help")
    assert result.returncode == 0
    assert result.stdout == _help()


def test_help_for_an_unknown_command_is_a_usage_error() -> None:
    result = mighty("help", "nope")
    assert result.returncode == 2
    assert "No such command 'nope'" in result.stderr


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("emulator", "--port", "abc"), "--port expects a whole number, got 'abc'."),
        (("emulator", "-p", "4.5"), "--port expects a whole number, got '4.5'."),
        (("login", "--timeout", "soon"), "--timeout expects a number, got 'soon'."),
        (("api", "members", "--max-wait", "x"), "--max-wait expects a number, got 'x'."),
    ],
)
def test_a_bad_number_is_a_plain_usage_error(args: tuple[str, ...], expected: str) -> None:
    result = mighty(*args)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == f"Error: {expected}"
    assert "Input should be" not in result.stderr  # not the validator's words
    assert result.stderr.startswith(f"Usage: mighty {args[0]} ")


@pytest.mark.parametrize(
    "args", [("whoami", "-n"), ("api", "members", "--timeout"), ("login", "--client-id")]
)
def test_a_missing_option_value_gets_the_usage_line(args: tuple[str, ...]) -> None:
    result = mighty(*args)
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert lines[0].startswith(f"Usage: mighty {args[0]} [OPTIONS]")
    assert lines[1] == f"Try 'mighty {args[0]} -h' for help."
    assert lines[-1].startswith("Error: Option ") and "requires an argument" in lines[-1]


def test_debug_is_accepted_after_the_command() -> None:
    after = mighty("status", "--debug")
    before = mighty("--debug", "status")
    assert after.returncode == before.returncode == 4  # not logged in, not a usage error
    assert "No such option" not in after.stderr
    assert after.stderr == before.stderr


def test_the_emulator_summary_is_its_own_first_sentence() -> None:
    # The command list shows the emulator's summary without loading the emulator.
    from mightycli.cli.base import first_sentence
    from mightycli.cli.emulator import SUMMARY
    from mightycli.emulator.command import emulator

    assert SUMMARY == first_sentence(emulator.__doc__)


def test_every_group_lists_its_commands_with_their_first_sentences() -> None:
    assert len(SUBCOMMANDS) >= 30
    assert {"members list", "plans grant", "spaces remove", "events rsvps"} <= set(SUBCOMMANDS)
    for group in GROUPS:
        text = _help(group, columns="200")
        assert "Examples:" in text, group
        listed = dict(re.findall(r"^  ([a-z]+)\s+(.+)$", text.split("Commands:", 1)[1], re.M))
        for name, summary in listed.items():
            first = " ".join(_help(group, name, columns="200").split("\n\n")[1].split())
            assert first == summary or first.startswith(summary), (group, name)
            assert summary.endswith("."), summary


def test_resource_usage_lines_name_their_arguments() -> None:
    assert "Usage: mighty plans grant [OPTIONS] PLAN MEMBER...\n" in _help("plans", "grant")
    assert "Usage: mighty members view [OPTIONS] MEMBER\n" in _help("members", "view")
    assert "--json FIELDS" in _help("members", "list", columns="200")


def test_the_group_list_matches_the_groups() -> None:
    # mighty --help lists the groups without importing them: their summaries must be theirs.
    from mightycli.cli.base import GROUP_MODULES, first_sentence, load_groups

    assert tuple(GROUP_MODULES) == GROUPS
    for info in load_groups(list(GROUP_MODULES)):
        assert (
            GROUP_MODULES[info.name][1]
            == info.short_help
            == first_sentence(info.typer_instance.info.help)
        )


def test_a_plain_command_builds_no_group() -> None:
    # A process running `mighty status` imports no group module.
    code = (
        "import sys; from mightycli.cli.root import main; main(['status']); "
        "print(sorted(m for m in sys.modules if m.startswith('mightycli.cli.') and "
        "m.split('.')[-1] in ('members', 'plans', 'views', 'changes')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip().splitlines()[-1] == "[]", result.stderr


def test_mighty_alone_prints_the_help_and_succeeds() -> None:
    # As gh does: no command is a request for help, not a mistake (exit 0, help on stdout).
    result = mighty()
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == _help()


@pytest.mark.parametrize("group", ["members", "plans"])
def test_a_group_alone_prints_its_help_and_succeeds(group: str) -> None:
    result = mighty(group)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == _help(group)
