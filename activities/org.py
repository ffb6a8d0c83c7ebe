"""Organisation-tree look-ups for the workflows: who handles a case, routes, who rules.

The tree lives in the store and can be replaced by `xueji org import` while workers run, so
the activities read it through `StoreTree`, which reloads it when it changes.
"""

import asyncio
import hashlib
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import BigInteger, Engine, cast, func
from sqlmodel import Session, col, select
from temporalio import activity
from temporalio.exceptions import ApplicationError

from domain.orgtree import OrgTree, UnknownCodeError
from domain.routing import RoutingError, responsible_unit, route, ruling_unit
from store.models import OrgImport, School, Unit
from workflows.messages import PathRequest, RouteRequest, Routing, RulingRequest

RELOAD_CHECK_SECONDS = 10.0


class StoreTree:
    """The stored tree, loaded once and reloaded when its rows change (checked every 10 s).

    The check compares the newest import of the tree (every import, however small its change:
    a school only renamed), row counts, the extreme codes and the sums of the parent codes (one
    aggregate query a table), and a digest of every unit's name and contacts (a few thousand
    short rows), so a unit renamed or given a new complaint phone outside an import (a
    campaign's report, the admin API; a referral gives the phone to the caller) is seen within
    the check interval too.
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
        signature: list[object] = [session.exec(select(func.max(OrgImport.id))).one()]
        for code, parent in ((Unit.code, Unit.parent_code), (School.code, School.unit_code)):
            moved = func.sum(cast(parent, BigInteger))  # codes are digits; NULL (root) is skipped
            row = session.exec(select(func.count(), func.min(code), func.max(code), moved)).one()
            signature.extend(row)
        digest = hashlib.sha256()
        units = select(Unit.code, Unit.name, Unit.phone, Unit.email)
        for fields in session.exec(units.order_by(col(Unit.code))):
            digest.update("\x1f".join(fields).encode() + b"\x1e")
        signature.append(digest.hexdigest())
        return tuple(signature)


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


class OrgActivities:
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
        tree = await self._current()
        with _refusals():
            return [unit.code for unit in route(tree, request.from_code, request.to_code)]

    @activity.defn(name="ruling_unit")
    async def ruling_unit(self, request: RulingRequest) -> str:
        tree = await self._current()
        with _refusals():
            return ruling_unit(tree, request.parties).code
