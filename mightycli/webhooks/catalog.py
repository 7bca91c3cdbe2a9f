"""The events Mighty publishes, their payload schemas, and the spellings of their names.

The 44 events are the ``webhooks`` of the published Admin API description (PascalCase, the
names used here); the GraphQL ``WebhookEventType`` enum has the same 44 in UPPER_SNAKE plus
three with no webhook entry and no payload schema (``GRAPHQL_ONLY``).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Event:
    name: str  # PascalCase, as the Admin API description names the webhook
    schema: str  # the published payload schema

    @property
    def enum_name(self) -> str:
        """The GraphQL ``WebhookEventType`` value (``MemberJoined`` -> ``MEMBER_JOINED``)."""
        return enum_name(self.name)


def _events(schema: str, *names: str) -> list[Event]:
    return [Event(name, schema) for name in names]


# Grouped by the payload they share, as the published description references them.
EVENTS: tuple[Event, ...] = tuple(
    _events("RsvpResponse", "RsvpCreated", "RsvpUpdated", "RsvpDeleted")
    + _events("ReactionResponse", "ReactionCreated", "ReactionDeleted")
    + _events(
        "PostResponse",
        "PostCreated",
        "PostUpdated",
        "ArticleCreated",
        "ArticleUpdated",
        "QuestionCreated",
        "QuestionUpdated",
    )  # fmt: skip
    + _events("CommentResponse", "CommentCreated")
    + _events("EventCreatePayload", "EventCreated", "EventUpdated")
    + _events("PercentagePollCreatePayload", "PercentagePollCreated", "PercentagePollUpdated")
    + _events(
        "MultipleChoicePollCreatePayload",
        "MultipleChoicePollCreated",
        "MultipleChoicePollUpdated",
    )  # fmt: skip
    + _events("HotColdPollCreatePayload", "HotColdPollCreated", "HotColdPollUpdated")
    + _events(
        "SubscriptionResponse",
        "MemberSubscriptionRenewed",
        "MemberSubscriptionCanceled",
        "MemberRemovedFromPlan",
        "MemberPlanChanged",
    )  # fmt: skip
    + _events("PurchaseResponse", "MemberPurchased")
    + _events("InviteRequestRequest", "InviteRequested", "MemberPurchaseRequested")
    + _events("MemberJoinRequestPayload", "MemberJoinRequested")
    + _events("MemberJoinPayload", "MemberJoined")
    + _events("MemberLeavePayload", "MemberLeft")
    + _events("MemberUpdatePayload", "MemberUpdated")
    + _events("MemberTagAddPayload", "MemberTagAdded")
    + _events("MemberTagRemovePayload", "MemberTagRemoved")
    + _events("MemberBadgeAddPayload", "MemberBadgeAdded")
    + _events("MemberBadgeRemovePayload", "MemberBadgeRemoved")
    + _events("MemberCourseProgressStartPayload", "MemberCourseProgressStarted")
    + _events("MemberCourseProgressUpdatePayload", "MemberCourseProgressUpdated")
    + _events("MemberCourseProgressCompletePayload", "MemberCourseProgressCompleted")
    + _events("MemberAmbassadorLevelUpPayload", "MemberAmbassadorLeveledUp")
    + _events("GiftLeaderboardUpdatedPayload", "GiftLeaderboardUpdated")
    + _events("CustomFieldResponseCreatedPayload", "CustomFieldResponseCreated")
    + _events("CustomFieldResponseUpdatedPayload", "CustomFieldResponseUpdated")
    + _events("CustomFieldResponseRemovedPayload", "CustomFieldResponseRemoved")
    + _events("ReportedContentCreatedPayload", "ReportedContentCreated")
)
BY_NAME: dict[str, Event] = {event.name: event for event in EVENTS}
# In the GraphQL enum only: a callback may subscribe to them, but no payload is published.
GRAPHQL_ONLY = ("EventCanceled", "EventInstanceCanceled", "MemberLessonCompleted")
ALL_NAMES = tuple(sorted([*BY_NAME, *GRAPHQL_ONLY]))


def enum_name(name: str) -> str:
    """PascalCase to the GraphQL enum's UPPER_SNAKE."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).upper()


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


_BY_KEY = {_key(name): name for name in ALL_NAMES}


def canonical_name(text: str) -> str | None:
    """An event's PascalCase name from any spelling a delivery uses (``MEMBER_JOINED``,
    ``MemberJoined``, ``MemberJoinedHook``, ``member_joined``); None for no known event."""
    key = _key(text)
    if key not in _BY_KEY and key.endswith("hook"):
        key = key[: -len("hook")]
    return _BY_KEY.get(key)


def did_you_mean(text: str, names: tuple[str, ...] = ALL_NAMES) -> str:
    """The start of the hint for an unknown event: the known names like it, if any."""
    close = close_names(text, names)
    return f"Did you mean {', '.join(close)}? " if close else ""


def close_names(text: str, names: tuple[str, ...] = ALL_NAMES) -> list[str]:
    """Known names like a mistyped one, best first (for the hint of an unknown event)."""
    keys = {_key(name): name for name in names}
    matches = difflib.get_close_matches(_key(text), list(keys), n=4, cutoff=0.6)
    return [keys[match] for match in matches]
