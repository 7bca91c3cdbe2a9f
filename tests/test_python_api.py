"""The Python API (mightycli.connect) against the emulator, each script in a process of its own
that must load neither Typer nor rich. The README's own example runs in test_examples.py."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from test_examples import NETWORK, Stage, shared_home, stage

from mightycli.emulator import NETWORK_ID

__all__ = ["shared_home", "stage"]  # fixtures, used by name

# Runs the script, then fails (exit 3) if the command line's modules were loaded.
PROBE = textwrap.dedent(
    """
    import runpy, sys
    runpy.run_path(sys.argv[1], run_name="__main__")
    loaded = sorted(m for m in ("typer", "rich", "click") if m in sys.modules)
    if loaded:
        sys.stderr.write("command-line modules loaded: %s\\n" % loaded)
        sys.exit(3)
    """
)


def run_script(
    stage: Stage, home: Path, tmp_path: Path, code: str, **env: str
) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(code))
    probe = tmp_path / "probe.py"
    probe.write_text(PROBE)
    result = stage.run(f"python {probe} {script}", home, **env)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def test_graphql_returns_data_and_paginate_follows_both_apis(
    stage: Stage, shared_home: Path, tmp_path: Path
) -> None:
    code = """
        import json, mightycli
        with mightycli.connect() as mn:  # the default network: the most recent login
            out = {
                "network": mn.network,
                "me": mn.graphql("query($n: ID!) { me { name } node(id: $n) { id } }", {"n": "x"}),
                "admin": [m["email"] for m in mn.paginate("members", params={"per_page": 1})],
                "graphql": [n["name"] for n in mn.paginate(
                    "query($endCursor: String) { network { members(first: 1, after: $endCursor,"
                    " sort: RESOURCE_ID) { nodes { name } pageInfo { hasNextPage endCursor } } } }"
                )],
                "raw": mn.http.get("/admin/v1/networks/" + mn.network + "/me").status_code,
            }
        print(json.dumps(out))
    """
    result = run_script(stage, shared_home, tmp_path, code)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["network"] == NETWORK
    assert out["me"]["me"] == {"name": "Ada Lovelace"}
    assert len(out["admin"]) == 4 and "ada@example.com" in out["admin"]
    assert len(out["graphql"]) == 4 and "Ada Lovelace" in out["graphql"]
    # The raw client carries the OAuth token, which the Admin API does not take.
    assert out["raw"] == 401


def test_errors_are_the_library_tree_with_exit_codes(
    stage: Stage, shared_home: Path, tmp_path: Path
) -> None:
    code = """
        import mightycli

        def outcome(action):
            try:
                action()
            except mightycli.MightyError as error:
                return f"{type(error).__name__} {error.exit_code}"
            return "no error"

        with mightycli.connect("mycommunity") as mn:
            print(outcome(lambda: mn.graphql("{ nosuchfield }")))
            print(outcome(lambda: list(mn.paginate("{ me { name } }"))))
            print(outcome(lambda: list(mn.paginate("no/such/path"))))
        print(outcome(lambda: mightycli.connect("othercommunity")))
    """
    result = run_script(stage, shared_home, tmp_path, code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "ApiError 1",
        "UsageError 2",
        "ApiError 1",
        "NotLoggedInError 4",
    ]


def test_a_refused_token_is_renewed_and_throttling_retried(stage: Stage, tmp_path: Path) -> None:
    home = tmp_path / "home"
    stage.log_in(home)
    stage.emulator.expire_access_tokens()
    refreshes = stage.emulator.refresh_count
    stage.emulator.inject_fault(
        # Once a login knows the network's numeric id, API paths use it.
        f"/networks/{NETWORK_ID}/graphql",
        429,
        "{}",
        "application/json",
        headers={"Retry-After": "0"},
    )
    code = """
        import mightycli
        with mightycli.connect("mycommunity", notify=print) as mn:
            print(mn.graphql("{ me { name } }")["me"]["name"])
    """
    result = run_script(stage, home, tmp_path, code)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[-1] == "Ada Lovelace"
    assert any("429" in line and "retrying" in line for line in lines)
    assert stage.emulator.refresh_count == refreshes + 1


def test_mighty_token_from_the_environment(stage: Stage, tmp_path: Path) -> None:
    home = tmp_path / "home"
    stage.log_in(home)
    token = stage.run("mighty token", home).stdout.strip()
    code = """
        import mightycli
        with mightycli.connect() as mn:
            print(mn.graphql("{ me { name } }")["me"]["name"])
    """
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run_script(stage, empty, tmp_path, code, MIGHTY_TOKEN=token, MIGHTY_NETWORK=NETWORK)
    assert (result.returncode, result.stdout) == (0, "Ada Lovelace\n"), result.stderr


def test_importing_the_package_loads_no_http_client() -> None:
    probe = "import sys, mightycli; print(sorted(m for m in ('httpx', 'typer', 'rich') if m in sys.modules)); mightycli.connect"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "[]\n"
