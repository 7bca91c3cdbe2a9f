"""The emulated network and its members.

A handful of members are seeded by hand; any number more are derived from their position on
demand, so a directory of 100,000 members costs no memory and no start-up time.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

NETWORK_ID = 1001
NETWORK_SUBDOMAIN = "emulated"
NETWORK_TITLE = "Emulated Network"

# Resource ids are the numbers the Admin API uses; member n (from 1) gets MEMBER_ID_BASE + n.
MEMBER_ID_BASE = 5_000_000


@dataclass(frozen=True)
class Member:
    """One member as the emulator stores it; what an API shows is decided by the API layer."""

    position: int  # 1-based place in the directory, which is also the listing order
    first_name: str
    last_name: str
    email: str
    network_role: str  # CONTRIBUTOR, HOST or MODERATOR
    member_type: str
    time_zone: str
    short_bio: str

    @property
    def resource_id(self) -> int:
        return MEMBER_ID_BASE + self.position

    @property
    def global_id(self) -> str:
        return encode_global_id("Member", self.resource_id)

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def is_host(self) -> bool:
        return self.network_role == "HOST"


SEEDED_MEMBERS: tuple[Member, ...] = (
    Member(
        position=1,
        first_name="Ada",
        last_name="Lovelace",
        email="ada@example.com",
        network_role="HOST",
        member_type="host",
        time_zone="Europe/London",
        short_bio="Host of the Emulated Network.",
    ),
    Member(
        position=2,
        first_name="Grace",
        last_name="Hopper",
        email="grace@example.com",
        network_role="MODERATOR",
        member_type="moderator",
        time_zone="America/New_York",
        short_bio="Keeps the conversation tidy.",
    ),
    Member(
        position=3,
        first_name="Alan",
        last_name="Turing",
        email="alan@example.com",
        network_role="CONTRIBUTOR",
        member_type="member",
        time_zone="Europe/London",
        short_bio="Asks good questions.",
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
    if not sep or not number.isdigit() or not number.isascii():
        return None
    return type_name, int(number)


NETWORK_GLOBAL_ID = encode_global_id("Network", NETWORK_ID)


@dataclass(frozen=True)
class MemberDirectory:
    """Every member of the network, seeded ones first, then `extra` generated ones."""

    extra: int = 0

    def __post_init__(self) -> None:
        if self.extra < 0:
            raise ValueError("extra_members must not be negative")

    @property
    def count(self) -> int:
        return len(SEEDED_MEMBERS) + self.extra

    def at(self, position: int) -> Member | None:
        """The member at a 1-based position, or None past either end."""
        if position < 1 or position > self.count:
            return None
        if position <= len(SEEDED_MEMBERS):
            return SEEDED_MEMBERS[position - 1]
        return Member(
            position=position,
            first_name="Member",
            last_name=str(position),
            email=f"member{position}@example.com",
            network_role="CONTRIBUTOR",
            member_type="member",
            time_zone="UTC",
            short_bio="",
        )

    def page(self, offset: int, limit: int) -> list[Member]:
        """Members after skipping `offset` of them, at most `limit`."""
        start = max(offset, 0) + 1
        stop = min(start + max(limit, 0), self.count + 1)
        return [m for m in (self.at(p) for p in range(start, stop)) if m is not None]

    def by_resource_id(self, resource_id: int) -> Member | None:
        return self.at(resource_id - MEMBER_ID_BASE)

    def by_global_id(self, global_id: str) -> Member | None:
        decoded = decode_global_id(global_id)
        if decoded is None or decoded[0] != "Member":
            return None
        return self.by_resource_id(decoded[1])

    def find(self, who: str) -> Member | None:
        """Look a member up by full name, e-mail, global id or resource id (seeded or generated)."""
        wanted = who.strip()
        for member in SEEDED_MEMBERS:
            if wanted.casefold() in (member.name.casefold(), member.email.casefold()):
                return member
        if wanted.isdigit() and wanted.isascii():
            return self.by_resource_id(int(wanted))
        by_id = self.by_global_id(wanted)
        if by_id is not None:
            return by_id
        head, _, tail = wanted.partition(" ")
        if head == "Member" and tail.isdigit() and tail.isascii():
            position = int(tail)
            return self.at(position) if position > len(SEEDED_MEMBERS) else None
        return None
