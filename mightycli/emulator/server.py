"""The emulator's HTTP server: one origin serving the community host (the OAuth issuer) and
the API host, with all state in memory.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import math
import socket
import socketserver
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, unquote_plus, urlsplit

from .admin import AdminSite
from .authorization import (
    ADMIN_API_TOKEN,
    CONFIDENTIAL_CLIENT_ID,
    DEFAULT_REDIRECT_URI,
    PUBLIC_CLIENT_ID,
    AuthorizationServer,
    ConsentPrompt,
    ErrorPage,
    InvalidAccessToken,
    OAuthError,
    Redirect,
    default_clients,
)
from .directory import NETWORK_ID, NETWORK_SUBDOMAIN, SEEDED_MEMBERS, MemberDirectory
from .headless import (
    HeadlessContext,
    build_headless_schema,
    execute_request,
    read_request,
    schema_sdl,
)
from .pages import DECISION_PATH, bot_challenge_page, consent_page, error_page, redirect_page
from .rest import AdminRequest, error
from .scopes import ALL_SCOPES
from .webhooks import (
    DEFAULT_RETRY_DELAYS,
    DEFAULT_TIMEOUT,
    CallbackError,
    WebhookAttempt,
    WebhookCallback,
    Webhooks,
)

# Request bodies beyond this are refused: nothing the emulator accepts comes close.
MAX_BODY_BYTES = 1 << 20
# More form fields than any OAuth request needs means the body is not one.
MAX_FORM_FIELDS = 100
# How the Headless API answers a request without a valid token. Seen on live networks:
# UNAUTHENTICATED in a GraphQL error at HTTP 200, and HTTP 401 with an HTML page or no body.
AUTH_FAILURE_STYLES = ("graphql", "http401-html", "http401-empty")

# The Admin API's answer to a request over the rate limit (``rate_limit``): its error shape.
RATE_LIMITED = {"error": "Rate limit exceeded. Try again later."}

FORM_TYPE = "application/x-www-form-urlencoded"
JSON_TYPE = "application/json"
HTML_TYPE = "text/html; charset=utf-8"
TEXT_TYPE = "text/plain; charset=utf-8"

# Pages that carry or lead to codes must not be cached or framed (RFC 6749 §10.13 clickjacking).
_PAGE_HEADERS = (
    ("Cache-Control", "no-store"),
    ("X-Frame-Options", "DENY"),
    (
        "Content-Security-Policy",
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    ),
    ("Referrer-Policy", "no-referrer"),
)
# RFC 6749 §5.1: token responses must not be cached.
_TOKEN_HEADERS = (("Cache-Control", "no-store"), ("Pragma", "no-cache"))


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # without the query string, still percent-encoded
    query: str
    headers: Mapping[str, str]  # lower-case names
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes = b""
    content_type: str | None = None
    headers: tuple[tuple[str, str], ...] = ()


def json_response(
    status: int, payload: object, headers: tuple[tuple[str, str], ...] = ()
) -> Response:
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    return Response(status, body, JSON_TYPE, headers)


def html_response(
    status: int, page: str, headers: tuple[tuple[str, str], ...] = _PAGE_HEADERS
) -> Response:
    return Response(status, page.encode("utf-8"), HTML_TYPE, headers)


def text_response(status: int, text: str, headers: tuple[tuple[str, str], ...] = ()) -> Response:
    return Response(status, text.encode("utf-8"), TEXT_TYPE, headers)


def _method_not_allowed(allowed: str) -> Response:
    return text_response(405, "Method Not Allowed\n", (("Allow", allowed),))


def _not_found() -> Response:
    return text_response(404, "Not Found\n")


@dataclass(frozen=True)
class _Fault:
    status: int
    body: bytes
    content_type: str
    headers: tuple[tuple[str, str], ...]
    delay: float


@dataclass
class _FaultSlot:
    fault: _Fault
    remaining: int


@dataclass(frozen=True)
class _Admission:
    """What the Admin API's gate decided for one request."""

    retry_after: float | None = None  # throttled: seconds until a slot in the window frees
    token_refused: bool = False  # admitted, but the API token was revoked before it came


