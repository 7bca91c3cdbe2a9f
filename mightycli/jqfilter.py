"""--jq: jq's own language, through the jq package (bindings to the real libjq).

The package is imported only when a filter is compiled, so commands without --jq never load it.
"""

from __future__ import annotations

import json
from typing import Any

from mightycli.errors import MightyError, UsageError


class JqError(MightyError):
    """The filter failed on the data (a runtime error, exit 1), not on its syntax."""


class JqFilter:
    """A compiled jq program; ``lines`` runs it on one value and returns its results as text:
    strings raw, other values as compact JSON, one result per line (as gh does)."""

    def __init__(self, expression: str) -> None:
        try:
            import jq
        except ImportError:  # pragma: no cover - a dependency; only a broken install lacks it
            raise UsageError(
                "--jq needs the jq package.", hint="Install it with: pip install jq"
            ) from None
        self.expression = expression
        try:
            self._program = jq.compile(expression)
        except ValueError as exc:
            message = " ".join(str(exc).split())
            raise UsageError(f"--jq: {message}") from None
        self._encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))

    def results(self, value: Any) -> list[Any]:
        """Every value the program yields for ``value``; a runtime error is a failure (exit 1)."""
        try:
            return list(self._program.input_value(value).all())
        except ValueError as exc:
            raise JqError(
                f"jq: {' '.join(str(exc).split())}",
                hint=f"The filter was: {self.expression}",
            ) from None

    def text(self, result: Any) -> str:
        return result if isinstance(result, str) else self._encoder.encode(result)

    def lines(self, value: Any) -> str:
        """The program's results for ``value``, each on its own line."""
        return "".join(self.text(result) + "\n" for result in self.results(value))
