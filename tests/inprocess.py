"""Run `mighty` inside the test process: ``mightycli.entry.main(argv)``, the console script's
own main, with this run's environment, standard input and captured stdout and stderr.

Starting ``python -m mightycli`` costs far more than most commands do, so the tests run
commands in process (as httpie's tests do) unless a real process is the point. A run sees
what a process started by ``subprocess.run(..., capture_output=True, text=True)`` would: its
streams are not terminals (``sys.__stdout__`` and friends included, so terminal sizes fall back
as into a pipe), standard input is a real file (``.buffer``, ``.fileno()``), and the output
comes back decoded as that call decodes it. Everything the run changes in this process is put
back afterwards, and what cannot be put back fails the test instead of leaking into the next
run.
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import tempfile
import threading
import traceback
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Any

# Read once, when a process starts: in process they would be ignored, and a run would quietly
# use this process's keyring backend, D-Bus session, locale or interpreter settings. A test
# that sets one needs a real process (run_mighty_process).
PROCESS_ONLY_VARIABLES = frozenset(
    {"PYTHON_KEYRING_BACKEND", "DBUS_SESSION_BUS_ADDRESS", "LANG", "LC_ALL", "LC_CTYPE", "TZ"}
)
PROCESS_ONLY_PREFIXES = ("PYTHON",)

# How long threads started during a run may take to end once the command has returned: the
# browser opener waiting for the scripted browser, and the request threads of a server in this
# process (the emulator) still answering the run's last requests. A process would have ended
# its own threads by exiting, and closed its connections.
THREAD_GRACE = 15.0

# The signals whose handlers a command may set (the emulator sets SIGTERM's).
SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGALRM)


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str


class InProcessTimeout(BaseException):
    """The run took longer than its timeout (a BaseException: the command's error boundary
    must not turn it into an exit code)."""


class SystemExitWarning(UserWarning):
    """``main`` let a SystemExit escape: it returns its status, it does not exit."""


def process_only(env: Mapping[str, str]) -> list[str]:
    """The variables in ``env`` that only a new process would honour, where they differ from
    this process's."""
    return sorted(
        name
        for name, value in env.items()
        if (name in PROCESS_ONLY_VARIABLES or name.startswith(PROCESS_ONLY_PREFIXES))
        and os.environ.get(name) != value
    )


def decoded(data: bytes) -> str:
    """Output as ``subprocess.run(text=True)`` gives it: the locale's encoding (strict), and
    universal newlines."""
    import locale

    text = data.decode(locale.getpreferredencoding(False))
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _capture(errors: str) -> tuple[io.TextIOWrapper, io.BytesIO]:
    """A stream like a process's stdout or stderr into a pipe: text over bytes (``.buffer``),
    not a terminal, no file descriptor; and the bytes it holds."""
    raw = io.BytesIO()
    return io.TextIOWrapper(raw, encoding="utf-8", errors=errors), raw