class _AdminGate:
    """Admission to the Admin API, decided for each request under one lock: the sliding-window
    rate limit, the log of admitted requests and the API token's revocation. Only admitted
    requests count, so a throttled one neither takes a slot nor brings a revocation nearer;
    the request number and its fate are settled together, so revocations are exact even
    when requests arrive at once on many threads."""

    def __init__(self, limit: int | None, window: float) -> None:
        if limit is not None and limit < 1:
            raise ValueError("rate_limit must be at least 1")
        if not (window > 0 and math.isfinite(window)):
            raise ValueError("rate_window must be a positive number of seconds")
        self._limit = limit
        self._window = window
        self._lock = threading.Lock()
        self._recent: deque[float] = deque()  # time.monotonic() of admitted requests in window
        self._requests: list[tuple[str, str]] = []
        self._throttled = 0
        self._refuse_after: int | None = None  # the last request number the token still serves

    def admit(self, method: str, target: str) -> _Admission:
        with self._lock:
            if self._limit is not None:
                # A real clock: the window slides as the requests of a client's run arrive.
                now = time.monotonic()
                while self._recent and self._recent[0] <= now - self._window:
                    self._recent.popleft()
                if len(self._recent) >= self._limit:
                    self._throttled += 1
                    return _Admission(retry_after=self._recent[0] + self._window - now)
                self._recent.append(now)
            self._requests.append((method, target))
            refuse_after = self._refuse_after
            return _Admission(
                token_refused=refuse_after is not None and len(self._requests) > refuse_after
            )

    def requests(self) -> list[tuple[str, str]]:
        with self._lock:
            return list(self._requests)

    @property
    def throttled(self) -> int:
        with self._lock:
            return self._throttled

    def revoke_token(self, after: int) -> None:
        if after < 0:
            raise ValueError("after cannot be negative")
        with self._lock:
            self._refuse_after = len(self._requests) + after

    def restore_token(self) -> None:
        with self._lock:
            self._refuse_after = None


