"""The emulator's Admin API resources beyond members and spaces: plans, member tags, badges,
RSVPs, subscriptions and purchases, over real HTTP, with state shared between operations."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from mightycli.emulator import ADMIN_API_TOKEN, NETWORK_ID, Emulator

ADA, GRACE, ALAN, LIN = 5_000_001, 5_000_002, 5_000_003, 5_000_004
GOLD, SILVER, FOUNDERS, COMMUNITY = 3_001, 3_002, 3_003, 3_004
VIP, SPEAKER, MENTOR = 3_201, 3_202, 3_203
OFFICE_HOURS = 3_401
BASE = f"/admin/v1/networks/{NETWORK_ID}/"


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator(extra_members=3) as server:
        yield server


@pytest.fixture
def api(emu: Emulator) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {ADMIN_API_TOKEN}", "User-Agent": "resource-tests"}
    with httpx.Client(base_url=emu.url + BASE, headers=headers, trust_env=False) as http:
        yield http


def items(api: httpx.Client, path: str, **params: Any) -> list[dict[str, Any]]:
    response = api.get(path, params=params)
    assert response.status_code == 200, response.text
    body: list[dict[str, Any]] = response.json()["items"]
    return body


def ids(api: httpx.Client, path: str, **params: Any) -> list[int]:
    return [item["id"] for item in items(api, path, **params)]


# -- seeds -------------------------------------------------------------------------------


def test_the_seeded_names_keep_their_commas_and_quotes(api: httpx.Client) -> None:
    plans = {p["id"]: p for p in items(api, "plans")}
    assert [plans[i]["name"] for i in sorted(plans)] == [
        "Gold",
        "Silver",
        'Founders, "Inner" Circle',
        "Community",
    ]
    assert [plans[i]["pricing_type"] for i in sorted(plans)] == [
        "subscription",
        "subscription",
        "one_time",
        "free",
    ]
    tags = {t["id"]: t["title"] for t in items(api, "tags")}
    assert tags == {VIP: "VIP", SPEAKER: 'Speaker, "Keynote"', MENTOR: "Mentor"}
    assert [b["title"] for b in items(api, "badges")] == ["Early Adopter", "Top Contributor"]
    assert api.get(f"plans/{FOUNDERS}/").json()["name"] == 'Founders, "Inner" Circle'


def test_the_seeded_memberships_agree_with_each_other(api: httpx.Client) -> None:
    assert ids(api, f"members/{GRACE}/plans") == [GOLD, FOUNDERS]
    assert ids(api, f"members/{ALAN}/plans") == [SILVER, FOUNDERS]
    assert ids(api, f"members/{LIN}/plans") == [COMMUNITY]
    assert ids(api, f"members/{ADA}/plans") == []
    assert ids(api, f"plans/{FOUNDERS}/members") == [GRACE, ALAN]
    assert ids(api, f"members/{ALAN}/tags") == [VIP, SPEAKER]
    assert ids(api, f"members/{GRACE}/tags") == [VIP]
    # Subscriptions for the subscription plans, purchases for the one-time plan.
    active = items(api, "subscriptions")
    assert {(s["member_id"], s["plan"]["id"]) for s in active} == {(GRACE, GOLD), (ALAN, SILVER)}
    assert all("canceled_at" not in s["subscription"] for s in active)
    canceled = items(api, "subscriptions", status="canceled")
    assert [(s["member_id"], s["plan"]["id"]) for s in canceled] == [(ALAN, GOLD)]
    assert "canceled_at" in canceled[0]["subscription"]
    purchases = items(api, "purchases")
    assert [(p["member_id"], p["plan"]["id"]) for p in purchases] == [
        (GRACE, FOUNDERS),
        (ALAN, FOUNDERS),
    ]
    assert purchases[0]["plan"]["name"] == 'Founders, "Inner" Circle'


def test_subscription_and_purchase_filters(api: httpx.Client) -> None:
    assert [s["member_id"] for s in items(api, "subscriptions", member_id=ALAN)] == [ALAN]
    assert items(api, "subscriptions", member_id=ADA) == []
    assert [p["member_id"] for p in items(api, "purchases", member_id=GRACE)] == [GRACE]
    assert len(items(api, "purchases", plan_id=FOUNDERS)) == 2
    assert items(api, "purchases", plan_id=GOLD) == []
    # Only 200 is published for these lists: a filter that names nothing matches nothing.
    assert items(api, "purchases", member_id="someone") == []
    assert items(api, "subscriptions", member_id="-1") == []


def test_member_spaces_come_from_the_space_rosters(api: httpx.Client) -> None:
    assert [s["name"] for s in items(api, f"members/{GRACE}/spaces")] == [
        "Welcome",
        "Announcements",
    ]
    assert ids(api, f"members/{ALAN}/spaces") == [7_001]
    assert api.post("spaces/7002/members", params={"user_id": ALAN}).status_code == 200
    assert ids(api, f"members/{ALAN}/spaces") == [7_001, 7_002]
    assert api.delete(f"spaces/7001/members/{ALAN}/").status_code == 200
    assert ids(api, f"members/{ALAN}/spaces") == [7_002]
    assert api.get("members/4999999/spaces").status_code == 404


# -- plans -------------------------------------------------------------------------------


def test_a_granted_plan_shows_on_both_sides_and_revoking_takes_it_back(api: httpx.Client) -> None:
    granted = api.post(f"plans/{COMMUNITY}/members", params={"user_id": ADA})
    assert granted.status_code == 200
    assert granted.json()["id"] == COMMUNITY  # a PlanResponse
    assert ids(api, f"members/{ADA}/plans") == [COMMUNITY]
    assert ids(api, f"plans/{COMMUNITY}/members") == [ADA, LIN]
    assert api.get(f"plans/{COMMUNITY}/members/{ADA}/").json()["email"] == "ada@example.com"
    # Published 422: "user already has access". Granting adds no subscription or purchase.
    again = api.post(f"plans/{COMMUNITY}/members", params={"user_id": ADA})
    assert again.status_code == 422
    assert ids(api, f"plans/{COMMUNITY}/members") == [ADA, LIN]
    assert ADA not in [s["member_id"] for s in items(api, "subscriptions")]
    assert ADA not in [p["member_id"] for p in items(api, "purchases")]
    assert api.delete(f"plans/{COMMUNITY}/members/{ADA}/").status_code == 204
    assert ids(api, f"members/{ADA}/plans") == []
    assert api.get(f"plans/{COMMUNITY}/members/{ADA}/").status_code == 404
    # Published 422: "Unable to remove member (may not have access to this plan)".
    assert api.delete(f"plans/{COMMUNITY}/members/{ADA}/").status_code == 422


def test_only_free_and_nonpaid_plans_are_granted_directly(api: httpx.Client) -> None:
    for plan in (GOLD, SILVER, FOUNDERS):
        response = api.post(f"plans/{plan}/members", params={"user_id": ADA})
        assert response.status_code == 422, plan
        assert "free" in response.json()["error"]
    assert ids(api, f"members/{ADA}/plans") == []


def test_revoking_cancels_the_subscription_or_voids_the_purchase(api: httpx.Client) -> None:
    assert api.delete(f"plans/{SILVER}/members/{ALAN}/").status_code == 204
    assert api.delete(f"plans/{FOUNDERS}/members/{ALAN}/").status_code == 204
    assert ids(api, f"members/{ALAN}/plans") == []
    assert items(api, "subscriptions", member_id=ALAN) == []
    canceled = items(api, "subscriptions", status="canceled", member_id=ALAN)
    assert sorted(s["plan"]["id"] for s in canceled) == [GOLD, SILVER]
    silver = next(s for s in canceled if s["plan"]["id"] == SILVER)
    assert silver["subscription"]["canceled_at"] > silver["subscription"]["purchased_at"]
    assert items(api, "purchases", member_id=ALAN) == []
    assert [p["member_id"] for p in items(api, "purchases")] == [GRACE]


def test_unknown_plans_and_non_holders_are_404(api: httpx.Client) -> None:
    for path in ("plans/9/", "plans/9/members", "plans/9/invites", "members/4999999/plans"):
        assert api.get(path).status_code == 404, path
    assert api.get(f"plans/{GOLD}/members/{ALAN}/").status_code == 404  # canceled, not on it
    assert api.delete(f"plans/{GOLD}/members/4999999/").status_code == 404
    assert api.delete(f"plans/9/members/{ALAN}/").status_code == 404
    # Paths are served exactly as published.
    assert api.get(f"plans/{GOLD}").status_code == 404
    assert api.get(f"plans/{GOLD}/members/").status_code == 404


def test_plan_invites_show_under_the_plan_and_among_all_invites(api: httpx.Client) -> None:
    by_email = api.post(f"plans/{SILVER}/invites", params={"email": "new@example.com"})
    by_member = api.post(f"plans/{SILVER}/invites", params={"user_id": LIN, "message": 'Hi, "Lin"'})
    assert by_email.status_code == by_member.status_code == 200
    assert by_member.json()["recipient_email"] == "lin@example.com"
    assert by_member.json()["recipient_first_name"] == "Lin"
    other = api.post("invites", json={"recipient_email": "friend@example.com"}).json()
    made = [by_email.json()["id"], by_member.json()["id"]]
    assert ids(api, f"plans/{SILVER}/invites") == made
    assert ids(api, f"plans/{GOLD}/invites") == []
    assert ids(api, "invites") == [*made, other["id"]]
    assert ids(api, "invites", email="new@example.com") == made[:1]
    assert api.delete(f"invites/{made[0]}/").status_code == 204
    assert ids(api, f"plans/{SILVER}/invites") == made[1:]


# -- tags --------------------------------------------------------------------------------


def test_tag_then_untag(api: httpx.Client) -> None:
    tagged = api.post(f"members/{LIN}/tags", json={"tag_id": SPEAKER})
    assert tagged.status_code == 200
    assert tagged.json()["title"] == 'Speaker, "Keynote"'
    assert ids(api, f"members/{LIN}/tags") == [SPEAKER]
    assert api.get(f"members/{LIN}/tags/{SPEAKER}/").json()["id"] == SPEAKER
    assert api.post(f"members/{LIN}/tags", json={"tag_id": SPEAKER}).status_code == 200
    assert ids(api, f"members/{LIN}/tags") == [SPEAKER]
    assert api.delete(f"members/{LIN}/tags/{SPEAKER}/").status_code == 204
    assert ids(api, f"members/{LIN}/tags") == []
    assert api.get(f"members/{LIN}/tags/{SPEAKER}/").status_code == 404
    assert api.delete(f"members/{LIN}/tags/{SPEAKER}/").status_code == 404


def test_a_tag_created_through_the_api_can_be_given_and_goes_with_its_deletion(
    api: httpx.Client,
) -> None:
    created = api.post("tags", json={"title": 'Volunteers, "Weekend"'}).json()
    assert api.post(f"members/{ADA}/tags", json={"tag_id": created["id"]}).status_code == 200
    assert ids(api, f"members/{ADA}/tags") == [created["id"]]
    assert api.delete(f"tags/{created['id']}/").status_code == 204
    assert ids(api, f"members/{ADA}/tags") == []
    assert api.get(f"members/{ADA}/tags/{created['id']}/").status_code == 404


@pytest.mark.parametrize(
    ("member", "body", "status"),
    [
        (LIN, {}, 422),
        (LIN, {"tag_id": "VIP"}, 422),
        (LIN, {"tag_id": True}, 422),
        (LIN, [VIP], 422),
        (LIN, {"tag_id": 9}, 404),
        (4_999_999, {"tag_id": VIP}, 404),
    ],
)
def test_tagging_refuses_what_it_cannot_do(
    api: httpx.Client, member: int, body: object, status: int
) -> None:
    response = api.post(f"members/{member}/tags", json=body)
    assert response.status_code == status
    assert isinstance(response.json()["error"], str)


def test_a_deleted_member_leaves_plan_rosters(api: httpx.Client) -> None:
    assert api.delete(f"members/{GRACE}/").status_code == 204
    assert ids(api, f"plans/{GOLD}/members") == []
    assert GRACE not in [s["member_id"] for s in items(api, "subscriptions")]
    assert api.get(f"members/{GRACE}/tags").status_code == 404


# -- RSVPs -------------------------------------------------------------------------------


def test_the_seeded_event_has_two_rsvps(api: httpx.Client) -> None:
    rsvps = items(api, f"events/{OFFICE_HOURS}/rsvps")
    assert [(r["member"]["id"], r["status"]) for r in rsvps] == [(ADA, "yes"), (GRACE, "maybe")]
    event = rsvps[0]["event"]
    assert event["title"] == "Office Hours" and event["space"]["name"] == "Welcome"
    assert event["creator"]["email"] == "ada@example.com"
    assert "updated" in rsvps[0] and "updated_at" not in rsvps[0]


def test_an_rsvp_is_listed_and_answering_again_changes_it(api: httpx.Client) -> None:
    made = api.post(f"events/{OFFICE_HOURS}/rsvps", json={"member_id": ALAN, "status": "no"})
    assert made.status_code == 200
    assert made.json()["status"] == "no" and made.json()["member"]["id"] == ALAN
    again = api.post(f"events/{OFFICE_HOURS}/rsvps", json={"member_id": ALAN, "status": "yes"})
    assert again.json()["id"] == made.json()["id"]
    assert again.json()["updated"] > made.json()["updated"]
    rsvps = items(api, f"events/{OFFICE_HOURS}/rsvps")
    assert [(r["member"]["id"], r["status"]) for r in rsvps][-1] == (ALAN, "yes")
    assert len(rsvps) == 3


def test_rsvps_to_an_instance_of_the_weekly_event(api: httpx.Client) -> None:
    path = f"events/{OFFICE_HOURS}/rsvps"
    body = {"member_id": LIN, "status": "maybe", "instance_at": "2026-01-22T17:00:00Z"}
    made = api.post(path, json=body)
    assert made.status_code == 200
    assert made.json()["event_instance"] == {
        "post_id": OFFICE_HOURS,
        "starts_at": "2026-01-22T17:00:00Z",
        "ends_at": "2026-01-22T18:00:00Z",
        "instance_index": 1,
    }
    # An RSVP to another instance is another RSVP; the series RSVPs carry no instance.
    later = {**body, "instance_at": "2026-04-02T16:00:00Z"}  # 17:00 in London, summer time
    assert api.post(path, json=later).json()["event_instance"]["instance_index"] == 11
    assert [r["member"]["id"] for r in items(api, path, instance_at="2026-01-22T17:00:00Z")] == [
        LIN
    ]
    assert len(items(api, path, instance_at="2026-01-22T17:00:00+00:00")) == 1
    assert items(api, path, instance_at="2026-01-29T17:00:00Z") == []
    assert items(api, path, instance_at="next week") == []
    assert len(items(api, path)) == 4
    assert all("event_instance" not in r for r in items(api, path)[:2])


@pytest.mark.parametrize(
    "instant",
    ["2026-01-22T17:30:00Z", "2026-01-08T17:00:00Z", "2026-04-02T17:00:00Z", "soon"],
)
def test_an_instant_that_is_no_instance_is_refused(api: httpx.Client, instant: str) -> None:
    body = {"member_id": LIN, "status": "yes", "instance_at": instant}
    response = api.post(f"events/{OFFICE_HOURS}/rsvps", json=body)
    assert response.status_code == 422
    assert isinstance(response.json()["error"], str)


@pytest.mark.parametrize(
    ("event", "body", "status"),
    [
        (OFFICE_HOURS, {"member_id": ALAN}, 422),
        (OFFICE_HOURS, {"status": "yes"}, 422),
        (OFFICE_HOURS, {"member_id": ALAN, "status": "YES"}, 422),
        (OFFICE_HOURS, {"member_id": ALAN, "status": "going"}, 422),
        (OFFICE_HOURS, {"member_id": str(ALAN), "status": "yes"}, 422),
        (OFFICE_HOURS, {"member_id": 4_999_999, "status": "yes"}, 404),
        (9, {"member_id": ALAN, "status": "yes"}, 404),
    ],
)
def test_rsvp_refuses_what_it_cannot_do(
    api: httpx.Client, event: int, body: dict[str, Any], status: int
) -> None:
    response = api.post(f"events/{event}/rsvps", json=body)
    assert response.status_code == status
    assert isinstance(response.json()["error"], str)


def test_an_event_that_does_not_recur_has_no_instances(api: httpx.Client) -> None:
    event = api.post(
        "events",
        json={
            "title": "Town hall",
            "event_type": "local_meetup",
            "space_id": 7_002,
            "starts_at": "2026-03-01T18:00:00Z",
            "ends_at": "2026-03-01T19:00:00Z",
        },
    ).json()
    path = f"events/{event['id']}/rsvps"
    assert items(api, path) == []
    answer = {"member_id": ADA, "status": "yes"}
    assert api.post(path, json=answer).status_code == 200
    at_start = {**answer, "instance_at": "2026-03-01T18:00:00Z"}
    assert api.post(path, json=at_start).status_code == 422
    assert api.get("events/9/rsvps").status_code == 404


def test_an_event_whose_space_is_gone_has_no_rsvps(api: httpx.Client) -> None:
    space = api.post("spaces", json={"name": "Pop-up"}).json()
    event = api.post(
        "events",
        json={
            "title": "Launch",
            "event_type": "online_meeting",
            "space_id": space["id"],
            "starts_at": "2026-03-01T18:00:00Z",
            "ends_at": "2026-03-01T19:00:00Z",
        },
    ).json()
    assert api.delete(f"spaces/{space['id']}").status_code == 204
    assert api.get(f"events/{event['id']}/rsvps").status_code == 404


# -- pages -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "plans",
        f"plans/{FOUNDERS}/members",
        f"members/{ALAN}/plans",
        f"members/{ALAN}/tags",
        f"members/{GRACE}/spaces",
        "badges",
        "tags",
        "subscriptions",
        "purchases",
        f"events/{OFFICE_HOURS}/rsvps",
    ],
)
def test_every_new_list_pages_with_next_links(api: httpx.Client, path: str) -> None:
    url: str | None = f"{api.base_url}{path}?per_page=1"
    seen: list[Any] = []
    while url is not None:
        body = api.get(url).json()
        assert len(body["items"]) <= 1
        seen.extend(body["items"])
        url = body["links"].get("next")
    assert len(seen) >= 2
    assert seen == items(api, path)
    assert api.get(path, params={"per_page": 101}).status_code == 422


# -- request counting --------------------------------------------------------------------


def test_admin_requests_are_counted_in_order_with_their_queries(
    emu: Emulator, api: httpx.Client
) -> None:
    assert emu.admin_requests() == []
    api.get("plans", params={"per_page": 2})
    api.post(f"plans/{GOLD}/members", params={"user_id": ADA})
    api.get("me", headers={"Authorization": "Bearer wrong"})
    with httpx.Client(base_url=emu.url, headers={"User-Agent": "t"}, trust_env=False) as other:
        other.get("/.well-known/oauth-authorization-server")
    assert emu.admin_requests() == [
        ("GET", f"{BASE}plans?per_page=2"),
        ("POST", f"{BASE}plans/{GOLD}/members?user_id={ADA}"),
        ("GET", f"{BASE}me"),
    ]


def test_admin_requests_are_counted_from_many_threads(emu: Emulator, api: httpx.Client) -> None:
    def ask() -> None:
        for _ in range(10):
            api.get("me")

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert emu.admin_requests() == [("GET", f"{BASE}me")] * 40
