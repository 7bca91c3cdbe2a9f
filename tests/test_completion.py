"""Shell completion: `mighty completion bash|zsh|fish` prints a script, and the completion
requests those scripts make (the real protocol, in a subprocess) complete commands, options and
the networks of the stored logins."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import inprocess
import pytest

from mightycli import config

BIN = str(Path(sys.executable).parent)


def _mighty(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    # In process (tests/inprocess.py): printing a script; the completion requests run the
    # command as a shell does, in a process of its own (_mighty_process, _bash_complete).
    result = inprocess.run(args, env=env or {}, timeout=60)
    return subprocess.CompletedProcess(["mighty", *args], result.code, result.stdout, result.stderr)


def _mighty_process(
    *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mightycli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=60,
    )


def _script(shell: str) -> str:
    result = _mighty("completion", shell)
    assert result.returncode == 0, result.stderr
    return result.stdout


def _store_logins(*networks: str) -> None:
    path = config.state_file_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    logins = {
        name: {
            "network": name,
            "issuer": f"https://{name}.mn.co",
            "client_id": "abc123",
            "api_url": "https://api.mn.co",
        }  # fmt: skip
        for name in networks
    }
    path.write_text(json.dumps({"version": 1, "default": networks[0], "logins": logins}))
    assert sorted(config.read_state(path).logins) == sorted(networks)


def _bash_complete(line: str) -> list[str]:
    """What bash offers for ``line`` with the script installed: the script is sourced and its
    completion function runs as bash would run it on Tab, calling the real `mighty`."""
    script = _script("bash")
    function = re.search(r"complete .*-F (\S+) mighty", script)
    assert function is not None, script
    words = line.split(" ")
    program = f"""
{script}
COMP_WORDS=({" ".join(f"'{w}'" for w in words)})
COMP_CWORD={len(words) - 1}
{function.group(1)} mighty
printf '%s\\n' "${{COMPREPLY[@]}}"
"""
    result = subprocess.run(
        ["bash", "--norc", "-c", program],
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"},
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return [word for word in result.stdout.splitlines() if word]


def test_bash_script_is_valid_bash(tmp_path: Path) -> None:
    script = tmp_path / "mighty.bash"
    script.write_text(_script("bash"))
    checked = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    assert "_MIGHTY_COMPLETE=complete_bash" in script.read_text()


def test_zsh_and_fish_scripts_use_the_same_protocol() -> None:
    zsh = _script("zsh")
    assert zsh.startswith("#compdef mighty") and "_MIGHTY_COMPLETE=complete_zsh" in zsh
    fish = _script("fish")
    assert fish.startswith("complete --command mighty") and "complete_fish" in fish
    if shutil.which("zsh"):
        assert subprocess.run(["zsh", "-n", "-c", zsh]).returncode == 0
    if shutil.which("fish"):
        assert subprocess.run(["fish", "--no-execute", "-c", fish]).returncode == 0


def test_an_unknown_shell_is_a_usage_error() -> None:
    result = _mighty("completion", "tcsh")
    assert result.returncode == 2 and "bash, zsh or fish" in result.stderr


def test_bash_completes_commands() -> None:
    assert _bash_complete("mighty lo") == ["login", "logout"]
    assert "completion" in _bash_complete("mighty ")


def test_bash_completes_options() -> None:
    offered = _bash_complete("mighty status --")
    assert {"--network", "--check", "--json", "--jq", "--debug"} <= set(offered)


def test_network_names_come_from_the_stored_logins() -> None:
    _store_logins("mycommunity", "myother", "elsewhere")
    assert _bash_complete("mighty whoami --network my") == ["mycommunity", "myother"]
    assert _bash_complete("mighty switch e") == ["elsewhere"]
    assert _bash_complete("mighty api members -n ") == ["elsewhere", "mycommunity", "myother"]


def test_no_logins_complete_to_nothing_without_an_error() -> None:
    assert _bash_complete("mighty whoami -n ") == []
    config.state_file_path().parent.mkdir(parents=True, exist_ok=True)
    config.state_file_path().write_text("{damaged")
    assert _bash_complete("mighty whoami -n ") == []


@pytest.mark.parametrize(
    ("shell", "env", "expected"),
    [
        ("zsh", {"_TYPER_COMPLETE_ARGS": "mighty lo"}, ['"login"', '"logout"']),
        ("fish", {"_TYPER_COMPLETE_ARGS": "mighty lo", "_TYPER_COMPLETE_FISH_ACTION": "get-args"},
         ["login", "logout"]),
    ],
)  # fmt: skip
def test_zsh_and_fish_requests(shell: str, env: dict[str, str], expected: list[str]) -> None:
    result = _mighty_process(env={"_MIGHTY_COMPLETE": f"complete_{shell}", **env})
    assert result.returncode == 0, result.stderr
    for word in expected:
        assert word in result.stdout
    assert "logout" in result.stdout and "whoami" not in result.stdout


HOSTILE_NAMES = ["a$(touch PWNED)", "a`touch PWNED`", "x;touch PWNED", "a\nb", "A-Z", "-x"]


@pytest.mark.parametrize("hostile", HOSTILE_NAMES)
def test_a_stored_name_that_is_no_network_is_never_offered(hostile: str, tmp_path: Path) -> None:
    # Written as another program (or user) could write it: mighty itself never stores such a
    # name. zsh runs a $(...) in a completion word on Tab (Typer's zsh escaping lets it through).
    path = config.state_file_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    logins = {
        name: {"network": name, "issuer": "https://x.mn.co", "client_id": "c", "api_url": "https://api.mn.co"}
        for name in (hostile, "mycommunity")
    }  # fmt: skip
    path.write_text(json.dumps({"version": 1, "default": "mycommunity", "logins": logins}))
    assert _bash_complete("mighty whoami -n ") == []
    zsh = _mighty_process(
        env={"_MIGHTY_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": "mighty whoami -n "}
    )
    assert zsh.returncode == 0 and "PWNED" not in zsh.stdout and zsh.stderr == ""
    assert not any(tmp_path.rglob("PWNED"))


def test_only_network_references_are_offered() -> None:
    from mightycli.cli.base import complete_network

    _store_logins("mycommunity", "12345")
    assert complete_network("") == ["12345", "mycommunity"]
