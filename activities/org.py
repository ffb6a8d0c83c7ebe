"""Organisation-tree look-ups for the workflows: who handles a case, routes, who rules.

The tree lives in the store and can be replaced by `xueji org import` while workers run, so
the activities read it through `store.tree.StoreTree`, which reloads it when it changes.
"""

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from temporalio import activity
from temporalio.exceptions import ApplicationError

from domain.orgtree import OrgTree, UnknownCodeError
from domain.routing import RoutingError, responsible_unit, route, ruling_unit
from workflows.activity_interfaces import OrgActivityInterface
from workflows.messages.activities import (
    PathRequest,
    PathsRequest,
    RouteRequest,
    Routing,
    RulingRequest,
)


def routing_of(tree: OrgTree, request: RouteRequest) -> Routing:
    """Who handles the complaint and the units it passes on its way there; the API answers a
    registration with the same plan. Raises UnknownCodeError or RoutingError."""
    receiving = tree.unit(request.receiving_unit).code
    handling = responsible_unit(tree, request.school_codes, request.unit_codes)
    path = route(tree, receiving, handling.code)
    related = [tree.supervising_unit(code).code for code in request.school_codes]
    province = tree.province_of(handling.code)
    return Routing(
        handling_unit=handling.code,
        province=province.code if province else tree.root.code,
        route=[unit.code for unit in path],
        related_units=list(dict.fromkeys([*related, *request.unit_codes])),
        hotline=handling.phone,
        reviewing_unit=ruling_unit(tree, [handling.code]).code,
    )


@contextmanager
def _refusals() -> Iterator[None]:
    """Unknown codes and impossible routes: retrying cannot help; the message names the code."""
    try:
        yield
    except UnknownCodeError as exc:
        raise ApplicationError(str(exc), type="UnknownCode", non_retryable=True) from None
    except RoutingError as exc:
        raise ApplicationError(str(exc), type="RoutingError", non_retryable=True) from None


class OrgActivities(OrgActivityInterface):
    def __init__(self, tree: Callable[[], OrgTree]) -> None:
        self._tree = tree

    async def _current(self) -> OrgTree:
        return await asyncio.to_thread(self._tree)

    @activity.defn(name="route_complaint")
    async def route_complaint(self, request: RouteRequest) -> Routing:
        tree = await self._current()
        with _refusals():
            return routing_of(tree, request)

    @activity.defn(name="unit_path")
    async def unit_path(self, request: PathRequest) -> list[str]:
        (path,) = await self.unit_paths(
            PathsRequest(from_code=request.from_code, to_codes=[request.to_code])
        )
        return path

    @activity.defn(name="unit_paths")
    async def unit_paths(self, request: PathsRequest) -> list[list[str]]:
        tree = await self._current()
        with _refusals():
            return [
                [unit.code for unit in route(tree, request.from_code, code)]
                for code in request.to_codes
            ]

    @activity.defn(name="ruling_unit")
    async def ruling_unit(self, request: RulingRequest) -> str:
        tree = await self._current()
        with _refusals():
            return ruling_unit(tree, request.parties).code
