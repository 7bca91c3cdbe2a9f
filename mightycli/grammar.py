"""The commands scripts call in loops (token, whoami, api), as data: their options, arguments and
help, and a parser for their arguments.

One description, read three ways. The fast entry point (``mightycli.entry``) parses with it;
``mightycli.cli.calls`` builds the Typer commands from it (names, kinds, defaults, metavars and
help), so adding an option is one edit here and its use in ``mightycli.cli.calling``; and
``tests/test_grammar.py`` checks, on a table of argument vectors including wrong ones, that
whatever this parser accepts Typer parses to the same values. The parser only ever accepts or
declines: anything it does not recognise (help, a typo, a missing value, a number it does not
read the way Typer does) goes to the full command line, which explains it, so an error reads the
same on both routes.

Kept to plain classes and no regular expressions: this module is on the start-up path.
"""

from __future__ import annotations

from mightycli.environment import Env

STR = "str"
INT = "int"
FLOAT = "float"
FLAG = "flag"


class Option:
    """An option: its parameter name, its spellings, what it takes, and how help shows it."""

    __slots__ = ("dest", "names", "kind", "multiple", "default", "metavar", "help")

    def __init__(
        self,
        dest: str,
        names: tuple[str, ...],
        kind: str = STR,
        *,
        multiple: bool = False,
        default: object = None,
        metavar: str | None = None,
        help: str = "",
    ) -> None:
        self.dest, self.names, self.kind = dest, names, kind
        self.multiple, self.default = multiple, default
        self.metavar, self.help = metavar, help


class Argument:
    """A command's one positional argument."""

    __slots__ = ("dest", "metavar", "help")

    def __init__(self, dest: str, metavar: str, help: str) -> None:
        self.dest, self.metavar, self.help = dest, metavar, help


class Command:
    """A command: the function of ``mightycli.cli.calling`` that runs it, its options, its one
    positional argument if it has one, and its help (the first sentence is its summary)."""

    __slots__ = ("function", "options", "argument", "help")

    def __init__(
        self,
        function: str,
        options: tuple[Option, ...],
        argument: Argument | None = None,
        *,
        help: str = "",
    ) -> None:
        self.function, self.options, self.argument, self.help = function, options, argument, help


# Shared with the other commands (mightycli.cli.base declares theirs from these).
NETWORK = Option(
    "network",
    ("--network", "-n"),
    metavar="NETWORK",
    help=f"Network subdomain, numeric id or community URL (default: {Env.NETWORK}, the "
    "config file, then the most recent login).",
)
JSON = Option(
    "as_json", ("--json",), FLAG, default=False, help="Print machine-readable JSON on stdout."
)
JQ = Option(
    "jq",
    ("--jq",),
    metavar="EXPRESSION",
    help="Print the JSON output filtered through a jq expression: strings raw, other values as "
    "JSON, one result per line. The expression can read $ENV and files in the working "
    "directory: never pass an untrusted one.",
)
# Accepted after the command as well as before it (mighty whoami --debug); the entry point
# switches the log on, the command functions never see it.
DEBUG = Option(
    "debug",
    ("--debug",),
    FLAG,
    default=False,
    help=f"Log every HTTP exchange to stderr, secrets redacted (also {Env.DEBUG}=1).",
)

