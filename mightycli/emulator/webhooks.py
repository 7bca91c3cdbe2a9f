"""Webhook callbacks and their deliveries: the network posts an event to each registered
endpoint when its records change.

What is published (Headless API schema and Admin API description):

- A callback (``WebhookCallback``) has a ``url`` ("HTTPS endpoint that receives webhook
  deliveries"), an optional ``apiKey`` ("Secret sent with each delivery so the endpoint can
  verify the request"), ``includedEvents`` ("Null means every event; an empty list means no
  events"; creating or updating one with an empty list "is rejected"), ``consecutiveFailures``
  ("consecutive failed deliveries since the last success"), ``disabled`` ("deliveries are
  currently paused after repeated failures"), ``disabledAt``, ``createdAt`` and ``updatedAt``.
- A delivery is a POST of ``{"event_id": <uuid>, "event_timestamp": <datetime>, "payload":
  {...}}``, the payload as published for the event. Any 2xx confirms receipt; "Any other
  response will cause the webhook to retry up to 5 times, over a period of several hours."

What is not, and what the emulator does instead (each a choice, modelled where there is a
report to model it on):

- How a delivery carries the secret: a maintained client library (MCKLtech/laravel-mighty-
  networks) reads it as ``Authorization: Bearer <apiKey>``, verbatim, with no signature; so
  the emulator sends it that way, and sends no Authorization header without a secret.
- The event's name: the envelope declares none, but that library reads ``event_type`` from the
  body and reports it spelled ``PostCreated``, ``POST_CREATED`` or as a GraphQL type name such
  as ``MemberJoinedHook``. ``event_type`` selects the spelling: "pascal" (the default, the
  Admin API's names), "upper" (the GraphQL enum's), "hook", or "absent" (no such field).
- The retry schedule: Mighty spreads its 5 retries over hours; the emulator keeps the count
  and waits ``retry_delays`` seconds before each retry (0.1 s doubling by default), so a test
  sees every attempt at once. Each attempt has a ``timeout``; a connection that fails or an
  answer that is not 2xx (a redirect included, which is not followed) is a failed attempt.
- Ordering: one worker thread delivers; each callback gets its events in the order they
  happened, an event waiting while an earlier one is retried. One event has one ``event_id``,
  the same in each callback's delivery and in each retry of it.
- When a callback is disabled: no threshold is published. With ``disable_after`` set, that
  many consecutive failed attempts disable the callback (``disabledAt`` is set, its pending
  deliveries are dropped and no event is queued for it); without it (the default) a callback is
  never disabled. ``updateWebhookCallback`` enables a disabled callback again (the input has
  no field for it, and fixing the endpoint is how one would recover).
- Which URLs are accepted: https with a host, or plain http to a loopback host (localhost,
  127.0.0.0/8, ::1) so local development works, as the OAuth redirect rules allow for
  localhost.
- Events without a published payload schema (EVENT_CANCELED, EVENT_INSTANCE_CANCELED and
  MEMBER_LESSON_COMPLETED are in the GraphQL enum only) are never delivered.

The secret is kept out of every repr and log line; the only place it is shown is the
``apiKey`` field the published schema defines.
"""

from __future__ import annotations

import ipaddress
import json
import math
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from .directory import encode_global_id

