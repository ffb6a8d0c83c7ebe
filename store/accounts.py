"""Staff accounts: users, passwords, lockout, TOTP and server-side sessions (DESIGN §7).

Every function works in the caller's session (the caller commits) and takes an aware `now`,
so tests move the clock instead of sleeping. Messages for people are in Chinese.
"""

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Literal

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete
from sqlmodel import Session, col, select, update

from domain.passwords import complexity_problems
from store.models import (
    PasswordHistory,
    PasswordPolicy,
    PasswordPolicyBase,
    StaffSession,
    StaffUser,
)
from store.org import unit_exists
from store.sealing import Sealer

ROLES = ("clerk", "handler", "leader", "sysadmin", "secadmin", "auditor")
ADMIN_ROLES = frozenset({"sysadmin", "secadmin", "auditor"})  # must use a second factor
USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{2,31}")
TOTP_ISSUER = "xueji 学籍投诉"
TOUCH_EVERY = timedelta(minutes=1)  # a session's last activity is kept to the minute
# How long a dead session's row (user, times, client address) stays: the idle timeout is a
# day at most, so a session unseen for this long is dead. The audit log keeps every login.
SESSION_ROWS_KEPT = timedelta(days=30)
PASSWORD_HISTORY_MAX = 24  # the most the policy may ask a new password to differ from

_hasher = PasswordHasher()  # argon2-cffi's recommended parameters


def use_password_hasher(hasher: PasswordHasher) -> PasswordHasher:
    """Hash and check passwords with `hasher` from now on in this process, returning the one
    used until now. Only the tests call this (with cheap parameters, to run quickly);
    production keeps the default above."""
    global _hasher
    previous, _hasher = _hasher, hasher
    _dummy_hash.cache_clear()  # made with the old hasher's parameters
    return previous


class AccountError(ValueError):
    """A refused account change: `field` names the input, `reasons` say why."""

    def __init__(self, field: str, reasons: list[str]) -> None:
        super().__init__("；".join(reasons))
        self.field = field
        self.reasons = reasons


@dataclass(frozen=True)
class Granted:
    user: StaffUser
    must_change_password: bool
    must_enrol_totp: bool


@dataclass(frozen=True)
class LoginRefused:
    reason: Literal["credentials", "locked", "totp_required"]
    locked_until: datetime | None = None


def token_hash(token: str) -> str:
    """What the store keeps of a bearer token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# ---------------------------------------------------------------- policy and passwords


def get_policy(*, session: Session) -> PasswordPolicy:
    return session.get(PasswordPolicy, 1) or PasswordPolicy()


def update_policy(*, session: Session, values: PasswordPolicyBase) -> PasswordPolicy:
    policy = session.get(PasswordPolicy, 1) or PasswordPolicy(id=1)
    policy.sqlmodel_update(values.model_dump())
    session.add(policy)
    return policy


def check_password_policy(
    *, session: Session, username: str, password: str, user_id: int | None = None
) -> list[str]:
    """Why `password` may not be used (Chinese reasons); empty when it may."""
    policy = get_policy(session=session)
    problems = complexity_problems(
        password, username=username, min_length=policy.min_length, min_kinds=policy.min_kinds
    )
    if user_id is not None and policy.history > 0:
        recent = session.exec(
            select(PasswordHistory.hash)
            .where(PasswordHistory.user_id == user_id)
            .order_by(col(PasswordHistory.created_at).desc(), col(PasswordHistory.id).desc())
            .limit(policy.history)
        )
        if any(_matches(old, password) for old in recent):
            problems.append(f"不得与最近 {policy.history} 次使用过的密码相同")
    return problems


def _matches(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


def _set_password(session: Session, user: StaffUser, password: str, now: datetime) -> None:
    user.password_hash = _hasher.hash(password)
    user.password_changed_at = now
    session.add(user)
    session.flush()  # the user needs its id for the history row
    assert user.id is not None
    session.add(PasswordHistory(user_id=user.id, hash=user.password_hash, created_at=now))
    session.flush()
    # Old hashes beyond what any policy can check are of no use and a risk if the store leaks.
    kept = (
        select(PasswordHistory.id)
        .where(PasswordHistory.user_id == user.id)
        .order_by(col(PasswordHistory.created_at).desc(), col(PasswordHistory.id).desc())
        .limit(PASSWORD_HISTORY_MAX)
    )
    session.execute(
        delete(PasswordHistory)
        .where(col(PasswordHistory.user_id) == user.id)
        .where(col(PasswordHistory.id).not_in(kept.scalar_subquery()))
    )


# ---------------------------------------------------------------- users


def find_user(*, session: Session, username: str) -> StaffUser | None:
    return session.exec(select(StaffUser).where(StaffUser.username == username)).first()


def create_user(
    *,
    session: Session,
    username: str,
    unit_code: str,
    role: str,
    password: str,
    now: datetime,
    display_name: str = "",
    must_change_password: bool = False,
) -> StaffUser:
    """A new active account; AccountError naming the field when something is wrong."""
    if not USERNAME.fullmatch(username):
        raise AccountError(
            "username", ["用户名须为 3 至 32 位字母、数字或 _ . -，并以字母或数字开头"]
        )
    if role not in ROLES:
        raise AccountError("role", [f"角色 {role} 不存在，可选：{'、'.join(ROLES)}"])
    if not unit_exists(session=session, code=unit_code):
        raise AccountError("unit_code", [f"单位代码 {unit_code} 不存在"])
    if find_user(session=session, username=username) is not None:
        raise AccountError("username", [f"用户名 {username} 已被使用"])
    problems = check_password_policy(session=session, username=username, password=password)
    if problems:
        raise AccountError("password", problems)
    user = StaffUser(
        username=username,
        display_name=display_name or username,
        unit_code=unit_code,
        role=role,
        password_hash="",
        password_changed_at=now,
        must_change_password=must_change_password,
        created_at=now,
    )
    _set_password(session, user, password, now)
    return user


def change_password(
    *,
    session: Session,
    user: StaffUser,
    old_password: str,
    new_password: str,
    now: datetime,
    keep_session: str | None = None,
) -> None:
    """The user's own change; every other session of the user is revoked."""
    if not _matches(user.password_hash, old_password):
        raise AccountError("old_password", ["原密码不正确"])
    if new_password == old_password:
        raise AccountError("new_password", ["新密码不得与原密码相同"])
    assert user.id is not None
    problems = check_password_policy(
        session=session, username=user.username, password=new_password, user_id=user.id
    )
    if problems:
        raise AccountError("new_password", problems)
    _set_password(session, user, new_password, now)
    user.must_change_password = False
    revoke_user_sessions(session=session, user_id=user.id, now=now, keep=keep_session)
    session.exec(
        update(StaffSession)  # type: ignore[call-overload]
        .where(col(StaffSession.user_id) == user.id)
        .values(must_change_password=False)
    )


