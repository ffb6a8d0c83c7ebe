"""Staff accounts, their sessions and password history, and the password policy."""

from datetime import datetime

from sqlalchemy import Column, LargeBinary
from sqlmodel import Field, SQLModel

from store.models.columns import AwareDateTime, at_

# ---------------------------------------------------------------- staff accounts (DESIGN §7)
# Passwords only as argon2 hashes, session tokens only as SHA-256 hashes, the TOTP secret
# sealed with the store keys.


class StaffUser(SQLModel, table=True):
    """A staff account (工作人员账号) of one unit: a bureau (6-digit code) or a school (10-digit
    code). No foreign key, since the code names a row of either org_unit or org_school:
    store.accounts checks it when the account is made, and an import of the tree refuses to
    drop a unit or school that accounts still belong to."""

    __tablename__ = "staff_user"
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(unique=True, max_length=32)
    display_name: str = Field(default="", max_length=64)
    unit_code: str = Field(max_length=10, index=True)
    role: str = Field(max_length=16)
    password_hash: str = Field(max_length=255)
    password_changed_at: datetime = at_()
    must_change_password: bool = False  # set when an administrator chose the password
    failed_logins: int = 0
    locked_until: datetime | None = at_(nullable=True)
    totp_secret: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    totp_enrolled: bool = False
    totp_last_step: int = 0  # the 30 s step of the last accepted code: a code works once
    active: bool = True
    created_at: datetime = at_()


class LoginGuess(SQLModel, table=True):
    """Failed logins under a name no active account has, counted like an account's, so that
    a name that does not exist locks and answers exactly as one that does (SHA-256 of the
    lower-cased name: no account's data)."""

    __tablename__ = "login_guess"
    name_hash: str = Field(primary_key=True, max_length=64)
    failures: int = 0
    locked_until: datetime | None = at_(nullable=True)


class LoginFailure(SQLModel, table=True):
    """One failed login: the name tried (its hash, as in login_guess) and the client address,
    kept for the policy's `lock_minutes`, in the store so that every API process and a
    restart see them (store/logins.py: the address is slowed before the account locks)."""

    __tablename__ = "login_failure"
    id: int | None = Field(default=None, primary_key=True)
    name_hash: str = Field(max_length=64, index=True)
    address: str = Field(max_length=64, index=True)
    at: datetime = Field(sa_column=Column(AwareDateTime(), nullable=False, index=True))


class PasswordHistory(SQLModel, table=True):
    """A password a user has had, current one included (for the no-reuse rule)."""

    __tablename__ = "staff_password_history"
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="staff_user.id", index=True)
    hash: str = Field(max_length=255)
    created_at: datetime = at_()


class StaffSession(SQLModel, table=True):
    """A server-side login session; the bearer token itself is never stored."""

    __tablename__ = "staff_session"
    token_hash: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="staff_user.id", index=True)
    created_at: datetime = at_()
    last_seen_at: datetime = at_()
    revoked_at: datetime | None = at_(nullable=True)
    client_address: str = Field(default="", max_length=64)
    must_change_password: bool = False
    must_enrol_totp: bool = False
    # The hash of the session's codec token (store/logins.py), the cookie of the Temporal Web
    # UI's codec calls: it opens /api/codec/decode only, and lives and dies with the session.
    codec_token_hash: str | None = Field(default=None, max_length=64, unique=True, index=True)


class PasswordPolicyBase(SQLModel):
    min_length: int = 10
    min_kinds: int = 3
    history: int = 5
    expiry_days: int = 90
    max_failures: int = 5
    lock_minutes: int = 15
    idle_minutes: int = 30
    session_hours: int = 12  # a session ends this long after its login, however active
    # The second factor (TOTP) for every role, not only administrators; None: on in production.
    totp_for_all: bool | None = None


class PasswordPolicy(PasswordPolicyBase, table=True):
    """The password and session policy (口令策略): a single row, id 1."""

    __tablename__ = "password_policy"
    id: int = Field(default=1, primary_key=True)


class AccountRequest(SQLModel, table=True):
    """A change to a staff account that waits for a second administrator (三员, DESIGN §7):
    the sysadmin asks, a secadmin of a unit above the account approves or refuses, and only
    the approval applies it. A temporary password is kept only as its argon2 hash."""

    __tablename__ = "account_request"
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=8)  # "create" or "change"
    username: str = Field(max_length=32, index=True)
    display_name: str = Field(default="", max_length=64)
    unit_code: str = Field(max_length=10, index=True)
    role: str = Field(max_length=16)
    password_hash: str | None = Field(default=None, max_length=255)
    reset_totp: bool = False
    active: bool | None = None
    unlock: bool = False
    requested_by: str = Field(max_length=32)
    requested_at: datetime = at_()
    status: str = Field(default="pending", max_length=12)  # pending, approved, refused
    decided_by: str = Field(default="", max_length=32)
    decided_at: datetime | None = at_(nullable=True)
    reason: str = Field(default="", max_length=200)  # why it was refused
