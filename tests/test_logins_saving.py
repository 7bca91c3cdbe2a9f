"""Saving and revoking logins: one function decides where a login's tokens are revoked, and
every revocation in the logins package goes through it and through one pair revoker.

The end-to-end paths through it against an emulator that advertises no revocation endpoint
(so the fallback is used) are in test_login.py (tokens that could not be saved), test_day_two.py
(the replaced grant) and test_cli.py (logout). httpx.MockTransport stands in below only for what
the emulator cannot be: a server whose advertised endpoint differs from the fallback, and an
issuer with a trailing slash.
"""

from __future__ import annotations

import ast
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pytest

from mightycli import config, logins, oauth
from mightycli.logins.saving import revocation_endpoint
from mightycli.tokens import KeyringStore

PACKAGE = Path(__file__).resolve().parent.parent / "mightycli" / "logins"
REVOKERS = {"saving._revoke_replaced", "saving._save_tokens_or_revoke", "accounts._revoke_stored"}


@pytest.mark.parametrize(
    ("issuer", "advertised", "expected"),
    [
        ("https://id.example", "https://id.example/revoke-here", "https://id.example/revoke-here"),
        ("https://id.example/", "https://other.example/r", "https://other.example/r"),
        ("https://id.example", None, "https://id.example/oauth/revoke"),
        ("https://id.example/", None, "https://id.example/oauth/revoke"),
        ("https://id.example/tenant/", None, "https://id.example/tenant/oauth/revoke"),
    ],
)
def test_the_advertised_endpoint_wins_else_the_fixed_path_under_the_issuer(
    issuer: str, advertised: str | None, expected: str
) -> None:
    assert revocation_endpoint(issuer, advertised) == expected


def _callers(name: str) -> set[str]:
    """module.function for each function of the logins package that calls ``name``."""
    found = set()
    for path in sorted(PACKAGE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.FunctionDef):
                continue
            for call in ast.walk(node):
                if isinstance(call, ast.Call):
                    func = call.func
                    called = func.attr if isinstance(func, ast.Attribute) else None
                    called = func.id if isinstance(func, ast.Name) else called
                    if called == name:
                        found.add(f"{path.stem}.{node.name}")
    return found


def test_every_revocation_goes_through_the_resolver_and_the_pair_revoker() -> None:
    assert _callers("revocation_endpoint") == REVOKERS
    assert _callers("_revoke_pair") == REVOKERS
    assert _callers("revoke_token") == {"saving._revoke_pair"}
    sources = "".join(path.read_text(encoding="utf-8") for path in PACKAGE.glob("*.py"))
    assert sources.count("/oauth/revoke") == 1  # the fallback is written once


def _store_login(state_path: Path, issuer: str, advertised: str | None) -> None:
    base = issuer.rstrip("/")
    record = config.LoginRecord(
        network="demo",
        api_url="https://api.example.invalid",
        issuer=issuer,
        client_id="cid",
        authorization_endpoint=f"{base}/oauth/authorize",
        token_endpoint=f"{base}/oauth/token",
        revocation_endpoint=advertised,
        has_refresh_token=True,
    )
    config.write_state(state_path, config.LoginState().with_login(record))
    KeyringStore().save("demo", "stored-access-token", "stored-refresh-token")


@pytest.mark.parametrize(
    ("issuer", "advertised", "expected"),
    [
        ("https://id.example.invalid/", None, "https://id.example.invalid/oauth/revoke"),
        (
            "https://id.example.invalid",
            "https://id.example.invalid/revoke-here",
            "https://id.example.invalid/revoke-here",
        ),
    ],
)
def test_logout_revokes_both_tokens_at_the_resolved_endpoint(
    isolated: Path, issuer: str, advertised: str | None, expected: str
) -> None:
    seen: list[tuple[str, str, str]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        form = {k: v[0] for k, v in parse_qs(request.content.decode("utf-8")).items()}
        seen.append((str(request.url), form["token_type_hint"], form["token"]))
        return httpx.Response(200)

    state_path = isolated / "config" / "logins.json"
    _store_login(state_path, issuer, advertised)
    result = logins.logout("demo", state_path=state_path, transport=httpx.MockTransport(answer))
    assert seen == [
        (expected, "refresh_token", "stored-refresh-token"),
        (expected, "access_token", "stored-access-token"),
    ]
    assert result.revocations == {
        "refresh token": oauth.RevocationOutcome.REVOKED,
        "access token": oauth.RevocationOutcome.REVOKED,
    }
    assert config.read_state(state_path).logins == {}
