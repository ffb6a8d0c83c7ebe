"""Staff accounts: users, roles, passwords and the password policy (DESIGN §7); signing in
(lockout, TOTP, sessions) is store/logins.py.

Every function works in the caller's session (the caller commits) and takes an aware `now`,
so tests move the clock instead of sleeping. Messages for people are in Chinese.
"""

import re
import secrets
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, or_
from sqlmodel import Session, col, select, update

from domain.orgtree import is_school_code
from domain.passwords import complexity_problems
from domain.roles import SCHOOL_ROLES, Role
from store.models import (
    PasswordHistory,
    PasswordPolicy,
    PasswordPolicyBase,
    School,
    StaffSession,
    StaffUser,
)
from store.org import school_exists, unit_exists

ROLES = tuple(Role)
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
    dummy_password_hash.cache_clear()  # made with the old hasher's parameters
    return previous


class AccountError(ValueError):
    """A refused account change: `field` names the input, `reasons` say why."""

    def __init__(self, field: str, reasons: list[str]) -> None:
        super().__init__("；".join(reasons))
        self.field = field
        self.reasons = reasons


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
        if any(matches_password(old, password) for old in recent):
            problems.append(f"不得与最近 {policy.history} 次使用过的密码相同")
    return problems


# Letters and digits that read aloud and copy without confusion (no 0/O, 1/l/I), and symbols.
_TEMPORARY_ALPHABETS = ("abcdefghijkmnpqrstuvwxyz", "ABCDEFGHJKLMNPQRSTUVWXYZ", "23456789", "-_.")


def temporary_password(*, session: Session, username: str) -> str:
    """A random temporary password (临时密码) the policy accepts for `username`: at least 16
    characters, every kind of character in it, for an administrator to hand over once."""
    policy = get_policy(session=session)
    length = max(16, policy.min_length)
    everything = "".join(_TEMPORARY_ALPHABETS)
    while True:
        chosen = [secrets.choice(alphabet) for alphabet in _TEMPORARY_ALPHABETS]
        chosen += [secrets.choice(everything) for _ in range(length - len(chosen))]
        secrets.SystemRandom().shuffle(chosen)
        password = "".join(chosen)
        if not check_password_policy(session=session, username=username, password=password):
            return password


def matches_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def dummy_password_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _set_password(session: Session, user: StaffUser, password: str, now: datetime) -> None:
    set_password_hash(session=session, user=user, password_hash=_hasher.hash(password), now=now)


def set_password_hash(
    *, session: Session, user: StaffUser, password_hash: str, now: datetime
) -> None:
    """Give the user a password already hashed (and checked against the policy), kept in the
    history like any other."""
    user.password_hash = password_hash
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
    check_new_user(
        session=session, username=username, unit_code=unit_code, role=role, password=password
    )
    user = new_user(
        username=username,
        unit_code=unit_code,
        role=role,
        now=now,
        display_name=display_name,
        must_change_password=must_change_password,
    )
    _set_password(session, user, password, now)
    return user


def check_new_user(
    *, session: Session, username: str, unit_code: str, role: str, password: str | None
) -> None:
    """AccountError naming the field when an account so made would be refused (`password`
    None: the password is checked elsewhere)."""
    if not USERNAME.fullmatch(username):
        raise AccountError(
            "username", ["用户名须为 3 至 32 位字母、数字或 _ . -，并以字母或数字开头"]
        )
    if role not in ROLES:
        raise AccountError("role", [f"角色 {role} 不存在，可选：{'、'.join(ROLES)}"])
    _check_unit(session, unit_code, role)
    if find_user(session=session, username=username) is not None:
        raise AccountError("username", [f"用户名 {username} 已被使用"])
    if password is None:
        return
    problems = check_password_policy(session=session, username=username, password=password)
    if problems:
        raise AccountError("password", problems)


def new_user(
    *,
    username: str,
    unit_code: str,
    role: str,
    now: datetime,
    display_name: str = "",
    must_change_password: bool = False,
) -> StaffUser:
    """The account's row, without a password yet (the caller sets one before flushing)."""
    return StaffUser(
        username=username,
        display_name=display_name or username,
        unit_code=unit_code,
        role=role,
        password_hash="",
        password_changed_at=now,
        must_change_password=must_change_password,
        created_at=now,
    )


def _check_unit(session: Session, unit_code: str, role: str) -> None:
    """The account's unit exists, and a school's account has a role a school may hold."""
    if not is_school_code(unit_code):
        if not unit_exists(session=session, code=unit_code):
            raise AccountError("unit_code", [f"单位代码 {unit_code} 不存在"])
        return
    if not school_exists(session=session, code=unit_code):
        raise AccountError("unit_code", [f"学校标识码 {unit_code} 不存在"])
    if role not in SCHOOL_ROLES:
        allowed = "、".join(SCHOOL_ROLES)
        raise AccountError("role", [f"学校账号的角色只能是 {allowed}，不能是 {role}"])


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
    if not matches_password(user.password_hash, old_password):
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
    set_temporary_password(
        session=session, user=user, password_hash=_hasher.hash(password), now=now
    )


def set_temporary_password(
    *, session: Session, user: StaffUser, password_hash: str, now: datetime
) -> None:
    """A password someone else chose: it opens only a session that must change it, and the
    user's sessions end."""
    assert user.id is not None
    set_password_hash(session=session, user=user, password_hash=password_hash, now=now)
    user.must_change_password = True
    unlock(user=user)
    revoke_user_sessions(session=session, user_id=user.id, now=now)


def unlock(*, user: StaffUser) -> None:
    user.failed_logins = 0
    user.locked_until = None


def list_users(*, session: Session, unit_codes: set[str]) -> list[StaffUser]:
    """The accounts of these units and of the schools they supervise."""
    schools = select(School.code).where(col(School.unit_code).in_(unit_codes))
    belongs = or_(col(StaffUser.unit_code).in_(unit_codes), col(StaffUser.unit_code).in_(schools))
    query = select(StaffUser).where(belongs)
    return list(session.exec(query.order_by(StaffUser.unit_code, StaffUser.username)))


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


def refresh_password_hash(user: StaffUser, password: str) -> None:
    """Re-hash a password just checked when the hasher's parameters have changed since."""
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
