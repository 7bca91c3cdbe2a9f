"""The full command line (Typer), one module per command group: ``base`` (the Typer app and the
options commands share), ``logins`` (login, status, switch, logout), ``calls`` (whoami, token,
api; their bodies in ``calling``, which the fast route runs too), ``emulator`` (the emulator's
own front end, registered), ``help`` (completion and the fast ``--help``), ``render`` and
``output`` (what is written), and ``root`` (the command order and ``main``, the error boundary).

The only package that imports typer or rich. Importing it alone loads nothing: the fast route
uses ``output`` and ``calling`` without building the Typer app.
"""

from __future__ import annotations

from typing import Any


def main(argv: list[str] | None = None) -> int:
    """Run the full command line; return the exit status (``mightycli.cli.root.main``)."""
    from mightycli.cli.root import main as run

    return run(argv)


def __getattr__(name: str) -> Any:
    if name == "app":  # the Typer app with every command registered
        from mightycli.cli import root  # registers every command on the app

        return root.app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
