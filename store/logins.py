"""Signing in: passwords checked with lockout, TOTP, and server-side sessions (DESIGN §7).

Every function works in the caller's session (the caller commits) and takes an aware `now`,
so tests move the clock instead of sleeping.

Failed logins are kept for the policy's `lock_minutes` (`login_failure`, in the store, so
every API process and a restart see them), and slow the address before they lock the
account: an address that has failed `max_failures` times for one name is refused for that
name, and one that has failed LOCK_FACTOR × `max_failures` times for any names is refused for
all, until enough of its failures are older than `lock_minutes` (nothing it sends meanwhile is
checked or counted). An account, or a name without one, locks only after LOCK_FACTOR ×
`max_failures` failures within `lock_minutes`, which one address alone can never reach: an
attacker cannot keep someone else's account locked from one address, and its owner, from
another address, signs in meanwhile.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import pyotp
from sqlalchemy import delete, func
from sqlmodel import Session, col, select, update

from domain.roles import ADMIN_ROLES
from store.accounts import (
    SESSION_ROWS_KEPT,
    TOTP_ISSUER,
    TOUCH_EVERY,
    AccountError,
    dummy_password_hash,
    find_user,
    get_policy,
    matches_password,
    refresh_password_hash,
    revoke_user_sessions,
    unlock,
)
from store.models import LoginFailure, LoginGuess, PasswordPolicy, StaffSession, StaffUser
from store.sealing import Sealer


@dataclass(frozen=True)
class Granted:
    user: StaffUser
    must_change_password: bool
    must_enrol_totp: bool


# How many times the policy's `max_failures` an account takes (from any addresses), or an
# address gives (for any names), within `lock_minutes` before it is locked or refused.
LOCK_FACTOR = 4


@dataclass(frozen=True)
class LoginRefused:
    """Why a login was refused: wrong credentials (never which), the account (or name) locked
    until `locked_until`, or the caller's address slowed (refused for this name, or for all)
    until `locked_until`. Never different for a name with an account and one without."""

    reason: Literal["credentials", "locked", "slowed"]
    locked_until: datetime | None = None


def token_hash(token: str) -> str:
    """What the store keeps of a bearer token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# ---------------------------------------------------------------- login


def authenticate(
    *,
    session: Session,
    username: str,
    password: str,
    totp_code: str | None,
    sealer: Sealer,
    now: datetime,
    client_address: str,
    totp_by_default: bool = False,
) -> Granted | LoginRefused:
    """Check a login from `client_address`. Failures are counted (the caller commits a
    refusal too); an address with too many is refused before anything is checked (module
    docstring). Administrators must enrol the second factor (TOTP) before anything else; so
    must everyone when the policy says so (`totp_for_all`, or `totp_by_default` where the
    policy leaves it open)."""
    policy = get_policy(session=session)
    tried = _Try(name_hash(username), client_address[:64], now)
    slowed = _slowed(session, tried, policy)
    if slowed is not None:
        return slowed
    user = find_user(session=session, username=username)
    if user is None or not user.active:
        # The same work and the same answers as a real account: whether it exists stays
        # hidden, its failures lock it alike.
        matches_password(dummy_password_hash(), password)
        return _guess_failure(session, tried, policy)
    if user.locked_until is not None and user.locked_until > now:
        return LoginRefused("locked", user.locked_until)
    if not matches_password(user.password_hash, password):
        return _failure(session, user, tried, policy)
    if user.totp_enrolled:
        if not totp_code:  # the answer of a wrong password: it tells nothing of this one
            return LoginRefused("credentials")
        if not verify_totp(user=user, code=totp_code, sealer=sealer, now=now):
            return _failure(session, user, tried, policy)
    # The owner's own slips from this address are forgotten; others' failures stay.
    session.execute(
        delete(LoginFailure).where(
            col(LoginFailure.name_hash) == tried.name_hash,
            col(LoginFailure.address) == tried.address,
        )
    )
    unlock(user=user)
    refresh_password_hash(user, password)
    session.add(user)
    totp_for_all = totp_by_default if policy.totp_for_all is None else policy.totp_for_all
    expired = policy.expiry_days > 0 and now >= user.password_changed_at + timedelta(
        days=policy.expiry_days
    )
    return Granted(
        user=user,
        must_change_password=expired or user.must_change_password,
        must_enrol_totp=not user.totp_enrolled and (user.role in ADMIN_ROLES or totp_for_all),
    )


