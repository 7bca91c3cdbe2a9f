"""Synthetic payloads: one realistic payload for each published event, valid under the event's
published schema (every required property, and only properties the schema names), and the
``--set FIELD=VALUE`` overrides applied to one.

The samples describe one small network: Ada Lovelace (member 5000001) in the space
"Introductions" (7001) of network 4242, with the plan "Community", the tag "VIP" and so on.
Times are relative to the moment of sending: a record was made a week earlier and changed now.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from mightycli.errors import UsageError
from mightycli.fields import typed_value
from mightycli.webhooks.catalog import BY_NAME


@dataclass(frozen=True)
class Ref:
    """Another sample schema, built in place."""

    schema: str


class _Time:
    """A timestamp relative to the moment of sending."""

    def __init__(self, before: timedelta) -> None:
        self.before = before


NOW = _Time(timedelta(0))
EARLIER = _Time(timedelta(days=7))
NETWORK_ID = 4242
MEMBER_ID = 5000001
SPACE_ID = 7001
PERMALINK = "https://example.mn.co"

_STAMPS = {"created_at": EARLIER, "updated_at": NOW}
_MEMBER_PAYLOAD = {"member": Ref("MemberResponse"), "network_id": NETWORK_ID}
_POLL: dict[str, Any] = {
    "id": 8101,
    **_STAMPS,
    "post_type": "percentage_poll",
    "title": "How far along is your first project?",
    "creator": Ref("UserResponse"),
    "space": Ref("SpaceResponse"),
    "images": [],
    "permalink": f"{PERMALINK}/posts/8101",
}
_CUSTOM_FIELD_PAYLOAD = {**_MEMBER_PAYLOAD, "custom_field": Ref("CustomFieldResponse")}
_PLAN_TERMS = {"amount": 1500, "currency": "usd", "has_free_trial": False}

SAMPLES: dict[str, dict[str, Any]] = {
    # Records, as the Admin API answers them
    "MemberResponse": {
        "id": MEMBER_ID,
        **_STAMPS,
        "email": "ada@example.com",
        "member_type": "full",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "time_zone": "Europe/London",
        "location": "London",
        "bio": "Writes programs for engines that do not exist yet.",
        "referral_count": 3,
        "permalink": f"{PERMALINK}/members/{MEMBER_ID}",
    },
    "UserResponse": {
        "id": MEMBER_ID,
        **_STAMPS,
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "short_bio": "Writes programs for engines that do not exist yet.",
        "admin": False,
    },
    "SpaceResponse": {"id": SPACE_ID, **_STAMPS, "name": "Introductions"},
    "TagResponse": {
        "id": 6001,
        **_STAMPS,
        "title": "VIP",
        "description": "Early supporters",
        "color": "#FF5733",
        "custom_field_id": 9001,
    },
    "BadgeResponse": {
        "id": 6101,
        **_STAMPS,
        "title": "Top Contributor",
        "description": "Answered fifty questions",
        "color": "#2E86C1",
        "custom_field_id": 9002,
    },
    "PostResponse": {
        "id": 8001,
        **_STAMPS,
        "creator_id": MEMBER_ID,
        "space_id": SPACE_ID,
        "published_at": EARLIER,
        "last_activity_at": NOW,
        "title": "Hello from London",
        "summary": "Hello from London, and thank you for having me.",
        "description": "<p>Hello from London, and thank you for having me.</p>",
        "post_type": "post",
        "status": "posted",
        "content_type": "text",
        "images": [],
        "comments_enabled": True,
        "permalink": f"{PERMALINK}/posts/8001",
    },
    "CommentResponse": {
        "id": 8201,
        **_STAMPS,
        "targetable_id": 8001,
        "targetable_type": "Post",
        "text": "<p>Welcome, Ada!</p>",
        "replyable": True,
        "depth": 1,
        "cheer_count": 0,
        "reply_count": 0,
        "author_id": 5000002,
        "space_id": SPACE_ID,
        "permalink": f"{PERMALINK}/posts/8001/comments/8201",
    },
    "ReactionResponse": {
        "id": 8301,
        **_STAMPS,
        "member_id": 5000002,
        "network_id": NETWORK_ID,
        "space_id": SPACE_ID,
        "targetable_id": 8001,
        "targetable_type": "Post",
        "targetable_space_id": SPACE_ID,
        "emoji": "👋🏽",
        "base_emoji": "👋",
    },
    "EventCreatePayload": {
        "id": 8401,
        **_STAMPS,
        "post_type": "event",
        "space_id": SPACE_ID,
        "creator_id": MEMBER_ID,
        "title": "Office Hours",
        "summary": "Bring your questions.",
        "event_type": "online_meeting",
        "starts_at": "2027-01-14T17:00:00+00:00",
        "ends_at": "2027-01-14T18:00:00+00:00",
        "time_zone": "Europe/London",
        "rsvp_enabled": True,
        "rsvp_closed": False,
        "restricted_event": False,
        "post_in_feed": True,
        "creator": Ref("MemberResponse"),
        "space": Ref("SpaceResponse"),
        "images": [],
        "permalink": f"{PERMALINK}/events/8401",
    },
    "RsvpResponse": {
        "id": 8501,
        "updated": NOW,
        "status": "yes",
        "event": Ref("EventCreatePayload"),
        "member": Ref("MemberResponse"),
    },
    "PollChoiceResponse": {"id": "1", "text": "Just started"},
    "PercentagePollCreatePayload": _POLL,
    "HotColdPollCreatePayload": {**_POLL, "post_type": "hot_cold_poll"},
    "MultipleChoicePollCreatePayload": {
        **_POLL,
        "post_type": "multiple_choice_poll",
        "title": "Which day suits office hours?",
        "choices": [Ref("PollChoiceResponse")],
    },
    "SubscriptionResponse": {
        "member_id": MEMBER_ID,
        **_STAMPS,
        "email": "ada@example.com",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "permalink": f"{PERMALINK}/members/{MEMBER_ID}",
        "plan": Ref("SubscriptionPlanResponse"),
        "subscription": Ref("SubscriptionDetailResponse"),
    },
    "SubscriptionPlanResponse": {
        "id": 3001,
        "name": "Community",
        **_PLAN_TERMS,
        "interval": "month",
        "type": "subscription",
    },
    "SubscriptionDetailResponse": {
        "id": 3101,
        "current_period_start": EARLIER,
        "current_period_end": "2027-01-01T00:00:00+00:00",
        "payment_platform": "stripe",
        "purchased_at": EARLIER,
    },
    "PurchaseResponse": {
        "member_id": MEMBER_ID,
        "member_email": "ada@example.com",
        "member_first_name": "Ada",
        "member_last_name": "Lovelace",
        "plan": Ref("PurchasePlanResponse"),
        "purchase": Ref("PurchaseDetailResponse"),
    },
    "PurchasePlanResponse": {
        "id": 3002,
        "name": "Workshop Pass",
        **_PLAN_TERMS,
        "interval": "one_time",
        "type": "one-time-payment",
    },
    "PurchaseDetailResponse": {
        "id": 3201,
        **_STAMPS,
        "payment_platform": "stripe",
        "purchased_at": NOW,
    },
    "CustomFieldResponse": {
        "id": 9003,
        **_STAMPS,
        "title": "What are you working on?",
        "response_type": "text_short",
    },
    "ReportedContentResponse": {
        "id": 9501,
        **_STAMPS,
        "user_id": 5000002,
        "targetable_id": 8201,
        "targetable_type": "Comment",
        "blacklist_type": "spam",
        "reason": "Links to a shop",
        "space_id": SPACE_ID,
        "network_id": NETWORK_ID,
    },
    "GiftLeaderboardEntriesByPeriodResponse": {
        "all_time": [Ref("GiftLeaderboardEntryResponse")],
    },
    "GiftLeaderboardEntryResponse": {"rank": 1, "member": Ref("MemberResponse"), "count": 12},
    "GiftDefinitionResponse": {"id": 9601, "name": "Thank You"},
    # Payloads published for webhooks only
    "MemberJoinPayload": {**_MEMBER_PAYLOAD, "space_id": SPACE_ID},
    "MemberLeavePayload": {**_MEMBER_PAYLOAD, "space_id": SPACE_ID},
    "MemberUpdatePayload": _MEMBER_PAYLOAD,
    "MemberTagAddPayload": {**_MEMBER_PAYLOAD, "tag": Ref("TagResponse")},
    "MemberTagRemovePayload": {**_MEMBER_PAYLOAD, "tag": Ref("TagResponse")},
    "MemberBadgeAddPayload": {**_MEMBER_PAYLOAD, "badge": Ref("BadgeResponse")},
    "MemberBadgeRemovePayload": {**_MEMBER_PAYLOAD, "badge": Ref("BadgeResponse")},
    "MemberCourseProgressStartPayload": {
        "member": Ref("MemberResponse"),
        "course": Ref("SpaceResponse"),
        "progress_percent": 0,
    },
    "MemberCourseProgressUpdatePayload": {
        "member": Ref("MemberResponse"),
        "course": Ref("SpaceResponse"),
        "progress_percent": 40,
    },
    "MemberCourseProgressCompletePayload": {
        "member": Ref("MemberResponse"),
        "course": Ref("SpaceResponse"),
        "progress_percent": 100,
    },
    "MemberAmbassadorLevelUpPayload": {
        **_MEMBER_PAYLOAD,
        "ambassador_level_id": 2,
        "ambassador_level_name": "Silver",
        "referral_count": 10,
    },
    "MemberJoinRequestPayload": {
        "id": 9101,
        "created_at": NOW,
        "email": "grace@example.com",
        "first_name": "Grace",
        "last_name": "Hopper",
        "space": Ref("SpaceResponse"),
    },
    "InviteRequestRequest": {
        "id": 9201,
        **_STAMPS,
        "network_id": NETWORK_ID,
        "space_id": SPACE_ID,
        "member_email": "grace@example.com",
        "member_first_name": "Grace",
        "member_last_name": "Hopper",
        "status": "pending",
    },
    "GiftLeaderboardUpdatedPayload": {
        "network_id": NETWORK_ID,
        "recalculated_at": NOW,
        "type": "received",
        "gift_definition": Ref("GiftDefinitionResponse"),
        "entries": Ref("GiftLeaderboardEntriesByPeriodResponse"),
    },
    "CustomFieldResponseCreatedPayload": {**_CUSTOM_FIELD_PAYLOAD, "text": "A difference engine"},
    "CustomFieldResponseRemovedPayload": {**_CUSTOM_FIELD_PAYLOAD, "text": "A difference engine"},
    "CustomFieldResponseUpdatedPayload": {
        **_CUSTOM_FIELD_PAYLOAD,
        "previous_text": "A difference engine",
        "new_text": "An analytical engine",
    },
    "ReportedContentCreatedPayload": {"reported_content": Ref("ReportedContentResponse")},
}

# Events sharing a payload schema, told apart in their values.
EVENT_VALUES: dict[str, dict[str, Any]] = {
    "ArticleCreated": {"post_type": "article", "title": "Notes on the Analytical Engine"},
    "ArticleUpdated": {"post_type": "article", "title": "Notes on the Analytical Engine"},
    "QuestionCreated": {"post_type": "question", "title": "Who else is in London?"},
    "QuestionUpdated": {"post_type": "question", "title": "Who else is in London?"},
    "RsvpUpdated": {"status": "maybe"},
    "MemberPurchaseRequested": {"plan_id": 3001, "member_id": MEMBER_ID},
    "MemberSubscriptionCanceled": {"subscription": {"canceled_at": NOW}},
}


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _built(value: Any, now: datetime) -> Any:
    if isinstance(value, Ref):
        return {key: _built(item, now) for key, item in SAMPLES[value.schema].items()}
    if isinstance(value, _Time):
        return _stamp(now - value.before)
    if isinstance(value, dict):
        return {key: _built(item, now) for key, item in value.items()}
    if isinstance(value, list):
        return [_built(item, now) for item in value]
    return copy.copy(value)


def _merged(base: dict[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merged(out[key], value)
        else:
            out[key] = value
    return out


def sample_payload(event: str, now: datetime | None = None) -> dict[str, Any]:
    """The synthetic payload of a published event (its PascalCase name)."""
    moment = now or datetime.now(UTC)
    payload = _built(Ref(BY_NAME[event].schema), moment)
    extra = _built(EVENT_VALUES.get(event, {}), moment)
    result: dict[str, Any] = _merged(payload, extra)
    return result


def apply_override(payload: dict[str, Any], spec: str) -> None:
    """One ``--set FIELD=VALUE``: a dotted path into the payload (a number steps into a list).
    The value keeps the type of the value it replaces when that is a string; otherwise it is
    read as ``-F`` reads one (true, false, null, numbers; anything else a string)."""
    path, sep, text = spec.partition("=")
    if not sep or not path or any(part == "" for part in path.split(".")):
        raise UsageError(
            f"--set {spec!r} is not FIELD=VALUE.", hint="For example: --set member.email=a@b.test"
        )
    *parents, last = path.split(".")
    target: Any = payload
    for depth, part in enumerate(parents):
        target = _step(target, part, ".".join(parents[: depth + 1]))
    if isinstance(target, list):
        index = _index(target, last, path)
        current = target[index]
    elif isinstance(target, dict):
        current = target.get(last)
    else:
        raise UsageError(f"--set {path}: {'.'.join(parents)} is not an object.")
    value = text if isinstance(current, str) else typed_value(text)
    if isinstance(target, list):
        target[index] = value
    else:
        target[last] = value


def _step(target: Any, part: str, so_far: str) -> Any:
    if isinstance(target, list):
        return target[_index(target, part, so_far)]
    if isinstance(target, dict) and isinstance(target.get(part), dict | list):
        return target[part]
    raise UsageError(
        f"--set: the payload has no object at {so_far}.",
        hint="mighty webhooks trigger EVENT --dry-run shows the payload.",
    )


def _index(target: list[Any], part: str, path: str) -> int:
    if not part.isdigit() or int(part) >= len(target):
        indexes = f"0 to {len(target) - 1}" if target else "none: the list is empty"
        raise UsageError(f"--set {path}: {part!r} is not an index of that list ({indexes}).")
    return int(part)
