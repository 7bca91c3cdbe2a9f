"""The one-shot redirect receiver: a tiny HTTP server on loopback that waits for the callback.

It knows the callback path and hands back the raw query string; it knows nothing of tokens.
The browser's connection is held open after the callback arrives so that the page it finally
shows can tell the truth about the token exchange that happens afterwards.
"""

from __future__ import annotations

import errno
import html
import selectors
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from urllib.parse import urlsplit

from mightycli.config import is_loopback_host
from mightycli.errors import LoginError, LoginTimedOutError, PortInUseError, UsageError

MAX_REQUEST_BYTES = 16 * 1024
CONNECTION_TIMEOUT = 10.0
_REASONS = {
    200: "OK",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    431: "Request Header Fields Too Large",
}


@dataclass(frozen=True)
class RedirectTarget:
    uri: str
    host: str
    port: int
    path: str
    bind_host: str
    family: socket.AddressFamily


def parse_redirect_uri(uri: str) -> RedirectTarget:
    """A redirect URI mighty can listen on: http, a loopback host, an explicit port."""
    parts = urlsplit(uri)
    if parts.scheme != "http" or not parts.hostname or not is_loopback_host(parts.hostname):
        raise UsageError(
            f"The redirect URI {uri!r} is not on this machine.",
            hint="Use an http://localhost:<port>/<path> URI registered on the OAuth application.",
        )
    if parts.query or parts.fragment:
        raise UsageError(f"The redirect URI {uri!r} must not have a query or fragment.")
    try:
        port = parts.port or 80
    except ValueError as exc:
        raise UsageError(f"The redirect URI {uri!r} has an invalid port.") from exc
    host = parts.hostname
    if ":" in host:
        bind_host, family = host, socket.AF_INET6
    elif host == "localhost" or host.endswith(".localhost"):
        bind_host, family = "127.0.0.1", socket.AF_INET
    else:
        bind_host, family = host, socket.AF_INET
    return RedirectTarget(uri, host, port, parts.path or "/", bind_host, family)


def render_page(title: str, message: str, *, success: bool) -> str:
    """The page the browser shows at the end; everything echoed is escaped."""
    colour = "#1a7f37" if success else "#b42318"
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title>"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;"
        "padding:0 1rem;color:#222}h1{font-size:1.4rem;color:" + colour + "}</style>"
        f'</head><body><h1 id="title">{html.escape(title)}</h1>'
        f'<p id="message">{html.escape(message)}</p>'
        "<p>You can close this tab and return to the terminal.</p></body></html>"
    )


