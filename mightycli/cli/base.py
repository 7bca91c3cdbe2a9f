"""The Typer app every full-route command registers on: its look (help wrapped at spaces,
arguments shown by name), the options many commands share, and the options before the command.

Command modules (``logins``, ``calls``, ``help``, ``emulator``) import ``command`` from here and
register on import; ``mightycli.cli.root`` imports them all and holds the error boundary.
"""

from __future__ import annotations

import re
import sys
import textwrap
from collections.abc import Callable
from typing import Annotated, Any

import typer
from typer._click import _textwrap
from typer.core import TyperArgument, TyperCommand

from mightycli import config, grammar
from mightycli.cli.output import enable_debug, use_jq, utf8_text
from mightycli.environment import Env
from mightycli.errors import UsageError
from mightycli.version import __version__

EXIT_CODES_HELP = (
    "Exit codes: 0 success, 1 failure, 2 usage or configuration error, "
    "4 authentication required (not logged in, session expired), 130 interrupted."
)


app = typer.Typer(
    name="mighty",
    help=(
        "Command-line client for Mighty Networks: log in through your browser, keep tokens in the "
        "OS keyring, and call the APIs.\n\n"
        "Start with: mighty login --network <subdomain> --client-id <id>\n\n" + EXIT_CODES_HELP
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,  # locals can hold tokens
    # Plain help and usage errors: identical in `mighty --help` (rendered without building the
    # command line, see _fast_help) and every command's help, and no rich import to pay for.
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)


class _WholeWords(_textwrap.TextWrapper):
    """Help text wraps at spaces only, so an option name (--client-secret-stdin), a URL or a
    default value is never split, whatever the width: a word longer than the line overflows."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.update(break_on_hyphens=False, break_long_words=False)
        super().__init__(*args, **kwargs)

    def _handle_long_word(
        self, reversed_chunks: list[str], cur_line: list[str], cur_len: int, width: int
    ) -> None:
        # The standard library's own handling, which honours break_long_words=False.
        textwrap.TextWrapper._handle_long_word(self, reversed_chunks, cur_line, cur_len, width)


# Typer's vendored help formatter looks its wrapper up here each time it wraps.
_textwrap.TextWrapper = _WholeWords  # type: ignore[misc]


class _Argument(TyperArgument):
    """An argument shown by its name alone (NETWORK), not as {NETWORK} and NETWORK <str>."""

    def _usage_display_name(self) -> str:
        name = self.display_name_raw
        return name if self.required else f"[{name}]"

    def display_type_rich(self, ctx: Any) -> str | None:
        return None


class _Command(TyperCommand):
    """A command whose arguments read as their names, like the options' metavars."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for param in self.params:
            if type(param) is TyperArgument:
                param.__class__ = _Argument


def complete_network(incomplete: str) -> list[str]:
    """Shell completion for a network: the stored logins' networks (logins.json, no keyring)."""
    try:
        logins = config.read_state(config.state_file_path()).logins
    except Exception:  # completion must never print an error into the shell
        return []
    # Only network references (read_state refuses others): a shell may run what it is offered.
    return [
        name
        for name in sorted(logins)
        if config.is_network_key(name) and name.startswith(incomplete)
    ]


# The options many commands share, declared from their description in the grammar (which the
# call commands are built from whole), with what they do when Typer reads them.
NetworkOption = Annotated[
    str | None,
    typer.Option(
        *grammar.NETWORK.names,
        metavar=grammar.NETWORK.metavar,
        autocompletion=complete_network,
        help=grammar.NETWORK.help,
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option(*grammar.JSON.names, help=grammar.JSON.help)]


def _compile_jq(value: str | None) -> str | None:
    """A bad expression stops the command before it does anything: a usage error (exit 2)."""
    use_jq(value)
    return value


JqOption = Annotated[
    str | None,
    typer.Option(
        *grammar.JQ.names,
        metavar=grammar.JQ.metavar,
        callback=_compile_jq,
        help=grammar.JQ.help,
        show_default=False,
    ),
]
DebugOption = Annotated[
    bool,
    typer.Option(
        *grammar.DEBUG.names, callback=enable_debug, is_eager=True, help=grammar.DEBUG.help
    ),
]
# What an option of the grammar does when Typer reads it, by parameter name.
BEHAVIOUR: dict[str, dict[str, Any]] = {
    "network": {"autocompletion": complete_network},
    "jq": {"callback": _compile_jq},
    "debug": {"callback": enable_debug, "is_eager": True},
}


def read_secret_from_stdin(what: str) -> str:
    """A secret from standard input: typed without echo on a terminal, else read whole."""
    if sys.stdin.isatty():
        if not sys.stderr.isatty():
            raise UsageError(f"No {what} on standard input.", hint="Pipe it in: ... < token-file")
        return str(typer.prompt(f"Paste the {what}", hide_input=True, err=True))
    return utf8_text(sys.stdin.buffer.read(), what)


def first_sentence(doc: str | None) -> str:
    """A command's summary for the command list: the first sentence of its docstring."""
    paragraph = " ".join((doc or "").strip().split("\n\n")[0].split())
    end = re.search(r"[.!?](?=\s|$)", paragraph)
    return paragraph[: end.end()] if end else paragraph


def group_command(
    group: typer.Typer, name: str | None = None
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Register a command on ``group`` whose summary is its docstring's first sentence, never a
    cut line."""

    def register(function: Callable[..., None]) -> Callable[..., None]:
        summary = first_sentence(function.__doc__)
        return group.command(name, short_help=summary, cls=_Command)(function)

    return register


def command(name: str | None = None) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Register a command of mighty itself (see ``group_command``)."""
    return group_command(app, name)


# The command groups (mighty members ...) in the order the command list shows them: the module
# that declares each and its summary (the first sentence of its help; a test holds the two
# together). A run imports and puts on the app only the group it names, and every group for
# help, errors and completion: building forty commands costs more than most commands take.
GROUP_MODULES: dict[str, tuple[str, str]] = {
    "members": ("members", "List, view, create, edit and remove members, and their plans, "
                "spaces and tags."),
    "plans": ("plans", "List plans and their members; grant, revoke and offer plans."),
    "spaces": ("spaces", "List spaces and their members; add members to a space and remove "
               "them."),
    "tags": ("tags", "List the network's tags (tag members with mighty members tag)."),
    "badges": ("tags", "List the network's badges."),
    "invites": ("invites", "List, send and revoke invitations to the network."),
    "events": ("events", "List events and their RSVPs."),
    "posts": ("posts", "List posts and write new ones."),
    "subscriptions": ("billing", "List subscriptions to the network's plans."),
    "purchases": ("billing", "List one-time purchases of the network's plans."),
    "webhooks": ("webhooks", "Receive, send and manage Mighty's webhooks for local "
                 "development."),
}  # fmt: skip
# The groups declared so far (their modules imported), by name.
GROUPS: dict[str, Any] = {}


def load_groups(names: list[str]) -> list[Any]:
    """The named groups, their modules imported (and so declared) first."""
    import importlib

    for name in names:
        importlib.import_module(f"mightycli.cli.{GROUP_MODULES[name][0]}")
    return [GROUPS[name] for name in names]


def command_group(name: str, help: str) -> typer.Typer:
    """A group of commands (``mighty members ...``), listed in ``mighty --help`` with the
    first sentence of its help, and with the same look as every command."""
    from typer.models import TyperInfo

    group = typer.Typer(
        name=name,
        help=help,
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_show_locals=False,
        rich_markup_mode=None,
        context_settings=app.info.context_settings,
    )
    GROUPS[name] = TyperInfo(group, name=name, short_help=first_sentence(help))
    return group


def _version_callback(value: bool) -> None:
    if value:
        sys.stdout.write(f"mighty {__version__}\n")
        raise typer.Exit()


@app.callback()
def root_options(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_version_callback,
            is_eager=True,
            help="Show the version and exit.",
        ),
    ] = False,
    debug: Annotated[
        bool,
        typer.Option(
            "--debug", envvar=Env.DEBUG.value, callback=enable_debug, help=grammar.DEBUG.help
        ),
    ] = False,
) -> None:
    """The options before the command; each does its work in its callback."""
