"""One ``mighty api`` call as data: built from fields and options, sent page by page, and each
answer classified (what counts as a failure, and which exit code it carries).

The command line gathers the options and renders the pages; everything between is here.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from mightycli import fields as fieldmod
from mightycli import pagination, retry
from mightycli.api import admin_url, graphql_url
from mightycli.config import check_text
from mightycli.environment import Env
from mightycli.errors import ApiAuthError, ApiError, MightyError, UsageError
from mightycli.http import graphql_codes, graphql_errors, status_text
from mightycli.responses import Wording, classify_response
from mightycli.session import Api, Kind, Session, admin_login_hint, login_hint, open_session

# Reads a named source (a file, or standard input for "-") for a purpose ("--input").
ReadSource = Callable[[str, str], bytes]

_PAGINATE_HINT = (
    "e.g. query($endCursor: String) { network { members(first: 50, after: "
    "$endCursor) { nodes { name } pageInfo { hasNextPage endCursor } } } }"
)


@dataclass(frozen=True)
class CallOptions:
    """What ``mighty api`` was asked: the endpoint and the request's parts, not yet sent."""

    endpoint: str
    method: str | None = None
    fields: Sequence[fieldmod.Field] = ()
    headers: Sequence[tuple[str, str]] = ()
    query_file: str | None = None
    input_file: str | None = None
    paginate: bool = False
    network: str | None = None

    @property
    def is_graphql(self) -> bool:
        return self.endpoint.strip().lower() == "graphql"


@dataclass(frozen=True)
class PreparedCall:
    """A call ready to send: the session that authorises it and the request (GraphQL or REST)."""

    session: Session
    graphql: pagination.GraphQLCall | None = None
    rest: pagination.RestCall | None = None
    paginate: bool = False
    # What to tell the user before sending (fields a POST would take, sent as a GET's query).
    warnings: tuple[str, ...] = ()

    @property
    def is_graphql(self) -> bool:
        return self.graphql is not None

    def pages(
        self, client: httpx.Client, policy: retry.RetryPolicy, notify: Callable[[str], None]
    ) -> Generator[pagination.Page, None, None]:
        """The answers, page by page (one page unless paginating)."""
        if self.graphql is not None:
            return pagination.graphql_pages(
                client, self.graphql, paginate=self.paginate, policy=policy, notify=notify
            )
        assert self.rest is not None
        return pagination.rest_pages(
            client,
            self.rest,
            paginate=self.paginate,
            api_url=self.session.api_url,
            policy=policy,
            notify=notify,
        )

    def items(self, body: Any) -> list[Any]:
        """The items of one page's body (the nodes of a GraphQL connection, an Admin API
        list's ``items``), or the body itself as the one item when it is not a list."""
        if self.is_graphql:
            return pagination.graphql_items(body)
        return pagination.rest_items(body)

    def failure(self, response: httpx.Response, body: Any) -> MightyError | None:
        """The error an answer stands for, if any (see ``response_failure``)."""
        return response_failure(response, body, self.session, self.is_graphql)


def prepare(
    options: CallOptions,
    read_source: ReadSource,
    *,
    sessions: Callable[..., Session] = open_session,
) -> PreparedCall:
    """Check the options, open the session the endpoint needs, and build the request."""
    check_text(options.endpoint, "endpoint")
    if options.is_graphql:
        return _prepare_graphql(options, read_source, sessions)
    return _prepare_rest(options, read_source, sessions)


def _graphql_query(options: CallOptions, read_source: ReadSource) -> str:
    query_fields = [f for f in options.fields if f.key == "query"]
    query = str(query_fields[-1].value) if query_fields else None
    if options.query_file:
        if query:
            raise UsageError("Give the query once: -f query=... or --query-file, not both.")
        try:
            query = read_source(options.query_file, "--query-file").decode("utf-8")
        except UnicodeDecodeError:
            raise UsageError(f"{options.query_file} is not UTF-8 text.") from None
    if not query or not query.strip():
        raise UsageError(
            "A GraphQL call needs a query.",
            hint="mighty api graphql -f query='{ me { name } }' (or --query-file FILE)",
        )
    return query


