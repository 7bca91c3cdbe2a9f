"""What the resource commands declared for Typer share: the options of writes (--json FIELDS,
--dry-run, --yes), the question a destructive write asks, going on past one failure among
many, and the list commands declared from their descriptions. Showing lists and items is
``mightycli.cli.listing``'s (free of Typer, for the fast route too).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Annotated, Any

import typer

from mightycli.cli.base import DebugOption, JqOption, NetworkOption, group_command
from mightycli.cli.listing import admin_run, check_output, show_answer, show_item
from mightycli.cli.output import say
from mightycli.errors import EXIT_FAILURE, ApiAuthError, MightyError, UsageError
from mightycli.listings import help_text

__all__ = [
    "DebugOption", "DryRunOption", "FieldsOption", "FormatOption", "JqOption", "NetworkOption",
    "YesOption", "admin_run", "check_output", "confirm", "declare_listings", "group_command",
    "help_text", "run_each", "run_write", "show_answer", "show_item",
]  # fmt: skip

FormatOption = Annotated[
    str | None,
    typer.Option(
        "--format",
        metavar="FORMAT",
        help="table, tsv, csv or ndjson.  [default: a table on a terminal, tsv into a pipe]",
        show_default=False,
    ),
]
FieldsOption = Annotated[
    str | None,
    typer.Option(
        "--json",
        metavar="FIELDS",
        help="Print JSON with these comma-separated fields (--json help lists them).",
        show_default=False,
    ),
]
DryRunOption = Annotated[
    bool, typer.Option("--dry-run", help="Print the requests this would send; send none.")
]
YesOption = Annotated[
    bool, typer.Option("--yes", "-y", help="Do not ask; needed when no one is at a terminal.")
]


def confirm(action: str, *, yes: bool, dry_run: bool) -> None:
    """Destructive writes: asked on a terminal; elsewhere --yes is needed (exit 2 without)."""
    if yes or dry_run:
        return
    if sys.stdin.isatty() and sys.stderr.isatty():
        if typer.confirm(f"{action}?", default=False, err=True):
            return
        raise MightyError("Nothing was changed.")
    raise UsageError(
        f"{action}: this cannot be undone here, and there is no terminal to confirm it.",
        hint="Add --yes to go ahead, or --dry-run to see the requests.",
    )


def run_each(targets: Sequence[Any], work: Callable[[Any], Any]) -> list[Any]:
    """Do ``work`` for each target, going on past a failure (said on stderr); a refused token
    stops at once. Exit 1 at the end when any failed."""
    answers: list[Any] = []
    failed = 0
    for target in targets:
        try:
            answers.append(work(target))
        except (ApiAuthError, UsageError):
            raise
        except MightyError as error:
            failed += 1
            say(f"mighty: {error.message}", style="red")
    if failed:
        if len(targets) > 1:
            say(f"{failed} of {len(targets)} failed.", style="red")
        raise typer.Exit(EXIT_FAILURE)
    return answers


def declare_listings(group: typer.Typer) -> None:
    """Declare the group's list commands from their descriptions (``mightycli.listings``): the
    same grammar the fast entry point parses, running the same function."""
    from mightycli.cli.calls import declare
    from mightycli.grammar import list_command
    from mightycli.listings import LISTINGS

    prefix = f"{group.info.name} "
    for key in LISTINGS:
        if key.startswith(prefix):
            name = key[len(prefix) :]
            run = declare(f"{group.info.name}_{name}", list_command(key), listing=key)
            group_command(group, name)(run)


def run_write(
    network: str | None,
    noun_name: str,
    operation: str,
    values: Callable[[Any], dict[str, Any]],
    *,
    dry_run: bool,
    fields: str | None,
    jq: str | None,
    told: Callable[[dict[str, Any]], str],
) -> None:
    """A write that makes or changes one thing: --json FIELDS checked first, names resolved
    (``values`` gets the run's resolver), the request sent (or, in a dry run, shown), then
    ``told`` on stderr and, under --json FIELDS, the server's answer."""
    if fields is not None:
        check_output(noun_name, None, fields, jq)
    with admin_run(network, dry_run=dry_run) as (admin, names):
        answer = admin.call(operation, values(names))
    if isinstance(answer, dict):
        say(told(answer))
        show_answer(noun_name, [answer], fields, jq)
