"""Dependencies of the routers, as `Annotated` aliases.

Those that only look something up are `async def`: FastAPI runs a plain `def` dependency in
its thread pool, a round trip through a thread for nothing on every request.
"""

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Query, Request
from sqlalchemy import Engine

from api.security import Staff, current_staff, require_roles
from api.temporal_link import TemporalLink
from core.settings import Settings
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


async def _clock(request: Request) -> Callable[[], datetime]:
    return request.app.state.clock  # type: ignore[no-any-return]


async def _sealer(request: Request) -> Sealer:
    return request.app.state.sealer  # type: ignore[no-any-return]


ClockDep = Annotated[Callable[[], datetime], Depends(_clock)]
SealerDep = Annotated[Sealer, Depends(_sealer)]
StaffDep = Annotated[Staff, Depends(current_staff)]
SysadminDep = Annotated[Staff, Depends(require_roles("sysadmin"))]
SecadminDep = Annotated[Staff, Depends(require_roles("secadmin"))]
AuditorDep = Annotated[Staff, Depends(require_roles("auditor"))]
CalendarAdminDep = Annotated[Staff, Depends(require_roles("secadmin", "sysadmin"))]
CaseStaffDep = Annotated[Staff, Depends(require_roles("clerk", "handler", "leader"))]
FaqWriterDep = Annotated[Staff, Depends(require_roles("handler", "leader"))]


async def _tree(request: Request) -> StoreTree:
    return request.app.state.tree  # type: ignore[no-any-return]


TreeDep = Annotated[StoreTree, Depends(_tree)]


async def _calendar(request: Request) -> StoreCalendar:
    return request.app.state.calendar  # type: ignore[no-any-return]


CalendarDep = Annotated[StoreCalendar, Depends(_calendar)]


# Paging: the database takes a 64-bit offset at most; beyond 2^31 nothing is ever there.
MAX_OFFSET = 2**31 - 1
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="跳过的条数")]
