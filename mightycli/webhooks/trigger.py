"""``mighty webhooks trigger``: one synthetic delivery of an event, as Mighty would send it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from mightycli.config import check_endpoint_url
from mightycli.errors import NetworkError, UsageError
from mightycli.http import connection_hint
from mightycli.version import __version__
from mightycli.webhooks.catalog import BY_NAME, GRAPHQL_ONLY, canonical_name, did_you_mean
from mightycli.webhooks.envelope import make_envelope
from mightycli.webhooks.samples import apply_override, sample_payload


@dataclass(frozen=True)
class Sent:
    event_id: str
    status: int
    reason: str
    answer: bytes

    @property
    def accepted(self) -> bool:
        return 200 <= self.status < 300


def published_event(text: str) -> str:
    """The PascalCase name of a published event, from any spelling, or a usage error that
    lists the names closest to it."""
    name = canonical_name(text)
    if name in GRAPHQL_ONLY:
        raise UsageError(
            f"{name} is in the GraphQL WebhookEventType enum, but Mighty publishes no webhook "
            "payload for it, so there is nothing faithful to send.",
            hint="mighty webhooks events lists the events with a published payload.",
        )
    if name is None:
        raise UsageError(
            f"Unknown event {text!r}.",
            hint=did_you_mean(text, tuple(BY_NAME)) + "mighty webhooks events lists them all.",
        )
    return name


def build_delivery(event: str, overrides: Sequence[str] = (), now: datetime | None = None) -> bytes:
    """The body of a synthetic delivery of ``event`` with ``--set`` overrides applied."""
    moment = now or datetime.now(UTC)
    payload = sample_payload(event, moment)
    for spec in overrides:
        apply_override(payload, spec)
    return make_envelope(event, payload, moment)


def send_delivery(
    url: str,
    body: bytes,
    *,
    secret: str | None,
    timeout: float = 30.0,
    transport: httpx.BaseTransport | None = None,
) -> Sent:
    """POST a delivery's body to ``url`` (the secret as ``Authorization: Bearer``)."""
    check_endpoint_url(url, "webhook URL")
    headers = {"Content-Type": "application/json", "User-Agent": f"mighty-cli/{__version__}"}
    if secret:
        headers["Authorization"] = f"Bearer {secret}"
    try:
        with httpx.Client(timeout=timeout, transport=transport, trust_env=False) as client:
            response = client.post(url, content=body, headers=headers)
    except httpx.TimeoutException as exc:
        raise NetworkError(f"{url} did not answer in time.", hint=connection_hint(url)) from exc
    except httpx.HTTPError as exc:
        raise NetworkError(f"Cannot reach {url}: {exc}", hint=connection_hint(url)) from exc
    event_id = json.loads(body)["event_id"]
    return Sent(event_id, response.status_code, response.reason_phrase, response.content)
