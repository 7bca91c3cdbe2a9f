"""Bulk changes from the rows of a CSV file (``mighty apply``): each row makes sure a member
exists and has (or no longer has) the plans, spaces and tags it lists, with the requests of the
resource commands: the member looked up by e-mail before anyone is created, each membership
checked before a write, so that "already" is done and a rerun changes nothing twice.

Names of plans, spaces and tags are resolved once per run. Requests are paced (``Pacer``) and
stop cleanly between two requests when asked to. Nothing here prints: each row's ``Result``
goes to the caller, who shows it and logs it.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx

from mightycli.errors import (
    ApiAuthError,
    ApiError,
    MightyError,
    NetworkError,
    NotFoundError,
    RetryLaterError,
)
from mightycli.resources.admin import AdminClient
from mightycli.resources.links import LINKS, change
from mightycli.resources.names import Named, Names, name_key
from mightycli.resources.sheet import LISTS, Row

__all__ = ["Bulk", "Pacer", "Result", "Totals", "select", "stops_the_run"]


@dataclass(frozen=True)
class Phrases:
    """How a row's change to one plan, space or tag is told ({} is its name)."""

    add: str
    added: str
    already: str
    remove: str
    removed: str
    absent: str


PHRASES = {
    "plans": Phrases("grant plan {}", "granted plan {}", "already has plan {}",
                     "revoke plan {}", "revoked plan {}", "does not have plan {}"),
    "spaces": Phrases("add to space {}", "added to space {}", "already in space {}",
                      "remove from space {}", "removed from space {}", "not in space {}"),
    "tags": Phrases("tag {}", "tagged {}", "already tagged {}",
                    "untag {}", "untagged {}", "not tagged {}"),
}  # fmt: skip


def stops_the_run(error: BaseException) -> bool:
    """Failures no later row can escape: a refused token, a server that keeps limiting us or
    cannot be reached. The run stops there, and a rerun with the log goes on from that row."""
    if isinstance(error, (ApiAuthError, RetryLaterError, NetworkError)):
        return True
    return isinstance(error, ApiError) and error.status_code == 429


class InvalidRowError(MightyError):
    """A row that cannot be applied as it is written (found out only by a lookup)."""


@dataclass(frozen=True)
class Result:
    row: Row
    outcome: str  # applied, invalid or failed
    did: tuple[str, ...] = ()
    error: str | None = None
    changed: bool = False  # a write was sent (or, in a dry run, would be)


@dataclass
class Totals:
    rows: int = 0
    changed: int = 0  # rows with at least one write
    unchanged: int = 0  # applied rows that were already as asked
    invalid: int = 0
    failed: int = 0
    created: int = 0
    writes: int = 0

    def count(self, result: Result) -> None:
        self.rows += 1
        if result.outcome == "applied":
            if result.changed:
                self.changed += 1
            else:
                self.unchanged += 1
        elif result.outcome == "invalid":
            self.invalid += 1
        else:
            self.failed += 1


def select(rows: list[Row], done: set[str], limit: int | None) -> tuple[list[Row], int, int]:
    """The rows this run takes: those the log does not show applied, the first ``limit`` of
    them; with how many were skipped as done and how many are left for another run."""
    pending = [row for row in rows if row.key not in done]
    skipped = len(rows) - len(pending)
    if limit is None or limit >= len(pending):
        return pending, skipped, 0
    return pending[:limit], skipped, len(pending) - limit


