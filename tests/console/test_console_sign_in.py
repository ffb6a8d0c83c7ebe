"""The console's sign-in over HTTP: the session cookie (HttpOnly, SameSite=Strict, only for
/console), a redirect to the login for a browser without one, the CSRF token every form
needs, the forced password change, logout; and the vendored front-end files, byte for byte
what the manifest says."""

import hashlib
import json
from pathlib import Path

import httpx

from store.accounts import find_user, reset_password
from store.db import engine_for, session_scope
from tests.support.console_support import csrf_of, signed_in
from tests.support.http_support import PASSWORD, System

VENDOR = Path(__file__).resolve().parents[2] / "api" / "static" / "vendor"


async def test_signing_in_sets_a_strict_cookie_for_the_console_only(system: System) -> None:
    nowhere = await system.http.get("/console/password")  # no session: the login, no loop
    assert nowhere.headers["location"] == "/console/login?next=/console/password"
    away = await system.http.get("/console?mine=true")
    assert (away.status_code, away.headers["location"]) == (
        303,
        "/console/login?next=/console%3Fmine%3Dtrue",
    )

    answer = await system.http.post(
        "/console/login", data={"username": "sjz_handler", "password": "wrong", "next": "/console"}
    )
    assert answer.status_code == 401 and "用户名、密码或动态验证码不正确" in answer.text
    answer = await system.http.post(
        "/console/login",
        data={"username": "sjz_handler", "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert (answer.status_code, answer.headers["location"]) == (303, "/console")  # never away
    # Two cookies: the console's, and the codec's for the Web UI (test_console_codec.py).
    [cookie] = [c for c in answer.headers.get_list("set-cookie") if c.startswith("xueji_console=")]
    assert {"httponly", "samesite=strict", "path=/console"} <= {
        part.strip().lower() for part in cookie.split(";")
    }
    # The console's cookie is no login for the JSON API.
    token = cookie.split(";")[0].split("=", 1)[1]
    refused = await system.http.get("/api/complaints", cookies={"xueji_console": token})
    assert refused.status_code == 401


async def test_every_form_needs_the_sessions_csrf_token(system: System) -> None:
    client = await signed_in(system, "sjz_handler")
    try:
        inbox = await client.get("/console")
        assert inbox.status_code == 200
        assert "script-src 'self'" in inbox.headers["content-security-policy"]
        token = csrf_of(inbox.text)
        forged = await client.post("/console/logout", data={"csrf": "0" * 64})
        assert forged.status_code == 403 and "校验码" in forged.text
        assert (await client.get("/console")).status_code == 200  # still signed in
        out = await client.post("/console/logout", data={"csrf": token})
        assert (out.status_code, out.headers["location"]) == (303, "/console/login")
        assert (await client.get("/console")).status_code == 303  # the session is gone
    finally:
        await client.aclose()


async def test_an_administrator_chosen_password_is_changed_first(system: System) -> None:
    engine = engine_for(system.settings)
    with session_scope(engine) as session:  # as an administrator's reset leaves it
        user = find_user(session=session, username="sjz_clerk")
        assert user is not None
        reset_password(session=session, user=user, password="Temporary-Pass-9", now=system.now())
    engine.dispose()
    client = httpx.AsyncClient(transport=system.http._transport, base_url="http://xueji")
    try:
        form = {"username": "sjz_clerk", "password": "Temporary-Pass-9", "next": "/console"}
        assert (await client.post("/console/login", data=form)).status_code == 303
        sent = await client.get("/console")
        assert (sent.status_code, sent.headers["location"]) == (303, "/console/password")
        page = await client.get("/console/password")
        change = {"csrf": csrf_of(page.text), "old_password": "Temporary-Pass-9"}
        weak = await client.post("/console/password", data={**change, "new_password": "short"})
        assert weak.status_code == 422 and "new_password" in weak.text
        done = await client.post(
            "/console/password", data={**change, "new_password": "Brand-New-Pass-42"}
        )
        assert (done.status_code, done.headers["location"]) == (303, "/console")
        assert (await client.get("/console")).status_code == 200
    finally:
        await client.aclose()


def test_vendored_files_are_what_the_manifest_says() -> None:
    manifest = json.loads((VENDOR / "MANIFEST.json").read_text(encoding="utf-8"))
    on_disk = {path.name for path in VENDOR.iterdir()} - {"MANIFEST.json"}
    assert on_disk == set(manifest)
    for name, entry in manifest.items():
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == entry["sha256"], name
