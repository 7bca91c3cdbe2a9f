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


def test_headers_named_like_credentials_are_redacted() -> None:
    secret = [
        ("X-Api-Key", "k-1"),
        ("Cookie", "c-1"),
        ("X-Auth-Token", "t-1"),
        ("X-Client-Secret", "s-1"),
        ("X-Password", "p-1"),
        ("Proxy-Authorization", "a-1"),
        ("X-Session-Id", "s-2"),
        ("x-amz-signature", "s-3"),
    ]
    plain = [("Accept", "application/json"), ("X-Request-Id", "7"), ("User-Agent", "mighty")]
    lines = debug.format_headers(secret + plain)
    assert lines[: len(secret)] == [f"  {name}: [redacted]" for name, _ in secret]
    assert lines[len(secret) :] == [f"  {name}: {value}" for name, value in plain]


def test_graphql_error_codes_stay_readable() -> None:
    body = {
        "errors": [{"message": "no", "extensions": {"code": "UNAUTHENTICATED"}}],
        "error": {"code": 429, "kind": "rate_limited"},
        "other": {"code": "invalid_grant"},
        "oauth": {"code": "Xy3-f_9aQwErTy12zz"},
    }
    shown = json.loads(debug.redact_body(json.dumps(body).encode(), "application/json"))
    assert shown["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert shown["error"]["code"] == 429 and shown["other"]["code"] == "invalid_grant"
    assert shown["oauth"]["code"] == "[redacted]"
