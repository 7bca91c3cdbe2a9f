"""``mighty apply FILE.csv``: bulk changes from a CSV file, a dry run unless --send, resumable
with --log, paced, stopped cleanly by Ctrl-C. The work is ``mightycli.resources.bulk``'s; this
module reads the options and the file, shows each row's outcome and the totals."""

from __future__ import annotations

import contextlib
import io
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, NamedTuple

import typer

from mightycli.cli.base import DebugOption, NetworkOption, command
from mightycli.cli.output import LIVE, for_people, say, stderr_console
from mightycli.errors import EXIT_FAILURE, RetryLaterError, UsageError

DEFAULT_RATE = 200  # Mighty's documented stand-in limit: about 200 requests a minute


def _read(file: str) -> list[Any]:
    """The rows of FILE (``-``: standard input), a spreadsheet's UTF-8 BOM removed."""
    from mightycli.resources.sheet import read_rows

    source = "standard input" if file == "-" else file
    try:
        data = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
    except FileNotFoundError:
        raise UsageError(f"There is no file {file}.") from None
    except IsADirectoryError:
        raise UsageError(f"{file} is a folder, not a CSV file.") from None
    except OSError as error:
        raise UsageError(f"Cannot read {file}: {(error.strerror or str(error)).lower()}.") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise UsageError(
            f"{source}, line {line}: not UTF-8 text.", hint="Save the file as CSV UTF-8."
        ) from None
    return read_rows(io.StringIO(text, newline=""), source)


class Stop:
    """Ctrl-C while rows are applied: the first stops after the request in flight (the log
    stays whole), a second one at once."""

    def __init__(self) -> None:
        self.asked = False
        self._before: Any = None

    def __enter__(self) -> Stop:
        with contextlib.suppress(ValueError):  # not the main thread: Ctrl-C stops at once
            self._before = signal.signal(signal.SIGINT, self._ask)
        return self

    def _ask(self, signum: int, frame: Any) -> None:
        self.asked = True
        signal.signal(signal.SIGINT, signal.default_int_handler)
        say("Stopping after the current request (Ctrl-C again to stop at once)...")

    def __exit__(self, *exc: object) -> None:
        if self._before is not None:
            signal.signal(signal.SIGINT, self._before)


