"""Sending the operations of the table: one authorised client per run, answers classified once,
lists followed page by page, and writes held back under ``--dry-run``.

Nothing here prints: a dry run's requests are collected as ``Request`` values for the caller to
show, progress (retry waits) goes to the ``notify`` callable.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx

from mightycli import pagination, retry
from mightycli.api import admin_url, server_wording
from mightycli.errors import ApiError, NotLoggedInError
from mightycli.http import DEFAULT_TIMEOUT, decode_json
from mightycli.resources.operations import OPERATIONS
from mightycli.responses import Wording, classify_response
from mightycli.session import Api, Session, admin_login_hint, open_session

__all__ = ["AdminClient", "Request", "open_admin"]

MAX_PER_PAGE = 100  # the published per_page maximum


@dataclass(frozen=True)
class Request:
    """One request, as it is (or would be) sent."""

    method: str
    url: str
    query: tuple[tuple[str, str], ...] = ()
    body: dict[str, Any] | None = None

    @property
    def target(self) -> str:
        """The path and query, as a dry run shows them."""
        path = httpx.URL(self.url).raw_path.decode("ascii").split("?")[0]
        return path + (f"?{urlencode(self.query)}" if self.query else "")

    def describe(self) -> str:
        line = f"{self.method} {self.target}"
        if self.body is not None:
            line += "\n" + json.dumps(self.body, ensure_ascii=False)
        return line


def _wording(session: Session) -> Wording:
    """The Admin API's failures worded as ``mighty whoami`` words them, a refused token with the
    command that stores a new one, and no detail that only repeats the reason phrase."""
    return dataclasses.replace(
        server_wording("Admin API"),
        skip_echoed_reason=True,
        refused_hint=admin_login_hint(session.network),
        refused_code=None,
    )


@dataclass
class AdminClient:
    """The Admin API of one network, spoken through the operations table."""

    session: Session
    http: httpx.Client
    policy: retry.RetryPolicy = field(default_factory=retry.RetryPolicy)
    notify: Callable[[str], None] = lambda message: None
    dry_run: bool = False
    planned: list[Request] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._wording = _wording(self.session)  # how every answer of this run is worded

    def request(self, name: str, values: dict[str, Any] | None = None) -> Request:
        """The request operation ``name`` makes with ``values`` (path ids, query, body)."""
        op = OPERATIONS[name]
        values = values or {}
        url = admin_url(self.session.api_url, self.session.path_network, op.path_for(values))
        return Request(op.method, url, tuple(op.query_for(values)), op.body_for(values))

    def call(self, name: str, values: dict[str, Any] | None = None) -> Any:
        """Send one operation and return its decoded answer (None for an empty one). Under
        ``dry_run`` a write is only recorded, and None returned."""
        request = self.request(name, values)
        if self.dry_run and OPERATIONS[name].writes:
            self.planned.append(request)
            return None
        response = self._send(request)
        return decode_json(response.content) if response.content else None

    def exists(self, name: str, values: dict[str, Any]) -> bool:
        """Whether a GET of one item finds it: 200 yes, 404 no, anything else an error."""
        response = self._send(self.request(name, values), missing_ok=True)
        return response.status_code != 404

    def items(
        self, name: str, values: dict[str, Any] | None = None, *, limit: int | None = None
    ) -> Iterator[Any]:
        """The items of a list operation, page by page as they arrive; ``limit`` stops early."""
        op = OPERATIONS[name]
        if limit is not None and limit <= 0:
            return
        request = self.request(name, values)
        per_page = MAX_PER_PAGE if limit is None else min(limit, MAX_PER_PAGE)
        call = pagination.RestCall(
            "GET", request.url, [*request.query, ("per_page", str(per_page))]
        )
        pages = pagination.rest_pages(
            self.http,
            call,
            paginate=op.paged,
            api_url=self.session.api_url,
            policy=self.policy,
            notify=self.notify,
        )
        count = 0
        with contextlib.closing(pages):
            for page in pages:
                self._raise_for(page.response)
                for item in pagination.rest_items(page.body):
                    yield item
                    count += 1
                    if limit is not None and count >= limit:
                        return

    def _send(self, request: Request, *, missing_ok: bool = False) -> httpx.Response:
        built = self.http.build_request(
            request.method,
            request.url,
            params=request.query or None,
            json=request.body,
        )
        response = retry.send(
            self.http,
            built,
            idempotent=request.method in retry.IDEMPOTENT_METHODS,
            policy=self.policy,
            notify=self.notify,
        )
        if not (missing_ok and response.status_code == 404):
            self._raise_for(response)
        return response

    def _raise_for(self, response: httpx.Response) -> None:
        failure = classify_response(response, self._wording)
        if failure is not None:
            raise failure
        if response.status_code not in (200, 201, 204):
            raise ApiError(f"The Admin API answered HTTP {response.status_code}, not a success.")

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> AdminClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_admin(
    network: str | None,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    max_wait: float = 60.0,
    notify: Callable[[str], None] = lambda message: None,
    dry_run: bool = False,
    sessions: Callable[..., Session] = open_session,
) -> AdminClient:
    """An Admin API client for ``network`` with the stored Admin API token (or MIGHTY_TOKEN)."""
    from mightycli.auth import BearerAuth
    from mightycli.http import make_http_client

    try:
        session = sessions(network, api=Api.ADMIN)
    except NotLoggedInError as error:
        raise NotLoggedInError(
            error.message,
            hint="These commands use an Admin API token: mighty login --with-token "
            "--network <subdomain> < token-file",
        ) from None
    auth = BearerAuth(session)
    client = auth.attach(make_http_client(auth=auth, timeout=timeout))
    return AdminClient(
        session, client, retry.RetryPolicy(max_wait=max_wait), notify, dry_run=dry_run
    )
