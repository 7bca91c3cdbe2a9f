"""Every example in the README and in every command's --help runs, as written, against the emulator.

The emulator stands in for `mycommunity` with the public client `abc123`, the names the examples
use, and the confidential client `def456`; the environment points mighty at it (MIGHTY_ISSUER, MIGHTY_API_URL, MIGHTY_REDIRECT_URI, all
documented settings) and BROWSER at a scripted browser that approves. Files the examples read
(`members.graphql`, `new-post.json`) come from the README's own code blocks.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import inprocess
import pytest
from conftest import free_port, require_tools
from test_emulator import consent_id
from test_webhooks import listening, start_listening

from mightycli.emulator import ADMIN_API_TOKEN, CONFIDENTIAL_CLIENT_SECRET, Emulator

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
NETWORK, CLIENT_ID, CONFIDENTIAL_ID = "mycommunity", "abc123", "def456"
SET_UP_COMMANDS = ("python3.11 -m venv",)


def readme_blocks() -> list[tuple[str, str]]:
    """The README's fenced code blocks: (info string, text)."""
    blocks: list[tuple[str, str]] = []
    info: str | None = None
    lines: list[str] = []
    for line in README.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if stripped.startswith("```"):
            if info is None:
                info, lines = stripped[3:].strip(), []
            else:
                blocks.append((info, "\n".join(lines) + "\n"))
                info = None
        elif info is not None:
            lines.append(line.strip() if info == "sh" else line)
    return blocks


def readme_examples() -> list[str]:
    commands = [
        line
        for info, text in readme_blocks()
        if info == "sh"
        for line in text.splitlines()
        if "mighty" in line and not line.startswith(("#", *SET_UP_COMMANDS))
    ]
    for line in README.read_text(encoding="utf-8").splitlines():
        # The commands table: | `mighty x` | what it does | `example` |
        if line.startswith("| `mighty"):
            spans = re.findall(r"`((?:[^`\\]|\\.)+)`", line.rsplit(" | ", 1)[1])
            commands.extend(s.replace("\\|", "|") for s in spans if "mighty" in s)
    return commands


def readme_files() -> dict[str, str]:
    files = {}
    for info, text in readme_blocks():
        match = re.search(r"\bfile=(\S+)", info)
        if match:
            files[match.group(1)] = text
    return files


def mighty_help(*args: str) -> str:
    # In process (tests/inprocess.py): only the examples themselves run the installed command.
    proc = inprocess.run([*args, "--help"], env={"COLUMNS": "200"}, timeout=60)
    assert proc.code == 0, proc.stderr
    return proc.stdout


def _commands(*group: str) -> list[tuple[str, ...]]:
    text = mighty_help(*group)
    if "Commands:" not in text:
        return []
    names = re.findall(r"^  ([a-z][\w-]*)\s", text.split("Commands:", 1)[1], re.M)
    return [(*group, name) for name in names]


def help_examples() -> list[str]:
    """The examples of every command's help, and of every command in a group (members list)."""
    examples: list[str] = []
    commands = _commands()
    for command in commands:
        commands.extend(_commands(*command) if len(command) == 1 else [])
    for command in commands:
        text = mighty_help(*command)
        if "Examples:" in text:
            block = text.split("Examples:", 1)[1].split("\n\n", 1)[0]
            examples.extend(line.strip() for line in block.splitlines() if line.strip())
    return examples


ALL_EXAMPLES = sorted(set(readme_examples()) | set(help_examples()))


def test_the_examples_are_found() -> None:
    # Guards the guard: a change of layout must not make the checks below run nothing.
    assert len(readme_examples()) >= 15
    assert len(help_examples()) >= 60
    assert set(readme_files()) == {"members.graphql", "new-post.json", "cohort.csv"}


@dataclass
class Stage:
    emulator: Emulator
    redirect_uri: str
    browser: Path
    work: Path

    def env(self, home: Path) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MIGHTY_")}
        env.update(
            PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
            MIGHTY_CONFIG_DIR=str(home / "config"),
            XDG_DATA_HOME=str(home / "data"),
            PYTHON_KEYRING_BACKEND="keyrings.alt.file.PlaintextKeyring",
            MIGHTY_ISSUER=self.emulator.url,
            MIGHTY_API_URL=self.emulator.url,
            MIGHTY_REDIRECT_URI=self.redirect_uri,
            BROWSER=str(self.browser),
            NO_COLOR="1",
        )
        return env

    def run(self, command: str, home: Path, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", "-c", "set -o pipefail\n" + command],
            cwd=self.work,
            env={**self.env(home), **extra},
            capture_output=True,
            text=True,
            timeout=120,
            stdin=subprocess.DEVNULL,
        )

    def log_in(self, home: Path) -> None:
        for command in (
            f"mighty login --network {NETWORK} --client-id {CLIENT_ID}",
            f"mighty login --with-token --network {NETWORK} < admin-token.txt",
        ):
            result = self.run(command, home)
            assert result.returncode == 0, result.stderr


