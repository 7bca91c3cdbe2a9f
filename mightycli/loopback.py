"""The one-shot redirect receiver: a tiny HTTP server on loopback that waits for the callback.

It knows the callback path and hands back the raw query string; it knows nothing of tokens.
The browser's connection is held open after the callback arrives so that the page it finally
shows can tell the truth about the token exchange that happens afterwards.
"""

from __future__ import annotations

import errno
import html
import os
import re
import selectors
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Protocol
from urllib.parse import urlsplit

from mightycli import debug
from mightycli.config import is_loopback_host
from mightycli.errors import LoginError, LoginTimedOutError, PortInUseError, UsageError

MAX_REQUEST_BYTES = 16 * 1024
CONNECTION_TIMEOUT = 10.0
# Browsers open a few speculative connections; far more than that is someone else's doing, and
# holding them all would let a local process run the receiver out of file descriptors.
MAX_CONNECTIONS = 32
_REASONS = {
    200: "OK",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    421: "Misdirected Request",
    431: "Request Header Fields Too Large",
}
# Where the machine has no IPv6 loopback: socket() or bind() fails with one of these.
_NO_IPV6 = (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT)
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # RFC 9110 section 5.6.2
_LISTENER = object()  # selector data marking a listening socket
_TERMINAL = object()  # selector data marking the terminal a redirect address may be pasted on
_VERSION = re.compile(r"HTTP/[0-9]\.[0-9]")


class TerminalInput(Protocol):
    """Where a person may paste the address the browser was sent to: what to wait on, and what
    reading it gives once it is ready (the bytes of the lines completed so far, perhaps none
    yet; None when the input has ended)."""

    def fileno(self) -> int: ...

    def read(self) -> bytes | None: ...


