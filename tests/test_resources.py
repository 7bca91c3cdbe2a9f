"""The resources library on its own: requests built from the table, the machine formats, and
--json's field choice."""

from __future__ import annotations

import csv
import enum
import io
import json
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from mightycli.errors import UsageError
from mightycli.resources.formats import cell_text, pick_fields, write_items
from mightycli.resources.nouns import NOUNS, full_name
from mightycli.resources.operations import OPERATIONS

MEMBERS = NOUNS["members"]
TRICKY = [
    {"id": 1, "email": "a@example.com", "first_name": 'Jo, "JJ"', "last_name": "Doe",
     "member_type": "full"},
    {"id": 2, "email": "b@example.com", "first_name": "Tab\tbed", "last_name": "Back\\slash\nx",
     "member_type": "limited"},
    {"id": 3, "email": "c@example.com", "first_name": None, "member_type": "full"},
]  # fmt: skip


def test_a_request_takes_what_each_part_names() -> None:
    grant = OPERATIONS["plans.grant"]
    values = {"plan_id": 3001, "user_id": 5000003, "ignored": "x"}
    assert grant.path_for(values) == "plans/3001/members"
    assert grant.query_for(values) == [("user_id", "5000003")]
    assert grant.body_for(values) is None
    create = OPERATIONS["members.create"]
    body = create.body_for(
        {"email": "e@x.org", "first_name": "E", "role": None, "send_welcome_email": False}
    )
    assert body == {"email": "e@x.org", "first_name": "E", "send_welcome_email": False}
    remove = OPERATIONS["members.remove"]
    assert remove.query_for({"id": 1, "cancel_plans": True}) == [("cancel_plans", "true")]
    with pytest.raises(ValueError):
        OPERATIONS["members.view"].path_for({})
    # Path values are percent-encoded: a value can never reach another path.
    assert OPERATIONS["members.view"].path_for({"id": "../x"}) == "members/..%2Fx/"


def test_tsv_keeps_one_item_a_line() -> None:
    out = io.StringIO()
    assert write_items(out, TRICKY, "tsv", MEMBERS.columns) == 3
    lines = out.getvalue().splitlines()
    assert len(lines) == 3
    assert lines[0] == '1\ta@example.com\tJo, "JJ" Doe\tfull'
    assert lines[1] == "2\tb@example.com\tTab\\tbed Back\\\\slash\\nx\tlimited"
    assert lines[2] == "3\tc@example.com\t\tfull"


def test_csv_is_rfc_4180() -> None:
    out = io.StringIO(newline="")
    write_items(out, TRICKY, "csv", MEMBERS.columns)
    text = out.getvalue()
    assert text.startswith("id,email,name,type\r\n")
    assert '"Jo, ""JJ"" Doe"' in text
    parsed = list(csv.reader(io.StringIO(text, newline="")))
    assert parsed[1][2] == 'Jo, "JJ" Doe'
    assert parsed[2][2] == "Tab\tbed Back\\slash\nx"


def test_ndjson_and_json_fields() -> None:
    out = io.StringIO()
    write_items(out, TRICKY, "ndjson", MEMBERS.columns)
    assert [json.loads(line) for line in out.getvalue().splitlines()] == TRICKY
    out = io.StringIO()
    write_items(out, TRICKY, "json", (), ["id", "first_name"])
    assert json.loads(out.getvalue()) == [
        {"id": 1, "first_name": 'Jo, "JJ"'},
        {"id": 2, "first_name": "Tab\tbed"},
        {"id": 3, "first_name": None},
    ]
    out = io.StringIO()
    write_items(out, [], "json", (), ["id"])
    assert out.getvalue() == "[]\n"


def test_json_fields_must_be_the_nouns() -> None:
    assert pick_fields(MEMBERS, "id, email") == ["id", "email"]
    with pytest.raises(UsageError) as error:
        pick_fields(MEMBERS, "id,name,role")
    assert error.value.message == "Unknown fields for members: name, role."
    assert error.value.hint is not None and "first_name" in error.value.hint
    with pytest.raises(UsageError):
        pick_fields(MEMBERS, " , ")


def test_cells() -> None:
    assert cell_text(None) == "" and cell_text(True) == "true" and cell_text(0) == "0"
    assert cell_text({"a": [1, "é"]}) == '{"a":[1,"é"]}'
    assert full_name(" ", None) == "" and full_name("Ada", "") == "Ada"
    nested = NOUNS["subscriptions"].columns[2]
    assert nested.of({"plan": {"name": "Gold"}}) == "Gold" and nested.of({"plan": None}) is None


class Kind(enum.IntEnum):
    FULL = 1


class Shout(str):
    """A str whose str() is not itself: cell_text shows what str() gives."""

    def __str__(self) -> str:
        return self.upper()


# Values a cell may meet: text with the characters tsv escapes, numbers, booleans, nulls,
# subclasses of str and int, and nested objects and arrays.
TEXT = st.text(alphabet='ab \t\n\r\\é,"', max_size=6)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    TEXT,
    st.just(Kind.FULL),
    st.just(Shout("quiet")),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(st.sampled_from("ab"), inner),
    max_leaves=4,
)
FIELDS = ("id", "email", "first_name", "last_name", "member_type", "plan", "subscription", "name")
ITEMS = st.one_of(
    st.dictionaries(
        st.sampled_from(FIELDS),
        st.one_of(TEXT, SCALARS, VALUES, st.fixed_dictionaries({"name": VALUES})),
    ),
    st.none(),
    st.integers(),
    st.lists(st.integers(), max_size=2),
)
ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


@settings(max_examples=300, deadline=None)
@given(st.lists(ITEMS, max_size=6), st.sampled_from(["members", "subscriptions", "rsvps"]))
@example([{"id": "a\rb"}, {"email": "a\\b"}, {"first_name": "a\nb"}], "members")
@example([{"id": True, "email": Kind.FULL, "member_type": Shout("quiet")}], "members")
@example([{"plan": {"name": "Gold\t"}}, {"plan": "Gold"}, [1]], "subscriptions")
def test_rows_are_each_cell_as_text_escaped(items: list[Any], noun_name: str) -> None:
    """However a row is built, tsv is every column's cell_text, escaped, joined by tabs, and csv
    the same cells unescaped."""
    columns = NOUNS[noun_name].columns
    out = io.StringIO()
    write_items(out, iter(items), "tsv", columns)
    expected = "".join(
        "\t".join(cell_text(c.of(item)).translate(ESCAPES) for c in columns) + "\n"
        for item in items
    )
    assert out.getvalue() == expected
    out = io.StringIO(newline="")
    write_items(out, iter(items), "csv", columns)
    expected_csv = io.StringIO(newline="")
    writer = csv.writer(expected_csv, lineterminator="\r\n")
    writer.writerow([c.header for c in columns])
    writer.writerows([cell_text(c.of(item)) for c in columns] for item in items)
    assert out.getvalue() == expected_csv.getvalue()
