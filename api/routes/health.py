"""GET /api/health: is the store reachable, is Temporal reachable."""

import asyncio
import logging

from fastapi import APIRouter, Response
from starlette.concurrency import run_in_threadpool

from api.deps import EngineDep, TemporalDep
from api.schemas.public import Health, State
from store.db import ping

router = APIRouter(tags=["health"])
log = logging.getLogger(__name__)


async def _store_state(engine: EngineDep) -> State:
    try:
        await asyncio.wait_for(run_in_threadpool(ping, engine), timeout=3)
    except Exception:
        log.warning("health: store unreachable", exc_info=True)
        return "unreachable"
    return "ok"


async def _temporal_state(temporal: TemporalDep) -> State:
    try:
        await temporal.check()
    except Exception:
        log.warning("health: Temporal unreachable", exc_info=True)
        return "unreachable"
    return "ok"


@router.get(
    "/api/health",
    response_model=Health,
    responses={503: {"model": Health, "description": "the store or Temporal is unreachable"}},
)
async def health(engine: EngineDep, temporal: TemporalDep, response: Response) -> Health:
    """200 when the store and Temporal both answer, 503 (with which one failed) otherwise."""
    store, temporal_state = await asyncio.gather(_store_state(engine), _temporal_state(temporal))
    ok = store == "ok" and temporal_state == "ok"
    if not ok:
        response.status_code = 503
    return Health(status="ok" if ok else "degraded", store=store, temporal=temporal_state)
