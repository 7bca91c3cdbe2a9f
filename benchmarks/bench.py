"""Benchmarks for issues 5 and 13: start-up, `token`, `whoami`, pagination, login; the
throughput and memory of `mighty members list --all`; the throughput and pacing of `mighty apply`.

    python benchmarks/bench.py [--quick] [--instructions] [--only NAME]

Every figure is a ratio (or a difference) against a baseline measured in the same run; each
timing is the median of several runs after a warm-up, with the command and its baseline
alternating so that drift in the machine's speed touches both alike. Everything happens in a
temporary folder (config dir and a file-backed keyring, as in tests/conftest.py) against the
emulator, started in this process on 127.0.0.1; nothing else is contacted. Figures go to stdout,
progress to stderr. Nothing is asserted: the exit status is 0 whatever the figures say.

Issue 13 asks for figures from a regular (non-editable) install: the header says which kind of
install the `mighty` being measured comes from, and warns when it is an editable one.

With --instructions, the start-up rows of issue 13 (version, token, whoami) also run their command
and baseline once each under valgrind's callgrind and note the instructions each executed: a
count that does not depend on what else the machine is doing, as a companion to the timings.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import json
import os
import platform
import re
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

import httpx
from keyrings.alt.file import PlaintextKeyring

from mightycli.api import WHOAMI_QUERY
from mightycli.emulator import (
    ADMIN_API_TOKEN,
    NETWORK_SUBDOMAIN,
    PUBLIC_CLIENT_ID,
    Emulator,
)
from mightycli.emulator.directory import SEEDED_MEMBERS as SEEDED

# The emulator's own members; extra_members adds to them.
SEEDED_MEMBERS = len(SEEDED)

# What --only selects; each name runs a method of Bench (a dash in the name is an underscore
# there). `paginate` and `members-list` add their memory rows too.
NAMES = (
    "version",
    "help",
    "token",
    "whoami",
    "paginate",
    "members-list",
    "apply",
    "login",
    "desktop-keyring",
)
RUNS = 11
QUICK_RUNS = 3
PAGINATE_MIN_RUNS = 3
# Pagination takes seconds per run: its run count shrinks to fit this many seconds (at least 3).
PAGINATE_BUDGET_SECONDS = 150.0
BIG_MEMBERS = 100_000
SMALL_MEMBERS = 1_000
# `mighty members list --all`: its throughput over this many members, its memory against
# SMALL_MEMBERS.
MEMBERS_LIST_MEMBERS = 10_000
MEMBERS_LIST_TARGET = 0.9  # throughput ratio: baseline time / mighty time
# `mighty apply FILE --send`: its throughput over this many rows (each a new member), with a rate
# no run comes near so that pacing never waits, against a plain httpx loop sending the same
# requests; then its pacing at the default --rate over rows that make about 150 requests.
APPLY_ROWS = 1_000
APPLY_QUICK_ROWS = 100
APPLY_TARGET = 0.8  # throughput ratio: baseline time / mighty time
UNPACED_RATE = 100_000_000
# One row of the apply rows: a free plan (paid plans are refused with 422), a space, two tags.
APPLY_HEADER = "email,first_name,last_name,plans,spaces,tags,action\n"
APPLY_ROW = "bench{0:04d}@example.com,Bench,Row{0:04d},Community,Welcome,VIP;Mentor,add\n"
PACING_RATE = 200  # requests a minute: mighty apply's default --rate, and the ceiling
PACING_FLOOR = 190  # at most 5% below
PACING_WINDOW = 60.0  # seconds: no such window may hold more than PACING_RATE requests
# 3 name lists + 9 requests a row: 147 requests, 146 gaps of 0.3 s, about 44 s (quick: 11 s).
PACING_ROWS = 16
PACING_QUICK_ROWS = 4
# Memory "flat": the most a bigger list may add to the peak RSS (both memory rows).
MEMORY_LIMIT_MB = 15.0
PER_PAGE = 100
LOGIN_ALLOWANCE = 0.100  # seconds on top of the token exchange and the me query
CHILD_TIMEOUT = 300.0
# A child under valgrind runs tens of times slower than on its own.
VALGRIND_TIMEOUT = 900.0
# The rows --instructions adds an instruction count to.
INSTRUCTION_ROWS = ("version", "token (admin)", "token (oauth)", "whoami")
SERVICE = f"mighty-cli:{NETWORK_SUBDOMAIN}"
KEYRING_BACKEND = "keyrings.alt.file.PlaintextKeyring"
USER_AGENT = "mighty-bench/1"
DISTRIBUTION = "mighty-cli"
HEAVY_MODULES = ("typer", "httpx", "rich", "graphql", "mightycli.emulator", "pydantic")
# Targets (time ratios against the baselines below): issue 5 for help, issue 13 for the rest.
VERSION_TARGET = 2.0
HELP_TARGET = 1.5
TOKEN_TARGET = 1.15
WHOAMI_TARGET = 1.2
# The same fields mighty asks for when it identifies the user at login.
ME_QUERY = "query BenchMe { me { id name email networkRole } network { title } }"

NOTHING = "pass"
TYPER_ONLY = "import typer"
# The floor for `mighty token`: the interpreter, keyring, and one read from the backend.
KEYRING_READ = (
    "import sys\n"
    "import keyring\n"
    "secret = keyring.get_password(sys.argv[1], sys.argv[2])\n"
    "sys.stdout.write(f'{secret}\\n')\n"
)
# The floor for `mighty whoami`: httpx and keyring, one keyring read, and the same GraphQL POST
# (argv: service, GraphQL URL, query). It fails unless the answer names the member.
WHOAMI_REQUEST = """\
import sys

import httpx
import keyring

service, url, query = sys.argv[1:4]
token = keyring.get_password(service, "access_token")
if not token:
    raise SystemExit("whoami baseline: no access token in the keyring")
headers = {"Authorization": "Bearer " + token, "Accept": "application/json"}
with httpx.Client(timeout=30.0, trust_env=False, follow_redirects=False) as client:
    response = client.post(url, json={"query": query}, headers=headers)
response.raise_for_status()
me = (response.json().get("data") or {}).get("me")
if not isinstance(me, dict) or not me.get("id"):
    raise SystemExit("whoami baseline: the answer has no data.me: " + response.text[:300])
sys.stdout.write(str(me.get("name")) + "\\n")
"""
# Appended to a child's code: which heavy modules it ended up importing, on stderr.
IMPORTS_REPORT = (
    "import json, os, sys\n"
    "heavy = os.environ['BENCH_HEAVY'].split(',')\n"
    "found = [h for h in heavy if any(m == h or m.startswith(h + '.') for m in sys.modules)]\n"
    "sys.stderr.write('BENCH-IMPORTS ' + json.dumps(found) + '\\n')\n"
)
# A command as its console script runs it: the `mighty` entry point from the installed package's
# metadata, called with sys.argv set (argv: the command's arguments). On success it does not
# exit, so the imports report appended after it still runs.
ENTRY_POINT_COMMAND = """\
import sys
from importlib.metadata import entry_points

found = list(entry_points(group="console_scripts", name="mighty"))
if not found:
    raise SystemExit("no mighty console script in the installed metadata")
main = found[0].load()
sys.argv = ["mighty", *sys.argv[1:]]
try:
    status = main()
except SystemExit as exit:
    status = exit.code
if status:
    raise SystemExit(status)
"""
# A plain httpx loop over the Admin API pages: the throughput baseline for --paginate.
HTTPX_LOOP = """\
import json
import os
import sys

import httpx

headers = {
    "Authorization": "Bearer " + os.environ["BENCH_ADMIN_TOKEN"],
    "User-Agent": "mighty-bench-baseline/1",
}
out = sys.stdout
with httpx.Client(headers=headers, timeout=30.0, trust_env=False) as client:
    url = sys.argv[1]
    while url:
        response = client.get(url)
        response.raise_for_status()
        page = response.json()
        for item in page["items"]:
            out.write(json.dumps(item) + "\\n")
        url = page.get("links", {}).get("next")
out.flush()
"""
# A plain httpx loop writing the rows `mighty members list --all` writes into a pipe (tsv: id,
# email, first and last name joined, member_type; backslash, tab, newline and carriage return
# escaped as mightycli.resources.formats does): the throughput baseline for members-list.
# (A raw string: the code as the child runs it, its escapes its own.)
MEMBERS_TSV_LOOP = r"""
import os
import sys

import httpx

ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def cell(value):
    return "" if value is None else str(value).translate(ESCAPES)


