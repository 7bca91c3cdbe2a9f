"""Memberships between a member and a plan, a space or a tag: given, taken away, and checked
first, so that giving what is there already (or taking what is not) sends no write and says so.

Each kind is data over the operations table: the GET that shows one membership (200 or 404),
the write that makes it and the one that ends it, and the parameter each names the member by.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mightycli.resources.admin import AdminClient
from mightycli.resources.names import Named

__all__ = ["LINKS", "Link", "Outcome", "change"]


@dataclass(frozen=True)
class Step:
    operation: str
    member_param: str  # the name the operation gives the member's id


@dataclass(frozen=True)
class Link:
    group_param: str  # the name every step gives the plan's, space's or tag's id
    answer_noun: str  # what the write that makes the membership answers with
    check: Step
    add: Step
    remove: Step
    # How each outcome is told: {member} and {group} are filled in.
    added: str
    already: str
    removed: str
    absent: str

    def values(self, step: Step, group: Named, member: Named) -> dict[str, Any]:
        return {self.group_param: group.id, step.member_param: member.id}


LINKS: dict[str, Link] = {
    "plans": Link(
        "plan_id",
        "plans",  # POST plans/{plan_id}/members answers a PlanResponse
        check=Step("plans.has_member", "member_id"),
        add=Step("plans.grant", "user_id"),
        remove=Step("plans.revoke", "id"),
        added="Granted plan {group} to {member}.",
        already="{member} already has plan {group}.",
        removed="Revoked plan {group} from {member}.",
        absent="{member} does not have plan {group}.",
    ),
    "spaces": Link(
        "space_id",
        "members",  # POST spaces/{space_id}/members answers a MemberResponse
        check=Step("spaces.has_member", "user_id"),
        add=Step("spaces.add", "user_id"),
        remove=Step("spaces.remove", "user_id"),
        added="Added {member} to space {group}.",
        already="{member} is already in space {group}.",
        removed="Removed {member} from space {group}.",
        absent="{member} is not in space {group}.",
    ),
    "tags": Link(
        "tag_id",
        "tags",  # POST members/{member_id}/tags answers a TagResponse
        check=Step("members.has_tag", "member_id"),
        add=Step("members.tag", "member_id"),
        remove=Step("members.untag", "member_id"),
        added="Tagged {member} with {group}.",
        already="{member} is already tagged {group}.",
        removed="Removed tag {group} from {member}.",
        absent="{member} is not tagged {group}.",
    ),
}


@dataclass(frozen=True)
class Outcome:
    changed: bool  # a write was sent (or, in a dry run, would be)
    message: str
    answer: Any = None  # the server's answer to the write


def change(admin: AdminClient, kind: Link, group: Named, member: Named, *, remove: bool) -> Outcome:
    """Give ``member`` the plan, space or tag ``group`` unless they have it already, or (with
    ``remove``) take it from them if they have it."""
    words = {"group": group.label, "member": member.label}
    has = admin.exists(kind.check.operation, kind.values(kind.check, group, member))
    if has != remove:
        return Outcome(False, (kind.absent if remove else kind.already).format_map(words))
    step = kind.remove if remove else kind.add
    answer = admin.call(step.operation, kind.values(step, group, member))
    return Outcome(True, (kind.removed if remove else kind.added).format_map(words), answer)
