"""Shared fixtures: every test runs with its own config dir, environment and keyring file."""

from __future__ import annotations

import contextlib
import errno
import os
import random
import select
import shutil
import socket
import stat
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, NoReturn

import inprocess
import keyring
import pytest
from inprocess import Result
from keyrings.alt.file import PlaintextKeyring

KEYRING_BACKEND = "keyrings.alt.file.PlaintextKeyring"


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """No test may read or touch the developer's config, environment or keyring."""
    for name in list(os.environ):
        if name.startswith("MIGHTY_") or name in ("BROWSER", "PYTHON_KEYRING_BACKEND"):
            monkeypatch.delenv(name, raising=False)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("MIGHTY_CONFIG_DIR", str(home / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "xdg-config"))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", KEYRING_BACKEND)
    monkeypatch.setenv("NO_COLOR", "1")
    backend = PlaintextKeyring()
    backend.file_path = str(home / "data" / "python_keyring" / "keyring_pass.cfg")
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        yield home
    finally:
        keyring.set_keyring(previous)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _ephemeral_range() -> range:
    try:
        low, high = open("/proc/sys/net/ipv4/ip_local_port_range").read().split()
        return range(int(low), int(high) + 1)
    except (OSError, ValueError):
        return range(32768, 61000)


def listening_port() -> int:
    """A free port outside the ephemeral range, for a receiver that binds it later.

    A port from bind(0) is an ephemeral one: by the time the receiver binds it, an outgoing
    connection of this very test may be using it as its source port, and the bind fails.
    """
    ephemeral = _ephemeral_range()
    rng = random.Random()
    for _ in range(200):
        port = rng.randrange(20000, 32000)
        if port in ephemeral:
            continue
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as v4:
                v4.bind(("127.0.0.1", port))
            if socket.has_ipv6:
                with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as v6:
                    try:
                        v6.bind(("::1", port))
                    except OSError as exc:
                        if exc.errno == errno.EADDRINUSE:
                            continue
        except OSError:
            continue
        return port
    raise RuntimeError("no free port for a loopback receiver")


@pytest.fixture
def callback_port() -> int:
    return listening_port()


@pytest.fixture
def redirect_uri(callback_port: int) -> str:
    return f"http://localhost:{callback_port}/callback"


@pytest.fixture
def emulator(redirect_uri: str) -> Iterator[object]:
    from mightycli.emulator import Emulator

    with Emulator(redirect_uris=(redirect_uri,)) as server:
        yield server


@pytest.fixture
def browser_script(tmp_path: Path) -> Path:
    """An executable for $BROWSER that drives the emulator's consent page like a person would."""
    path = tmp_path / "browser"
    path.write_text(
        textwrap.dedent(
            f"""\
            #!/bin/sh
            exec {sys.executable} -m mightycli.emulator.browser ${{MIGHTY_TEST_BROWSER_ARGS:-}} "$1"
            """
        )
    )
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


@pytest.fixture
def run_mighty(browser_script: Path):  # type: ignore[no-untyped-def]
    """Run the command in this process (``mightycli.entry.main``), with the isolated
    environment of this test and $BROWSER at the scripted browser, as a subprocess would."""

    def run(
        *args: str, env: dict[str, str] | None = None, timeout: float = 60, input: str | None = None
    ) -> Result:
        full_env = {"BROWSER": str(browser_script), **(env or {})}
        return inprocess.run(list(args), env=full_env, input=input, timeout=timeout)

    return run


@pytest.fixture
def run_mighty_process(browser_script: Path):  # type: ignore[no-untyped-def]
    """Run the real command in a subprocess, with the isolated environment of this test: for
    what only a process shows (signals, pipes, imports, settings read at start-up)."""

    def run(
        *args: str, env: dict[str, str] | None = None, timeout: float = 60, input: str | None = None
    ) -> Result:
        full_env = dict(os.environ)
        full_env["BROWSER"] = str(browser_script)
        full_env.update(env or {})
        proc = subprocess.run(
            [sys.executable, "-m", "mightycli", *args],
            capture_output=True,
            text=True,
            env=full_env,
            timeout=timeout,
            **({"input": input} if input is not None else {"stdin": subprocess.DEVNULL}),
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)

    return run


