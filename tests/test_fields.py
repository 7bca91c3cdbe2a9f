from __future__ import annotations

import pytest

from mightycli.errors import UsageError
from mightycli.fields import build_object, parse_field, parse_header, query_params


def test_typed_values() -> None:
    values = [
        parse_field(s, typed=True).value
        for s in (
            "a=true",
            "a=false",
            "a=null",
            "a=12",
            "a=-3",
            "a=2.5",
            "a=1e3",
            "a=007",
            "a=x y",
            "a=",
        )
    ]
    assert values == [True, False, None, 12, -3, 2.5, 1000.0, "007", "x y", ""]
    assert parse_field("a=true", typed=False).value == "true"
    assert parse_field("q={ a(b: 1) }", typed=False).value == "{ a(b: 1) }"
    assert parse_field("a=@-", typed=True, read_stdin=lambda: "piped").value == "piped"


def test_nested_objects_and_arrays() -> None:
    fields = [
        parse_field(s, typed=True) for s in ("a[]=1", "a[]=2", "o[x]=1", "o[y][]=true", "n=3")
    ]
    assert build_object(fields) == {"a": [1, 2], "o": {"x": 1, "y": [True]}, "n": 3}
    assert query_params(fields) == [
        ("a[]", "1"),
        ("a[]", "2"),
        ("o[x]", "1"),
        ("o[y][]", "true"),
        ("n", "3"),
    ]


@pytest.mark.parametrize("specs", [["a=1", "a[]=2"], ["a[]=1", "a[x]=2"], ["a[x]=1", "a=2"]])
def test_conflicting_shapes_are_refused(specs: list[str]) -> None:
    with pytest.raises(UsageError):
        build_object(parse_field(s, typed=True) for s in specs)


@pytest.mark.parametrize("spec", ["novalue", "=x", "a]=1"])
def test_bad_fields(spec: str) -> None:
    with pytest.raises(UsageError):
        build_object([parse_field(spec, typed=False)])


def test_headers() -> None:
    assert parse_header("Accept:  application/json ") == ("Accept", "application/json")
    for bad in ("NoColon", ": x", "Bad Name: x", "X: a\r\nInjected: 1"):
        with pytest.raises(UsageError):
            parse_header(bad)
    with pytest.raises(UsageError, match="Authorization") as info:
        parse_header("authorization: Bearer secret")
    assert "MIGHTY_TOKEN" in (info.value.hint or "")