# The GraphQL enum WebhookEventType, as published (47 values).
WEBHOOK_EVENT_TYPES: tuple[str, ...] = (
    "ARTICLE_CREATED",
    "ARTICLE_UPDATED",
    "COMMENT_CREATED",
    "CUSTOM_FIELD_RESPONSE_CREATED",
    "CUSTOM_FIELD_RESPONSE_REMOVED",
    "CUSTOM_FIELD_RESPONSE_UPDATED",
    "EVENT_CANCELED",
    "EVENT_CREATED",
    "EVENT_INSTANCE_CANCELED",
    "EVENT_UPDATED",
    "GIFT_LEADERBOARD_UPDATED",
    "HOT_COLD_POLL_CREATED",
    "HOT_COLD_POLL_UPDATED",
    "INVITE_REQUESTED",
    "MEMBER_AMBASSADOR_LEVELED_UP",
    "MEMBER_BADGE_ADDED",
    "MEMBER_BADGE_REMOVED",
    "MEMBER_COURSE_PROGRESS_COMPLETED",
    "MEMBER_COURSE_PROGRESS_STARTED",
    "MEMBER_COURSE_PROGRESS_UPDATED",
    "MEMBER_JOINED",
    "MEMBER_JOIN_REQUESTED",
    "MEMBER_LEFT",
    "MEMBER_LESSON_COMPLETED",
    "MEMBER_PLAN_CHANGED",
    "MEMBER_PURCHASED",
    "MEMBER_PURCHASE_REQUESTED",
    "MEMBER_REMOVED_FROM_PLAN",
    "MEMBER_SUBSCRIPTION_CANCELED",
    "MEMBER_SUBSCRIPTION_RENEWED",
    "MEMBER_TAG_ADDED",
    "MEMBER_TAG_REMOVED",
    "MEMBER_UPDATED",
    "MULTIPLE_CHOICE_POLL_CREATED",
    "MULTIPLE_CHOICE_POLL_UPDATED",
    "PERCENTAGE_POLL_CREATED",
    "PERCENTAGE_POLL_UPDATED",
    "POST_CREATED",
    "POST_UPDATED",
    "QUESTION_CREATED",
    "QUESTION_UPDATED",
    "REACTION_CREATED",
    "REACTION_DELETED",
    "REPORTED_CONTENT_CREATED",
    "RSVP_CREATED",
    "RSVP_DELETED",
    "RSVP_UPDATED",
)
# In the enum, but without a webhook (or a payload schema) in the Admin API description.
UNPUBLISHED_PAYLOADS = frozenset(
    {"EVENT_CANCELED", "EVENT_INSTANCE_CANCELED", "MEMBER_LESSON_COMPLETED"}
)

EVENT_TYPE_SPELLINGS = ("pascal", "upper", "hook", "absent")
# The published number of retries after a failed delivery; the spacing is the emulator's own.
PUBLISHED_RETRIES = 5
DEFAULT_RETRY_DELAYS: tuple[float, ...] = (0.1, 0.2, 0.4, 0.8, 1.6)
DEFAULT_TIMEOUT = 5.0
USER_AGENT = "MightyEmulator-Webhooks"
# Ids of callbacks made here (the ones registered at start come first).
FIRST_CALLBACK_ID = 9_700_001
MAX_URL_LENGTH = 2048
# How long stop() waits for a delivery already on the wire before leaving it to finish alone.
STOP_GRACE = 1.0


def pascal_name(upper: str) -> str:
    """MEMBER_REMOVED_FROM_PLAN -> MemberRemovedFromPlan (the Admin API's spelling)."""
    return "".join(word.capitalize() for word in upper.split("_"))


def upper_name(pascal: str) -> str:
    """MemberRemovedFromPlan -> MEMBER_REMOVED_FROM_PLAN (the GraphQL enum's spelling)."""
    for name in WEBHOOK_EVENT_TYPES:
        if pascal_name(name) == pascal:
            return name
    raise ValueError(f"no webhook event is called {pascal!r}")


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def url_problem(url: object) -> str | None:
    """Why ``url`` cannot receive deliveries, or None when it can: https with a host, or plain
    http to a loopback host (so local development works)."""
    if not isinstance(url, str) or not url.strip():
        return "url must be an HTTPS URL."
    if len(url) > MAX_URL_LENGTH:
        return f"url must be at most {MAX_URL_LENGTH} characters."
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018  (a port that is not a number raises here)
    except ValueError:
        return "url is not a valid URL."
    if any(c.isspace() or ord(c) < 32 for c in url) or not host:
        return "url is not a valid URL."
    if parts.scheme == "https":
        return None
    if parts.scheme == "http" and _is_loopback(host):
        return None
    return "url must use https (plain http is accepted only for localhost and loopback addresses)."


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class WebhookCallback:
    """One registered endpoint, as it stands; the store replaces it on every change."""

    resource_id: int
    url: str
    api_key: str | None = field(repr=False)
    included_events: tuple[str, ...] | None  # UPPER_SNAKE names; None is every event
    created_at: str
    updated_at: str
    consecutive_failures: int = 0
    disabled_at: str | None = None

    @property
    def global_id(self) -> str:
        return encode_global_id("WebhookCallback", self.resource_id)

    @property
    def disabled(self) -> bool:
        return self.disabled_at is not None

    def wants(self, event_type: str) -> bool:
        """Whether this callback is sent the event (PascalCase name)."""
        if self.disabled:
            return False
        return self.included_events is None or upper_name(event_type) in self.included_events