def _prepare_graphql(
    options: CallOptions, read_source: ReadSource, sessions: Callable[..., Session]
) -> PreparedCall:
    if options.method and options.method.upper() != "POST":
        raise UsageError("GraphQL calls are always POST.", hint="Leave out -X.")
    if options.input_file:
        raise UsageError(
            "--input is for Admin API calls.", hint="Use -f query=... or --query-file."
        )
    operation = [f for f in options.fields if f.key == "operationName"]
    variables = fieldmod.build_object(
        f for f in options.fields if f.key not in ("query", "operationName")
    )
    query = _graphql_query(options, read_source)
    if options.paginate and "$endCursor" not in query:
        raise UsageError(
            "--paginate needs a query that takes an $endCursor variable.", hint=_PAGINATE_HINT
        )
    session = sessions(options.network, api=Api.HEADLESS)
    call = pagination.GraphQLCall(
        url=graphql_url(session.api_url, session.path_network),
        query=query,
        variables=variables,
        operation_name=str(operation[-1].value) if operation else None,
        headers=list(options.headers),
    )
    return PreparedCall(session, graphql=call, paginate=options.paginate)


def _prepare_rest(
    options: CallOptions, read_source: ReadSource, sessions: Callable[..., Session]
) -> PreparedCall:
    if options.query_file:
        raise UsageError("--query-file is for graphql calls.")
    method = options.method
    verb = (method or ("POST" if options.input_file else "GET")).upper()
    if not (verb.isascii() and verb.isalpha() and len(verb) <= 20):  # "ГЕТ".isalpha() too
        raise UsageError(
            f"{method!r} is not an HTTP method.", hint="Use GET, POST, PUT, PATCH or DELETE."
        )
    session = sessions(options.network, api=Api.ADMIN)
    url = admin_url(session.api_url, session.path_network, options.endpoint.strip())
    headers = list(options.headers)
    fields = list(options.fields)
    rest = pagination.RestCall(method=verb, url=url, headers=headers)
    if options.input_file:
        content = read_source(options.input_file, "--input")
        if not any(name.lower() == "content-type" for name, _ in headers):
            headers = [*headers, ("Content-Type", "application/json")]
        rest = pagination.RestCall(
            verb, url, fieldmod.query_params(fields), content=content, headers=headers
        )
    elif verb in ("GET", "HEAD"):
        rest = pagination.RestCall(verb, url, fieldmod.query_params(fields), headers=headers)
    elif fields:
        rest = pagination.RestCall(
            verb, url, json_body=fieldmod.build_object(fields), has_json_body=True, headers=headers
        )
    _check_address(rest, options.endpoint)
    warnings = _body_fields_in_a_query(rest, fields) if method is None else ()
    return PreparedCall(session, rest=rest, paginate=options.paginate, warnings=warnings)


def _body_fields_in_a_query(
    rest: pagination.RestCall, fields: Sequence[fieldmod.Field]
) -> tuple[str, ...]:
    """A warning when a GET (the default without -X) sends as its query fields that a POST to
    the same Admin API path takes as its body: ``mighty api members -f email=...`` lists
    members, as gh's api does, where creating one was likely meant."""
    if rest.method != "GET" or not fields or rest.content is not None:
        return ()
    from urllib.parse import urlsplit

    from mightycli.resources.operations import fields_for_a_body

    path = urlsplit(rest.url).path
    if "/admin/v1/networks/" not in path:
        return ()
    relative = path.split("/admin/v1/networks/", 1)[1].partition("/")[2]
    body = fields_for_a_body(relative)
    named = sorted({f.key.split("[", 1)[0] for f in fields} & body)
    if not named:
        return ()
    return (
        f"warning: -f/-F fields go into the query string of this GET ({', '.join(named)}); "
        f"a POST to {relative} takes them as a JSON body: add -X POST to send one.",
    )


