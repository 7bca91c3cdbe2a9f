"""The login flow as a library call, with a scripted browser that can misbehave on purpose."""

from __future__ import annotations

import contextvars
import dataclasses
import re
import threading
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import keyring
import pytest
from hostile import FORGED_QUERIES, Forger
from keyring.backend import KeyringBackend
from keyring.backends import fail

from mightycli import config, oauth
from mightycli.emulator import PUBLIC_CLIENT_ID, Emulator
from mightycli.errors import (
    AuthorizationDeniedError,
    IssuerMismatchError,
    KeyringUnavailableError,
    LoginError,
    LoginTimedOutError,
    TokenRequestError,
)
from mightycli.logins import LoginOptions, login
from mightycli.tokens import KeyringStore


class ScriptedBrowser:
    """Fetches the authorization URL, lets a test rewrite the redirect, then follows it."""

    def __init__(
        self,
        rewrite: Callable[[dict[str, str]], dict[str, str]] = lambda q: q,
        strays: tuple[str, ...] = (),
        forger: Callable[[str, str], None] | None = None,
    ) -> None:
        self.rewrite = rewrite
        self.strays = strays
        self.forger = forger
        self.pages: list[httpx.Response] = []
        self.stray_statuses: list[int] = []
        self.done = threading.Event()

    def __call__(self, url: str) -> bool:
        try:
            location = httpx.get(url, headers={"User-Agent": "test"}).headers["location"]
            parts = urlsplit(location)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            base = f"{parts.scheme}://{parts.netloc}"
            for path in self.strays:
                self.stray_statuses.append(httpx.get(base + path).status_code)
            if self.forger is not None:  # races the browser to the callback
                self.forger(f"{base}{parts.path}", query["state"])
            target = f"{base}{parts.path}?{urlencode(self.rewrite(query))}"
            self.pages.append(httpx.get(target, timeout=10))
        finally:
            self.done.set()
        return True


@pytest.fixture
def auto_emulator(redirect_uri: str):  # type: ignore[no-untyped-def]
    with Emulator(redirect_uris=(redirect_uri,), auto_approve=True) as server:
        yield server


def _options(emulator: Emulator, redirect_uri: str) -> LoginOptions:
    return LoginOptions(
        network="emulated",
        issuer=emulator.url,
        api_url=emulator.url,
        client=oauth.ClientCredentials(PUBLIC_CLIENT_ID),
        scopes=config.DEFAULT_SCOPES,
        redirect_uri=redirect_uri,
        timeout=20,
    )


def _login(  # type: ignore[no-untyped-def]
    emulator: Emulator,
    redirect_uri: str,
    browser: ScriptedBrowser,
    isolated: Path,
    timeout: float = 20,
):
    notes: list[str] = []
    try:
        return login(
            dataclasses.replace(_options(emulator, redirect_uri), timeout=timeout),
            store=KeyringStore(),
            state_path=isolated / "config" / "logins.json",
            notify=notes.append,
            show_url=lambda url, opening: notes.append(url),
            browser=browser,
        )
    finally:
        browser.done.wait(10)


def test_success_page_comes_after_the_exchange(auto_emulator, redirect_uri, isolated) -> None:  # type: ignore[no-untyped-def]
    browser = ScriptedBrowser(strays=("/favicon.ico", "/"))
    result = _login(auto_emulator, redirect_uri, browser, isolated)
    assert result.identity.name == "Ada Lovelace"
    assert browser.stray_statuses == [404, 404]
    page = browser.pages[0]
    assert page.status_code == 200 and "Logged in" in page.text and "Ada Lovelace" in page.text
    assert config.read_state(isolated / "config" / "logins.json").logins["emulated"].user_name == (
        "Ada Lovelace"
    )


def _assert_failed(browser: ScriptedBrowser, isolated: Path) -> None:
    page = browser.pages[0]
    assert page.status_code == 400 and "Login failed" in page.text
    assert config.read_state(isolated / "config" / "logins.json").logins == {}
    assert keyring.get_password("mighty-cli:emulated", "access_token") is None


def test_a_callback_with_another_state_is_ignored_and_the_wait_goes_on(  # type: ignore[no-untyped-def]
    auto_emulator, redirect_uri, isolated
) -> None:
    browser = ScriptedBrowser(lambda q: {**q, "state": "forged"})
    with pytest.raises(LoginTimedOutError):
        _login(auto_emulator, redirect_uri, browser, isolated, timeout=2)
    page = browser.pages[0]
    assert page.status_code == 400 and "Not this login" in page.text
    assert config.read_state(isolated / "config" / "logins.json").logins == {}


