"""The emulator delivers webhooks: each change it models posts its event, as published, to a real
receiver on 127.0.0.1; failed deliveries are retried as published; callbacks are managed through
the Headless API's webhook callback operations, over HTTP, with a host's OAuth token."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import test_admin_contract as contract
from conftest import free_port
from localserver import Reply, Request, Server, serve
from test_emulator import graphql, http_client, login

from mightycli.emulator import ADMIN_API_TOKEN, NETWORK_ID, Emulator
from mightycli.emulator.webhooks import (
    PUBLISHED_RETRIES,
    UNPUBLISHED_PAYLOADS,
    WEBHOOK_EVENT_TYPES,
    pascal_name,
)

SECRET = "whsec-emulator-test"
FAST = (0.01, 0.01, 0.01, 0.01, 0.01)  # retry delays short enough for a test
ADA, GRACE, ALAN, LIN = 5_000_001, 5_000_002, 5_000_003, 5_000_004
WELCOME, ANNOUNCEMENTS = 7_001, 7_002
VIP, SPEAKER, MENTOR = 3_201, 3_202, 3_203
GOLD, SILVER, FOUNDERS, COMMUNITY = 3_001, 3_002, 3_003, 3_004
OFFICE_HOURS = 3_401
HOST_SCOPES = "host:read:network host:write:network_integrations"
WEBHOOKS = contract.WEBHOOKS


# --------------------------------------------------------------------------- helpers


def header(request: Request, name: str) -> str | None:
    for key, value in request.headers.items():
        if key.lower() == name.lower():
            return value
    return None


def body_of(request: Request) -> dict[str, Any]:
    decoded: dict[str, Any] = json.loads(request.body)
    return decoded


def check_delivery(request: Request, secret: str | None = SECRET) -> dict[str, Any]:
    """A delivery as the published contract and the modelled headers have it: its body."""
    assert request.method == "POST"
    assert header(request, "content-type") == "application/json"
    assert (header(request, "user-agent") or "").startswith("MightyEmulator-Webhooks")
    assert header(request, "authorization") == (f"Bearer {secret}" if secret else None)
    body = body_of(request)
    event = body["event_type"]
    assert event in WEBHOOKS, event
    assert str(uuid.UUID(body["event_id"])) == body["event_id"]
    stamp = datetime.fromisoformat(body["event_timestamp"].replace("Z", "+00:00"))
    assert stamp.tzinfo is not None
    assert abs((datetime.now(UTC) - stamp).total_seconds()) < 300
    published = {k: v for k, v in body.items() if k != "event_type"}
    contract.webhook_validator(event).validate(published)
    return body


@dataclass
class Network:
    """An emulator delivering to a local receiver, and an Admin API client for it."""

    emulator: Emulator
    receiver: Server
    admin: httpx.Client

    def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = self.admin.request(method, f"/admin/v1/networks/{NETWORK_ID}/{path}", **kwargs)
        assert response.status_code < 300, (method, path, response.text)
        return response

    def delivered(self) -> list[dict[str, Any]]:
        """Every delivery received once the emulator has none pending, checked, in order."""
        assert self.emulator.wait_for_webhooks(10)
        return [check_delivery(r) for r in self.receiver.requests]


def answering(*statuses: int) -> Callable[[Request], Reply]:
    """A route answering these statuses in turn, then 200 for ever."""
    queue = list(statuses)
    lock = threading.Lock()

    def route(_request: Request) -> Reply:
        with lock:
            status = queue.pop(0) if queue else 200
        return Reply(status, {})

    return route


@pytest.fixture
def receiver() -> Iterator[Server]:
    with serve({("POST", "/hooks"): Reply(200, {})}) as server:
        yield server


@pytest.fixture
def network(receiver: Server) -> Iterator[Network]:
    emulator = Emulator(
        webhook_url=f"{receiver.url}/hooks", webhook_secret=SECRET, webhook_retry_delays=FAST
    )
    headers = {"Authorization": f"Bearer {ADMIN_API_TOKEN}"}
    with emulator, http_client(emulator.url, headers=headers) as admin:
        yield Network(emulator, receiver, admin)


# --------------------------------------------------------------------------- the catalogue


def test_the_event_names_are_the_published_enum_and_webhooks() -> None:
    sdl = (Path(__file__).parent / "data" / "published_headless_subset.graphql").read_text()
    enum = sdl.split("enum WebhookEventType {", 1)[1].split("}", 1)[0].split()
    assert sorted(WEBHOOK_EVENT_TYPES) == sorted(enum) and len(enum) == 47
    with_payload = {pascal_name(n) for n in WEBHOOK_EVENT_TYPES if n not in UNPUBLISHED_PAYLOADS}
    assert with_payload == set(WEBHOOKS)


# --------------------------------------------------------------------------- each change

Check = Callable[[dict[str, Any]], bool]


def _post(post_type: str | None) -> Callable[[Network], None]:
    def change(net: Network) -> None:
        body = {"space_id": WELCOME, "title": "Hello", "description": "<p>Hi <b>all</b></p>"}
        if post_type is not None:
            body["post_type"] = post_type
        net.call("POST", "posts", json=body)

    return change


def _post_updated(post_type: str | None) -> Callable[[Network], None]:
    def change(net: Network) -> None:
        body = {
            "space_id": WELCOME,
            "title": "Hello",
            **({"post_type": post_type} if post_type else {}),
        }
        created = net.call("POST", "posts", json=body).json()
        net.call("PATCH", f"posts/{created['id']}/", json={"title": "Hello again"})

    return change


def _event_updated(net: Network) -> None:
    net.call("PUT", f"events/{OFFICE_HOURS}/", json={"location": "Online"})


def _event_created(net: Network) -> None:
    body = {
        "title": "Meetup",
        "event_type": "online_meeting",
        "space_id": WELCOME,
        "starts_at": "2026-12-01T18:00:00Z",
        "ends_at": "2026-12-01T19:00:00Z",
    }
    net.call("POST", "events", json=body)


# (what changes, then each delivery expected in order: its event and what its payload shows)
CHANGES: dict[str, tuple[Callable[[Network], object], list[tuple[str, Check]]]] = {
    "a member added to a space": (
        lambda n: n.call("POST", f"spaces/{ANNOUNCEMENTS}/members", params={"user_id": ALAN}),
        [("MemberJoined", lambda p: (p["member"]["id"], p["space_id"]) == (ALAN, ANNOUNCEMENTS))],
    ),
    "a member created, who joins Welcome": (
        lambda n: n.call(
            "POST",
            "members",
            json={"email": "new@example.com", "first_name": "N", "last_name": "P"},
        ),
        [
            (
                "MemberJoined",
                lambda p: p["member"]["email"] == "new@example.com" and p["space_id"] == WELCOME,
            )
        ],
    ),
    "a member removed from a space": (
        lambda n: n.call("DELETE", f"spaces/{ANNOUNCEMENTS}/members/{GRACE}/"),
        [("MemberLeft", lambda p: (p["member"]["id"], p["space_id"]) == (GRACE, ANNOUNCEMENTS))],
    ),
    "a member banned from a space": (
        lambda n: n.call(
            "POST", f"spaces/{WELCOME}/members/{ALAN}/ban", json={"ban_reason": "spam"}
        ),
        [("MemberLeft", lambda p: (p["member"]["id"], p["space_id"]) == (ALAN, WELCOME))],
    ),
    "a member removed from the network leaves each space": (
        lambda n: n.call("DELETE", f"members/{GRACE}/network_membership"),
        [
            ("MemberLeft", lambda p: (p["member"]["id"], p["space_id"]) == (GRACE, WELCOME)),
            ("MemberLeft", lambda p: (p["member"]["id"], p["space_id"]) == (GRACE, ANNOUNCEMENTS)),
        ],
    ),
    "a member updated": (
        lambda n: n.call("PATCH", f"members/{ALAN}/", json={"first_name": "Al"}),
        [("MemberUpdated", lambda p: p["member"]["first_name"] == "Al" and "space_id" not in p)],
    ),
    "a member updated through a space": (
        lambda n: n.call("PUT", f"spaces/{WELCOME}/members/{ALAN}/", json={"role": "moderator"}),
        [("MemberUpdated", lambda p: p["member"]["id"] == ALAN and p["space_id"] == WELCOME)],
    ),
    "a tag given": (
        lambda n: n.call("POST", f"members/{LIN}/tags", json={"tag_id": MENTOR}),
        [("MemberTagAdded", lambda p: (p["member"]["id"], p["tag"]["id"]) == (LIN, MENTOR))],
    ),
    "a tag taken off": (
        lambda n: n.call("DELETE", f"members/{ALAN}/tags/{SPEAKER}/"),
        [("MemberTagRemoved", lambda p: (p["member"]["id"], p["tag"]["id"]) == (ALAN, SPEAKER))],
    ),
    "a free plan granted": (
        lambda n: n.call("POST", f"plans/{COMMUNITY}/members", params={"user_id": ALAN}),
        [
            (
                "MemberPurchased",
                lambda p: (
                    p["member_id"] == ALAN
                    and p["plan"]["id"] == COMMUNITY
                    and p["plan"]["type"] == "free"
                    and p["plan"]["amount"] == 0
                ),
            )
        ],
    ),
    "a subscribed plan revoked": (
        lambda n: n.call("DELETE", f"plans/{GOLD}/members/{GRACE}/"),
        [
            (
                "MemberRemovedFromPlan",
                lambda p: (
                    p["member_id"] == GRACE
                    and p["plan"]["id"] == GOLD
                    and p["subscription"]["id"] == 3_601
                    and "canceled_at" in p["subscription"]
                ),
            )
        ],
    ),
    "a purchased plan revoked": (
        lambda n: n.call("DELETE", f"plans/{FOUNDERS}/members/{ALAN}/"),
        [
            (
                "MemberRemovedFromPlan",
                lambda p: p["member_id"] == ALAN and p["subscription"]["id"] == 3_702,
            )
        ],
    ),
    "a granted plan revoked": (
        lambda n: n.call("DELETE", f"plans/{COMMUNITY}/members/{LIN}/"),
        [
            (
                "MemberRemovedFromPlan",
                lambda p: p["member_id"] == LIN and p["plan"]["id"] == COMMUNITY,
            )
        ],
    ),
    "a post created": (_post("post"), [("PostCreated", lambda p: p["summary"] == "Hi all")]),
    "a post created without a type": (
        _post(None),
        [("PostCreated", lambda p: p["post_type"] == "post")],
    ),
    "an article created": (
        _post("article"),
        [("ArticleCreated", lambda p: p["post_type"] == "article")],
    ),
    "a question created": (
        _post("question"),
        [("QuestionCreated", lambda p: p["post_type"] == "question")],
    ),
    "a post updated": (
        _post_updated(None),
        [("PostCreated", lambda p: True), ("PostUpdated", lambda p: p["title"] == "Hello again")],
    ),
    "an article updated": (
        _post_updated("article"),
        [
            ("ArticleCreated", lambda p: True),
            ("ArticleUpdated", lambda p: p["title"] == "Hello again"),
        ],
    ),
    "an event created": (
        _event_created,
        [("EventCreated", lambda p: p["title"] == "Meetup" and p["space"]["id"] == WELCOME)],
    ),
    "an event updated": (
        _event_updated,
        [("EventUpdated", lambda p: p["id"] == OFFICE_HOURS and p["location"] == "Online")],
    ),
    "an RSVP made": (
        lambda n: n.call(
            "POST", f"events/{OFFICE_HOURS}/rsvps", json={"member_id": ALAN, "status": "yes"}
        ),
        [
            (
                "RsvpCreated",
                lambda p: (
                    (p["member"]["id"], p["status"], p["event"]["id"])
                    == (ALAN, "yes", OFFICE_HOURS)
                ),
            )
        ],
    ),
    "an RSVP changed": (
        lambda n: n.call(
            "POST", f"events/{OFFICE_HOURS}/rsvps", json={"member_id": ADA, "status": "no"}
        ),
        [
            (
                "RsvpUpdated",
                lambda p: (p["member"]["id"], p["status"], p["id"]) == (ADA, "no", 3_501),
            )
        ],
    ),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_each_change_delivers_its_published_event(network: Network, change: str) -> None:
    make, expected = CHANGES[change]
    make(network)
    bodies = network.delivered()
    assert [b["event_type"] for b in bodies] == [event for event, _ in expected]
    for body, (event, shows) in zip(bodies, expected, strict=True):
        assert shows(body["payload"]), (event, body["payload"])
    assert len({b["event_id"] for b in bodies}) == len(bodies)
    attempts = network.emulator.webhook_attempts
    assert [(a.event_type, a.attempt, a.status) for a in attempts] == [
        (event, 1, 200) for event, _ in expected
    ]
    assert [a.event_id for a in attempts] == [b["event_id"] for b in bodies]


def test_changes_that_change_nothing_deliver_nothing(network: Network) -> None:
    network.call("POST", f"spaces/{WELCOME}/members", params={"user_id": ADA})  # in it already
    network.call("POST", f"members/{GRACE}/tags", json={"tag_id": VIP})  # carries it already
    network.call("PATCH", f"members/{ALAN}/", json={"first_name": "Alan"})  # the same name
    answer = {"member_id": ADA, "status": "yes"}  # the answer Ada gave already
    network.call("POST", f"events/{OFFICE_HOURS}/rsvps", json=answer)
    network.call("POST", "tags", json={"title": "Volunteers"})  # no webhook for a new tag
    network.call("POST", f"spaces/{ANNOUNCEMENTS}/members", params={"user_id": LIN})  # one change
    assert [b["event_type"] for b in network.delivered()] == ["MemberJoined"]


def test_events_arrive_in_the_order_of_the_changes(network: Network) -> None:
    network.call("POST", f"spaces/{ANNOUNCEMENTS}/members", params={"user_id": ALAN})
    network.call("POST", f"members/{ALAN}/tags", json={"tag_id": MENTOR})
    network.call("DELETE", f"spaces/{ANNOUNCEMENTS}/members/{ALAN}/")
    network.call("DELETE", f"members/{ALAN}/tags/{MENTOR}/")
    assert [b["event_type"] for b in network.delivered()] == [
        "MemberJoined", "MemberTagAdded", "MemberLeft", "MemberTagRemoved",
    ]  # fmt: skip


# --------------------------------------------------------------------------- retries


def test_a_failed_delivery_is_retried_until_it_succeeds(network: Network) -> None:
    network.receiver.routes[("POST", "/hooks")] = answering(503, 500, 502)
    network.call("POST", f"spaces/{ANNOUNCEMENTS}/members", params={"user_id": ALAN})
    bodies = network.delivered()
    assert len(bodies) == 4 and len({json.dumps(b, sort_keys=True) for b in bodies}) == 1
    attempts = network.emulator.webhook_attempts
    assert [(a.attempt, a.status, a.delivered) for a in attempts] == [
        (1, 503, False), (2, 500, False), (3, 502, False), (4, 200, True),
    ]  # fmt: skip
    assert {a.event_id for a in attempts} == {bodies[0]["event_id"]}
    (callback,) = network.emulator.webhook_callbacks
    assert callback.consecutive_failures == 0 and not callback.disabled


def test_a_delivery_is_given_up_after_six_attempts(network: Network) -> None:
    network.receiver.routes[("POST", "/hooks")] = Reply(500, {})
    network.call("POST", f"spaces/{ANNOUNCEMENTS}/members", params={"user_id": ALAN})
    assert network.emulator.wait_for_webhooks(10)
    assert [a.attempt for a in network.emulator.webhook_attempts] == [1, 2, 3, 4, 5, 6]
    assert len(network.receiver.requests) == 1 + PUBLISHED_RETRIES
    (callback,) = network.emulator.webhook_callbacks
    assert callback.consecutive_failures == 6 and not callback.disabled  # no threshold set
    # The next event is delivered, and a success resets the count.
    network.receiver.routes[("POST", "/hooks")] = Reply(204)
    network.call("DELETE", f"spaces/{ANNOUNCEMENTS}/members/{ALAN}/")
    assert network.emulator.wait_for_webhooks(10)
    assert [b["event_type"] for b in map(body_of, network.receiver.requests)][-1] == "MemberLeft"
    assert network.emulator.webhook_callbacks[0].consecutive_failures == 0


def test_a_redirect_is_a_failed_delivery_and_is_not_followed(network: Network) -> None:
    elsewhere = {"Location": f"{network.receiver.url}/elsewhere"}
    network.receiver.routes[("POST", "/hooks")] = Reply(307, {}, headers=elsewhere)
    network.receiver.routes[("POST", "/elsewhere")] = Reply(200, {})
    network.call("POST", f"spaces/{ANNOUNCEMENTS}/members", params={"user_id": ALAN})
    assert network.emulator.wait_for_webhooks(10)
    assert {a.status for a in network.emulator.webhook_attempts} == {307}
    assert {r.path for r in network.receiver.requests} == {"/hooks"}


def test_a_refused_connection_is_a_failed_attempt() -> None:
    closed = f"http://127.0.0.1:{free_port()}/hooks"  # nothing listens there
    headers = {"Authorization": f"Bearer {ADMIN_API_TOKEN}"}
    with Emulator(webhook_url=closed, webhook_retry_delays=FAST) as emulator:
        with http_client(emulator.url, headers=headers) as admin:
            path = f"/admin/v1/networks/{NETWORK_ID}/spaces/{ANNOUNCEMENTS}/members"
            assert admin.post(path, params={"user_id": ALAN}).status_code == 200
        assert emulator.wait_for_webhooks(10)
        attempts = emulator.webhook_attempts
        callback = emulator.webhook_callbacks[0]
    assert [(a.attempt, a.status, a.error) for a in attempts] == [
        (n, None, "ConnectError") for n in range(1, 7)
    ]
    assert callback.consecutive_failures == 6


def test_later_events_wait_for_an_earlier_one_being_retried(network: Network) -> None:
    network.receiver.routes[("POST", "/hooks")] = answering(500, 500)
    network.call("POST", f"spaces/{ANNOUNCEMENTS}/members", params={"user_id": ALAN})
    network.call("DELETE", f"spaces/{ANNOUNCEMENTS}/members/{ALAN}/")
    received = [b["event_type"] for b in network.delivered()]
    assert received == ["MemberJoined", "MemberJoined", "MemberJoined", "MemberLeft"]


def test_a_callback_can_be_disabled_after_repeated_failures(receiver: Server) -> None:
    receiver.routes[("POST", "/hooks")] = Reply(500, {})
    emulator = Emulator(
        webhook_url=f"{receiver.url}/hooks", webhook_retry_delays=FAST, webhook_disable_after=3
    )
    headers = {"Authorization": f"Bearer {ADMIN_API_TOKEN}"}
    with emulator, http_client(emulator.url, headers=headers) as admin:
        base = f"/admin/v1/networks/{NETWORK_ID}/spaces/{ANNOUNCEMENTS}/members"
        admin.post(base, params={"user_id": ALAN})
        assert emulator.wait_for_webhooks(10)
        (callback,) = emulator.webhook_callbacks
        assert callback.disabled and callback.disabled_at is not None
        assert callback.consecutive_failures == 3
        assert len(emulator.webhook_attempts) == 3  # the rest of its retries were dropped
        admin.delete(f"{base}/{ALAN}/")  # a disabled callback is sent nothing
        assert emulator.wait_for_webhooks(10) and len(receiver.requests) == 3
        # Updating the callback (fixing its endpoint) enables it again.
        with http_client(emulator.url) as http:
            token = login(http, scope=HOST_SCOPES)["access_token"]
            query = "mutation($id: ID!) { updateWebhookCallback(input: {id: $id}) { errors webhookCallback { disabled disabledAt consecutiveFailures } } }"
            answer = graphql(http, token, query, {"id": callback.global_id}).json()["data"]
        assert answer["updateWebhookCallback"] == {
            "errors": [],
            "webhookCallback": {"disabled": False, "disabledAt": None, "consecutiveFailures": 0},
        }
        receiver.routes[("POST", "/hooks")] = Reply(200, {})
        admin.post(base, params={"user_id": ALAN})
        assert emulator.wait_for_webhooks(10)
        assert body_of(receiver.requests[-1])["event_type"] == "MemberJoined"


def test_wait_for_webhooks_says_when_deliveries_are_still_pending(receiver: Server) -> None:
    receiver.routes[("POST", "/hooks")] = Reply(500, {})
    slow = (30.0, 30.0, 30.0, 30.0, 30.0)
    emulator = Emulator(webhook_url=f"{receiver.url}/hooks", webhook_retry_delays=slow)
    headers = {"Authorization": f"Bearer {ADMIN_API_TOKEN}"}
    with emulator, http_client(emulator.url, headers=headers) as admin:
        path = f"/admin/v1/networks/{NETWORK_ID}/spaces/{ANNOUNCEMENTS}/members"
        admin.post(path, params={"user_id": ALAN})
        assert not emulator.wait_for_webhooks(0.3)  # the first retry is 30 s away
        assert [a.attempt for a in emulator.webhook_attempts] == [1]
        # stop() drops the pending retry at once rather than waiting for it.
        stopper = threading.Thread(target=emulator.stop)
        stopper.start()
        stopper.join(timeout=10)
        assert not stopper.is_alive()
        assert emulator.wait_for_webhooks(0)
    assert len(receiver.requests) == 1


# --------------------------------------------------------------------------- what is sent


@pytest.mark.parametrize(
    ("style", "spelled"),
    [
        ("pascal", "MemberJoined"),
        ("upper", "MEMBER_JOINED"),
        ("hook", "MemberJoinedHook"),
        ("absent", None),
    ],
)
def test_the_event_type_spelling_is_selectable(
    receiver: Server, style: str, spelled: str | None
) -> None:
    emulator = Emulator(webhook_url=f"{receiver.url}/hooks", webhook_event_type=style)
    headers = {"Authorization": f"Bearer {ADMIN_API_TOKEN}"}
    with emulator, http_client(emulator.url, headers=headers) as admin:
        path = f"/admin/v1/networks/{NETWORK_ID}/spaces/{ANNOUNCEMENTS}/members"
        admin.post(path, params={"user_id": ALAN})
        assert emulator.wait_for_webhooks(10)
    (request,) = receiver.requests
    body = body_of(request)
    assert body.get("event_type") == spelled
    assert ("event_type" in body) == (spelled is not None)
    if spelled is None:  # the body is then exactly the published envelope
        contract.webhook_validator("MemberJoined").validate(body)
    assert header(request, "authorization") is None  # no secret, no header


def test_the_secret_is_sent_but_never_shown(
    receiver: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator = Emulator(
        webhook_url=f"{receiver.url}/hooks?token=query-canary", webhook_secret=SECRET, quiet=False
    )
    headers = {"Authorization": f"Bearer {ADMIN_API_TOKEN}"}
    with emulator, http_client(emulator.url, headers=headers) as admin:
        path = f"/admin/v1/networks/{NETWORK_ID}/spaces/{ANNOUNCEMENTS}/members"
        admin.post(path, params={"user_id": ALAN})
        assert emulator.wait_for_webhooks(10)
        shown = repr(emulator.webhook_callbacks) + repr(emulator.webhook_attempts)
    (request,) = receiver.requests
    assert header(request, "authorization") == f"Bearer {SECRET}"
    logged = capsys.readouterr().err
    assert "webhook MemberJoined -> " in logged and " 200 (attempt 1 of 6)" in logged
    for text in (logged, shown):
        assert SECRET not in text
    assert "query-canary" not in logged


def test_bad_settings_are_refused_at_construction() -> None:
    for settings in (
        {"webhook_url": "http://example.com/hooks"},  # plain http off loopback
        {"webhook_url": "ftp://127.0.0.1/hooks"},
        {"webhook_url": "https://"},
        {"webhook_event_type": "camel"},
        {"webhook_retry_delays": (0.1, 0.1)},  # the published count is 5 retries
        {"webhook_retry_delays": (0.1, 0.1, 0.1, 0.1, -1.0)},
        {"webhook_timeout": 0},
        {"webhook_disable_after": 0},
    ):
        with pytest.raises(ValueError):
            Emulator(**settings)
    urls = ("https://hooks.example.com/in", "http://localhost:9/a", "http://[::1]:9/b")
    assert len(Emulator(webhook_url=urls).webhook_callbacks) == 3


# --------------------------------------------------------------------------- GraphQL


CALLBACK_FIELDS = "id resourceId url apiKey includedEvents disabled disabledAt consecutiveFailures createdAt updatedAt"
CREATE = f"mutation($input: CreateWebhookCallbackInput!) {{ createWebhookCallback(input: $input) {{ clientMutationId errors webhookCallback {{ {CALLBACK_FIELDS} }} }} }}"
UPDATE = f"mutation($input: UpdateWebhookCallbackInput!) {{ updateWebhookCallback(input: $input) {{ errors webhookCallback {{ {CALLBACK_FIELDS} }} }} }}"
DELETE = "mutation($input: DeleteWebhookCallbackInput!) { deleteWebhookCallback(input: $input) { clientMutationId errors deletedId } }"
LIST = "query($first: Int, $after: String) { network { webhookCallbacks(first: $first, after: $after) { pageInfo { hasNextPage endCursor } nodes { id url includedEvents } } } }"


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator(webhook_retry_delays=FAST) as server:
        yield server


@pytest.fixture
def http(emu: Emulator) -> Iterator[httpx.Client]:
    with http_client(emu.url) as client:
        yield client


def run(http: httpx.Client, token: str, query: str, **variables: Any) -> dict[str, Any]:
    response = graphql(http, token, query, variables)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_callbacks_are_created_listed_updated_and_deleted(
    emu: Emulator, http: httpx.Client, receiver: Server
) -> None:
    token = login(http, scope=HOST_SCOPES)["access_token"]
    url = f"{receiver.url}/hooks"
    made = run(http, token, CREATE, input={"url": url, "apiKey": "k1", "clientMutationId": "c1"})
    created = made["data"]["createWebhookCallback"]
    assert created["errors"] == [] and created["clientMutationId"] == "c1"
    callback = created["webhookCallback"]
    assert callback["url"] == url and callback["apiKey"] == "k1"
    assert callback["includedEvents"] is None  # every event
    assert (callback["disabled"], callback["disabledAt"], callback["consecutiveFailures"]) == (
        False,
        None,
        0,
    )
    assert int(callback["resourceId"]) > 0 and callback["id"] != callback["resourceId"]
    other = run(
        http,
        token,
        CREATE,
        input={"url": "https://hooks.example.com/x", "includedEvents": ["POST_CREATED"]},
    )
    second = other["data"]["createWebhookCallback"]["webhookCallback"]
    assert second["includedEvents"] == ["POST_CREATED"] and second["apiKey"] is None
    # Listed newest first, a page at a time.
    page = run(http, token, LIST, first=1)["data"]["network"]["webhookCallbacks"]
    assert [n["id"] for n in page["nodes"]] == [second["id"]] and page["pageInfo"]["hasNextPage"]
    rest = run(http, token, LIST, first=1, after=page["pageInfo"]["endCursor"])
    assert [n["id"] for n in rest["data"]["network"]["webhookCallbacks"]["nodes"]] == [
        callback["id"]
    ]
    node = run(
        http,
        token,
        "query($id: ID!) { node(id: $id) { ... on WebhookCallback { url } } }",
        id=callback["id"],
    )
    assert node["data"]["node"] == {"url": url}
    # Update by resource id: only what is given changes.
    changed = run(
        http,
        token,
        UPDATE,
        input={"id": callback["resourceId"], "includedEvents": ["MEMBER_JOINED", "MEMBER_LEFT"]},
    )
    updated = changed["data"]["updateWebhookCallback"]["webhookCallback"]
    assert updated["includedEvents"] == ["MEMBER_JOINED", "MEMBER_LEFT"]
    assert (updated["url"], updated["apiKey"], updated["createdAt"]) == (
        url,
        "k1",
        callback["createdAt"],
    )
    everything = run(
        http, token, UPDATE, input={"id": callback["id"], "includedEvents": None, "apiKey": None}
    )
    assert everything["data"]["updateWebhookCallback"]["webhookCallback"]["includedEvents"] is None
    assert everything["data"]["updateWebhookCallback"]["webhookCallback"]["apiKey"] is None
    # Delete by global id; a second delete finds nothing.
    gone = run(http, token, DELETE, input={"id": second["id"], "clientMutationId": "d"})
    assert gone["data"]["deleteWebhookCallback"] == {
        "clientMutationId": "d",
        "errors": [],
        "deletedId": second["id"],
    }
    again = run(http, token, DELETE, input={"id": second["id"]})["data"]["deleteWebhookCallback"]
    assert again["deletedId"] is None and again["errors"]
    listed = run(http, token, LIST)["data"]["network"]["webhookCallbacks"]["nodes"]
    assert [n["id"] for n in listed] == [callback["id"]]
    assert [c.global_id for c in emu.webhook_callbacks] == [callback["id"]]


def test_a_created_callback_is_delivered_the_events_it_includes(
    emu: Emulator, http: httpx.Client, receiver: Server
) -> None:
    token = login(http, scope=HOST_SCOPES)["access_token"]
    receiver.routes[("POST", "/all")] = Reply(200, {})
    receiver.routes[("POST", "/left")] = Reply(200, {})
    run(http, token, CREATE, input={"url": f"{receiver.url}/all", "apiKey": "all-key"})
    only = {
        "url": f"{receiver.url}/left",
        "apiKey": "left-key",
        "includedEvents": ["MEMBER_LEFT", "RSVP_CREATED"],
    }
    run(http, token, CREATE, input=only)
    headers = {"Authorization": f"Bearer {ADMIN_API_TOKEN}"}
    with http_client(emu.url, headers=headers) as admin:
        path = f"/admin/v1/networks/{NETWORK_ID}/spaces/{ANNOUNCEMENTS}/members"
        admin.post(path, params={"user_id": ALAN})
        admin.delete(f"{path}/{ALAN}/")
    assert emu.wait_for_webhooks(10)
    by_path: dict[str, list[str]] = {}
    for request in receiver.requests:
        secret = "all-key" if request.path == "/all" else "left-key"
        by_path.setdefault(request.path, []).append(check_delivery(request, secret)["event_type"])
    assert by_path == {"/all": ["MemberJoined", "MemberLeft"], "/left": ["MemberLeft"]}
    # One event has one event_id, whichever callback it goes to.
    left = [
        body_of(r)["event_id"]
        for r in receiver.requests
        if body_of(r)["event_type"] == "MemberLeft"
    ]
    assert len(left) == 2 and len(set(left)) == 1


def test_bad_urls_and_an_empty_event_list_are_refused_in_errors(http: httpx.Client) -> None:
    token = login(http, scope=HOST_SCOPES)["access_token"]
    for url in ("http://hooks.example.com/in", "ftp://127.0.0.1/in", "not a url", "https://", ""):
        answer = run(http, token, CREATE, input={"url": url})["data"]["createWebhookCallback"]
        assert answer["webhookCallback"] is None and answer["errors"], url
    empty = run(
        http, token, CREATE, input={"url": "https://hooks.example.com/in", "includedEvents": []}
    )
    assert empty["data"]["createWebhookCallback"]["webhookCallback"] is None
    assert "empty" in empty["data"]["createWebhookCallback"]["errors"][0]
    assert run(http, token, LIST)["data"]["network"]["webhookCallbacks"]["nodes"] == []
    made = run(http, token, CREATE, input={"url": "http://localhost:8787/in"})["data"]
    callback = made["createWebhookCallback"]["webhookCallback"]
    refused: list[dict[str, Any]] = [{"includedEvents": []}, {"url": "http://hooks.example.com/in"}]
    for change in refused:
        answer = run(http, token, UPDATE, input={"id": callback["id"], **change})["data"]
        assert answer["updateWebhookCallback"]["webhookCallback"] is None, change
        assert answer["updateWebhookCallback"]["errors"], change
    missing = run(http, token, UPDATE, input={"id": "9", "url": "https://x.example.com/"})["data"]
    assert missing["updateWebhookCallback"]["errors"]
    invented = run(
        http,
        token,
        CREATE,
        input={"url": "https://x.example.com/", "includedEvents": ["MEMBER_DANCED"]},
    )
    assert invented["errors"] and invented.get("data") is None


def test_a_member_token_may_not_read_or_manage_callbacks() -> None:
    with Emulator(
        signed_in_member="Alan Turing", webhook_url="https://hooks.example.com/in"
    ) as emulator:
        with http_client(emulator.url) as http:
            token = login(http, scope="read:userinfo read:network")["access_token"]
            listed = run(http, token, LIST)
            made = run(http, token, CREATE, input={"url": "https://hooks.example.com/x"})
            gone = run(http, token, DELETE, input={"id": "9700001"})
        assert len(emulator.webhook_callbacks) == 1
    assert listed["data"]["network"]["webhookCallbacks"] is None
    for answer in (listed, made, gone):
        assert answer["errors"][0]["extensions"]["code"] == "FORBIDDEN", answer


def test_a_host_token_without_the_integrations_scope_may_read_but_not_write(
    http: httpx.Client,
) -> None:
    token = login(http, scope="host:read:network")["access_token"]
    assert run(http, token, LIST)["data"]["network"]["webhookCallbacks"]["nodes"] == []
    made = run(http, token, CREATE, input={"url": "https://hooks.example.com/x"})
    assert made["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert made["data"] == {"createWebhookCallback": None}


# --------------------------------------------------------------------------- the command line


def test_mighty_emulator_delivers_to_webhook_url_with_the_secret_from_the_environment(
    receiver: Server,
) -> None:
    env = {**os.environ, "MIGHTY_WEBHOOK_SECRET": SECRET}
    process = subprocess.Popen(
        [sys.executable, "-m", "mightycli", "emulator", "--port", "0", "--quiet",
         "--webhook-url", f"{receiver.url}/hooks", "--webhook-event-type", "upper"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    assert process.stdout is not None and process.stderr is not None
    try:
        url = process.stdout.readline().strip()
        banner: list[str] = []
        while not banner or banner[-1] != "Press Ctrl-C to stop.":
            line = process.stderr.readline()
            assert line, banner
            banner.append(line.rstrip("\n"))
        headers = {"Authorization": f"Bearer {ADMIN_API_TOKEN}"}
        with http_client(url, headers=headers) as admin:
            path = f"/admin/v1/networks/{NETWORK_ID}/spaces/{ANNOUNCEMENTS}/members"
            assert admin.post(path, params={"user_id": ALAN}).status_code == 200
        deadline = time.monotonic() + 20
        while not receiver.requests and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        process.send_signal(signal.SIGINT)
        _out, rest = process.communicate(timeout=20)
    assert process.returncode == 0, rest
    rows = [line for line in banner if line.lstrip().startswith("Webhooks:")]
    assert rows == [
        f"  Webhooks:        {receiver.url}/hooks (Bearer secret from $MIGHTY_WEBHOOK_SECRET)"
    ]
    assert SECRET not in "\n".join(banner) + rest
    (request,) = receiver.requests
    assert header(request, "authorization") == f"Bearer {SECRET}"
    body = body_of(request)
    assert body["event_type"] == "MEMBER_JOINED"
    contract.webhook_validator("MemberJoined").validate(
        {k: v for k, v in body.items() if k != "event_type"}
    )


def test_mighty_emulator_refuses_a_webhook_url_it_cannot_use(run_mighty: Any) -> None:
    result = run_mighty("emulator", "--port", "0", "--webhook-url", "http://hooks.example.com/in")
    assert result.code == 2
    assert "--webhook-url" in result.stderr and "https" in result.stderr
    wrong = run_mighty("emulator", "--port", "0", "--webhook-event-type", "camel")
    assert wrong.code == 2 and "--webhook-event-type" in wrong.stderr
