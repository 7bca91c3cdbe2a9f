"""What the command line writes: data on stdout, messages for people on stderr.

Part of the command line, but free of Typer so that the fast entry point can use it. Into a pipe
or a file everything is written plainly with the standard library; rich is imported only when
the output goes to a terminal (colour, pretty JSON, live lines), where a person waits anyway.
"""

from __future__ import annotations

import contextvars
import json
import os
import re
import sys
from collections.abc import Callable
from typing import Any

from mightycli.environment import Env, debug_requested
from mightycli.errors import EXIT_FAILURE, EXIT_INTERRUPTED, MightyError

# The console of the live line on show (the login wait, paging progress), which messages must
# go through so that they print above it instead of through it. Messages may come from another
# thread.
LIVE: dict[str, Any] = {}

# The --jq filter of this run, compiled when the option is read (each run has its own context).
_JQ: contextvars.ContextVar[Any] = contextvars.ContextVar("mighty_jq", default=None)

# Environment variables that make rich treat a pipe as a terminal; with one set, messages go
# through rich as they always have.
_FORCE_TERMINAL = ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE")


# C0 and C1 control characters and DEL: sent to a terminal they move the cursor, clear the
# screen, set the window title (ESC ] 0; ... BEL) or hide what follows. Text from a server (or
# any text from outside) loses them before a person sees it; tab and line feed become spaces.
_CONTROLS: dict[int, str | None] = dict.fromkeys([*range(0x20), 0x7F, *range(0x80, 0xA0)])
_ONE_LINE: dict[int, str | None] = {**_CONTROLS, ord("\t"): " ", ord("\n"): " "}
_LINES: dict[int, str | None] = {**_ONE_LINE, ord("\n"): "\n"}
# What pretty JSON escapes beyond what json.dumps does (C0): DEL, C1 and lone surrogates.
# (Patterns as text, compiled on first use by re's cache: nothing is compiled at import, which
# would cost every command's start-up, mighty token's included.)
_JSON_UNSAFE = "[\x7f-\x9f\ud800-\udfff]"
# A word this long in a message is a value quoted back (a 130 KB argument): shown in part.
_LONG_WORD = r"\S{201,}"
LONG_WORD_SHOWN = 100


def for_people(text: str, *, lines: bool = False) -> str:
    """Text as it may reach a person's terminal: control characters dropped (tab and line feed
    become spaces, or with ``lines`` a line feed stays one), and a lone surrogate (a JSON
    escape, or an argument that was not UTF-8), which no terminal can be sent, replaced.

    The one helper every display for people goes through: messages, errors, names and titles,
    table cells. Data for programs (bodies into a pipe, --json, TSV) never does."""
    clean = text.translate(_LINES if lines else _ONE_LINE)
    try:
        clean.encode("utf-8")
    except UnicodeEncodeError:
        clean = "".join("\ufffd" if "\ud800" <= c <= "\udfff" else c for c in clean)
    return clean


def brief(text: str) -> str:
    """A message with every overlong word (a huge value quoted back) cut to its start and its
    length, ``'aaaa…' (130000 characters)``, rather than the whole of it."""

    def cut(match: re.Match[str]) -> str:
        word = match.group()
        return f"{word[:LONG_WORD_SHOWN]}… ({len(word)} characters)"

    return re.sub(_LONG_WORD, cut, text)


def stderr_console() -> Any:
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


def _styled_stderr() -> bool:
    """Whether stderr gets rich's treatment (colour), rather than plain lines."""
    return sys.stderr.isatty() or any(os.environ.get(name) for name in _FORCE_TERMINAL)


def say(message: str, *, style: str | None = None) -> None:
    """A message for people, on stderr; never markup-interpreted."""
    message = for_people(message, lines=True)
    console = LIVE.get("console")
    if console is None and not _styled_stderr():
        sys.stderr.write(message + "\n")
        sys.stderr.flush()
        return
    from rich.text import Text

    (console or stderr_console()).print(Text(message, style=style or ""))


def render_error(error: MightyError) -> None:
    """``mighty: <message>`` and the hint under it, in red and yellow on a terminal; a server's
    words in them stripped of control characters, a huge value quoted back cut short."""
    message = brief(for_people(error.message, lines=True))
    hint = brief(for_people(error.hint, lines=True)) if error.hint else None
    if not _styled_stderr():
        sys.stderr.write(f"mighty: {message}\n" + (f"{hint}\n" if hint else ""))
        sys.stderr.flush()
        return
    from rich.text import Text

    console = stderr_console()
    console.print(Text("mighty: ", style="bold red") + Text(message))
    if hint:
        console.print(Text(hint, style="yellow"))


def guarded(work: Callable[[], int], args: list[str]) -> int:
    """The error boundary of both routes: ``work``'s exit status; a MightyError becomes its
    message and exit code, Ctrl-C exit 130, anything else an internal error (exit 1)."""
    try:
        return work()
    except MightyError as error:
        render_error(error)
        return error.exit_code
    except KeyboardInterrupt:
        return interrupted()
    except Exception as error:
        return internal_error(error, args)


