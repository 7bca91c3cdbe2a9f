"""Plans and what members hold: plan memberships, subscriptions, purchases, and the tags each
member carries.

The Admin API has no operation that creates a plan, a subscription or a purchase, so a few are
seeded (plans 3_001 and up). What the published description says the plan operations do:
``POST plans/{plan_id}/members`` "Add a member directly to a free/nonpaid plan, granting them
access" (422: "Invalid parameters or user already has access"), so granting adds a plan
membership only, to a free or nonpaid plan, and never a subscription or a purchase (the
description does not say granting creates one). ``DELETE plans/{plan_id}/members/{id}/``
"Remove a member from a plan by canceling their subscription or purchase" (422: "may not have
access to this plan"), so revoking ends the membership, cancels the member's subscription to
the plan and voids their purchase of it (a voided purchase is no longer listed, as the Headless
API's ``purchases`` leaves voided ones out unless asked).

A plan membership with neither a subscription nor a purchase behind it (a grant, or a seeded
free plan) is a ``Grant``: its id and time show only in webhooks. The published description has
no webhook for a grant as such; the emulator tells MemberPurchased (PurchaseResponse, the
grant as the purchase: a free grant is a one-off at no cost) when a plan is granted, and
MemberRemovedFromPlan (SubscriptionResponse, with whatever the removal ended as the
subscription: the subscription it canceled, else the purchase it voided, else the grant) when
one is revoked.

Members are named here by their resource ids; whether one exists is the directory's business,
and a member that is gone is left out where memberships are shown.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from .directory import MEMBER_ID_BASE, timestamp
from .records import SPEAKER_TAG, VIP_TAG

DAY = 24 * 60  # minutes, the unit of the emulator's fixed timestamps
MONTH = 30 * DAY
# When the seeded subscriptions and purchases stand; cancellations are dated after it.
PRESENT = 12 * MONTH
# The pricing types a plan can be granted with (POST plans/{plan_id}/members).
GRANTABLE = ("free", "nonpaid")

# PlanResponse.pricing_type -> SubscriptionPlanResponse.type / PurchasePlanResponse.type
# (published values: "free, subscription, one-time-payment").
_PAYMENT_TYPES = {"free": "free", "subscription": "subscription", "one_time": "one-time-payment"}


@dataclass(frozen=True)
class Plan:
    resource_id: int
    name: str
    pricing_type: str  # published values: free, subscription, one_time, installment, ...
    created_minutes: int
    description: str = ""
    multiple: bool = False  # "Whether the plan includes multiple spaces"
    # PlanResponse shows no price; subscriptions and purchases of the plan do.
    amount: int = 0  # cents
    currency: str = "usd"
    interval: str = "month"  # "day, week, month, year, etc.", or "one_time" for purchases
    trial_days: int = 0


@dataclass(frozen=True)
class Holding:
    """A member's paid hold on a plan: a subscription or a purchase. Its ``resource_id`` is
    the detail object's (SubscriptionDetailResponse, PurchaseDetailResponse): neither
    SubscriptionResponse nor PurchaseResponse has an id of its own."""

    resource_id: int
    plan_id: int
    member_id: int
    purchased_minutes: int


@dataclass(frozen=True)
class Subscription(Holding):
    canceled_minutes: int | None = None

    @property
    def canceled(self) -> bool:
        return self.canceled_minutes is not None


@dataclass(frozen=True)
class Purchase(Holding):
    tax_percent: int = 0
    voided: bool = False


@dataclass(frozen=True)
class Grant(Holding):
    """A plan membership without a subscription or a purchase: given through the API, or
    seeded. ``purchased_minutes`` is when it was given."""


@dataclass(frozen=True)
class Ended:
    """What taking a member off a plan ended, as it stands after: the subscription it
    canceled, the purchase it voided, the grant it took back (any may be None)."""

    minutes: int
    subscription: Subscription | None = None
    purchase: Purchase | None = None
    grant: Grant | None = None


GOLD, SILVER, FOUNDERS, COMMUNITY = 3_001, 3_002, 3_003, 3_004
ADA, GRACE, ALAN, LIN = (MEMBER_ID_BASE + n for n in (1, 2, 3, 4))

SEEDED_PLANS: tuple[Plan, ...] = (
    Plan(GOLD, "Gold", "subscription", 30, "Every space and every event.", True, amount=2_500),
    Plan(SILVER, "Silver", "subscription", 31, "The courses.", amount=1_000, trial_days=14),
    # A name with a comma and double quotes, for the CSV and name-matching paths.
    Plan(
        FOUNDERS,
        'Founders, "Inner" Circle',
        "one_time",
        32,
        "A lifetime seat at the table.",
        True,
        amount=50_000,
        interval="one_time",
    ),
    Plan(COMMUNITY, "Community", "free", 33, "Free access to the Welcome space.", amount=0),
)
# Who holds which plan. Alan moved from Gold to Silver, so his Gold subscription is canceled.
SEEDED_HOLDERS: Mapping[int, frozenset[int]] = {
    GOLD: frozenset({GRACE}),
    SILVER: frozenset({ALAN}),
    FOUNDERS: frozenset({GRACE, ALAN}),
    COMMUNITY: frozenset({LIN}),
}
SEEDED_SUBSCRIPTIONS: tuple[Subscription, ...] = (
    Subscription(3_601, GOLD, GRACE, 2 * MONTH),
    Subscription(3_602, GOLD, ALAN, 3 * MONTH, canceled_minutes=7 * MONTH),
    Subscription(3_603, SILVER, ALAN, 7 * MONTH),
)
SEEDED_PURCHASES: tuple[Purchase, ...] = (
    Purchase(3_701, FOUNDERS, GRACE, MONTH, tax_percent=20),
    Purchase(3_702, FOUNDERS, ALAN, MONTH + DAY),
)
# Lin's free Community plan has no subscription or purchase behind it.
SEEDED_GRANTS: tuple[Grant, ...] = (Grant(3_801, COMMUNITY, LIN, 33 + DAY),)
FIRST_GRANT_ID = 9_800_001
SEEDED_TAGS: Mapping[int, frozenset[int]] = {
    GRACE: frozenset({VIP_TAG}),
    ALAN: frozenset({VIP_TAG, SPEAKER_TAG}),
}


@dataclass
class AccessStore:
    """Plan memberships, member tags, subscriptions and purchases, seeded and then changed by
    the API; the seeded plans. Thread-safe."""

    _holders: dict[int, set[int]] = field(default_factory=dict)  # plan id -> member ids
    _tags: dict[int, set[int]] = field(default_factory=dict)  # member id -> tag ids
    _tick: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._plans = {plan.resource_id: plan for plan in SEEDED_PLANS}
        self._holders = {plan: set(holders) for plan, holders in SEEDED_HOLDERS.items()}
        self._tags = {member: set(tags) for member, tags in SEEDED_TAGS.items()}
        self._subscriptions = list(SEEDED_SUBSCRIPTIONS)
        self._purchases = list(SEEDED_PURCHASES)
        self._grants = list(SEEDED_GRANTS)
        self._next_grant = FIRST_GRANT_ID

    # -- plans -----------------------------------------------------------------------

    def plans(self) -> list[Plan]:
        return sorted(self._plans.values(), key=lambda p: p.resource_id)

    def plan(self, plan_id: int) -> Plan | None:
        return self._plans.get(plan_id)

    def holders(self, plan: Plan) -> list[int]:
        with self._lock:
            return sorted(self._holders.get(plan.resource_id, ()))

    def holds(self, plan: Plan, member_id: int) -> bool:
        with self._lock:
            return member_id in self._holders.get(plan.resource_id, set())

    def plans_of(self, member_id: int) -> list[Plan]:
        with self._lock:
            held = {p for p, holders in self._holders.items() if member_id in holders}
        return [plan for plan in self.plans() if plan.resource_id in held]

    def grant(self, plan: Plan, member_id: int) -> Grant | None:
        """Put a member on a plan: a membership (a Grant), no subscription or purchase. None
        when the member has access already."""
        with self._lock:
            holders = self._holders.setdefault(plan.resource_id, set())
            if member_id in holders:
                return None
            holders.add(member_id)
            self._tick += 1
            grant = Grant(self._next_grant, plan.resource_id, member_id, PRESENT + self._tick)
            self._next_grant += 1
            self._grants.append(grant)
            return grant

    def revoke(self, plan: Plan, member_id: int) -> Ended | None:
        """Take a member off a plan, canceling their subscription to it and voiding their
        purchase of it; what that ended, or None when the member was not on it."""
        with self._lock:
            holders = self._holders.get(plan.resource_id, set())
            if member_id not in holders:
                return None
            holders.discard(member_id)
            self._tick += 1
            now = PRESENT + self._tick

            def ended(h: Holding) -> bool:
                return (h.plan_id, h.member_id) == (plan.resource_id, member_id)

            subscriptions = [s for s in self._subscriptions if ended(s) and not s.canceled]
            purchases = [p for p in self._purchases if ended(p) and not p.voided]
            grants = [g for g in self._grants if ended(g)]
            self._subscriptions = [
                replace(s, canceled_minutes=now) if s in subscriptions else s
                for s in self._subscriptions
            ]
            self._purchases = [replace(p, voided=True) if ended(p) else p for p in self._purchases]
            self._grants = [g for g in self._grants if not ended(g)]
            return Ended(
                now,
                replace(subscriptions[0], canceled_minutes=now) if subscriptions else None,
                replace(purchases[0], voided=True) if purchases else None,
                grants[0] if grants else None,
            )

    # -- tags ------------------------------------------------------------------------

    def tags_of(self, member_id: int) -> list[int]:
        with self._lock:
            return sorted(self._tags.get(member_id, ()))

    def tag(self, member_id: int, tag_id: int) -> bool:
        """Give a member a tag; False when they carried it already."""
        with self._lock:
            tags = self._tags.setdefault(member_id, set())
            if tag_id in tags:
                return False
            tags.add(tag_id)
            return True

    def untag(self, member_id: int, tag_id: int) -> bool:
        """Take a tag off a member; False when the member did not carry it."""
        with self._lock:
            tags = self._tags.get(member_id, set())
            if tag_id not in tags:
                return False
            tags.discard(tag_id)
            return True

    # -- subscriptions and purchases -------------------------------------------------

    def subscriptions(self, *, canceled: bool, member_id: int | None) -> list[Subscription]:
        with self._lock:
            found = list(self._subscriptions)
        return [s for s in found if s.canceled == canceled and member_id in (None, s.member_id)]

    def purchases(self, *, plan_id: int | None, member_id: int | None) -> list[Purchase]:
        with self._lock:
            found = list(self._purchases)
        return [
            p
            for p in found
            if not p.voided and plan_id in (None, p.plan_id) and member_id in (None, p.member_id)
        ]


# -- renderings ------------------------------------------------------------------------


def plan_json(plan: Plan, base_url: str) -> dict[str, object]:
    """The published PlanResponse."""
    return {
        "id": plan.resource_id,
        "created_at": timestamp(plan.created_minutes),
        "updated_at": timestamp(plan.created_minutes),
        "name": plan.name,
        "description": plan.description,
        "status": "visible",
        "pricing_type": plan.pricing_type,
        "visible_to_members": True,
        "external": True,
        "multiple": plan.multiple,
        "permalink": f"{base_url}/plans/{plan.resource_id}",
    }


def _price_json(plan: Plan) -> dict[str, object]:
    """SubscriptionPlanResponse and PurchasePlanResponse: the same properties."""
    return {
        "id": plan.resource_id,
        "name": plan.name,
        "amount": plan.amount,
        "currency": plan.currency,
        "interval": plan.interval,
        "type": _PAYMENT_TYPES.get(plan.pricing_type, plan.pricing_type),
        "has_free_trial": plan.trial_days > 0,
    }


# The MemberResponse properties SubscriptionResponse repeats under the same names, and those
# PurchaseResponse repeats with a `member_` prefix.
_BUYER_FIELDS = ("first_name", "last_name", "time_zone", "referral_count", "avatar", "permalink")
_SUBSCRIBER_FIELDS = ("created_at", "updated_at", "email", *_BUYER_FIELDS)


def _subscriber_json(member: Mapping[str, object]) -> dict[str, object]:
    """SubscriptionResponse's subscriber fields, from their MemberResponse."""
    data: dict[str, object] = {"member_id": member["id"], "categories": []}
    data.update({key: member[key] for key in _SUBSCRIBER_FIELDS if key in member})
    return data