COMMANDS: dict[str, Command] = {
    "whoami": Command(
        "show_whoami",
        (NETWORK, JSON, JQ, DEBUG),
        help="""Show who you are logged in as.

    \b
    Examples:
      mighty whoami
      mighty whoami --network mycommunity --json
    """,
    ),
    "token": Command(
        "print_token",
        (
            NETWORK,
            Option(
                "admin",
                ("--admin",),
                FLAG,
                default=False,
                help="Print the Admin API token rather than the OAuth one.",
            ),
            DEBUG,
        ),
        help="""Print the access token (renewed first if it is about to expire), for other tools.

    Prints the token and a newline on stdout, nothing else. Without --admin it is the OAuth
    access token when there is an OAuth login, else the Admin API token.

    \b
    Examples:
      TOKEN=$(mighty token)
      mighty token --admin --network mycommunity
    """,
    ),
    "api": Command(
        "call_api",
        (
            Option(
                "method",
                ("--method", "-X"),
                metavar="METHOD",
                help="HTTP method: GET, or POST with --input; always POST for graphql.",
            ),
            Option(
                "raw_field",
                ("--raw-field", "-f"),
                multiple=True,
                metavar="KEY=VALUE",
                help="A string parameter; for graphql, query= or a variable.",
            ),
            Option(
                "typed_field",
                ("--field", "-F"),
                multiple=True,
                metavar="KEY=VALUE",
                help="A typed parameter: true, false, null, numbers, @file (@- for stdin).",
            ),
            Option(
                "header",
                ("--header", "-H"),
                multiple=True,
                metavar="'NAME: VALUE'",
                help="An extra request header.",
            ),
            Option(
                "query_file",
                ("--query-file",),
                metavar="FILE",
                help="Read the GraphQL query from FILE (- for stdin).",
            ),
            Option(
                "input_file",
                ("--input",),
                metavar="FILE",
                help="Send FILE (- for stdin) as the request body.",
            ),
            Option(
                "include",
                ("--include", "-i"),
                FLAG,
                default=False,
                help="Print status and headers to stderr.",
            ),
            Option("silent", ("--silent",), FLAG, default=False, help="Print no response body."),
            Option(
                "paginate",
                ("--paginate",),
                FLAG,
                default=False,
                help="Fetch every page; print one JSON item per line as pages arrive.",
            ),
            Option(
                "slurp",
                ("--slurp",),
                FLAG,
                default=False,
                help="With pages, print all items as one JSON array.",
            ),
            Option(
                "timeout",
                ("--timeout",),
                FLOAT,
                default=30.0,
                metavar="SECONDS",
                help="Per-request timeout.",
            ),
            Option(
                "max_wait",
                ("--max-wait",),
                FLOAT,
                default=60.0,
                metavar="SECONDS",
                help="Most time to spend waiting to retry, all waits together; a server asking "
                "for longer ends the call at once (exit 1) saying when to retry.",
            ),
            NETWORK,
            JQ,
            DEBUG,
        ),
        Argument(
            "endpoint",
            "ENDPOINT",
            "graphql, an Admin API path under /admin/v1/networks/<network>/ (members, "
            "members/<id>/, spaces/<id>/members), or a full URL on the API host.",
        ),
        help="""Make an authenticated GraphQL or Admin API call and print the response.

    GraphQL calls use your OAuth login; Admin API (REST) calls use an Admin API token stored with
    mighty login --with-token. 429, 502, 503, 504 and THROTTLED answers are retried with backoff.

    \b
    Examples:
      mighty api graphql -f query='{ me { name } }'
      mighty api graphql --query-file members.graphql --paginate
      mighty api members -f per_page=100 --paginate | head -n 5
      mighty api -X PATCH members/5000003/ -f first_name=Alan
      mighty api spaces/7001/members --slurp > members.json
      mighty api members --max-wait 10
    """,
    ),
}

# The options every list command ends with, in the order its help shows them.
LIST_OUTPUT = (
    Option(
        "limit", ("--limit", "-L"), INT, metavar="N", help="Show at most N items.  [default: 30]"
    ),
    Option("every", ("--all",), FLAG, default=False, help="Fetch every page (100 items a page)."),
    Option(
        "fmt",
        ("--format",),
        metavar="FORMAT",
        help="table, tsv, csv or ndjson.  [default: a table on a terminal, tsv into a pipe]",
    ),
    Option(
        "fields",
        ("--json",),
        metavar="FIELDS",
        help="Print JSON with these comma-separated fields (--json help lists them).",
    ),
    JQ,
    NETWORK,
    DEBUG,
)


def list_command(key: str) -> Command:
    """The grammar of one list command (``mightycli.listings``): its filter options, then the
    output options, and its argument if it has one."""
    from mightycli.listings import LISTINGS

    listing = LISTINGS[key]
    filters = tuple(
        Option(c.dest, (c.option,), metavar=c.metavar, help=c.help)
        for c in listing.choices
        if c.option is not None
    )
    arguments = [Argument(c.dest, c.metavar, c.help) for c in listing.choices if c.option is None]
    return Command(
        "list_items", (*filters, *LIST_OUTPUT), arguments[0] if arguments else None,
        help=listing.help,
    )  # fmt: skip


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
    name = rest.pop(0) if rest else None
    command = COMMANDS.get(name) if name is not None else None
    listing = None
    if command is None and name is not None and rest:
        from mightycli.listings import LISTINGS  # a group's list command

        listing = f"{name} {rest[0]}"
        if listing in LISTINGS:
            rest.pop(0)
            command = list_command(listing)
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
        values[command.argument.dest] = positional[0]
    values["debug"] = bool(values["debug"]) or debug
    if command.function == "list_items":
        values["listing"] = listing
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
    value: object = given
    if option.kind == FLOAT:
        value = _number(given)
    elif option.kind == INT:
        if not _digits(given):  # Typer's to read (+3, 0x10) or refuse
            raise Declined
        value = int(given)
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
