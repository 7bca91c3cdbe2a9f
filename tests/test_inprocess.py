"""The in-process runner (tests/inprocess.py): it captures what a process would write, gives
the command what a process would have, and leaves this process as it found it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import inprocess
import pytest
from inprocess import Result
from localserver import Reply, serve

Main = Callable[[list[str]], int]


def _run_fake(monkeypatch: pytest.MonkeyPatch, main: Main, *args: str, **kwargs: Any) -> Result:
    from mightycli import entry

    with monkeypatch.context() as patch:
        patch.setattr(entry, "main", main)
        return inprocess.run(list(args), env=kwargs.pop("env", {}), **kwargs)


def test_text_and_bytes_reach_stdout_in_order_and_stderr_apart(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def main(argv: list[str]) -> int:
        sys.stdout.write("text é\n")
        sys.stdout.flush()
        sys.stdout.buffer.write("bytes ü\r\n".encode())
        sys.stderr.write("for people\n")
        assert not sys.stdout.isatty() and not sys.stderr.isatty()
        return 0

    result = _run_fake(monkeypatch, main)
    # Decoded as subprocess.run(text=True) does it: universal newlines.
    assert result == Result(0, "text é\nbytes ü\n", "for people\n")


def test_standard_input_is_a_real_file(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[object] = []

    def main(argv: list[str]) -> int:
        os.fstat(sys.stdin.fileno())
        seen.extend([sys.stdin.isatty(), sys.stdin.buffer.read()])
        return 0

    _run_fake(monkeypatch, main, input="sekrit é\n")
    _run_fake(monkeypatch, main, input=b"\xff\xfe")
    _run_fake(monkeypatch, main)
    assert seen == [False, "sekrit é\n".encode(), False, b"\xff\xfe", False, b""]


def test_arguments_and_output_as_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    def main(argv: list[str]) -> int:
        sys.stdout.buffer.write(os.fsencode(argv[0]))
        sys.stdout.write(argv[0])  # the undecodable byte goes out as it came in
        return 0

    from mightycli import entry

    monkeypatch.setattr(entry, "main", main)
    # Decoded as the interpreter decodes a process's arguments (surrogate escapes).
    raw = inprocess.run_raw([b"name=\xff"], env={})
    assert raw == inprocess.RawResult(0, b"name=\xffname=\xff", b"")


def test_everything_is_put_back_even_when_the_command_crashes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MIGHTY_KEPT", "before")
    before = (dict(os.environ), sys.stdin, sys.stdout, sys.stderr, sys.__stdout__, sys.argv)
    hook, handler = sys.excepthook, signal.getsignal(signal.SIGTERM)
    seen: dict[str, object] = {}

    def main(argv: list[str]) -> int:
        seen.update(env=os.environ.get("MIGHTY_ONLY_NOW"), argv=sys.argv[1:])
        os.environ["MIGHTY_KEPT"] = "changed"
        os.environ["MIGHTY_ADDED"] = "by the command"
        sys.excepthook = lambda *exc_info: None
        signal.signal(signal.SIGTERM, lambda signum, frame: None)
        raise RuntimeError("crash")

    with pytest.raises(RuntimeError, match="crash"):
        _run_fake(monkeypatch, main, "whoami", env={"MIGHTY_ONLY_NOW": "yes"})
    assert seen == {"env": "yes", "argv": ["whoami"]}
    after = (dict(os.environ), sys.stdin, sys.stdout, sys.stderr, sys.__stdout__, sys.argv)
    assert after == before
    assert (sys.excepthook, signal.getsignal(signal.SIGTERM)) == (hook, handler)


def test_a_system_exit_becomes_the_status_and_is_reported(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def main(argv: list[str]) -> int:
        raise SystemExit(3)

    with pytest.warns(inprocess.SystemExitWarning, match="test_inprocess.py"):
        assert _run_fake(monkeypatch, main).code == 3


def test_a_run_past_its_timeout_fails_like_a_process_would(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def main(argv: list[str]) -> int:
        time.sleep(5)
        return 0

    started = time.monotonic()
    with pytest.raises(subprocess.TimeoutExpired):
        _run_fake(monkeypatch, main, timeout=0.2)
    assert time.monotonic() - started < 4


def test_a_thread_that_outlives_the_run_fails_it(monkeypatch: pytest.MonkeyPatch) -> None:
    stop = threading.Event()

    def main(argv: list[str]) -> int:
        threading.Thread(target=stop.wait, name="left-behind", daemon=True).start()
        return 0

    monkeypatch.setattr(inprocess, "THREAD_GRACE", 0.1)
    try:
        with pytest.raises(AssertionError, match="left-behind"):
            _run_fake(monkeypatch, main)
    finally:
        stop.set()


def test_settings_read_at_process_start_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    def main(argv: list[str]) -> int:
        return 0

    backend = {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    with pytest.raises(AssertionError, match="run_mighty_process"):
        _run_fake(monkeypatch, main, env=backend)
    same = {"PYTHON_KEYRING_BACKEND": os.environ["PYTHON_KEYRING_BACKEND"]}
    assert _run_fake(monkeypatch, main, env=same).code == 0


def test_exit_statuses_of_real_commands(run_mighty: Any) -> None:
    assert run_mighty("--version").code == 0
    assert run_mighty("api", "--no-such-option").code == 2
    assert run_mighty("token").code == 4  # not logged in
    routes = {("GET", "/admin/v1/networks/demo/things"): Reply(500, {"error": "down"})}
    with serve(routes) as server:
        env = {"MIGHTY_TOKEN": "t0ken", "MIGHTY_NETWORK": "demo", "MIGHTY_API_URL": server.url}
        failed = run_mighty("api", "things", "--max-wait", "0", env=env)
    assert failed.code == 1 and failed.stdout == '{"error": "down"}\n'


@pytest.mark.parametrize(
    "args",
    [["--version"], ["token"], ["whoami", "--bogus"], ["--help"], ["api", "--help"]],
    ids=" ".join,
)
def test_in_process_and_subprocess_runs_agree(
    run_mighty: Any, run_mighty_process: Any, args: list[str]
) -> None:
    assert run_mighty(*args) == run_mighty_process(*args)