class Board:
    """Each row's outcome, one line on stdout; on a terminal, a progress bar under them with
    the rows done, the rate and the time left."""

    def __init__(self, total: int, dry_run: bool) -> None:
        self.total, self.dry_run = total, dry_run
        self.progress: Any = None

    @contextlib.contextmanager
    def shown(self) -> Iterator[Board]:
        if sys.stderr.isatty() and self.total > 1:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
            )

            console = stderr_console()
            self.progress = Progress(
                TextColumn("Checking" if self.dry_run else "Applying"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("rows  {task.fields[rate]}"),
                TimeRemainingColumn(),
                console=console,
                transient=True,
            )
            self.task = self.progress.add_task("rows", total=self.total, rate="")
            LIVE["console"] = console
            self.progress.start()
        try:
            yield self
        finally:
            if self.progress is not None:
                self.progress.stop()
                LIVE.clear()

    def show(self, result: Any) -> None:
        row = result.row
        text = "; ".join(result.did)
        if result.error is not None:
            label = "invalid" if result.outcome == "invalid" else "failed"
            text = f"{text}; {label}: {result.error}" if text else f"{label}: {result.error}"
        line = f"line {row.line}  {row.email or '-'}  {text or 'already a member'}"
        sys.stdout.write(for_people(line) + "\n")
        sys.stdout.flush()
        if self.progress is not None:
            speed = self.progress.tasks[0].speed
            self.progress.update(self.task, advance=1, rate=f"{speed:.1f}/s" if speed else "")


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _summary(totals: Any, *, dry_run: bool, skipped: int, left: int, log: str | None) -> str:
    parts = []
    if dry_run:
        parts.append(f"Dry run of {_plural(totals.rows, 'row')}: {totals.changed} to change")
        if totals.created:
            parts.append(f"{_plural(totals.created, 'member')} to create")
        parts.append(f"{_plural(totals.writes, 'write')} to send")
    else:
        parts.append(f"{_plural(totals.rows, 'row')}: {totals.changed} changed")
        if totals.created:
            parts.append(f"{_plural(totals.created, 'member')} created")
        parts.append(f"{_plural(totals.writes, 'write')} sent")
    parts.append(f"{totals.unchanged} already as asked")
    if totals.invalid:
        parts.append(f"{totals.invalid} invalid")
    if totals.failed:
        parts.append(f"{totals.failed} failed")
    lines = [", ".join(parts) + "."]
    if skipped:
        lines.append(f"Skipped {_plural(skipped, 'row')} the log {log} shows applied.")
    if left:
        lines.append(f"{_plural(left, 'row')} left beyond --limit.")
    if dry_run:
        lines.append("Nothing was sent: add --send to apply.")
    return "\n".join(lines)


@command("apply")
def apply(
    file: Annotated[
        str,
        typer.Argument(
            metavar="FILE",
            help="A CSV file with a header row (- reads standard input).",
            show_default=False,
        ),
    ],
    send: Annotated[
        bool, typer.Option("--send", help="Apply the changes (without it: a dry run).")
    ] = False,
    log: Annotated[
        str | None,
        typer.Option(
            "--log",
            metavar="FILE",
            help="Record each row's outcome here; a rerun skips the rows it shows applied.",
            show_default=False,
        ),
    ] = None,
    limit: Annotated[
        int | None,
        typer.Option(
            "--limit",
            metavar="N",
            help="Take only the first N rows not yet applied.",
            show_default=False,
        ),
    ] = None,
    rate: Annotated[
        int,
        typer.Option("--rate", metavar="N", help="Send at most N requests a minute."),
    ] = DEFAULT_RATE,
    welcome_email: Annotated[
        bool, typer.Option("--welcome-email", help="Send new members the welcome e-mail.")
    ] = False,
    max_wait: Annotated[
        float,
        typer.Option(
            "--max-wait",
            metavar="SECONDS",
            help="The longest wait for one request when the server asks to slow down.  "
            "[default: 60]",
            show_default=False,
        ),
    ] = 60.0,
    network: NetworkOption = None,
    debug: DebugOption = False,
) -> None:
    """Make bulk changes from a CSV file: members created; plans, spaces and tags given or taken.

    Columns (a header row, any order): email (required), first_name, last_name, plans,
    spaces, tags (each a ;-separated list of ids or exact names) and action (add, the default,
    or remove). An add row creates the member when nobody has the e-mail (first_name and
    last_name needed; no welcome e-mail unless --welcome-email), then gives each plan, space and
    tag they do not have yet. A remove row takes away each one listed that they have.

    Without --send this is a dry run: it looks things up and says what it would do, and sends
    no write. Invalid rows are named with their line; the others still run. With --log, a rerun
    skips the rows already applied and finishes the rest without creating anyone twice. Ctrl-C
    stops after the current request. Uses the Admin API token (mighty login --with-token).

    Exit status: 0 when every row was applied (or, in a dry run, is valid), 1 when any was
    invalid or failed, 4 when the token was refused, 130 when interrupted.

    \b
    Examples:
      mighty apply cohort.csv
      mighty apply cohort.csv --send --log cohort.log
      mighty apply cohort.csv --send --log cohort.log --limit 5
    """  # noqa: E501
    if rate < 1:
        raise UsageError(f"--rate must be at least 1, not {rate}.")
    if limit is not None and limit < 1:
        raise UsageError(f"--limit must be at least 1, not {limit}.")
    if not 0 <= max_wait < float("inf"):
        raise UsageError("--max-wait must be zero or more seconds.")
    from mightycli.resources.bulk import select
    from mightycli.resources.runlog import applied_keys

    rows = _read(file)
    done = applied_keys(Path(log)) if log else set()
    chosen, skipped, left = select(rows, done, limit)
    if not chosen:
        say(
            f"All {_plural(len(rows), 'row')} of {file} were applied in earlier runs "
            f"(log {log}): nothing to do."
            if rows
            else f"{file} has no rows: nothing to do."
        )
        return
    pace = Pace(rate, max_wait)
    totals = _run(chosen, network=network, send=send, log=log, pace=pace, welcome=welcome_email)
    say(_summary(totals, dry_run=not send, skipped=skipped, left=left, log=log))
    if totals.invalid or totals.failed:
        raise typer.Exit(EXIT_FAILURE)


class Pace(NamedTuple):
    rate: int  # requests a minute
    max_wait: float  # seconds, for one request's retries


def _run(rows: list[Any], *, network: str | None, send: bool, log: str | None, pace: Pace,
         welcome: bool) -> Any:  # fmt: skip
    """Apply (or check) ``rows``; a run stopped part-way says where, and the error goes on."""
    from mightycli.resources.admin import open_admin
    from mightycli.resources.bulk import Bulk, Pacer
    from mightycli.resources.names import Names
    from mightycli.resources.runlog import RunLog

    run_log = RunLog(Path(log)) if (log and send) else None
    current: list[Any] = []
    try:
        with (
            Stop() as stop,
            open_admin(network, notify=say, dry_run=not send, max_wait=pace.max_wait) as admin,
        ):
            Pacer(pace.rate, lambda: stop.asked).attach(admin)
            bulk = Bulk(admin, Names(admin), welcome_email=welcome)
            rows = bulk.resolve(rows)
            with Board(len(rows), not send).shown() as board:
                for row in rows:
                    current[:] = [row]
                    result = _one(bulk, row, run_log)
                    bulk.totals.count(result)
                    board.show(result)
            return bulk.totals
    except (KeyboardInterrupt, Exception) as error:
        if current:
            where = f"Stopped at line {current[0].line}"
            say(f"{where}; rerun with the same --log {log} to go on." if run_log else f"{where}.")
        if isinstance(error, RetryLaterError):
            raise _later(error) from None
        raise
    finally:
        if run_log is not None:
            run_log.close()


def _later(error: RetryLaterError) -> RetryLaterError:
    """The server's long wait, with what to do about it here."""
    import datetime as dt

    when = dt.datetime.fromtimestamp(error.retry_at, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return RetryLaterError(
        error.message,
        hint=f"Run it again after {when} (--max-wait SECONDS allows longer waits).",
        retry_at=error.retry_at,
    )


def _one(bulk: Any, row: Any, run_log: Any) -> Any:
    """One row applied and logged; a stop in the middle is logged too, then goes on."""
    from mightycli.resources.bulk import Result

    if row.problem is not None:
        result = Result(row, "invalid", (), row.problem)
    else:
        try:
            result = bulk.apply(row)
        except BaseException as error:
            if run_log is not None:
                outcome = "interrupted" if isinstance(error, KeyboardInterrupt) else "stopped"
                reason = getattr(error, "message", None) or "interrupted"
                run_log.record(row, outcome, list(bulk.doing), reason)
            raise
    if run_log is not None:
        run_log.record(row, result.outcome, list(result.did), result.error)
    return result
