"""The commands that give and take plans, spaces and tags (plans grant, spaces remove, members
tag, ...): one target and many of the other side, names resolved first, each membership checked
so that what is there already is said and not sent, destructive ones confirmed."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

import typer

from mightycli.cli.output import say
from mightycli.cli.views import (
    DebugOption,
    DryRunOption,
    FieldsOption,
    JqOption,
    NetworkOption,
    YesOption,
    admin_run,
    check_output,
    confirm,
    group_command,
    run_each,
    show_answer,
)

KEYWORD = inspect.Parameter.KEYWORD_ONLY


@dataclass(frozen=True)
class Sides:
    """How a command's two arguments read: the one target and the many (PLAN MEMBER...)."""

    target: tuple[str, str]  # metavar, help
    many: tuple[str, str]
    # The (group, member) pairs for what was typed, through the run's name resolver.
    pairs: Callable[[Any, str, list[str]], list[tuple[Any, Any]]]


def _by_group(noun: str, what: str) -> Sides:
    singular = noun[:-1]
    return Sides(
        (singular.upper(), f"An id or the {singular}'s {what}."),
        ("MEMBER...", "Numeric ids or e-mail addresses."),
        lambda names, target, many: [(names.one(noun, target), names.member(m)) for m in many],
    )


PLAN_MEMBERS = _by_group("plans", "name")
SPACE_MEMBERS = _by_group("spaces", "name")
MEMBER_TAGS = Sides(
    ("MEMBER", "A numeric id or an e-mail address."),
    ("TAG...", "Tags, by id or title."),
    lambda names, target, many: [(names.one("tags", t), names.member(target)) for t in many],
)


def run_links(
    network: str | None,
    kind_name: str,
    pairs: Callable[[Any], list[tuple[Any, Any]]],
    *,
    remove: bool,
    dry_run: bool,
    yes: bool = False,
    spec: str | None = None,
    jq: str | None = None,
    action: str = "",
) -> None:
    """Give or take plans, spaces or tags: names resolved first, each pair checked (saying
    "already" rather than sending a write), destructive changes confirmed."""
    from mightycli.resources.links import LINKS, change

    kind = LINKS[kind_name]
    if spec is not None:
        check_output(kind.answer_noun, None, spec, jq)
    with admin_run(network, dry_run=dry_run) as (admin, names):
        resolved = pairs(names)
        if remove:
            confirm(action.format(n=len(resolved)), yes=yes, dry_run=dry_run)

        def one(pair: tuple[Any, Any]) -> Any:
            group, member = pair
            outcome = change(admin, kind, group, member, remove=remove)
            if not (dry_run and outcome.changed):
                say(outcome.message)
            return outcome.answer

        answers = run_each(resolved, one)
    if not dry_run:
        show_answer(kind.answer_noun, [a for a in answers if a is not None], spec, jq)


def link_command(
    group: typer.Typer,
    name: str,
    kind_name: str,
    sides: Sides,
    doc: str,
    *,
    remove: bool = False,
    action: str = "",
) -> Callable[..., None]:
    """Register a command that gives (or, with ``remove``, takes) ``kind_name`` memberships;
    ``action`` is the question a removal asks, with {target} and {n} filled in."""

    def run(**given: Any) -> None:
        target, many = given["target"], given["many"]
        run_links(
            given["network"], kind_name,
            lambda names: sides.pairs(names, target, many),
            remove=remove, dry_run=given["dry_run"], yes=given.get("yes", False),
            spec=given.get("fields"), jq=given.get("jq"),
            action=action.replace("{target}", target),
        )  # fmt: skip

    parameters = [
        inspect.Parameter(
            dest,
            KEYWORD,
            annotation=Annotated[
                kind, typer.Argument(metavar=metavar, help=text, show_default=False)
            ],
        )
        for dest, kind, (metavar, text) in (
            ("target", str, sides.target),
            ("many", list[str], sides.many),
        )
    ]
    writes: tuple[tuple[str, Any, Any], ...] = (
        ("fields", FieldsOption, None),
        ("jq", JqOption, None),
    )
    options = (("yes", YesOption, False),) if remove else writes
    options = (("dry_run", DryRunOption, False), *options)
    options += (("network", NetworkOption, None), ("debug", DebugOption, False))
    parameters += [
        inspect.Parameter(dest, KEYWORD, default=default, annotation=annotation)
        for dest, annotation, default in options
    ]
    run.__name__ = run.__qualname__ = f"{group.info.name}_{name}"
    run.__doc__ = doc
    run.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    return group_command(group, name)(run)
