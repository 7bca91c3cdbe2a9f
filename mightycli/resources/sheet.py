"""Reading the CSV file of ``mighty apply``: a header row naming known columns in any order, one
row per member, each checked on its own so that one bad row does not stop the others.

A problem with the file as a whole (not UTF-8, no header, an unknown column) is a usage error;
a problem with one row (a bad e-mail, an unknown action) is that row's ``problem``, said with
its line number.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from mightycli.errors import UsageError
from mightycli.resources.names import is_email

__all__ = ["COLUMNS", "LISTS", "Row", "read_rows"]

# The columns that list plans, spaces and tags, in the order a row's changes are made.
LISTS = ("plans", "spaces", "tags")
COLUMNS = ("email", "first_name", "last_name", *LISTS, "action")
ACTIONS = ("add", "remove")


@dataclass(frozen=True)
class Row:
    """One row of the file, as read: where it is, what it asks, and what is wrong with it."""

    line: int  # the line its record starts on (a quoted field may span lines)
    email: str
    first_name: str = ""
    last_name: str = ""
    action: str = "add"
    lists: dict[str, tuple[str, ...]] = field(default_factory=dict)
    key: str = ""  # the same row, in any run: its content and which repetition of it this is
    problem: str | None = None

    @property
    def remove(self) -> bool:
        return self.action == "remove"

    def names(self, column: str) -> tuple[str, ...]:
        return self.lists.get(column, ())


def _split(text: str) -> tuple[str, ...]:
    """A ``;``-separated list: each entry trimmed, empty ones dropped, repeats once."""
    entries = (part.strip() for part in text.split(";"))
    return tuple(dict.fromkeys(entry for entry in entries if entry))


def _header(cells: list[str], source: str) -> list[str]:
    columns = [cell.strip().lower() for cell in cells]
    unknown = [c for c in columns if c not in COLUMNS]
    if unknown:
        shown = ", ".join(repr(c) for c in unknown)
        raise UsageError(
            f"{source}: unknown column{'s' if len(unknown) > 1 else ''} {shown} in the header.",
            hint=f"The columns are: {', '.join(COLUMNS)} (email is required).",
        )
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if repeated:
        raise UsageError(f"{source}: the header names {', '.join(repeated)} more than once.")
    if "email" not in columns:
        raise UsageError(
            f"{source}: the header has no email column.",
            hint=f"The first row names the columns: {', '.join(COLUMNS)}.",
        )
    return columns


def _problem(row: Row) -> str | None:
    if not row.email:
        return "no e-mail address"
    if not is_email(row.email):
        return f"{row.email!r} is not an e-mail address"
    if row.action not in ACTIONS:
        return f"the action must be add or remove, not {row.action!r}"
    if row.remove and not any(row.lists.values()):
        return (
            "a remove row must list the plans, spaces or tags to remove "
            "(mighty members remove takes someone out of the network)"
        )
    return None


def _key(row: Row, seen: dict[str, int]) -> str:
    content = json.dumps(
        [row.email.casefold(), row.action, row.first_name, row.last_name,
         [row.names(column) for column in LISTS]],
        ensure_ascii=False,
    )  # fmt: skip
    digest = hashlib.sha256(content.encode()).hexdigest()[:24]
    seen[digest] = seen.get(digest, 0) + 1
    return f"{digest}.{seen[digest]}"


def _row(line: int, columns: list[str], cells: list[str], seen: dict[str, int]) -> Row:
    values = dict(zip(columns, (cell.strip() for cell in cells), strict=False))
    row = Row(
        line,
        values.get("email", ""),
        values.get("first_name", ""),
        values.get("last_name", ""),
        values.get("action", "").lower() or "add",
        {column: _split(values.get(column, "")) for column in LISTS},
    )
    problem = _problem(row)
    if len(cells) > len(columns):
        problem = f"{len(cells)} fields, but the header names {len(columns)} columns"
    return dataclasses.replace(row, key=_key(row, seen), problem=problem)


def read_rows(lines: Iterable[str], source: str) -> list[Row]:
    """The rows of a CSV text (its lines, a BOM already removed), checked one by one."""
    reader = csv.reader(lines, strict=True)
    columns: list[str] | None = None
    rows: list[Row] = []
    seen: dict[str, int] = {}
    start = 1
    try:
        for cells in reader:
            line, start = start, reader.line_num + 1
            if not any(cell.strip() for cell in cells):
                continue  # blank lines, and rows of empty cells spreadsheets leave behind
            if columns is None:
                columns = _header(cells, source)
            else:
                rows.append(_row(line, columns, cells, seen))
    except csv.Error as error:
        raise UsageError(f"{source}, line {reader.line_num}: not valid CSV ({error}).") from None
    except UnicodeDecodeError:
        raise UsageError(
            f"{source}, after line {reader.line_num}: not UTF-8 text.",
            hint="Save the file as CSV UTF-8.",
        ) from None
    if columns is None:
        raise UsageError(
            f"{source} is empty.", hint=f"The first row names the columns: {', '.join(COLUMNS)}."
        )
    return rows