def subscription_json(
    subscription: Subscription, plan: Plan, member: Mapping[str, object]
) -> dict[str, object]:
    """The published SubscriptionResponse: the subscriber (from their MemberResponse), the
    plan's price and the subscription itself."""
    data = _subscriber_json(member)
    start = subscription.purchased_minutes
    end = subscription.canceled_minutes
    # Monthly periods from the purchase: the current one holds the present, or the
    # cancellation for a canceled subscription.
    period_start = start + ((PRESENT if end is None else end) - start) // MONTH * MONTH
    detail: dict[str, object] = {
        "id": subscription.resource_id,
        "purchased_at": timestamp(start),
        "current_period_start": timestamp(period_start),
        "current_period_end": timestamp(period_start + MONTH),
        "payment_platform": "stripe",
    }
    if end is not None:
        detail["canceled_at"] = timestamp(end)
    if plan.trial_days:
        detail["trial_length"] = plan.trial_days
        detail["trial_start"] = timestamp(start)
        detail["trial_end"] = timestamp(start + plan.trial_days * DAY)
    data.update(plan=_price_json(plan), subscription=detail)
    return data


def purchase_json(
    purchase: Purchase, plan: Plan, member: Mapping[str, object]
) -> dict[str, object]:
    """The published PurchaseResponse: the buyer's fields carry a ``member_`` prefix."""
    data: dict[str, object] = {"member_id": member["id"], "member_email": member["email"]}
    data.update({f"member_{key}": member[key] for key in _BUYER_FIELDS if key in member})
    when = timestamp(purchase.purchased_minutes)
    data["plan"] = _price_json(plan)
    data["purchase"] = {
        "id": purchase.resource_id,
        "tax_percent": purchase.tax_percent,
        "payment_platform": "stripe",
        "purchased_at": when,
        "created_at": when,
        "updated_at": when,
    }
    return data