@dataclass(frozen=True)
class WebhookAttempt:
    """One delivery attempt: what was sent where, and what came of it. ``status`` is the HTTP
    status of the answer, None when there was none (``error`` then names the failure)."""

    event_type: str  # PascalCase, whatever the body spelled
    event_id: str
    url: str
    attempt: int  # 1 for the first try, up to 1 + PUBLISHED_RETRIES
    status: int | None
    error: str | None
    callback_id: str  # the callback's global id

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@dataclass
class _Delivery:
    callback_id: int
    event_type: str
    event_id: str
    body: bytes
    attempt: int = 1
    due: float = 0.0  # time.monotonic() of the next attempt


class CallbackError(ValueError):
    """A callback cannot be made or changed as asked; the message says why."""


class Webhooks:
    """The network's webhook callbacks and the worker that delivers events to them.

    Thread-safe: the Admin API's handlers publish events and the Headless API manages the
    callbacks from the server's threads, while one worker thread (started by ``start``) posts
    the deliveries."""

    def __init__(
        self,
        *,
        event_type: str = "pascal",
        retry_delays: Sequence[float] = DEFAULT_RETRY_DELAYS,
        timeout: float = DEFAULT_TIMEOUT,
        disable_after: int | None = None,
        log: Callable[[str], None] = lambda line: None,
    ) -> None:
        if event_type not in EVENT_TYPE_SPELLINGS:
            raise ValueError(f"webhook_event_type must be one of {', '.join(EVENT_TYPE_SPELLINGS)}")
        delays = tuple(retry_delays)
        if len(delays) != PUBLISHED_RETRIES or not all(
            isinstance(d, int | float) and math.isfinite(d) and d >= 0 for d in delays
        ):
            raise ValueError(
                f"webhook_retry_delays must be {PUBLISHED_RETRIES} delays in seconds (the "
                "published number of retries), none negative"
            )
        if not (timeout > 0 and math.isfinite(timeout)):
            raise ValueError("webhook_timeout must be a positive number of seconds")
        if disable_after is not None and disable_after < 1:
            raise ValueError("webhook_disable_after must be at least 1")
        self._event_type = event_type
        self._delays = delays
        self._timeout = timeout
        self._disable_after = disable_after
        self._log = log
        self._condition = threading.Condition()
        self._callbacks: dict[int, WebhookCallback] = {}
        self._next_id = FIRST_CALLBACK_ID
        self._queues: dict[int, deque[_Delivery]] = {}
        self._in_flight: _Delivery | None = None
        self._attempts: list[WebhookAttempt] = []
        self._thread: threading.Thread | None = None
        self._stopped = False

    # -- the callbacks ---------------------------------------------------------------

    def register(
        self, url: str, api_key: str | None = None, included_events: Iterable[str] | None = None
    ) -> WebhookCallback:
        """A new callback; CallbackError when the url or the events cannot be used."""
        problem = url_problem(url)
        if problem is not None:
            raise CallbackError(problem)
        events = _events(included_events)
        now = _now()
        with self._condition:
            callback = WebhookCallback(
                self._next_id, url, api_key or None, events, created_at=now, updated_at=now
            )
            self._next_id += 1
            self._callbacks[callback.resource_id] = callback
        return callback

    def callbacks(self) -> list[WebhookCallback]:
        """Every callback, newest first (as ``Network.webhookCallbacks`` is published)."""
        with self._condition:
            found = list(self._callbacks.values())
        return sorted(found, key=lambda c: c.resource_id, reverse=True)

    def callback(self, resource_id: int) -> WebhookCallback | None:
        with self._condition:
            return self._callbacks.get(resource_id)

    def update(self, resource_id: int, changes: dict[str, Any]) -> WebhookCallback:
        """Change a callback's ``url``, ``api_key`` or ``included_events`` (the keys given);
        the change enables a disabled callback again. CallbackError for a bad value, KeyError
        for no such callback."""
        values: dict[str, Any] = {}
        if "url" in changes:
            problem = url_problem(changes["url"])
            if problem is not None:
                raise CallbackError(problem)
            values["url"] = changes["url"]
        if "api_key" in changes:
            values["api_key"] = changes["api_key"] or None
        if "included_events" in changes:
            values["included_events"] = _events(changes["included_events"])
        with self._condition:
            current = self._callbacks[resource_id]
            updated = replace(
                current, **values, updated_at=_now(), consecutive_failures=0, disabled_at=None
            )
            self._callbacks[resource_id] = updated
        return updated

    def delete(self, resource_id: int) -> bool:
        """Remove a callback and drop its pending deliveries; False when there was none."""
        with self._condition:
            if self._callbacks.pop(resource_id, None) is None:
                return False
            self._queues.pop(resource_id, None)
            self._condition.notify_all()
            return True

    # -- delivering ------------------------------------------------------------------

    def publish(self, event_type: str, payload: dict[str, Any]) -> None:
        """Queue one event (PascalCase name, published payload) for every enabled callback
        that wants it."""
        upper = upper_name(event_type)
        if upper in UNPUBLISHED_PAYLOADS:
            return
        with self._condition:
            if self._stopped:
                return
            targets = sorted(
                (c for c in self._callbacks.values() if c.wants(event_type)),
                key=lambda c: c.resource_id,
            )
            if not targets:
                return
            event_id = str(uuid.uuid4())
            body = self._envelope(event_type, upper, event_id, payload)
            now = time.monotonic()
            for callback in targets:
                queue = self._queues.setdefault(callback.resource_id, deque())
                queue.append(_Delivery(callback.resource_id, event_type, event_id, body, due=now))
            self._condition.notify_all()

    def _envelope(self, pascal: str, upper: str, event_id: str, payload: dict[str, Any]) -> bytes:
        envelope: dict[str, Any] = {"event_id": event_id, "event_timestamp": _now()}
        spelled = {"pascal": pascal, "upper": upper, "hook": pascal + "Hook"}.get(self._event_type)
        if spelled is not None:
            envelope["event_type"] = spelled
        envelope["payload"] = payload
        return json.dumps(envelope, ensure_ascii=False).encode("utf-8")

    def attempts(self) -> tuple[WebhookAttempt, ...]:
        with self._condition:
            return tuple(self._attempts)

    def _idle(self) -> bool:
        return self._in_flight is None and not any(self._queues.values())

    def wait(self, timeout: float) -> bool:
        """Wait until no delivery is pending, retries included; False when ``timeout``
        seconds pass first."""
        with self._condition:
            return self._condition.wait_for(self._idle, timeout=max(timeout, 0.0))

    def start(self) -> None:
        """Start the delivery worker; idempotent."""
        with self._condition:
            if self._thread is not None or self._stopped:
                return
            self._thread = threading.Thread(
                target=self._work, name="mighty-emulator-webhooks", daemon=True
            )
            self._thread.start()

    def stop(self) -> None:
        """Stop delivering: pending deliveries and retries are dropped at once; one already on
        the wire gets a moment to finish. Idempotent."""
        with self._condition:
            self._stopped = True
            self._queues.clear()
            self._condition.notify_all()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=STOP_GRACE)

    def _next(self) -> _Delivery | None:
        """The next delivery to attempt, once it is due; None once stopped. Holds the lock."""
        while not self._stopped:
            heads = [queue[0] for queue in self._queues.values() if queue]
            if not heads:
                self._condition.wait()
                continue
            head = min(heads, key=lambda d: d.due)
            wait = head.due - time.monotonic()
            if wait > 0:
                self._condition.wait(wait)
                continue
            self._in_flight = head
            return head
        return None

    def _work(self) -> None:
        client = httpx.Client(timeout=self._timeout, follow_redirects=False, trust_env=False)
        try:
            while True:
                with self._condition:
                    delivery = self._next()
                    if delivery is None:
                        return
                    callback = self._callbacks.get(delivery.callback_id)
                if callback is None:  # deleted since; its queue went with it
                    with self._condition:
                        self._in_flight = None
                        self._condition.notify_all()
                    continue
                status, error = _post(client, callback, delivery.body)
                self._settle(delivery, callback, status, error)
        finally:
            client.close()

    def _settle(
        self, delivery: _Delivery, sent_to: WebhookCallback, status: int | None, error: str | None
    ) -> None:
        attempt = WebhookAttempt(
            delivery.event_type,
            delivery.event_id,
            sent_to.url,
            delivery.attempt,
            status,
            error,
            sent_to.global_id,
        )
        outcome = f"{status}" if status is not None else f"failed ({error})"
        self._log(
            f"webhook {delivery.event_type} -> {_loggable(sent_to.url)} {outcome} "
            f"(attempt {delivery.attempt} of {1 + PUBLISHED_RETRIES})"
        )
        with self._condition:
            self._attempts.append(attempt)
            self._in_flight = None
            queue = self._queues.get(delivery.callback_id)
            current = self._callbacks.get(delivery.callback_id)
            if current is not None:
                self._count(current, attempt.delivered)
            finished = attempt.delivered or delivery.attempt > len(self._delays)
            if queue and queue[0] is delivery:
                if finished:
                    queue.popleft()
                else:
                    delivery.due = time.monotonic() + self._delays[delivery.attempt - 1]
                    delivery.attempt += 1
            self._condition.notify_all()

    def _count(self, callback: WebhookCallback, delivered: bool) -> None:
        """Keep a callback's failure count (and disable it at the threshold). Holds the lock."""
        if delivered:
            updated = replace(callback, consecutive_failures=0)
        else:
            failures = callback.consecutive_failures + 1
            updated = replace(callback, consecutive_failures=failures)
            if self._disable_after is not None and failures >= self._disable_after:
                now = _now()
                updated = replace(updated, disabled_at=now, updated_at=now)
                self._queues.pop(callback.resource_id, None)
        self._callbacks[callback.resource_id] = updated


def _events(included: Iterable[str] | None) -> tuple[str, ...] | None:
    """Included events as UPPER_SNAKE names, duplicates dropped; None is every event."""
    if included is None:
        return None
    if isinstance(included, str):
        raise CallbackError("includedEvents must be a list of event names.")
    names = list(dict.fromkeys(included))
    if not names:
        raise CallbackError(
            "includedEvents cannot be an empty list: leave it out (or pass null) for every event."
        )
    unknown = [n for n in names if n not in WEBHOOK_EVENT_TYPES]
    if unknown:
        raise CallbackError(f"includedEvents has unknown events: {', '.join(unknown)}.")
    return tuple(names)


def _post(
    client: httpx.Client, callback: WebhookCallback, body: bytes
) -> tuple[int | None, str | None]:
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
    if callback.api_key:
        # Modelled on a maintained client library's reading: the secret, verbatim.
        headers["Authorization"] = f"Bearer {callback.api_key}"
    try:
        response = client.post(callback.url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        return None, type(exc).__name__
    except Exception as exc:  # a closed client at stop, an odd URL: a failed attempt all the same
        return None, type(exc).__name__
    return response.status_code, None


def _loggable(url: str) -> str:
    """The URL without its query, fragment or user information, which may carry secrets."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"
