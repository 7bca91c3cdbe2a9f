"""``mighty emulator``: the emulator's own front end (``mightycli.emulator.command``), registered
as a command of mighty; its usage errors become mighty's.

The emulator's module loads only when Typer builds the command line, never for ``mighty
--help``'s command list, which shows ``SUMMARY`` (a test holds it to the command's docstring).
"""

from __future__ import annotations

from typing import Any

from mightycli.cli.base import app
from mightycli.cli.output import enable_debug
from mightycli.errors import UsageError

SUMMARY = "Run a local stand-in for Mighty Networks (OAuth, GraphQL and Admin API) until Ctrl-C."


def _command() -> Any:
    from mightycli.emulator import command  # the emulator extra's front end, loaded when used

    return command


class _Deferred:
    """The emulator command as Typer sees it: its signature, annotations and help are the
    emulator's own, read from its module the first time Typer asks."""

    __name__ = __qualname__ = "emulator"

    @property
    def __wrapped__(self) -> Any:
        return _command().emulator

    @property
    def __annotations__(self) -> dict[str, Any]:  # type: ignore[override]
        return dict(_command().emulator.__annotations__)

    @property
    def __doc__(self) -> str | None:  # type: ignore[override]
        return str(_command().emulator.__doc__)

    def __call__(self, **options: Any) -> None:
        command = _command()
        enable_debug(bool(options.get("debug")))
        try:
            command.emulator(**options)
        except command.FrontEndError as error:
            raise UsageError(error.message, hint=error.hint) from error


def register() -> None:
    from mightycli.cli.base import _Command

    app.command("emulator", short_help=SUMMARY, cls=_Command)(_Deferred())