@contextmanager
def _environment(changes: Mapping[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.update(changes)
    try:
        yield
    finally:
        # Put back exactly what was there, whatever the run changed.
        for name in set(os.environ) - set(saved):
            del os.environ[name]
        for name, value in saved.items():
            if os.environ.get(name) != value:
                os.environ[name] = value


@contextmanager
def _standard_input(data: bytes | None) -> Iterator[IO[str]]:
    """A real file for standard input, read as a process reads its own: ``data`` in a
    temporary file, else /dev/null."""
    if data is None:
        with open(os.devnull, encoding="utf-8", errors="surrogateescape") as empty:
            yield empty
        return
    with tempfile.TemporaryFile() as raw:
        raw.write(data)
        raw.flush()
        raw.seek(0)
        with open(raw.fileno(), encoding="utf-8", errors="surrogateescape", closefd=False) as stdin:
            yield stdin


STREAMS = ("stdin", "stdout", "stderr")


def _set_streams(streams: tuple[Any, Any, Any]) -> None:
    """sys.stdin, stdout and stderr, and the process's original ones (``sys.__stdout__``, which
    shutil.get_terminal_size asks), as a process whose streams are these would have them."""
    for name, stream in zip(STREAMS, streams, strict=True):
        setattr(sys, name, stream)
        setattr(sys, f"__{name}__", stream)


@contextmanager
def _deadline(seconds: float) -> Iterator[None]:
    """Interrupt the run (in the main thread) once ``seconds`` have passed."""

    def expire(signum: int, frame: object) -> None:
        raise InProcessTimeout

    signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def _exit_status(exit_: SystemExit) -> int:
    code = exit_.code
    if code is None:
        return 0
    return code if isinstance(code, int) else 1


def _where(error: BaseException) -> str:
    frame = traceback.extract_tb(error.__traceback__)[-1]
    return f"{frame.filename}:{frame.lineno} in {frame.name}"


def _wait_for_threads(before: set[threading.Thread]) -> None:
    """Let the threads this run started end; one still running would outlive the run."""
    import time

    deadline = time.monotonic() + THREAD_GRACE
    left = [t for t in threading.enumerate() if t not in before]
    for thread in left:
        thread.join(max(deadline - time.monotonic(), 0))
    alive = [t.name for t in left if t.is_alive()]
    assert not alive, f"threads still running after the command returned: {alive}"


def _leftover_live_line() -> bool:
    from mightycli.cli import output

    leaked = bool(output.LIVE)
    output.LIVE.clear()
    return leaked


@dataclass
class RawResult:
    code: int
    stdout: bytes
    stderr: bytes


def run(
    args: Sequence[str | bytes],
    *,
    env: Mapping[str, str],
    input: str | bytes | None = None,
    timeout: float = 60,
) -> Result:
    """``mighty *args`` in this process: its exit status and what it wrote, as text."""
    raw = run_raw(args, env=env, input=input, timeout=timeout)
    return Result(raw.code, decoded(raw.stdout), decoded(raw.stderr))


def run_raw(
    args: Sequence[str | bytes],
    *,
    env: Mapping[str, str],
    input: str | bytes | None = None,
    timeout: float = 60,
) -> RawResult:
    """``mighty *args`` in this process: its exit status and the bytes it wrote. Arguments
    given as bytes reach it as the interpreter decodes a process's own (os.fsdecode)."""
    from mightycli import entry

    argv = [os.fsdecode(arg) for arg in args]
    data = input.encode("utf-8") if isinstance(input, str) else input
    needs_process = process_only(env)
    assert not needs_process, f"only a new process honours {needs_process}: use run_mighty_process"
    assert threading.current_thread() is threading.main_thread(), "signals need the main thread"
    (stdout, out), (stderr, err) = _capture("surrogateescape"), _capture("backslashreplace")
    streams = (sys.stdin, sys.stdout, sys.stderr)
    originals = (sys.__stdin__, sys.__stdout__, sys.__stderr__)
    saved_argv, saved_hook = sys.argv, sys.excepthook
    handlers = {signum: signal.getsignal(signum) for signum in SIGNALS}
    threads = set(threading.enumerate())
    escaped: SystemExit | None = None
    try:
        with _environment(env), _standard_input(data) as stdin, _deadline(timeout):
            _set_streams((stdin, stdout, stderr))
            sys.argv = [entry.__file__, *argv]
            try:
                code = int(entry.main(list(argv)))
            except SystemExit as exit_:
                escaped = exit_
                code = _exit_status(exit_)
            _wait_for_threads(threads)
            stdout.flush()
            stderr.flush()
    except InProcessTimeout:
        raise subprocess.TimeoutExpired(["mighty", *argv], timeout) from None
    finally:
        _set_streams(originals)
        sys.stdin, sys.stdout, sys.stderr = streams
        sys.argv, sys.excepthook = saved_argv, saved_hook  # Typer installs its own hook
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
        leaked_live_line = _leftover_live_line()
    if escaped is not None:
        warnings.warn(
            f"mighty {' '.join(argv)}: SystemExit({escaped.code!r}) escaped main from "
            f"{_where(escaped)}",
            SystemExitWarning,
            stacklevel=3,
        )
    assert not leaked_live_line, "a live line outlived the command (output.LIVE is not empty)"
    return RawResult(code, out.getvalue(), err.getvalue())