@pytest.fixture(scope="session")
def mount_namespaces(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Skip (fail in CI) where this user may not make a mount namespace with a read-only bind
    mount: `unshare -m` needs root, or a kernel that lets users map themselves."""
    require_tools("unshare", "mount", packages="util-linux, mount")
    folder = tmp_path_factory.mktemp("probe")
    probe = subprocess.run(
        ["unshare", "-m", "sh", "-c", 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0"',
         str(folder)],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    if probe.returncode != 0:
        unavailable(f"no read-only bind mount in a mount namespace here: {probe.stderr.strip()}")


# In a mount namespace of its own, bind-mount the folder ($0) on itself, read-only unless
# MIGHTY_TEST_WRITABLE is set (a test's browser may then remount it read-only itself), and run
# the command there. Nothing outside the namespace sees the mount.
_IN_NAMESPACE = (
    'mount --bind "$0" "$0" && '
    '{ [ -n "${MIGHTY_TEST_WRITABLE:-}" ] || mount -o remount,bind,ro "$0"; } && exec "$@"'
)


@pytest.fixture
def run_read_only(browser_script: Path, mount_namespaces: None):  # type: ignore[no-untyped-def]
    """Run the real command in a subprocess that sees ``folder`` as a read-only mount (a real
    one: EROFS for every write, root included), with this test's isolated environment."""

    def run(
        folder: Path,
        *args: str,
        env: dict[str, str] | None = None,
        timeout: float = 60,
        input: str | None = None,
    ) -> Result:
        full_env = {**os.environ, "BROWSER": str(browser_script), **(env or {})}
        folder.mkdir(parents=True, exist_ok=True)
        command = ["unshare", "-m", "sh", "-c", _IN_NAMESPACE, str(folder)]
        proc = subprocess.run(
            [*command, sys.executable, "-m", "mightycli", *args],
            capture_output=True,
            text=True,
            env=full_env,
            timeout=timeout,
            **({"input": input} if input is not None else {"stdin": subprocess.DEVNULL}),
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)

    return run


def admin_token_login(
    run_mighty: Any, emulator: Any, *extra: str, env: dict[str, str] | None = None
) -> Any:
    """`mighty login --with-token` for the emulated network, the emulator's Admin API token on
    stdin; it must succeed."""
    from mightycli.emulator import ADMIN_API_TOKEN

    result = run_mighty(
        "login", "--with-token", "--network", "emulated", "--api-url", emulator.url, *extra,
        input=ADMIN_API_TOKEN + "\n", env=env,
    )  # fmt: skip
    assert result.code == 0, result.stderr
    return result


def wait_until_expired(emulator: Any, access_token: str) -> None:
    """Wait on the real clock until the emulator no longer takes the token (at most 30 s)."""
    deadline = time.monotonic() + 30
    while emulator.is_token_active(access_token):
        assert time.monotonic() < deadline
        time.sleep(0.2)


def login_args(emulator: object, redirect_uri: str, *extra: str) -> list[str]:
    url = emulator.url  # type: ignore[attr-defined]
    return [
        "login",
        "--network",
        "emulated",
        "--issuer",
        url,
        "--api-url",
        url,
        "--client-id",
        "emulator-public-client",
        "--redirect-uri",
        redirect_uri,
        "--timeout",
        "30",
        *extra,
    ]


# --------------------------------------------------------------------------- real components


def nested_parentheses(text: str) -> list[str]:
    """The lines of ``text`` with a parenthesis inside another, which reads badly in a message:
    "no display (DISPLAY is not set)" belongs in a sentence of its own, not in brackets again."""
    found = []
    for line in text.splitlines():
        depth = 0
        for char in line:
            depth += {"(": 1, ")": -1}.get(char, 0)
            if depth > 1:
                found.append(line)
                break
    return found


def unavailable(message: str) -> NoReturn:
    """Skip a test whose real component is not installed here; in CI, fail instead."""
    if os.environ.get("CI"):
        pytest.fail(f"CI must run this test: {message}", pytrace=False)
    pytest.skip(message)


def require_tools(*tools: str, packages: str) -> None:
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if missing:
        unavailable(f"{', '.join(missing)} not found (Debian packages: {packages})")


_BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


@dataclass(frozen=True)
class SecretServiceBus:
    """A private D-Bus session bus with an unlocked gnome-keyring on it."""

    address: str

    def connect(self) -> Any:
        from jeepney.io.blocking import open_dbus_connection

        return open_dbus_connection(bus=self.address)

    def clear(self) -> None:
        """Delete every item, so each test starts from an empty keyring."""
        import secretstorage

        with self.connect() as connection:
            for item in secretstorage.get_default_collection(connection).get_all_items():
                item.delete()

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """The default collection locked for the block, unlocked again after it (with the
        daemon's throwaway password: nobody is there to answer an unlock prompt)."""
        import secretstorage

        with self.connect() as connection:
            collection = secretstorage.get_default_collection(connection)
            collection.lock()
            assert collection.is_locked()
        try:
            yield
        finally:
            self.unlock()

    def unlock(self) -> None:
        """Unlock the default collection with the password gnome-keyring was started with,
        through gnome-keyring's own interface for that (no prompt)."""
        import secretstorage
        from jeepney import DBusAddress, new_method_call

        service = "/org/freedesktop/secrets"
        with self.connect() as connection:
            path = secretstorage.get_default_collection(connection).collection_path
            alias = DBusAddress(
                service, "org.freedesktop.secrets", "org.freedesktop.Secret.Service"
            )
            if path.startswith("/org/freedesktop/secrets/aliases/"):
                reply = connection.send_and_get_reply(
                    new_method_call(alias, "ReadAlias", "s", (path.rsplit("/", 1)[1],))
                )
                (path,) = reply.body
            reply = connection.send_and_get_reply(
                new_method_call(alias, "OpenSession", "sv", ("plain", ("s", "")))
            )
            session = reply.body[1]
            internal = DBusAddress(
                service,
                "org.freedesktop.secrets",
                "org.gnome.keyring.InternalUnsupportedGuiltRiddenInterface",
            )
            secret = (session, b"", THROWAWAY_PASSWORD, "text/plain")
            connection.send_and_get_reply(
                new_method_call(internal, "UnlockWithMasterPassword", "o(oayays)", (path, secret))
            )
            assert not secretstorage.get_default_collection(connection).is_locked()


def _read_line(pipe: IO[bytes], timeout: float) -> str:
    ready, _, _ = select.select([pipe], [], [], timeout)
    return pipe.readline().decode().strip() if ready else ""


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


THROWAWAY_PASSWORD = b"throwaway-test-password"


@contextlib.contextmanager
def running_secret_service(
    root: Path,
) -> Iterator[tuple[SecretServiceBus, subprocess.Popen[bytes]]]:
    """A dbus-daemon and an unlocked gnome-keyring-daemon on it, stopped at the end; the bus
    and the keyring daemon's process (a test may stop it early)."""
    require_tools("dbus-daemon", "gnome-keyring-daemon", packages="dbus-daemon, gnome-keyring")
    runtime = root / "run"
    runtime.mkdir(mode=0o700)
    config = root / "bus.conf"
    config.write_text(_BUS_CONFIG.format(socket=runtime / "bus"))
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(root / "home"),
        "XDG_RUNTIME_DIR": str(runtime),
        "XDG_DATA_HOME": str(root / "data"),
        "XDG_CONFIG_HOME": str(root / "config"),
        "XDG_CACHE_HOME": str(root / "cache"),
        "LANG": "C.UTF-8",
    }
    processes: list[subprocess.Popen[bytes]] = []
    try:
        bus = subprocess.Popen(
            ["dbus-daemon", f"--config-file={config}", "--print-address=1", "--nofork"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        processes.append(bus)
        assert bus.stdout is not None
        address = _read_line(bus.stdout, 10)
        if not address:
            pytest.fail("dbus-daemon did not start", pytrace=False)
        env["DBUS_SESSION_BUS_ADDRESS"] = address
        daemon = subprocess.Popen(
            ["gnome-keyring-daemon", "--unlock", "--components=secrets", "--foreground"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        processes.append(daemon)
        assert daemon.stdin is not None
        daemon.stdin.write(THROWAWAY_PASSWORD)
        daemon.stdin.close()  # end of the password
        service = SecretServiceBus(address)
        _wait_until_unlocked(service, daemon)
        yield service, daemon
    finally:
        for process in reversed(processes):
            _stop(process)


@pytest.fixture(scope="session")
def secret_service_bus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecretServiceBus]:
    """Start dbus-daemon and gnome-keyring-daemon for this test session only.

    The bus has its own configuration (no service activation, so nothing else is started on
    it), and the keyring daemon gets a throwaway password on stdin and an empty home, so it
    creates and unlocks a fresh login collection. Both are stopped at the end.
    """
    with running_secret_service(tmp_path_factory.mktemp("secret-service")) as (service, _):
        yield service


def _wait_until_unlocked(service: SecretServiceBus, daemon: subprocess.Popen[bytes]) -> None:
    import secretstorage

    deadline = time.monotonic() + 15
    problem = "no answer"
    while time.monotonic() < deadline:
        if daemon.poll() is not None:
            pytest.fail(f"gnome-keyring-daemon exited with {daemon.returncode}", pytrace=False)
        try:
            with service.connect() as connection:
                if secretstorage.check_service_availability(connection):
                    if not secretstorage.get_default_collection(connection).is_locked():
                        return
                    problem = "the login collection stays locked"
        except Exception as exc:  # the daemon is still starting
            problem = f"{type(exc).__name__}: {exc}"
        time.sleep(0.1)
    pytest.fail(f"gnome-keyring did not come up unlocked: {problem}", pytrace=False)


SECRET_SERVICE_BACKEND = "keyring.backends.SecretService.Keyring"


@pytest.fixture
def secret_service(
    isolated: Path, secret_service_bus: SecretServiceBus, monkeypatch: pytest.MonkeyPatch
) -> Iterator[SecretServiceBus]:
    """This test (and the mighty subprocesses it starts) use the real Secret Service keyring."""
    from keyring.backends.SecretService import Keyring as SecretServiceKeyring

    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", secret_service_bus.address)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", SECRET_SERVICE_BACKEND)
    secret_service_bus.clear()
    keyring.set_keyring(SecretServiceKeyring())  # type: ignore[no-untyped-call]
    try:
        yield secret_service_bus
    finally:
        secret_service_bus.clear()


@pytest.fixture
def own_secret_service(
    isolated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[SecretServiceBus, subprocess.Popen[bytes]]]:
    """A Secret Service of this test's own, which it may stop (the bus, and the keyring
    daemon's process), used as the `secret_service` fixture uses the shared one."""
    from keyring.backends.SecretService import Keyring as SecretServiceKeyring

    root = tmp_path / "own-bus"
    root.mkdir()
    with running_secret_service(root) as (service, daemon):
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", service.address)
        monkeypatch.setenv("PYTHON_KEYRING_BACKEND", SECRET_SERVICE_BACKEND)
        keyring.set_keyring(SecretServiceKeyring())  # type: ignore[no-untyped-call]
        yield service, daemon
