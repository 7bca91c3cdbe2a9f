"""The Python API: the library made public for scripts that outgrow shell pipelines.

    import mightycli

    with mightycli.connect("mycommunity") as mn:
        print(mn.graphql("{ me { name } }"))
        for member in mn.paginate("members"):
            print(member["email"])

A connection uses the credentials the command line would (``MIGHTY_TOKEN``, else the stored
login; the default network with ``None``) through the same session: tokens are renewed under
the cross-process lock, 429/503 and THROTTLED answers are retried, and every failure is a
``mightycli.MightyError`` with a message, a hint and an ``exit_code``. Nothing here prints,
prompts or exits, and neither Typer nor rich is imported.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Generator, Iterator, Mapping
from types import TracebackType
from typing import Any

import httpx

from mightycli import call, pagination, retry
from mightycli.api import admin_url, graphql_url
from mightycli.auth import BearerAuth
from mightycli.config import check_seconds
from mightycli.errors import UsageError
from mightycli.http import DEFAULT_TIMEOUT, make_http_client
from mightycli.session import Api, Session, open_session

__all__ = ["Connection", "connect"]


def _quiet(message: str) -> None:
    """The default for progress messages (retry waits): say nothing."""


class Connection:
    """An open connection to one network: GraphQL, the Admin API, and a raw client.

    Made by ``connect``; use it as a context manager (or call ``close``). GraphQL calls use the
    OAuth login, Admin API calls the Admin API token (``mighty login --with-token``); each is
    opened when first needed, so a login with only one of them works for that one.
    """

    def __init__(
        self,
        session: Session,
        *,
        env: Mapping[str, str] | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        max_wait: float = 60.0,
        notify: Callable[[str], None] = _quiet,
    ) -> None:
        self._env = env
        self._timeout = timeout
        self._notify = notify
        self._policy = retry.RetryPolicy(max_wait=max_wait)
        self._clients: dict[Api, tuple[Session, httpx.Client]] = {}
        self._open(Api.ANY, session)

    # ------------------------------------------------------------------ public surface

    @property
    def network(self) -> str:
        """The network, as the login names it (its subdomain, or its numeric id)."""
        return self._session(Api.ANY).network

    @property
    def api_url(self) -> str:
        return self._session(Api.ANY).api_url

    @property
    def graphql_url(self) -> str:
        """The GraphQL (Headless) API's address for this network."""
        session = self._session(Api.ANY)
        return graphql_url(session.api_url, session.path_network)

    @property
    def http(self) -> httpx.Client:
        """An ``httpx.Client`` that sends the token (the OAuth login's, else the Admin API
        token) and renews it after a 401 or UNAUTHENTICATED, for anything else. Its base URL
        is the API host; it follows no redirects."""
        return self._client(Api.ANY)[1]

    def _graphql_pages(
        self, query: str, variables: Mapping[str, Any] | None, *, paginate: bool
    ) -> tuple[Session, Generator[pagination.Page, None, None]]:
        session, client = self._client(Api.HEADLESS)
        request = pagination.GraphQLCall(
            url=graphql_url(session.api_url, session.path_network),
            query=query,
            variables=dict(variables or {}),
        )
        pages = pagination.graphql_pages(
            client, request, paginate=paginate, policy=self._policy, notify=self._notify
        )
        return session, pages

    def graphql(self, query: str, variables: Mapping[str, Any] | None = None) -> Any:
        """Run one GraphQL operation and return its ``data``.

        GraphQL errors raise ``ApiError`` (``ApiAuthError`` for UNAUTHENTICATED, after one
        renewal), as do HTTP errors; throttling is retried.
        """
        session, pages = self._graphql_pages(query, variables, paginate=False)
        for page in pages:
            self._check(session, page, graphql=True)
            return page.body["data"]
        raise AssertionError("graphql_pages yields one page")  # pragma: no cover

    def paginate(
        self,
        endpoint_or_query: str,
        *,
        params: Mapping[str, str | int] | None = None,
        variables: Mapping[str, Any] | None = None,
    ) -> Iterator[Any]:
        """Yield every item of a listing, fetching pages as the caller goes.

        ``endpoint_or_query`` is an Admin API path under the network (``"members"``,
        ``"spaces/7001/members"``; ``params`` are its query parameters), whose pages are
        followed through ``links.next``; or a GraphQL query taking ``$endCursor`` (with
        ``pageInfo { hasNextPage endCursor }``), whose connection's nodes are yielded.
        """
        if "{" in endpoint_or_query:
            yield from self._graphql_items(endpoint_or_query, variables)
        else:
            yield from self._admin_items(endpoint_or_query, params)

    def close(self) -> None:
        for _, client in self._clients.values():
            client.close()
        self._clients.clear()

    def __enter__(self) -> Connection:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<mightycli.Connection network={self.network!r} api_url={self.api_url!r}>"

    # ------------------------------------------------------------------ internals

    def _open(self, api: Api, session: Session) -> tuple[Session, httpx.Client]:
        auth = BearerAuth(session)
        client = auth.attach(make_http_client(auth=auth, timeout=self._timeout))
        client.base_url = httpx.URL(session.api_url)
        self._clients[api] = (session, client)
        return session, client

    def _session(self, api: Api) -> Session:
        return self._client(api)[0]

    def _client(self, api: Api) -> tuple[Session, httpx.Client]:
        if api in self._clients:
            return self._clients[api]
        network = self._clients[Api.ANY][0].network
        return self._open(api, open_session(network, api=api, env=self._env))

    def _check(self, session: Session, page: pagination.Page, *, graphql: bool) -> None:
        failure = call.response_failure(page.response, page.body, session, graphql)
        if failure is not None:
            raise failure

    def _graphql_items(self, query: str, variables: Mapping[str, Any] | None) -> Iterator[Any]:
        if "$endCursor" not in query:
            raise UsageError(
                "Paging a GraphQL query needs a query that takes an $endCursor variable.",
                hint="query($endCursor: String) { network { members(first: 50, after: "
                "$endCursor) { nodes { name } pageInfo { hasNextPage endCursor } } } }",
            )
        session, pages = self._graphql_pages(query, variables, paginate=True)
        with contextlib.closing(pages):
            for page in pages:
                self._check(session, page, graphql=True)
                yield from pagination.graphql_items(page.body)

    def _admin_items(self, path: str, params: Mapping[str, str | int] | None) -> Iterator[Any]:
        session, client = self._client(Api.ADMIN)
        request = pagination.RestCall(
            "GET",
            admin_url(session.api_url, session.path_network, path),
            [(key, str(value)) for key, value in (params or {}).items()],
        )
        pages = pagination.rest_pages(
            client,
            request,
            paginate=True,
            api_url=session.api_url,
            policy=self._policy,
            notify=self._notify,
        )
        with contextlib.closing(pages):
            for page in pages:
                self._check(session, page, graphql=False)
                yield from pagination.rest_items(page.body)


def connect(
    network: str | None = None,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    max_wait: float = 60.0,
    notify: Callable[[str], None] = _quiet,
    env: Mapping[str, str] | None = None,
) -> Connection:
    """Open a connection to ``network`` with the credentials ``mighty`` would use.

    ``network`` is a subdomain, numeric id or community URL; ``None`` means the default:
    ``MIGHTY_NETWORK``, the config file, then the most recent login. ``MIGHTY_TOKEN``, when
    set, is used instead of a stored login. ``timeout`` is per request in seconds;
    ``max_wait`` bounds the time spent waiting to retry; ``notify`` receives progress
    messages (retry waits). ``env`` replaces ``os.environ`` for reading settings.

    Raises ``NotLoggedInError`` (exit code 4) when there is no login to use.
    """
    check_seconds(timeout, "The timeout")
    if not max_wait >= 0:
        raise UsageError("max_wait must be zero or more seconds.")
    session = open_session(network, api=Api.ANY, env=env)
    return Connection(session, env=env, timeout=timeout, max_wait=max_wait, notify=notify)
