"""The xueji HTTP API (FastAPI). Run with `xueji api` or `uvicorn api.main:app`."""

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from api import audit_trail
from api.body_limit import BodyLimit, limits
from api.calendar_years import retiming_status
from api.console import accounts as console_accounts
from api.console import aftercare as console_aftercare
from api.console import audit as console_audit
from api.console import calendar as console_calendar
from api.console import campaigns as console_campaigns
from api.console import case_files as console_case_files
from api.console import case_page as console_case_page
from api.console import contacts as console_contacts
from api.console import errors as console_errors
from api.console import faq as console_faq
from api.console import org as console_org
from api.console import pages as console_pages
from api.console import policy as console_policy
from api.console import registration as console_registration
from api.console import search as console_search
from api.console import slips as console_slips
from api.console import stats as console_stats
from api.console import status as console_status
from api.console import totp as console_totp
from api.console.auth import SignInFirst
from api.cors import PrefixCORS
from api.errors import temporal_unavailable, too_many_page, validation_error
from api.metrics import Metrics, MetricsMiddleware
from api.ratelimit import TooManyOnPage, new_limiter
from api.routes import (
    admin,
    aftercare,
    assignments,
    attachments,
    audit,
    auth,
    calendar,
    campaigns,
    case_actions,
    codec,
    complaints,
    directory,
    faq,
    health,
    org,
    pages,
    schools,
    slips,
    stats,
    system,
    track,
    track_review,
)
from api.schemas.calendar import Retiming
from api.security_headers import SecurityHeaders
from api.temporal_link import TemporalLink, TemporalUnavailable
from core.keys import AuditKeys
from core.settings import Settings, get_settings
from core.telemetry import temporal_interceptors, tracer_provider
from store import audit_heads
from store.blobs import blob_store
from store.calendar import StoreCalendar
from store.db import engine_for, hand_over_the_interpreter_sooner, make_engine
from store.sealing import Sealer
from store.tree import StoreTree


def wall_clock() -> datetime:
    """The app's clock outside tests: now, in UTC."""
    return datetime.now(UTC)


def create_app(
    settings: Settings | None = None, *, clock: Callable[[], datetime] = wall_clock
) -> FastAPI:
    """The app; tests hand in their own settings and a clock they can move."""
    settings = settings or get_settings()
    production = settings.environment == "production"
    problems = settings.production_problems()
    if problems:  # refuse before serving anything, as the worker does
        raise RuntimeError("拒绝启动 API：" + "；".join(problems))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        hand_over_the_interpreter_sooner()
        try:  # refuse to serve writes that could not export their audit heads
            audit_heads.prepare(settings.audit_heads_path)
        except OSError as exc:
            raise RuntimeError(
                f"拒绝启动 API：审计链头文件 {settings.audit_heads_path} 无法写入（{exc.strerror}）"
            ) from None
        app.state.settings = settings
        app.state.engine = engine_for(settings)
        app.state.audit_engine = (
            make_engine(settings.audit_database_url)
            if settings.audit_database_url
            else app.state.engine
        )
        app.state.audit_keys = AuditKeys(settings.audit_keys)
        app.state.audit_heads = settings.audit_heads_path
        tracing = tracer_provider(settings, "xueji-api")
        app.state.tracer = tracing.get_tracer("xueji") if tracing else None
        app.state.temporal = TemporalLink(settings, temporal_interceptors(tracing))
        app.state.sealer = Sealer(settings.store_keys)
        app.state.blobs = blob_store(settings)
        app.state.clock = clock
        app.state.tree = StoreTree(app.state.engine)
        app.state.calendar = StoreCalendar(app.state.engine, settings.calendar_path)
        app.state.limiter = new_limiter()
        if settings.api_metrics_port:
            temporal = app.state.temporal

            async def retiming() -> Retiming | None:
                return await retiming_status(await temporal.client(), temporal.task_queue)

            metrics.serve(
                app.state.engine, settings.metrics_host, settings.api_metrics_port, retiming
            )
        yield
        metrics.stop()
        if tracing is not None:
            tracing.shutdown()  # the last spans sent
        app.state.engine.dispose()
        app.state.audit_engine.dispose()

    app = FastAPI(
        title="xueji 学籍投诉处理",
        summary="Complaints about student-status management, after 教基一厅函[2014]50号",
        version="0.1.0",
        lifespan=lifespan,
        # The interactive docs are for development; production does not describe itself.
        docs_url=None if production else "/docs",
        redoc_url=None if production else "/redoc",
        openapi_url=None if production else "/openapi.json",
    )
    metrics = Metrics()
    app.state.metrics = metrics
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(TemporalUnavailable, temporal_unavailable)
    app.add_exception_handler(TooManyOnPage, too_many_page)
    app.add_exception_handler(SignInFirst, console_errors.sign_in_first)
    app.add_exception_handler(HTTPException, console_errors.refused)
    app.mount("/static", StaticFiles(packages=[("api", "static")]), name="static")
    # The console's pages are for people, not part of the API's description.
    for console_router in (
        console_pages.router,
        console_registration.router,
        console_slips.router,
        console_search.router,
        console_status.router,
        console_case_page.router,
        console_aftercare.router,
        console_case_files.router,
        console_policy.router,
        console_calendar.router,
        console_audit.router,
        console_accounts.router,
        console_totp.router,
        console_campaigns.router,
        console_faq.router,
        console_org.router,
        console_contacts.router,
        console_stats.router,
    ):
        app.include_router(console_router, include_in_schema=False)
    app.include_router(health.router)
    app.include_router(auth.router)
    app.include_router(admin.router)
    app.include_router(directory.router)
    app.include_router(pages.router)
    app.include_router(faq.router)
    app.include_router(complaints.router)
    app.include_router(case_actions.router)
    app.include_router(aftercare.router)
    app.include_router(attachments.router)
    app.include_router(assignments.router)
    app.include_router(slips.router)
    app.include_router(campaigns.router)
    app.include_router(track.router)
    app.include_router(track_review.router)
    app.include_router(codec.router)
    app.include_router(calendar.router)
    app.include_router(org.router)
    app.include_router(schools.router)
    app.include_router(audit.router)
    app.include_router(stats.router)
    app.include_router(system.router)
    audit_trail.install(app)
    app.add_middleware(PrefixCORS, prefix="/api/codec/", origin=settings.temporal_ui_origin)
    app.add_middleware(
        BodyLimit,
        limit_of=limits(
            settings.max_body_bytes, settings.max_import_bytes, settings.attachment_max_bytes
        ),
    )
    app.add_middleware(SecurityHeaders)
    # Outermost: what every layer sees as the caller's address and scheme. Only a proxy of
    # XUEJI_TRUSTED_PROXIES is believed; uvicorn's own copy of this is off (xueji/cli, dev).
    app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    # Around everything: each request counted and timed, and traced when tracing is on.
    app.add_middleware(MetricsMiddleware, metrics=metrics, state=app.state)
    return app


app = create_app()
