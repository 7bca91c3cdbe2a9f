"""The emulated network: its members and spaces, shared by the Headless API and the Admin API.

A handful of members are seeded by hand; any number more are derived from their position on
demand, so a directory of 100,000 members costs no memory and no start-up time. What the Admin
API creates, changes or deletes is kept as an overlay on top of them, so both APIs see it.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

NETWORK_ID = 1001
NETWORK_SUBDOMAIN = "emulated"
NETWORK_TITLE = "Emulated Network"
NETWORK_SUBTITLE = "A local stand-in for a Mighty network"
NETWORK_DESCRIPTION = "Everything here is made up, so scripts can be tried without an account."
NETWORK_PURPOSE = "Trying mighty without an account."

# The published Admin API's network_id parameter: a numeric id or a subdomain of this form.
SUBDOMAIN_PATTERN = re.compile(r"[a-z][a-z0-9-]+")

# Resource ids are the numbers the Admin API uses; member n (from 1) gets MEMBER_ID_BASE + n.
MEMBER_ID_BASE = 5_000_000
SPACE_ID_BASE = 7_000

# Fixed timestamps keep every response reproducible between runs.
EPOCH = datetime(2024, 1, 1, tzinfo=UTC)

# MemberType values (published enum) and the Admin API's member_type ('full' or 'limited').
LIMITED_MEMBER = "LIMITED_MEMBER"


def timestamp(minutes: int) -> str:
    """An RFC 3339 time, `minutes` after the emulator's fixed epoch."""
    return (EPOCH + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class Member:
    """One member as the emulator stores it; what an API shows is decided by the API layer."""

    position: int  # 1-based place in the directory, which is also the listing order
    first_name: str | None
    last_name: str | None
    email: str
    network_role: str | None  # MembershipRole (CONTRIBUTOR, HOST, MODERATOR); None when limited
    member_type: str  # MemberType
    time_zone: str
    short_bio: str
    # Field reports: `name` is null for some members (limited ones among them).
    name: str | None
    referral_count: int = 0

    @property
    def resource_id(self) -> int:
        return MEMBER_ID_BASE + self.position

    @property
    def global_id(self) -> str:
        return encode_global_id("User", self.resource_id)

    @property
    def display_name(self) -> str:
        """What a person is called on a page: the name, else first and last, else the id."""
        if self.name:
            return self.name
        parts = [p for p in (self.first_name, self.last_name) if p]
        return " ".join(parts) if parts else f"member {self.resource_id}"

    @property
    def is_host(self) -> bool:
        return self.network_role == "HOST"

    @property
    def is_limited(self) -> bool:
        return self.member_type == LIMITED_MEMBER

    @property
    def sees_member_list(self) -> bool:
        """Field reports: network.members is empty, not an error, for anyone but hosts and
        moderators."""
        return self.network_role in ("HOST", "MODERATOR")


SEEDED_MEMBERS: tuple[Member, ...] = (
    Member(
        position=1,
        first_name="Ada",
        last_name="Lovelace",
        email="ada@example.com",
        network_role="HOST",
        member_type="NETWORK_HOST",
        time_zone="Europe/London",
        short_bio="Host of the Emulated Network.",
        name="Ada Lovelace",
        referral_count=12,
    ),
    Member(
        position=2,
        first_name="Grace",
        last_name="Hopper",
        email="grace@example.com",
        network_role="MODERATOR",
        member_type="NETWORK_MODERATOR",
        time_zone="America/New_York",
        short_bio="Keeps the conversation tidy.",
        name="Grace Hopper",
        referral_count=3,
    ),
    Member(
        position=3,
        first_name="Alan",
        last_name="Turing",
        email="alan@example.com",
        network_role="CONTRIBUTOR",
        member_type="FULL_MEMBER",
        time_zone="Europe/London",
        short_bio="Asks good questions.",
        name="Alan Turing",
    ),
    # A limited member as field reports describe one: no name and no network role.
    Member(
        position=4,
        first_name="Lin",
        last_name=None,
        email="lin@example.com",
        network_role=None,
        member_type=LIMITED_MEMBER,
        time_zone="Asia/Singapore",
        short_bio="",
        name=None,
    ),
)


def encode_global_id(type_name: str, resource_id: int) -> str:
    """An opaque global id in the Relay style: clients must not parse it, so it is encoded."""
    return base64.b64encode(f"{type_name}:{resource_id}".encode()).decode("ascii")


def decode_global_id(global_id: str) -> tuple[str, int] | None:
    try:
        raw = base64.b64decode(global_id.encode("ascii"), validate=True).decode("utf-8")
    except (UnicodeError, binascii.Error, ValueError):
        return None
    type_name, sep, number = raw.partition(":")
    if not sep or not number.isdigit() or not number.isascii() or len(number) > 19:
        return None
    return type_name, int(number)


NETWORK_GLOBAL_ID = encode_global_id("Network", NETWORK_ID)


def parse_id(text: str) -> int | None:
    """A published uint64 path id: ASCII digits only, bounded length."""
    if not text.isdigit() or not text.isascii() or len(text) > 19:
        return None
    return int(text)


@dataclass(frozen=True)
class Space:
    resource_id: int
    name: str
    created_minutes: int
    collection_id: int | None = None

    @property
    def global_id(self) -> str:
        return encode_global_id("Space", self.resource_id)


SEEDED_SPACES: tuple[Space, ...] = (
    Space(SPACE_ID_BASE + 1, "Welcome", 10),
    Space(SPACE_ID_BASE + 2, "Announcements", 20),
)


def _generated_member(position: int) -> Member:
    return Member(
        position=position,
        first_name="Member",
        last_name=str(position),
        email=f"member{position}@example.com",
        network_role="CONTRIBUTOR",
        member_type="FULL_MEMBER",
        time_zone="UTC",
        short_bio="",
        name=f"Member {position}",
    )


def title_for(subdomain: str) -> str:
    """The network's title: the emulated network's own, or one made from the subdomain it poses
    as (my-community is My Community)."""
    if subdomain == NETWORK_SUBDOMAIN:
        return NETWORK_TITLE
    return " ".join(word.capitalize() for word in subdomain.split("-") if word)


@dataclass
class MemberDirectory:
    """Every member of the network: seeded ones first, then `extra` generated ones, then the
    ones the Admin API created; minus the deleted ones. Thread-safe."""

    extra: int = 0
    subdomain: str = NETWORK_SUBDOMAIN
    _created: dict[int, Member] = field(default_factory=dict)
    _changed: dict[int, Member] = field(default_factory=dict)
    _deleted: list[int] = field(default_factory=list)  # sorted positions
    _spaces: dict[int, Space] = field(default_factory=dict)
    _space_members: dict[int, set[int]] = field(default_factory=dict)
    _next_space: int = SPACE_ID_BASE + len(SEEDED_SPACES) + 1
    _lock: threading.RLock = field(default_factory=threading.RLock)

    def __post_init__(self) -> None:
        if self.extra < 0:
            raise ValueError("extra_members must not be negative")
        if not SUBDOMAIN_PATTERN.fullmatch(self.subdomain):
            raise ValueError("the network's subdomain must match ^[a-z][a-z0-9-]+$ (as published)")
        for space in SEEDED_SPACES:
            self._spaces[space.resource_id] = space
        # Everyone is in Welcome; Announcements has the host and the moderator.
        self._space_members[SEEDED_SPACES[0].resource_id] = {1, 2, 3, 4}
        self._space_members[SEEDED_SPACES[1].resource_id] = {1, 2}

    @property
    def title(self) -> str:
        return title_for(self.subdomain)

    @property
    def network_keys(self) -> frozenset[str]:
        """How API paths may name the network: its numeric id or its subdomain."""
        return frozenset({str(NETWORK_ID), self.subdomain})

    # -- members -----------------------------------------------------------------------

    @property
    def _base_count(self) -> int:
        return len(SEEDED_MEMBERS) + self.extra

    @property
    def _last_position(self) -> int:
        return self._base_count + len(self._created)

    @property
    def count(self) -> int:
        with self._lock:
            return self._last_position - len(self._deleted)

    def _stored(self, position: int) -> Member | None:
        if position < 1 or position > self._last_position:
            return None
        index = bisect.bisect_left(self._deleted, position)
        if index < len(self._deleted) and self._deleted[index] == position:
            return None
        if position in self._changed:
            return self._changed[position]
        if position <= len(SEEDED_MEMBERS):
            return SEEDED_MEMBERS[position - 1]
        if position <= self._base_count:
            return _generated_member(position)
        return self._created.get(position)

    def at(self, position: int) -> Member | None:
        """The member at a 1-based position, or None when there is none (or it was deleted)."""
        with self._lock:
            return self._stored(position)

    def _position_of_index(self, index: int) -> int:
        # The smallest position with index+1 members not deleted at or before it.
        position = index + 1
        while True:
            following = index + 1 + bisect.bisect_right(self._deleted, position)
            if following == position:
                return position
            position = following

    def page(self, offset: int, limit: int) -> list[Member]:
        """Members in listing order after skipping `offset` of them, at most `limit`."""
        out: list[Member] = []
        with self._lock:
            position = self._position_of_index(max(offset, 0))
            while len(out) < max(limit, 0) and position <= self._last_position:
                member = self._stored(position)
                if member is not None:
                    out.append(member)
                position += 1
        return out

    def every(self) -> Iterator[Member]:
        """All members in listing order (materialises them: for filters and sorts only)."""
        with self._lock:
            members = [self._stored(p) for p in range(1, self._last_position + 1)]
        return (m for m in members if m is not None)

    def by_resource_id(self, resource_id: int) -> Member | None:
        return self.at(resource_id - MEMBER_ID_BASE)

    def by_global_id(self, global_id: str) -> Member | None:
        decoded = decode_global_id(global_id)
        if decoded is None or decoded[0] != "User":
            return None
        return self.by_resource_id(decoded[1])

    def by_email(self, email: str) -> Member | None:
        wanted = email.strip().casefold()
        with self._lock:
            for member in (*SEEDED_MEMBERS, *self._changed.values(), *self._created.values()):
                current = self._stored(member.position)
                if current is not None and current.email.casefold() == wanted:
                    return current
            head, _, domain = wanted.partition("@")
            number = head.removeprefix("member")
            if domain == "example.com" and number != head:
                position = parse_id(number)
                if position is not None and len(SEEDED_MEMBERS) < position <= self._base_count:
                    found = self._stored(position)
                    if found is not None and found.email.casefold() == wanted:
                        return found
        return None

    def create(self, **fields: object) -> Member:
        with self._lock:
            position = self._last_position + 1
            member = Member(position=position, **fields)  # type: ignore[arg-type]
            self._created[position] = member
            self._space_members[SEEDED_SPACES[0].resource_id].add(position)
            return member

    def update(self, member: Member, **changes: object) -> Member:
        with self._lock:
            updated = replace(member, **changes)  # type: ignore[arg-type]
            if member.position in self._created:
                self._created[member.position] = updated
            else:
                self._changed[member.position] = updated
            return updated

    def delete(self, member: Member) -> None:
        with self._lock:
            if self._stored(member.position) is None:
                return
            bisect.insort(self._deleted, member.position)
            for roster in self._space_members.values():
                roster.discard(member.position)

    def find(self, who: str) -> Member | None:
        """Look a member up by full name, e-mail, global id or resource id (seeded or generated)."""
        wanted = who.strip()
        for member in SEEDED_MEMBERS:
            names = (member.display_name.casefold(), member.email.casefold())
            if wanted.casefold() in names:
                return self.at(member.position)
        number = parse_id(wanted)
        if number is not None:
            return self.by_resource_id(number)
        by_id = self.by_global_id(wanted)
        if by_id is not None:
            return by_id
        head, _, tail = wanted.partition(" ")
        position = parse_id(tail)
        if head == "Member" and position is not None and position > len(SEEDED_MEMBERS):
            return self.at(position)
        return None

    # -- spaces ------------------------------------------------------------------------

    def spaces(self) -> list[Space]:
        with self._lock:
            return sorted(self._spaces.values(), key=lambda s: s.resource_id)

    def space(self, resource_id: int) -> Space | None:
        with self._lock:
            return self._spaces.get(resource_id)

    def space_by_global_id(self, global_id: str) -> Space | None:
        decoded = decode_global_id(global_id)
        if decoded is None or decoded[0] != "Space":
            return None
        return self.space(decoded[1])

    def create_space(self, name: str, collection_id: int | None, minutes: int) -> Space:
        with self._lock:
            space = Space(self._next_space, name, minutes, collection_id)
            self._next_space += 1
            self._spaces[space.resource_id] = space
            self._space_members[space.resource_id] = set()
            return space

    def update_space(self, space: Space, **changes: object) -> Space:
        with self._lock:
            updated = replace(space, **changes)  # type: ignore[arg-type]
            self._spaces[space.resource_id] = updated
            return updated

    def delete_space(self, space: Space) -> None:
        with self._lock:
            self._spaces.pop(space.resource_id, None)
            self._space_members.pop(space.resource_id, None)

    def space_roster(self, space: Space) -> list[Member]:
        with self._lock:
            positions = sorted(self._space_members.get(space.resource_id, ()))
            found = [self._stored(p) for p in positions]
        return [m for m in found if m is not None]

    def in_space(self, space: Space, member: Member) -> bool:
        with self._lock:
            return member.position in self._space_members.get(space.resource_id, set())

    def spaces_of(self, member: Member) -> list[Space]:
        """The spaces a member is in, in id order."""
        with self._lock:
            return [s for s in self.spaces() if self.in_space(s, member)]

    def join_space(self, space: Space, member: Member) -> None:
        with self._lock:
            self._space_members.setdefault(space.resource_id, set()).add(member.position)

    def leave_space(self, space: Space, member: Member) -> None:
        with self._lock:
            self._space_members.get(space.resource_id, set()).discard(member.position)
