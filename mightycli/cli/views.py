"""What every resource command shares: its options (--format, --json FIELDS, --jq, --limit,
--all, --dry-run, --yes), the Admin API client of one run, and how lists, items, writes and
dry runs are shown. The commands themselves (``members``, ``plans``, ...) are thin views of
``mightycli.resources``.
"""

from __future__ import annotations

import contextlib
import inspect
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

import typer

from mightycli.cli.base import DebugOption, JqOption, NetworkOption, group_command
from mightycli.cli.output import emit_json, say
from mightycli.errors import (
    EXIT_FAILURE,
    ApiAuthError,
    ApiError,
    MightyError,
    NotFoundError,
    UsageError,
)
from mightycli.resources.formats import FORMATS, pick_fields, selected, write_items
from mightycli.resources.nouns import NOUNS, Noun

__all__ = [
    "AllOption", "DebugOption", "DryRunOption", "FieldsOption", "FormatOption", "JqOption",
    "LimitOption", "NetworkOption", "YesOption", "Choice", "admin_run", "check_output",
    "confirm", "group_command", "help_text", "list_command", "member_choice", "named_choice",
    "run_each", "run_list", "show_answer", "show_item", "show_items",
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
LimitOption = Annotated[
    int | None,
    typer.Option(
        "--limit",
        "-L",
        metavar="N",
        help="Show at most N items.  [default: 30]",
        show_default=False,
    ),
]
AllOption = Annotated[bool, typer.Option("--all", help="Fetch every page (100 items a page).")]
DryRunOption = Annotated[
    bool, typer.Option("--dry-run", help="Print the requests this would send; send none.")
]
YesOption = Annotated[
    bool, typer.Option("--yes", "-y", help="Do not ask; needed when no one is at a terminal.")
]


@contextlib.contextmanager
def admin_run(network: str | None, *, dry_run: bool = False) -> Iterator[Any]:
    """The Admin API client and name resolver of one run; a dry run's requests are printed at
    the end, on stdout, one per line (the body, as JSON, on the line after)."""
    from mightycli.resources.admin import open_admin
    from mightycli.resources.names import Names

    with open_admin(network, notify=say, dry_run=dry_run) as admin:
        yield admin, Names(admin)
        if dry_run:
            for request in admin.planned:
                sys.stdout.write(request.describe() + "\n")
            sys.stdout.flush()
            count = len(admin.planned)
            say(f"Dry run: {count} request{'s' if count != 1 else ''} not sent.")


def _fields(noun: Noun, spec: str | None, jq: str | None) -> list[str] | None:
    if spec is not None and spec.strip() in ("", "help"):
        raise UsageError(
            "--json needs the fields to print, comma-separated.",
            hint=f"Fields of {noun.name}: {', '.join(noun.fields)}",
        )
    if jq is not None and spec is None:
        raise UsageError("--jq filters --json output.", hint="Add --json FIELDS.")
    return pick_fields(noun, spec) if spec is not None else None


def _format(fmt: str | None, fields: list[str] | None) -> str:
    if fmt is not None and fmt not in FORMATS:
        raise UsageError(f"Unknown format {fmt!r}.", hint=f"Use one of: {', '.join(FORMATS)}.")
    if fields is not None:
        if fmt not in (None, "ndjson"):
            raise UsageError(
                f"--json and --format {fmt} ask for two outputs.",
                hint="Use --json FIELDS alone, or with --format ndjson for one object a line.",
            )
        return fmt or "json"
    return fmt or ("table" if sys.stdout.isatty() else "tsv")


def check_output(noun_name: str, fmt: str | None, spec: str | None, jq: str | None) -> None:
    """Validate the output options before anything is sent (a usage error is exit 2)."""
    noun = NOUNS[noun_name]
    _format(fmt, _fields(noun, spec, jq))


def show_items(
    noun_name: str,
    items: Iterable[Any],
    *,
    fmt: str | None,
    spec: str | None,
    jq: str | None,
) -> None:
    """A list, as the options ask: a table on a terminal, rows into a pipe, or JSON."""
    noun = NOUNS[noun_name]
    fields = _fields(noun, spec, jq)
    chosen = _format(fmt, fields)
    with _pipe_closed_quietly():
        if chosen == "json" and (jq is not None or sys.stdout.isatty()):
            emit_json([selected(item, fields or ()) for item in items])
        elif chosen == "table":
            _table(noun, list(items))
        else:
            write_items(sys.stdout, items, chosen, noun.columns, fields)
            sys.stdout.flush()


def show_item(
    noun_name: str, item: Any, *, fmt: str | None, spec: str | None, jq: str | None
) -> None:
    """One item: --json an object; on a terminal every field, one a line; else one row."""
    noun = NOUNS[noun_name]
    fields = _fields(noun, spec, jq)
    chosen = _format(fmt, fields)
    if fields is not None and chosen == "json":
        emit_json(selected(item, fields))
    elif chosen == "table":
        from mightycli.resources.formats import cell_text

        width = max(len(name) for name in noun.fields)
        source = item if isinstance(item, dict) else {}
        lines = [f"{name.ljust(width)}  {cell_text(source.get(name))}" for name in noun.fields]
        sys.stdout.write("\n".join(lines) + "\n")
    else:
        show_items(noun_name, [item], fmt=chosen, spec=spec, jq=jq)


def show_answer(noun_name: str, answers: Sequence[Any], spec: str | None, jq: str | None) -> None:
    """A write's answer under --json FIELDS: the object, or an array for several targets."""
    if spec is None:
        return
    noun = NOUNS[noun_name]
    fields = _fields(noun, spec, jq) or []
    chosen = [selected(a, fields) for a in answers if isinstance(a, dict)]
    emit_json(chosen[0] if len(answers) == 1 and chosen else chosen)


def _table(noun: Noun, items: list[Any]) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from mightycli.resources.formats import cell_text

    if not items:
        say(f"No {noun.name}.")
        return
    table = Table(box=None, header_style="bold", pad_edge=False)
    for column in noun.columns:
        table.add_column(column.header.upper(), overflow="ellipsis", no_wrap=True)
    for item in items:
        table.add_row(*(Text(cell_text(column.of(item))) for column in noun.columns))
    Console(highlight=False).print(table)


@contextlib.contextmanager
def _pipe_closed_quietly() -> Iterator[None]:
    try:
        yield
    except BrokenPipeError:
        # The reader has gone (| head): stop; what it wanted was delivered.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


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
        except ApiAuthError:
            raise
        except (ApiError, MightyError) as error:
            if isinstance(error, UsageError):
                raise
            failed += 1
            say(f"mighty: {error.message}", style="red")
    if failed:
        if len(targets) > 1:
            say(f"{failed} of {len(targets)} failed.", style="red")
        raise typer.Exit(EXIT_FAILURE)
    return answers


def run_list(
    network: str | None,
    noun_name: str,
    operation: str,
    *,
    limit: int | None,
    every: bool,
    fmt: str | None,
    spec: str | None,
    jq: str | None,
    values: Callable[[Any], dict[str, Any]] = lambda names: {},
) -> None:
    """A list command: check the output options, resolve names, then stream the pages."""
    check_output(noun_name, fmt, spec, jq)
    if every and limit is not None:
        raise UsageError("Give --limit N or --all, not both.")
    if limit is not None and limit < 1:
        raise UsageError(f"--limit must be 1 or more, not {limit}.")
    with admin_run(network) as (admin, names):
        chosen = values(names)
        items = admin.items(operation, chosen, limit=None if every else (limit or 30))
        try:
            show_items(noun_name, items, fmt=fmt, spec=spec, jq=jq)
        except ApiError as error:
            raise _not_there(error, operation, chosen) from None


def _not_there(error: ApiError, operation: str, values: dict[str, Any]) -> MightyError:
    """A 404 for the thing a list belongs to says which thing it was (an id typed that no
    plan, space, member or event has); any other failure stays as it is."""
    from mightycli.resources.operations import OPERATIONS

    params = OPERATIONS[operation].path_params
    if error.status_code != 404 or not params:
        return error
    kind = params[0].removesuffix("_id")
    return NotFoundError(f"No {kind} has the id {values[params[0]]}.")


@dataclass(frozen=True)
class Choice:
    """What a list command takes beyond its output options: an argument (PLAN) or a filter
    option (--space SPACE), and the request values it resolves to. A filter with an
    ``operation`` lists through that operation instead (members list --space)."""

    dest: str
    metavar: str
    help: str
    values: Callable[[Any, str], dict[str, Any]]
    option: str | None = None  # None: an argument
    operation: str | None = None

    def parameter(self) -> inspect.Parameter:
        if self.option is None:
            info: Any = typer.Argument(metavar=self.metavar, help=self.help, show_default=False)
            return inspect.Parameter(self.dest, KEYWORD, annotation=Annotated[str, info])
        info = typer.Option(self.option, metavar=self.metavar, help=self.help, show_default=False)
        return inspect.Parameter(
            self.dest, KEYWORD, default=None, annotation=Annotated[str | None, info]
        )


KEYWORD = inspect.Parameter.KEYWORD_ONLY
# The options every list command ends with, in the order its help shows them.
LIST_OPTIONS = (
    ("limit", LimitOption, None),
    ("every", AllOption, False),
    ("fmt", FormatOption, None),
    ("fields", FieldsOption, None),
    ("jq", JqOption, None),
    ("network", NetworkOption, None),
    ("debug", DebugOption, False),
)


def list_command(
    group: typer.Typer,
    name: str,
    noun_name: str,
    operation: str,
    doc: str,
    *choices: Choice,
) -> Callable[..., None]:
    """Register a list command: ``operation``'s items shown as ``noun_name``, for what its
    argument and filters (``choices``) resolve to."""

    def listing(**given: Any) -> None:
        chosen = [c for c in choices if given[c.dest] is not None]
        switching = [c for c in chosen if c.operation]
        if len(switching) > 1:
            raise UsageError(f"Give {' or '.join(str(c.option) for c in switching)}, not both.")

        def values(names: Any) -> dict[str, Any]:
            out: dict[str, Any] = {}
            for choice in chosen:
                out.update(choice.values(names, given[choice.dest]))
            return out

        run_list(
            given["network"], noun_name, str(next((c.operation for c in switching), operation)),
            limit=given["limit"], every=given["every"], fmt=given["fmt"], spec=given["fields"],
            jq=given["jq"], values=values,
        )  # fmt: skip

    parameters = [choice.parameter() for choice in choices]
    parameters += [
        inspect.Parameter(dest, KEYWORD, default=default, annotation=annotation)
        for dest, annotation, default in LIST_OPTIONS
    ]
    listing.__name__ = listing.__qualname__ = f"{group.info.name}_{name}"
    listing.__doc__ = doc
    listing.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    return group_command(group, name)(listing)


def help_text(summary: str, *examples: str) -> str:
    """A command's help: its summary and its examples (each run in the tests as written)."""
    return summary + "\n\n\b\nExamples:\n" + "".join(f"  {line}\n" for line in examples)


def member_choice(
    dest: str = "member", option: str | None = None, key: str = "member_id"
) -> Choice:
    """A MEMBER argument (or --member option): a numeric id or an e-mail address."""
    return Choice(
        dest,
        "MEMBER",
        "A numeric id or an e-mail address."
        if option is None
        else "Only this member's (id or e-mail).",
        lambda names, text: {key: names.member(text).id},
        option=option,
    )


def named_choice(
    noun_name: str,
    key: str,
    option: str | None = None,
    help: str | None = None,
    operation: str | None = None,
) -> Choice:
    """A PLAN, SPACE, TAG or EVENT argument or option: an id or the exact name."""
    singular = noun_name[:-1]
    return Choice(
        singular,
        singular.upper(),
        help
        or f"An id or the {singular}'s {'title' if noun_name in ('tags', 'events') else 'name'}.",
        lambda names, text: {key: names.one(noun_name, text).id},
        option=option,
        operation=operation,
    )
