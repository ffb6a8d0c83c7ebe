"""Organisation-tree look-ups for the workflows: who handles a case, routes, who rules.

The tree lives in the store and can be replaced by `xueji org import` while workers run, so
the activities read it through `StoreTree`, which reloads it when it changes.
"""

import asyncio
import time
from collections.abc import Callable

from sqlalchemy import Engine, func
from sqlmodel import Session, select
from temporalio import activity
from temporalio.exceptions import ApplicationError

from domain.orgtree import OrgTree
from domain.routing import RoutingError, responsible_unit, route, ruling_unit
from store.models import School, Unit
from workflows.messages import PathRequest, RouteRequest, Routing, RulingRequest

RELOAD_CHECK_SECONDS = 10.0


class StoreTree:
    """The stored tree, loaded once and reloaded when its rows change (checked every 10 s).

    The check compares row counts and the extreme codes: cheap, and it sees any import that
    adds or removes a unit or school. An import that only renames units is seen at restart.
    """

    def __init__(self, engine: Engine, *, recheck_seconds: float = RELOAD_CHECK_SECONDS) -> None:
        self._engine = engine
        self._recheck_seconds = recheck_seconds
        self._tree: OrgTree | None = None
        self._signature: tuple[object, ...] = ()
        self._checked = 0.0

    def __call__(self) -> OrgTree:
        if self._tree is not None and time.monotonic() - self._checked < self._recheck_seconds:
            return self._tree
        with Session(self._engine) as session:
            signature = self._current_signature(session)
            if self._tree is None or signature != self._signature:
                units = [u.model_dump() for u in session.exec(select(Unit))]
                schools = [s.model_dump() for s in session.exec(select(School))]
                for unit in units:
                    unit["parent_code"] = unit["parent_code"] or ""
                self._tree = OrgTree.from_records(units, schools)
                self._signature = signature
        self._checked = time.monotonic()
        return self._tree

    @staticmethod
    def _current_signature(session: Session) -> tuple[object, ...]:
        units = session.exec(select(func.count(), func.max(Unit.code), func.min(Unit.code))).one()
        schools = session.exec(select(func.count(), func.max(School.code))).one()
        return (*units, *schools)


def _refused(exc: Exception) -> ApplicationError:
    """Unknown codes and impossible routes: retrying cannot help; the message names the code."""
    return ApplicationError(str(exc), type="RoutingError", non_retryable=True)


class OrgActivities:
    def __init__(self, tree: Callable[[], OrgTree]) -> None:
        self._tree = tree

    async def _current(self) -> OrgTree:
        return await asyncio.to_thread(self._tree)

    @activity.defn(name="route_complaint")
    async def route_complaint(self, request: RouteRequest) -> Routing:
        tree = await self._current()
        try:
            handling = responsible_unit(tree, request.school_codes, request.unit_codes)
            path = route(tree, request.receiving_unit, handling.code)
            related = [tree.supervising_unit(code).code for code in request.school_codes]
        except (RoutingError, KeyError) as exc:
            raise _refused(exc) from None
        province = tree.province_of(handling.code)
        return Routing(
            handling_unit=handling.code,
            province=province.code if province else tree.root.code,
            route=[unit.code for unit in path],
            related_units=list(dict.fromkeys([*related, *request.unit_codes])),
            hotline=handling.phone,
        )

    @activity.defn(name="unit_path")
    async def unit_path(self, request: PathRequest) -> list[str]:
        tree = await self._current()
        try:
            return [unit.code for unit in route(tree, request.from_code, request.to_code)]
        except (RoutingError, KeyError) as exc:
            raise _refused(exc) from None

    @activity.defn(name="ruling_unit")
    async def ruling_unit(self, request: RulingRequest) -> str:
        tree = await self._current()
        try:
            return ruling_unit(tree, request.parties).code
        except (RoutingError, KeyError) as exc:
            raise _refused(exc) from None