headers = {
    "Authorization": "Bearer " + os.environ["BENCH_ADMIN_TOKEN"],
    "User-Agent": "mighty-bench-baseline/1",
}
out = sys.stdout
with httpx.Client(headers=headers, timeout=30.0, trust_env=False) as client:
    url = sys.argv[1]
    while url:
        response = client.get(url)
        response.raise_for_status()
        page = response.json()
        for item in page["items"]:
            names = (item.get("first_name"), item.get("last_name"))
            name = " ".join(p for p in names if isinstance(p, str) and p.strip())
            out.write(
                cell(item.get("id")) + "\t" + cell(item.get("email")) + "\t" + cell(name)
                + "\t" + cell(item.get("member_type")) + "\n"
            )
        url = page.get("links", {}).get("next")
out.flush()
"""
# A plain httpx loop sending the requests `mighty apply FILE --send` sends for the add rows of FILE
# (argv: the network's Admin API base URL, the CSV file): the throughput baseline for apply. It
# lists the plans, spaces and tags once (per_page=100, following links.next), then for each row
# looks the member up by e-mail and creates them on a 404, and for each plan, space and tag of the
# row checks the membership and writes it on a 404. Any other answer stops it.
APPLY_LOOP = """\
import csv
import os
import sys

import httpx

base, sheet = sys.argv[1:3]
headers = {
    "Authorization": "Bearer " + os.environ["BENCH_ADMIN_TOKEN"],
    "User-Agent": "mighty-bench-baseline/1",
}
LISTS = ("plans", "spaces", "tags")
LABELS = {"plans": "name", "spaces": "name", "tags": "title"}


def key(name):
    return " ".join(name.split()).casefold()


def expect(response, *statuses):
    if response.status_code not in statuses:
        request, text = response.request, response.text[:300]
        raise SystemExit(f"{request.method} {request.url}: {response.status_code} {text}")
    return response.status_code


def listed(client, noun):
    ids, url, params = {}, f"{base}/{noun}", {"per_page": 100}
    while url:
        response = client.get(url, params=params)
        expect(response, 200)
        page = response.json()
        for item in page["items"]:
            ids[key(str(item[LABELS[noun]]))] = item["id"]
        url, params = (page.get("links") or {}).get("next"), None
    return ids


# The URL that checks a membership; the URL and arguments of the POST that makes it.
def membership(noun, item, member):
    if noun == "tags":
        tags = f"{base}/members/{member}/tags"
        return f"{tags}/{item}/", tags, {"json": {"tag_id": item}}
    members = f"{base}/{noun}/{item}/members"
    return f"{members}/{member}/", members, {"params": {"user_id": member}}


def member_id(client, row):
    email = row["email"].strip()
    response = client.get(f"{base}/members/by_email", params={"email": email})
    if expect(response, 200, 404) == 404:
        body = {
            "email": email,
            "first_name": row["first_name"].strip(),
            "last_name": row["last_name"].strip(),
            "send_welcome_email": False,
        }
        response = client.post(f"{base}/members", json=body)
        expect(response, 200, 201)
    return response.json()["id"]


with open(sheet, encoding="utf-8-sig", newline="") as file:
    rows = list(csv.DictReader(file))
with httpx.Client(headers=headers, timeout=30.0, trust_env=False) as client:
    ids = {noun: listed(client, noun) for noun in LISTS}
    for row in rows:
        member = member_id(client, row)
        for noun in LISTS:
            for name in dict.fromkeys(p.strip() for p in row[noun].split(";") if p.strip()):
                check, write, arguments = membership(noun, ids[noun][key(name)], member)
                if expect(client.get(check), 200, 404) == 404:
                    expect(client.post(write, **arguments), 200, 201)
"""
# $BROWSER for the login measurement: it approves by following the authorize redirect itself,
# notes the time just before it sends the callback request, and writes that time down after
# the answer, so that no file I/O falls inside the measured window.
STAMP_BROWSER = """\
import http.client
import os
import sys
import time
from urllib.parse import urljoin, urlsplit

LOOPBACK = {"127.0.0.1", "::1", "localhost"}


def get(url):
    parts = urlsplit(url)
    if parts.scheme != "http" or parts.hostname not in LOOPBACK:
        raise SystemExit("stamp-browser: refusing to leave this machine")
    target = (parts.path or "/") + ("?" + parts.query if parts.query else "")
    connection = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=30)
    try:
        connection.request("GET", target, headers={"User-Agent": "mighty-bench-browser/1"})
        response = connection.getresponse()
        response.read()
        return response.status, response.getheader("Location")
    finally:
        connection.close()


status, location = get(sys.argv[1])
if status not in (301, 302, 303, 307, 308) or not location:
    raise SystemExit(f"stamp-browser: the authorize endpoint answered {status}, not a redirect")
callback = urljoin(sys.argv[1], location)
stamp = time.time_ns()
get(callback)
with open(os.environ["BENCH_CALLBACK_STAMP"], "w", encoding="ascii") as file:
    file.write(str(stamp))
"""


class BenchError(Exception):
    """A measurement could not be taken; its row says so and the others go on."""


class StampedEmulator(Emulator):
    """The emulator, noting time.monotonic() as each Admin API request reaches its routing
    (where ``admin_requests()`` logs it): the arrival times the pacing row measures."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.arrivals: list[float] = []

    def _respond(self, request: Any) -> Any:
        path = str(getattr(request, "path", ""))
        if path == "/admin" or path.startswith("/admin/"):
            self.arrivals.append(time.monotonic())
        return super()._respond(request)


# --------------------------------------------------------------------------- running children


@dataclass(frozen=True)
class Run:
    seconds: float
    max_rss_kib: int
    ended_ns: int  # wall clock right after the child was reaped


@dataclass(frozen=True)
class Invocation:
    """One side of a row: built once, then run for the timings and under valgrind alike."""

    argv: list[str]
    env: dict[str, str]
    stdin: bytes | None = None

    def run(self) -> Run:
        return run_child(self.argv, self.env, stdin=self.stdin)


def run_child(
    argv: Sequence[str],
    env: dict[str, str],
    *,
    stdin: bytes | None = None,
    stdout: IO[bytes] | int = subprocess.DEVNULL,
) -> Run:
    """Run one child to completion; its wall time and its own peak RSS (os.wait4)."""
    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        process = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL if stdin is None else subprocess.PIPE,
            stdout=stdout,
            stderr=errors,
            env=env,
        )
        watchdog = threading.Timer(CHILD_TIMEOUT, _kill, (process,))
        watchdog.start()
        try:
            if stdin is not None and process.stdin is not None:
                process.stdin.write(stdin)
                process.stdin.close()
            _, status, usage = os.wait4(process.pid, 0)
            elapsed = time.perf_counter() - start
            ended_ns = time.time_ns()
        finally:
            watchdog.cancel()
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            errors.seek(0)
            tail = errors.read().decode("utf-8", "replace").strip()[-600:]
            raise BenchError(f"{_show(argv)} exited with {process.returncode}: {tail}")
        return Run(elapsed, int(usage.ru_maxrss), ended_ns)


