"""The emulator's Admin API limits, over real HTTP on a real clock: the rate limit (Mighty's
documented stand-in of 200 a minute, answered 429 without Retry-After as live networks were
seen to) and an API token revoked by an admin while a client is using it."""

from __future__ import annotations

import math
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from mightycli.emulator import ADMIN_API_TOKEN, NETWORK_ID, Emulator
from mightycli.emulator.__main__ import main as emulator_main

BASE = f"/admin/v1/networks/{NETWORK_ID}/"
HEADERS = {"Authorization": f"Bearer {ADMIN_API_TOKEN}", "User-Agent": "limit-tests"}
RATE_LIMITED = {"error": "Rate limit exceeded. Try again later."}
INVALID_TOKEN = {"error": "Invalid API token."}
NEWCOMER = {"email": "newcomer@example.com", "first_name": "New", "last_name": "Comer"}


@contextmanager
def admin_api(**options: Any) -> Iterator[tuple[Emulator, httpx.Client]]:
    with Emulator(**options) as emu:
        with httpx.Client(base_url=emu.url + BASE, headers=HEADERS, trust_env=False) as http:
            yield emu, http


def statuses(send: Callable[[], httpx.Response], times: int) -> list[int]:
    return [send().status_code for _ in range(times)]


def sleep_until(deadline: float) -> None:
    time.sleep(max(0.0, deadline - time.monotonic()))


# -- the rate limit ----------------------------------------------------------------------


def test_requests_up_to_the_limit_pass_and_the_next_gets_429_without_retry_after() -> None:
    with admin_api(rate_limit=3) as (emu, http):
        assert statuses(lambda: http.get("me"), 3) == [200, 200, 200]
        over = http.get("members")
        assert over.status_code == 429
        assert over.json() == RATE_LIMITED
        assert over.headers["content-type"] == "application/json"
        # Field reports: Mighty's 429s carried no Retry-After and no rate-limit headers.
        assert "retry-after" not in over.headers
        assert not any(name.lower().startswith("x-ratelimit") for name in over.headers)
        assert http.get("me").status_code == 429
        assert emu.admin_throttled == 2
        # Only what was processed is logged: the throttled requests are not there.
        assert [path for _, path in emu.admin_requests()] == [BASE + "me"] * 3


def test_retry_after_when_switched_on_is_whole_seconds_until_a_slot_frees() -> None:
    with admin_api(rate_limit=1, rate_limit_retry_after=True) as (emu, http):
        assert http.get("me").status_code == 200
        over = http.get("me")
        assert over.status_code == 429 and over.json() == RATE_LIMITED
        retry_after = over.headers["retry-after"]
        assert retry_after.isdigit() and 59 <= int(retry_after) <= 60
        assert emu.admin_throttled == 1


def test_the_window_slides_and_throttled_requests_take_no_slot() -> None:
    with admin_api(rate_limit=2, rate_window=1.0, rate_limit_retry_after=True) as (emu, http):
        started = time.monotonic()
        assert statuses(lambda: http.get("me"), 2) == [200, 200]
        admitted = time.monotonic()  # both were stamped by the server before this
        over = http.get("me")
        assert over.status_code == 429 and over.headers["retry-after"] == "1"
        sleep_until(started + 0.4)
        assert http.get("me").status_code == 429  # still inside the first two's window
        # Once the first two have left the window, two slots are free: the 429s took none.
        sleep_until(admitted + 1.05)
        assert statuses(lambda: http.get("me"), 3) == [200, 200, 429]
        assert emu.admin_throttled == 3
        assert len(emu.admin_requests()) == 4


def test_a_throttled_post_changes_nothing_and_brings_no_revocation_nearer() -> None:
    with admin_api(rate_limit=2, rate_window=1.0) as (emu, http):
        emu.revoke_admin_api_token(after=3)
        assert http.get("members/by_email", params={"email": NEWCOMER["email"]}).status_code == 404
        assert http.get("me").status_code == 200
        admitted = time.monotonic()
        refused = http.post("members", json=NEWCOMER)
        assert refused.status_code == 429 and refused.json() == RATE_LIMITED
        sleep_until(admitted + 1.05)
        # The same request, now admitted, creates the member: the 429 had not (the e-mail
        # would be taken), and it was not counted either: this is the third processed request.
        created = http.post("members", json=NEWCOMER)
        assert created.status_code == 201, created.text
        assert created.json()["email"] == NEWCOMER["email"]
        assert http.get("me").status_code == 401  # the fourth
        assert [m for m, _ in emu.admin_requests()] == ["GET", "GET", "POST", "GET"]
        assert emu.admin_throttled == 1