def grant_purchase_json(
    grant: Grant, plan: Plan, member: Mapping[str, object]
) -> dict[str, object]:
    """A grant as the PurchaseResponse of the MemberPurchased webhook: the grant's id and time
    as the purchase's, its price that of a one-off (``interval`` "one_time for purchases"),
    and no payment platform or tax, since nothing was paid."""
    data: dict[str, object] = {"member_id": member["id"], "member_email": member["email"]}
    data.update({f"member_{key}": member[key] for key in _BUYER_FIELDS if key in member})
    when = timestamp(grant.purchased_minutes)
    data["plan"] = {**_price_json(plan), "interval": "one_time"}
    data["purchase"] = {
        "id": grant.resource_id,
        "purchased_at": when,
        "created_at": when,
        "updated_at": when,
    }
    return data


def removal_json(
    ended: Ended, plan: Plan, member: Mapping[str, object]
) -> dict[str, object] | None:
    """What a revoke ended, as the SubscriptionResponse of the MemberRemovedFromPlan webhook:
    the canceled subscription; else the voided purchase, or the grant taken back, as the
    subscription (its id and time, canceled now). None when it ended none of them."""
    if ended.subscription is not None:
        return subscription_json(ended.subscription, plan, member)
    held: Holding | None = ended.purchase or ended.grant
    if held is None:
        return None
    detail: dict[str, object] = {
        "id": held.resource_id,
        "purchased_at": timestamp(held.purchased_minutes),
        "canceled_at": timestamp(ended.minutes),
    }
    if ended.purchase is not None:
        detail["payment_platform"] = "stripe"
    return {**_subscriber_json(member), "plan": _price_json(plan), "subscription": detail}