def test_forged_callbacks_do_not_end_the_login(auto_emulator, redirect_uri, isolated) -> None:  # type: ignore[no-untyped-def]
    forgers: list[Forger] = []

    def forge(callback: str, state: str) -> None:
        forgers.append(Forger(callback))
        forgers[0].forge(state)

    browser = ScriptedBrowser(forger=forge)
    result = _login(auto_emulator, redirect_uri, browser, isolated)
    assert result.identity.name == "Ada Lovelace"
    assert forgers[0].statuses == [400] * len(FORGED_QUERIES)
    assert all("Not this login" in page for page in forgers[0].pages)
    assert browser.pages[0].status_code == 200 and "Logged in" in browser.pages[0].text


def test_ignored_callbacks_are_logged_under_debug(auto_emulator, redirect_uri, isolated) -> None:  # type: ignore[no-untyped-def]
    from mightycli import debug

    lines: list[str] = []
    context = contextvars.copy_context()

    def run() -> None:
        debug.enable(lines.append)
        browser = ScriptedBrowser(forger=lambda callback, state: Forger(callback).forge(state))
        _login(auto_emulator, redirect_uri, browser, isolated)

    context.run(run)
    ignored = [line for line in lines if line.startswith("ignored callback")]
    assert len(ignored) == len(FORGED_QUERIES)
    assert any("state is not this login's" in line for line in ignored)
    assert not any("stolen" in line for line in ignored)  # codes stay redacted
    assert any("state=%5Bredacted%5D" in line or "state=[redacted]" in line for line in ignored)


def test_iss_mismatch(auto_emulator, redirect_uri, isolated) -> None:  # type: ignore[no-untyped-def]
    browser = ScriptedBrowser(lambda q: {**q, "iss": "https://evil.example/<script>"})
    with pytest.raises(IssuerMismatchError):
        _login(auto_emulator, redirect_uri, browser, isolated)
    _assert_failed(browser, isolated)
    assert "<script>" not in browser.pages[0].text and "&lt;script&gt;" in browser.pages[0].text


def test_missing_iss_is_refused_when_advertised(auto_emulator, redirect_uri, isolated) -> None:  # type: ignore[no-untyped-def]
    browser = ScriptedBrowser(lambda q: {k: v for k, v in q.items() if k != "iss"})
    with pytest.raises(IssuerMismatchError, match="lacks the iss"):
        _login(auto_emulator, redirect_uri, browser, isolated)
    _assert_failed(browser, isolated)


def test_server_error_redirect(auto_emulator, redirect_uri, isolated) -> None:  # type: ignore[no-untyped-def]
    def deny(q: dict[str, str]) -> dict[str, str]:
        return {
            "error": "access_denied",
            "error_description": "No <thanks>",
            "state": q["state"],
            "iss": q["iss"],
        }

    browser = ScriptedBrowser(deny)
    with pytest.raises(AuthorizationDeniedError, match="No <thanks>"):
        _login(auto_emulator, redirect_uri, browser, isolated)
    _assert_failed(browser, isolated)
    assert "No &lt;thanks&gt;" in browser.pages[0].text


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (400, '{"error": "invalid_grant", "error_description": "Code was used"}', "Code was used"),
        (500, "<html>down</html>", "HTTP 500"),
        (200, '{"access_token": "x", "token_', "no JSON object"),
    ],
)
def test_token_endpoint_errors_show_on_the_page(  # type: ignore[no-untyped-def]
    auto_emulator, redirect_uri, isolated, status, body, message
) -> None:
    auto_emulator.inject_fault("/oauth/token", status, body, content_type="application/json")
    browser = ScriptedBrowser()
    with pytest.raises(TokenRequestError, match=message):
        _login(auto_emulator, redirect_uri, browser, isolated)
    _assert_failed(browser, isolated)


def test_no_keyring_fails_before_the_browser(auto_emulator, redirect_uri, isolated) -> None:  # type: ignore[no-untyped-def]
    keyring.set_keyring(fail.Keyring())  # type: ignore[no-untyped-call]
    browser = ScriptedBrowser()
    with pytest.raises(KeyringUnavailableError, match="No usable OS keyring") as info:
        login(
            _options(auto_emulator, redirect_uri),
            store=KeyringStore(),
            state_path=isolated / "config" / "logins.json",
            notify=lambda _: None,
            show_url=lambda url, opening: None,
            browser=browser,
        )
    assert not browser.done.is_set() and not browser.pages
    assert "PYTHON_KEYRING_BACKEND" in (info.value.hint or "")


class WriteOnlyFails(KeyringBackend):
    """Reads work (so the pre-flight check passes), writes fail: a keyring locked mid-login."""

    priority = 1

    def get_password(self, service: str, username: str) -> str | None:
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        raise OSError("the collection is locked")

    def delete_password(self, service: str, username: str) -> None:
        raise OSError("the collection is locked")


