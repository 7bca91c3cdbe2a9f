"""Naming things on the command line: a member by numeric id or e-mail, a plan, space, tag or
event by id or by its exact name (case-insensitive). Each list is fetched once per run.

Not found, or a name that fits more than one, is a ``NotFoundError`` (exit 1) that says what
there is: up to 20 names, or the ids of the matches.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from mightycli.errors import ApiError, NotFoundError, UsageError
from mightycli.resources.admin import AdminClient
from mightycli.resources.nouns import NOUNS

__all__ = ["Named", "Names", "is_email", "name_key"]

SHOWN_NAMES = 20
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


@dataclass(frozen=True)
class Named:
    """A thing found by what the user typed: its id and how to speak of it."""

    id: int
    label: str
    item: dict[str, Any] | None = None


def is_email(text: str) -> bool:
    """Whether ``text`` reads as an e-mail address (the server has the last word)."""
    return _EMAIL.match(text) is not None


def _numeric(text: str) -> int | None:
    text = text.strip()
    if text.isascii() and text.isdigit() and len(text) <= 20:
        return int(text)
    return None


def name_key(name: str) -> str:
    """How names compare: in any case, runs of spaces as one."""
    return " ".join(name.split()).casefold()


@dataclass
class Names:
    """Resolves names through one client, listing each noun at most once."""

    admin: AdminClient
    _lists: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    _members: dict[str, Named] = field(default_factory=dict)

    def member(self, text: str) -> Named:
        """A member by numeric id (used as it is) or e-mail (looked up)."""
        number = _numeric(text)
        if number is not None:
            return Named(number, f"member {number}")
        email = text.strip()
        if not is_email(email):
            raise UsageError(
                f"{text!r} is neither a member id nor an e-mail address.",
                hint="Name a member by numeric id (5000001) or e-mail (ada@example.com).",
            )
        key = email.casefold()
        if key not in self._members:
            self._members[key] = self._by_email(email)
        return self._members[key]

    def _by_email(self, email: str) -> Named:
        try:
            body = self.admin.call("members.by_email", {"email": email})
        except ApiError as error:
            if error.status_code == 404:
                raise NotFoundError(f"No member has the e-mail {email}.") from None
            raise
        if not isinstance(body, dict) or _numeric(str(body.get("id", ""))) is None:
            raise ApiError("The Admin API's answer to members/by_email has no member id.")
        return Named(int(body["id"]), str(body.get("email") or email), body)

    def one(self, noun_name: str, text: str) -> Named:
        """A plan, space, tag or event by id, or by its exact name or title."""
        noun = NOUNS[noun_name]
        number = _numeric(text)
        if number is not None:
            return Named(number, f"{noun.singular} {number}")
        assert noun.label is not None, noun_name
        wanted = name_key(text)
        items = self.every(noun_name)
        matches = [item for item in items if name_key(str(item.get(noun.label) or "")) == wanted]
        if len(matches) == 1:
            match = matches[0]
            return Named(int(match["id"]), str(match.get(noun.label)), match)
        if matches:
            ids = ", ".join(str(m.get("id")) for m in matches)
            raise NotFoundError(
                f"{len(matches)} {noun.name} are named {text!r}: ids {ids}.",
                hint=f"Name the {noun.singular} by its id.",
            )
        names = [str(item.get(noun.label)) for item in items]
        shown = ", ".join(names[:SHOWN_NAMES])
        more = f" (and {len(names) - SHOWN_NAMES} more)" if len(names) > SHOWN_NAMES else ""
        there = (
            f"{noun.name.capitalize()}: {shown}{more}." if names else f"There are no {noun.name}."
        )
        raise NotFoundError(f"No {noun.singular} is named {text!r}.", hint=there)

    def listed(self, noun_name: str, text: str) -> Named:
        """As ``one``, but an id is looked for in the list too, so that a plan, space or tag
        that is not there is found out before any write (and named by its name)."""
        number = _numeric(text)
        if number is None:
            return self.one(noun_name, text)
        noun = NOUNS[noun_name]
        assert noun.label is not None, noun_name
        for item in self.every(noun_name):
            if int(item["id"]) == number:
                return Named(number, str(item.get(noun.label)), item)
        raise NotFoundError(f"No {noun.singular} has the id {number}.")

    def every(self, noun_name: str) -> list[dict[str, Any]]:
        """Every item of a noun's network-wide list, fetched once."""
        if noun_name not in self._lists:
            self._lists[noun_name] = [
                item
                for item in self.admin.items(f"{noun_name}.list")
                if isinstance(item, dict) and _numeric(str(item.get("id", ""))) is not None
            ]
        return self._lists[noun_name]
