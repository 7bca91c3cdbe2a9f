"""A tiny scripted HTTP server on 127.0.0.1 for shaping answers the emulator does not give."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    status: int = 200
    body: bytes | str | dict[str, Any] = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


Route = Callable[["Request"], Reply] | Reply


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Server:
    url: str
    routes: dict[tuple[str, str], Route]
    requests: list[Request] = field(default_factory=list)


@contextmanager
def serve(routes: Mapping[tuple[str, str], Route]) -> Iterator[Server]:
    server_ref: dict[str, Server] = {}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            path = self.path.split("?", 1)[0]
            request = Request(self.command, self.path, dict(self.headers.items()), body)
            srv = server_ref["server"]
            srv.requests.append(request)
            route = srv.routes.get((self.command, path))
            reply = (
                Reply(404, {"error": "not found"})
                if route is None
                else (route(request) if callable(route) else route)
            )
            payload = reply.body
            if isinstance(payload, dict):
                payload = json.dumps(payload)
            if isinstance(payload, str):
                payload = payload.encode()
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(payload)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _handle

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    # The very dict given, when it is one: tests change routes while the server runs.
    table = routes if isinstance(routes, dict) else dict(routes)
    server = Server(url=f"http://127.0.0.1:{httpd.server_address[1]}", routes=table)
    server_ref["server"] = server
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield server
    finally:
        httpd.shutdown()
        httpd.server_close()
