"""The log of ``mighty apply --log FILE``: one JSON line per row as it finishes, appended and
flushed at once, so that a killed run loses at most the row in flight and a rerun skips the rows
the log shows applied.

A row is known by its key (its content, and which repetition of that content it is), not by its
line number, so that a file edited between runs still resumes where it should. The log holds
e-mail addresses, so it is created readable by its owner only; one run at a time uses it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any, TextIO

from mightycli.errors import UsageError
from mightycli.http import decode_json
from mightycli.resources.sheet import Row

__all__ = ["APPLIED", "RunLog", "applied_keys"]

APPLIED = "applied"


def applied_keys(path: Path) -> set[str]:
    """The keys of the rows ``path`` records as applied; none when there is no log yet. A last
    line cut short by a kill is ignored; any other line that is not a record is damage."""
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        return set()
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"Cannot read the log {path}: {_reason(error)}.") from None
    lines = text.split("\n")
    keys: set[str] = set()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        record = decode_json(line)
        if not isinstance(record, dict) or not isinstance(record.get("key"), str):
            if number == len(lines):  # the last line, without its newline: cut short by a kill
                continue
            raise UsageError(
                f"The log {path} is damaged at line {number}: not a record of mighty apply.",
                hint="Name another file with --log, or move this one away.",
            )
        if record.get("outcome") == APPLIED:
            keys.add(record["key"])
    return keys


def _reason(error: Exception) -> str:
    if isinstance(error, UnicodeDecodeError):
        return "it is not UTF-8 text"
    return (getattr(error, "strerror", None) or str(error)).lower()


class RunLog:
    """A log opened for one run: records appended as rows finish, under a lock."""

    def __init__(self, path: Path) -> None:
        import filelock

        self.path = path
        self._lock = filelock.FileLock(f"{path}.lock", timeout=0, mode=0o600)
        try:
            self._lock.acquire()
        except filelock.Timeout:
            raise UsageError(
                f"Another mighty apply is using the log {path}.",
                hint="Wait for it to finish, or name another file with --log.",
            ) from None
        except OSError as error:
            raise UsageError(f"Cannot write the log {path}: {_reason(error)}.") from None
        try:
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            self._file: TextIO = os.fdopen(fd, "a", encoding="utf-8")
            if path.stat().st_size and not _ends_with_newline(path):
                self._file.write("\n")  # end a line cut short by a kill before appending
        except OSError as error:
            self._release()
            raise UsageError(f"Cannot write the log {path}: {_reason(error)}.") from None

    def record(self, row: Row, outcome: str, did: list[str], error: str | None = None) -> None:
        entry: dict[str, Any] = {
            "line": row.line,
            "key": row.key,
            "email": row.email,
            "outcome": outcome,
            "did": did,
        }
        if error is not None:
            entry["error"] = error
        entry["at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        self._file.write(json.dumps(entry, ensure_ascii=False) + "\n")
        self._file.flush()

    def close(self) -> None:
        try:
            self._file.close()
        finally:
            self._release()

    def _release(self) -> None:
        # The lock file stays: removing it would let two runs each lock a different file.
        self._lock.release()


def _ends_with_newline(path: Path) -> bool:
    with path.open("rb") as file:
        file.seek(-1, os.SEEK_END)
        return file.read(1) == b"\n"
