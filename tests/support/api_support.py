"""HTTP tests through the real app on a real migrated store: a small org tree, staff
accounts made in the store, login helpers and a clock the test moves; the `api` fixture."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from api.main import create_app
from core.keys import DEV_KEY_SPEC
from core.settings import Settings
from domain.orgtree import OrgTree
from domain.roles import ADMIN_ROLES
from store.accounts import create_user
from store.db import make_engine, session_scope
from store.logins import begin_totp_enrolment
from store.models import StaffUser
from store.org import replace_tree
from store.sealing import Sealer
from tests.support.local import free_port
from tests.support.stores import FreshStore, Template

T0 = datetime(2030, 3, 4, 1, 0, tzinfo=UTC)
PASSWORD = "Correct-Horse-7"
SEALER = Sealer(DEV_KEY_SPEC)

# 000000 ─ 110000 ─ 110101, 110102 ; 000000 ─ 130000 ─ 130100 ─ 130102
UNITS = [
    ("000000", "教育部", "national", ""),
    ("110000", "北京市教育委员会", "provincial", "000000"),
    ("110101", "东城区教育局", "county", "110000"),
    ("110102", "西城区教育局", "county", "110000"),
    ("130000", "河北省教育厅", "provincial", "000000"),
    ("130100", "石家庄市教育局", "prefectural", "130000"),
    ("130102", "长安区教育局", "county", "130100"),
]


def small_tree() -> OrgTree:
    units = [{"code": c, "name": n, "level": v, "parent_code": p} for c, n, v, p in UNITS]
    return OrgTree.from_records(units, [])


SMALL_TREE = Template("small", lambda session: replace_tree(session=session, tree=small_tree()))


@dataclass
class Clock:
    """The app's clock: tests move it instead of sleeping."""

    now: datetime = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def create_account(
    session: Session,
    *,
    username: str,
    unit_code: str,
    role: str,
    password: str,
    now: datetime,
    totp: bool,
    display_name: str = "",
) -> str | None:
    """A new account; with `totp`, enrolled (sealed with the development store key, as the
    tests' apps are), returning its secret."""
    user = create_user(
        session=session,
        username=username,
        unit_code=unit_code,
        role=role,
        password=password,
        now=now,
        display_name=display_name,
    )
    if not totp:
        return None
    secret, _ = begin_totp_enrolment(user=user, sealer=SEALER)
    user.totp_enrolled = True
    return secret


@dataclass
class Api:
    client: TestClient
    engine: Engine
    clock: Clock = field(default_factory=Clock)
    sessions: dict[str, dict[str, str]] = field(default_factory=dict)  # a test's own use

    def add_user(
        self,
        username: str,
        *,
        unit_code: str = "110000",
        role: str = "clerk",
        password: str = PASSWORD,
        totp: bool = False,
    ) -> str | None:
        """Create an account in the store; with `totp`, enrolled, returning its secret."""
        with session_scope(self.engine) as session:
            return create_account(
                session,
                username=username,
                unit_code=unit_code,
                role=role,
                password=password,
                now=self.clock(),
                totp=totp,
            )

    def headers_for(
        self, username: str, *, unit_code: str = "110000", role: str = "clerk"
    ) -> dict[str, str]:
        """Create an account and log it in: the `Authorization` header of a session that
        may do anything its role allows (administrators get TOTP enrolled first)."""
        secret = self.add_user(username, unit_code=unit_code, role=role, totp=role in ADMIN_ROLES)
        return bearer(self.token(username, secret=secret))

    def user(self, username: str) -> StaffUser:
        """The stored account, detached (read its columns freely)."""
        with session_scope(self.engine) as session:
            user = session.exec(select(StaffUser).where(StaffUser.username == username)).one()
            session.expunge(user)
            return user

    def login(
        self, username: str, password: str = PASSWORD, totp_code: str | None = None
    ) -> httpx.Response:
        body = {"username": username, "password": password, "totp_code": totp_code}
        return self.client.post("/api/auth/login", json=body)

    def login_from(self, address: str, username: str, password: str = PASSWORD) -> httpx.Response:
        """Log in as `login` does, from another client address."""
        client = TestClient(self.client.app, client=(address, 50000))
        body = {"username": username, "password": password, "totp_code": None}
        return client.post("/api/auth/login", json=body)

    def lock_out(self, username: str, *, addresses: int = 4, each: int = 5) -> None:
        """Wrong passwords for `username`, `each` from every one of `addresses` addresses:
        one address alone is slowed and never locks an account (store/logins.py), the
        default policy's account locks after 4 × 5 from any addresses."""
        for n in range(addresses):
            for _ in range(each):
                self.login_from(f"203.0.113.{n + 1}", username, "Not-The-Password-1")

    def token(self, username: str, password: str = PASSWORD, secret: str | None = None) -> str:
        """Log in (with the current TOTP code when `secret` is given) and return the token."""
        code = totp_code(secret, self.clock()) if secret else None
        response = self.login(username, password, code)
        assert response.status_code == 200, response.text
        return str(response.json()["token"])


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def totp_code(secret: str, at: datetime) -> str:
    return pyotp.TOTP(secret).at(at)


@contextmanager
def open_api(
    store_url: str, data_dir: Path, *, temporal_address: str = "", **settings_given: object
) -> Iterator[Api]:
    """The real app on the store at `store_url`, made from the SMALL_TREE template; Temporal
    at `temporal_address`, by default a port nobody listens on; `settings_given` set more."""
    engine = make_engine(store_url)
    clock = Clock()
    settings = Settings(
        data_dir=data_dir,
        database_url=store_url,
        store_keys=DEV_KEY_SPEC,
        temporal_address=temporal_address or f"127.0.0.1:{free_port()}",  # nothing listens
        **settings_given,  # type: ignore[arg-type]
    )
    try:
        with TestClient(create_app(settings, clock=clock)) as client:
            yield Api(client=client, engine=engine, clock=clock)
    finally:
        engine.dispose()


@contextmanager
def api_on_own_store(kind: str, folder: Path) -> Iterator[Api]:
    """`open_api` on a store of its own of `kind` holding the small tree, for a module's
    fixture whose tests only read (one app and store for them all, of each kind)."""
    store = FreshStore.of(kind, folder)
    try:
        with open_api(store.make(SMALL_TREE), folder) as api:
            yield api
    finally:
        store.drop()


@pytest.fixture
def api(fresh_store: FreshStore, tmp_path: Path) -> Iterator[Api]:
    """The real app, Temporal down, on a fresh store of each kind holding the small tree."""
    with open_api(fresh_store.make(SMALL_TREE), tmp_path) as api:
        yield api
