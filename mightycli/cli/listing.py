"""Lists and items for people and machines, free of Typer: a table fitted to a terminal, rows
into a pipe, --json FIELDS, and the list commands run from their descriptions
(``mightycli.listings``) on either route. The fast entry point runs ``list_items`` straight
from the argument vector; the Typer commands run the same function.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from mightycli.cli.output import emit_json, for_people, say, stdout_gone
from mightycli.errors import ApiError, MightyError, NotFoundError, UsageError
from mightycli.resources.formats import FORMATS, cell_text, pick_fields, selected, write_items
from mightycli.resources.nouns import NOUNS, Noun


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
        width = max(len(name) for name in noun.fields)
        source = item if isinstance(item, dict) else {}
        cells = {name: for_people(cell_text(source.get(name))) for name in noun.fields}
        lines = [f"{name.ljust(width)}  {text}" for name, text in cells.items()]
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

    if not items:
        say(f"No {noun.name}.")
        return
    table = Table(box=None, header_style="bold", pad_edge=False)
    for column in noun.columns:
        table.add_column(column.header.upper(), overflow="ellipsis", no_wrap=True)
    for item in items:
        table.add_row(*(Text(for_people(cell_text(column.of(item)))) for column in noun.columns))
    Console(highlight=False).print(table)


@contextlib.contextmanager
def _pipe_closed_quietly() -> Iterator[None]:
    try:
        yield
    except BrokenPipeError:
        stdout_gone()


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


def list_items(
    *,
    listing: str,
    limit: int | None,
    every: bool,
    fmt: str | None,
    fields: str | None,
    jq: str | None,
    network: str | None,
    **given: Any,
) -> None:
    """Run the list command ``listing`` (``"members list"``) with what its options and
    argument were given."""
    from mightycli.cli.output import use_jq
    from mightycli.listings import LISTINGS

    use_jq(jq)  # a bad expression is refused before anything is sent (Typer's callback did too)
    described = LISTINGS[listing]
    chosen = [c for c in described.choices if given.get(c.dest) is not None]
    switching = [c.option for c in chosen if c.operation]
    if len(switching) > 1:
        raise UsageError(f"Give {' or '.join(str(o) for o in switching)}, not both.")
    operation = next((c.operation for c in chosen if c.operation), described.operation)

    def values(names: Any) -> dict[str, Any]:
        return {c.key: _resolve(names, c.kind, given[c.dest]) for c in chosen}

    run_list(
        network, described.noun, str(operation), limit=limit, every=every, fmt=fmt, spec=fields,
        jq=jq, values=values,
    )  # fmt: skip


def _resolve(names: Any, kind: str, text: str) -> Any:
    """What a choice sends: a member's or a named thing's id, the text, or a checked time."""
    if kind == "member":
        return names.member(text).id
    if kind == "text":
        return text
    if kind == "time":
        return _instant(text)
    return names.one(kind, text).id


def _instant(text: str) -> str:
    from datetime import datetime

    try:
        datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(
            f"--instance-at expects a date and time, got {text!r}.",
            hint="Use RFC 3339, e.g. 2026-12-10T17:00:00Z.",
        ) from None
    return text
