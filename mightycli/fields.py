"""``-f key=value`` and ``-F key=value`` parameters, as ``gh api`` users know them.

``-f`` always gives a string. ``-F`` gives JSON-ish types: ``true``/``false``, ``null``,
integers and decimals, ``@file`` for a file's text (``@-`` for standard input); anything else
stays a string. ``key[]=v`` appends to an array, ``key[sub]=v`` nests an object.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mightycli.config import check_text
from mightycli.errors import UsageError

_KEY = r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$"
_NUMBER = r"^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$"


@dataclass(frozen=True)
class Field:
    key: str
    value: Any


def _read_file(name: str, read_stdin: Callable[[], str]) -> str:
    if name == "-":
        return read_stdin()
    try:
        return Path(name).read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"Cannot read {name!r} for a field: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise UsageError(f"{name!r} is not UTF-8 text.") from exc


def typed_value(text: str, read_stdin: Callable[[], str] = lambda: sys.stdin.read()) -> Any:
    if text == "true":
        return True
    if text == "false":
        return False
    if text == "null":
        return None
    if re.match(_NUMBER, text):
        return float(text) if any(c in text for c in ".eE") else int(text)
    if text.startswith("@"):
        return _read_file(text[1:], read_stdin)
    return text


def parse_field(
    spec: str, *, typed: bool, read_stdin: Callable[[], str] = lambda: sys.stdin.read()
) -> Field:
    key, sep, raw = check_text(spec, "field").partition("=")
    if not sep or not key:
        flag = "-F" if typed else "-f"
        raise UsageError(
            f"The field {spec!r} is not key=value.", hint=f"Example: {flag} name=value"
        )
    value = typed_value(raw, read_stdin) if typed else raw
    return Field(key, value)


def _path(key: str) -> list[str]:
    match = re.match(_KEY, key)
    if not match:
        raise UsageError(
            f"The field name {key!r} is not valid.", hint="Use name, name[] or name[sub]."
        )
    parts = [match.group(1)]
    parts += re.findall(r"\[([^\[\]]*)\]", match.group(2))
    return parts


def build_object(fields: Iterable[Field]) -> dict[str, Any]:
    """Fold fields into one JSON object, honouring ``[]`` and ``[sub]`` in names."""
    result: dict[str, Any] = {}
    for field in fields:
        parts = _path(field.key)
        target: Any = result
        for depth, part in enumerate(parts):
            last = depth == len(parts) - 1
            following = None if last else parts[depth + 1]
            if part == "":
                if not isinstance(target, list):
                    raise UsageError(f"The field {field.key!r} mixes an array with other values.")
                if last:
                    target.append(field.value)
                    break
                target.append({})
                target = target[-1]
                continue
            if not isinstance(target, dict):
                raise UsageError(f"The field {field.key!r} mixes an object with other values.")
            if last:
                if part in target and isinstance(target[part], (dict, list)):
                    raise UsageError(f"The field {field.key!r} is given as a value and a group.")
                target[part] = field.value
                break
            container: Any = [] if following == "" else {}
            existing = target.setdefault(part, container)
            if type(existing) is not type(container):
                raise UsageError(f"The field {field.key!r} conflicts with another field.")
            target = existing
    return result


def query_params(fields: Iterable[Field]) -> list[tuple[str, str]]:
    """Fields as a query string: arrays repeat their key, booleans are lowercase."""
    params: list[tuple[str, str]] = []
    for field in fields:
        value = field.value
        if value is None:
            text = ""
        elif isinstance(value, bool):
            text = "true" if value else "false"
        else:
            text = str(value)
        params.append((field.key, text))
    return params


# RFC 9110 section 5.6.2: what a header's name may be made of.
_TOKEN_CHARS = frozenset(
    "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
)


def parse_header(spec: str) -> tuple[str, str]:
    name, sep, value = check_text(spec, "header").partition(":")
    name = name.strip()
    if not sep or not name or any(c in name for c in " \t\r\n") or "\n" in value or "\r" in value:
        raise UsageError(f"The header {spec!r} is not 'Name: value'.")
    if not set(name) <= _TOKEN_CHARS:
        raise UsageError(
            f"The header name {name!r} is not a valid HTTP header name.",
            hint="Use ASCII letters, digits and dashes, e.g. -H 'X-Request-Id: 7'.",
        )
    if not all(c == "\t" or " " <= c <= "~" for c in value):
        raise UsageError(
            f"The value of the header {name} is not plain ASCII text.",
            hint="HTTP header values carry printable ASCII only: percent-encode anything else.",
        )
    if name.lower() == "authorization":
        raise UsageError(
            "mighty sets the Authorization header itself.",
            hint="To use another token, set MIGHTY_TOKEN in the environment (not an argument: "
            "arguments end up in shell history).",
        )
    return name, value.strip()
