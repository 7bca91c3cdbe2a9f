"""``mighty webhooks listen``'s server: it answers deliveries as a careful endpoint would, hands
each new one to the caller as a JSON line, and can forward it to a local handler.

Answers: 401 when a secret is set and the delivery does not present it (``Authorization:
Bearer``, compared in constant time); 400 when the body is not a published envelope; 2xx
otherwise (the handler's own status with ``forward_to``, so Mighty retries what the handler
failed). An ``event_id`` already answered 2xx is answered 200 again and not handed on twice.
"""

from __future__ import annotations

import collections
import hmac
import json
import socket
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from mightycli.errors import MightyError
from mightycli.webhooks.envelope import Delivery, EnvelopeError, read_envelope

MAX_BODY = 8 * 1024 * 1024
REMEMBERED_IDS = 100_000  # event ids kept for de-duplication, the oldest forgotten first
# Hop-by-hop headers (RFC 9110 section 7.6.1) and the ones httpx sets for the new request.
NOT_FORWARDED = frozenset(
    ("host", "content-length", "connection", "keep-alive", "transfer-encoding", "te",
     "trailer", "upgrade", "proxy-connection", "proxy-authorization", "expect")
)  # fmt: skip


@dataclass(frozen=True)
class Outcome:
    """What became of one request, for the line people see."""

    status: int
    kind: str  # delivered, repeat, filtered, refused, failed
    reason: str = ""
    delivery: Delivery | None = None
    forwarded: int | None = None  # the handler's status


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()


def _json_answer(status: int, **fields: Any) -> Answer:
    return Answer(status, json.dumps(fields).encode())


