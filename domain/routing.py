"""Who is responsible for a complaint, and how work travels between units (DESIGN §3).

Everything works on the root-to-node paths that :class:`~domain.orgtree.OrgTree` computes once
at load, so a decision is a few dictionary look-ups and a comparison of short tuples.
"""

from __future__ import annotations

from collections.abc import Iterable

from domain.orgtree import OrgTree, OrgUnit


class RoutingError(ValueError):
    """A request the rules cannot answer; ``str()`` is for users."""


class EmptyComplaintError(RoutingError):
    """A complaint that involves no school and no bureau."""

    def __init__(self) -> None:
        super().__init__("投诉未涉及任何学校或教育行政部门，无法确定处理责任单位")


class NoDisputePartyError(RoutingError):
    """A dispute about the handling level without any party."""

    def __init__(self) -> None:
        super().__init__("处理层级争议至少要有一个争议方，无法确定裁定单位")


def _common_path(left: tuple[str, ...], right: tuple[str, ...]) -> tuple[str, ...]:
    """The path of the lowest common ancestor of the ends of two root-to-node paths."""
    # Equal codes at one depth mean equal paths above it, so search from the bottom.
    depth = min(len(left), len(right))
    while left[depth - 1] != right[depth - 1]:
        depth -= 1
    return left[:depth]


def _lowest_common_path(paths: list[tuple[str, ...]]) -> tuple[str, ...]:
    common = paths[0]
    for path in paths[1:]:
        if path is not common:  # one tuple per unit: the same unit is the same object
            common = _common_path(common, path)
    return common


def responsible_unit(
    tree: OrgTree, school_codes: Iterable[str], unit_codes: Iterable[str] = ()
) -> OrgUnit:
    """The handling unit (处理责任单位): the lowest common ancestor of the supervising units
    of the schools and of the named bureaus, a unit being its own ancestor.

    Raises UnknownCodeError for an unknown code, a bureau code among the schools or a school
    code among the bureaus, and EmptyComplaintError when nothing is involved.
    """
    paths = [tree.supervising_path(code) for code in school_codes]
    if unit_codes:  # most complaints name no bureau: skip building a generator
        paths.extend(tree.path(tree.unit(code).code) for code in unit_codes)
    if not paths:
        raise EmptyComplaintError()
    return tree.unit(_lowest_common_path(paths)[-1])


def route(tree: OrgTree, from_code: str, to_code: str) -> list[OrgUnit]:
    """The level-by-level way (逐级) between two bureaus or schools, both ends included: up from
    ``from_code`` to the lowest common ancestor, then down to ``to_code``."""
    up, down = tree.path(from_code), tree.path(to_code)
    shared = len(_common_path(up, down))
    codes = (*reversed(up[shared - 1 :]), *down[shared:])
    return [tree.get(code) for code in codes]


def ruling_unit(tree: OrgTree, party_codes: Iterable[str]) -> OrgUnit:
    """The unit that rules a dispute about the handling level (裁定): the lowest strict
    ancestor of every party (the current handling unit and the unit proposed instead).

    A party never rules its own case, except the root (the Ministry), which has no superior.
    Parties are bureaus; a school code is an UnknownCodeError.
    """
    parties = [tree.unit(code).code for code in party_codes]
    if not parties:
        raise NoDisputePartyError()
    common = _lowest_common_path([tree.path(code) for code in parties])
    if common[-1] in parties and len(common) > 1:
        return tree.unit(common[-2])
    return tree.unit(common[-1])