def name_hash(username: str) -> str:
    """What the store keeps of a name tried at login (SHA-256 of the lower-cased name)."""
    return hashlib.sha256(username.strip().lower().encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class _Try:
    name_hash: str
    address: str
    now: datetime


def _slowed(session: Session, tried: _Try, policy: PasswordPolicy) -> LoginRefused | None:
    """Refused when the address has failed `max_failures` times for this name, or LOCK_FACTOR
    times that for any names, within `lock_minutes`; until enough of them are older."""
    window = timedelta(minutes=policy.lock_minutes)
    recent = col(LoginFailure.at) > tried.now - window
    from_here = col(LoginFailure.address) == tried.address
    ends: list[datetime] = []
    for criteria, allowed in (
        ((from_here, recent, col(LoginFailure.name_hash) == tried.name_hash), policy.max_failures),
        ((from_here, recent), policy.max_failures * LOCK_FACTOR),
    ):
        times = session.exec(
            select(LoginFailure.at).where(*criteria).order_by(col(LoginFailure.at))
        ).all()
        if len(times) >= allowed:  # open again once all but allowed - 1 of them are old
            ends.append(times[len(times) - allowed] + window)
    return LoginRefused("slowed", max(ends)) if ends else None


def _record(session: Session, tried: _Try, policy: PasswordPolicy) -> bool:
    """Keep the failure (dropping those older than `lock_minutes`); whether the name has now
    had LOCK_FACTOR × `max_failures` of them, from any addresses, and must lock. A lock
    starts the name's count afresh."""
    window = timedelta(minutes=policy.lock_minutes)
    session.execute(delete(LoginFailure).where(col(LoginFailure.at) <= tried.now - window))
    session.add(LoginFailure(name_hash=tried.name_hash, address=tried.address, at=tried.now))
    session.flush()
    of_name = col(LoginFailure.name_hash) == tried.name_hash
    count = session.exec(select(func.count()).select_from(LoginFailure).where(of_name)).one()
    if count < policy.max_failures * LOCK_FACTOR:
        return False
    session.execute(delete(LoginFailure).where(of_name))
    return True


def _failure(
    session: Session, user: StaffUser, tried: _Try, policy: PasswordPolicy
) -> LoginRefused:
    # Counted in SQL: concurrent guesses cannot overwrite each other's count (failures since
    # the last login, for the administrators' view).
    session.exec(
        update(StaffUser)  # type: ignore[call-overload]
        .where(col(StaffUser.id) == user.id)
        .values(failed_logins=StaffUser.failed_logins + 1)
    )
    session.refresh(user)
    if not _record(session, tried, policy):
        return _slowed(session, tried, policy) or LoginRefused("credentials")
    user.failed_logins = 0
    user.locked_until = tried.now + timedelta(minutes=policy.lock_minutes)
    session.add(user)
    return LoginRefused("locked", user.locked_until)


def _guess_failure(session: Session, tried: _Try, policy: PasswordPolicy) -> LoginRefused:
    """A failure under a name with no active account, counted and locked like an account's."""
    guess = session.get(LoginGuess, tried.name_hash) or LoginGuess(name_hash=tried.name_hash)
    if guess.locked_until is not None and guess.locked_until > tried.now:
        return LoginRefused("locked", guess.locked_until)
    guess.failures += 1
    refused = LoginRefused("credentials")
    if _record(session, tried, policy):
        guess.failures = 0
        guess.locked_until = tried.now + timedelta(minutes=policy.lock_minutes)
        refused = LoginRefused("locked", guess.locked_until)
    session.add(guess)
    return refused if refused.reason == "locked" else (_slowed(session, tried, policy) or refused)


# ---------------------------------------------------------------- TOTP


def begin_totp_enrolment(*, user: StaffUser, sealer: Sealer) -> tuple[str, str]:
    """A fresh secret (kept sealed until confirmed) and its otpauth:// provisioning URI."""
    if user.totp_enrolled:
        raise AccountError("totp", ["已绑定动态口令；如需更换，请联系系统管理员重置"])
    secret = pyotp.random_base32()
    sealer.seal_column(user, "totp_secret", secret)
    return secret, provisioning_uri(secret=secret, username=user.username)


def provisioning_uri(*, secret: str, username: str) -> str:
    """The otpauth:// URI an authenticator app reads (from a QR code) to add the account."""
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=TOTP_ISSUER)