def test_only_the_admin_api_is_limited() -> None:
    with admin_api(rate_limit=1) as (emu, http):
        assert http.get("me").status_code == 200
        assert http.get("me").status_code == 429
        discovery = http.get(emu.url + "/.well-known/oauth-authorization-server")
        assert discovery.status_code == 200
        schema = http.get(f"{emu.url}/networks/{NETWORK_ID}/graphql/schema")
        assert schema.status_code == 200
        assert emu.admin_throttled == 1


def test_without_a_limit_nothing_is_throttled() -> None:
    with admin_api() as (emu, http):
        assert set(statuses(lambda: http.get("me"), 30)) == {200}
        assert emu.admin_throttled == 0


@pytest.mark.parametrize(
    "options",
    [
        {"rate_limit": 0},
        {"rate_limit": -1},
        {"rate_limit": 5, "rate_window": 0},
        {"rate_limit": 5, "rate_window": -1.0},
        {"rate_limit": 5, "rate_window": math.nan},
        {"rate_limit": 5, "rate_window": math.inf},
    ],
)
def test_bad_limits_are_refused(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="rate_"):
        Emulator(**options)


# -- the command line --------------------------------------------------------------------


@pytest.mark.parametrize("value", ["0", "-3"])
def test_a_rate_limit_below_one_is_a_usage_error(
    value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert emulator_main(["--port", "0", f"--rate-limit={value}"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"mighty: --rate-limit must be at least 1 request a minute, not {value}.")


def test_mighty_emulator_refuses_a_zero_rate_limit_as_usage(run_mighty: Any) -> None:
    refused = run_mighty("emulator", "--port", "0", "--rate-limit", "0")
    assert refused.code == 2
    assert "--rate-limit must be at least 1" in refused.stderr


def test_the_flags_start_a_limited_emulator_and_the_banner_says_so() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "mightycli.emulator", "--port", "0", "--quiet"]
        + ["--rate-limit", "2", "--rate-limit-retry-after"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), proc.stderr.read() if proc.stderr else ""
        with httpx.Client(base_url=url + BASE, headers=HEADERS, trust_env=False) as http:
            assert statuses(lambda: http.get("me"), 2) == [200, 200]
            over = http.get("me")
        assert over.status_code == 429 and over.headers["retry-after"].isdigit()
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert re.search(
        r"\n  Rate limit: +2 Admin API requests a minute, then 429 with Retry-After\n", err
    )


# -- a revoked API token -----------------------------------------------------------------


def test_a_revoked_token_serves_the_next_requests_then_gets_401() -> None:
    with admin_api() as (emu, http):
        assert http.get("me").status_code == 200  # before the revocation: not counted
        emu.revoke_admin_api_token(after=2)
        assert statuses(lambda: http.get("me"), 2) == [200, 200]
        refused = http.get("me")
        assert refused.status_code == 401 and refused.json() == INVALID_TOKEN
        # The very answer a token Mighty never issued gets.
        unknown = http.get("me", headers={"Authorization": "Bearer not-a-token"})
        assert unknown.status_code == 401 and unknown.json() == INVALID_TOKEN
        assert refused.headers["www-authenticate"] == unknown.headers["www-authenticate"]
        assert http.post("members", json=NEWCOMER).status_code == 401
        emu.restore_admin_api_token()
        assert http.get("members/by_email", params={"email": NEWCOMER["email"]}).status_code == 404
        assert http.get("me").status_code == 200


def test_a_token_revoked_at_once_is_refused_on_the_next_request() -> None:
    with admin_api() as (emu, http):
        emu.revoke_admin_api_token()
        assert statuses(lambda: http.get("me"), 3) == [401, 401, 401]
        emu.restore_admin_api_token()
        emu.revoke_admin_api_token(after=1)
        assert statuses(lambda: http.get("me"), 2) == [200, 401]
        with pytest.raises(ValueError):
            emu.revoke_admin_api_token(after=-1)


def test_a_revocation_is_exact_under_concurrent_requests() -> None:
    with admin_api() as (emu, http):
        emu.revoke_admin_api_token(after=10)
        with ThreadPoolExecutor(max_workers=8) as pool:
            answers = list(pool.map(lambda _: http.get("me").status_code, range(40)))
        assert answers.count(200) == 10 and answers.count(401) == 30
