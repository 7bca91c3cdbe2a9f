"""The one reading of an HTTP answer: whether it is a failure, which one, and the error it becomes.

Four decisions, the same for every caller: HTTP 401 (the token refused), 3xx (a redirect mighty
does not follow, so that the token never travels elsewhere), an HTML 403 (a bot or firewall
challenge, not an API answer), and any other status from 400 up (an error with the server's
detail). Callers differ only in how they word them: a ``Wording`` says it.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from mightycli.errors import ApiAuthError, ApiError
from mightycli.http import (
    decode_json,
    error_detail,
    html_block_hint,
    is_html,
    is_html_block,
    status_text,
)


@dataclass(frozen=True)
class Wording:
    """How one caller words the four failures.

    The message templates may name ``{server}``, ``{status}`` (``HTTP 404 Not Found``),
    ``{detail}`` (the server's detail framed by ``detail``, or ``no_detail`` when there is
    none) and ``{location}`` (a redirect's Location, printable and cut short).
    """

    server: str
    refused: str  # HTTP 401
    redirected: str  # 3xx
    blocked: str  # an HTML 403
    failed: str  # any other status from 400 up
    detail: str  # how a detail is framed, e.g. ": {}" or " ({})"
    no_detail: str
    # What stands for the detail of an HTML answer that carries none.
    html_detail: str
    # Name an HTML answer only when its body is not a JSON object (an object without a
    # detail then has none), rather than whenever the detail is missing.
    html_only_without_object: bool = False
    # Leave out a detail that only repeats the reason phrase ("HTTP 404 Not Found", not
    # "HTTP 404 Not Found (Not Found)").
    skip_echoed_reason: bool = False
    refused_hint: str | None = None
    refused_code: str | None = None
    redirect_hint: str | None = None
    not_found_hint: str | None = None


def classify_response(response: httpx.Response, wording: Wording) -> ApiError | None:
    """The error an answer stands for, or None when it is not one of the four failures
    (a 2xx answer's own content is the caller's to judge). A 401 is an ``ApiAuthError``
    (exit code 4), the rest ``ApiError``; each carries the answer's status code."""
    code = response.status_code
    if code < 300:
        return None
    words = {"server": wording.server, "status": status_text(response)}
    if code < 400:
        message = wording.redirected.format_map(words | {"location": _location(response)})
        return ApiError(message, hint=wording.redirect_hint, status_code=code)
    words["detail"] = _framed_detail(response, wording)
    if code == 401:
        return ApiAuthError(
            wording.refused.format_map(words),
            hint=wording.refused_hint,
            status_code=401,
            code=wording.refused_code,
        )
    if is_html_block(response):
        hint = html_block_hint(str(response.request.url))
        return ApiError(wording.blocked.format_map(words), hint=hint, status_code=403)
    not_found_hint = wording.not_found_hint if code == 404 else None
    return ApiError(wording.failed.format_map(words), hint=not_found_hint, status_code=code)


def _location(response: httpx.Response) -> str:
    """A redirect's Location as it may be shown: cut short, unprintable characters replaced."""
    location = response.headers.get("location") or ""
    where = "".join(c if c.isprintable() else "?" for c in location[:300])
    return where or "(no Location given)"


def _framed_detail(response: httpx.Response, wording: Wording) -> str:
    body = decode_json(response.content)
    detail = error_detail(body)
    names_html = not (wording.html_only_without_object and isinstance(body, dict))
    if detail is None and names_html and is_html(response):
        detail = wording.html_detail
    if wording.skip_echoed_reason and detail is not None:
        if detail.lower() == response.reason_phrase.lower():
            detail = None
    return wording.detail.format(detail) if detail else wording.no_detail