class _BodyError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class Emulator:
    """A local Mighty Networks: OAuth issuer, Headless (GraphQL) API and Admin API on one origin."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        auto_approve: bool = False,
        access_token_ttl: float = 3600.0,
        issue_refresh_tokens: bool = True,
        redirect_uris: Sequence[str] = (DEFAULT_REDIRECT_URI,),
        advertise_revocation: bool = False,
        extra_members: int = 0,
        network_subdomain: str = NETWORK_SUBDOMAIN,
        public_client_id: str = PUBLIC_CLIENT_ID,
        confidential_client_id: str = CONFIDENTIAL_CLIENT_ID,
        page_delay: float = 0.0,
        signed_in_member: str | None = None,
        auth_failure: str = "graphql",
        block_subdomain_paths: bool = False,
        admin_next_links: str = "url",
        empty_page_with_next: bool = False,
        quiet: bool = True,
        clock: Callable[[], float] | None = None,
        strict: bool = False,
        rate_limit: int | None = None,
        rate_window: float = 60.0,
        rate_limit_retry_after: bool = False,
        webhook_url: str | Sequence[str] | None = None,
        webhook_secret: str | None = None,
        webhook_event_type: str = "pascal",
        webhook_retry_delays: Sequence[float] = DEFAULT_RETRY_DELAYS,
        webhook_timeout: float = DEFAULT_TIMEOUT,
        webhook_disable_after: int | None = None,
    ) -> None:
        """``strict`` behaves as a standards-compliant server does, with no allowance for tests:
        tokens expire in real time (no injected clock; ``expire_access_tokens`` is refused),
        refresh tokens rotate on every use and a used one presented again revokes its grant.

        ``rate_limit`` answers Admin API requests beyond that many per sliding ``rate_window``
        seconds (a real clock) with 429, as Mighty's documented stand-in of 200 a minute; the
        429s carry ``Retry-After`` only with ``rate_limit_retry_after`` (live ones had none).

        ``webhook_url`` registers a webhook callback (one URL, or several) at start, for every
        event, with ``webhook_secret`` as its ``apiKey`` (sent as ``Authorization: Bearer``);
        the Headless API's ``createWebhookCallback`` registers more. When the records change,
        each enabled callback is posted the matching events (``mightycli.emulator.webhooks``
        says which and how). ``webhook_event_type`` spells the body's ``event_type``: "pascal"
        (PostCreated), "upper" (POST_CREATED), "hook" (PostCreatedHook) or "absent", the
        spellings a maintained client library reports. A failed delivery is retried 5 times,
        as published, after ``webhook_retry_delays`` seconds (Mighty spreads them over hours);
        each attempt waits ``webhook_timeout`` seconds for an answer; with
        ``webhook_disable_after``, that many consecutive failed attempts disable a callback
        (nothing published says when Mighty does)."""
        if isinstance(redirect_uris, str):
            raise TypeError("redirect_uris must be a sequence of URIs, not one string")
        if strict and (clock is not None or not issue_refresh_tokens):
            raise ValueError("a strict emulator keeps real time and rotates refresh tokens")
        self._strict = strict
        self._host = host
        self._port = port
        self._advertise_revocation = advertise_revocation
        self._page_delay = max(page_delay, 0.0)
        self._quiet = quiet
        if auth_failure not in AUTH_FAILURE_STYLES:
            raise ValueError(f"auth_failure must be one of {', '.join(AUTH_FAILURE_STYLES)}")
        self._auth_failure = auth_failure
        self.block_subdomain_paths = block_subdomain_paths
        self._directory = MemberDirectory(extra_members, network_subdomain)
        if signed_in_member is None:
            member = self._directory.at(1)
        else:
            member = self._directory.find(signed_in_member)
        if member is None:
            raise ValueError(f"no member matches {signed_in_member!r}")
        self._auth = AuthorizationServer(
            clients=default_clients(redirect_uris, public_client_id, confidential_client_id),
            directory=self._directory,
            signed_in=member,
            auto_approve=auto_approve,
            access_token_ttl=access_token_ttl,
            issue_refresh_tokens=issue_refresh_tokens,
            clock=clock or time.time,
        )
        self._webhooks = Webhooks(
            event_type=webhook_event_type,
            retry_delays=webhook_retry_delays,
            timeout=webhook_timeout,
            disable_after=webhook_disable_after,
            log=self._log_line,
        )
        urls = [webhook_url] if isinstance(webhook_url, str) else list(webhook_url or ())
        for url in urls:
            try:
                self._webhooks.register(url, webhook_secret)
            except CallbackError as exc:
                raise ValueError(f"webhook_url {url!r}: {exc}") from None
        self._admin_site = AdminSite(
            self._directory,
            admin=SEEDED_MEMBERS[0],
            page_delay=self._page_delay,
            next_links=admin_next_links,
            empty_page_with_next=empty_page_with_next,
            publish=self._webhooks.publish,
        )
        self._schema = build_headless_schema()
        self._sdl = schema_sdl(self._schema)
        self._faults: dict[str, deque[_FaultSlot]] = {}
        self._faults_lock = threading.Lock()
        self._admin_gate = _AdminGate(rate_limit, rate_window)
        self._rate_limit_retry_after = rate_limit_retry_after
        self._log_lock = threading.Lock()
        self._state_lock = threading.Lock()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None
        self._loop_started = False
        self._stopped = False

    # -- lifecycle -------------------------------------------------------------------

    def bind(self) -> Emulator:
        """Open the listening socket without serving yet, so the URL is known; idempotent."""
        with self._state_lock:
            if self._stopped:
                raise RuntimeError("this emulator was stopped; create a new one")
            if self._httpd is None:
                server_class = _Server6 if ":" in self._host else _Server
                self._httpd = server_class((self._host, self._port), _Handler, self)
            return self

    def start(self) -> Emulator:
        """Bind and serve in a daemon thread."""
        self.bind()
        with self._state_lock:
            httpd = self._httpd
            if httpd is None or self._loop_started:
                return self
            self._loop_started = True
            self._webhooks.start()
            self._thread = threading.Thread(
                target=httpd.serve_forever,
                kwargs={"poll_interval": 0.02},
                name="mighty-emulator",
                daemon=True,
            )
            self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Bind if needed and serve in this thread until stop(); KeyboardInterrupt stops the
        server and is re-raised, so the caller decides what an interrupt means."""
        self.bind()
        with self._state_lock:
            httpd = self._httpd
            if httpd is None or self._loop_started:
                raise RuntimeError("the emulator is already serving")
            self._loop_started = True
            self._webhooks.start()
        try:
            httpd.serve_forever(poll_interval=0.2)
        finally:
            self._close(httpd, loop_running=False)

    def stop(self) -> None:
        """Stop serving and close the socket and any open connections, and stop delivering
        webhooks (pending deliveries and retries are dropped); idempotent."""
        with self._state_lock:
            httpd = self._httpd
            running = self._loop_started
        if httpd is not None:
            self._close(httpd, loop_running=running)
        self._webhooks.stop()

    def _close(self, httpd: _Server, *, loop_running: bool) -> None:
        with self._state_lock:
            if self._stopped:
                return
            self._stopped = True
            thread = self._thread
        if loop_running and threading.current_thread() is not thread:
            httpd.shutdown()
        httpd.server_close()
        httpd.close_connections()
        if thread is not None and threading.current_thread() is not thread:
            thread.join(timeout=5)
        self._webhooks.stop()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    # -- addresses -------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The origin, e.g. http://127.0.0.1:8123. Binds the socket if that has not happened;
        after stop() it still names the address the emulator had."""
        httpd = self._httpd or self.bind()._httpd
        assert httpd is not None
        host = str(httpd.server_address[0])
        port = int(httpd.server_address[1])
        if httpd.address_family == socket.AF_INET6:
            host = "::1" if host == "::" else host
            return f"http://[{host}]:{port}"
        host = "127.0.0.1" if host == "0.0.0.0" else host
        return f"http://{host}:{port}"

    @property
    def issuer(self) -> str:
        return self.url

    @property
    def api_url(self) -> str:
        return self.url

    @property
    def graphql_url(self) -> str:
        return f"{self.url}/networks/{NETWORK_ID}/graphql"

    # -- webhooks --------------------------------------------------------------------

    @property
    def webhook_callbacks(self) -> list[WebhookCallback]:
        """The registered webhook callbacks as they stand, newest first (secrets kept out of
        their repr)."""
        return self._webhooks.callbacks()

    @property
    def webhook_attempts(self) -> tuple[WebhookAttempt, ...]:
        """Every webhook delivery attempt so far, in order: event type (PascalCase), event_id,
        url, attempt number (1 to 6), the answer's status or the error, the callback."""
        return self._webhooks.attempts()

    def wait_for_webhooks(self, timeout: float = 10.0) -> bool:
        """Wait until no webhook delivery is pending, retries included; False when ``timeout``
        seconds pass first. Changes made before the call are all queued by then."""
        return self._webhooks.wait(timeout)

    # -- observation and fault injection, for tests ---------------------------------

    @property
    def refresh_count(self) -> int:
        return self._auth.refresh_count

    @property
    def token_requests(self) -> list[dict[str, str]]:
        """Each form posted to /oauth/token, in order, with secret values redacted."""
        return self._auth.token_requests

    def admin_requests(self) -> list[tuple[str, str]]:
        """Each request to the Admin API (any path under /admin) received so far, in order, as
        (method, path with its query string): enough to prove a dry run sent nothing. Headers
        and bodies, which carry the token and the data, are not kept. Requests answered 429
        by the rate limit were not processed and are not here (see ``admin_throttled``)."""
        return self._admin_gate.requests()

    @property
    def admin_throttled(self) -> int:
        """How many Admin API requests the rate limit answered with 429."""
        return self._admin_gate.throttled

    def revoke_admin_api_token(self, after: int = 0) -> None:
        """Refuse the Admin API token (as when an admin deletes the API key in the network's
        settings) once ``after`` more Admin API requests have been processed: request number
        ``after + 1`` from now on, and every later one, gets the 401 an invalid token gets.
        Requests throttled by the rate limit are not processed and do not count."""
        self._admin_gate.revoke_token(after)

    def restore_admin_api_token(self) -> None:
        """Accept the Admin API token again after ``revoke_admin_api_token``."""
        self._admin_gate.restore_token()

    def is_token_active(self, token: str) -> bool:
        return self._auth.is_token_active(token)

    def revoked_tokens(self) -> set[str]:
        return self._auth.revoked_tokens()

    def secrets_seen(self) -> set[str]:
        """Every code and token issued and every PKCE verifier received (canaries for tests)."""
        return self._auth.secrets_seen()

    @property
    def reuse_detections(self) -> int:
        """How many times a used refresh token was presented again (each revoked its grant)."""
        return self._auth.reuse_detections

    def expire_access_tokens(self) -> None:
        if self._strict:
            raise RuntimeError("a strict emulator's tokens expire in real time only")
        self._auth.expire_access_tokens()

    def inject_fault(
        self,
        path: str,
        status: int,
        body: str | bytes,
        content_type: str = "text/html",
        times: int = 1,
        delay: float = 0.0,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Answer the next `times` requests to exactly `path` with this raw response."""
        if times < 1:
            raise ValueError("times must be at least 1")
        raw = body.encode("utf-8") if isinstance(body, str) else bytes(body)
        fault = _Fault(status, raw, content_type, tuple((headers or {}).items()), max(delay, 0.0))
        with self._faults_lock:
            self._faults.setdefault(path, deque()).append(_FaultSlot(fault, times))

    def _take_fault(self, path: str) -> _Fault | None:
        with self._faults_lock:
            queue = self._faults.get(path)
            if not queue:
                return None
            slot = queue[0]
            slot.remaining -= 1
            if slot.remaining <= 0:
                queue.popleft()
            return slot.fault

    # -- routing -------------------------------------------------------------------

    def _respond(self, request: Request) -> Response:
        admission = _Admission()
        if _is_admin_path(request.path):
            target = f"{request.path}?{request.query}" if request.query else request.path
            admission = self._admin_gate.admit(request.method, target)
            if admission.retry_after is not None:
                return self._throttled(admission.retry_after)
        fault = self._take_fault(request.path)
        if fault is not None:
            if fault.delay > 0:
                time.sleep(fault.delay)
            return Response(fault.status, fault.body, fault.content_type or None, fault.headers)
        path = request.path
        if _is_api_path(path) and not (request.header("user-agent") or "").strip():
            # The real API host answers anonymous clients with an HTML bot challenge.
            return html_response(403, bot_challenge_page(), (("Cache-Control", "no-store"),))
        if self.block_subdomain_paths and _names_network_by_subdomain(
            path, self._directory.subdomain
        ):
            # Field reports: one network's subdomain path met Cloudflare's HTML 403 even with a
            # User-Agent, while its numeric id worked.
            return html_response(403, bot_challenge_page(), (("Cache-Control", "no-store"),))
        if path == "/.well-known/oauth-authorization-server":
            return self._discovery(request)
        if path == "/oauth/authorize":
            return self._authorize(request)
        if path == DECISION_PATH:
            return self._decision(request)
        if path == "/oauth/token":
            return self._token(request)
        if path == "/oauth/revoke":
            return self._revoke(request)
        if path == "/networks" or path.startswith("/networks/"):
            return self._headless(request)
        if _is_admin_path(path):
            return self._admin(request, token_refused=admission.token_refused)
        # Everything else, /.well-known/openid-configuration included: there is no OpenID Connect.
        return _not_found()

    def _discovery(self, request: Request) -> Response:
        if request.method not in ("GET", "HEAD"):
            return _method_not_allowed("GET, HEAD")
        issuer = self.issuer
        # RFC 8414 §2.
        metadata: dict[str, object] = {
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/oauth/authorize",
            "token_endpoint": f"{issuer}/oauth/token",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["none", "client_secret_post"],
            "scopes_supported": list(ALL_SCOPES),
            "authorization_response_iss_parameter_supported": True,
        }
        if self._advertise_revocation:
            metadata["revocation_endpoint"] = f"{issuer}/oauth/revoke"
            metadata["revocation_endpoint_auth_methods_supported"] = ["none", "client_secret_post"]
        return json_response(200, metadata)

    def _authorize(self, request: Request) -> Response:
        # RFC 6749 §3.1: the authorization endpoint must support GET; this one supports only GET.
        if request.method not in ("GET", "HEAD"):
            return _method_not_allowed("GET, HEAD")
        try:
            params = parse_qs(request.query, keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS)
        except ValueError:
            return html_response(400, error_page("Invalid request", "Too many parameters."))
        return self._render(self._auth.authorize(params, self.issuer))

    def _decision(self, request: Request) -> Response:
        if request.method != "POST":
            return _method_not_allowed("POST")
        form = _parse_form(request)
        if form is None:
            return html_response(400, error_page("Invalid request", "The form could not be read."))
        consent = form.get("consent", [""])[0]
        decision = form.get("decision", [""])[0]
        if not consent:
            return html_response(400, error_page("Invalid request", "The form is incomplete."))
        return self._render(self._auth.decide(consent, decision, self.issuer))

    @staticmethod
    def _render(outcome: ErrorPage | Redirect | ConsentPrompt) -> Response:
        if isinstance(outcome, ErrorPage):
            return html_response(400, error_page(outcome.title, outcome.message))
        if isinstance(outcome, Redirect):
            return html_response(
                302,
                redirect_page(outcome.location),
                _PAGE_HEADERS + (("Location", outcome.location),),
            )
        return html_response(200, consent_page(outcome))

    def _token(self, request: Request) -> Response:
        if request.method != "POST":
            return _method_not_allowed("POST")
        try:
            form, basic = _oauth_form(request)
            token = self._auth.token(form, basic)
        except OAuthError as exc:
            return _oauth_error(exc)
        return json_response(200, token.to_json(), _TOKEN_HEADERS)

    def _revoke(self, request: Request) -> Response:
        if request.method != "POST":
            return _method_not_allowed("POST")
        try:
            form, basic = _oauth_form(request)
            self._auth.revoke(form, basic)
        except OAuthError as exc:
            return _oauth_error(exc)
        # RFC 7009 §2.2: 200 whether or not the token existed; the body is ignored by clients.
        return Response(200, b"", None, (("Cache-Control", "no-store"),))

    def _headless(self, request: Request) -> Response:
        parts = request.path.split("/")[2:]  # after "", "networks"
        if len(parts) >= 2 and parts[1] == "graphql" and len(parts) <= 3:
            if unquote(parts[0]) not in self._directory.network_keys:
                return json_response(404, {"errors": [{"message": "Network not found"}]})
            if len(parts) == 2:
                return self._graphql(request)
            if parts[2] == "schema":
                if request.method not in ("GET", "HEAD"):
                    return _method_not_allowed("GET, HEAD")
                return text_response(200, self._sdl)
        return json_response(404, {"errors": [{"message": "Not Found"}]})

    def _graphql(self, request: Request) -> Response:
        if request.method != "POST":
            return Response(
                405,
                json.dumps({"errors": [{"message": "Use POST."}]}).encode(),
                JSON_TYPE,
                (("Allow", "POST"),),
            )
        try:
            body = json.loads(request.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            return json_response(400, {"errors": [{"message": "The body is not valid JSON."}]})
        parsed = read_request(body)
        if isinstance(parsed, str):
            return json_response(400, {"errors": [{"message": parsed}]})
        token = _bearer(request)
        if token is None:
            return self._unauthenticated(
                "Authentication required: send an OAuth access token as "
                "Authorization: Bearer <token>."
            )
        try:
            access = self._auth.check_access(token)
        except InvalidAccessToken as exc:
            message = str(exc)
            if token == ADMIN_API_TOKEN:
                message = "Admin API tokens cannot be used with the Headless API."
            return self._unauthenticated(message)
        context = HeadlessContext(
            access, self._directory, self.url, self._page_delay, self._webhooks
        )
        return json_response(200, execute_request(self._schema, parsed, context))

    def _unauthenticated(self, message: str) -> Response:
        if self._auth_failure == "http401-html":
            page = error_page("Unauthorized", "You need to sign in to continue.")
            return html_response(401, page, (("WWW-Authenticate", "Bearer"),))
        if self._auth_failure == "http401-empty":
            return Response(401, b"", None, (("WWW-Authenticate", "Bearer"),))
        return _unauthenticated(message)

    def _throttled(self, retry_after: float) -> Response:
        headers: tuple[tuple[str, str], ...] = ()
        if self._rate_limit_retry_after:
            # RFC 9110 §10.2.3: delay-seconds, a whole number; rounded up so a client that
            # waits that long finds a free slot.
            headers = (("Retry-After", str(max(1, math.ceil(retry_after)))),)
        return json_response(429, RATE_LIMITED, headers)

    def _admin(self, request: Request, *, token_refused: bool = False) -> Response:
        query = parse_qs(request.query, keep_blank_values=True)
        bearer = _bearer(request)
        if token_refused and _is_admin_token(bearer):
            # The revoked token is answered as any unknown token is (AdminSite.handle).
            answer = error(401, "Invalid API token.")
        else:
            answer = self._admin_site.handle(
                AdminRequest(request.method, request.path, query, request.body, bearer), self.url
            )
        headers: tuple[tuple[str, str], ...] = ()
        if answer.status == 401:
            headers = (("WWW-Authenticate", 'Bearer realm="admin"'),)
        elif answer.status == 405:
            headers = (("Allow", answer.allow),)
        if answer.status == 204:
            return Response(204, b"", None, headers)
        return json_response(answer.status, answer.body, headers)

    # -- logging ---------------------------------------------------------------------

    def _log_request(self, method: str, path: str, status: int) -> None:
        # Only the method, the path and the status: codes and tokens travel in query strings,
        # headers and bodies, none of which is logged.
        self._log_line(f"{method} {path} {status}")

    def _log_line(self, line: str) -> None:
        if self._quiet:
            return
        # Control characters are escaped so a hostile path cannot forge log lines.
        safe = line.encode("unicode_escape", "backslashreplace").decode("ascii")
        with self._log_lock:
            sys.stderr.write(safe + "\n")
            sys.stderr.flush()


def _split_target(target: str) -> tuple[str, str]:
    """Path and query of a request target (RFC 9112 §3.2), origin-form or absolute-form."""
    if target.startswith("/"):
        path, _, query = target.partition("?")
        return path, query.partition("#")[0]
    parts = urlsplit(target)
    return parts.path or "/", parts.query


def _names_network_by_subdomain(path: str, subdomain: str) -> bool:
    for prefix in ("/networks/", "/admin/v1/networks/"):
        if path.startswith(prefix):
            network = unquote(path[len(prefix) :].partition("/")[0])
            return network == subdomain
    return False


def _is_admin_path(path: str) -> bool:
    return path == "/admin" or path.startswith("/admin/")


def _is_api_path(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") for p in ("/networks", "/admin"))


def _unauthenticated(message: str) -> Response:
    # The Headless API reports authentication failures as GraphQL errors with HTTP 200.
    return json_response(
        200,
        {"data": None, "errors": [{"message": message, "extensions": {"code": "UNAUTHENTICATED"}}]},
    )


def _bearer(request: Request) -> str | None:
    # RFC 6750 §2.1; the scheme name is case-insensitive (RFC 9110 §11.1).
    header = request.header("authorization")
    if header is None:
        return None
    scheme, _, credentials = header.strip().partition(" ")
    credentials = credentials.strip()
    if scheme.lower() != "bearer" or not credentials:
        return None
    return credentials


def _is_admin_token(bearer: str | None) -> bool:
    return bearer is not None and hmac.compare_digest(bearer.encode(), ADMIN_API_TOKEN.encode())


def _parse_form(request: Request) -> dict[str, list[str]] | None:
    content_type = (request.header("content-type") or "").split(";")[0].strip().lower()
    if content_type != FORM_TYPE:
        return None
    try:
        text = request.body.decode("utf-8")
        return parse_qs(text, keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS)
    except (UnicodeDecodeError, ValueError):
        return None


def _oauth_form(request: Request) -> tuple[dict[str, list[str]], tuple[str, str] | None]:
    """The token or revocation request's form and HTTP Basic client credentials, if any."""
    form = _parse_form(request)
    if form is None:
        # RFC 6749 §4.1.3 and §6: the body is application/x-www-form-urlencoded.
        raise OAuthError(
            "invalid_request", "The body must be application/x-www-form-urlencoded UTF-8."
        )
    basic: tuple[str, str] | None = None
    header = (request.header("authorization") or "").strip()
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise OAuthError(
                "invalid_client",
                "The Basic credentials are malformed.",
                status=401,
                challenge_basic=True,
            ) from None
        user, sep, password = decoded.partition(":")
        if not sep:
            raise OAuthError(
                "invalid_client",
                "The Basic credentials are malformed.",
                status=401,
                challenge_basic=True,
            )
        # RFC 6749 §2.3.1: both parts are form-urlencoded before Basic encoding.
        basic = (unquote_plus(user), unquote_plus(password))
    return form, basic


def _oauth_error(exc: OAuthError) -> Response:
    headers: tuple[tuple[str, str], ...] = _TOKEN_HEADERS
    if exc.challenge_basic:
        headers = headers + (("WWW-Authenticate", 'Basic realm="oauth"'),)
    return json_response(
        exc.status, {"error": exc.error, "error_description": exc.description}, headers
    )


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], app: Emulator
    ) -> None:
        self.app = app
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind also resolves the host's FQDN, a DNS lookup that can stall
        # for seconds on machines without a resolver; the emulator never uses that name.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Cut open keep-alive connections, so a stopped emulator answers nothing more."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client hanging up mid-response is normal; anything else is worth a traceback.
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)


