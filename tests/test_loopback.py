from __future__ import annotations

import socket
import threading
import time

import httpx
import pytest

from mightycli.errors import LoginTimedOutError, PortInUseError, UsageError
from mightycli.loopback import LoopbackReceiver, parse_redirect_uri, render_page


def _get_later(url: str, results: list[httpx.Response], delay: float = 0.1) -> threading.Thread:
    def run() -> None:
        time.sleep(delay)
        results.append(httpx.get(url, timeout=10))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_receives_callback_and_serves_final_page(redirect_uri: str) -> None:
    results: list[httpx.Response] = []
    with LoopbackReceiver(redirect_uri) as receiver:
        thread = _get_later(redirect_uri + "?code=abc&state=xyz", results)
        query = receiver.wait(timeout=10)
        assert query == "code=abc&state=xyz"
        receiver.respond(200, render_page("Logged in", "<b>Ada</b> & co", success=True))
        thread.join(5)
    page = results[0]
    assert page.status_code == 200
    assert "&lt;b&gt;Ada&lt;/b&gt; &amp; co" in page.text and "<b>Ada" not in page.text
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "no-referrer"


def test_stray_requests_get_404_and_the_wait_goes_on(redirect_uri: str) -> None:
    port = parse_redirect_uri(redirect_uri).port
    base = f"http://127.0.0.1:{port}"
    strays: list[httpx.Response] = []
    final: list[httpx.Response] = []
    with LoopbackReceiver(redirect_uri) as receiver:
        idle = socket.create_connection(("127.0.0.1", port))  # a speculative idle connection

        def browse() -> None:
            time.sleep(0.1)
            strays.append(httpx.get(base + "/favicon.ico", timeout=5))
            strays.append(httpx.get(base + "/callback/extra?code=x", timeout=5))
            strays.append(httpx.post(base + "/other", timeout=5))
            final.append(httpx.get(base + "/callback?state=s", timeout=5))

        thread = threading.Thread(target=browse, daemon=True)
        thread.start()
        assert receiver.wait(timeout=10) == "state=s"
        receiver.respond(200, "ok")
        thread.join(5)
        idle.close()
    assert [r.status_code for r in strays] == [404, 404, 404]
    assert receiver.stray_requests == 3
    assert final[0].status_code == 200


def test_post_to_callback_is_refused(redirect_uri: str) -> None:
    results: list[httpx.Response] = []
    with LoopbackReceiver(redirect_uri) as receiver:

        def run() -> None:
            time.sleep(0.1)
            results.append(httpx.post(redirect_uri, content=b"code=1", timeout=5))
            results.append(httpx.get(redirect_uri + "?code=2", timeout=5))

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        assert receiver.wait(timeout=10) == "code=2"
        receiver.respond(200, "done")
        thread.join(5)
    assert results[0].status_code == 405


def test_oversized_request_is_cut_off(redirect_uri: str) -> None:
    port = parse_redirect_uri(redirect_uri).port
    with LoopbackReceiver(redirect_uri, max_request_bytes=1024) as receiver:
        results: list[bytes] = []

        def run() -> None:
            with socket.create_connection(("127.0.0.1", port)) as sock:
                sock.sendall(b"GET /callback?" + b"a" * 4096)
                results.append(sock.recv(100))
            results.append(httpx.get(redirect_uri + "?ok=1", timeout=5).content)

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        assert receiver.wait(timeout=10) == "ok=1"
        receiver.respond(200, "fine")
        thread.join(5)
    assert results[0].startswith(b"HTTP/1.1 431")


def test_times_out_with_a_clear_error(redirect_uri: str) -> None:
    with LoopbackReceiver(redirect_uri) as receiver:
        with pytest.raises(LoginTimedOutError, match="within 0.3 seconds"):
            receiver.wait(timeout=0.3)


def test_busy_port_fails_at_once_naming_the_port(callback_port: int, redirect_uri: str) -> None:
    with socket.socket() as other:
        other.bind(("127.0.0.1", callback_port))
        other.listen(1)
        started = time.monotonic()
        with pytest.raises(PortInUseError, match=str(callback_port)) as info:
            LoopbackReceiver(redirect_uri).open()
        assert time.monotonic() - started < 2
        assert "--redirect-uri" in (info.value.hint or "")


def test_port_is_free_again_right_after_a_login(redirect_uri: str) -> None:
    # A completed exchange leaves the server side of the connection in TIME_WAIT.
    for _ in range(3):
        results: list[httpx.Response] = []
        with LoopbackReceiver(redirect_uri) as receiver:
            thread = _get_later(redirect_uri + "?state=1", results, delay=0.05)
            receiver.wait(timeout=10)
            receiver.respond(200, "ok")
            thread.join(5)
        assert results[0].status_code == 200


def test_listens_on_loopback_only(redirect_uri: str) -> None:
    with LoopbackReceiver(redirect_uri) as receiver:
        assert receiver._listener is not None
        assert receiver._listener.getsockname()[0] == "127.0.0.1"


@pytest.mark.parametrize(
    "uri",
    [
        "https://localhost:3000/callback",
        "http://example.com:3000/callback",
        "http://0.0.0.0:3000/callback",
        "http://localhost:3000/callback?x=1",
        "http://localhost:99999/callback",
    ],
)
def test_redirect_uri_must_be_plain_loopback(uri: str) -> None:
    with pytest.raises(UsageError):
        parse_redirect_uri(uri)


def test_redirect_uri_parts() -> None:
    target = parse_redirect_uri("http://localhost:3000/callback")
    assert (target.port, target.path, target.bind_host) == (3000, "/callback", "127.0.0.1")
    assert parse_redirect_uri("http://[::1]:3000/cb").bind_host == "::1"
