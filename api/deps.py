"""Dependencies of the routers, as `Annotated` aliases, and the role groups they check.

Those that only look something up are `async def`: FastAPI runs a plain `def` dependency in
its thread pool, a round trip through a thread for nothing on every request. The store's
session is the exception: opening and closing it may wait on the database.
"""

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Annotated, ParamSpec, TypeVar

from fastapi import Depends, Query, Request
from sqlalchemy import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from api.security import Staff, current_staff, require_roles
from api.temporal_link import TemporalLink
from core.settings import Settings
from domain.roles import (
    CALENDAR_ADMINS,
    CASE_ACTORS,
    CASE_STAFF,
    SCHOOL_ROLES,
    SCHOOL_SLIP_ACTORS,
    Role,
)
from store.blobs import BlobStore
from store.calendar import StoreCalendar
from store.sealing import Sealer
from store.tree import StoreTree


async def _settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


async def _engine(request: Request) -> Engine:
    return request.app.state.engine  # type: ignore[no-any-return]


async def _temporal(request: Request) -> TemporalLink:
    return request.app.state.temporal  # type: ignore[no-any-return]


SettingsDep = Annotated[Settings, Depends(_settings)]
EngineDep = Annotated[Engine, Depends(_engine)]
TemporalDep = Annotated[TemporalLink, Depends(_temporal)]


def _session(engine: EngineDep) -> Iterator[Session]:
    """The request's store session, opened and closed in the thread pool (a plain `def`).

    Sync routes run in the pool and use it directly; async routes hand their store work to
    `store_call`, never touching it on the event loop. It does not commit: a route that
    writes commits itself, so that a refusal of the commit is still its own to answer.
    Closing rolls back whatever was not committed.
    """
    with Session(engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(_session)]

P = ParamSpec("P")
T = TypeVar("T")


async def store_call(
    session: Session, work: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs
) -> T:
    """`work(*args, **kwargs)`, store calls on `session`, in the thread pool: how an async
    route uses the store. Then the transaction ends (what `work` did not commit is rolled
    back), so the connection goes back to the pool while the route awaits Temporal."""

    def run() -> T:
        try:
            return work(*args, **kwargs)
        finally:
            session.rollback()

    return await run_in_threadpool(run)


async def _clock(request: Request) -> Callable[[], datetime]:
    return request.app.state.clock  # type: ignore[no-any-return]


async def _sealer(request: Request) -> Sealer:
    return request.app.state.sealer  # type: ignore[no-any-return]


ClockDep = Annotated[Callable[[], datetime], Depends(_clock)]
SealerDep = Annotated[Sealer, Depends(_sealer)]


# The role groups are named once, in domain.roles. Every group but the two of slips refuses a
# school's account: a school sees and returns only the slips addressed to it (DESIGN §7).
StaffDep = Annotated[Staff, Depends(current_staff)]
CaseStaffDep = Annotated[Staff, Depends(require_roles(*CASE_STAFF))]
CaseActorDep = Annotated[Staff, Depends(require_roles(*CASE_ACTORS))]
SlipStaffDep = Annotated[Staff, Depends(require_roles(*CASE_STAFF, at_school=SCHOOL_ROLES))]
SlipActorDep = Annotated[Staff, Depends(require_roles(*CASE_ACTORS, at_school=SCHOOL_SLIP_ACTORS))]
SysadminDep = Annotated[Staff, Depends(require_roles(Role.SYSADMIN))]
SecadminDep = Annotated[Staff, Depends(require_roles(Role.SECADMIN))]
AuditorDep = Annotated[Staff, Depends(require_roles(Role.AUDITOR))]
AccountAdminDep = Annotated[Staff, Depends(require_roles(Role.SYSADMIN, Role.SECADMIN))]
CalendarAdminDep = Annotated[Staff, Depends(require_roles(*CALENDAR_ADMINS))]


async def _tree(request: Request) -> StoreTree:
    return request.app.state.tree  # type: ignore[no-any-return]


TreeDep = Annotated[StoreTree, Depends(_tree)]


async def _calendar(request: Request) -> StoreCalendar:
    return request.app.state.calendar  # type: ignore[no-any-return]


CalendarDep = Annotated[StoreCalendar, Depends(_calendar)]


# Paging: the database takes a 64-bit offset at most; beyond 2^31 nothing is ever there.
MAX_OFFSET = 2**31 - 1
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="跳过的条数")]


async def _blobs(request: Request) -> BlobStore:
    return request.app.state.blobs  # type: ignore[no-any-return]


BlobsDep = Annotated[BlobStore, Depends(_blobs)]