@pytest.fixture(scope="module")
def stage(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stage]:
    base = tmp_path_factory.mktemp("examples")
    work = base / "work"
    work.mkdir()
    for name, text in readme_files().items():
        (work / name).write_text(text)
    (work / "admin-token.txt").write_text(ADMIN_API_TOKEN + "\n")
    # The post body `mighty posts create --body-file notes.html` reads.
    (work / "notes.html").write_text("<p>Office hours move to <b>Friday</b>.</p>\n")
    (work / "client-secret.txt").write_text(CONFIDENTIAL_CLIENT_SECRET + "\n")
    browser = base / "browser"
    browser.write_text(f'#!/bin/sh\nexec {sys.executable} -m mightycli.emulator.browser "$1"\n')
    browser.chmod(0o755)
    redirect_uri = f"http://localhost:{free_port()}/callback"
    with Emulator(
        redirect_uris=(redirect_uri,),
        network_subdomain=NETWORK,
        public_client_id=CLIENT_ID,
        confidential_client_id=CONFIDENTIAL_ID,
    ) as emulator:
        yield Stage(emulator, redirect_uri, browser, work)


@pytest.fixture(scope="module")
def shared_home(stage: Stage, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Logged in both ways once, for the examples that change no login."""
    home = tmp_path_factory.mktemp("shared-home")
    stage.log_in(home)
    return home


@pytest.fixture(scope="module")
def integrations_home(stage: Stage, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Logged in with the scope webhook callbacks need, as mighty webhooks' hint says."""
    home = tmp_path_factory.mktemp("integrations-home")
    scopes = "-s host:write:network_integrations -s read:network"
    result = stage.run(f"mighty login --network {NETWORK} --client-id {CLIENT_ID} {scopes}", home)
    assert result.returncode == 0, result.stderr
    return home


CALLBACK_EXAMPLE = re.compile(r"mighty webhooks (create|delete|list)\b")


def _changes_logins(example: str) -> bool:
    return bool(re.search(r"\bmighty (login|logout)\b", example))


def _two_step_address(stage: Stage, home: Path) -> str:
    """What a person's browser lands on after approving a --no-wait login."""
    started = stage.run(f"mighty login -n {NETWORK} --client-id {CLIENT_ID} --no-wait --json", home)
    assert started.returncode == 0, started.stderr
    url = re.search(r'"authorization_url": "([^"]+)"', started.stdout)
    assert url is not None, started.stdout
    with httpx.Client(headers={"User-Agent": "a person"}, trust_env=False) as browser:
        page = browser.get(url.group(1))
        decision = browser.post(
            f"{stage.emulator.url}/oauth/authorize/decision",
            data={"consent": consent_id(page.text), "decision": "approve"},
        )
    return decision.headers["location"]


def _run_emulator_example(stage: Stage, example: str, home: Path) -> None:
    # The emulator runs until Ctrl-C: start it as written, see it serve, then interrupt it.
    process = subprocess.Popen(
        # VAR=value words stay in front: bash gives them to the command exec runs.
        ["bash", "-c", re.sub(r"^((?:\w+=\S* )*)", r"\1exec ", example)],
        cwd=stage.work,
        env=stage.env(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), process.stderr.read() if process.stderr else ""
        discovery = httpx.get(f"{url}/.well-known/oauth-authorization-server", trust_env=False)
        assert discovery.json()["issuer"] == url
    finally:
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=30)
    assert code == 0


@contextlib.contextmanager
def _handler_on(port: int) -> Iterator[list[bytes]]:
    """A local webhook handler on 127.0.0.1:``port`` that answers 200: the bodies it got."""
    from http.server import BaseHTTPRequestHandler, HTTPServer

    bodies: list[bytes] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield bodies
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _run_listen_example(stage: Stage, example: str, home: Path) -> None:
    # The listener runs until Ctrl-C (or until the reader of a pipe has what it wanted): start
    # it as written, deliver to it until it prints, then interrupt what still runs.
    from mightycli.errors import NetworkError
    from mightycli.webhooks.trigger import build_delivery, send_delivery

    port = re.search(r"--port (\d+)", example)
    url = f"http://127.0.0.1:{port.group(1) if port else 8787}/"
    forward = re.search(r"--forward-to http://127\.0\.0\.1:(\d+)/", example)
    handler: contextlib.AbstractContextManager[list[bytes]] = (
        _handler_on(int(forward.group(1))) if forward else contextlib.nullcontext([])
    )
    with handler as forwarded:
        process, listening_at = start_listening(
            "set -o pipefail\n" + example, stage.env(home), cwd=stage.work
        )
        assert listening_at == url
        sent = 0
        for _ in range(3):  # a pipe's reader gone is seen at the next line written
            try:
                answer = send_delivery(url, build_delivery("MemberJoined"), secret=None)
            except NetworkError:  # that line ended the listener: the example has its answer
                assert sent >= 2 and not forward
                break
            assert answer.accepted
            sent += 1
            time.sleep(0.2)
        if "| head" not in example:  # a listener runs until Ctrl-C; into head, it ends itself
            os.killpg(process.pid, signal.SIGINT)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "Traceback" not in err
    assert "ada@example.com" in out
    assert len(forwarded) == (3 if forward else 0)


def _example_params() -> list[object]:
    # The examples that listen on a fixed port (or send to one) run one after another, on one
    # worker.
    params: list[object] = []
    for example in ALL_EXAMPLES:
        if "--port 4010" in example:
            params.append(pytest.param(example, marks=pytest.mark.xdist_group("port-4010")))
        elif CALLBACK_EXAMPLE.match(example):  # create, then delete the callback it made
            params.append(pytest.param(example, marks=pytest.mark.xdist_group("callbacks")))
        elif "mighty webhooks listen" in example or ":8787/" in example:
            params.append(pytest.param(example, marks=pytest.mark.xdist_group("port-8787")))
        else:
            params.append(example)
    return params


@pytest.mark.parametrize("example", _example_params())
def test_example_runs_as_written(
    example: str,
    stage: Stage,
    shared_home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    if "jq " in example:
        require_tools("jq", packages="jq")
    with _fixed_ports(example):
        _run_example(example, stage, shared_home, tmp_path, monkeypatch, request)


@contextlib.contextmanager
def _fixed_ports(example: str) -> Iterator[None]:
    """Examples on a fixed port (the emulator's 4010, the listener's 8787, a handler's 5000)
    take turns, whichever worker runs them: a lock file per port, in the temporary folder
    every worker shares."""
    import tempfile

    from filelock import FileLock

    ports = sorted(set(re.findall(r"(?:--port |127\.0\.0\.1:)(\d+)", example)))
    if example.startswith("mighty webhooks listen") and "--port" not in example:
        ports.append("8787")
    with contextlib.ExitStack() as stack:
        for port in sorted(set(ports)):
            lock = Path(tempfile.gettempdir()) / f"mighty-examples-port-{port}.lock"
            stack.enter_context(FileLock(lock, timeout=300))
        yield


def _run_example(
    example: str,
    stage: Stage,
    shared_home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    if re.match(r"(\w+=\S* )*mighty emulator\b", example):  # after any VAR=value words
        _run_emulator_example(stage, example, tmp_path / "home")
        return
    if example.startswith("mighty webhooks listen"):
        _run_listen_example(stage, example, tmp_path / "home")
        return
    if "--to http://127.0.0.1:8787/" in example:  # a listener there, as the example expects
        with listening(8787, secret=None) as running:
            result = stage.run(example, shared_home)
        assert result.returncode == 0, f"{example}\n{result.stderr}"
        assert len(running.lines) == 1, result.stderr
        return
    home = shared_home
    if CALLBACK_EXAMPLE.match(example):
        home = request.getfixturevalue("integrations_home")
        deleted = re.search(r"webhooks delete (\d+)", example)
        held = {str(c.resource_id) for c in stage.emulator.webhook_callbacks}
        if deleted and deleted.group(1) not in held:  # the create example ran elsewhere
            made = stage.run("mighty webhooks create --url https://localhost:8443/mighty", home)
            assert made.stdout.strip() == deleted.group(1), made.stderr
    extra: dict[str, str] = {}
    if _changes_logins(example):
        home = tmp_path / "home"
        if re.search(r"\bmighty logout\b", example):
            stage.log_in(home)
        if "--complete" in example:
            extra["REDIRECTED_ADDRESS"] = _two_step_address(stage, home)
    if _plain(example) and not extra:
        result = _run_in_process(stage, example, home, monkeypatch)
    else:
        result = stage.run(example, home, **extra)
    assert result.returncode == 0, f"{example}\n{result.stderr}"
    assert "Traceback" not in result.stderr


# Shell syntax: pipes, redirections, substitutions, variables, several commands.
SHELL_SYNTAX = re.compile(r"[|<>;&`$]")


def _plain(example: str) -> bool:
    """A single mighty command without shell syntax: run in process, as the shell would run it
    (its words split as bash splits them). The rest run in bash, against the installed script."""
    return example.startswith("mighty ") and not SHELL_SYNTAX.search(example)


def _run_in_process(
    stage: Stage, example: str, home: Path, monkeypatch: pytest.MonkeyPatch
) -> subprocess.CompletedProcess[str]:
    import shlex

    import keyring
    from keyrings.alt.file import PlaintextKeyring

    backend = PlaintextKeyring()  # the file the shell's runs use: $XDG_DATA_HOME/python_keyring
    backend.file_path = str(home / "data" / "python_keyring" / "keyring_pass.cfg")
    monkeypatch.setattr(keyring.core, "_keyring_backend", backend)
    monkeypatch.chdir(stage.work)
    env = {k: v for k, v in stage.env(home).items() if os.environ.get(k) != v}
    words = shlex.split(example, comments=True)
    result = inprocess.run(words[1:], env=env, timeout=120)
    return subprocess.CompletedProcess(words, result.code, result.stdout, result.stderr)


def member_count(stage: Stage, home: Path) -> int:
    """How many members the emulator has now (examples create some)."""
    result = stage.run("mighty members list --all", home)
    assert result.returncode == 0, result.stderr
    return len(result.stdout.splitlines())


def test_the_export_query_pages_through_every_member(stage: Stage, shared_home: Path) -> None:
    result = stage.run("mighty api graphql --query-file members.graphql --paginate", shared_home)
    assert result.returncode == 0, result.stderr
    # Every member, the limited one included: the seeded four and those examples created.
    assert len(result.stdout.splitlines()) == member_count(stage, shared_home) >= 4


def test_slurped_members_file(stage: Stage, shared_home: Path) -> None:
    target = stage.work / "members.json"
    target.unlink(missing_ok=True)
    assert stage.run("mighty api members --slurp > members.json", shared_home).returncode == 0
    text = target.read_text()
    assert text.startswith("[") and '"first_name": "Ada"' in text
    shutil.copy(target, stage.work / "members-copy.json")


# Runs a README Python block as written, then reports whether the command line came along.
PYTHON_PROBE = """
import runpy, sys
runpy.run_path(sys.argv[1], run_name="__main__")
loaded = sorted(m for m in ("typer", "rich", "click") if m in sys.modules)
sys.stderr.write("command-line modules loaded: %s\\n" % (loaded or "none"))
sys.exit(3 if loaded else 0)
"""


def readme_python() -> list[str]:
    return [text for info, text in readme_blocks() if info == "python"]


def test_readme_python_examples_run_as_written(
    stage: Stage, shared_home: Path, tmp_path: Path
) -> None:
    examples = readme_python()
    assert examples  # the README has a Python API section
    for number, text in enumerate(examples):
        script = tmp_path / f"example{number}.py"
        script.write_text(text)
        result = stage.run(f"python -c '{PYTHON_PROBE}' {script}", shared_home)
        assert result.returncode == 0, f"{text}\n{result.stdout}\n{result.stderr}"
        assert "command-line modules loaded: none" in result.stderr
        assert "Traceback" not in result.stderr
    first = stage.run(f"python {tmp_path / 'example0.py'}", shared_home).stdout.splitlines()
    assert first[0] == "{'me': {'name': 'Ada Lovelace'}}"
    # Every member, paged two at a time.
    assert f"{member_count(stage, shared_home)} members" in first
    assert "You are not logged in to othercommunity" in first[-1] and "exit code 4" in first[-1]