def _kill(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(process.pid, signal.SIGKILL)


def _show(argv: Sequence[str]) -> str:
    return " ".join(shlex.quote(Path(a).name if i == 0 else a) for i, a in enumerate(argv))


def progress(message: str) -> None:
    sys.stderr.write(f"bench: {message}\n")
    sys.stderr.flush()


def alternate(
    command: Invocation, baseline: Invocation, runs: int, label: str, *, warm_up: bool = True
) -> tuple[list[Run], list[Run]]:
    """One warm-up of each (unless the caller has done its own), then `runs` of each,
    alternating."""
    if warm_up:
        progress(f"{label}: warm-up")
        command.run()
        baseline.run()
    done_command: list[Run] = []
    done_baseline: list[Run] = []
    for index in range(runs):
        done_command.append(command.run())
        done_baseline.append(baseline.run())
        progress(f"{label}: run {index + 1}/{runs}")
    return done_command, done_baseline


def count_instructions(valgrind: str, invocation: Invocation, label: str) -> int:
    """Run `invocation` once under callgrind (same argv, env and stdin); the instructions it
    executed, from valgrind's `==PID== Collected : N` line."""
    argv = [valgrind, "--tool=callgrind", "--callgrind-out-file=/dev/null", *invocation.argv]
    process = subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL if invocation.stdin is None else subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=invocation.env,
    )
    try:
        _, errors = process.communicate(invocation.stdin, timeout=VALGRIND_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise BenchError(f"{label} under valgrind ran past {VALGRIND_TIMEOUT:.0f} s") from None
    log = errors.decode("utf-8", "replace")
    if process.returncode != 0:
        tail = log.strip()[-600:]
        raise BenchError(f"{label} under valgrind exited with {process.returncode}: {tail}")
    # Valgrind runs the program in its own process, so its lines carry the child's pid.
    found = re.search(rf"^=={process.pid}== Collected : (\d+)\s*$", log, re.MULTILINE)
    if found is None:
        raise BenchError(f"no 'Collected' total in valgrind's output for {label}")
    return int(found.group(1))


def median_seconds(runs: Sequence[Run]) -> float:
    return statistics.median(run.seconds for run in runs)


def heavy_imports(code: str, args: list[str], env: dict[str, str]) -> str:
    """Run `code` with the imports report appended; the heavy modules it imported."""
    result = subprocess.run(
        [sys.executable, "-c", code + IMPORTS_REPORT, *args],
        env={**env, "BENCH_HEAVY": ",".join(HEAVY_MODULES)},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        timeout=CHILD_TIMEOUT,
        check=False,
    )
    for line in result.stderr.decode("utf-8", "replace").splitlines():
        if line.startswith("BENCH-IMPORTS "):
            found = json.loads(line.split(" ", 1)[1])
            return ", ".join(found) or "none"
    return f"unknown (the process exited with {result.returncode} before reporting)"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --------------------------------------------------------------------------- an isolated home


class Home:
    """A config dir and a file-backed keyring of its own, and the environment that selects them."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True)
        env = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith("MIGHTY_")
            and name not in ("BROWSER", "PYTHON_KEYRING_BACKEND")
            # Only 127.0.0.1 is to be contacted: no proxy may stand in between.
            and name.lower() not in ("http_proxy", "https_proxy", "all_proxy")
        }
        env.update(
            MIGHTY_CONFIG_DIR=str(root / "config"),
            XDG_DATA_HOME=str(root / "data"),
            XDG_CONFIG_HOME=str(root / "xdg-config"),
            PYTHON_KEYRING_BACKEND=KEYRING_BACKEND,
            NO_COLOR="1",
        )
        self.env = env

    def secret(self, username: str) -> str | None:
        """Read an entry of the stored login straight from the keyring file."""
        backend = PlaintextKeyring()
        backend.file_path = str(self.root / "data" / "python_keyring" / "keyring_pass.cfg")
        value = backend.get_password(SERVICE, username)
        return value if isinstance(value, str) else None


def write_script(path: Path, text: str, executable: bool = False) -> Path:
    path.write_text(text, encoding="utf-8")
    if executable:
        path.chmod(0o700)
    return path


# --------------------------------------------------------------------------- the benchmark


@dataclass(frozen=True)
class Row:
    name: str
    command: str
    baseline: str
    figure: str
    target: str
    result: str


@dataclass
class Bench:
    root: Path
    mighty: list[str]
    runs: int
    quick: bool
    stack: contextlib.ExitStack
    # --instructions: count instructions under callgrind, with this valgrind (None: not found).
    instructions: bool = False
    valgrind: str | None = None
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    _big: Emulator | None = None
    _home: Home | None = None
    _redirect_uri: str = ""
    _admin_logged_in: bool = False
    _oauth_logged_in: bool = False
    # Emulators with this many members, each with a home logged in to it with the Admin API token.
    _admin_emulators: dict[int, tuple[Emulator, Home]] = field(default_factory=dict)
    # apply: a home logged in with the Admin API token to an emulator on this port (every run
    # of the apply rows has a fresh emulator there), and the network's Admin API base URL.
    _apply: tuple[Home, int, str] | None = None

    # -- shared set-up, done once and only when a measurement needs it ---------------------

    def big_emulator(self) -> Emulator:
        if self._big is None:
            progress(f"starting the emulator with {BIG_MEMBERS:,} members")
            self._redirect_uri = f"http://127.0.0.1:{free_port()}/callback"
            emulator = Emulator(
                "127.0.0.1",
                0,
                extra_members=BIG_MEMBERS - SEEDED_MEMBERS,
                auto_approve=True,
                redirect_uris=(self._redirect_uri,),
                quiet=True,
            )
            self._big = self.stack.enter_context(emulator)
        return self._big

    def home(self) -> Home:
        if self._home is None:
            self._home = Home(self.root / "home")
        return self._home

    def login_with_token(self, home: Home, emulator: Emulator) -> None:
        progress(f"mighty login --with-token against {emulator.url}")
        run_child(
            [
                *self.mighty,
                "login",
                "--with-token",
                "--network",
                NETWORK_SUBDOMAIN,
                "--api-url",
                emulator.url,
            ],
            home.env,
            stdin=(ADMIN_API_TOKEN + "\n").encode(),
        )

    def ensure_admin_login(self) -> Home:
        home = self.home()
        if not self._admin_logged_in:
            self.login_with_token(home, self.big_emulator())
            self._admin_logged_in = True
        return home

    def admin_emulator(self, members: int) -> tuple[Emulator, Home]:
        """An emulator with `members` members and a home of its own logged in to it with the
        Admin API token; started once, and shared by the rows that ask for the same size."""
        if members not in self._admin_emulators:
            progress(f"starting an emulator with {members:,} members")
            emulator = self.stack.enter_context(
                Emulator("127.0.0.1", 0, extra_members=members - SEEDED_MEMBERS, quiet=True)
            )
            home = Home(self.root / f"home-{members}")
            self.login_with_token(home, emulator)
            self._admin_emulators[members] = (emulator, home)
        return self._admin_emulators[members]

    def fit_runs(self, pair_seconds: float) -> int:
        """The runs of a row whose command and baseline take seconds each: as many as fit
        PAGINATE_BUDGET_SECONDS, at least PAGINATE_MIN_RUNS, at most the usual count."""
        if self.quick:
            return self.runs
        fitting = int(PAGINATE_BUDGET_SECONDS // max(pair_seconds, 1e-9))
        return max(PAGINATE_MIN_RUNS, min(self.runs, fitting))

    def login_args(self, emulator: Emulator) -> list[str]:
        return [
            *self.mighty,
            "login",
            "--network",
            NETWORK_SUBDOMAIN,
            "--issuer",
            emulator.url,
            "--api-url",
            emulator.url,
            "--client-id",
            PUBLIC_CLIENT_ID,
            "--redirect-uri",
            self._redirect_uri,
            "--timeout",
            "60",
        ]

    def ensure_oauth_login(self) -> Home:
        home = self.home()
        if not self._oauth_logged_in:
            emulator = self.big_emulator()
            browser = write_script(
                self.root / "consent-browser",
                "#!/bin/sh\n"
                f'exec {shlex.quote(sys.executable)} -m mightycli.emulator.browser "$1"\n',
                executable=True,
            )
            progress("mighty login through the emulator's consent page (OAuth)")
            run_child(self.login_args(emulator), {**home.env, "BROWSER": str(browser)})
            self._oauth_logged_in = True
        return home

    # -- rows ------------------------------------------------------------------------------

    def add(
        self, name: str, command: str, baseline: str, figure: str, target: str, ok: bool
    ) -> None:
        verdict = "meets" if ok else "misses"
        self.rows.append(Row(name, command, baseline, figure, target, verdict))

    def failed(self, name: str, error: Exception) -> None:
        self.rows.append(Row(name, "-", "-", "-", "-", "error"))
        self.notes.append(f"{name}: not measured: {error}")
        progress(f"{name}: failed: {error}")

    def ratio_row(self, name: str, command: Invocation, baseline: Invocation, limit: float) -> None:
        """Time `command` against `baseline` and add the row with the ratio of the medians."""
        done_command, done_baseline = alternate(command, baseline, self.runs, name)
        mine, base = median_seconds(done_command), median_seconds(done_baseline)
        ratio = mine / base
        self.add(name, ms(mine), ms(base), f"{ratio:.2f}x", f"<= {limit}x", ratio <= limit)

    def instructions_note(self, name: str, command: Invocation, baseline: Invocation) -> None:
        """With --instructions, one run of each side under callgrind: a figure, not a verdict.
        It never touches the timed figures; when it cannot be taken, the note says why."""
        if not self.instructions or name not in INSTRUCTION_ROWS:
            return
        prefix = f"{name}: instructions (callgrind):"
        if self.valgrind is None:
            self.notes.append(f"{prefix} not measured: valgrind is not on PATH")
            return
        progress(f"{name}: one run of each under valgrind (callgrind)")
        try:
            mine = count_instructions(self.valgrind, command, "mighty")
            base = count_instructions(self.valgrind, baseline, "the baseline")
        except (BenchError, OSError) as exc:
            self.notes.append(f"{prefix} not measured: {exc}")
            progress(f"{name}: instructions not measured: {exc}")
            return
        self.notes.append(f"{prefix} mighty {mine:,}, baseline {base:,}, ratio {mine / base:.3f}x")

    def mighty_side(self, args: list[str], home: Home) -> Invocation:
        return Invocation([*self.mighty, *args], home.env)

    # -- measurements --------------------------------------------------------------------

    def startup(self, name: str, flag: str, baseline_code: str, limit: float) -> None:
        home = self.home()
        command = self.mighty_side([flag], home)
        baseline = Invocation([sys.executable, "-c", baseline_code], home.env)
        self.ratio_row(name, command, baseline, limit)
        self.notes.append(f"{name}: baseline = python -c {shlex.quote(baseline_code)}")
        self.instructions_note(name, command, baseline)

    def version(self) -> None:
        self.startup("version", "--version", NOTHING, VERSION_TARGET)

    def help(self) -> None:
        self.startup("help", "--help", TYPER_ONLY, HELP_TARGET)

    def token(self) -> None:
        home = self.ensure_admin_login()
        self.token_case("token (admin)", home, "admin_token")
        home = self.ensure_oauth_login()
        self.token_case("token (oauth)", home, "access_token")

    def token_case(self, name: str, home: Home, entry: str) -> None:
        command = self.mighty_side(["token"], home)
        baseline = Invocation([sys.executable, "-c", KEYRING_READ, SERVICE, entry], home.env)
        self.ratio_row(name, command, baseline, TOKEN_TARGET)
        self.imports_note(name, command, baseline)
        self.notes.append(
            f"{name}: baseline = python -c 'import keyring; "
            f"keyring.get_password({SERVICE!r}, {entry!r})', same keyring file"
        )
        self.instructions_note(name, command, baseline)

    def imports_note(self, name: str, command: Invocation, baseline: Invocation) -> None:
        """Which heavy modules each side imports: the command's arguments run through the
        console script's entry point, and the baseline's `python -c CODE ARGS...` as it is."""
        args = command.argv[len(self.mighty) :]
        code, *baseline_args = baseline.argv[2:]
        mine = heavy_imports(ENTRY_POINT_COMMAND, args, command.env)
        floor = heavy_imports(code, baseline_args, baseline.env)
        self.notes.append(
            f"{name}: heavy modules (of {', '.join(HEAVY_MODULES)}) imported by "
            f"mighty {' '.join(args)}: {mine}; by the baseline: {floor}"
        )

    def whoami(self) -> None:
        home = self.ensure_oauth_login()
        url = graphql_url(home, self.big_emulator())
        confirmed = self.confirm_whoami_request(home, url)
        command = self.mighty_side(["whoami"], home)
        baseline = Invocation(
            [sys.executable, "-c", WHOAMI_REQUEST, SERVICE, url, WHOAMI_QUERY], home.env
        )
        self.ratio_row("whoami", command, baseline, WHOAMI_TARGET)
        self.imports_note("whoami", command, baseline)
        self.notes.append(
            "whoami: after the OAuth login, output to /dev/null; baseline = a process importing "
            f"httpx and keyring that reads access_token of {SERVICE!r} and POSTs mightycli.api."
            f"WHOAMI_QUERY to {url} (Bearer token, JSON body), checking data.me; {confirmed}"
        )
        self.instructions_note("whoami", command, baseline)

    def confirm_whoami_request(self, home: Home, url: str) -> str:
        """Check with `mighty --debug whoami` that mighty posts where the baseline will."""
        result = subprocess.run(
            [*self.mighty, "--debug", "whoami"],
            env=home.env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=CHILD_TIMEOUT,
            check=False,
        )
        log = result.stderr.decode("utf-8", "replace")
        if result.returncode != 0:
            raise BenchError(f"mighty --debug whoami exited with {result.returncode}: {log[-600:]}")
        posts = [
            line.split("> POST ", 1)[1].strip() for line in log.splitlines() if "> POST " in line
        ]
        if not posts:
            return "mighty --debug whoami showed no POST: URL and query not confirmed"
        if posts != [url]:
            raise BenchError(f"mighty whoami POSTs to {posts}, the baseline would POST to {url}")
        same_query = json.dumps(WHOAMI_QUERY) in log
        return "mighty --debug whoami shows the same URL" + (
            " and query" if same_query else " (its query text not found in the debug log)"
        )

    def paginate(self) -> None:
        home = self.ensure_admin_login()
        command, runs = self.paginate_throughput(home)
        self.paginate_memory(command, runs)

    def paginate_throughput(self, home: Home) -> tuple[list[Run], int]:
        big = self.big_emulator()
        loop = write_script(self.root / "httpx_loop.py", HTTPX_LOOP)
        first_page = (
            f"{big.url}/admin/v1/networks/{NETWORK_SUBDOMAIN}/members?page=1&per_page={PER_PAGE}"
        )
        loop_env = {**home.env, "BENCH_ADMIN_TOKEN": ADMIN_API_TOKEN}
        sides = (
            ("mighty", self.paginate_argv(), home.env),
            ("httpx loop", [sys.executable, str(loop), first_page], loop_env),
        )
        # The warm-ups write to a file, so both sides are checked for the same 100,000 lines.
        progress("paginate: warm-up (and a count of the items each side writes)")
        counts: list[str] = []
        pair = 0.0
        for label, argv, env in sides:
            with tempfile.TemporaryFile(dir=self.root) as out:
                pair += run_child(argv, env, stdout=out).seconds
                out.seek(0)
                counts.append(f"{label} {sum(1 for _ in out):,}")
        runs = self.fit_runs(pair)
        command: list[Run] = []
        baseline: list[Run] = []
        for index in range(runs):
            command.append(run_child(sides[0][1], sides[0][2]))
            baseline.append(run_child(sides[1][1], sides[1][2]))
            progress(f"paginate: run {index + 1}/{runs}")
        mine, base = median_seconds(command), median_seconds(baseline)
        ratio = base / mine
        self.add("paginate", s(mine), s(base), f"{ratio:.2f}x", ">= 0.8x throughput", ratio >= 0.8)
        self.notes.append(
            f"paginate: {BIG_MEMBERS:,} members, {BIG_MEMBERS // PER_PAGE:,} pages of "
            f"{PER_PAGE}, median of {runs} runs after a warm-up; items written: "
            + ", ".join(counts)
        )
        self.notes.append(
            "paginate: baseline = one httpx.Client following links.next, json.dumps of each "
            "item to stdout (/dev/null); figure = baseline time / mighty time"
        )
        return command, runs

    def paginate_argv(self) -> list[str]:
        return [*self.mighty, "api", "members", "-f", f"per_page={PER_PAGE}", "--paginate"]

    def paginate_memory(self, command: list[Run], runs: int) -> None:
        """The paginate command over 1,000 members, from a home of its own, against `command`."""
        _, small_home = self.admin_emulator(SMALL_MEMBERS)
        self.memory_row("paginate-memory", self.paginate_argv(), small_home, command, runs)
        self.notes.append(
            f"paginate-memory: peak RSS of the mighty process (os.wait4 ru_maxrss), median of "
            f"{runs} runs each, {BIG_MEMBERS:,} members vs {SMALL_MEMBERS:,}; MB = 10^6 bytes"
        )

    def memory_row(
        self, name: str, argv: list[str], small_home: Home, big: list[Run], runs: int
    ) -> None:
        """`argv` from `small_home` (one warm-up, then `runs` runs) against the peak RSS of the
        `big` runs: the difference of the medians, which must stay within MEMORY_LIMIT_MB."""
        progress(f"{name}: {runs} runs over the smaller list")
        run_child(argv, small_home.env)  # warm-up
        few = [run_child(argv, small_home.env) for _ in range(runs)]
        big_rss = statistics.median(run.max_rss_kib for run in big)
        small_rss = statistics.median(run.max_rss_kib for run in few)
        extra = (big_rss - small_rss) * 1024 / 1e6
        self.add(
            name,
            mb(big_rss),
            mb(small_rss),
            f"{extra:+.1f} MB",
            f"<= {MEMORY_LIMIT_MB:.0f} MB more",
            extra <= MEMORY_LIMIT_MB,
        )

    def members_list(self) -> None:
        emulator, home = self.admin_emulator(MEMBERS_LIST_MEMBERS)
        api_url, network = stored_network(home, emulator)
        first_page = f"{api_url}/admin/v1/networks/{network}/members?per_page={PER_PAGE}"
        pages = -(-MEMBERS_LIST_MEMBERS // PER_PAGE)
        confirmed = self.confirm_members_requests(home, first_page, pages)
        loop = write_script(self.root / "members_tsv_loop.py", MEMBERS_TSV_LOOP)
        command = Invocation(self.members_list_argv(), home.env)
        baseline = Invocation(
            [sys.executable, str(loop), first_page],
            {**home.env, "BENCH_ADMIN_TOKEN": ADMIN_API_TOKEN},
        )
        progress("members-list: warm-up (and a comparison of the bytes each side writes)")
        written, pair = same_output(command, baseline, self.root)
        runs = self.fit_runs(pair)
        done_command, done_baseline = alternate(
            command, baseline, runs, "members-list", warm_up=False
        )
        mine, base = median_seconds(done_command), median_seconds(done_baseline)
        ratio = base / mine
        self.add(
            "members-list",
            s(mine),
            s(base),
            f"{ratio:.2f}x",
            f">= {MEMBERS_LIST_TARGET}x throughput",
            ratio >= MEMBERS_LIST_TARGET,
        )
        self.notes.append(
            f"members-list: mighty members list --all > /dev/null (tsv), "
            f"{MEMBERS_LIST_MEMBERS:,} members, {pages:,} pages of "
            f"{PER_PAGE}, median of {runs} runs after a warm-up; {written}"
        )
        self.notes.append(
            "members-list: baseline = one httpx.Client (Bearer token, User-Agent) following "
            f"links.next from {first_page}, writing the same tab-separated rows (id, email, "
            "name, member_type; backslash, tab, newline, CR escaped) to stdout (/dev/null); "
            f"figure = baseline time / mighty time; {confirmed}"
        )
        try:
            self.members_list_memory(done_command, runs)
        except Exception as exc:  # the throughput row stands; this one says what broke
            self.failed("members-list-memory", exc)

    def members_list_argv(self) -> list[str]:
        return [*self.mighty, "members", "list", "--all"]

    def members_list_memory(self, command: list[Run], runs: int) -> None:
        """`mighty members list --all` over 1,000 members against the 10,000 of `command`."""
        _, small_home = self.admin_emulator(SMALL_MEMBERS)
        self.memory_row("members-list-memory", self.members_list_argv(), small_home, command, runs)
        self.notes.append(
            f"members-list-memory: peak RSS of the mighty process (os.wait4 ru_maxrss), median "
            f"of {runs} runs each, {MEMBERS_LIST_MEMBERS:,} members vs {SMALL_MEMBERS:,}; "
            "MB = 10^6 bytes"
        )

    def confirm_members_requests(self, home: Home, first_page: str, pages: int) -> str:
        """Check with `mighty --debug members list --all` that mighty GETs the baseline's first
        page, and `pages` pages in all."""
        result = subprocess.run(
            [*self.mighty, "--debug", "members", "list", "--all"],
            env=home.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            timeout=CHILD_TIMEOUT,
            check=False,
        )
        log = result.stderr.decode("utf-8", "replace")
        if result.returncode != 0:
            raise BenchError(
                f"mighty --debug members list --all exited with {result.returncode}: {log[-600:]}"
            )
        gets = [line.split("> GET ", 1)[1].strip() for line in log.splitlines() if "> GET " in line]
        if not gets:
            return "mighty --debug members list --all showed no GET: URL not confirmed"
        if gets[0] != first_page:
            raise BenchError(f"mighty members list GETs {gets[0]} first, the baseline {first_page}")
        if len(gets) != pages:
            raise BenchError(f"mighty members list --all sent {len(gets)} GETs, not {pages}")
        return f"mighty --debug members list --all shows the same first URL and {pages} GETs"

    def apply(self) -> None:
        """`mighty apply --send`: throughput against a plain httpx loop, then pacing."""
        self.apply_throughput()
        try:
            self.apply_pacing()
        except Exception as exc:  # the throughput row stands; this one says what broke
            self.failed("apply-pacing", exc)

    def apply_home(self) -> tuple[Home, int, str]:
        """A home logged in with the Admin API token to an emulator whose port the apply runs'
        fresh emulators take over (the login stays valid: same URL, network and token)."""
        if self._apply is None:
            home = Home(self.root / "home-apply")
            with Emulator("127.0.0.1", 0, quiet=True) as emulator:
                self.login_with_token(home, emulator)
                api_url, network = stored_network(home, emulator)
                port = urlsplit(emulator.url).port
            if port is None:
                raise BenchError(f"no port in the emulator's URL {emulator.url}")
            self._apply = (home, port, f"{api_url}/admin/v1/networks/{network}")
        return self._apply

    def apply_throughput(self) -> None:
        rows = APPLY_QUICK_ROWS if self.quick else APPLY_ROWS
        home, port, base = self.apply_home()
        sheet = apply_sheet(self.root / "apply-rows.csv", rows)
        loop = write_script(self.root / "apply_loop.py", APPLY_LOOP)
        command = Invocation(
            [*self.mighty, "apply", str(sheet), "--send", "--rate", str(UNPACED_RATE)], home.env
        )
        baseline = Invocation(
            [sys.executable, str(loop), base, str(sheet)],
            {**home.env, "BENCH_ADMIN_TOKEN": ADMIN_API_TOKEN},
        )
        progress(f"apply: warm-up ({rows:,} rows, and a comparison of the requests of each side)")
        first, sent = fresh_run(command, port), fresh_run(baseline, port)
        same_requests(first[1], sent[1])
        runs = self.fit_runs(first[0].seconds + sent[0].seconds)
        done: tuple[list[Run], list[Run]] = ([], [])
        for index in range(runs):
            for side, invocation in zip(done, (command, baseline), strict=True):
                run, requests = fresh_run(invocation, port)
                if len(requests) != len(first[1]):
                    raise BenchError(
                        f"run {index + 1}: {len(requests):,} Admin API requests, the warm-up "
                        f"{len(first[1]):,} (mighty {len(first[1]):,}, baseline {len(sent[1]):,})"
                    )
                side.append(run)
            progress(f"apply: run {index + 1}/{runs}")
        mine, base_seconds = median_seconds(done[0]), median_seconds(done[1])
        ratio = base_seconds / mine
        self.add(
            "apply",
            f"{rows / mine:.1f} rows/s",
            f"{rows / base_seconds:.1f} rows/s",
            f"{ratio:.2f}x",
            f">= {APPLY_TARGET}x throughput",
            ratio >= APPLY_TARGET,
        )
        self.apply_notes(rows, runs, (mine, base_seconds), (first[1], sent[1]), base)

    def apply_notes(
        self,
        rows: int,
        runs: int,
        seconds: tuple[float, float],
        requests: tuple[list[tuple[str, str]], list[tuple[str, str]]],
        base: str,
    ) -> None:
        counts = [requests_per_row(sent, rows) for sent in requests]
        self.notes.append(
            f"apply: mighty apply rows.csv --send --rate {UNPACED_RATE} (pacing never waits), "
            f"{rows:,} rows, each a new member with plan Community, space Welcome and tags "
            f"VIP;Mentor, a fresh emulator for every run; median of {runs} runs after a warm-up: "
            f"mighty {s(seconds[0])}, baseline {s(seconds[1])}; figure = baseline time / mighty "
            "time"
        )
        self.notes.append(
            f"apply: Admin API requests (emulator.admin_requests()): mighty {counts[0]}; "
            f"baseline {counts[1]}; in the warm-up both sent the same requests in the same order, "
            "and every run the same number"
        )
        self.notes.append(
            "apply: baseline = one httpx.Client (Bearer token, User-Agent) in its own process "
            f"reading the same CSV; under {base}: GET plans, spaces, tags (per_page=100), then a "
            "row: GET members/by_email, POST members on 404; for each plan, space and tag a GET "
            "of the membership, a POST on 404"
        )

    def apply_pacing(self) -> None:
        """`mighty apply --send` at the default --rate: the request rate the emulator saw."""
        from mightycli.cli.apply import DEFAULT_RATE

        rows = PACING_QUICK_ROWS if self.quick else PACING_ROWS
        home, port, _ = self.apply_home()
        sheet = apply_sheet(self.root / "apply-pacing.csv", rows)
        progress(f"apply-pacing: {rows} rows at the default --rate (about {rows * 2.7 + 1:.0f} s)")
        emulator = StampedEmulator("127.0.0.1", port, quiet=True)
        with emulator:
            run = run_child([*self.mighty, "apply", str(sheet), "--send"], home.env)
            arrivals, logged = list(emulator.arrivals), len(emulator.admin_requests())
        if len(arrivals) != logged or logged < 2:
            raise BenchError(
                f"{len(arrivals)} arrival times for {logged} Admin API requests logged"
            )
        rate, window = per_minute(arrivals), longest_window(arrivals, PACING_WINDOW)
        ok = PACING_FLOOR <= rate <= PACING_RATE and window <= PACING_RATE
        self.add(
            "apply-pacing",
            f"{len(arrivals)} req in {arrivals[-1] - arrivals[0]:.1f} s",
            f"--rate {PACING_RATE}",
            f"{rate:.3f} a minute",
            f"≥ {PACING_FLOOR} and ≤ {PACING_RATE} a minute",
            ok,
        )
        self.notes.append(
            f"apply-pacing: mighty apply rows.csv --send (no --rate: the default, {DEFAULT_RATE} "
            f"a minute), {rows} rows of the same kind, a fresh emulator noting time.monotonic() "
            f"as each Admin API request arrives; rate = (n-1)/(last-first)*60 over n = "
            f"{len(arrivals)}; the longest {PACING_WINDOW:.0f}-s window holds {window} requests "
            f"(must be <= {PACING_RATE}; judged with the rate); the process took {s(run.seconds)}"
        )
        self.notes.append(f"apply-pacing: {pacing_detail(arrivals)}")

    def login(self) -> None:
        home = self.home()
        emulator = self.big_emulator()
        stamp_file = self.root / "callback-stamp"
        script = write_script(self.root / "stamp_browser.py", STAMP_BROWSER)
        browser = write_script(
            self.root / "stamp-browser",
            f'#!/bin/sh\nexec {shlex.quote(sys.executable)} {shlex.quote(str(script))} "$1"\n',
            executable=True,
        )
        env = {**home.env, "BROWSER": str(browser), "BENCH_CALLBACK_STAMP": str(stamp_file)}
        argv = self.login_args(emulator)
        progress("login: warm-up")
        login_machine_time(argv, env, stamp_file)
        refresh_and_me(home, emulator)
        machine: list[float] = []
        requests: list[float] = []
        for index in range(self.runs):
            machine.append(login_machine_time(argv, env, stamp_file))
            # Right after each login, so its refresh token has not been used yet.
            requests.append(refresh_and_me(home, emulator))
            progress(f"login: run {index + 1}/{self.runs}")
        mine = statistics.median(machine)
        budget = statistics.median(requests) + LOGIN_ALLOWANCE
        self.add(
            "login",
            ms(mine),
            ms(budget),
            f"{(budget - mine) * 1000:+.1f} ms margin",
            "<= exchange+me+100ms",
            mine <= budget,
        )
        self.notes.append(
            f"login: command = callback sent -> mighty login exited; baseline = refresh grant + "
            f"me query (fresh httpx.Client, made before the clock starts; median "
            f"{ms(statistics.median(requests))}) + {LOGIN_ALLOWANCE * 1000:.0f} ms"
        )

    def desktop_keyring(self) -> None:
        desktop_keyring_rows(self)


# --------------------------------------------------------------------------- desktop keyring
#
# Issue 21: `mighty token` where a Linux desktop keeps secrets, the Secret Service (here
# gnome-keyring, unlocked, on a session bus of the benchmark's own, as under dbus-run-session),
# against one read straight over D-Bus with jeepney (the floor) and against `gh auth token`
# (when gh is installed; its token in a plain file), in one run, the three alternating.

DESKTOP_TARGET = 1.3  # time ratio against the floor
DESKTOP_GH_TARGET = 1.0  # time ratio against gh auth token: faster
DESKTOP_BACKEND = "keyring.backends.SecretService.Keyring"
# Modules `mighty token` should not import on this path, and the one it reads with.
DESKTOP_MODULES = ("keyring", "secretstorage", "jaraco", "cryptography", "jeepney")
DESKTOP_PASSWORD = b"throwaway-bench-password"
GH_TOKEN = "gho_" + "b" * 36
# The floor (argv: service, username): python, jeepney, and one read on a plain session
# (OpenSession, SearchItems, GetSecrets), as issue 21 measured it.
SECRET_SERVICE_READ = """\
import sys

from jeepney import DBusAddress, MessageType, new_method_call
from jeepney.io.blocking import open_dbus_connection

SECRETS = DBusAddress(
    "/org/freedesktop/secrets", "org.freedesktop.secrets", "org.freedesktop.Secret.Service"
)
with open_dbus_connection() as connection:

    def call(method, signature, *body):
        reply = connection.send_and_get_reply(new_method_call(SECRETS, method, signature, body))
        if reply.header.message_type != MessageType.method_return:
            raise SystemExit(f"floor: {method} failed: {reply.body}")
        return reply.body

    _, session = call("OpenSession", "sv", "plain", ("s", ""))
    unlocked, _ = call("SearchItems", "a{ss}", {"service": sys.argv[1], "username": sys.argv[2]})
    if not unlocked:
        raise SystemExit("floor: no such item")
    (secrets,) = call("GetSecrets", "aoo", unlocked[:1], session)
sys.stdout.write(bytes(secrets[unlocked[0]][2]).decode("utf-8") + "\\n")
"""


def desktop_keyring_rows(bench: Bench) -> None:
    """The `desktop-keyring` rows: set up the Secret Service and a login kept in it, then time
    `mighty token --admin`, the floor and (with gh installed) `gh auth token`, alternating."""
    home = desktop_home(bench)
    command = bench.mighty_side(["token", "--admin"], home)
    floor = Invocation(
        [sys.executable, "-c", SECRET_SERVICE_READ, SERVICE, "admin_token"], home.env
    )
    sides = {"mighty": command, "floor": floor}
    gh = shutil.which("gh")
    if gh is not None:
        sides["gh"] = Invocation([gh, "auth", "token"], gh_env(bench.root, home.env))
    printed = {label: printed_by(side) for label, side in sides.items()}  # the warm-up
    if printed["floor"] != printed["mighty"] or printed["mighty"] != ADMIN_API_TOKEN + "\n":
        raise BenchError(f"mighty and the floor printed different tokens: {printed!r}")
    if gh is not None and printed["gh"] != GH_TOKEN + "\n":
        raise BenchError("gh auth token did not print the token it was given")
    runs: dict[str, list[Run]] = {label: [] for label in sides}
    for index in range(bench.runs):
        for label, side in sides.items():
            runs[label].append(side.run())
        progress(f"desktop-keyring: run {index + 1}/{bench.runs}")
    mine = median_seconds(runs["mighty"])
    base = median_seconds(runs["floor"])
    ratio = mine / base
    target = f"<= {DESKTOP_TARGET}x"
    bench.add(
        "desktop-keyring", ms(mine), ms(base), f"{ratio:.2f}x", target, ratio <= DESKTOP_TARGET
    )
    if gh is None:
        bench.failed("desktop-keyring (gh)", BenchError("gh is not installed (not on PATH)"))
    else:
        theirs = median_seconds(runs["gh"])
        ratio = mine / theirs
        bench.add(
            "desktop-keyring (gh)",
            ms(mine),
            ms(theirs),
            f"{ratio:.2f}x",
            f"< {DESKTOP_GH_TARGET}x",
            ratio < DESKTOP_GH_TARGET,
        )
    desktop_notes(bench, home, command, gh)
    desktop_instructions(bench, command, floor)


def desktop_instructions(bench: Bench, command: Invocation, floor: Invocation) -> None:
    """With --instructions, one run of mighty and of the floor under callgrind (gh's Go
    runtime is not counted: its instructions are not comparable work)."""
    if not bench.instructions:
        return
    prefix = "desktop-keyring: instructions (callgrind):"
    if bench.valgrind is None:
        bench.notes.append(f"{prefix} not measured: valgrind is not on PATH")
        return
    progress("desktop-keyring: one run of each under valgrind (callgrind)")
    try:
        mine = count_instructions(bench.valgrind, command, "mighty")
        base = count_instructions(bench.valgrind, floor, "the floor")
    except (BenchError, OSError) as exc:
        bench.notes.append(f"{prefix} not measured: {exc}")
        return
    bench.notes.append(f"{prefix} mighty {mine:,}, floor {base:,}, ratio {mine / base:.3f}x")


def desktop_home(bench: Bench) -> Home:
    """A home whose keyring is a fresh, unlocked gnome-keyring on a session bus of its own,
    logged in with the Admin API token; the bus and the daemon stop with the benchmark."""
    for tool in ("dbus-daemon", "gnome-keyring-daemon"):
        if shutil.which(tool) is None:
            raise BenchError(f"{tool} is not installed (Debian packages dbus, gnome-keyring)")
    root = bench.root / "desktop"
    runtime = root / "run"
    runtime.mkdir(parents=True, mode=0o700)
    daemon_env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(root),
        "XDG_RUNTIME_DIR": str(runtime),
        "XDG_DATA_HOME": str(root / "data"),
        "XDG_CONFIG_HOME": str(root / "config"),
        "LANG": "C.UTF-8",
    }
    address = start_session_bus(bench, daemon_env)
    daemon_env["DBUS_SESSION_BUS_ADDRESS"] = address
    start_gnome_keyring(bench, daemon_env)
    home = Home(bench.root / "home-desktop")
    # As on a desktop: no PYTHON_KEYRING_BACKEND (keyring finds the Secret Service itself) and
    # no MIGHTY_CONFIG_DIR (the logins are in $XDG_CONFIG_HOME/mighty).
    home.env.pop("PYTHON_KEYRING_BACKEND", None)
    home.env.pop("MIGHTY_CONFIG_DIR", None)
    home.env["DBUS_SESSION_BUS_ADDRESS"] = address
    progress("desktop-keyring: starting an emulator for the login")
    emulator = bench.stack.enter_context(Emulator("127.0.0.1", 0, quiet=True))
    bench.login_with_token(home, emulator)
    state = Path(home.env["XDG_CONFIG_HOME"], "mighty", "logins.json")
    logins = json.loads(state.read_text(encoding="utf-8"))
    recorded = logins["logins"][NETWORK_SUBDOMAIN].get("keyring_backend")
    if recorded != DESKTOP_BACKEND:
        raise BenchError(f"the login was kept in {recorded!r}, not the Secret Service")
    return home


def start_session_bus(bench: Bench, env: dict[str, str]) -> str:
    """dbus-daemon --session, as dbus-run-session starts it; its address."""
    bus = subprocess.Popen(
        ["dbus-daemon", "--session", "--nofork", "--print-address=1"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    bench.stack.callback(stop_process, bus)
    assert bus.stdout is not None
    address = bus.stdout.readline().decode().strip()
    if not address:
        raise BenchError("dbus-daemon did not start")
    return address


def start_gnome_keyring(bench: Bench, env: dict[str, str]) -> None:
    """gnome-keyring-daemon with a throwaway password on stdin, which creates and unlocks a
    fresh login collection; wait until the default collection is there, unlocked."""
    daemon = subprocess.Popen(
        ["gnome-keyring-daemon", "--unlock", "--components=secrets", "--foreground"],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    bench.stack.callback(stop_process, daemon)
    assert daemon.stdin is not None
    daemon.stdin.write(DESKTOP_PASSWORD)
    daemon.stdin.close()
    from jeepney import DBusAddress, Properties
    from jeepney.bus_messages import message_bus
    from jeepney.io.blocking import open_dbus_connection

    collection = DBusAddress(
        "/org/freedesktop/secrets/aliases/default",
        "org.freedesktop.secrets",
        "org.freedesktop.Secret.Collection",
    )
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            with open_dbus_connection(env["DBUS_SESSION_BUS_ADDRESS"]) as connection:
                # Not a word to org.freedesktop.secrets before this daemon owns the name: the
                # session bus would start another gnome-keyring, without the password.
                owned = connection.send_and_get_reply(message_bus.NameHasOwner(collection.bus_name))
                if owned.body == (True,):
                    reply = connection.send_and_get_reply(Properties(collection).get("Locked"))
                    if reply.body == (("b", False),):
                        return
        time.sleep(0.1)
    raise BenchError("gnome-keyring did not come up with an unlocked default collection")


def stop_process(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def gh_env(root: Path, env: dict[str, str]) -> dict[str, str]:
    """gh with a token in a plain file (hosts.yml in a config dir of its own), nothing else:
    no GH_TOKEN, no update check, no keyring."""
    config = root / "gh-config"
    config.mkdir(exist_ok=True)
    hosts = f"github.com:\n    oauth_token: {GH_TOKEN}\n    user: bench\n    git_protocol: https\n"
    (config / "hosts.yml").write_text(hosts, encoding="utf-8")
    gh = {k: v for k, v in env.items() if not k.startswith(("GH_", "GITHUB_"))}
    gh.update(GH_CONFIG_DIR=str(config), GH_NO_UPDATE_NOTIFIER="1", GH_PROMPT_DISABLED="1")
    return gh


def printed_by(invocation: Invocation) -> str:
    """What one run writes to stdout (the warm-up of its side)."""
    with tempfile.TemporaryFile() as out:
        run_child(invocation.argv, invocation.env, stdout=out)
        out.seek(0)
        return out.read().decode("utf-8", "replace")


def desktop_notes(bench: Bench, home: Home, command: Invocation, gh: str | None) -> None:
    args = command.argv[len(bench.mighty) :]
    result = subprocess.run(
        [sys.executable, "-c", ENTRY_POINT_COMMAND + IMPORTS_REPORT, *args],
        env={**home.env, "BENCH_HEAVY": ",".join(DESKTOP_MODULES)},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        timeout=CHILD_TIMEOUT,
        check=False,
    )
    found = "unknown"
    for line in result.stderr.decode("utf-8", "replace").splitlines():
        if line.startswith("BENCH-IMPORTS "):
            found = ", ".join(json.loads(line.split(" ", 1)[1])) or "none"
    bench.notes.append(
        f"desktop-keyring: mighty token --admin after login --with-token, the token kept by "
        f"gnome-keyring (unlocked) on a session bus of the benchmark's own, the login recording "
        f"{DESKTOP_BACKEND}, no PYTHON_KEYRING_BACKEND or MIGHTY_CONFIG_DIR (as on a desktop: "
        f"logins.json in $XDG_CONFIG_HOME/mighty); floor = python -c (jeepney: OpenSession "
        f"plain, SearchItems, GetSecrets) reading admin_token of {SERVICE!r}; both printed the "
        "same token"
    )
    bench.notes.append(
        f"desktop-keyring: of {', '.join(DESKTOP_MODULES)}, mighty {' '.join(args)} imported: "
        f"{found}"
    )
    if gh is not None:
        bench.notes.append(
            "desktop-keyring (gh): gh auth token with its token in a plain file (hosts.yml in "
            f"GH_CONFIG_DIR), {gh}; the three sides alternate, median of {bench.runs} runs each"
        )


def apply_sheet(path: Path, rows: int) -> Path:
    """The CSV file of the apply rows: `rows` new members, bench0000@example.com onwards."""
    text = APPLY_HEADER + "".join(APPLY_ROW.format(index) for index in range(rows))
    return write_script(path, text)


def fresh_run(invocation: Invocation, port: int) -> tuple[Run, list[tuple[str, str]]]:
    """One run against a fresh emulator on `port`: the run, and the Admin API requests it made."""
    with Emulator("127.0.0.1", port, quiet=True) as emulator:
        run = invocation.run()
        return run, emulator.admin_requests()


def same_requests(mine: list[tuple[str, str]], base: list[tuple[str, str]]) -> None:
    """Both sides sent the same Admin API requests (method and path), in the same order."""
    if mine == base:
        return
    differ = next(
        (i for i, pair in enumerate(zip(mine, base, strict=False)) if pair[0] != pair[1]),
        min(len(mine), len(base)),
    )
    first = mine[differ : differ + 1], base[differ : differ + 1]
    raise BenchError(
        f"mighty sent {len(mine):,} Admin API requests, the baseline {len(base):,}; they "
        f"differ from request {differ + 1}: {first[0]} vs {first[1]}"
    )


def requests_per_row(sent: list[tuple[str, str]], rows: int) -> str:
    """How many requests, how many of them listed names (GET ...?per_page=), and the rest a row."""
    lists = sum(1 for method, path in sent if method == "GET" and "?per_page=" in path)
    return (
        f"{len(sent):,} for {rows:,} rows = {len(sent) / rows:.3f} a row "
        f"({lists} name lists + {(len(sent) - lists) / rows:.2f} a row)"
    )


def per_minute(stamps: Sequence[float]) -> float:
    """The rate of `stamps` (sorted, at least two): (n-1)/(last-first), a minute."""
    return (len(stamps) - 1) / (stamps[-1] - stamps[0]) * 60


def pacing_detail(arrivals: Sequence[float]) -> str:
    """The gaps between arrivals: the first (the request that opens the connection), the
    shortest and the median; and the rate from the second arrival on."""
    gaps = [later - earlier for earlier, later in zip(arrivals, arrivals[1:], strict=False)]
    rest = f"{per_minute(arrivals[1:]):.3f} a minute" if len(arrivals) > 2 else "-"
    return (
        f"gaps between arrivals: first {ms(gaps[0])}, shortest {ms(min(gaps))}, median "
        f"{statistics.median(gaps) * 1000:.2f} ms; from the second request on: {rest} "
        "(a figure, not the judged one)"
    )


def longest_window(stamps: Sequence[float], seconds: float) -> int:
    """The most of `stamps` (sorted) that fall within any `seconds`-long window."""
    best, start = 0, 0
    for end, stamp in enumerate(stamps):
        while stamp - stamps[start] >= seconds:
            start += 1
        best = max(best, end - start + 1)
    return best


def stored_network(home: Home, emulator: Emulator) -> tuple[str, str]:
    """The API URL and the network as mighty's paths name it for the stored login: the network's
    numeric id once the login has learnt it (logins.json), else its subdomain."""
    logins = json.loads((home.root / "config" / "logins.json").read_text(encoding="utf-8"))
    record = logins.get("logins", {}).get(NETWORK_SUBDOMAIN, {})
    network = str(record.get("network_id") or NETWORK_SUBDOMAIN)
    api_url = str(record.get("api_url") or emulator.url).rstrip("/")
    return api_url, network


def graphql_url(home: Home, emulator: Emulator) -> str:
    """The GraphQL URL mighty uses for the stored login."""
    api_url, network = stored_network(home, emulator)
    return f"{api_url}/networks/{network}/graphql"


def same_output(command: Invocation, baseline: Invocation, folder: Path) -> tuple[str, float]:
    """One run of each with stdout to a file (the warm-up): what both wrote, which must be the
    same bytes, and the two runs' seconds together."""
    outputs: list[bytes] = []
    seconds = 0.0
    for invocation in (command, baseline):
        with tempfile.TemporaryFile(dir=folder) as out:
            seconds += run_child(invocation.argv, invocation.env, stdout=out).seconds
            out.seek(0)
            outputs.append(out.read())
    mine, base = outputs
    if mine != base:
        mine_lines, base_lines = mine.splitlines(), base.splitlines()
        differ = next(
            (
                i
                for i, pair in enumerate(zip(mine_lines, base_lines, strict=False))
                if pair[0] != pair[1]
            ),
            min(len(mine_lines), len(base_lines)),
        )
        first = mine_lines[differ : differ + 1], base_lines[differ : differ + 1]
        raise BenchError(
            f"mighty wrote {len(mine_lines):,} lines, the baseline {len(base_lines):,}; "
            f"they differ from line {differ + 1}: {first[0]!r} vs {first[1]!r}"
        )
    lines = mine.count(b"\n")
    return f"both sides wrote the same {lines:,} lines ({len(mine):,} bytes)", seconds


def login_machine_time(argv: list[str], env: dict[str, str], stamp_file: Path) -> float:
    """From the browser sending the callback to the `mighty login` process being reaped."""
    stamp_file.unlink(missing_ok=True)
    run = run_child(argv, env)
    # The browser writes its stamp after the answer; mighty does not wait for it.
    deadline = time.monotonic() + 10
    while not stamp_file.exists() or not stamp_file.read_text(encoding="ascii"):
        if time.monotonic() > deadline:
            raise BenchError("the browser never reported sending the callback")
        time.sleep(0.005)
    return (run.ended_ns - int(stamp_file.read_text(encoding="ascii"))) / 1e9


def refresh_and_me(home: Home, emulator: Emulator) -> float:
    """A refresh grant with the refresh token the last login stored, then the me query with the
    access token it returns: the two requests mighty makes after the callback, timed."""
    refresh_token = home.secret("refresh_token")
    if refresh_token is None:
        raise BenchError("no refresh token stored after the login")
    with httpx.Client(headers={"User-Agent": USER_AGENT}, timeout=30.0, trust_env=False) as client:
        start = time.perf_counter()
        response = client.post(
            f"{emulator.url}/oauth/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": refresh_token,
                "client_id": PUBLIC_CLIENT_ID,
            },
        )
        response.raise_for_status()
        access_token = response.json()["access_token"]
        me = client.post(
            f"{emulator.url}/networks/{NETWORK_SUBDOMAIN}/graphql",
            json={"query": ME_QUERY},
            headers={"Authorization": f"Bearer {access_token}"},
        )
        me.raise_for_status()
        if not me.json().get("data", {}).get("me"):
            raise BenchError("the me query answered without a member")
        return time.perf_counter() - start


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def s(seconds: float) -> str:
    return f"{seconds:.2f} s"


