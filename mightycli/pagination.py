"""Requests for ``mighty api``, page by page: Admin API ``links.next`` and GraphQL cursors.

Pages are yielded as they arrive, so a caller can write each one out before the next is fetched
and memory stays flat however many pages there are.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

import httpx

from mightycli import retry
from mightycli.errors import ApiError
from mightycli.http import decode_json, graphql_codes, graphql_errors, same_origin


@dataclass(frozen=True)
class Page:
    """One response and its body, decoded once (None when it is not JSON)."""

    response: httpx.Response
    body: Any


@dataclass(frozen=True)
class RestCall:
    method: str
    url: str
    params: list[tuple[str, str]] = field(default_factory=list)
    json_body: Any = None
    has_json_body: bool = False
    content: bytes | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class GraphQLCall:
    url: str
    query: str
    variables: dict[str, Any] = field(default_factory=dict)
    operation_name: str | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)

    @property
    def is_mutation(self) -> bool:
        """Mutations are not repeated after a lost connection; queries are."""
        without_comments = re.sub(r"#[^\n]*", "", self.query)
        return re.search(r"(?:^|[}\s])mutation\b", without_comments) is not None


def parse_json(response: httpx.Response) -> Any:
    return decode_json(response.content)


def rest_pages(
    client: httpx.Client,
    call: RestCall,
    *,
    paginate: bool,
    api_url: str,
    policy: retry.RetryPolicy,
    notify: Callable[[str], None],
) -> Generator[Page, None, None]:
    idempotent = call.method in retry.IDEMPOTENT_METHODS
    url, params = call.url, call.params
    seen: set[str] = set()
    while True:
        request = client.build_request(
            call.method,
            url,
            params=tuple(params) if params else None,
            json=call.json_body if call.has_json_body else None,
            content=call.content,
            headers=call.headers,
        )
        response = retry.send(client, request, idempotent=idempotent, policy=policy, notify=notify)
        body = parse_json(response)
        yield Page(response, body)
        if not paginate or response.status_code >= 400:
            return
        if isinstance(body, dict) and body.get("items") == []:
            return  # field reports: an empty last page may still advertise a next one
        links = body.get("links") if isinstance(body, dict) else None
        following = links.get("next") if isinstance(links, dict) else None
        if not following or not isinstance(following, str):
            _warn_unpageable(body, notify)
            return
        next_url = urljoin(str(response.url), following)
        # The token must never travel to another host, whatever a response says.
        if not same_origin(next_url, api_url):
            raise ApiError(f"The next page link points away from the API host: {next_url}")
        if next_url in seen:
            raise ApiError("The API returned the same next page twice; stopping.")
        seen.add(next_url)
        url, params = next_url, []


def _warn_unpageable(body: Any, notify: Callable[[str], None]) -> None:
    """Say so when a list answer is not the {items, links} shape --paginate follows (older
    documentation shows {data, meta} pages for some lists), rather than stop without a word."""
    if not isinstance(body, dict) or "items" in body or "links" in body:
        return
    if isinstance(body.get("data"), list) or "meta" in body:
        notify(
            "warning: this answer has no items and no links.next (it has "
            + " and ".join(k for k in ("data", "meta") if k in body)
            + "), so --paginate printed it as it came and stopped after this page."
        )


def is_throttled(response: httpx.Response) -> bool:
    return response.status_code == 200 and "THROTTLED" in graphql_codes(parse_json(response))


def find_connection(data: Any) -> dict[str, Any] | None:
    """The first object (depth first) that carries ``pageInfo``: the connection being paged."""
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if isinstance(node.get("pageInfo"), dict):
                return node
            stack.extend(reversed(list(node.values())))
        elif isinstance(node, list):
            stack.extend(reversed(node))
    return None


def graphql_pages(
    client: httpx.Client,
    call: GraphQLCall,
    *,
    paginate: bool,
    policy: retry.RetryPolicy,
    notify: Callable[[str], None],
) -> Generator[Page, None, None]:
    """POST the operation; with ``paginate``, again with ``$endCursor`` until the last page.

    A refused token (UNAUTHENTICATED at HTTP 200 included) is the client's auth's business.
    """
    variables = dict(call.variables)
    while True:
        payload: dict[str, Any] = {"query": call.query, "variables": variables}
        if call.operation_name:
            payload["operationName"] = call.operation_name
        request = client.build_request("POST", call.url, json=payload, headers=call.headers)
        response = retry.send(
            client,
            request,
            idempotent=not call.is_mutation,
            policy=policy,
            notify=notify,
            throttled=is_throttled,
        )
        body = parse_json(response)
        yield Page(response, body)
        if not paginate or response.status_code >= 400 or graphql_errors(body):
            return
        connection = find_connection(body.get("data") if isinstance(body, dict) else None)
        info = connection.get("pageInfo") if connection else None
        if not isinstance(info, dict) or info.get("hasNextPage") is not True:
            return
        cursor = info.get("endCursor")
        if not isinstance(cursor, str) or cursor == variables.get("endCursor"):
            raise ApiError("GraphQL pagination stalled: hasNextPage without a new endCursor.")
        variables["endCursor"] = cursor


def rest_items(body: Any) -> list[Any]:
    if isinstance(body, dict) and isinstance(body.get("items"), list):
        return list(body["items"])
    return [body]


def graphql_items(body: Any) -> list[Any]:
    data = body.get("data") if isinstance(body, dict) else None
    connection = find_connection(data)
    if connection is None:
        return [data]
    if isinstance(connection.get("nodes"), list):
        return list(connection["nodes"])
    edges = connection.get("edges")
    if isinstance(edges, list):
        return [e.get("node", e) if isinstance(e, dict) else e for e in edges]
    return []