class Pacer:
    """At most ``per_minute`` requests a minute, evenly spaced; between two requests (and while
    waiting) a stop asked for by ``stopping`` ends the run with KeyboardInterrupt."""

    def __init__(
        self,
        per_minute: float,
        stopping: Callable[[], bool] = lambda: False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        # Spaced exactly 60/N apart, request N+1 would arrive 60 s after the first, and a server
        # counting over a sliding minute that includes both ends (or a first request that left
        # late, opening the connection) would see N+1: one percent apart keeps every minute
        # at N or fewer.
        self.interval = 60.0 / per_minute * 1.01
        self.stopping = stopping
        self.clock = clock
        self.sent = 0
        self._next: float | None = None

    def attach(self, admin: AdminClient) -> None:
        """Pace every request ``admin`` sends, retries included, and its waits between them."""
        hooks = admin.http.event_hooks
        hooks["request"] = [*hooks.get("request", []), self.before]
        admin.http.event_hooks = hooks
        admin.policy = dataclasses.replace(admin.policy, sleep=self.pause)

    def before(self, request: httpx.Request) -> None:
        now = self.clock()
        slot = now if self._next is None else max(now, self._next)
        self.pause(slot - now)
        self._next = slot + self.interval
        self.sent += 1

    def pause(self, seconds: float) -> None:
        end = self.clock() + seconds
        while True:
            if self.stopping():
                raise KeyboardInterrupt
            left = end - self.clock()
            if left <= 0:
                return
            time.sleep(min(left, 0.1))


@dataclass
class Bulk:
    """Applies rows through one Admin API client; ``admin.dry_run`` makes it say what it would
    do, reading (lookups and checks) but writing nothing."""

    admin: AdminClient
    names: Names
    welcome_email: bool = False
    totals: Totals = field(default_factory=Totals)
    doing: list[str] = field(default_factory=list)  # what the row in hand has done so far
    _groups: dict[tuple[str, str], Named | str] = field(default_factory=dict)
    _members: dict[str, tuple[Named, bool]] = field(default_factory=dict)

    @property
    def dry_run(self) -> bool:
        return self.admin.dry_run

    def resolve(self, rows: Iterable[Row]) -> list[Row]:
        """Every plan, space and tag the rows name, looked up once (each list fetched once); a
        row naming one that is not there is invalid, with the reason."""
        checked = []
        for row in rows:
            problems = [] if row.problem is None else [row.problem]
            for column in LISTS:
                for text in row.names(column):
                    found = self._group(column, text)
                    if isinstance(found, str) and found not in problems:
                        problems.append(found)
            checked.append(dataclasses.replace(row, problem="; ".join(problems) or None))
        return checked

    def _group(self, column: str, text: str) -> Named | str:
        key = (column, name_key(text))
        if key not in self._groups:
            try:
                self._groups[key] = self.names.listed(column, text)  # each column names a noun
            except MightyError as error:
                if stops_the_run(error) or not error.message:
                    raise
                reason = error.message.rstrip(".")
                self._groups[key] = reason[:1].lower() + reason[1:]
        return self._groups[key]

    def apply(self, row: Row) -> Result:
        """Apply one valid row; a failure of its own makes it failed (or invalid), one that
        stops the run is raised, with ``doing`` telling how far the row got."""
        self.doing = []
        writes = self.totals.writes
        try:
            self._apply(row)
        except MightyError as error:
            if stops_the_run(error):
                raise
            outcome = "invalid" if isinstance(error, InvalidRowError) else "failed"
            return Result(row, outcome, tuple(self.doing), error.message.rstrip("."))
        return Result(row, "applied", tuple(self.doing), changed=self.totals.writes > writes)

    def _apply(self, row: Row) -> None:
        member, new = self._member(row)
        if member is None:
            self.doing.append("not a member: nothing to remove")
            return
        for column in LISTS:
            words = PHRASES[column]
            for text in row.names(column):
                group = self._groups[(column, name_key(text))]
                assert isinstance(group, Named)
                if new and self.dry_run:  # nobody to check yet: every change would be made
                    step = LINKS[column].add
                    self.admin.call(step.operation, LINKS[column].values(step, group, member))
                    self._wrote(f"would {words.add.format(group.label)}")
                    continue
                outcome = change(self.admin, LINKS[column], group, member, remove=row.remove)
                if not outcome.changed:
                    self.doing.append((words.absent if row.remove else words.already).format(
                        group.label))  # fmt: skip
                    continue
                told = (words.remove if row.remove else words.add).format(group.label)
                done = (words.removed if row.remove else words.added).format(group.label)
                self._wrote(f"would {told}" if self.dry_run else done)

    def _wrote(self, text: str) -> None:
        self.totals.writes += 1
        self.doing.append(text)

    def _member(self, row: Row) -> tuple[Named | None, bool]:
        """The row's member, looked up by e-mail, and created (for an add row) when nobody has
        it; with whether they are new in this run."""
        key = row.email.casefold()
        if key in self._members:
            return self._members[key]
        found = self._lookup(row.email)
        if found is not None:
            self._members[key] = (found, False)
            return found, False
        if row.remove:
            return None, False
        if not (row.first_name and row.last_name):
            raise InvalidRowError(
                "nobody has this e-mail, and a new member needs first_name and last_name"
            )
        member = self._create(row)
        self._members[key] = (member, True)
        return member, True

    def _lookup(self, email: str) -> Named | None:
        try:
            return self.names.member(email)
        except NotFoundError:
            return None

    def _create(self, row: Row) -> Named:
        values: dict[str, Any] = {
            "email": row.email, "first_name": row.first_name, "last_name": row.last_name,
            "send_welcome_email": self.welcome_email,
        }  # fmt: skip
        try:
            answer = self.admin.call("members.create", values)
        except ApiError as error:
            # Created since the lookup (by another run, or a request whose answer was lost):
            # the member is there, and creating them again is what must not happen.
            found = self._lookup(row.email) if error.status_code in (409, 422) else None
            if found is None:
                raise
            self.doing.append("found, already created")
            return found
        self.totals.writes += 1
        self.totals.created += 1
        if self.dry_run:
            self.doing.append("would create")
            return Named(0, row.email)
        if not isinstance(answer, dict) or not str(answer.get("id", "")).isdigit():
            raise ApiError("The Admin API's answer to creating a member has no member id.")
        self.doing.append(f"created member {answer['id']}")
        return Named(int(answer["id"]), row.email, answer)