def confirm_totp(
    *,
    session: Session,
    user: StaffUser,
    code: str,
    sealer: Sealer,
    now: datetime,
    keep_session: str | None = None,
) -> None:
    """Finish the enrolment with a code from the authenticator app. Only the session that
    confirmed it (`keep_session`, a token hash) lives on: the others were opened without the
    second factor."""
    if user.totp_enrolled:
        raise AccountError("code", ["已绑定动态口令"])
    if user.totp_secret is None:
        raise AccountError("code", ["请先申请绑定动态口令"])
    if not verify_totp(user=user, code=code, sealer=sealer, now=now):
        raise AccountError("code", ["动态验证码不正确"])
    user.totp_enrolled = True
    session.add(user)
    assert user.id is not None
    revoke_user_sessions(session=session, user_id=user.id, now=now, keep=keep_session)
    session.exec(
        update(StaffSession)  # type: ignore[call-overload]
        .where(col(StaffSession.user_id) == user.id)
        .values(must_enrol_totp=False)
    )


def reset_totp(*, session: Session, user: StaffUser, now: datetime) -> None:
    """Forget the user's second factor; every session of theirs ends (the next login must
    enrol again where the policy requires it)."""
    user.totp_secret = None
    user.totp_enrolled = False
    user.totp_last_step = 0
    assert user.id is not None
    revoke_user_sessions(session=session, user_id=user.id, now=now)


def verify_totp(*, user: StaffUser, code: str, sealer: Sealer, now: datetime) -> bool:
    """Is `code` the user's TOTP code (one 30 s step of clock drift allowed) and not yet
    used? An accepted code is spent: its step is remembered on the user (the caller saves)."""
    if user.totp_secret is None:
        return False
    totp = pyotp.TOTP(sealer.open_column(user, "totp_secret"))
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


def open_codec_token(*, session: Session, token: str) -> str:
    """A new codec token for the session of bearer `token` (stored only hashed; it replaces
    the session's earlier one): the cookie the Temporal Web UI sends to the codec endpoint.
    It decodes payloads and nothing else, and is live exactly while its session is."""
    row = session.get(StaffSession, token_hash(token))
    assert row is not None
    codec_token = secrets.token_urlsafe(32)
    row.codec_token_hash = token_hash(codec_token)
    session.add(row)
    return codec_token


def get_session_user(
    *, session: Session, token: str, now: datetime, touch: bool = True, codec: bool = False
) -> tuple[StaffSession, StaffUser] | None:
    """The live session of `token` and its user, touched (to the minute) unless `touch` is
    off (a page refreshing itself is not the user's activity); None when dead or unknown.
    With `codec`, `token` is the session's codec token instead of its bearer token (only the
    codec endpoint asks so). One query: every request of a logged-in user asks this."""
    hashed = token_hash(token)
    key = col(StaffSession.codec_token_hash) if codec else col(StaffSession.token_hash)
    found = session.exec(
        select(StaffSession, StaffUser, PasswordPolicy.idle_minutes, PasswordPolicy.session_hours)
        .join(StaffUser, col(StaffUser.id) == StaffSession.user_id)
        .outerjoin(PasswordPolicy, col(PasswordPolicy.id) == 1)
        .where(key == hashed)
    ).first()
    if found is None:
        return None
    row, user, idle_minutes, session_hours = found
    if row.revoked_at is not None:
        return None
    default = PasswordPolicy()
    idle = timedelta(minutes=default.idle_minutes if idle_minutes is None else idle_minutes)
    lifetime = timedelta(hours=default.session_hours if session_hours is None else session_hours)
    if now - row.last_seen_at > idle or now - row.created_at > lifetime:
        row.revoked_at = now  # dead stays dead, even if the policy is relaxed later
        session.add(row)
        return None
    if not user.active:
        return None
    if touch and now - row.last_seen_at >= TOUCH_EVERY:  # one write a minute at most
        row.last_seen_at = now
        session.add(row)
    return row, user


def revoke_session(*, session: Session, token_hash: str, now: datetime) -> None:
    row = session.get(StaffSession, token_hash)
    if row is not None and row.revoked_at is None:
        row.revoked_at = now
        session.add(row)
