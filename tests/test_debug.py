from __future__ import annotations

import json

from mightycli import debug


def test_redacts_urls_forms_json_and_headers() -> None:
    url = debug.redact_url("http://localhost:3000/callback?code=abc123&state=xyz789&iss=https://x")
    assert "abc123" not in url and "xyz789" not in url and "iss=https" in url
    form = debug.redact_body(
        b"grant_type=refresh_token&refresh_token=rt-secret&client_id=cid&client_secret=cs",
        "application/x-www-form-urlencoded",
    )
    assert (
        "rt-secret" not in form and "client_id=cid" in form and "client_secret=[redacted]" in form
    )
    body = debug.redact_body(
        json.dumps({"access_token": "at", "nested": [{"refresh_token": "rt"}], "ok": 1}).encode(),
        "application/json",
    )
    assert json.loads(body) == {
        "access_token": "[redacted]",
        "nested": [{"refresh_token": "[redacted]"}],
        "ok": 1,
    }
    headers = debug.format_headers([("Authorization", "Bearer at"), ("Accept", "x")])
    assert headers == ["  Authorization: [redacted]", "  Accept: x"]
    assert debug.redact_body(b"\xff\xfe", "application/octet-stream").startswith("<2 bytes")


def test_registered_values_are_scrubbed_anywhere() -> None:
    lines: list[str] = []
    log = debug.DebugLog(lines.append)
    log.register("token-value-123", None, "ab")  # too short to register: would hit words
    log.line("an echo of token-value-123 in an odd place, and ab stays")
    assert lines == ["an echo of [redacted] in an odd place, and ab stays"]
