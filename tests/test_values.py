"""mightycli.values: immutable values with named fields, as named tuples give them by name."""

from __future__ import annotations

from typing import Any

import pytest

from mightycli.values import Value


class Point(Value):
    x: int
    y: int = 0
    label: str | None = None

    def moved(self) -> Point:
        return self._replace(x=self.x + 1)


def test_fields_defaults_and_construction() -> None:
    assert Point._fields == ("x", "y", "label")
    assert Point._field_defaults == {"y": 0, "label": None}
    assert Point(1) == Point(x=1) == Point(1, 0, None)
    assert (Point(1, 2).x, Point(1, 2).y, Point(1, label="a").label) == (1, 2, "a")
    assert Point(1, 2)._asdict() == {"x": 1, "y": 2, "label": None}
    assert Point(3).moved() == Point(4)
    assert repr(Point(1, label="a")) == "Point(x=1, y=0, label='a')"


def test_equality_and_hashing_follow_the_fields() -> None:
    assert Point(1, 2) != Point(2, 1)
    assert hash(Point(1, label="a")) == hash(Point(label="a", x=1))
    assert len({Point(1), Point(x=1), Point(2)}) == 2

    class Other(Value):
        x: int
        y: int = 0
        label: str | None = None

    assert Point(1) != Other(1)


@pytest.mark.parametrize(
    "args, kwargs, message",
    [
        ((), {}, "needs 'x'"),
        ((1, 2, 3, 4), {}, "at most 3"),
        ((1,), {"x": 2}, "'x' twice"),
        ((1,), {"z": 2}, "no field 'z'"),
    ],
)
def test_wrong_arguments_are_refused(
    args: tuple[Any, ...], kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(TypeError, match=message):
        Point(*args, **kwargs)


def test_values_are_immutable() -> None:
    point = Point(1)
    with pytest.raises(AttributeError, match="immutable"):
        point.x = 2  # type: ignore[misc]
    with pytest.raises(AttributeError, match="immutable"):
        del point.x
    with pytest.raises(TypeError, match="no field 'z'"):
        point._replace(z=1)
    assert point == Point(1)
