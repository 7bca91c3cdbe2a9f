"""``--debug``: every HTTP exchange written to stderr, with every secret redacted.

Redaction works two ways: by name (headers, query parameters, form fields and JSON keys that
carry credentials) and by value (the tokens, codes and verifiers of this process are registered
as they appear, and replaced wherever they show up). The sink lives in a context variable set by
the command line, so library code stays free of printing and of global state.
"""

from __future__ import annotations

import contextvars
import json
import re
from collections.abc import Callable, Iterable
from typing import Any

REDACTED = "[redacted]"
SECRET_HEADERS = frozenset({"authorization", "cookie", "set-cookie", "proxy-authorization"})
# Any header named like a credential, such as one a user adds with -H 'X-Api-Key: ...'.
# Patterns are kept as text and compiled on first use (re caches them): not at start-up.
SECRET_HEADER_NAME = r"auth|token|secret|key|passw|cookie|session|credential|signature"
# A JSON "code" that reads like an error code (GraphQL's extensions.code, an HTTP status) is
# worth seeing; an authorization code never looks like one.
_ERROR_CODE = r"[A-Z][A-Z0-9_]*|[a-z][a-z_]*|[0-9]{1,4}"
SECRET_FIELDS = frozenset(
    {
        "access_token",
        "refresh_token",
        "id_token",
        "token",
        "code",
        "code_verifier",
        "client_secret",
        "state",
        "password",
        "admin_token",
        "api_key",
    }
)
BODY_LIMIT = 4000


class DebugLog:
    """Where the log goes, and the secret values to blank out of it."""

    # A plain class, like the other objects on the start-up path of `mighty token`: making a
    # dataclass costs more at import than the command spends on its own work.
    __slots__ = ("write", "secrets")

    def __init__(self, write: Callable[[str], None], secrets: set[str] | None = None) -> None:
        self.write = write
        self.secrets: set[str] = set() if secrets is None else secrets

    def register(self, *values: str | None) -> None:
        for value in values:
            if value and len(value) >= 6:  # short values would redact ordinary words
                self.secrets.add(value)

    def scrub(self, text: str) -> str:
        for secret in sorted(self.secrets, key=len, reverse=True):
            text = text.replace(secret, REDACTED)
        return text

    def line(self, text: str) -> None:
        self.write(self.scrub(text))


_current: contextvars.ContextVar[DebugLog | None] = contextvars.ContextVar(
    "mighty_debug", default=None
)


def enable(write: Callable[[str], None]) -> DebugLog:
    log = DebugLog(write)
    _current.set(log)
    return log


def current() -> DebugLog | None:
    return _current.get()


def register_secret(*values: str | None) -> None:
    """Remember values that must never be printed, if debugging is on."""
    log = _current.get()
    if log is not None:
        log.register(*values)


def redact_pairs(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(k, REDACTED if k.lower() in SECRET_FIELDS else v) for k, v in pairs]


def redact_url(url: str) -> str:
    # Imported here: urllib.parse costs `mighty token` more than its own work.
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

    parts = urlsplit(url)
    if not parts.query:
        return url
    query = urlencode(redact_pairs(parse_qsl(parts.query, keep_blank_values=True)), safe="[]")
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def _secret_json_field(key: Any, value: Any) -> bool:
    if not isinstance(key, str) or key.lower() not in SECRET_FIELDS:
        return False
    if key.lower() == "code" and (
        isinstance(value, int) or (isinstance(value, str) and re.fullmatch(_ERROR_CODE, value))
    ):
        return False
    return True


def redact_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: REDACTED if _secret_json_field(k, v) else redact_json(v) for k, v in value.items()
        }
    if isinstance(value, list):
        return [redact_json(v) for v in value]
    return value


def redact_body(content: bytes, content_type: str) -> str:
    if not content:
        return ""
    kind = content_type.split(";")[0].strip().lower()
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return f"<{len(content)} bytes of binary data>"
    if kind == "application/x-www-form-urlencoded":
        from urllib.parse import parse_qsl, urlencode

        text = urlencode(redact_pairs(parse_qsl(text, keep_blank_values=True)), safe="[]")
    elif kind.endswith("json") or text.lstrip()[:1] in ("{", "["):
        try:
            text = json.dumps(redact_json(json.loads(text)), ensure_ascii=False)
        except (ValueError, RecursionError):  # not JSON, or nested past Python's reach
            pass
    if len(text) > BODY_LIMIT:
        text = text[:BODY_LIMIT] + f"... ({len(text)} characters in all)"
    return text


def is_secret_header(name: str) -> bool:
    lowered = name.lower()
    return lowered in SECRET_HEADERS or re.search(SECRET_HEADER_NAME, lowered) is not None


def format_headers(items: Iterable[tuple[str, str]]) -> list[str]:
    return [f"  {k}: {REDACTED if is_secret_header(k) else v}" for k, v in items]


def http_hooks(log: DebugLog) -> dict[str, list[Callable[[Any], None]]]:
    """httpx event hooks that write each request and response."""

    def on_request(request: Any) -> None:
        lines = [f"> {request.method} {redact_url(str(request.url))}"]
        lines += format_headers(request.headers.multi_items())
        body = redact_body(request.content, request.headers.get("content-type", ""))
        if body:
            lines.append(f"  {body}")
        log.line("\n".join(lines))

    def on_response(response: Any) -> None:
        response.read()
        lines = [f"< {response.http_version} {response.status_code} {response.reason_phrase}"]
        lines += format_headers(response.headers.multi_items())
        body = redact_body(response.content, response.headers.get("content-type", ""))
        if body:
            lines.append(f"  {body}")
        log.line("\n".join(lines))

    return {"request": [on_request], "response": [on_response]}
