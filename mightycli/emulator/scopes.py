"""The OAuth scopes a Mighty network offers, and what each one lets an application do."""

from __future__ import annotations

from collections.abc import Mapping

# Member scopes can be approved by anyone in the network.
MEMBER_SCOPE_DESCRIPTIONS: Mapping[str, str] = {
    "read:userinfo": "See your e-mail address and time zone",
    "read:network": "See the network and its members",
    "read:posts": "Read posts",
    "read:courses": "Read courses",
    "read:search": "Search the network",
    "read:chats": "Read your chats",
    "write:posts": "Create and edit posts as you",
    "write:comments": "Comment as you",
    "write:profile": "Edit your profile",
    "write:chats": "Send chat messages as you",
    "write:rsvps": "RSVP to events as you",
    "write:assets": "Upload files as you",
}

# Host scopes reach the whole network, so only a host may approve them.
HOST_SCOPE_DESCRIPTIONS: Mapping[str, str] = {
    "host:read:network": "Read the network's settings",
    "host:read:network_members": "Read every member's details",
    "host:read:network_spaces": "Read every space",
    "host:read:network_events": "Read every event",
    "host:read:network_plans": "Read the network's plans",
    "host:read:network_posts": "Read every post",
    "host:write:network_members": "Manage members",
    "host:write:network_posts": "Manage posts",
    "host:write:network_events": "Manage events",
    "host:write:network_spaces": "Manage spaces",
    "host:write:network_plans": "Manage plans",
    "host:write:network_settings": "Change the network's settings",
    "host:write:network_integrations": "Manage integrations",
    "host:write:network_announcements": "Send announcements",
    "host:write:network_assets": "Manage the network's files",
}

SCOPE_DESCRIPTIONS: Mapping[str, str] = {**MEMBER_SCOPE_DESCRIPTIONS, **HOST_SCOPE_DESCRIPTIONS}

MEMBER_SCOPES: tuple[str, ...] = tuple(MEMBER_SCOPE_DESCRIPTIONS)
HOST_SCOPES: tuple[str, ...] = tuple(HOST_SCOPE_DESCRIPTIONS)
ALL_SCOPES: tuple[str, ...] = MEMBER_SCOPES + HOST_SCOPES


def split_scope(value: str) -> tuple[str, ...]:
    """Split a scope parameter into its distinct names, keeping their first-seen order.

    RFC 6749 §3.3: the value is a list of case-sensitive names delimited by spaces (%x20 only).
    Empty items from doubled spaces are dropped rather than treated as a scope called "".
    """
    names: dict[str, None] = {}
    for name in value.split(" "):
        if name:
            names[name] = None
    return tuple(names)


def join_scope(names: tuple[str, ...]) -> str:
    return " ".join(names)


def is_host_scope(name: str) -> bool:
    return name in HOST_SCOPE_DESCRIPTIONS
