"""--jq on every command with --json, JSON keys as snake_case identifiers everywhere, and raw
bodies that end with a newline, all against the emulator through the real command."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from conftest import admin_token_login, login_args

from mightycli.emulator import ADMIN_API_TOKEN

KEY = re.compile(r"^[a-z][a-z0-9_]*$")


@pytest.fixture
def logged_in(emulator, redirect_uri, run_mighty):  # type: ignore[no-untyped-def]
    """An OAuth login and an Admin API token for the emulated network."""
    result = run_mighty(*login_args(emulator, redirect_uri))
    assert result.code == 0, result.stderr
    admin_token_login(run_mighty, emulator)
    return emulator


def test_jq_prints_strings_raw_and_other_values_as_json(logged_in, run_mighty) -> None:  # type: ignore[no-untyped-def]
    name = run_mighty("whoami", "--jq", ".name")
    assert (name.code, name.stdout) == (0, "Ada Lovelace\n")
    several = run_mighty("whoami", "--jq", ".name, .network_id, .role, null, {id, network}")
    assert several.code == 0, several.stderr
    lines = several.stdout.splitlines()
    assert lines[0] == "Ada Lovelace"
    assert json.loads(lines[1]) == 1001 and lines[1] == "1001"
    assert lines[3] == "null"
    user_id = run_mighty("whoami", "--jq", ".id").stdout.strip()  # a string: printed raw
    assert json.loads(lines[4]) == {"id": user_id, "network": "emulated"}
    assert len(lines) == 5  # one result per line


def test_jq_on_every_json_command(logged_in, run_mighty) -> None:  # type: ignore[no-untyped-def]
    status = run_mighty("status", "--jq", ".logins[].network")
    assert (status.code, status.stdout) == (0, "emulated\n")
    check = run_mighty("status", "--check", "--jq", ".[] | [.api, .ok]")
    assert check.code == 0, check.stderr
    assert [json.loads(line) for line in check.stdout.splitlines()] == [
        ["GraphQL", True],
        ["Admin API", True],
    ]
    switched = run_mighty("switch", "emulated", "--jq", ".default")
    assert (switched.code, switched.stdout) == (0, "true\n")
    api = run_mighty("api", "graphql", "-f", "query={ me { name } }", "--jq", ".data.me.name")
    assert (api.code, api.stdout) == (0, "Ada Lovelace\n")
    out = run_mighty("logout", "--jq", ".[0].revocations | keys[]")
    assert out.code == 0, out.stderr
    assert out.stdout.splitlines() == ["access_token", "refresh_token"]


def test_jq_runs_on_each_item_with_paginate(logged_in, run_mighty) -> None:  # type: ignore[no-untyped-def]
    plain = run_mighty("api", "members", "-f", "per_page=2", "--paginate")
    items = [json.loads(line) for line in plain.stdout.splitlines()]
    assert len(items) >= 4
    names = run_mighty("api", "members", "-f", "per_page=2", "--paginate", "--jq", ".first_name")
    assert names.code == 0, names.stderr
    assert names.stdout.splitlines() == [item["first_name"] for item in items]
    slurped = run_mighty("api", "members", "-f", "per_page=2", "--slurp", "--jq", "length")
    assert (slurped.code, slurped.stdout) == (0, f"{len(items)}\n")


@pytest.mark.parametrize("command", [("whoami",), ("status",), ("api", "members")])
def test_a_bad_expression_is_a_usage_error_quoting_jq(logged_in, run_mighty, command) -> None:  # type: ignore[no-untyped-def]
    result = run_mighty(*command, "--jq", ".[")
    assert result.code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("mighty: --jq: jq: error: syntax error")
    assert "compile error" in result.stderr


def test_a_bad_expression_stops_login_early(emulator, redirect_uri, run_mighty) -> None:  # type: ignore[no-untyped-def]
    result = run_mighty(*login_args(emulator, redirect_uri), "--jq", "{")
    assert result.code == 2
    assert "Open this URL" not in result.stderr and "--jq: jq: error" in result.stderr


def test_a_filter_failing_on_the_data_is_a_failure(logged_in, run_mighty) -> None:  # type: ignore[no-untyped-def]
    result = run_mighty("whoami", "--jq", ".name[0]")
    assert result.code == 1
    assert result.stderr.startswith("mighty: jq: Cannot index string")


def _keys(value: Any, path: str = "") -> list[tuple[str, str]]:
    """Every (path, key) of every object inside ``value``."""
    found: list[tuple[str, str]] = []
    if isinstance(value, dict):
        for key, inner in value.items():
            found.append((path, key))
            found += _keys(inner, f"{path}.{key}")
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found += _keys(inner, f"{path}[{index}]")
    return found


def test_every_json_output_has_snake_case_keys(emulator, redirect_uri, run_mighty) -> None:  # type: ignore[no-untyped-def]
    outputs: dict[str, Any] = {}

    def collect(*args: str, input: str | None = None, code: int = 0) -> None:
        result = run_mighty(*args, "--json", input=input)
        assert result.code == code, (args, result.stderr)
        outputs[" ".join(args)] = json.loads(result.stdout)

    collect(*login_args(emulator, redirect_uri))
    collect(*login_args(emulator, redirect_uri))  # again: the replaced login is reported
    collect("login", "--with-token", "-n", "emulated", "--api-url", emulator.url,
            input=ADMIN_API_TOKEN + "\n")  # fmt: skip
    collect("login", "-n", "emulated", "--issuer", emulator.url, "--api-url", emulator.url,
            "--client-id", "emulator-public-client", "--redirect-uri", redirect_uri, "--no-wait")  # fmt: skip
    collect("whoami")
    collect("status")
    collect("status", "--check")
    collect("switch", "emulated")
    collect("logout")
    collect("logout", "--all")
    assert outputs["logout"][0]["revocations"]  # the labels that once had spaces are there
    assert outputs[" ".join(login_args(emulator, redirect_uri))]["replaced_login"]
    bad = [(command, path, key) for command, data in outputs.items()
           for path, key in _keys(data) if not KEY.match(key)]  # fmt: skip
    assert bad == []


def test_a_raw_body_into_a_pipe_ends_with_a_newline(logged_in, run_mighty) -> None:  # type: ignore[no-untyped-def]
    result = run_mighty("api", "members/5000003")
    assert result.code == 1  # a 404: members/<id>/ has a trailing slash
    assert result.stdout == '{"error": "Not Found"}\n' or (
        result.stdout.endswith("}\n") and json.loads(result.stdout)
    )
    found = run_mighty("api", "members/5000003/")
    assert found.code == 0 and found.stdout.endswith("}\n") and found.stdout.count("\n") == 1


def test_jq_reads_the_environment_and_files_here_as_the_readme_warns(  # type: ignore[no-untyped-def]
    logged_in, run_mighty, tmp_path, monkeypatch
) -> None:
    """jq's whole language runs: $ENV, and modules and data files from the working directory.
    So an expression is code, and a script must never pass an untrusted one."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "leak.json").write_text('{"secret": "from a file"}')
    (tmp_path / "leak.jq").write_text('def leak: "from a module";')
    env = {"SOMETHING_PRIVATE": "from the environment"}
    read = run_mighty("status", "--jq", "$ENV.SOMETHING_PRIVATE, env.SOMETHING_PRIVATE", env=env)
    assert read.stdout == "from the environment\n" * 2
    data = run_mighty("status", "--jq", 'import "leak" as $f; $f[0].secret')
    assert (data.code, data.stdout) == (0, "from a file\n")
    module = run_mighty("status", "--jq", 'include "leak"; leak')
    assert (module.code, module.stdout) == (0, "from a module\n")