def test_storage_failure_after_exchange_revokes_and_reports(  # type: ignore[no-untyped-def]
    auto_emulator, redirect_uri, isolated
) -> None:
    keyring.set_keyring(WriteOnlyFails())  # type: ignore[no-untyped-call]
    browser = ScriptedBrowser()
    with pytest.raises(LoginError, match="could not be saved.*were revoked") as info:
        _login(auto_emulator, redirect_uri, browser, isolated)
    assert "locked" in info.value.message
    assert len(auto_emulator.revoked_tokens()) == 2  # the access and the refresh token
    assert browser.pages[0].status_code == 400
    assert config.read_state(isolated / "config" / "logins.json").logins == {}


def _approved_redirect(url: str) -> str:
    """What an auto-approving emulator sends the browser to."""
    return httpx.get(url, headers={"User-Agent": "test"}).headers["location"]


def test_pasted_address_completes_the_login(auto_emulator, redirect_uri, isolated) -> None:  # type: ignore[no-untyped-def]
    import os

    read_end, write_end = os.pipe()
    notes: list[str] = []

    def person_on_another_device(url: str) -> None:
        address = _approved_redirect(url)
        os.write(write_end, b"http://localhost:1/not-it\n")  # a slip first: reported, not fatal
        forged = re.sub(r"state=[^&]*", "state=forged", address)  # another login's address
        os.write(write_end, forged.encode() + b"\n")
        os.write(write_end, address.encode() + b"\n")

    def show_url(url: str, opening: bool) -> None:
        notes.append(url)
        threading.Thread(target=person_on_another_device, args=(url,), daemon=True).start()

    try:
        result = login(
            _options(auto_emulator, redirect_uri),
            store=KeyringStore(),
            state_path=isolated / "config" / "logins.json",
            notify=notes.append,
            show_url=show_url,
            browser=None,
            no_browser_reason="this is an SSH session",
            terminal=read_end,
        )
    finally:
        os.close(read_end)
        os.close(write_end)
    assert result.identity.name == "Ada Lovelace"
    text = "\n".join(notes)
    assert "this is an SSH session" in text and "ssh -L" in text and "paste here" in text
    assert "not an address under" in text
    assert "That address is not from this login: its state is not this login's." in text


def test_browser_still_wins_while_the_terminal_waits(auto_emulator, redirect_uri, isolated) -> None:  # type: ignore[no-untyped-def]
    import os

    read_end, write_end = os.pipe()
    browser = ScriptedBrowser()
    try:
        result = login(
            _options(auto_emulator, redirect_uri),
            store=KeyringStore(),
            state_path=isolated / "config" / "logins.json",
            notify=lambda _: None,
            show_url=lambda url, opening: None,
            browser=browser,
            terminal=read_end,
        )
    finally:
        os.close(read_end)
        os.close(write_end)
    browser.done.wait(10)  # the page reaches the browser just after login() returns
    assert result.identity.name == "Ada Lovelace" and browser.pages[0].status_code == 200


def test_a_local_user_who_read_the_url_can_end_the_login_but_not_take_it(  # type: ignore[no-untyped-def]
    auto_emulator, redirect_uri, isolated
) -> None:
    """The limit the README documents for a machine shared with other users: the authorization
    URL (state included) shows in the browser's process list, so another user can race the
    browser to the loopback port with a redirect of their own. PKCE keeps the login theirs to
    end, never theirs to take: their code was issued for another challenge, and the exchange
    with this login's verifier is refused."""
    from mightycli.pkce import challenge_s256

    def racer(url: str) -> bool:
        challenge = parse_qs(urlsplit(url).query)["code_challenge"][0]
        their_own = url.replace(challenge, challenge_s256("another-verifier-" + "x" * 40))
        httpx.get(_approved_redirect(their_own), headers={"User-Agent": "racer"}, timeout=10)
        return True

    with pytest.raises(TokenRequestError, match="invalid_grant|PKCE|verifier"):
        login(
            _options(auto_emulator, redirect_uri),
            store=KeyringStore(),
            state_path=isolated / "config" / "logins.json",
            notify=lambda _: None,
            show_url=lambda url, opening: None,
            browser=racer,
        )
    assert config.read_state(isolated / "config" / "logins.json").logins == {}
    assert keyring.get_password("mighty-cli:emulated", "access_token") is None


def test_the_readme_states_the_limits_of_a_shared_machine_and_of_jq() -> None:
    readme = " ".join((Path(__file__).parents[1] / "README.md").read_text().split())
    limits = readme[readme.index("## Known limits") :]
    assert "race the loopback redirect" in limits and "process list" in limits
    assert "PKCE" in limits and "--no-browser" in limits
    assert "`$ENV`" in limits and "working directory" in limits
    assert "never pass an untrusted expression" in limits
