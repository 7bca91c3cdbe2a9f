"""mighty webhooks: the catalogue of events, synthetic payloads, the listener's answers over
real HTTP on 127.0.0.1, forwarding to real local handlers, and trigger."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import test_admin_contract as contract
from conftest import admin_token_login, login_args
from jsonschema import ValidationError
from localserver import Reply, serve

from mightycli.emulator import Emulator
from mightycli.errors import MightyError, UsageError
from mightycli.webhooks import catalog
from mightycli.webhooks.envelope import EnvelopeError, make_envelope, read_envelope
from mightycli.webhooks.listener import Listener, Outcome, bind, server_url
from mightycli.webhooks.samples import apply_override, sample_payload
from mightycli.webhooks.trigger import build_delivery, published_event, send_delivery

SECRET = "whsec-local-test"


# --------------------------------------------------------------------------- the catalogue


@pytest.mark.parametrize(
    ("spelling", "name"),
    [
        ("MemberJoined", "MemberJoined"),
        ("MEMBER_JOINED", "MemberJoined"),
        ("MemberJoinedHook", "MemberJoined"),
        ("member_joined", "MemberJoined"),
        ("POST_CREATED", "PostCreated"),
        ("HOT_COLD_POLL_UPDATED", "HotColdPollUpdated"),
        ("EVENT_CANCELED", "EventCanceled"),
        ("MemberJoinedToo", None),
        ("", None),
    ],
)
def test_event_names_are_read_in_every_spelling_deliveries_use(
    spelling: str, name: str | None
) -> None:
    assert catalog.canonical_name(spelling) == name


def test_the_graphql_spelling_of_each_event() -> None:
    assert catalog.BY_NAME["MemberAmbassadorLeveledUp"].enum_name == "MEMBER_AMBASSADOR_LEVELED_UP"
    assert catalog.BY_NAME["RsvpCreated"].enum_name == "RSVP_CREATED"
    assert len(catalog.EVENTS) == 44 and len(catalog.ALL_NAMES) == 47


def test_an_unknown_event_is_a_usage_error_naming_close_ones() -> None:
    with pytest.raises(UsageError) as caught:
        published_event("MemberJoind")
    assert "MemberJoined" in (caught.value.hint or "")
    with pytest.raises(UsageError, match="no webhook payload"):
        published_event("EVENT_CANCELED")
    assert published_event("rsvp_created") == "RsvpCreated"


# --------------------------------------------------------------------------- --set


def test_overrides_keep_a_string_a_string_and_type_the_rest() -> None:
    payload = sample_payload("MemberTagAdded")
    apply_override(payload, "member.email=grace@example.com")
    apply_override(payload, "tag.id=6123")
    apply_override(payload, "tag.title=1234")  # a title stays text even when it reads as a number
    apply_override(payload, "member.location=null")  # a string field: the text "null"
    apply_override(payload, "member.referral_count=7")  # no string: read as -F reads it
    apply_override(payload, "member.avatar=null")  # a field the sample leaves out: -F's types
    assert payload["member"]["email"] == "grace@example.com"
    assert payload["tag"]["id"] == 6123 and payload["tag"]["title"] == "1234"
    assert payload["member"]["location"] == "null" and payload["member"]["avatar"] is None
    assert payload["member"]["referral_count"] == 7


def test_overrides_reach_into_lists_and_refuse_what_is_not_there() -> None:
    payload = sample_payload("MultipleChoicePollCreated")
    apply_override(payload, "choices.0.text=Tuesdays")
    assert payload["choices"][0]["text"] == "Tuesdays"
    for bad in ("choices.3.text=x", "nothing.here=x", "member", "=x", "a..b=x", "title.x=1"):
        with pytest.raises(UsageError):
            apply_override(payload, bad)


# --------------------------------------------------------------------------- the envelope


def _body(**changes: Any) -> bytes:
    data: dict[str, Any] = json.loads(make_envelope("MemberJoined", {"network_id": 1}))
    for key, value in changes.items():
        if value is None:
            data.pop(key)
        else:
            data[key] = value
    return json.dumps(data).encode()


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b"not json", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (_body(event_id=None), "event_id"),
        (_body(event_id="12345"), "event_id"),
        (_body(event_id=42), "event_id"),
        (_body(event_timestamp=None), "event_timestamp"),
        (_body(event_timestamp="yesterday"), "event_timestamp"),
        (_body(payload=None), "payload"),
        (_body(payload=[1]), "payload"),
        (_body(payload="{}"), "payload"),
    ],
)
def test_a_body_that_is_no_published_envelope_is_named(body: bytes, why: str) -> None:
    with pytest.raises(EnvelopeError, match=why):
        read_envelope(body)


def test_an_envelope_reads_back_with_its_type_in_pascal_case() -> None:
    delivery = read_envelope(_body(event_type="MEMBER_JOINED"))
    assert delivery.event_type == "MemberJoined" and delivery.payload == {"network_id": 1}
    assert read_envelope(_body(event_type=None)).event_type is None
    assert read_envelope(_body(event_type="SomethingNew")).event_type == "SomethingNew"
    line = json.loads(delivery.line())
    assert list(line) == ["event_type", "event_id", "event_timestamp", "payload"]


# --------------------------------------------------------------------------- the listener


@dataclass
class Running:
    url: str
    lines: list[str] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)

    def post(self, body: bytes, secret: str | None = SECRET, **headers: str) -> httpx.Response:
        sent = {"Content-Type": "application/json", **headers}
        if secret is not None:
            sent["Authorization"] = f"Bearer {secret}"
        return httpx.post(self.url, content=body, headers=sent, timeout=10)


@contextmanager
def listening(port: int = 0, **options: Any) -> Iterator[Running]:
    """The listener (secret SECRET unless ``options`` say otherwise) on 127.0.0.1:``port``,
    served from a thread: what it printed and what it told."""
    running = Running("")
    listener = Listener(
        emit=running.lines.append, notify=running.outcomes.append, **{"secret": SECRET, **options}
    )
    server = bind("127.0.0.1", port, listener)
    running.url = server_url(server)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield running
    finally:
        server.shutdown()
        server.server_close()
        listener.close()
        thread.join()


def test_a_delivery_is_answered_200_and_printed_once_as_a_json_line() -> None:
    body = build_delivery("MemberJoined")
    with listening() as running:
        first, again = running.post(body), running.post(body)
    assert first.status_code == 200 and again.status_code == 200
    assert len(running.lines) == 1
    line = json.loads(running.lines[0])
    sent = json.loads(body)
    assert line == {**{k: sent[k] for k in ("event_id", "event_timestamp", "payload")},
                    "event_type": "MemberJoined"}  # fmt: skip
    assert [o.kind for o in running.outcomes] == ["delivered", "repeat"]


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong", f"Basic {SECRET}", f"Bearer {SECRET}x", SECRET, "Bearer"],
)
def test_without_the_secret_a_delivery_is_refused_401(authorization: str | None) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    with listening() as running:
        answer = running.post(build_delivery("PostCreated"), secret=None, **headers)
    assert answer.status_code == 401 and running.lines == []
    assert answer.headers["www-authenticate"] == "Bearer"


def test_the_scheme_is_case_insensitive_and_no_secret_accepts_everything() -> None:
    with listening() as running:
        assert running.post(build_delivery("PostCreated"), secret=None,
                            Authorization=f"bearer {SECRET}").status_code == 200  # fmt: skip
    with listening(secret=None) as running:
        assert running.post(build_delivery("PostCreated"), secret=None).status_code == 200


@pytest.mark.parametrize(
    "body", [b"{", b"[]", _body(event_id="x"), _body(event_timestamp=None), _body(payload=3)]
)
def test_a_body_that_is_no_envelope_is_refused_400(body: bytes) -> None:
    with listening() as running:
        answer = running.post(body)
    assert answer.status_code == 400 and "not a Mighty webhook delivery" in answer.text
    assert running.lines == []


def test_other_methods_and_bodies_without_a_length_are_refused() -> None:
    with listening() as running:
        assert httpx.get(running.url).status_code == 405
        chunked = httpx.post(running.url, content=iter([build_delivery("PostCreated")]))
        assert chunked.status_code == 411
    assert running.lines == []


def test_events_filters_what_is_printed_and_answers_the_rest_200() -> None:
    with listening(events=["MemberLeft"]) as running:
        skipped = running.post(build_delivery("MemberJoined"))
        kept = running.post(build_delivery("MemberLeft"))
    assert skipped.status_code == 200 and kept.status_code == 200
    assert [json.loads(line)["event_type"] for line in running.lines] == ["MemberLeft"]


def test_a_forwarded_delivery_gets_the_handlers_answer_headers_and_all() -> None:
    with serve({("POST", "/hooks"): Reply(202, {"ok": True})}) as handler:
        with listening(forward_to=f"{handler.url}/hooks") as running:
            body = build_delivery("RsvpCreated")
            answer = running.post(body, **{"X-Extra": "kept"})
    assert answer.status_code == 202 and answer.json() == {"ok": True}
    (request,) = handler.requests
    assert request.body == body
    assert request.headers["Authorization"] == f"Bearer {SECRET}"
    assert request.headers["X-Extra"] == "kept"
    assert running.outcomes[-1].forwarded == 202 and len(running.lines) == 1


def test_a_handler_failing_makes_mighty_retry_and_the_retry_is_forwarded_again() -> None:
    answers = iter([Reply(500, {"error": "boom"}), Reply(200, {})])
    with serve({("POST", "/hooks"): lambda request: next(answers)}) as handler:
        with listening(forward_to=f"{handler.url}/hooks") as running:
            body = build_delivery("MemberTagAdded")
            statuses = [running.post(body).status_code for _ in range(3)]
    assert statuses == [500, 200, 200]  # the third is a repeat of a delivered event
    assert len(handler.requests) == 2 and len(running.lines) == 1
    assert [o.kind for o in running.outcomes] == ["failed", "delivered", "repeat"]


def test_a_handler_that_is_not_there_is_a_502_so_mighty_retries() -> None:
    with serve({}) as gone:
        url = gone.url
    with listening(forward_to=f"{url}/hooks") as running:
        answer = running.post(build_delivery("MemberJoined"))
    assert answer.status_code == 502 and "cannot reach the local handler" in answer.text


def test_a_busy_port_is_a_sentence() -> None:
    listener = Listener(secret=None, emit=print, notify=print)
    with serve({}) as taken:
        port = int(taken.url.rsplit(":", 1)[1])
        with pytest.raises(MightyError, match=f"Port {port} on 127.0.0.1 is in use"):
            bind("127.0.0.1", port, listener)


# --------------------------------------------------------------------------- trigger


def test_trigger_sends_the_secret_as_a_bearer_token_and_reports_the_status() -> None:
    with serve({("POST", "/in"): Reply(200, {}), ("POST", "/bad"): Reply(503, {})}) as endpoint:
        body = build_delivery("MemberJoined", ["member.email=grace@example.com"])
        good = send_delivery(f"{endpoint.url}/in", body, secret=SECRET)
        bad = send_delivery(f"{endpoint.url}/bad", body, secret=None)
    assert good.accepted and not bad.accepted and bad.status == 503
    first, second = endpoint.requests
    assert first.headers["Authorization"] == f"Bearer {SECRET}"
    assert "Authorization" not in second.headers
    sent = json.loads(first.body)
    assert sent["payload"]["member"]["email"] == "grace@example.com"
    assert str(uuid.UUID(sent["event_id"])) == sent["event_id"] == good.event_id
    stamp = datetime.fromisoformat(sent["event_timestamp"])
    assert abs((datetime.now(UTC) - stamp).total_seconds()) < 60


def test_trigger_refuses_plain_http_to_another_machine() -> None:
    with pytest.raises(UsageError, match="plain http"):
        send_delivery("http://hooks.example.com/in", build_delivery("PostCreated"), secret=SECRET)


# --------------------------------------------------------------------------- the real command


def start_listening(
    command: str, env: dict[str, str], cwd: Path | None = None
) -> tuple[subprocess.Popen[str], str]:
    """``command`` (a shell pipeline around mighty webhooks listen) started in a session of its
    own, with ``env`` as its whole environment, and the URL it says it listens at."""
    process = subprocess.Popen(
        ["bash", "-c", command],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    assert process.stderr is not None
    first = process.stderr.readline()
    found = re.search(r"at (http://127\.0\.0\.1:\d+/)", first)
    assert found, first + process.stderr.read()
    return process, found.group(1)


MIGHTY = f"{sys.executable} -m mightycli"


def test_listen_into_a_pipe_stops_once_the_reader_has_what_it_wanted() -> None:
    command = f"{MIGHTY} webhooks listen --port 0 --events member_left | head -1"
    process, url = start_listening(command, {**os.environ, "MIGHTY_WEBHOOK_SECRET": SECRET})
    try:
        for event in ("MemberJoined", "MemberLeft", "MemberLeft"):
            send_delivery(url, build_delivery(event), secret=SECRET)
        out, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == 0, err
    assert json.loads(out)["event_type"] == "MemberLeft" and len(out.splitlines()) == 1
    assert "Traceback" not in err


def test_ctrl_c_stops_listening_at_once_and_frees_the_port() -> None:
    process, url = start_listening(f"exec {MIGHTY} webhooks listen --port 0", dict(os.environ))
    assert process.stderr is not None
    assert "No secret is set" in process.stderr.readline()  # said at start, and accepted
    assert send_delivery(url, build_delivery("PostCreated"), secret=None).accepted
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=10)
    assert process.returncode == 0 and err.rstrip().endswith("Stopped listening."), err
    assert json.loads(out)["event_type"] == "PostCreated"
    port = int(url.rstrip("/").rsplit(":", 1)[1])
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", port))


# --------------------------------------------------------------------------- against the contract

# The published description's webhooks (tests/data/admin_api_published.json, extracted verbatim).
WEBHOOKS = contract.WEBHOOKS


def test_the_catalogue_is_the_published_list() -> None:
    assert set(WEBHOOKS) == set(catalog.BY_NAME)
    for name, entry in WEBHOOKS.items():
        schema = entry["post"]["requestBody"]["content"]["application/json"]["schema"]
        assert schema["properties"]["payload"]["$ref"].endswith(f"/{catalog.BY_NAME[name].schema}")


def test_the_graphql_names_are_the_published_enum() -> None:
    sdl = (Path(__file__).parent / "data" / "published_headless_subset.graphql").read_text()
    enum = re.search(r"enum WebhookEventType \{([^}]*)\}", sdl)
    assert enum is not None
    assert set(enum.group(1).split()) == {catalog.enum_name(name) for name in catalog.ALL_NAMES}


@pytest.mark.parametrize("event", sorted(catalog.BY_NAME))
def test_each_synthetic_delivery_is_valid_under_its_published_schema(event: str) -> None:
    body = json.loads(build_delivery(event))
    body.pop("event_type")  # not in the published envelope: the field report's addition
    contract.webhook_validator(event).validate(body)


def test_the_published_schemas_catch_a_wrong_payload() -> None:
    # The check above can fail: a required field missing, a wrong type, an invented field.
    for spec, drop in (("member.id=ada", None), ("member.nickname=Ada", None), ("", "member")):
        body = json.loads(build_delivery("MemberJoined", [spec] if spec else []))
        body.pop("event_type")
        if drop:
            body["payload"].pop(drop)
        with pytest.raises(ValidationError):
            contract.webhook_validator("MemberJoined").validate(body)


# --------------------------------------------------------------------------- callbacks


def test_callbacks_are_created_listed_and_deleted_through_the_headless_api(
    run_mighty: Any, emulator: Any, redirect_uri: str
) -> None:
    assert run_mighty(*login_args(emulator, redirect_uri)).code == 0
    refused = run_mighty("webhooks", "list")  # a login without the scope is told which it needs
    assert refused.code == 1 and "mighty login -s host:write:network_integrations" in refused.stderr
    scope = ("-s", "host:write:network_integrations", "-s", "read:network")
    assert run_mighty(*login_args(emulator, redirect_uri, *scope)).code == 0
    secret = {"MIGHTY_WEBHOOK_SECRET": SECRET}
    made = run_mighty(
        "webhooks", "create", "--url", "http://127.0.0.1:9/hooks", "--events",
        "MemberJoined,member_left", env=secret,
    )  # fmt: skip
    assert made.code == 0, made.stderr
    callback_id = made.stdout.strip()
    assert f"Created webhook callback {callback_id}" in made.stderr
    (stored,) = emulator.webhook_callbacks
    assert stored.url == "http://127.0.0.1:9/hooks"
    listed = run_mighty("webhooks", "list", "--json")
    assert listed.code == 0, listed.stderr
    (shown,) = json.loads(listed.stdout)
    assert shown["resourceId"] == callback_id and shown["disabled"] is False
    assert shown["includedEvents"] == ["MEMBER_JOINED", "MEMBER_LEFT"]
    assert shown["consecutiveFailures"] == 0 and SECRET not in listed.stdout
    rows = run_mighty("webhooks", "list").stdout.splitlines()
    assert rows == [f"{callback_id}\thttp://127.0.0.1:9/hooks\tMemberJoined,MemberLeft\tenabled\t0"]
    assert run_mighty("webhooks", "delete", callback_id).code == 2  # no terminal: needs --yes
    assert run_mighty("webhooks", "delete", callback_id, "--yes").code == 0
    assert run_mighty("webhooks", "list").stdout == ""
    again = run_mighty("webhooks", "delete", callback_id, "--yes")
    assert again.code == 1 and "No webhook callback has this id" in again.stderr


@pytest.mark.parametrize(
    ("args", "why"),
    [
        (["--url", "http://hooks.example.com/in"], "plain http"),
        (["--url", "https://localhost/in", "--events", "MemberJoind"], "Did you mean MemberJoined"),
        (["--url", "https://localhost/in", "--events", ""], "unknown event"),
    ],
)
def test_a_bad_callback_is_refused_before_anything_is_sent(
    run_mighty: Any, args: list[str], why: str
) -> None:
    refused = run_mighty("webhooks", "create", *args)
    assert refused.code == 2 and why in refused.stderr


def test_the_readme_walkthrough_a_listener_the_emulator_delivering_and_a_trigger(
    run_mighty: Any,
) -> None:
    # mighty webhooks listen; the emulator delivering to it; a change; mighty webhooks trigger.
    process, url = start_listening(
        f"exec {MIGHTY} webhooks listen --port 0", {**os.environ, "MIGHTY_WEBHOOK_SECRET": SECRET}
    )
    try:
        with Emulator(webhook_url=url, webhook_secret=SECRET) as emulator:
            admin_token_login(run_mighty, emulator)
            added = run_mighty("spaces", "add", "Announcements", "alan@example.com")
            assert added.code == 0, added.stderr
            assert emulator.wait_for_webhooks(10)
        triggered = run_mighty(
            "webhooks", "trigger", "MemberTagAdded", "--to", url, "--set", "tag.title=Mentor",
            env={"MIGHTY_WEBHOOK_SECRET": SECRET},
        )  # fmt: skip
        assert triggered.code == 0, triggered.stderr
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=10)
    joined, tagged = (json.loads(line) for line in out.splitlines())
    assert joined["event_type"] == "MemberJoined"
    assert joined["payload"]["member"]["email"] == "alan@example.com"
    assert (
        tagged["event_type"] == "MemberTagAdded" and tagged["payload"]["tag"]["title"] == "Mentor"
    )
    assert "refused" not in err and process.returncode == 0


@pytest.mark.parametrize("operation", ["LIST", "CREATE", "DELETE"])
def test_the_callback_operations_are_valid_against_the_published_schema(operation: str) -> None:
    # The emulator's schema is held to the published one (test_schema_contract), so a field
    # mighty asks for that Mighty does not publish fails here, not only against a live network.
    from graphql import parse, validate

    from mightycli.emulator.headless import build_headless_schema
    from mightycli.webhooks import callbacks

    errors = validate(build_headless_schema(), parse(getattr(callbacks, operation)))
    assert errors == []
