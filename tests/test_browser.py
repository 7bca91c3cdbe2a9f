"""The login in a real browser: `mighty login` hands its URL to Chromium (driven by Playwright),
which shows the emulator's consent page, clicks a button, and lands on the loopback receiver's
page. Screenshots of the pages go to test-artifacts/."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keyring
import pytest
from conftest import login_args, unavailable

from mightycli.tokens import service_name

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
# Nothing but the pages under test: no sandbox (root in a container), no GPU, and none of the
# background traffic a fresh profile would otherwise send to outside hosts.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def chromium(tmp_path: Path) -> Iterator[Any]:
    """A headless Chromium with a new, empty profile."""
    if not Path(CHROMIUM).exists():
        unavailable(f"{CHROMIUM} not found (Debian package: chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the playwright package is missing (pip install -e '.[test]')")
    profile = tmp_path / "chromium-profile"
    profile.mkdir()
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 900, "height": 720},
        )
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def handoff(tmp_path: Path) -> tuple[Path, Path]:
    """A $BROWSER script that hands the URL to the test (written whole, then renamed)."""
    url_file = tmp_path / "authorization-url"
    script = tmp_path / "hand-over-url"
    target = shlex.quote(str(url_file))
    script.write_text(f'#!/bin/sh\nprintf "%s" "$1" > {target}.part && mv {target}.part {target}\n')
    script.chmod(0o755)
    return script, url_file


def _start_login(emulator: Any, redirect_uri: str, script: Path) -> subprocess.Popen[str]:
    env = dict(os.environ)
    env["BROWSER"] = str(script)
    return subprocess.Popen(
        [sys.executable, "-m", "mightycli", *login_args(emulator, redirect_uri)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _handed_url(url_file: Path, login: subprocess.Popen[str], timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if url_file.exists():
            return url_file.read_text()
        if login.poll() is not None:
            _, err = login.communicate()
            pytest.fail(f"mighty login ended before opening a browser:\n{err}")
        time.sleep(0.05)
    login.kill()
    pytest.fail("mighty login never handed a URL to $BROWSER")


def _consent_page(context: Any, url: str, screenshot: str) -> Any:
    page = context.pages[0] if context.pages else context.new_page()
    page.goto(url)
    page.wait_for_selector("#approve")
    assert page.locator("h1").inner_text().startswith("Authorize")
    assert "Ada Lovelace" in page.inner_text("body")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / screenshot), full_page=True)
    return page


def _choose(page: Any, button: str, redirect_uri: str, screenshot: str) -> Any:
    """Click a consent button; return the loopback receiver's response, once its page is shown."""
    with page.expect_response(lambda r: r.url.startswith(redirect_uri), timeout=30_000) as info:
        page.click(button)
    page.wait_for_selector("#title", timeout=30_000)
    page.screenshot(path=str(ARTIFACTS / screenshot), full_page=True)
    return info.value


def test_approve_in_chromium_logs_in(  # type: ignore[no-untyped-def]
    chromium, handoff, emulator, redirect_uri, run_mighty
) -> None:
    script, url_file = handoff
    login = _start_login(emulator, redirect_uri, script)
    try:
        url = _handed_url(url_file, login)
        assert url.startswith(emulator.url + "/oauth/authorize?")
        page = _consent_page(chromium, url, "consent.png")
        response = _choose(page, "#approve", redirect_uri, "logged-in.png")
        out, err = login.communicate(timeout=30)
    finally:
        if login.poll() is None:
            login.kill()
    assert response.status == 200
    # Chromium resolves localhost itself and, where the machine has IPv6, connects to ::1 first.
    assert (response.server_addr() or {}).get("ipAddress") in ("127.0.0.1", "[::1]")
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert page.inner_text("#title") == "Logged in"
    assert "Ada Lovelace" in page.inner_text("#message")
    assert login.returncode == 0, err
    assert "Logged in to Emulated Network as Ada Lovelace" in err

    access = keyring.get_password(service_name("emulated"), "access_token")
    assert access and emulator.is_token_active(access)
    whoami = run_mighty("whoami")
    assert whoami.code == 0 and whoami.stdout.startswith("Ada Lovelace"), whoami.stderr


def test_deny_in_chromium_shows_the_error_and_exits_1(  # type: ignore[no-untyped-def]
    chromium, handoff, emulator, redirect_uri, run_mighty
) -> None:
    script, url_file = handoff
    login = _start_login(emulator, redirect_uri, script)
    try:
        page = _consent_page(chromium, _handed_url(url_file, login), "consent-before-deny.png")
        response = _choose(page, "#deny", redirect_uri, "denied.png")
        _, err = login.communicate(timeout=30)
    finally:
        if login.poll() is None:
            login.kill()
    assert response.status == 400
    assert response.headers["cache-control"] == "no-store"
    assert page.inner_text("#title") == "Login failed"
    assert "denied" in page.inner_text("#message")
    assert login.returncode == 1
    assert "denied" in err and "Traceback" not in err
    assert keyring.get_password(service_name("emulated"), "access_token") is None
    assert run_mighty("status").code == 4
