"""The package's shape, held by tests: no import circle among mightycli modules (imports
inside functions count), no function body over 60 lines outside the emulator, the emulator's
GraphQL engine only in the emulator extra, and CI running lint and types as well as pytest."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import tomllib
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent

# Refuses graphql the way a machine without the emulator extra does.
WITHOUT_GRAPHQL = """
import sys

class NoGraphQL:
    def find_spec(self, name, path=None, target=None):
        if name == "graphql" or name.startswith("graphql."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, NoGraphQL())
import runpy
sys.argv[0] = "mighty"
runpy.run_module(sys.argv.pop(1), run_name="__main__")
"""


def _structure() -> ModuleType:
    spec = importlib.util.spec_from_file_location("structure", ROOT / "scripts" / "structure.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_no_import_circle_among_modules() -> None:
    structure = _structure()
    graph = structure.import_graph(structure.modules(ROOT))
    assert "mightycli.http" in graph and graph["mightycli.api"]  # the graph was read
    assert structure.cycles(graph) == []


def test_the_cycle_finder_finds_circles_through_any_length() -> None:
    cycles = _structure().cycles
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_http_layer_imports_nothing_above_it() -> None:
    structure = _structure()
    graph = structure.import_graph(structure.modules(ROOT))
    assert graph["mightycli.http"] <= {"mightycli.debug", "mightycli.version"}


# The command line is the package mightycli.cli (and the entry point in front of it): Typer only
# there, rich (imported for a terminal) only where output is written; the entry point and its
# grammar import neither. The emulator has its own front end and its own rules.
COMMAND_LINE = "mightycli.cli"
WRITERS_WITHOUT_TYPER = {"mightycli.cli.output", "mightycli.cli.calling", "mightycli.cli.render"}
FRONT = {"mightycli.entry", "mightycli.grammar"}
CLI_MODULES = {"base", "root", "logins", "calls", "calling", "emulator", "help", "output", "render"}


def _in(package: str, name: str) -> bool:
    return name == package or name.startswith(package + ".")


def test_typer_and_rich_only_in_the_command_line() -> None:
    structure = _structure()
    found = structure.modules(ROOT)
    used = structure.external_imports(found, ("typer", "rich", "click"))
    assert used["mightycli.cli.root"] == {"typer"}  # the check sees the imports
    assert used["mightycli.cli.calling"] == {"rich"}  # and those inside functions
    for name, packages in used.items():
        if _in("mightycli.emulator", name):
            continue
        if name in WRITERS_WITHOUT_TYPER or name == COMMAND_LINE:
            assert packages <= {"rich"}, name
        elif _in(COMMAND_LINE, name):
            assert packages <= {"typer", "rich"}, name
        else:
            assert packages == set(), name


def test_the_library_does_not_import_the_command_line() -> None:
    structure = _structure()
    graph = structure.import_graph(structure.modules(ROOT))
    for name, edges in graph.items():
        # The __main__ modules are front ends of the command line themselves.
        if not _in(COMMAND_LINE, name) and name not in FRONT and not name.endswith("__main__"):
            assert not {e for e in edges if _in(COMMAND_LINE, e) or e in FRONT}, name
    assert graph["mightycli.entry"] >= {"mightycli.grammar", "mightycli.cli"}


def test_the_command_line_is_a_package_of_command_groups() -> None:
    found = _structure().modules(ROOT)
    assert {f"mightycli.cli.{m}" for m in CLI_MODULES} <= set(found)
    for gone in ("mightycli/cli.py", "mightycli/output.py", "mightycli/commands.py"):
        assert not (ROOT / gone).exists(), gone
    assert "mightycli.cli" in found


def test_the_emulator_imports_nothing_of_the_client() -> None:
    structure = _structure()
    graph = structure.import_graph(structure.modules(ROOT))
    for name, edges in graph.items():
        if _in("mightycli.emulator", name):
            assert all(_in("mightycli.emulator", e) for e in edges), (name, edges)
    # The emulator's front end is its own, and the command line's emulator command uses it.
    assert "mightycli.emulator.command" in graph["mightycli.cli.emulator"]
    assert "mightycli.emulator.command" in graph["mightycli.emulator.__main__"]


def test_no_module_over_600_lines_outside_the_emulator() -> None:
    structure = _structure()
    assert structure.long_modules(structure.modules(ROOT)) == []
    assert structure.long_modules(structure.modules(ROOT), limit=300)  # the rule can fail


# Logging in is a package of one module a concern; the old single module is gone.
LOGINS_MODULES = ("__init__", "accounts", "flow", "options", "pending", "saving", "settings")


def test_logins_are_a_package_of_one_module_a_concern() -> None:
    assert not (ROOT / "mightycli" / "login.py").exists()
    package = ROOT / "mightycli" / "logins"
    found = {path.stem: path for path in package.glob("*.py")}
    assert set(LOGINS_MODULES) <= set(found)
    for name, path in found.items():
        assert len(path.read_text(encoding="utf-8").splitlines()) <= 600, name


def test_the_logins_package_imports_no_command_line_library() -> None:
    structure = _structure()
    used = structure.external_imports(structure.modules(ROOT), ("typer", "rich", "click"))
    package = {
        name: packages
        for name, packages in used.items()
        if name == "mightycli.logins" or name.startswith("mightycli.logins.")
    }
    assert set(package) >= {f"mightycli.logins.{m}" for m in LOGINS_MODULES[1:]}
    assert all(not packages for packages in package.values()), package


def test_no_function_body_over_60_lines_outside_the_emulator() -> None:
    structure = _structure()
    assert structure.long_functions(structure.modules(ROOT)) == []
    # The rule can fail: a lower limit finds the longest functions.
    assert structure.long_functions(structure.modules(ROOT), limit=40)


def test_graphql_core_is_only_in_the_emulator_extra() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert not any(d.startswith("graphql-core") for d in project["dependencies"])
    extras = project["optional-dependencies"]
    assert any(d.startswith("graphql-core") for d in extras["emulator"])
    assert any(d.startswith("graphql-core") for d in extras["test"])  # tests run the emulator


def test_ci_runs_lint_format_and_types() -> None:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    for command in ("ruff check", "ruff format --check", "mypy", "pytest"):
        assert command in script, command


def _without_graphql(module: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", WITHOUT_GRAPHQL, module, *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_emulator_without_its_extra_says_what_to_install() -> None:
    for module in ("mightycli", "mightycli.emulator"):
        args = ("emulator", "--port", "0") if module == "mightycli" else ("--port", "0")
        proc = _without_graphql(module, *args)
        assert proc.returncode == 2, proc.stderr
        assert "pip install 'mighty-cli[emulator]'" in proc.stderr
        assert "Traceback" not in proc.stderr


def test_the_rest_of_mighty_works_without_the_emulator_extra() -> None:
    proc = _without_graphql("mightycli", "--version")
    assert proc.returncode == 0 and proc.stdout.startswith("mighty ")
    proc = _without_graphql("mightycli", "token")
    assert proc.returncode == 4, proc.stderr  # not logged in: the usual answer


def test_one_emulator_front_end_with_one_set_of_flags() -> None:
    def help_text(*command: str) -> str:
        proc = subprocess.run(
            [sys.executable, "-m", *command, "--help"],
            capture_output=True,
            text=True,
            timeout=60,
            env={"COLUMNS": "100", "PATH": "/usr/bin:/bin"},
        )
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    via_module = help_text("mightycli.emulator")
    assert via_module == help_text("mightycli", "emulator")
    for flag in ("--token-ttl", "--members", "--port", "--advertise-revocation"):
        assert flag in via_module


def test_every_name_of_the_logins_package_loads_from_its_module() -> None:
    import mightycli.logins as logins

    assert sorted(logins.__all__) == sorted(logins._WHERE)
    for name in logins.__all__:
        assert getattr(logins, name).__module__.startswith("mightycli.logins."), name
