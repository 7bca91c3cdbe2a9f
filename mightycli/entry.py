"""The ``mighty`` console script: fast routes for the commands scripts call in loops.

``mighty --version``, ``mighty token``, ``mighty whoami`` and ``mighty api`` run from here when
their arguments read plainly (``mightycli.grammar``), loading only what the command needs;
everything else (help, completion, the other commands, anything the grammar declines) goes to
the full Typer command line in ``mightycli.cli``. Both routes run the same command functions
(``mightycli.cli.calling``) inside the same error boundary. This module imports neither Typer nor
rich, and nothing at all until it knows which route it takes.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> int:
    """Run mighty; return the exit status instead of exiting."""
    args = sys.argv[1:] if argv is None else list(argv)
    if args == ["--version"]:
        from mightycli.version import __version__

        sys.stdout.write(f"mighty {__version__}\n")
        return 0
    from mightycli.environment import Env

    # A completion request, and MIGHTY_DEBUG, whose values Typer reads (and refuses) in its own
    # way: with either, the full command line answers.
    if not (os.environ.get(Env.COMPLETE) or os.environ.get(Env.DEBUG)):
        from mightycli import grammar

        parsed = grammar.parse(args)
        if parsed is not None:
            import contextvars

            command, values = parsed
            # A context of its own, as on the full route: --debug must not outlive this run.
            return contextvars.copy_context().run(_run, command.function, values, args)
    from mightycli import cli

    return cli.main(argv)


def _run(function: str, values: dict[str, object], args: list[str]) -> int:
    """Run one command function inside the error boundary both routes share."""
    from mightycli.cli import calling, output

    def work() -> int:
        output.enable_debug(bool(values.pop("debug")))
        getattr(calling, function)(**values)
        return 0

    return output.guarded(work, args)
