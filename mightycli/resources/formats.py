"""How items are written for machines: tab-separated, CSV, newline-delimited JSON, or a JSON
array of chosen fields. Rows are written as they come, so memory stays flat however long a list
is; the table for people is drawn by the command line.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Sequence
from typing import IO, Any

from mightycli.errors import UsageError
from mightycli.resources.nouns import Column, Noun

__all__ = ["FORMATS", "cell_text", "pick_fields", "write_items"]

FORMATS = ("table", "tsv", "csv", "ndjson")

# Tab-separated values keep one item per line: the characters that would split a row or a cell
# are escaped, backslash first (as PostgreSQL's text format does).
_TSV_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def cell_text(value: Any) -> str:
    """One value as text: nothing for null, true/false, nested values as compact JSON."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


def _text(value: Any) -> str:
    """``cell_text``, the common cases first: an exact str is itself, an exact int its digits
    (bool is a subclass of int, so it is not one of these and still reads true/false)."""
    if type(value) is str:
        return value
    if type(value) is int:
        return str(value)
    return cell_text(value)


def _reader(column: Column) -> Callable[[Any], Any]:
    """``column.of``, without walking a dotted path for a plain top-level field."""
    if column.value is None and column.path and "." not in column.path:
        key = column.path
        return lambda item: item.get(key) if isinstance(item, dict) else None
    return column.of


def _tsv_row(cells: list[str], tabs: int) -> str:
    """The cells joined by tabs, escaped. Most rows need no escape: when the joined row has no
    backslash, newline or carriage return and only its ``tabs`` separators, no cell had any of
    them, and escaping every cell would leave each as it is (str.translate costs a few
    microseconds a cell even when it changes nothing)."""
    line = "\t".join(cells)
    if line.count("\t") != tabs or "\\" in line or "\n" in line or "\r" in line:
        line = "\t".join(cell.translate(_TSV_ESCAPES) for cell in cells)
    return line


def pick_fields(noun: Noun, spec: str) -> list[str]:
    """--json's comma-separated fields, each a field of the noun; anything else is a usage
    error naming the fields there are."""
    wanted = [name.strip() for name in spec.split(",") if name.strip()]
    if not wanted:
        raise UsageError(
            "--json needs a comma-separated list of fields.",
            hint=f"Fields of {noun.name}: {', '.join(noun.fields)}",
        )
    unknown = noun.check_fields(wanted)
    if unknown:
        raise UsageError(
            f"Unknown field{'s' if len(unknown) > 1 else ''} for {noun.name}: "
            + ", ".join(unknown)
            + ".",
            hint=f"Fields of {noun.name}: {', '.join(noun.fields)}",
        )
    return wanted


def selected(item: Any, fields: Sequence[str]) -> dict[str, Any]:
    source = item if isinstance(item, dict) else {}
    return {name: source.get(name) for name in fields}


def write_items(
    out: IO[str],
    items: Iterable[Any],
    fmt: str,
    columns: Sequence[Column],
    fields: Sequence[str] | None = None,
) -> int:
    """Write ``items`` in ``fmt`` (tsv, csv, ndjson or json) and return how many there were."""
    count = 0
    if fmt == "json":
        out.write("[")
        for item in items:
            out.write(
                ("," if count else "")
                + json.dumps(selected(item, fields or ()), ensure_ascii=False)
            )
            count += 1
        out.write("]\n")
        return count
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180: CRLF, quotes doubled
        writer.writerow([c.header for c in columns])
    readers = [_reader(c) for c in columns]
    tabs = len(columns) - 1
    for item in items:
        if fmt == "ndjson":
            value = selected(item, fields) if fields else item
            out.write(json.dumps(value, ensure_ascii=False) + "\n")
        elif fmt == "csv":
            writer.writerow([_text(read(item)) for read in readers])
        else:
            out.write(_tsv_row([_text(read(item)) for read in readers], tabs) + "\n")
        count += 1
    return count