def interrupted() -> int:
    sys.stderr.write("\nmighty: interrupted\n")
    sys.stderr.flush()
    return EXIT_INTERRUPTED


def debugging(args: list[str]) -> bool:
    from mightycli import debug

    return debug.current() is not None or "--debug" in args or debug_requested()


def internal_error(error: BaseException, args: list[str]) -> int:
    """A bug: one line saying so, and the traceback only when asked for (it may be long, and
    the values in it are not for every screen)."""
    import traceback

    from mightycli import debug

    text = for_people(" ".join(str(error).split())[:300])
    message = f"mighty: internal error: {type(error).__name__}" + (f": {text}" if text else "")
    if debugging(args):
        trace = "".join(traceback.format_exception(error))
        log = debug.current()
        sys.stderr.write((log.scrub(trace) if log is not None else trace) + message + "\n")
    else:
        sys.stderr.write(message + "\nmighty: rerun with --debug for the traceback\n")
    sys.stderr.flush()
    return EXIT_FAILURE


def enable_debug(value: bool) -> None:
    """--debug (or MIGHTY_DEBUG=1): log every HTTP exchange to stderr, secrets redacted."""
    if not value:
        return
    from mightycli import debug as debug_log

    if debug_log.current() is not None:
        return

    def write(text: str) -> None:
        lines = text.splitlines()
        sys.stderr.write("".join(f"[debug] {for_people(line)}\n" for line in lines))
        sys.stderr.flush()

    log = debug_log.enable(write)
    log.register(os.environ.get(Env.TOKEN), os.environ.get(Env.CLIENT_SECRET))


def use_jq(expression: str | None) -> Any:
    """Compile --jq's expression for this run (once); a bad one is a usage error (exit 2)."""
    if expression is None:
        return None
    current = _JQ.get()
    if current is None or current.expression != expression:
        from mightycli.jqfilter import JqFilter

        current = JqFilter(expression)
        _JQ.set(current)
    return current


def pretty_json(data: Any) -> None:
    """JSON for a person at a terminal: indented and colourised (plain under NO_COLOR), with
    DEL, C1 controls and lone surrogates written as \\u escapes (json.dumps escapes C0 itself),
    so that no string in it can drive the terminal; it is still the same JSON."""
    from rich.console import Console
    from rich.highlighter import JSONHighlighter

    text = json.dumps(data, indent=2, ensure_ascii=False)
    text = re.sub(_JSON_UNSAFE, lambda m: f"\\u{ord(m.group()):04x}", text)
    rendered = JSONHighlighter()(text)
    rendered.no_wrap, rendered.overflow = True, None
    Console(soft_wrap=True).print(rendered)


def emit_json(data: Any) -> None:
    """--json output: through the --jq filter when one is given; indented and coloured on a
    terminal, one compact line into a pipe."""
    jq = _JQ.get()
    if jq is not None:
        emit_jq(jq, data)
    elif sys.stdout.isatty():
        pretty_json(data)
    else:
        sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def emit_jq(jq: Any, data: Any) -> None:
    """A filter's results, one per line: strings raw, other values JSON (pretty on a terminal)."""
    if not sys.stdout.isatty():
        sys.stdout.write(jq.lines(data))
        return
    for result in jq.results(data):
        if isinstance(result, str):
            sys.stdout.write(for_people(result, lines=True) + "\n")
        else:
            pretty_json(result)


def json_key(label: str) -> str:
    """A label for people ("refresh token") as a --json key: a snake_case identifier."""
    return "_".join(label.lower().replace("-", " ").split())


def stdout_gone() -> None:
    """The reader of stdout has gone (``| head``): point stdout at /dev/null, so that what is
    still buffered, and the interpreter's flush at exit, fail silently; the data it wanted was
    delivered."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def emit_lines(lines: list[str]) -> None:
    """Lines for people on stdout (whoami, status): whatever a server named in them, each stays
    one line and holds no control character."""
    sys.stdout.write("".join(for_people(line) + "\n" for line in lines))
    sys.stdout.flush()


def emit_marked_lines(lines: list[tuple[tuple[str, str] | None, str]]) -> None:
    """Lines for people on stdout, each after an optional mark (text, rich style): the mark in
    its colour on a terminal (plain under NO_COLOR), plain into a pipe. Never markup."""
    if not sys.stdout.isatty():
        emit_lines([(mark[0] if mark else "") + text for mark, text in lines])
        return
    from rich.console import Console
    from rich.text import Text

    console = Console(highlight=False, soft_wrap=True)
    for mark, text in lines:
        console.print(Text.assemble(mark, text) if mark else Text(text))


def utf8_text(data: bytes, what: str) -> str:
    """Bytes from standard input as text; anything but UTF-8 is a usage error, not a crash."""
    from mightycli.errors import UsageError

    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"The {what} on standard input is not UTF-8 text.") from None
