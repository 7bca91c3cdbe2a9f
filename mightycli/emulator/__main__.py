"""``python -m mightycli.emulator``: the emulator's own front end, the same command (and flags)
as ``mighty emulator``, run without the client's command line."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Sequence
from typing import Any

import typer
from typer._click import _textwrap

from mightycli.emulator.command import FrontEndError, emulator


class _WholeWords(_textwrap.TextWrapper):
    """Help wrapped at spaces only, as in mighty's own help: a default value is never split."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **{**kwargs, "break_on_hyphens": False, "break_long_words": False})

    _handle_long_word = textwrap.TextWrapper._handle_long_word  # honours break_long_words


def main(argv: Sequence[str] | None = None) -> int:
    _textwrap.TextWrapper = _WholeWords  # type: ignore[misc]  # looked up at each wrap
    app = typer.Typer(
        add_completion=False,
        pretty_exceptions_show_locals=False,
        rich_markup_mode=None,
        context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    )
    app.command()(emulator)
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        outcome = app(args=args, prog_name="mighty emulator", standalone_mode=False)
    except FrontEndError as error:
        sys.stderr.write(f"mighty: {error.message}\n" + (f"{error.hint}\n" if error.hint else ""))
        return 2
    except typer.Exit as exit_:
        return int(exit_.exit_code)
    except typer.Abort:
        return 130
    except typer.TyperException as error:
        _say_numbers_plainly(error)
        show = getattr(error, "show", None)
        if callable(show):
            show()
        return int(error.exit_code)
    return outcome if isinstance(outcome, int) else 0


KINDS = {"int_parsing": "a whole number", "float_parsing": "a number"}


def _say_numbers_plainly(error: typer.TyperException) -> None:
    """A bad number names the option and what it expects, as mighty's usage errors do."""
    param = getattr(error, "param", None)
    details = getattr(error.__cause__, "errors", None)
    first = (details() or [{}])[0] if callable(details) else {}
    kind = KINDS.get(first.get("type", ""))
    if param is not None and kind:
        message = f"{max(param.opts, key=len)} expects {kind}, got {first.get('input')!r}."
        setattr(error, "format_message", lambda: message)  # noqa: B010


if __name__ == "__main__":
    raise SystemExit(main())
