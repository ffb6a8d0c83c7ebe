"""The xueji HTTP API (FastAPI). Run with `xueji api` or `uvicorn api.main:app`."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api.routes import directory, health
from api.temporal_link import TemporalLink
from store.db import engine_for
from xueji.settings import Settings, get_settings


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.settings = settings
        app.state.engine = engine_for(settings)
        app.state.temporal = TemporalLink(settings)
        yield
        app.state.engine.dispose()

    app = FastAPI(
        title="xueji 学籍投诉处理",
        summary="Complaints about student-status management, after 教基一厅函[2014]50号",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.include_router(health.router)
    app.include_router(directory.router)
    return app


app = create_app()
