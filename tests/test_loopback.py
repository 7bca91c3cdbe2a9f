"""The loopback receiver over real sockets, on both address families."""

from __future__ import annotations

import _thread
import dataclasses
import socket
import threading
import time
from collections.abc import Callable

import httpx
import pytest

from mightycli.errors import LoginTimedOutError, PortInUseError, UsageError
from mightycli.loopback import LoopbackReceiver, parse_redirect_uri, render_page


def _ipv6_loopback_available() -> bool:
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


HAS_IPV6 = _ipv6_loopback_available()
needs_ipv6 = pytest.mark.skipif(not HAS_IPV6, reason="this machine has no IPv6 loopback (::1)")


def _get_later(url: str, results: list[httpx.Response], delay: float = 0.1) -> threading.Thread:
    def run() -> None:
        time.sleep(delay)
        results.append(httpx.get(url, timeout=10))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def _exchange(address: tuple[str, int], data: bytes) -> bytes:
    """Send raw bytes, read the whole answer (the receiver closes every connection)."""
    with socket.create_connection(address, timeout=10) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def _get(path: str, host: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: test\r\n\r\n".encode("latin-1")


def _serve(receiver: LoopbackReceiver, client: Callable[[], object], timeout: float = 10) -> str:
    """Wait for the callback while client() runs in a thread; answer it with a page."""
    failures: list[BaseException] = []

    def run() -> None:
        try:
            client()
        except BaseException as exc:  # surfaced in the test's thread below
            failures.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        query = receiver.wait(timeout=timeout)
        receiver.respond(200, render_page("Logged in", "done", success=True))
    finally:
        thread.join(10)
    if failures:
        raise failures[0]
    return query


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
    base = f"http://localhost:{port}"
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
    for response in strays:
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["referrer-policy"] == "no-referrer"
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


# --------------------------------------------------------------------------- Host header


@pytest.mark.parametrize(
    ("host_lines", "status"),
    [
        ("Host: evil.example:{port}\r\n", b"421"),  # DNS rebinding: another name for 127.0.0.1
        ("Host: evil.example\r\n", b"421"),
        ("Host: 127.0.0.1:{port}\r\n", b"421"),  # not the redirect URI's host
        ("Host: localhost\r\n", b"421"),  # the port may be left out only when it is 80
        ("Host: localhost:{other}\r\n", b"421"),
        ("Host: localhost.:{port}\r\n", b"421"),
        ("", b"400"),  # no Host at all
        ("Host: localhost:{port}\r\nHost: localhost:{port}\r\n", b"400"),
        ("Host : localhost:{port}\r\n", b"400"),  # space before the colon
        ("X-Other: 1\r\n folded\r\nHost: localhost:{port}\r\n", b"400"),
    ],
)
def test_requests_for_another_host_are_refused_and_the_wait_goes_on(
    redirect_uri: str, host_lines: str, status: bytes
) -> None:
    port = parse_redirect_uri(redirect_uri).port
    head = "GET /callback?code=stolen&state=s HTTP/1.1\r\n" + host_lines.format(
        port=port, other=port + 1
    )
    answers: list[bytes] = []

    def client() -> None:
        answers.append(_exchange(("127.0.0.1", port), head.encode() + b"\r\n"))
        answers.append(
            _exchange(("127.0.0.1", port), _get("/callback?state=ok", f"localhost:{port}"))
        )

    with LoopbackReceiver(redirect_uri) as receiver:
        assert _serve(receiver, client) == "state=ok"
    refused, accepted = answers
    assert refused.startswith(b"HTTP/1.1 " + status)
    assert b"\r\nCache-Control: no-store\r\n" in refused
    assert b"\r\nReferrer-Policy: no-referrer\r\n" in refused
    assert accepted.startswith(b"HTTP/1.1 200")
    assert receiver.stray_requests == 1


def test_host_header_is_matched_without_regard_to_case(redirect_uri: str) -> None:
    port = parse_redirect_uri(redirect_uri).port
    with LoopbackReceiver(redirect_uri) as receiver:
        query = _serve(
            receiver,
            lambda: _exchange(("127.0.0.1", port), _get("/callback?a=1", f"LocalHost:{port}")),
        )
    assert query == "a=1" and receiver.stray_requests == 0


def test_host_values_a_browser_sends() -> None:
    assert parse_redirect_uri("http://localhost:3000/cb").host_headers == {"localhost:3000"}
    assert parse_redirect_uri("http://LOCALHOST/cb").host_headers == {"localhost:80", "localhost"}
    assert parse_redirect_uri("http://[::1]:3000/cb").host_headers == {"[::1]:3000"}
    assert parse_redirect_uri("http://127.0.0.1:8080/").host_headers == {"127.0.0.1:8080"}


@pytest.mark.parametrize(
    "request_line",
    [
        "GET http://localhost:{port}/callback?code=1 HTTP/1.1",  # absolute form
        "GET * HTTP/1.1",
        "GET /callback?code=1",  # HTTP/0.9 style
        "GET  /callback?code=1 HTTP/1.1",
        "GET /callback?code=1 HTTP/1.1 extra",
        "G\x00T /callback?code=1 HTTP/1.1",
        "GET /callback?code=1 SPDY/3",
    ],
)
def test_malformed_request_lines_get_400(redirect_uri: str, request_line: str) -> None:
    port = parse_redirect_uri(redirect_uri).port
    line = request_line.format(port=port)
    answers: list[bytes] = []

    def client() -> None:
        head = f"{line}\r\nHost: localhost:{port}\r\n\r\n".encode("latin-1")
        answers.append(_exchange(("127.0.0.1", port), head))
        answers.append(_exchange(("127.0.0.1", port), _get("/callback?x=2", f"localhost:{port}")))

    with LoopbackReceiver(redirect_uri) as receiver:
        assert _serve(receiver, client) == "x=2"
    assert answers[0].startswith(b"HTTP/1.1 400")


# --------------------------------------------------------------------------- size and time limits


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


def test_oversized_head_arriving_whole_is_cut_off(redirect_uri: str) -> None:
    # The whole head, blank line included, can come in one read: the cap must still hold.
    port = parse_redirect_uri(redirect_uri).port
    big = _get("/callback?code=" + "a" * 2000, f"localhost:{port}")
    answers: list[bytes] = []

    def client() -> None:
        answers.append(_exchange(("127.0.0.1", port), big))
        answers.append(_exchange(("127.0.0.1", port), _get("/callback?ok=2", f"localhost:{port}")))

    with LoopbackReceiver(redirect_uri, max_request_bytes=1024) as receiver:
        assert _serve(receiver, client) == "ok=2"
    assert answers[0].startswith(b"HTTP/1.1 431")
    assert b"Cache-Control: no-store" in answers[0]


def test_a_silent_connection_is_dropped_and_does_not_block_the_callback(
    redirect_uri: str,
) -> None:
    port = parse_redirect_uri(redirect_uri).port
    seen: list[bytes] = []

    def client() -> None:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as silent:
            silent.sendall(b"GET /callback?code=slow")  # never finishes its head
            # b"" once the receiver gives up on it; were it never dropped, the wait below would
            # time out first and the real callback would find the listener closed.
            seen.append(silent.recv(100))
        seen.append(_exchange(("127.0.0.1", port), _get("/callback?fast=1", f"localhost:{port}")))

    with LoopbackReceiver(redirect_uri, connection_timeout=0.3) as receiver:
        assert _serve(receiver, client) == "fast=1"
    assert seen[0] == b""
    assert seen[1].startswith(b"HTTP/1.1 200")


def test_idle_connections_beyond_the_cap_close_the_oldest(redirect_uri: str) -> None:
    # Each held connection costs a file descriptor; a flood must not exhaust them.
    port = parse_redirect_uri(redirect_uri).port
    idle: list[socket.socket] = []
    oldest: list[bytes] = []

    def client() -> None:
        for _ in range(12):
            idle.append(socket.create_connection(("127.0.0.1", port), timeout=5))
        oldest.append(idle[0].recv(100))  # b"": closed while the receiver still waits
        answer = _exchange(("127.0.0.1", port), _get("/callback?real=1", f"localhost:{port}"))
        assert answer.startswith(b"HTTP/1.1 200")

    try:
        with LoopbackReceiver(redirect_uri, max_connections=4) as receiver:
            assert _serve(receiver, client) == "real=1"
    finally:
        for sock in idle:
            sock.close()
    assert oldest == [b""]


def test_times_out_with_a_clear_error(redirect_uri: str) -> None:
    with LoopbackReceiver(redirect_uri) as receiver:
        with pytest.raises(LoginTimedOutError, match="within 0.3 seconds"):
            receiver.wait(timeout=0.3)


def test_ctrl_c_while_waiting_leaves_the_listeners_closed(
    redirect_uri: str, callback_port: int
) -> None:
    timer = threading.Timer(0.3, _thread.interrupt_main)
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            with LoopbackReceiver(redirect_uri) as receiver:
                receiver.wait(timeout=10)
    finally:
        timer.cancel()
    assert receiver.addresses == []
    families = [("127.0.0.1", socket.AF_INET)] + ([("::1", socket.AF_INET6)] if HAS_IPV6 else [])
    for host, family in families:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.bind((host, callback_port))  # free again: nothing is listening
            probe.listen(1)


# --------------------------------------------------------------------------- where it listens


def test_busy_port_fails_at_once_naming_the_port(callback_port: int, redirect_uri: str) -> None:
    with socket.socket() as other:
        other.bind(("127.0.0.1", callback_port))
        other.listen(1)
        started = time.monotonic()
        with pytest.raises(PortInUseError, match=str(callback_port)) as info:
            LoopbackReceiver(redirect_uri).open()
        assert time.monotonic() - started < 2
        assert "--redirect-uri" in (info.value.hint or "")


@needs_ipv6
def test_busy_port_on_ipv6_only_is_also_an_error(callback_port: int, redirect_uri: str) -> None:
    with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as other:
        other.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        other.bind(("::1", callback_port))
        other.listen(1)
        receiver = LoopbackReceiver(redirect_uri)
        with pytest.raises(PortInUseError, match=f"Port {callback_port} on ::1"):
            receiver.open()
    assert receiver.addresses == []
    with socket.socket() as probe:  # the IPv4 listener opened first was closed again
        probe.bind(("127.0.0.1", callback_port))


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


@needs_ipv6
def test_localhost_listens_on_both_loopbacks(redirect_uri: str, callback_port: int) -> None:
    with LoopbackReceiver(redirect_uri) as receiver:
        assert receiver.addresses == [("127.0.0.1", callback_port), ("::1", callback_port)]
        query = _serve(
            receiver,
            lambda: _exchange(
                ("::1", callback_port), _get("/callback?via=6", f"localhost:{callback_port}")
            ),
        )
    assert query == "via=6"


@needs_ipv6
def test_a_browser_reaching_localhost_over_ipv6_gets_the_page(callback_port: int) -> None:
    redirect_uri = f"http://localhost:{callback_port}/callback"
    answers: list[bytes] = []

    def client() -> None:
        for address in (("::1", callback_port), ("127.0.0.1", callback_port)):
            answers.append(_exchange(address, _get("/favicon.ico", f"localhost:{callback_port}")))
        answers.append(
            _exchange(
                ("::1", callback_port), _get("/callback?code=6", f"localhost:{callback_port}")
            )
        )

    with LoopbackReceiver(redirect_uri) as receiver:
        assert _serve(receiver, client) == "code=6"
    assert [a.split(b"\r\n", 1)[0] for a in answers] == [
        b"HTTP/1.1 404 Not Found",
        b"HTTP/1.1 404 Not Found",
        b"HTTP/1.1 200 OK",
    ]
    assert b"Referrer-Policy: no-referrer" in answers[2] and b"Logged in" in answers[2]


@needs_ipv6
def test_ipv6_literal_listens_on_ipv6_only(callback_port: int) -> None:
    redirect_uri = f"http://[::1]:{callback_port}/cb"
    with LoopbackReceiver(redirect_uri) as receiver:
        assert receiver.addresses == [("::1", callback_port)]
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", callback_port), timeout=5).close()
        query = _serve(
            receiver,
            lambda: _exchange(("::1", callback_port), _get("/cb?v=1", f"[::1]:{callback_port}")),
        )
    assert query == "v=1"


def test_ipv4_literal_listens_on_ipv4_only(callback_port: int) -> None:
    redirect_uri = f"http://127.0.0.1:{callback_port}/cb"
    with LoopbackReceiver(redirect_uri) as receiver:
        assert receiver.addresses == [("127.0.0.1", callback_port)]
        if HAS_IPV6:
            with pytest.raises(ConnectionRefusedError):
                socket.create_connection(("::1", callback_port), timeout=5).close()


def test_missing_ipv6_is_skipped_silently(redirect_uri: str, callback_port: int) -> None:
    # ::2 is an IPv6 address this machine does not have (bind fails with EADDRNOTAVAIL), which
    # is what ::1 looks like on a machine whose loopback has no IPv6.
    receiver = LoopbackReceiver(redirect_uri)
    receiver.target = dataclasses.replace(receiver.target, optional_bind_hosts=("::2",))
    with receiver:
        assert receiver.addresses == [("127.0.0.1", callback_port)]


def test_without_ipv6_support_only_ipv4_is_used(
    redirect_uri: str, callback_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(socket, "has_ipv6", False)
    with LoopbackReceiver(redirect_uri) as receiver:
        assert receiver.addresses == [("127.0.0.1", callback_port)]


def test_listens_on_loopback_only(redirect_uri: str) -> None:
    with LoopbackReceiver(redirect_uri) as receiver:
        hosts = {host for host, _ in receiver.addresses}
    assert hosts <= {"127.0.0.1", "::1"} and "127.0.0.1" in hosts


@pytest.mark.parametrize(
    "uri",
    [
        "https://localhost:3000/callback",
        "http://example.com:3000/callback",
        "http://0.0.0.0:3000/callback",
        "http://[::]:3000/callback",
        "http://localhost:3000/callback?x=1",
        "http://localhost:99999/callback",
        "http://localhost:0/callback",
        "http://[::1/callback",  # urlsplit's ValueError used to escape
    ],
)
def test_redirect_uri_must_be_plain_loopback(uri: str) -> None:
    with pytest.raises(UsageError):
        parse_redirect_uri(uri)


def test_redirect_uri_parts() -> None:
    target = parse_redirect_uri("http://localhost:3000/callback")
    assert (target.port, target.path, target.bind_host) == (3000, "/callback", "127.0.0.1")
    assert target.optional_bind_hosts == ("::1",)
    assert parse_redirect_uri("http://[::1]:3000/cb").bind_hosts == ("::1",)
    assert parse_redirect_uri("http://[::1]:3000/cb").optional_bind_hosts == ()
    assert parse_redirect_uri("http://127.0.0.1:3000/cb").optional_bind_hosts == ()
    assert parse_redirect_uri("http://localhost/").port == 80