def mb(kib: float) -> str:
    return f"{kib * 1024 / 1e6:.1f} MB"


# --------------------------------------------------------------------------- output


def machine_lines(mighty: list[str]) -> list[str]:
    model = platform.processor() or "unknown"
    with contextlib.suppress(OSError):
        cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
        for line in cpuinfo.splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    cores = os.cpu_count() or 0
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores
    if mighty[0] == sys.executable:
        how = f"{sys.executable} -m mightycli (no mighty script next to the interpreter)"
    else:
        how = f"{mighty[0]} (the console script next to sys.executable)"
    return [
        f"cpu:      {model}",
        f"cores:    {cores} ({usable} usable by this process)",
        f"python:   {platform.python_version()} ({sys.executable})",
        f"platform: {platform.platform()}",
        f"command:  {how}",
    ]


def install_lines() -> list[str]:
    """Which install of mighty-cli is measured (regular or editable), and its entry point."""
    try:
        dist = importlib.metadata.distribution(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return [f"install:  {DISTRIBUTION} is not installed for this interpreter"]
    direct_url: dict[str, object] = {}
    with contextlib.suppress(ValueError):
        loaded = json.loads(dist.read_text("direct_url.json") or "{}")
        direct_url = loaded if isinstance(loaded, dict) else {}
    dir_info = direct_url.get("dir_info")
    editable = isinstance(dir_info, dict) and dir_info.get("editable") is True
    scripts = [e.value for e in dist.entry_points if e.group == "console_scripts"]
    entry = ", ".join(scripts) or "none"
    kind = "editable" if editable else "regular (not editable)"
    lines = [f"install:  {DISTRIBUTION} {dist.version}, {kind}; entry point {entry}"]
    if editable:
        lines.append(
            "WARNING:  an editable install adds its own import overhead; issue 13 wants figures "
            "from a regular install (pip install '.[test]')"
        )
    return lines


def table(rows: Sequence[Row]) -> list[str]:
    header = Row("name", "command", "baseline", "figure", "target", "result")
    cells = [header, *rows]
    widths = [max(len(getattr(row, f)) for row in cells) for f in Row.__dataclass_fields__]
    lines = []
    for row in cells:
        values = [getattr(row, f) for f in Row.__dataclass_fields__]
        lines.append(
            "  ".join(
                value.ljust(width) if index in (0, 4, 5) else value.rjust(width)
                for index, (value, width) in enumerate(zip(values, widths, strict=True))
            ).rstrip()
        )
    lines.insert(1, "-" * len(lines[0]))
    return lines


def find_mighty() -> list[str]:
    script = Path(sys.executable).with_name("mighty")
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    return [sys.executable, "-m", "mightycli"]


@contextlib.contextmanager
def workspace() -> Iterator[tuple[Path, contextlib.ExitStack]]:
    with tempfile.TemporaryDirectory(prefix="mighty-bench-") as folder:
        with contextlib.ExitStack() as stack:
            yield Path(folder), stack


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_RUNS} runs: a smoke check")
    parser.add_argument("--only", choices=NAMES, action="append", help="run only this one")
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="also count the instructions of one run of each side of the version, token and "
        "whoami rows under valgrind's callgrind (needs valgrind on PATH)",
    )
    return parser.parse_args(argv)