def reset_password(*, session: Session, user: StaffUser, password: str, now: datetime) -> None:
    """An administrator's reset: the user must change it at the next login."""
    assert user.id is not None
    problems = check_password_policy(
        session=session, username=user.username, password=password, user_id=user.id
    )
    if problems:
        raise AccountError("password", problems)
    _set_password(session, user, password, now)
    user.must_change_password = True
    unlock(user=user)
    revoke_user_sessions(session=session, user_id=user.id, now=now)


def unlock(*, user: StaffUser) -> None:
    user.failed_logins = 0
    user.locked_until = None


# ---------------------------------------------------------------- login


def authenticate(
    *,
    session: Session,
    username: str,
    password: str,
    totp_code: str | None,
    sealer: Sealer,
    now: datetime,
) -> Granted | LoginRefused:
    """Check a login. Failures are counted (the caller commits a refusal too)."""
    policy = get_policy(session=session)
    user = find_user(session=session, username=username)
    if user is None or not user.active:
        _matches(_dummy_hash(), password)  # the same work as a real check: existence stays hidden
        return LoginRefused("credentials")
    if user.locked_until is not None and user.locked_until > now:
        return LoginRefused("locked", user.locked_until)
    if not _matches(user.password_hash, password):
        return _failure(session, user, policy, now)
    if user.totp_enrolled:
        if not totp_code:
            return LoginRefused("totp_required")
        if not verify_totp(user=user, code=totp_code, sealer=sealer, now=now):
            return _failure(session, user, policy, now)
    unlock(user=user)
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    session.add(user)
    expired = policy.expiry_days > 0 and now >= user.password_changed_at + timedelta(
        days=policy.expiry_days
    )
    return Granted(
        user=user,
        must_change_password=expired or user.must_change_password,
        must_enrol_totp=user.role in ADMIN_ROLES and not user.totp_enrolled,
    )


def _failure(
    session: Session, user: StaffUser, policy: PasswordPolicy, now: datetime
) -> LoginRefused:
    # Counted in SQL: concurrent guesses cannot overwrite each other's count.
    session.exec(
        update(StaffUser)  # type: ignore[call-overload]
        .where(col(StaffUser.id) == user.id)
        .values(failed_logins=StaffUser.failed_logins + 1)
    )
    session.refresh(user)
    if user.failed_logins < policy.max_failures:
        return LoginRefused("credentials")
    user.failed_logins = 0
    user.locked_until = now + timedelta(minutes=policy.lock_minutes)
    session.add(user)
    return LoginRefused("locked", user.locked_until)


# ---------------------------------------------------------------- TOTP


