"""Immutable values for the start-up path of every command.

``class Login(Value)`` with annotated fields (and defaults) gives what a named tuple does by
name (a positional or keyword constructor, ``_replace``, ``_asdict``, ``_fields``,
``_field_defaults``, equality, ``repr``), and the type checker reads it as a frozen dataclass
(PEP 681). It exists for speed: `mighty token` makes a handful of such values, and defining
them with ``typing.NamedTuple`` cost it a tenth of its start-up (dataclasses, with the import
of ``dataclasses``, a fifth); a class of this kind costs what any class costs.
"""

from __future__ import annotations

from typing import Any, ClassVar, Self, dataclass_transform


@dataclass_transform(frozen_default=True)  # typing 3.11 takes it among its **kwargs
class Value:
    """Base of the immutable values; the fields are each subclass's own annotations."""

    __slots__ = ()
    _fields: ClassVar[tuple[str, ...]] = ()
    _field_defaults: ClassVar[dict[str, Any]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        names = tuple(cls.__annotations__)  # its own, not inherited (Python 3.10 on)
        cls._fields = names
        cls._field_defaults = {name: cls.__dict__[name] for name in names if name in cls.__dict__}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        fields, defaults = self._fields, self._field_defaults
        if len(args) > len(fields):
            raise TypeError(f"{type(self).__name__} takes at most {len(fields)} arguments")
        values = self.__dict__
        for index, name in enumerate(fields):
            if index < len(args):
                if name in kwargs:
                    raise TypeError(f"{type(self).__name__} got {name!r} twice")
                values[name] = args[index]
            elif name in kwargs:
                values[name] = kwargs.pop(name)
            elif name in defaults:
                values[name] = defaults[name]
            else:
                raise TypeError(f"{type(self).__name__} needs {name!r}")
        if kwargs:
            raise TypeError(f"{type(self).__name__} has no field {next(iter(kwargs))!r}")

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable: cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable: cannot delete {name!r}")

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self.__dict__ == other.__dict__

    def __hash__(self) -> int:
        return hash(tuple(self.__dict__.values()))  # field order: __init__ fills them in order

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={value!r}" for name, value in self.__dict__.items())
        return f"{type(self).__name__}({shown})"

    def _replace(self, **changes: Any) -> Self:
        """A copy with some fields changed (an unknown name is a TypeError)."""
        return type(self)(**{**self.__dict__, **changes})

    def _asdict(self) -> dict[str, Any]:
        return dict(self.__dict__)