class _RawInput:
    """A file descriptor read as it comes: a pipe, or a terminal left in its own mode."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def fileno(self) -> int:
        return self.fd

    def read(self) -> bytes | None:
        try:
            return os.read(self.fd, 4096) or None
        except OSError:
            return None


@dataclass(frozen=True)
class RedirectTarget:
    uri: str
    host: str  # lowercase, without brackets
    port: int
    path: str
    bind_hosts: tuple[str, ...]  # each must be listened on
    optional_bind_hosts: tuple[str, ...] = ()  # listened on where the machine has them

    @property
    def bind_host(self) -> str:
        return self.bind_hosts[0]

    @property
    def host_headers(self) -> frozenset[str]:
        """The Host values a browser sends for this URI (RFC 9110 section 7.2).

        The port may be left out only when it is the scheme's default.
        """
        name = f"[{self.host}]" if ":" in self.host else self.host
        values = {f"{name}:{self.port}"}
        if self.port == 80:
            values.add(name)
        return frozenset(values)


def parse_redirect_uri(uri: str) -> RedirectTarget:
    """A redirect URI mighty can listen on: http, a loopback host, an explicit port."""
    try:
        parts = urlsplit(uri)
    except ValueError as exc:  # an unbalanced [ in the host
        raise UsageError(f"The redirect URI {uri!r} is not a valid URL.") from exc
    if (
        parts.scheme != "http"
        or not parts.hostname
        or not is_loopback_host(parts.hostname, localhost_names=True)
    ):
        raise UsageError(
            f"The redirect URI {uri!r} is not on this machine.",
            hint="Use an http://localhost:<port>/<path> URI registered on the OAuth application.",
        )
    if parts.query or parts.fragment:
        raise UsageError(f"The redirect URI {uri!r} must not have a query or fragment.")
    try:
        port = 80 if parts.port is None else parts.port
    except ValueError as exc:
        raise UsageError(f"The redirect URI {uri!r} has an invalid port.") from exc
    if port == 0:
        # Port 0 would mean "any free port", which no registered redirect URI can match.
        raise UsageError(f"The redirect URI {uri!r} has an invalid port.")
    host = parts.hostname.lower()
    optional: tuple[str, ...] = ()
    if host == "localhost" or host.endswith(".localhost"):
        # A browser may resolve localhost to either family, so listen on both loopbacks.
        bind_hosts, optional = ("127.0.0.1",), ("::1",)
    else:
        bind_hosts = (host,)
    return RedirectTarget(uri, host, port, parts.path or "/", bind_hosts, optional)


class _Refused(Exception):
    """A request the receiver answers with an error page instead of accepting it."""

    def __init__(self, status: int, title: str, message: str = "") -> None:
        super().__init__(title)
        self.status = status
        self.title = title
        self.message = message


@dataclass(frozen=True)
class _Request:
    method: str
    path: str
    query: str


def _head_end(buffer: bytes | bytearray) -> int:
    """Where the request head ends (after its blank line), or -1 if it has not yet."""
    ends = [i + len(mark) for mark in (b"\r\n\r\n", b"\n\n") if (i := buffer.find(mark)) >= 0]
    return min(ends) if ends else -1


def _parse_head(head: bytes, target: RedirectTarget) -> _Request:
    """Read a request line and headers strictly; anything odd is refused, never guessed at."""
    lines = [line.removesuffix("\r") for line in head.decode("latin-1").split("\n")]
    parts = lines[0].split(" ")
    if len(parts) != 3 or not _TOKEN.fullmatch(parts[0]) or not _VERSION.fullmatch(parts[2]):
        raise _Refused(400, "Bad request")
    method, request_target = parts[0], parts[1]
    if not request_target.startswith("/"):
        # Browsers send the origin form to a server; an absolute URI or * is not a callback.
        raise _Refused(400, "Bad request")
    hosts = []
    for line in lines[1:]:
        if not line:
            break
        name, colon, value = line.partition(":")
        # No folded lines and no space before the colon (RFC 9112 sections 5.1 and 5.2).
        if not colon or not _TOKEN.fullmatch(name):
            raise _Refused(400, "Bad request")
        if name.lower() == "host":
            hosts.append(value.strip(" \t").lower())
    if len(hosts) != 1:
        raise _Refused(400, "Bad request", "The request needs exactly one Host header.")
    if hosts[0] not in target.host_headers:
        # A page on another site can point its own name at 127.0.0.1 (DNS rebinding); its
        # requests carry that name, so only the redirect URI's host and port are served.
        raise _Refused(421, "Wrong host", "This server only answers the login callback.")
    path, _, query = request_target.partition("?")
    return _Request(method, path, query.partition("#")[0])


def query_from_redirect(target: RedirectTarget, address: str) -> str:
    """The query string of an address the browser was sent to, checked against the redirect URI
    exactly as the receiver checks a callback: scheme, host, port and path."""
    text = address.strip().strip("'\"<>")
    try:
        parts = urlsplit(text)
        port = parts.port if parts.port is not None else (80 if parts.scheme == "http" else None)
    except ValueError:
        parts, port = None, None
    if (
        parts is None
        or parts.scheme != "http"
        or (parts.hostname or "").lower() != target.host
        or port != target.port
        or (parts.path or "/") != target.path
    ):
        raise LoginError(
            f"That is not an address under {target.uri}.",
            hint="Copy the whole address from the browser's address bar after approving; it "
            f"starts with {target.uri}?",
        )
    return parts.query


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
        max_connections: int = MAX_CONNECTIONS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.target = parse_redirect_uri(redirect_uri)
        self._connection_timeout = connection_timeout
        self._max_request_bytes = max_request_bytes
        self._max_connections = max_connections
        self._clock = clock
        self._listeners: list[socket.socket] = []
        self._pending: socket.socket | None = None
        self._check_query: Callable[[str], str | None] = lambda _: None
        self.stray_requests = 0
        self.ignored_callbacks = 0

    # ----------------------------------------------------------------- lifecycle

    @property
    def addresses(self) -> list[tuple[str, int]]:
        """The (address, port) pairs being listened on."""
        return [(str(s.getsockname()[0]), int(s.getsockname()[1])) for s in self._listeners]

    def open(self) -> None:
        """Bind before the browser opens, so a busy port fails at once."""
        wanted = [(host, False) for host in self.target.bind_hosts]
        wanted += [(host, True) for host in self.target.optional_bind_hosts]
        try:
            for host, optional in wanted:
                listener = self._listen(host, optional=optional)
                if listener is not None:
                    self._listeners.append(listener)
        except BaseException:
            self.close()
            raise

    def _listen(self, host: str, *, optional: bool) -> socket.socket | None:
        """A listening socket on host, or None when an optional address does not exist here."""
        target = self.target
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        if optional and family == socket.AF_INET6 and not socket.has_ipv6:
            return None
        try:
            sock = socket.socket(family, socket.SOCK_STREAM)
        except OSError as exc:
            if optional and exc.errno in _NO_IPV6:
                return None
            raise LoginError(f"Cannot listen on {host} port {target.port}: {exc.strerror}") from exc
        try:
            if sys.platform == "win32":
                # Windows' SO_REUSEADDR would let another program steal the port.
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_EXCLUSIVEADDRUSE, 1)  # type: ignore[attr-defined]
            else:
                # Lets a new login bind while the last one's connections sit in TIME_WAIT;
                # on POSIX it does not allow two listeners on one port.
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind((host, target.port))
            sock.listen(16)
            sock.setblocking(False)
        except OSError as exc:
            sock.close()
            if exc.errno in (errno.EADDRINUSE, getattr(errno, "WSAEADDRINUSE", -1)):
                raise PortInUseError(
                    f"Port {target.port} on {host} is already in use, so mighty "
                    f"cannot receive the login redirect at {target.uri}.",
                    hint=(
                        f"Stop the program using port {target.port} (see `lsof -i :{target.port}`)"
                        ", or register another redirect URI on the application and pass "
                        "--redirect-uri."
                    ),
                ) from exc
            if optional and exc.errno in _NO_IPV6:
                return None
            raise LoginError(f"Cannot listen on {host} port {target.port}: {exc.strerror}") from exc
        return sock

    def close(self) -> None:
        for sock in (self._pending, *self._listeners):
            if sock is not None:
                try:
                    sock.close()
                except OSError:
                    pass
        self._pending = None
        self._listeners = []

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

    def wait(
        self,
        timeout: float,
        *,
        terminal: int | TerminalInput | None = None,
        on_bad_paste: Callable[[LoginError], None] | None = None,
        accept: Callable[[str], str | None] | None = None,
        tick: Callable[[float], None] | None = None,
    ) -> str:
        """Serve until a GET to the callback path arrives; return its raw query string.

        Anything else (another path or method, another Host, a malformed or oversized request)
        gets an error page and the wait goes on. Connections are read side by side, so an idle
        one (browsers open speculative connections) cannot hold up the real callback.
        ``accept`` sees each callback's query first: None takes it, a reason refuses it with an
        error page while the wait goes on (a web page's <img> must not end the login).
        ``tick`` hears the seconds waited so far, about twice a second (a progress display).
        With ``terminal`` (a file descriptor or a ``TerminalInput``, POSIX only), a line pasted
        there that is an address under the redirect URI ends the wait just like the callback
        would: whichever comes first wins. Another line goes to ``on_bad_paste``; the wait goes on.
        """
        if not self._listeners:
            raise RuntimeError("open() the receiver first")
        started_at = self._clock()
        deadline = started_at + timeout
        self._check_query = accept or (lambda _: None)
        selector = selectors.DefaultSelector()
        for listener in self._listeners:
            selector.register(listener, selectors.EVENT_READ, _LISTENER)
        pasted, source = bytearray(), _RawInput(terminal) if isinstance(terminal, int) else terminal
        if source is not None:
            selector.register(source.fileno(), selectors.EVENT_READ, _TERMINAL)
        clients: dict[socket.socket, tuple[float, bytearray]] = {}
        try:
            while True:
                now = self._clock()
                if now >= deadline:
                    raise LoginTimedOutError(
                        f"No login response reached {self.target.uri} within {timeout:g} seconds.",
                        hint="Run mighty login again (and --timeout SECONDS for more time).",
                    )
                self._drop_idle(selector, clients, now)
                if tick is not None:
                    tick(now - started_at)
                wait_for = min(deadline - now, 0.5)
                for key, _ in selector.select(wait_for):
                    if key.data is _TERMINAL:
                        query = self._read_terminal(selector, source, pasted, on_bad_paste)
                        if query is not None:
                            return query
                        continue
                    conn = key.fileobj
                    if not isinstance(conn, socket.socket):
                        continue
                    if key.data is _LISTENER:
                        self._accept(selector, clients, conn)
                        continue
                    if conn not in clients:
                        continue  # dropped earlier in this round
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

    def _drop_idle(
        self,
        selector: selectors.BaseSelector,
        clients: dict[socket.socket, tuple[float, bytearray]],
        now: float,
    ) -> None:
        for sock, (started, _) in list(clients.items()):
            if now - started > self._connection_timeout:
                self._drop(selector, clients, sock)

    def _read_terminal(
        self,
        selector: selectors.BaseSelector,
        source: TerminalInput | None,
        pasted: bytearray,
        on_bad_paste: Callable[[LoginError], None] | None,
    ) -> str | None:
        assert source is not None
        chunk = source.read()
        if chunk is None:  # end of input: keep waiting for the browser alone
            selector.unregister(source.fileno())
            return None
        pasted.extend(chunk)
        if len(pasted) > self._max_request_bytes:
            pasted.clear()
        while b"\n" in pasted:
            line, _, rest = bytes(pasted).partition(b"\n")
            pasted[:] = rest
            text = line.decode("utf-8", "replace").strip()
            if not text:
                continue
            try:
                query = query_from_redirect(self.target, text)
                reason = self._check_query(query)
                if reason is None:
                    return query
                self._note_ignored("pasted address", query, reason)
                raise LoginError(f"That address is not from this login: {reason}.")
            except LoginError as exc:
                if on_bad_paste is not None:
                    on_bad_paste(exc)
        return None

    def _note_ignored(self, where: str, query: str, reason: str) -> None:
        """Count a callback that is not this login's, and say so under --debug."""
        self.ignored_callbacks += 1
        log = debug.current()
        if log is not None:
            shown = debug.redact_url(f"{self.target.uri}?{query}")
            log.line(f"ignored {where} {shown}: {reason}")

    def _accept(
        self,
        selector: selectors.BaseSelector,
        clients: dict[socket.socket, tuple[float, bytearray]],
        listener: socket.socket,
    ) -> None:
        try:
            conn, _ = listener.accept()
        except OSError:
            # Nothing to accept after all, a client that gave up (ECONNABORTED), or no file
            # descriptors left: none of these should end the wait for the real callback.
            return
        if len(clients) >= self._max_connections:
            oldest = min(clients, key=lambda sock: clients[sock][0])
            self._drop(selector, clients, oldest)
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
        end = _head_end(buffer)
        try:
            if end < 0:
                if len(buffer) > self._max_request_bytes:
                    raise _Refused(431, "Request too large")
                return None
            if end > self._max_request_bytes:
                raise _Refused(431, "Request too large")
            request = _parse_head(bytes(buffer[:end]), self.target)
            if request.path != self.target.path:
                raise _Refused(404, "Not found", "This is not the login callback.")
            if request.method != "GET":
                raise _Refused(405, "Method not allowed")
            reason = self._check_query(request.query)
            if reason is not None:
                self._note_ignored("callback", request.query, reason)
                raise _Refused(400, "Not this login", f"This callback was ignored: {reason}.")
        except _Refused as refusal:
            self.stray_requests += 1
            self._send(
                sock, refusal.status, render_page(refusal.title, refusal.message, success=False)
            )
            self._drop(selector, clients, sock)
            return None
        return request.query

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
