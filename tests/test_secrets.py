"""Canaries: every code, token, verifier and the client secret the emulator saw must appear
nowhere a person or a log could read it, except `mighty token`'s own output."""

from __future__ import annotations

from pathlib import Path

from conftest import login_args

from mightycli.emulator import CONFIDENTIAL_CLIENT_ID, CONFIDENTIAL_CLIENT_SECRET

GRAPHQL_PATH = "/networks/emulated/graphql"


def _files(root: Path) -> dict[str, str]:
    """Every file mighty wrote under the config folder, except the opted-out token file."""
    return {
        str(p): p.read_text(errors="replace")
        for p in root.rglob("*")
        if p.is_file() and p.name != "keyring_pass.cfg"
    }


def test_no_secret_leaks_with_debug_and_failures(  # type: ignore[no-untyped-def]
    emulator, redirect_uri, run_mighty, isolated
) -> None:
    secret_env = {"MIGHTY_CLIENT_SECRET": CONFIDENTIAL_CLIENT_SECRET, "MIGHTY_DEBUG": "1"}
    args = login_args(emulator, redirect_uri)
    args[args.index("emulator-public-client")] = CONFIDENTIAL_CLIENT_ID
    outputs: list[str] = []

    def run(*command: str, env: dict[str, str] | None = None, allowed_stdout: bool = False) -> None:
        result = run_mighty(*command, env={**secret_env, **(env or {})})
        outputs.append(result.stderr)
        if not allowed_stdout:
            outputs.append(result.stdout)
        assert "Traceback" not in result.stderr

    # A failed login first (token endpoint down), then a good one.
    emulator.inject_fault("/oauth/token", 500, "<html>down</html>")
    run(*args)
    run(*args)
    run("--debug", "whoami")
    run("api", "graphql", "-f", "query={ me { name email } }")
    run("token", allowed_stdout=True)
    # Refresh after the server drops the token, once failing (HTML 502), then working.
    emulator.expire_access_tokens()
    emulator.inject_fault("/oauth/token", 502, "<html>gateway</html>")
    run("whoami")
    run("api", "graphql", "-f", "query={ me { name } }")
    emulator.inject_fault(
        GRAPHQL_PATH, 500, '{"errors": [{"message": "boom"}]}', "application/json"
    )
    run("api", "graphql", "-f", "query={ me { name } }")
    run("status", "--json")
    # A refresh rejected outright, then a logout that revokes.
    run("logout")
    run(*args, "--no-wait", "--json")
    run(*args)
    emulator.expire_access_tokens()
    emulator.inject_fault("/oauth/token", 400, '{"error": "invalid_grant"}', "application/json")
    run("token", allowed_stdout=True)
    run("logout")

    canaries = emulator.secrets_seen() | {CONFIDENTIAL_CLIENT_SECRET}
    assert len(canaries) > 10  # codes, verifiers, access and refresh tokens were all issued
    assert any("[debug] > POST" in text for text in outputs)  # debug output was really on
    haystacks = {f"output {i}": text for i, text in enumerate(outputs)}
    haystacks.update(_files(isolated / "config"))
    leaks = sorted(
        (where, secret[:6] + "...")
        for where, text in haystacks.items()
        for secret in canaries
        if secret in text
    )
    assert leaks == []
