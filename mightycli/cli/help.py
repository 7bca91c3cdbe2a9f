"""Completion and help: the completion command, and ``mighty --help`` drawn from the app's
declarations without building every command (``help`` itself is registered by the root)."""

from __future__ import annotations

import shutil
import sys
import textwrap
import typing
from typing import Annotated

import typer

from mightycli.cli.base import GROUP_MODULES, app, command, root_options
from mightycli.environment import Env
from mightycli.errors import UsageError

SHELLS = ("bash", "zsh", "fish")


@command()
def completion(
    shell: Annotated[
        str, typer.Argument(metavar="SHELL", help="bash, zsh or fish.", show_default=False)
    ],
) -> None:
    """Print the shell completion script for bash, zsh or fish.

    It completes commands, options, and network names from your stored logins. To install it,
    bash: add eval "$(mighty completion bash)" to ~/.bashrc; zsh: add
    source <(mighty completion zsh) to ~/.zshrc after compinit; fish: save it as
    ~/.config/fish/completions/mighty.fish.

    \b
    Examples:
      mighty completion bash
      mighty completion fish
    """
    from typer._completion_shared import get_completion_script

    if shell not in SHELLS:
        raise UsageError(f"No completion for {shell!r}.", hint="Use bash, zsh or fish.")
    script = get_completion_script(prog_name="mighty", complete_var=Env.COMPLETE.value, shell=shell)
    sys.stdout.write(script.strip() + "\n")


def fast_help(args: list[str]) -> int | None:
    """``mighty --help`` drawn from the same docstrings and options, without building every
    command's parameters first (Typer's full build costs more than the rest of the process)."""
    if args not in (["--help"], ["-h"]):
        return None
    width = max(min(shutil.get_terminal_size().columns, 100) - 2, 50)

    def wrap(text: str, room: int, indent: str = "") -> list[str]:
        return textwrap.wrap(
            text,
            room,
            initial_indent=indent,
            subsequent_indent=indent,
            break_on_hyphens=False,
            break_long_words=False,
        )

    lines = ["Usage: mighty [OPTIONS] COMMAND [ARGS]...", ""]
    for paragraph in (app.info.help or "").split("\n\n"):
        lines += wrap(" ".join(paragraph.split()), width, "  ") + [""]
    rows: list[tuple[str, str]] = []
    hints = typing.get_type_hints(root_options, include_extras=True)
    for name in ("version", "debug"):
        info = next(m for m in hints[name].__metadata__ if hasattr(m, "param_decls"))
        # With Annotated, Typer keeps the first declaration in ``default``.
        decls = [d for d in (info.default, *info.param_decls) if isinstance(d, str)]
        text = str(info.help)
        if info.envvar:
            text += f"  [env var: {info.envvar}]"
        rows.append((", ".join(decls), text))
    rows.append(("-h, --help", "Show this message and exit."))
    commands = [
        (info.name or info.callback.__name__, info.short_help or "")
        for info in app.registered_commands
        if info.callback is not None
    ] + [(name, summary) for name, (_, summary) in GROUP_MODULES.items()]
    for title, entries in (("Options", rows), ("Commands", commands)):
        lines.append(f"{title}:")
        column = max(len(left) for left, _ in entries) + 4
        for left, text in entries:
            room = width - column
            body = wrap(text, max(room, 20)) or [""]
            lines.append(f"  {left.ljust(column - 2)}{body[0]}")
            lines += [" " * column + more for more in body[1:]]
        lines.append("")
    sys.stdout.write("\n".join(lines[:-1]) + "\n")
    return 0