class _Server6(_Server):
    address_family = socket.AF_INET6


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 keeps connections alive between requests, as the real service does.
    protocol_version = "HTTP/1.1"
    # Errors for unparseable request lines would otherwise be sent HTTP/0.9 style, with no
    # status line, which no client of this century can read.
    default_request_version = "HTTP/1.0"
    server_version = "MightyEmulator"
    sys_version = ""
    timeout = 30  # seconds an idle keep-alive connection may stay open
    # Headers and body go out in separate writes; with Nagle's algorithm the second waits for
    # the client's delayed ACK, adding ~40 ms to every response.
    disable_nagle_algorithm = True

    @property
    def _app(self) -> Emulator:
        server = self.server
        assert isinstance(server, _Server)
        return server.app

    def do_GET(self) -> None:
        self._dispatch()

    def do_HEAD(self) -> None:
        self._dispatch(head=True)

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_PATCH(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def do_OPTIONS(self) -> None:
        self._dispatch()

    def _dispatch(self, *, head: bool = False) -> None:
        try:
            body = self._read_body()
        except _BodyError as exc:
            self.close_connection = True
            self._send(text_response(exc.status, f"{exc}\n"), head=head)
            return
        path, query = _split_target(self.path)
        headers: dict[str, str] = {}
        for name, value in self.headers.items():
            headers.setdefault(name.lower(), value)
        request = Request(self.command, path, query, headers, body)
        try:
            response = self._app._respond(request)
        except Exception:
            traceback.print_exc()
            response = text_response(500, "Internal Server Error\n")
        self._send(response, head=head)

    def _read_body(self) -> bytes:
        transfer_encoding = (self.headers.get("Transfer-Encoding") or "").strip().lower()
        if transfer_encoding:
            if transfer_encoding != "chunked":
                raise _BodyError(501, "Unsupported Transfer-Encoding")
            return self._read_chunked()
        length_header = self.headers.get("Content-Length")
        if length_header is None:
            return b""
        text = length_header.strip()
        if not text.isdigit() or not text.isascii() or len(text) > 12:
            raise _BodyError(400, "Bad Content-Length")
        length = int(text)
        if length > MAX_BODY_BYTES:
            raise _BodyError(413, "Request body too large")
        body = self.rfile.read(length)
        if len(body) != length:
            raise _BodyError(400, "Incomplete request body")
        return body

    def _read_chunked(self) -> bytes:
        # RFC 9112 §7.1.
        chunks: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(1024)
            size_text = line.split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise _BodyError(400, "Bad chunk size") from None
            if size < 0:
                raise _BodyError(400, "Bad chunk size")
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(chunks)
            total += size
            if total > MAX_BODY_BYTES:
                raise _BodyError(413, "Request body too large")
            chunk = self.rfile.read(size)
            if len(chunk) != size:
                raise _BodyError(400, "Incomplete chunk")
            chunks.append(chunk)
            self.rfile.readline(1024)

    def _send(self, response: Response, *, head: bool) -> None:
        self.send_response(response.status)
        if response.content_type:
            self.send_header("Content-Type", response.content_type)
        for name, value in response.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if not head:
            self.wfile.write(response.body)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        path, _ = _split_target(getattr(self, "path", "") or "")
        status = int(code) if isinstance(code, int) else 0
        self._app._log_request(self.command or "-", path or "-", status)

    def log_message(self, format: str, *args: Any) -> None:
        # The default writes the raw request line, query string included; see log_request.
        return
