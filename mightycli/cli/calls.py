"""The call commands: whoami, token, api, declared for Typer from their one description in
``mightycli.grammar`` (options, argument, help). Their bodies are in ``mightycli.cli.calling``,
which the fast entry point runs too; Typer runs them for help, completion and every argument
vector the fast route declines."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Annotated, Any

import typer

from mightycli import grammar
from mightycli.cli import calling
from mightycli.cli.base import BEHAVIOUR, command

KEYWORD = inspect.Parameter.KEYWORD_ONLY


def typer_option(option: grammar.Option) -> tuple[Any, Any]:
    """An option of the grammar as a Typer parameter: its annotation and its default."""
    if option.kind == grammar.FLAG:
        kind: Any = bool
    elif option.kind == grammar.FLOAT:
        kind = float
    elif option.kind == grammar.INT:
        kind = int | None
    else:
        kind = list[str] | None if option.multiple else str | None
    info = typer.Option(
        *option.names,
        metavar=option.metavar,
        help=option.help,
        show_default=option.default is not None,
        **BEHAVIOUR.get(option.dest, {}),
    )
    default = option.default
    if isinstance(default, float) and default.is_integer():
        default = int(default)  # help shows the default as written: 30, not 30.0
    return Annotated[kind, info], default


def _parameters(described: grammar.Command) -> list[inspect.Parameter]:
    parameters = []
    if described.argument is not None:
        argument = described.argument
        info = typer.Argument(metavar=argument.metavar, help=argument.help, show_default=False)
        parameters.append(
            inspect.Parameter(argument.dest, KEYWORD, annotation=Annotated[str, info])
        )
    for option in described.options:
        annotation, default = typer_option(option)
        parameters.append(
            inspect.Parameter(option.dest, KEYWORD, default=default, annotation=annotation)
        )
    return parameters


def declare(
    name: str, described: grammar.Command, listing: str | None = None
) -> Callable[..., None]:
    """The Typer command for one described command: it runs the same function as the fast route
    with the values Typer parsed (--debug has done its work in its callback by then); a list
    command's function is told which list it is, as the grammar tells it."""

    def run(**values: Any) -> None:
        values.pop("debug")
        if listing is not None:
            values["listing"] = listing
        getattr(calling, described.function)(**values)

    run.__name__ = run.__qualname__ = name
    run.__doc__ = described.help
    run.__signature__ = inspect.Signature(_parameters(described))  # type: ignore[attr-defined]
    return run


COMMANDS = {name: command(name)(declare(name, d)) for name, d in grammar.COMMANDS.items()}
