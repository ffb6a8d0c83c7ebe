"""Every route of the app, walked with every principal of tests/security/world.py, answers as
the access table (tests/security/access_table.py) says: let through or refused. The routes
come from the app's own route table, so a new route fails here until the table has its entry.

One running system for the module (real app, real worker on the dev server, SQLite with the
demo tree); the requests are harmless by design (see the table), so the walk's order does not
matter but for the withdrawal, whose refused principals go first.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from starlette.routing import Mount
from temporalio.testing import WorkflowEnvironment

from api.console.auth import COOKIE
from api.main import create_app
from core.settings import Settings
from tests.security.access_table import ROUTES, Access
from tests.security.world import PRINCIPALS, PUBLIC, World, running_world

pytestmark = pytest.mark.xdist_group("security-routes")

STATIC_FILE = "console.css"  # what the walk asks of a static mount
BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def app_routes(app: FastAPI) -> Iterator[str]:
    """'METHOD /path' of every route the app serves (HEAD, served with GET, left out)."""
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, Mount):
            yield f"GET {route.path}"
            continue
        for method in sorted(context.methods or ()):
            if method != "HEAD":
                yield f"{method} {context.path}"


APP_ROUTES = sorted(set(app_routes(create_app(Settings()))))


def test_every_route_has_an_entry_in_the_access_table() -> None:
    missing = [route for route in APP_ROUTES if route not in ROUTES]
    assert not missing, (
        "routes with no entry in tests/security/access_table.py ROUTES; add one each, e.g.\n"
        + "\n".join(f'    "{route}": Access(who(POSITIONS, ROLES), json=...),' for route in missing)
        + "\n(who may use it, and a harmless request: see the module's docstring)"
    )


def test_every_entry_of_the_access_table_is_a_route() -> None:
    stale = sorted(set(ROUTES) - set(APP_ROUTES))
    assert not stale, f"entries of ROUTES for routes the app no longer serves: {stale}"


@pytest.fixture(scope="module")
async def world(
    tmp_path_factory: pytest.TempPathFactory, dev_server: WorkflowEnvironment
) -> AsyncIterator[World]:
    folder: Path = tmp_path_factory.mktemp("security")
    async with running_world(folder, dev_server) as running:
        yield running


def _resolve(value: Any, world: World, principal: str) -> Any:
    return value(world, principal) if callable(value) else value


def _path(template: str, access: Access, world: World) -> str:
    if template.startswith("/static"):
        return f"{template}/{STATIC_FILE}"
    values = {
        **world.targets,
        "complaint_id": world.targets[access.case],
        "slip_id": world.targets[access.slip],
    }
    return template.format(**values)


async def _ask(world: World, route: str, access: Access, principal: str) -> httpx.Response:
    method, template = route.split(" ", 1)
    path = _path(template, access, world)
    token = None
    if principal != PUBLIC:
        token = world.new_session(principal) if access.fresh_session else None
    headers: dict[str, str] = {}
    data = None
    if template.startswith("/console"):
        cookies = world.console_cookies(principal, token) if principal != PUBLIC else {}
        if cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        if method in BODY_METHODS:
            data = dict(_resolve(access.form, world, principal) or {})
            if principal != PUBLIC:
                data["csrf"] = world.csrf(principal, token)
    elif principal != PUBLIC:
        headers.update(world.api_headers(principal, token))
    body = _resolve(access.json, world, principal)
    return await world.http.request(
        method,
        path,
        headers=headers,
        params=access.params,
        json=body if data is None and method in BODY_METHODS and body is not None else None,
        data=data,
    )


def answer_class(answer: httpx.Response) -> str:
    """How the app answered: `login` (401, or the console's way to its login page),
    `refused` (403, 404), `error` (5xx) or `through` (anything else: done, 409, 422...)."""
    status = answer.status_code
    if status == 401:
        return "login"
    if status in (302, 303, 307) and "/console/login?next=" in answer.headers.get("location", ""):
        return "login"
    if status in (403, 404):
        return "refused"
    if status >= 500:
        return "error"
    return "through"


def expected_class(access: Access, principal: str) -> str:
    if principal in access.allowed:
        return "through"
    return "login" if principal == PUBLIC else "refused"


def _mismatch(principal: str, wanted: str, answer: httpx.Response) -> str | None:
    if answer_class(answer) == wanted:
        return None
    json = answer.headers.get("content-type", "").startswith("application/json")
    said = answer.text[:160] if json else answer.headers.get("location", "")
    return f"  {principal}: {wanted} expected, got {answer.status_code} {said!r}"


@pytest.mark.parametrize("route", sorted(ROUTES))
async def test_the_route_answers_each_principal_as_the_table_says(route: str, world: World) -> None:
    access = ROUTES[route]

    async def check(principal: str) -> str | None:
        answer = await _ask(world, route, access, principal)
        return _mismatch(principal, expected_class(access, principal), answer)

    # Refused principals first, all at once; then those let through one by one, since one
    # may change the target for the next (the first withdrawal ends the case).
    refused = [p for p in PRINCIPALS if p not in access.allowed]
    wrong = list(await asyncio.gather(*(check(principal) for principal in refused)))
    for principal in sorted(access.allowed):
        wrong.append(await check(principal))
    mismatches = [line for line in wrong if line]
    assert not mismatches, f"{route}:\n" + "\n".join(mismatches)


MOST_TRUSTED = ("top.sysadmin", "handling.leader")  # a national administrator, a case actor


@pytest.mark.parametrize("principal", MOST_TRUSTED)
async def test_each_surface_takes_only_its_own_credential(principal: str, world: World) -> None:
    """The console's cookie is no login for the JSON API, nor a bearer token for the console:
    every route that refuses nobody signed in refuses each credential on the other surface."""
    wrong = []
    for route, access in sorted(ROUTES.items()):
        if PUBLIC in access.allowed:
            continue
        method, template = route.split(" ", 1)
        console = template.startswith("/console")
        if console:
            credential = {"headers": world.api_headers(principal)}
        else:
            token = world.tokens[principal]
            credential = {"headers": {"Cookie": f"{COOKIE}={token}"}}
        answer = await world.http.request(
            method, _path(template, access, world), params=access.params, **credential
        )
        line = _mismatch(f"{principal} on {route}", "login", answer)
        if line:
            wrong.append(line)
    assert not wrong, "\n".join(wrong)