def begin_totp_enrolment(*, user: StaffUser, sealer: Sealer) -> tuple[str, str]:
    """A fresh secret (kept sealed until confirmed) and its otpauth:// provisioning URI."""
    if user.totp_enrolled:
        raise AccountError("totp", ["已绑定动态口令；如需更换，请联系系统管理员重置"])
    secret = pyotp.random_base32()
    user.totp_secret = sealer.seal(secret)
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=TOTP_ISSUER)
    return secret, uri


def confirm_totp(
    *, session: Session, user: StaffUser, code: str, sealer: Sealer, now: datetime
) -> None:
    """Finish the enrolment with a code from the authenticator app."""
    if user.totp_enrolled:
        raise AccountError("code", ["已绑定动态口令"])
    if user.totp_secret is None:
        raise AccountError("code", ["请先申请绑定动态口令"])
    if not verify_totp(user=user, code=code, sealer=sealer, now=now):
        raise AccountError("code", ["动态验证码不正确"])
    user.totp_enrolled = True
    session.add(user)
    session.exec(
        update(StaffSession)  # type: ignore[call-overload]
        .where(col(StaffSession.user_id) == user.id)
        .values(must_enrol_totp=False)
    )


def reset_totp(*, user: StaffUser) -> None:
    user.totp_secret = None
    user.totp_enrolled = False
    user.totp_last_step = 0


def verify_totp(*, user: StaffUser, code: str, sealer: Sealer, now: datetime) -> bool:
    """Is `code` the user's TOTP code (one 30 s step of clock drift allowed) and not yet
    used? An accepted code is spent: its step is remembered on the user (the caller saves)."""
    if user.totp_secret is None:
        return False
    totp = pyotp.TOTP(sealer.open(user.totp_secret))
    current = totp.timecode(now)
    for step in (current - 1, current, current + 1):
        if step > user.totp_last_step and hmac.compare_digest(totp.generate_otp(step), code):
            user.totp_last_step = step
            return True
    return False


# ---------------------------------------------------------------- sessions


def open_session(
    *, session: Session, grant: Granted, now: datetime, client_address: str = ""
) -> str:
    """A new session for a granted login; returns the bearer token (stored only hashed).
    Sessions unseen for SESSION_ROWS_KEPT, of any user, are deleted on the way."""
    assert grant.user.id is not None
    stale = col(StaffSession.last_seen_at) < now - SESSION_ROWS_KEPT
    session.execute(delete(StaffSession).where(stale))
    token = secrets.token_urlsafe(32)
    session.add(
        StaffSession(
            token_hash=token_hash(token),
            user_id=grant.user.id,
            created_at=now,
            last_seen_at=now,
            client_address=client_address[:64],
            must_change_password=grant.must_change_password,
            must_enrol_totp=grant.must_enrol_totp,
        )
    )
    return token


def get_session_user(
    *, session: Session, token: str, now: datetime
) -> tuple[StaffSession, StaffUser] | None:
    """The live session of `token` and its user, touched (to the minute); None when dead or
    unknown. One query: every request of a logged-in user asks this."""
    found = session.exec(
        select(StaffSession, StaffUser, PasswordPolicy.idle_minutes)
        .join(StaffUser, col(StaffUser.id) == StaffSession.user_id)
        .outerjoin(PasswordPolicy, col(PasswordPolicy.id) == 1)
        .where(StaffSession.token_hash == token_hash(token))
    ).first()
    if found is None:
        return None
    row, user, idle_minutes = found
    if row.revoked_at is not None:
        return None
    idle = timedelta(
        minutes=PasswordPolicy().idle_minutes if idle_minutes is None else idle_minutes
    )
    if now - row.last_seen_at > idle:
        row.revoked_at = now  # dead stays dead, even if the policy is relaxed later
        session.add(row)
        return None
    if not user.active:
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:  # one write a minute, not one per request
        row.last_seen_at = now
        session.add(row)
    return row, user


def revoke_session(*, session: Session, token_hash: str, now: datetime) -> None:
    row = session.get(StaffSession, token_hash)
    if row is not None and row.revoked_at is None:
        row.revoked_at = now
        session.add(row)


def revoke_user_sessions(
    *, session: Session, user_id: int, now: datetime, keep: str | None = None
) -> None:
    """Revoke every live session of the user, except the one whose hash is `keep`."""
    query = (
        update(StaffSession)
        .where(col(StaffSession.user_id) == user_id)
        .where(col(StaffSession.revoked_at).is_(None))
    )
    if keep is not None:
        query = query.where(col(StaffSession.token_hash) != keep)
    session.exec(query.values(revoked_at=now))  # type: ignore[call-overload]


def list_users(*, session: Session, unit_codes: set[str]) -> list[StaffUser]:
    query = select(StaffUser).where(col(StaffUser.unit_code).in_(unit_codes))
    return list(session.exec(query.order_by(StaffUser.unit_code, StaffUser.username)))