class LoopbackReceiver:
    """Listen on the redirect URI's loopback port until the callback request arrives."""

    def __init__(
        self,
        redirect_uri: str,
        *,
        connection_timeout: float = CONNECTION_TIMEOUT,
        max_request_bytes: int = MAX_REQUEST_BYTES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.target = parse_redirect_uri(redirect_uri)
        self._connection_timeout = connection_timeout
        self._max_request_bytes = max_request_bytes
        self._clock = clock
        self._listener: socket.socket | None = None
        self._pending: socket.socket | None = None
        self.stray_requests = 0

    # ----------------------------------------------------------------- lifecycle

    def open(self) -> None:
        """Bind before the browser opens, so a busy port fails at once."""
        target = self.target
        sock = socket.socket(target.family, socket.SOCK_STREAM)
        try:
            if sys.platform == "win32":
                # Windows' SO_REUSEADDR would let another program steal the port.
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_EXCLUSIVEADDRUSE, 1)  # type: ignore[attr-defined]
            else:
                # Lets a new login bind while the last one's connections sit in TIME_WAIT;
                # on POSIX it does not allow two listeners on one port.
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((target.bind_host, target.port))
            sock.listen(16)
            sock.setblocking(False)
        except OSError as exc:
            sock.close()
            if exc.errno in (errno.EADDRINUSE, getattr(errno, "WSAEADDRINUSE", -1)):
                raise PortInUseError(
                    f"Port {target.port} on {target.bind_host} is already in use, so mighty "
                    f"cannot receive the login redirect at {target.uri}.",
                    hint=(
                        f"Stop the program using port {target.port} (see `lsof -i :{target.port}`)"
                        ", or register another redirect URI on the application and pass "
                        "--redirect-uri."
                    ),
                ) from exc
            raise LoginError(
                f"Cannot listen on {target.bind_host} port {target.port}: {exc.strerror}"
            ) from exc
        self._listener = sock

    def close(self) -> None:
        for sock in (self._pending, self._listener):
            if sock is not None:
                try:
                    sock.close()
                except OSError:
                    pass
        self._pending = None
        self._listener = None

    def __enter__(self) -> LoopbackReceiver:
        self.open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # ----------------------------------------------------------------- waiting

    def wait(self, timeout: float) -> str:
        """Serve until a GET to the callback path arrives; return its raw query string.

        Other paths get 404 and the wait goes on. Connections are read side by side, so an idle
        one (browsers open speculative connections) cannot hold up the real callback.
        """
        if self._listener is None:
            raise RuntimeError("open() the receiver first")
        deadline = self._clock() + timeout
        selector = selectors.DefaultSelector()
        selector.register(self._listener, selectors.EVENT_READ, None)
        clients: dict[socket.socket, tuple[float, bytearray]] = {}
        try:
            while True:
                now = self._clock()
                if now >= deadline:
                    raise LoginTimedOutError(
                        f"No login response reached {self.target.uri} within {timeout:g} seconds.",
                        hint="Run mighty login again (and --timeout SECONDS for more time).",
                    )
                for sock, (started, _) in list(clients.items()):
                    if now - started > self._connection_timeout:
                        self._drop(selector, clients, sock)
                wait_for = min(deadline - now, 0.5)
                for key, _ in selector.select(wait_for):
                    if key.fileobj is self._listener:
                        self._accept(selector, clients)
                        continue
                    conn = key.fileobj
                    if not isinstance(conn, socket.socket):
                        continue
                    query = self._read(selector, clients, conn)
                    if query is not None:
                        self._pending = conn
                        del clients[conn]
                        selector.unregister(conn)
                        return query
        finally:
            for sock in list(clients):
                self._drop(selector, clients, sock)
            selector.close()

    def _accept(
        self,
        selector: selectors.BaseSelector,
        clients: dict[socket.socket, tuple[float, bytearray]],
    ) -> None:
        assert self._listener is not None
        try:
            conn, _ = self._listener.accept()
        except (BlockingIOError, InterruptedError):
            return
        conn.setblocking(False)
        clients[conn] = (self._clock(), bytearray())
        selector.register(conn, selectors.EVENT_READ, None)

    def _drop(
        self,
        selector: selectors.BaseSelector,
        clients: dict[socket.socket, tuple[float, bytearray]],
        sock: socket.socket,
    ) -> None:
        clients.pop(sock, None)
        try:
            selector.unregister(sock)
        except (KeyError, ValueError):
            pass
        try:
            sock.close()
        except OSError:
            pass

    def _read(
        self,
        selector: selectors.BaseSelector,
        clients: dict[socket.socket, tuple[float, bytearray]],
        sock: socket.socket,
    ) -> str | None:
        _, buffer = clients[sock]
        try:
            chunk = sock.recv(4096)
        except (BlockingIOError, InterruptedError):
            return None
        except OSError:
            self._drop(selector, clients, sock)
            return None
        if not chunk:
            self._drop(selector, clients, sock)
            return None
        buffer.extend(chunk)
        if b"\r\n\r\n" not in buffer and b"\n\n" not in buffer:
            if len(buffer) > self._max_request_bytes:
                self._send(sock, 431, render_page("Request too large", "", success=False))
                self._drop(selector, clients, sock)
            return None
        request_line = bytes(buffer).split(b"\n", 1)[0].strip()
        parts = request_line.split(b" ")
        if len(parts) != 3 or not parts[2].startswith(b"HTTP/"):
            self._send(sock, 400, render_page("Bad request", "", success=False))
            self._drop(selector, clients, sock)
            return None
        method, target = parts[0], parts[1].decode("latin-1")
        split = urlsplit(target)
        if split.path != self.target.path:
            self.stray_requests += 1
            self._send(
                sock,
                404,
                render_page("Not found", "This is not the login callback.", success=False),
            )
            self._drop(selector, clients, sock)
            return None
        if method != b"GET":
            self._send(sock, 405, render_page("Method not allowed", "", success=False))
            self._drop(selector, clients, sock)
            return None
        return split.query

    # ----------------------------------------------------------------- answering

    def respond(self, status: int, page: str) -> None:
        """Send the final page to the browser that delivered the callback, then close."""
        sock, self._pending = self._pending, None
        if sock is None:
            return
        try:
            sock.setblocking(True)
            sock.settimeout(self._connection_timeout)
            self._send(sock, status, page)
        finally:
            try:
                sock.close()
            except OSError:
                pass

    @staticmethod
    def _send(sock: socket.socket, status: int, page: str) -> None:
        body = page.encode("utf-8")
        head = (
            f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}\r\n"
            "Content-Type: text/html; charset=utf-8\r\n"
            f"Content-Length: {len(body)}\r\n"
            "Cache-Control: no-store\r\n"
            "Referrer-Policy: no-referrer\r\n"
            "X-Content-Type-Options: nosniff\r\n"
            "Connection: close\r\n\r\n"
        ).encode("ascii")
        try:
            if sock.gettimeout() == 0.0:
                sock.setblocking(True)
                sock.settimeout(2.0)
            sock.sendall(head + body)
        except OSError:
            pass  # the browser went away; the outcome is still reported in the terminal
