"""The arguments of the commands scripts call in loops, as data, and a parser for them.

One description, two readers. The fast entry point (``mightycli.entry``) parses with it;
``tests/test_grammar.py`` holds it equal to the Typer commands in ``mightycli.cli.calls`` (every
option's names, kind, repetition and default) and checks, on a table of argument vectors
including wrong ones, that whatever this parser accepts Typer parses to the same values. The
parser only ever accepts or declines: anything it does not recognise (help, a typo, a missing
value, a number it does not read the way Typer does) goes to the full command line, which
explains it, so an error reads the same on both routes.

Kept to plain classes and no regular expressions: this module is on the start-up path.
"""

from __future__ import annotations

STR = "str"
FLOAT = "float"
FLAG = "flag"


class Option:
    """An option as Typer declares it: its parameter name, its spellings, what it takes."""

    __slots__ = ("dest", "names", "kind", "multiple", "default")

    def __init__(
        self,
        dest: str,
        names: tuple[str, ...],
        kind: str = STR,
        *,
        multiple: bool = False,
        default: object = None,
    ) -> None:
        self.dest, self.names, self.kind = dest, names, kind
        self.multiple, self.default = multiple, default


class Command:
    """A command: the function of ``mightycli.cli.calling`` that runs it, its options, and the name
    of its one positional argument, if it has one."""

    __slots__ = ("function", "options", "argument")

    def __init__(
        self, function: str, options: tuple[Option, ...], argument: str | None = None
    ) -> None:
        self.function, self.options, self.argument = function, options, argument


# Accepted after the command as well as before it (mighty whoami --debug); the entry point
# switches the log on, the command functions never see it.
DEBUG = Option("debug", ("--debug",), FLAG, default=False)
NETWORK = Option("network", ("--network", "-n"))
JQ = Option("jq", ("--jq",))

COMMANDS: dict[str, Command] = {
    "token": Command(
        "print_token", (NETWORK, Option("admin", ("--admin",), FLAG, default=False), DEBUG)
    ),
    "whoami": Command(
        "show_whoami", (NETWORK, Option("as_json", ("--json",), FLAG, default=False), JQ, DEBUG)
    ),
    "api": Command(
        "call_api",
        (
            Option("method", ("--method", "-X")),
            Option("raw_field", ("--raw-field", "-f"), multiple=True),
            Option("typed_field", ("--field", "-F"), multiple=True),
            Option("header", ("--header", "-H"), multiple=True),
            Option("query_file", ("--query-file",)),
            Option("input_file", ("--input",)),
            Option("include", ("--include", "-i"), FLAG, default=False),
            Option("silent", ("--silent",), FLAG, default=False),
            Option("paginate", ("--paginate",), FLAG, default=False),
            Option("slurp", ("--slurp",), FLAG, default=False),
            Option("timeout", ("--timeout",), FLOAT, default=30.0),
            Option("max_wait", ("--max-wait",), FLOAT, default=60.0),
            NETWORK,
            JQ,
            DEBUG,
        ),
        argument="endpoint",
    ),
}

ROOT_OPTIONS = ("--debug",)  # mighty's own options the fast route takes before a command


class Declined(Exception):
    """The parser does not take these arguments; the full command line will."""


def parse(args: list[str]) -> tuple[Command, dict[str, object]] | None:
    """The command and its parameters, as Typer would pass them; None to decline."""
    debug = False
    rest = list(args)
    while rest and rest[0] in ROOT_OPTIONS:
        debug = True
        rest.pop(0)
    command = COMMANDS.get(rest.pop(0)) if rest else None
    if command is None:
        return None
    try:
        values, positional = _read(command, rest)
    except Declined:
        return None
    wanted = 1 if command.argument else 0
    if len(positional) != wanted:
        return None
    if command.argument:
        values[command.argument] = positional[0]
    values["debug"] = bool(values["debug"]) or debug
    return command, values


def _read(command: Command, rest: list[str]) -> tuple[dict[str, object], list[str]]:
    """Options and positional arguments, the way Click reads them: options anywhere, ``--``
    ends them, a long option's value after ``=`` or as the next argument, a short one's
    attached or next."""
    values: dict[str, object] = {o.dest: None if o.multiple else o.default for o in command.options}
    by_name = {name: option for option in command.options for name in option.names}
    positional: list[str] = []
    while rest:
        arg = rest.pop(0)
        if arg == "--":
            positional += rest
            break
        if arg == "-" or not arg.startswith("-"):
            positional.append(arg)
            continue
        if arg.startswith("--"):
            name, equals, attached = arg.partition("=")
            given = attached if equals else None
        else:
            name, given = arg[:2], (arg[2:] or None)
        option = by_name.get(name)
        if option is None:
            raise Declined
        _take(option, values, given, rest)
    return values, positional


def _take(option: Option, values: dict[str, object], given: str | None, rest: list[str]) -> None:
    if option.kind == FLAG:
        if given is not None:  # --json=yes, -iX: Typer's to refuse or untangle
            raise Declined
        values[option.dest] = True
        return
    if given is None:
        # A value that looks like an option is left to Typer, whatever it would make of it.
        if not rest or (rest[0].startswith("-") and rest[0] != "-"):
            raise Declined
        given = rest.pop(0)
    value: object = _number(given) if option.kind == FLOAT else given
    if option.multiple:
        previous = values[option.dest]
        values[option.dest] = [*previous, value] if isinstance(previous, list) else [value]
    else:
        values[option.dest] = value  # repeated: the last one counts, as in Click


def _number(text: str) -> float:
    """Plain decimal notation only (30, 2.5); anything else is Typer's to read or refuse."""
    whole, _, fraction = text.partition(".")
    if not _digits(whole) or (fraction and not _digits(fraction)):
        raise Declined
    return float(text)


def _digits(text: str) -> bool:
    return text.isascii() and text.isdigit()  # "²" and "١" are digits to isdigit alone