class Listener:
    """The logic of the endpoint, apart from the socket (``serve`` puts it on one)."""

    def __init__(
        self,
        *,
        secret: str | None,
        emit: Callable[[str], None],
        notify: Callable[[Outcome], None],
        events: Iterable[str] | None = None,
        forward_to: str | None = None,
        forward_timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._secret = secret.encode() if secret else None
        self._emit = emit
        self._notify = notify
        self._events = frozenset(events) if events is not None else None
        self._forward_to = forward_to
        self._client = (
            httpx.Client(timeout=forward_timeout, transport=transport, trust_env=False)
            if forward_to
            else None
        )
        self._lock = threading.Lock()
        self._answered: collections.OrderedDict[str, None] = collections.OrderedDict()
        self._printed: collections.OrderedDict[str, None] = collections.OrderedDict()
        self._in_flight: set[str] = set()

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    def handle(self, method: str, headers: Sequence[tuple[str, str]], body: bytes) -> Answer:
        """The answer to one request (``headers`` as received, names in their own case)."""
        if method != "POST":
            return Answer(405, b'{"error": "deliveries are POSTs"}', headers=(("Allow", "POST"),))
        named = {name.lower(): value for name, value in headers}
        if not self._authentic(named.get("authorization", "")):
            self._notify(Outcome(401, "refused", "no secret or the wrong one"))
            return Answer(
                401, b'{"error": "unauthorized"}', headers=(("WWW-Authenticate", "Bearer"),)
            )
        try:
            delivery = read_envelope(body)
        except EnvelopeError as error:
            self._notify(Outcome(400, "refused", str(error)))
            return _json_answer(400, error=f"not a Mighty webhook delivery: {error}")
        return self._deliver(delivery, headers, body)

    def _authentic(self, authorization: str) -> bool:
        if self._secret is None:
            return True
        scheme, _, token = authorization.strip().partition(" ")
        # The header as sent: http.server reads header bytes as Latin-1.
        presented = token.strip().encode("latin-1", errors="replace")
        return scheme.lower() == "bearer" and hmac.compare_digest(presented, self._secret)

    def _deliver(
        self, delivery: Delivery, headers: Sequence[tuple[str, str]], body: bytes
    ) -> Answer:
        event_id = delivery.event_id
        with self._lock:
            if event_id in self._answered:
                self._notify(Outcome(200, "repeat", delivery=delivery))
                return _json_answer(200, received=True, repeat=True)
            if event_id in self._in_flight:  # the same delivery twice at once: later, please
                self._notify(Outcome(409, "repeat", "already being handled", delivery))
                return _json_answer(409, error="this event is being handled; retry later")
            self._in_flight.add(event_id)
        try:
            if self._events is not None and delivery.event_type not in self._events:
                self._remember(self._answered, event_id)
                self._notify(Outcome(200, "filtered", "not in --events", delivery))
                return _json_answer(200, received=True)
            answer, forwarded = self._forward(headers, body) if self._forward_to else (None, None)
            status = answer.status if answer is not None else 200
            if 200 <= status < 300:
                self._remember(self._answered, event_id)
            kind = "delivered" if 200 <= status < 300 else "failed"
            reason = "" if answer is None or forwarded is not None else answer.body.decode()
            self._print_once(delivery)
            self._notify(Outcome(status, kind, reason, delivery, forwarded))
            return answer or _json_answer(200, received=True)
        finally:
            with self._lock:
                self._in_flight.discard(event_id)

    def _print_once(self, delivery: Delivery) -> None:
        with self._lock:
            if delivery.event_id in self._printed:
                return
            self._remember(self._printed, delivery.event_id)
            self._emit(delivery.line())

    def _remember(self, seen: collections.OrderedDict[str, None], event_id: str) -> None:
        seen[event_id] = None
        while len(seen) > REMEMBERED_IDS:
            seen.popitem(last=False)

    def _forward(
        self, headers: Sequence[tuple[str, str]], body: bytes
    ) -> tuple[Answer, int | None]:
        assert self._client is not None and self._forward_to is not None
        sent = [(name, value) for name, value in headers if name.lower() not in NOT_FORWARDED]
        try:
            response = self._client.post(self._forward_to, content=body, headers=sent)
        except httpx.TimeoutException:
            return _json_answer(504, error="the local handler did not answer in time"), None
        except httpx.HTTPError as exc:
            return _json_answer(502, error=f"cannot reach the local handler: {exc}"), None
        kept = response.headers.get("content-type", "application/octet-stream")
        return Answer(response.status_code, response.content[:MAX_BODY], kept), (
            response.status_code
        )


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def _server_class(host: str) -> type[_Server]:
    if ":" in host:
        return type("_Server6", (_Server,), {"address_family": socket.AF_INET6})
    return _Server


def _handler(listener: Listener) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "mighty-webhooks"
        sys_version = ""
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the listener says what happened, once per delivery."""

        def _serve(self) -> None:
            length = self.headers.get("Content-Length")
            if self.command != "POST":
                answer = listener.handle(self.command, [], b"")
                self.close_connection = True
            elif self.headers.get("Transfer-Encoding") or length is None:
                answer = Answer(411, b'{"error": "a Content-Length is needed"}')
            elif not length.isdigit() or int(length) > MAX_BODY:
                answer = Answer(413, b'{"error": "the body is too large"}')
                self.close_connection = True
            else:
                body = self.rfile.read(int(length))
                answer = listener.handle(self.command, list(self.headers.items()), body)
            self.send_response(answer.status)
            self.send_header("Content-Type", answer.content_type)
            self.send_header("Content-Length", str(len(answer.body)))
            for name, value in answer.headers:
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(answer.body)

        do_POST = do_GET = do_PUT = do_PATCH = do_DELETE = _serve

    return Handler


def bind(host: str, port: int, listener: Listener) -> ThreadingHTTPServer:
    """The listener on ``host:port`` (port 0 picks a free one), or a MightyError saying why
    it cannot listen there."""
    try:
        return _server_class(host)((host, port), _handler(listener))
    except OSError as exc:
        if exc.errno in (98, 48, 10048):  # EADDRINUSE on Linux, macOS, Windows
            raise MightyError(
                f"Port {port} on {host} is in use.", hint="Pick another one with --port."
            ) from exc
        raise MightyError(f"Cannot listen on {host} port {port}: {exc.strerror}.") from exc


def server_url(server: ThreadingHTTPServer) -> str:
    host, port = str(server.server_address[0]), server.server_address[1]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"
