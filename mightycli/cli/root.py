"""The root of the full command line: every command registered in the order ``mighty --help``
lists them, and ``main``, the error boundary of this route, built from the same pieces as the fast
route's (``mightycli.entry``)."""

from __future__ import annotations

import contextlib
import contextvars
import functools
import os
import sys
from collections.abc import Iterator
from typing import Annotated, Any

import typer

from mightycli.cli import apply, calls, logins
from mightycli.cli import emulator as emulator_command
from mightycli.cli.base import GROUP_MODULES, app, command, load_groups
from mightycli.cli.help import completion, fast_help
from mightycli.cli.output import brief, for_people, guarded, interrupted
from mightycli.environment import Env
from mightycli.errors import EXIT_INTERRUPTED, EXIT_USAGE, UsageError

# Each command module registers its commands on import; the command list shows them in this order.
COMMAND_MODULES = (logins, calls, apply, completion)
__all__ = ["COMMAND_MODULES", "app", "main"]
ORDER = (
    "login", "whoami", "token", "status", "switch", "logout", "api", "apply", "completion",
    "help", "emulator",
)  # fmt: skip
emulator_command.register()


@command("help")
def help_command(
    name: Annotated[
        str | None,
        typer.Argument(
            metavar="COMMAND",
            help="The command to explain; without one, the list of commands.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Show the help of mighty or of one command: the same as --help.

    \b
    Examples:
      mighty help
      mighty help login
    """
    args = [name, "--help"] if name else ["--help"]
    raise typer.Exit(_run(args, args))


def _name(info: Any) -> str:
    return str(info.name or info.callback.__name__)


app.registered_commands.sort(key=lambda info: ORDER.index(_name(info)))


COMMANDS = tuple(app.registered_commands)


@contextlib.contextmanager
def _built_for(args: list[str]) -> Iterator[None]:
    """Put on the app what a run names: the one command or group, or (for mighty alone, help,
    a mistyped name and completion) everything. Building a command reads its annotations, and
    forty of them (and the emulator's, which imports the emulator) cost more than most commands
    take."""
    words = [arg for arg in args if not arg.startswith("-")]
    first = words[0] if words and not os.environ.get(Env.COMPLETE) else None
    if first in GROUP_MODULES:
        commands, groups = [], load_groups([first])
    elif first in ORDER and first != "help":
        commands, groups = [c for c in COMMANDS if _name(c) == first], []
    else:
        commands, groups = list(COMMANDS), load_groups(list(GROUP_MODULES))
    app.registered_commands, app.registered_groups = commands, groups
    try:
        yield
    finally:
        app.registered_commands, app.registered_groups = list(COMMANDS), []


def _run(args: list[str], argv: list[str] | None) -> int:
    if args in ([], ["help"]):  # the same as mighty --help, from the fast path
        args = argv = ["--help"]
    elif len(args) == 1 and args[0] in GROUP_MODULES:  # a group alone asks for its help, as gh
        args = argv = [args[0], "--help"]
    if os.environ.get(Env.COMPLETE):  # the shell asks for completions: Typer answers
        from typer._completion_classes import completion_init

        _check_completion_request(os.environ[Env.COMPLETE])
        completion_init()
    else:
        fast = fast_help(args)
        if fast is not None:
            return fast
    # Not standalone: Typer then hands every outcome back here instead of exiting.
    with _built_for(args):
        outcome = app(args=argv, prog_name="mighty", standalone_mode=False)
    code = outcome if isinstance(outcome, int) else 0
    if code == EXIT_INTERRUPTED:  # Typer turns KeyboardInterrupt into this exit code
        return interrupted()
    return code


COMPLETION_SHELLS = ("bash", "zsh", "fish", "powershell", "pwsh")


def _check_completion_request(value: str) -> None:
    """_MIGHTY_COMPLETE as the completion scripts set it (complete_bash, source_zsh, ...), with
    what the shell passes beside it; anything else is a usage error, not Typer's exit 1 or a
    KeyError."""
    instruction, _, shell = value.partition("_")
    unset = f"unset {Env.COMPLETE} to run mighty."
    if instruction not in ("source", "complete") or shell not in COMPLETION_SHELLS:
        raise UsageError(
            f"{Env.COMPLETE} is set to {value!r}, which is no completion request.",
            hint=f"The script of mighty completion SHELL sets it (e.g. complete_bash); {unset}",
        )
    cword = os.environ.get("COMP_CWORD", "")
    bash_words = "COMP_WORDS" in os.environ and cword.isascii() and cword.isdigit()
    if instruction == "complete" and shell == "bash" and not bash_words:
        raise UsageError(
            f"{Env.COMPLETE} asks for bash completions, but COMP_WORDS and COMP_CWORD (a "
            "number) are not both set.",
            hint=f"Bash's completion function sets them; {unset}",
        )


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status instead of exiting.

    The one error boundary: a MightyError becomes its message and exit code, Ctrl-C exit 130,
    a usage mistake exit 2, and anything else an internal error (exit 1), never a traceback
    unless --debug asks for one.
    """

    args = sys.argv[1:] if argv is None else list(argv)
    # A context of its own: --debug set by one run must not leak into the next in this process.
    return contextvars.copy_context().run(_boundary, args, argv)


NUMBER_KINDS = {"int_parsing": "a whole number", "float_parsing": "a number"}


def _explain_usage_error(error: typer.TyperException, args: list[str]) -> None:
    """Typer's usage errors said plainly: a bad number names the option and what it expects
    (not the validator's wording), and an error found before the command's context existed
    (an option without its value) still shows the command's usage line."""
    param = getattr(error, "param", None)
    details = getattr(error.__cause__, "errors", None)
    message = error.format_message()
    if param is not None and callable(details):
        first = (details() or [{}])[0]
        kind = NUMBER_KINDS.get(first.get("type", ""))
        if kind:
            name = max(param.opts, key=len) if param.opts else param.name
            message = f"{name} expects {kind}, got {first.get('input')!r}."
    # The arguments quoted back are anyone's text: no control characters, no 130 KB echo.
    shown = brief(for_people(message, lines=True))
    setattr(error, "format_message", lambda: shown)  # noqa: B010
    if hasattr(error, "ctx") and error.ctx is None:
        error.ctx = _usage_context(args)


def _usage_context(args: list[str]) -> Any:
    """The context of the command named in ``args`` (or of mighty itself, or of a group), for
    its usage line: ``mighty members list --json`` shows ``mighty members list``'s."""
    with _built_for(args):
        command = typer.main.get_command(app)
    context = typer.Context(command, info_name="mighty", **command.context_settings)
    for word in (arg for arg in args if not arg.startswith("-")):
        sub = command.get_command(context, word) if hasattr(command, "get_command") else None
        if sub is None:
            break
        command, context = sub, typer.Context(sub, info_name=word, parent=context)
    return context


def _boundary(args: list[str], argv: list[str] | None) -> int:
    return guarded(functools.partial(_typer_outcome, args, argv), args)


def _typer_outcome(args: list[str], argv: list[str] | None) -> int:
    """The exit status of a run through Typer, with Typer's own ways of ending as statuses."""
    try:
        return _run(args, argv)
    except typer.Abort:
        return interrupted()
    except typer.Exit as exit_:
        return int(exit_.exit_code)
    except typer.TyperException as error:  # a usage mistake Typer found: bad option, no command
        _explain_usage_error(error, args)
        show = getattr(error, "show", None)
        if callable(show):
            show()
        else:
            sys.stderr.write(f"Error: {error.format_message()}\n")
        return int(error.exit_code)
    except SystemExit as exit_:
        code = exit_.code
        return code if isinstance(code, int) else (0 if code is None else EXIT_USAGE)
