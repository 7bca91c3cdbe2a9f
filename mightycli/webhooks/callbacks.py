"""A network's webhook callbacks, through the Headless API (GraphQL): ``webhookCallbacks``,
``createWebhookCallback`` and ``deleteWebhookCallback``, with a host's OAuth login.

The callback's ``apiKey`` (its secret) is sent when one is made and never asked for back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mightycli.errors import ApiError
from mightycli.webhooks.catalog import enum_name

FIELDS = "id resourceId url includedEvents disabled disabledAt consecutiveFailures"
LIST = (
    "query($after: String) { network { webhookCallbacks(first: 50, after: $after) { "
    f"nodes {{ {FIELDS} }} pageInfo {{ hasNextPage endCursor }} }} }} }}"
)
CREATE = (
    "mutation($input: CreateWebhookCallbackInput!) { createWebhookCallback(input: $input) { "
    f"errors webhookCallback {{ {FIELDS} }} }} }}"
)
DELETE = (
    "mutation($input: DeleteWebhookCallbackInput!) { deleteWebhookCallback(input: $input) { "
    "errors } }"
)


SCOPE = "host:write:network_integrations"  # what the published mutations name


def _graphql(connection: Any, query: str, variables: dict[str, Any]) -> Any:
    """One operation; a refusal for want of a scope says which login to make."""
    try:
        return connection.graphql(query, variables)
    except ApiError as error:
        if error.code != "FORBIDDEN" or error.hint:
            raise
        raise ApiError(
            error.message,
            hint=f"Webhook callbacks need a host's login with the scope {SCOPE}: "
            f"mighty login -s {SCOPE} (with the other scopes you use).",
            code=error.code,
        ) from error


def list_callbacks(connection: Any) -> list[dict[str, Any]]:
    """Every callback of the network, page by page (a null connection is none)."""
    callbacks: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        data = _graphql(connection, LIST, {"after": after})
        page = ((data or {}).get("network") or {}).get("webhookCallbacks")
        if not isinstance(page, dict):
            return callbacks
        callbacks.extend(node for node in page.get("nodes") or [] if isinstance(node, dict))
        info = page.get("pageInfo") or {}
        if not info.get("hasNextPage") or not info.get("endCursor"):
            return callbacks
        after = info["endCursor"]


def _payload(data: Any, field: str) -> dict[str, Any]:
    payload = (data or {}).get(field)
    if not isinstance(payload, dict):
        raise ApiError(f"The GraphQL API answered {field} without a result.")
    errors = [e for e in payload.get("errors") or [] if isinstance(e, str)]
    if errors:
        raise ApiError(f"The network refused it: {'; '.join(errors)}")
    return payload


def create_callback(
    connection: Any, url: str, events: Sequence[str] | None, secret: str | None
) -> dict[str, Any]:
    """Register ``url`` for ``events`` (PascalCase names; None for every event)."""
    values: dict[str, Any] = {"url": url}
    if events is not None:
        values["includedEvents"] = [enum_name(name) for name in events]
    if secret:
        values["apiKey"] = secret
    payload = _payload(_graphql(connection, CREATE, {"input": values}), "createWebhookCallback")
    callback = payload.get("webhookCallback")
    if not isinstance(callback, dict):
        raise ApiError("The GraphQL API made no webhook callback and gave no reason.")
    return callback


def delete_callback(connection: Any, callback_id: str) -> None:
    _payload(_graphql(connection, DELETE, {"input": {"id": callback_id}}), "deleteWebhookCallback")