def _check_address(rest: pagination.RestCall, endpoint: str) -> None:
    """The request's address as httpx will build it: a character no URL may hold (a tab) or a
    length it refuses (a 130 KB endpoint or -f value) is the caller's mistake, said before
    anything is sent."""
    try:
        httpx.URL(rest.url, params=rest.params or None)
    except httpx.InvalidURL as exc:
        reason = str(exc)
        if "too long" not in reason:
            raise UsageError(
                f"The endpoint {endpoint!r} is not a valid address: {reason}",
                hint="An Admin API path is like members/<id>/, without spaces or tabs.",
            ) from None
        length = len(rest.url) + sum(len(k) + len(v) + 2 for k, v in rest.params)
        hint = (
            "With GET, -f and -F fields go into the address: send long values in a body "
            "with -X POST (or PATCH), or --input FILE."
            if rest.params
            else "Check the endpoint: an Admin API path is like members/<id>/."
        )
        raise UsageError(
            f"The request's address is too long: {length} characters, more than a URL can "
            "carry (65536).",
            hint=hint,
        ) from None


def _auth_hint(session: Session) -> str:
    if session.kind == Kind.ENV:
        return f"Set a valid {Env.TOKEN}, or unset it to use the stored login."
    if session.kind == Kind.ADMIN:
        return admin_login_hint(session.network)
    return login_hint(session.network)


def call_wording(session: Session, graphql: bool) -> Wording:
    """How ``mighty api`` words a failed answer: the status first, the server's detail in
    brackets, and the hint that fixes it (a login for a refused token, the path for an Admin
    API 404)."""
    return Wording(
        server="API",
        refused="{status}{detail}",
        redirected="{status}: the {server} redirects to {location}; mighty does not follow "
        "redirects.",
        blocked="{status}{detail}: a bot or firewall challenge",
        failed="{status}{detail}",
        detail=" ({})",
        no_detail="",
        html_detail="an HTML page",
        html_only_without_object=True,
        skip_echoed_reason=True,
        refused_hint=_auth_hint(session),
        redirect_hint="Call the address it names directly if it is on the API host.",
    )


def slash_hint(url: httpx.URL) -> str | None:
    """For an Admin API 404: the published form of the path when it differs from the one sent
    by its trailing slash alone (members/5000003 for members/5000003/), which is then the likely
    cause; nothing when the path is published as sent or neither form is."""
    from mightycli.resources.operations import published_form

    prefix, _, path = url.path.partition("/admin/v1/networks/")
    network, _, path = path.partition("/")
    other = published_form(path) if not prefix and network else None
    if other is None:
        return None
    slash = "with" if other.endswith("/") else "without"
    return (
        f"Mighty publishes this path as {other} {slash} a trailing slash; mighty api sends "
        "paths exactly as given."
    )


def response_failure(
    response: httpx.Response, body: Any, session: Session, graphql: bool
) -> MightyError | None:
    """The error a response stands for, if any: HTTP 401 and UNAUTHENTICATED exit 4."""
    failure = classify_response(response, call_wording(session, graphql))
    if failure is not None and failure.status_code == 404 and not graphql:
        failure.hint = slash_hint(response.request.url)
    if failure is not None or not graphql:
        return failure
    errors = graphql_errors(body)
    if errors:
        text = "; ".join(str(e.get("message", "error"))[:300] for e in errors[:5])
        codes = graphql_codes(body)
        if "UNAUTHENTICATED" in codes:
            return ApiAuthError(
                f"GraphQL: {text}", hint=_auth_hint(session), code="UNAUTHENTICATED"
            )
        # The first error's code (FORBIDDEN, NOT_FOUND, ...), for callers that explain one.
        return ApiError(f"GraphQL: {text}", code=min(codes) if codes else None)
    if not isinstance(body, dict) or "data" not in body:
        return ApiError(
            f"The GraphQL API answered {status_text(response)} without a JSON data field."
        )
    return None
