"""Every Admin API answer of the emulator matches Mighty's published OpenAPI description.

`tests/data/admin_api_published.json` holds the published component schemas and path items the
emulator serves (its `source` names where they come from). A scripted session walks every
published operation among them but the few in NOT_YET_WALKED, which no command uses and the
emulator does not serve; each answer's status must be one the description lists for that
operation, and its body must validate against the schema published for that status. The schemas
are tightened here in one way: an object may carry no property the description does not name, so
an invented field fails. List pages (`*Paged`, never defined in the description) are checked as
the `{items, links}` envelope field reports describe, each item against the item schema.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator, FormatChecker, ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from mightycli.emulator import ADMIN_API_TOKEN, NETWORK_ID, Emulator

DATA = json.loads((Path(__file__).parent / "data" / "admin_api_published.json").read_text())
PREFIX = "/admin/v1/networks/{network_id}/"
BASE_URI = "urn:mighty-admin-api"


def strict(schema: Any) -> Any:
    """A copy in which objects with named properties allow no others."""
    if isinstance(schema, dict):
        out = {k: strict(v) for k, v in schema.items()}
        if "properties" in out:
            out.setdefault("additionalProperties", False)
        return out
    if isinstance(schema, list):
        return [strict(v) for v in schema]
    return schema


REGISTRY: Registry = Registry().with_resource(
    BASE_URI,
    Resource.from_contents(
        {"components": {"schemas": strict(DATA["schemas"])}}, default_specification=DRAFT202012
    ),
)

FORMATS = FormatChecker()


@FORMATS.checks("date-time")
def _date_time(value: object) -> bool:
    if not isinstance(value, str) or "T" not in value:
        return True if not isinstance(value, str) else False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


@FORMATS.checks("uint64")
def _uint64(value: object) -> bool:
    return not isinstance(value, int) or 0 <= value < 2**64


@FORMATS.checks("email")
def _email(value: object) -> bool:
    return not isinstance(value, str) or re.fullmatch(r"[^@\s]+@[^@\s]+", value) is not None


@FORMATS.checks("url")
def _url(value: object) -> bool:
    return not isinstance(value, str) or value.startswith(("http://", "https://"))


def validator(schema_name: str) -> Draft202012Validator:
    ref = {"$ref": f"{BASE_URI}#/components/schemas/{schema_name}"}
    return Draft202012Validator(ref, registry=REGISTRY, format_checker=FORMATS)


# The published webhooks (the description's ``webhooks`` object, extracted verbatim).
WEBHOOKS: dict[str, Any] = DATA["webhooks"]


def webhook_validator(event: str) -> Draft202012Validator:
    """A webhook's published request body schema (the envelope), its $refs into the published
    components, tightened as the answers are: no property the description does not name."""
    schema = WEBHOOKS[event]["post"]["requestBody"]["content"]["application/json"]["schema"]
    text = json.dumps(schema).replace('"#/components/', f'"{BASE_URI}#/components/')
    checker = FormatChecker()
    checker.checkers.update(FORMATS.checkers)
    checker.checkers["datetime"] = checker.checkers["date-time"]  # the source's own spelling
    return Draft202012Validator(strict(json.loads(text)), registry=REGISTRY, format_checker=checker)


def check_body(schema_name: str, body: Any) -> None:
    """Validate an answer; a `*Paged` name is the {items, links} envelope of its items."""
    if schema_name.endswith("Paged"):
        envelope = {
            "type": "object",
            "required": ["items", "links"],
            "additionalProperties": False,
            "properties": {
                "items": {"type": "array"},
                "links": {
                    "type": "object",
                    "required": ["self"],
                    "additionalProperties": False,
                    "properties": {"self": {"type": "string"}, "next": {"type": "string"}},
                },
            },
        }
        Draft202012Validator(envelope).validate(body)
        item = validator(schema_name.removesuffix("Paged"))
        for entry in body["items"]:
            item.validate(entry)
        return
    validator(schema_name).validate(body)


# Published operations the emulator does not serve (no command uses them yet), so the walk below
# leaves them out. Delete an entry, and walk the operation, once the emulator serves it.
NOT_YET_WALKED: frozenset[tuple[str, str]] = frozenset(
    (PREFIX + template, method)
    for template, methods in {
        "members/{member_id}/badges": ("GET", "POST"),
        "members/{member_id}/badges/{badge_id}/": ("GET", "DELETE"),
        "plans/{id}/": ("DELETE",),
        "events/{event_id}/rsvps/{id}/": ("GET", "PATCH", "PUT", "DELETE"),
        "subscriptions/{id}": ("GET", "DELETE"),
        "purchases/{id}/": ("GET", "DELETE"),
    }.items()
    for method in methods
)


def published_operations() -> set[tuple[str, str]]:
    operations = {
        (template, method.upper())
        for template, item in DATA["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    }
    assert NOT_YET_WALKED <= operations, NOT_YET_WALKED - operations
    return operations - NOT_YET_WALKED


def response_schema(template: str, method: str, status: int) -> str | None:
    """The schema name published for one answer, or None for an answer without a body."""
    responses = DATA["paths"][template][method.lower()]["responses"]
    assert str(status) in responses, f"{method} {template} answered {status}, not published"
    content = responses[str(status)].get("content", {}).get("application/json")
    if content is None:
        return None
    ref: str = content["schema"]["$ref"]
    return ref.rsplit("/", 1)[1]


@dataclass
class Walker:
    """Sends requests by published path template and checks each answer against it."""

    http: httpx.Client
    seen: set[tuple[str, str]]

    def __call__(
        self,
        method: str,
        template: str,
        ids: dict[str, int] | None = None,
        *,
        expect: int,
        json_body: Any = None,
        params: dict[str, Any] | None = None,
    ) -> Any:
        path = (PREFIX + template).format(network_id=NETWORK_ID, **(ids or {}))
        response = self.http.request(method, path, json=json_body, params=params)
        assert response.status_code == expect, (method, path, response.text)
        published = PREFIX + template
        self.seen.add((published, method))
        schema = response_schema(published, method, response.status_code)
        if schema is None:
            assert response.content == b"", response.text
            return None
        body = response.json()
        check_body(schema, body)
        return body


@pytest.fixture
def walk() -> Iterator[Walker]:
    headers = {"Authorization": f"Bearer {ADMIN_API_TOKEN}", "User-Agent": "contract-test"}
    with (
        Emulator(extra_members=5) as emulator,
        httpx.Client(base_url=emulator.url, headers=headers, trust_env=False) as http,
    ):
        walker = Walker(http, set())
        yield walker


def test_every_published_operation_answers_as_published(walk: Walker) -> None:
    walk_members(walk)
    walk_spaces(walk)
    walk_records(walk)
    walk_member_holdings(walk)
    walk_plans(walk)
    walk_plan_invites(walk)
    walk_rsvps(walk)
    walk_subscriptions_and_purchases(walk)
    assert walk.seen == published_operations()


def walk_members(walk: Walker) -> None:
    walk("GET", "me", expect=200)
    walk("GET", "", expect=200)
    walk("GET", "members", expect=200, params={"per_page": 3, "page": 2})
    new = {"email": "new@example.com", "first_name": "New", "last_name": "Person"}
    created = walk("POST", "members", expect=201, json_body=new)
    walk("POST", "members", expect=422, json_body={"email": "x@example.com"})
    walk("POST", "members", expect=422, json_body=new)  # the e-mail is taken
    ids = {"id": created["id"]}
    walk("GET", "members/by_email", expect=200, params={"email": "new@example.com"})
    walk("GET", "members/by_email", expect=404, params={"email": "nobody@example.com"})
    walk("GET", "members/{id}/", ids, expect=200)
    walk("GET", "members/{id}/", {"id": 4_999_999}, expect=404)
    walk("PATCH", "members/{id}/", ids, expect=200, json_body={"first_name": "Newer"})
    walk("PATCH", "members/{id}/", ids, expect=422, json_body={"email": "not an address"})
    walk("PATCH", "members/{id}/", {"id": 4_999_999}, expect=404, json_body={})
    walk("PUT", "members/{id}/", ids, expect=200, json_body={"role": "moderator"})
    walk("PUT", "members/{id}/", ids, expect=422, json_body={"role": "owner"})
    walk("PUT", "members/{id}/", {"id": 4_999_999}, expect=404, json_body={})
    walk("DELETE", "members/{id}/network_membership", ids, expect=204)
    walk("DELETE", "members/{id}/network_membership", ids, expect=404)
    other = walk("POST", "members", expect=201, json_body={**new, "email": "o@example.com"})
    walk("DELETE", "members/{id}/", {"id": other["id"]}, expect=204)
    walk("DELETE", "members/{id}/", {"id": other["id"]}, expect=404)
    walk("DELETE", "members/{id}/", {"id": 5_000_001}, expect=422)  # the token's own member


def walk_spaces(walk: Walker) -> None:
    walk("GET", "spaces", expect=200)
    space = walk("POST", "spaces", expect=201, json_body={"name": "Book club"})
    walk("POST", "spaces", expect=422, json_body={})
    ids = {"id": space["id"], "space_id": space["id"], "user_id": 5_000_003}
    walk("GET", "spaces/{id}", ids, expect=200)
    walk("PATCH", "spaces/{id}", ids, expect=200, json_body={"name": "Readers"})
    walk("PUT", "spaces/{id}", ids, expect=200, json_body={"collection_id": 3})
    walk("PUT", "spaces/{id}", {"id": 1}, expect=404, json_body={})
    walk("GET", "spaces/{space_id}/members", ids, expect=200)
    walk("GET", "spaces/{space_id}/members", {"space_id": 1}, expect=404)
    walk("POST", "spaces/{space_id}/members", ids, expect=200, params={"user_id": 5_000_003})
    walk("POST", "spaces/{space_id}/members", ids, expect=422)
    walk("POST", "spaces/{space_id}/members", ids, expect=404, params={"user_id": 4_999_999})
    walk("GET", "spaces/{space_id}/members/{user_id}/", ids, expect=200)
    walk(
        "PATCH",
        "spaces/{space_id}/members/{user_id}/",
        ids,
        expect=200,
        json_body={"last_name": "T."},
    )
    walk("PUT", "spaces/{space_id}/members/{user_id}/", ids, expect=200, json_body={})
    walk(
        "POST",
        "spaces/{space_id}/members/{user_id}/ban",
        ids,
        expect=200,
        json_body={"ban_reason": "spam"},
    )
    walk("GET", "spaces/{space_id}/members/{user_id}/", ids, expect=404)
    walk("DELETE", "spaces/{space_id}/members/{user_id}/", {**ids, "space_id": 7_001}, expect=200)
    walk("DELETE", "spaces/{space_id}/members/{user_id}/", {**ids, "space_id": 7_001}, expect=404)
    walk("DELETE", "spaces/{id}", ids, expect=204)
    walk("DELETE", "spaces/{id}", ids, expect=404)


RECORD_BODIES: dict[str, tuple[dict[str, Any], dict[str, Any], int]] = {
    # kind: (a valid create body, a valid update body, the published create status)
    "posts": (
        {"space_id": 7_001, "title": "Hello", "description": "<p>Hi all</p>"},
        {"title": "Hi"},
        201,
    ),
    "events": (
        {
            "title": "Meetup",
            "event_type": "online_meeting",
            "space_id": 7_001,
            "starts_at": "2026-12-01T18:00:00Z",
            "ends_at": "2026-12-01T19:00:00Z",
            "rsvp_enabled": True,
        },
        {"location": "Online", "by_days": "MO,WE"},
        200,
    ),
    "tags": ({"title": "Volunteers", "color": "#ff8800"}, {"description": "Helping out"}, 201),
    "badges": ({"title": "Helper", "avatar_id": 3_353}, {"color": "#00aa55"}, 201),
    "invites": ({"recipient_email": "friend@example.com"}, {"recipient_first_name": "Sam"}, 200),
}


def walk_records(walk: Walker) -> None:
    for kind, (create, update, created_status) in RECORD_BODIES.items():
        item_path = kind + "/{id}/"
        walk("GET", kind, expect=200)
        record = walk("POST", kind, expect=created_status, json_body=create)
        walk("POST", kind, expect=422, json_body={})
        ids = {"id": record["id"]}
        listed = walk("GET", kind, expect=200)
        assert record in listed["items"]
        if (PREFIX + item_path, "GET") in published_operations():
            assert walk("GET", item_path, ids, expect=200) == record
        changed = walk("PATCH", item_path, ids, expect=200, json_body=update)
        assert all(changed[k] == v for k, v in update.items() if k in changed)
        walk("PUT", item_path, ids, expect=200, json_body=update)
        walk("DELETE", item_path, ids, expect=204)
        walk("DELETE", item_path, ids, expect=404)
    walk("POST", "posts", expect=404, json_body={"space_id": 1, "title": "Nowhere"})


NOBODY = 4_999_999  # a member id that names no member
GRACE, ALAN, LIN = 5_000_002, 5_000_003, 5_000_004
GOLD, FOUNDERS, COMMUNITY = 3_001, 3_003, 3_004  # the seeded plans
VIP = 3_201  # a seeded tag
OFFICE_HOURS = 3_401  # the seeded weekly event


def walk_member_holdings(walk: Walker) -> None:
    for template in ("members/{member_id}/spaces", "members/{member_id}/plans"):
        assert walk("GET", template, {"member_id": GRACE}, expect=200)["items"]
        walk("GET", template, {"member_id": NOBODY}, expect=404)
    walk("GET", "members/{member_id}/tags", {"member_id": ALAN}, expect=200)
    walk("GET", "members/{member_id}/tags", {"member_id": NOBODY}, expect=404)
    tag = {"member_id": LIN, "tag_id": VIP}
    added = walk("POST", "members/{member_id}/tags", tag, expect=200, json_body={"tag_id": VIP})
    assert added["id"] == VIP
    walk("POST", "members/{member_id}/tags", tag, expect=422, json_body={"tag_id": "VIP"})
    walk("POST", "members/{member_id}/tags", tag, expect=404, json_body={"tag_id": 9})
    walk("POST", "members/{member_id}/tags", {"member_id": NOBODY}, expect=404, json_body={})
    assert walk("GET", "members/{member_id}/tags/{tag_id}/", tag, expect=200) == added
    walk("DELETE", "members/{member_id}/tags/{tag_id}/", tag, expect=204)
    walk("GET", "members/{member_id}/tags/{tag_id}/", tag, expect=404)
    walk("DELETE", "members/{member_id}/tags/{tag_id}/", tag, expect=404)


def walk_plans(walk: Walker) -> None:
    walk("GET", "plans", expect=200, params={"per_page": 2, "page": 2})
    walk("GET", "plans/{id}/", {"id": FOUNDERS}, expect=200)
    walk("GET", "plans/{id}/", {"id": 9}, expect=404)
    on = {"plan_id": COMMUNITY, "member_id": ALAN, "id": ALAN}
    walk("GET", "plans/{plan_id}/members", on, expect=200)
    walk("GET", "plans/{plan_id}/members", {"plan_id": 9}, expect=404)
    walk("POST", "plans/{plan_id}/members", on, expect=200, params={"user_id": ALAN})
    walk("POST", "plans/{plan_id}/members", on, expect=422, params={"user_id": ALAN})  # has it
    walk("POST", "plans/{plan_id}/members", {"plan_id": GOLD}, expect=422, params={"user_id": LIN})
    walk("POST", "plans/{plan_id}/members", on, expect=422)
    walk("POST", "plans/{plan_id}/members", on, expect=404, params={"user_id": NOBODY})
    walk("POST", "plans/{plan_id}/members", {"plan_id": 9}, expect=404, params={"user_id": ALAN})
    walk("GET", "plans/{plan_id}/members/{member_id}/", on, expect=200)
    walk("DELETE", "plans/{plan_id}/members/{id}/", on, expect=204)
    walk("GET", "plans/{plan_id}/members/{member_id}/", on, expect=404)
    walk("DELETE", "plans/{plan_id}/members/{id}/", on, expect=422)  # no longer has it
    walk("DELETE", "plans/{plan_id}/members/{id}/", {**on, "id": NOBODY}, expect=404)


def walk_plan_invites(walk: Walker) -> None:
    plan = {"plan_id": GOLD}
    params = {"email": "guest@example.com", "message": 'Join "Gold", please'}
    invite = walk("POST", "plans/{plan_id}/invites", plan, expect=200, params=params)
    walk("POST", "plans/{plan_id}/invites", plan, expect=200, params={"user_id": LIN})
    walk("POST", "plans/{plan_id}/invites", plan, expect=422)
    walk("POST", "plans/{plan_id}/invites", plan, expect=422, params={"user_id": NOBODY})
    walk("POST", "plans/{plan_id}/invites", {"plan_id": 9}, expect=404, params=params)
    assert invite in walk("GET", "plans/{plan_id}/invites", plan, expect=200)["items"]
    assert invite in walk("GET", "invites", expect=200)["items"]
    walk("GET", "plans/{plan_id}/invites", {"plan_id": 9}, expect=404)
    ids = {**plan, "id": invite["id"]}
    assert walk("GET", "plans/{plan_id}/invites/{id}/", ids, expect=200) == invite
    walk("GET", "plans/{plan_id}/invites/{id}/", {**ids, "plan_id": FOUNDERS}, expect=404)
    walk("PATCH", "plans/{plan_id}/invites/{id}/", ids, expect=200)
    walk("PUT", "plans/{plan_id}/invites/{id}/", ids, expect=200)
    walk("PATCH", "plans/{plan_id}/invites/{id}/", {**ids, "id": 9}, expect=404)
    walk("PUT", "plans/{plan_id}/invites/{id}/", {**ids, "id": 9}, expect=404)
    walk("DELETE", "plans/{plan_id}/invites/{id}/", ids, expect=204)
    walk("DELETE", "plans/{plan_id}/invites/{id}/", ids, expect=404)


def walk_rsvps(walk: Walker) -> None:
    event = {"event_id": OFFICE_HOURS}
    assert len(walk("GET", "events/{event_id}/rsvps", event, expect=200)["items"]) == 2
    walk("GET", "events/{event_id}/rsvps", {"event_id": 9}, expect=404)
    answer = {"member_id": ALAN, "status": "maybe", "instance_at": "2026-01-29T17:00:00Z"}
    rsvp = walk("POST", "events/{event_id}/rsvps", event, expect=200, json_body=answer)
    assert rsvp["event_instance"]["instance_index"] == 2
    instance = {"instance_at": "2026-01-29T17:00:00Z"}
    listed = walk("GET", "events/{event_id}/rsvps", event, expect=200, params=instance)
    assert listed["items"] == [rsvp]
    for wrong in ({"member_id": ALAN, "status": "perhaps"}, {**answer, "instance_at": "soon"}):
        walk("POST", "events/{event_id}/rsvps", event, expect=422, json_body=wrong)
    walk(
        "POST",
        "events/{event_id}/rsvps",
        event,
        expect=404,
        json_body={**answer, "member_id": NOBODY},
    )
    walk("POST", "events/{event_id}/rsvps", {"event_id": 9}, expect=404, json_body=answer)


def walk_subscriptions_and_purchases(walk: Walker) -> None:
    assert walk("GET", "subscriptions", expect=200)["items"]
    for params in ({"status": "canceled"}, {"member_id": ALAN}, {"per_page": 1, "page": 2}):
        assert walk("GET", "subscriptions", expect=200, params=params)["items"]
    assert walk("GET", "purchases", expect=200)["items"]
    for params in ({"plan_id": FOUNDERS}, {"member_id": ALAN}, {"per_page": 1}):
        assert walk("GET", "purchases", expect=200, params=params)["items"]


@pytest.mark.parametrize(
    "path",
    [
        "members/5000001",  # published with a trailing slash
        "spaces/7001/",  # published without one
        "members/5000001/spaces/extra",
        "plans/3001",  # published with a trailing slash
        "members/5000003/tags/3201",  # published with a trailing slash
        "events/3401/rsvps/",  # published without one
        "subscriptions/",  # published without one
        "nothing",
    ],
)
def test_unpublished_paths_are_404(walk: Walker, path: str) -> None:
    response = walk.http.get(f"/admin/v1/networks/{NETWORK_ID}/{path}")
    assert response.status_code == 404
    check_body("ErrorResponse", response.json())


def test_a_method_not_published_for_a_path_is_405(walk: Walker) -> None:
    response = walk.http.post(f"/admin/v1/networks/{NETWORK_ID}/me", json={})
    assert response.status_code == 405
    assert response.headers["allow"] == "GET"


def test_the_network_is_named_by_id_or_subdomain(walk: Walker) -> None:
    by_id = walk.http.get(f"/admin/v1/networks/{NETWORK_ID}/me").json()
    by_subdomain = walk.http.get("/admin/v1/networks/emulated/me").json()
    assert by_id == by_subdomain


def test_the_limited_member_is_a_valid_member_response(walk: Walker) -> None:
    body = walk.http.get(f"/admin/v1/networks/{NETWORK_ID}/members/5000004/").json()
    check_body("MemberResponse", body)
    assert body["member_type"] == "limited" and "last_name" not in body


# -- the check itself can fail -------------------------------------------------------------


def good_member() -> dict[str, Any]:
    return {
        "id": 5,
        "created_at": "2024-01-01T00:00:00Z",
        "updated_at": "2024-01-01T00:00:00Z",
        "email": "a@example.com",
        "member_type": "full",
        "permalink": "https://example.mn.co/members/5",
        "first_name": "A",
    }


@pytest.mark.parametrize(
    ("schema", "change"),
    [
        ("MemberResponse", lambda m: m.update(name="An Invented Field")),
        ("MemberResponse", lambda m: m.update(role="host")),
        ("MemberResponse", lambda m: m.pop("permalink")),
        ("MemberResponse", lambda m: m.update(id="5")),
        ("MemberResponse", lambda m: m.update(created_at="yesterday")),
        ("MemberResponsePaged", lambda m: None),
    ],
)
def test_the_check_rejects_what_is_not_published(schema: str, change: Any) -> None:
    member = good_member()
    check_body("MemberResponse", copy.deepcopy(member))
    change(member)
    body: Any = member if not schema.endswith("Paged") else {"data": [member], "meta": {}}
    with pytest.raises(ValidationError):
        check_body(schema, body)


@pytest.mark.parametrize(
    ("path", "schema", "invented"),
    [
        ("subscriptions", "SubscriptionResponse", {"id": 3_601}),  # no top-level id
        ("purchases", "PurchaseResponse", {"id": 3_701}),  # no top-level id
        ("events/3401/rsvps", "RsvpResponse", {"updated_at": "2024-01-01T00:00:00Z"}),
        ("plans", "PlanResponse", {"price": 2_500}),
    ],
)
def test_the_check_holds_the_new_answers_to_their_schemas(
    walk: Walker, path: str, schema: str, invented: dict[str, Any]
) -> None:
    item = walk.http.get(f"/admin/v1/networks/{NETWORK_ID}/{path}").json()["items"][0]
    check_body(schema, item)
    with pytest.raises(ValidationError):
        check_body(schema, {**item, **invented})