def header_lines(mighty: list[str], runs: int, quick: bool) -> list[str]:
    method = f"method:   median of {runs} runs after one warm-up, command and baseline alternating"
    return [
        "mighty benchmarks (issues 5 and 13)",
        *machine_lines(mighty),
        *install_lines(),
        method + (" (--quick)" if quick else ""),
    ]


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    names = [name for name in NAMES if not args.only or name in args.only]
    mighty = find_mighty()
    runs = QUICK_RUNS if args.quick else RUNS
    started = time.monotonic()
    lines = header_lines(mighty, runs, args.quick)
    valgrind = shutil.which("valgrind") if args.instructions else None
    if args.instructions:
        lines.append(
            f"counting: instructions of one run of each side of {', '.join(INSTRUCTION_ROWS)}, "
            f"after the timed runs, under {valgrind or 'valgrind (not on PATH)'} --tool=callgrind"
        )
    print("\n".join(lines), flush=True)
    with workspace() as (root, stack):
        bench = Bench(
            root=root,
            mighty=mighty,
            runs=runs,
            quick=args.quick,
            stack=stack,
            instructions=args.instructions,
            valgrind=valgrind,
        )
        for name in names:
            try:
                getattr(bench, name.replace("-", "_"))()
            except Exception as exc:  # a benchmark reports what broke and goes on; it never fails
                bench.failed(name, exc)
        print()
        for line in table(bench.rows):
            print(line)
        print()
        for note in bench.notes:
            print(f"- {note}")
    print(f"\ntotal {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
