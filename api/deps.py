"""Dependencies of the routers, as `Annotated` aliases."""

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine

from api.temporal_link import TemporalLink
from xueji.settings import Settings


def _settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def _engine(request: Request) -> Engine:
    return request.app.state.engine  # type: ignore[no-any-return]


def _temporal(request: Request) -> TemporalLink:
    return request.app.state.temporal  # type: ignore[no-any-return]


SettingsDep = Annotated[Settings, Depends(_settings)]
EngineDep = Annotated[Engine, Depends(_engine)]
TemporalDep = Annotated[TemporalLink, Depends(_temporal)]
