"""The resource commands' table of operations, held against Mighty's published description.

Every entry of ``mightycli.resources.operations.OPERATIONS`` must be a published path and
method, its path placeholders the published path parameters, its query parameters published
query parameters of that operation (with every required one among them), its body fields
properties of the published request body, and a paged entry must take ``page``/``per_page``.
Each noun's ``--json`` fields must be exactly the properties of its published response schema,
and the answer of every write the commands show must be the schema published for it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mightycli.resources.links import LINKS
from mightycli.resources.nouns import NOUNS
from mightycli.resources.operations import OPERATIONS, PUBLISHED_PATHS, Operation

DATA = json.loads((Path(__file__).parent / "data" / "admin_api_published.json").read_text())
PREFIX = "/admin/v1/networks/{network_id}/"


def published(op: Operation) -> dict[str, Any]:
    template = PREFIX + op.path
    assert template in DATA["paths"], f"{template} is not a published path"
    item = DATA["paths"][template]
    assert op.method.lower() in item, f"{op.method} {template} is not published"
    return item[op.method.lower()]  # type: ignore[no-any-return]


def parameters(entry: dict[str, Any], where: str) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in entry.get("parameters", []) if p.get("in") == where}


def schema_of(ref_or_schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in ref_or_schema:
        return DATA["schemas"][ref_or_schema["$ref"].rsplit("/", 1)[1]]  # type: ignore[no-any-return]
    return ref_or_schema


def success_schema(entry: dict[str, Any]) -> str | None:
    for status in ("200", "201"):
        content = entry["responses"].get(status, {}).get("content", {}).get("application/json")
        if content:
            ref: str = content["schema"]["$ref"]
            return ref.rsplit("/", 1)[1]
    return None


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_each_operation_is_published(name: str) -> None:
    op = OPERATIONS[name]
    entry = published(op)
    path_params = set(parameters(entry, "path"))
    assert set(op.path_params) == path_params, name
    query = parameters(entry, "query")
    extra = {"page", "per_page"} if op.paged else set()
    assert set(op.query) | extra <= set(query), (name, sorted(query))
    required = {n for n, p in query.items() if p.get("required")}
    assert required <= set(op.query), (name, required)
    if op.paged:
        assert {"page", "per_page"} <= set(query), name
        assert success_schema(
            entry,
        ).endswith("Paged")  # type: ignore[union-attr]
    body = entry.get("requestBody", {}).get("content", {}).get("application/json")
    if op.body:
        assert body is not None, f"{name} sends a body the description does not have"
        schema = schema_of(body["schema"])
        assert set(op.body) <= set(schema["properties"]), (name, sorted(schema["properties"]))
        assert set(schema.get("required", [])) <= set(op.body), name
    else:
        assert body is None or op.method == "DELETE", f"{name} leaves out a published body"


@pytest.mark.parametrize("name", sorted(NOUNS))
def test_each_nouns_fields_are_its_published_schema(name: str) -> None:
    noun = NOUNS[name]
    properties = DATA["schemas"][noun.schema]["properties"]
    assert sorted(noun.fields) == sorted(properties), name
    for column in noun.columns:
        if column.path:
            head = column.path.split(".")[0]
            assert head in properties, (name, column.path)


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_lists_answer_the_items_of_their_noun(name: str) -> None:
    op = OPERATIONS[name]
    if not op.paged:
        return
    noun = name.split(".")[1] if name.split(".")[1] in NOUNS else name.split(".")[0]
    expected = {
        "members.plans": "plans", "members.spaces": "spaces", "members.tags": "tags",
        "plans.members": "members", "spaces.members": "members", "events.rsvps": "rsvps",
    }.get(name, noun)  # fmt: skip
    assert success_schema(published(op)) == NOUNS[expected].schema + "Paged", name


def test_each_membership_write_answers_what_its_noun_says() -> None:
    for link in LINKS.values():
        entry = published(OPERATIONS[link.add.operation])
        assert success_schema(entry) == NOUNS[link.answer_noun].schema
        for step in (link.check, link.add, link.remove):
            op = OPERATIONS[step.operation]
            assert link.group_param in (*op.path_params, *op.body, *op.query)
            assert step.member_param in (*op.path_params, *op.query, *op.body)


def test_every_published_path_of_the_table_is_in_the_extract() -> None:
    # Guards the guard: the extract must not have lost what the table uses.
    assert len(OPERATIONS) >= 30
    assert {PREFIX + op.path for op in OPERATIONS.values()} <= set(DATA["paths"])


def test_the_published_paths_are_the_published_description_s() -> None:
    # The trailing-slash hint of mighty api compares a path that was not found with these.
    assert sorted(PREFIX + path for path in PUBLISHED_PATHS) == sorted(
        p for p in DATA["paths"] if p.startswith(PREFIX)
    )
    assert {op.path for op in OPERATIONS.values()} <= set(PUBLISHED_PATHS)
