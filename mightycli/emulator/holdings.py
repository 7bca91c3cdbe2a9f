"""Admin API operations on what members hold and answer: their spaces, plans and tags, plan
rosters and plan invites, events' RSVPs, subscriptions and purchases.

The state lives in the stores (``access``, ``records``, ``rsvps``, the directory), shared with
the rest of the Admin API: a plan granted here shows in both ``members/{member_id}/plans`` and
``plans/{plan_id}/members``, a tag created through ``POST tags`` can be given to a member, and
an invite to a plan shows in ``invites`` too.

The changes here that have a published webhook are told to ``publish``: a tag given to a
member (MemberTagAdded) or taken off (MemberTagRemoved), only when it changes what they carry;
a plan granted (MemberPurchased) or revoked (MemberRemovedFromPlan), with the payloads
``access`` describes; an RSVP made (RsvpCreated) or answered again with another status
(RsvpUpdated; the same answer again changes only its time, and publishes nothing). The
emulator serves no badge memberships, comments, reactions, polls or RSVP deletions, so their
webhooks are never sent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from .access import (
    GRANTABLE,
    AccessStore,
    Holding,
    Plan,
    grant_purchase_json,
    plan_json,
    purchase_json,
    removal_json,
    subscription_json,
)
from .directory import Member, MemberDirectory
from .records import (
    EVENTS,
    INVITES,
    TAGS,
    Context,
    RecordError,
    RecordStore,
    checked,
    event_payload,
    parse_date_time,
)
from .rest import (
    AdminResponse,
    Call,
    Handler,
    Pager,
    Publish,
    error,
    filter_id,
    find_member,
    member_event,
    member_json,
    not_found,
    publish_nothing,
    space_json,
    user_id_member,
)
from .rsvps import Rsvp, RsvpStore, instance_index, read_rsvp_request, rsvp_json

H = TypeVar("H", bound=Holding)


@dataclass
class Holdings:
    directory: MemberDirectory
    records: RecordStore
    pager: Pager
    context: Callable[[], Context]
    admin: Member  # the API token's member, who creates what the API creates
    publish: Publish = publish_nothing
    access: AccessStore = field(default_factory=AccessStore)
    rsvps: RsvpStore = field(default_factory=RsvpStore)

    def routes(self) -> list[tuple[str, dict[str, Handler]]]:
        """(path pattern after the network, handlers by method), as published."""
        return [
            (r"members/(\d+)/spaces", {"GET": self._member_spaces}),
            (r"members/(\d+)/plans", {"GET": self._member_plans}),
            (r"members/(\d+)/tags", {"GET": self._member_tags, "POST": self._tag_member}),
            (
                r"members/(\d+)/tags/(\d+)/",
                {
                    "GET": lambda c: AdminResponse(200, self._carried_tag(c)[1]),
                    "DELETE": self._untag,
                },
            ),
            (
                "plans",
                {"GET": lambda c: self.pager.page(c, self._plans_json(c, self.access.plans()))},
            ),
            (
                r"plans/(\d+)/",
                {"GET": lambda c: AdminResponse(200, self._plans_json(c, [self._plan(c)])[0])},
            ),
            (r"plans/(\d+)/members", {"GET": self._plan_members, "POST": self._grant_plan}),
            (
                r"plans/(\d+)/members/(\d+)/",
                {
                    "GET": lambda c: AdminResponse(200, member_json(self._holder(c), c.base_url)),
                    "DELETE": self._revoke_plan,
                },
            ),
            (r"plans/(\d+)/invites", {"GET": self._plan_invites, "POST": self._invite_to_plan}),
            (
                r"plans/(\d+)/invites/(\d+)/",
                {
                    "GET": lambda c: AdminResponse(200, self._plan_invite(c)),
                    # Published: "Resend an existing invite", with no body.
                    "PATCH": self._resend_invite,
                    "PUT": self._resend_invite,
                    "DELETE": self._revoke_invite,
                },
            ),
            (r"events/(\d+)/rsvps", {"GET": self._list_rsvps, "POST": self._answer_rsvp}),
            ("subscriptions", {"GET": self._list_subscriptions}),
            ("purchases", {"GET": self._list_purchases}),
        ]

    def _members(self, member_ids: Iterable[int]) -> dict[int, Member]:
        """The members with these ids that still exist, by id."""
        found = (self.directory.by_resource_id(i) for i in member_ids)
        return {m.resource_id: m for m in found if m is not None}

    # -- what a member holds ---------------------------------------------------------

    def _member_spaces(self, call: Call) -> AdminResponse:
        member = find_member(self.directory, call.ids[0])
        return self.pager.page(call, [space_json(s) for s in self.directory.spaces_of(member)])

    def _member_plans(self, call: Call) -> AdminResponse:
        member = find_member(self.directory, call.ids[0])
        return self.pager.page(
            call, self._plans_json(call, self.access.plans_of(member.resource_id))
        )

    def _member_tags(self, call: Call) -> AdminResponse:
        member = find_member(self.directory, call.ids[0])
        tags = []
        for tag_id in self.access.tags_of(member.resource_id):
            try:
                tags.append(self.records.get(TAGS, tag_id, self.context()))
            except RecordError:
                continue  # the tag was deleted since
        return self.pager.page(call, tags)

    def _tag_member(self, call: Call) -> AdminResponse:
        member = find_member(self.directory, call.ids[0])
        values = checked(call.body(), {"tag_id": "integer"})  # MemberTagAddRequest
        if "tag_id" not in values:
            return error(422, "Missing required fields: tag_id.")
        tag = self.records.get(TAGS, values["tag_id"], self.context())
        if self.access.tag(member.resource_id, values["tag_id"]):
            payload = member_event(member_json(member, call.base_url), tag=tag)
            self.publish("MemberTagAdded", payload)
        return AdminResponse(200, tag)

    def _carried_tag(self, call: Call) -> tuple[Member, dict[str, Any]]:
        member = find_member(self.directory, call.ids[0])
        if call.ids[1] not in self.access.tags_of(member.resource_id):
            raise not_found()
        return member, self.records.get(TAGS, call.ids[1], self.context())

    def _untag(self, call: Call) -> AdminResponse:
        member, tag = self._carried_tag(call)
        if self.access.untag(member.resource_id, call.ids[1]):
            payload = member_event(member_json(member, call.base_url), tag=tag)
            self.publish("MemberTagRemoved", payload)
        return AdminResponse(204)

    # -- plans -----------------------------------------------------------------------

    def _plan(self, call: Call) -> Plan:
        plan = self.access.plan(call.ids[0])
        if plan is None:
            raise not_found()
        return plan

    @staticmethod
    def _plans_json(call: Call, plans: Sequence[Plan]) -> list[dict[str, object]]:
        return [plan_json(p, call.base_url) for p in plans]

    def _plan_members(self, call: Call) -> AdminResponse:
        holders = self._members(self.access.holders(self._plan(call)))
        return self.pager.page(call, [member_json(m, call.base_url) for m in holders.values()])

    def _grant_plan(self, call: Call) -> AdminResponse:
        plan = self._plan(call)
        member = user_id_member(call, self.directory)
        if plan.pricing_type not in GRANTABLE:
            return error(422, "Only a free or nonpaid plan can be granted directly.")
        grant = self.access.grant(plan, member.resource_id)
        if grant is None:
            return error(422, "The member already has access to this plan.")
        buyer = member_json(member, call.base_url)
        self.publish("MemberPurchased", grant_purchase_json(grant, plan, buyer))
        return AdminResponse(200, plan_json(plan, call.base_url))

    def _holder(self, call: Call) -> Member:
        plan = self._plan(call)
        member = find_member(self.directory, call.ids[1])
        if not self.access.holds(plan, member.resource_id):
            raise not_found()
        return member

    def _revoke_plan(self, call: Call) -> AdminResponse:
        plan = self._plan(call)
        member = find_member(self.directory, call.ids[1])
        ended = self.access.revoke(plan, member.resource_id)
        if ended is None:
            return error(422, "The member does not have access to this plan.")
        removal = removal_json(ended, plan, member_json(member, call.base_url))
        if removal is not None:
            self.publish("MemberRemovedFromPlan", removal)
        return AdminResponse(204)

    def _plan_invites(self, call: Call) -> AdminResponse:
        where = {"plan_id": self._plan(call).resource_id}
        return self.pager.page(call, self.records.every(INVITES, self.context(), {}, where))

    def _invite_to_plan(self, call: Call) -> AdminResponse:
        """A plan invite names its recipient by ``email`` or, for a member, by ``user_id``
        (query parameters; there is no body). The optional ``message`` is kept but not shown:
        InviteResponse has no property for it. Only an unknown plan is a 404 ("Plan not
        found"); every other problem is published as 422, "Invalid invite parameters"."""
        plan = self._plan(call)
        email = call.query_value("email")
        values: dict[str, object] = {"plan_id": plan.resource_id}
        if call.query_value("user_id") is not None:
            if email is not None:
                return error(422, "Give email or user_id, not both.")
            member = self.directory.by_resource_id(filter_id(call.query_value("user_id")) or 0)
            if member is None:
                return error(422, "user_id must be the id of a member.")
            values.update(
                recipient_email=member.email,
                recipient_first_name=member.first_name or "",
                recipient_last_name=member.last_name or "",
                invitee_id=member.resource_id,
            )
        elif email is None or not email.strip():
            return error(422, "email or user_id is required.")
        else:
            values["recipient_email"] = email.strip()
        message = call.query_value("message")
        if message is not None:
            values["message"] = message
        return AdminResponse(200, self.records.add(INVITES, values, self.context()))

    def _plan_invite(self, call: Call) -> dict[str, Any]:
        plan = self._plan(call)
        invite = self.records.get(INVITES, call.ids[1], self.context())
        if self.records.item(INVITES, call.ids[1]).get("plan_id") != plan.resource_id:
            raise not_found()
        return invite

    def _resend_invite(self, call: Call) -> AdminResponse:
        self._plan_invite(call)
        return AdminResponse(200, self.records.update(INVITES, call.ids[1], {}, self.context()))

    def _revoke_invite(self, call: Call) -> AdminResponse:
        self._plan_invite(call)
        self.records.delete(INVITES, call.ids[1])
        return AdminResponse(204)

    # -- events' RSVPs ---------------------------------------------------------------

    def _event(self, call: Call) -> tuple[dict[str, Any], dict[str, Any]]:
        """An event as stored, and as the EventCreatePayload an RSVP shows; an event whose
        space is gone is gone with it."""
        item = self.records.item(EVENTS, call.ids[0])
        payload = event_payload_of(
            self.records, self.directory, self.admin, call.ids[0], self.context()
        )
        if payload is None:
            raise not_found()
        return item, payload

    def _list_rsvps(self, call: Call) -> AdminResponse:
        item, event = self._event(call)
        text = call.query_value("instance_at")
        instance = parse_date_time(text) if text else None
        # Only 200 and 404 are published: an instant that is not one matches no RSVP.
        rsvps = [] if text and instance is None else self.rsvps.of_event(call.ids[0], instance)
        return self.pager.page(call, self._rsvps_json(call, rsvps, item, event))

    def _rsvps_json(
        self, call: Call, rsvps: Sequence[Rsvp], item: dict[str, Any], event: dict[str, Any]
    ) -> list[dict[str, Any]]:
        members = self._members(r.member_id for r in rsvps)
        return [
            rsvp_json(r, item, event, member_json(members[r.member_id], call.base_url))
            for r in rsvps
            if r.member_id in members
        ]

    def _answer_rsvp(self, call: Call) -> AdminResponse:
        """Every member the directory holds is in the network, so the published 403 ("Member
        is not in this network") does not arise here."""
        item, event = self._event(call)
        member_id, status, instance = read_rsvp_request(call.body())
        member = find_member(self.directory, member_id)
        if instance is not None and instance_index(item, instance) is None:
            return error(422, "instance_at is not an instance of this event.")
        rsvp, before = self.rsvps.answer(call.ids[0], member.resource_id, status, instance)
        rendered = self._rsvps_json(call, [rsvp], item, event)[0]
        if before is None:
            self.publish("RsvpCreated", rendered)
        elif before.status != rsvp.status:
            self.publish("RsvpUpdated", rendered)
        return AdminResponse(200, rendered)

    # -- subscriptions and purchases -------------------------------------------------

    def _list_subscriptions(self, call: Call) -> AdminResponse:
        # Published: status "'canceled' for archived subscriptions". Without it (or with any
        # other value) the list holds the subscriptions that are not canceled.
        found = self.access.subscriptions(
            canceled=call.query_value("status") == "canceled",
            member_id=filter_id(call.query_value("member_id")),
        )
        return self._page_held(call, found, subscription_json)

    def _list_purchases(self, call: Call) -> AdminResponse:
        found = self.access.purchases(
            plan_id=filter_id(call.query_value("plan_id")),
            member_id=filter_id(call.query_value("member_id")),
        )
        return self._page_held(call, found, purchase_json)

    def _page_held(
        self,
        call: Call,
        found: Sequence[H],
        render: Callable[[H, Plan, Mapping[str, object]], dict[str, object]],
    ) -> AdminResponse:
        """A page of subscriptions or purchases, each with its plan and its member."""
        members = self._members(h.member_id for h in found)
        return self.pager.page(
            call,
            [
                render(h, plan, member_json(members[h.member_id], call.base_url))
                for h in found
                if h.member_id in members and (plan := self.access.plan(h.plan_id))
            ],
        )


def event_payload_of(
    records: RecordStore, directory: MemberDirectory, admin: Member, event_id: int, ctx: Context
) -> dict[str, Any] | None:
    """A stored event as the published EventCreatePayload (what an RSVP shows as its event,
    and the EventCreated/EventUpdated webhooks carry), created by the API token's member; None
    when its space is gone (and the event with it)."""
    item = records.item(EVENTS, event_id)
    space = directory.space(item["space_id"])
    if space is None:
        return None
    creator = member_json(directory.at(admin.position) or admin, ctx.base_url)
    return event_payload(event_id, item, ctx, creator, space_json(space))
