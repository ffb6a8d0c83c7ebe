"""Account requests in the store, on both stores: nothing changes until a secadmin approves;
the temporary password is kept only as a hash, checked against the policy and the history
when asked, and the owner gets a notice of their own."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from store.account_requests import (
    RequestRefused,
    approve,
    request_account,
    request_change,
)
from store.accounts import AccountError, find_user, matches_password
from store.db import make_engine
from store.models import AccountRequest, OutboxRow
from tests.support.api_support import SMALL_TREE, create_account
from tests.support.stores import FreshStore

NOW = datetime(2030, 3, 4, 1, 0, tzinfo=UTC)
TEMPORARY = "Temporary-Pass-42"


@pytest.fixture
def engine(fresh_store: FreshStore) -> Iterator[Engine]:
    engine = make_engine(fresh_store.make(SMALL_TREE))
    yield engine
    engine.dispose()


def test_a_new_account_exists_only_after_approval_with_the_password_asked(engine: Engine) -> None:
    with Session(engine) as session:
        row = request_account(
            session=session,
            requested_by="sys",
            username="li.na",
            display_name="李娜",
            unit_code="110101",
            role="handler",
            password=TEMPORARY,
            now=NOW,
        )
        session.commit()
        stored = session.exec(select(AccountRequest)).one()
        assert stored.password_hash is not None and TEMPORARY not in stored.password_hash
        assert find_user(session=session, username="li.na") is None

        approve(session=session, row=row, approver="sec", approver_role="secadmin", now=NOW)
        session.commit()

        user = find_user(session=session, username="li.na")
        assert user is not None and user.must_change_password
        assert matches_password(user.password_hash, TEMPORARY)
        notice = session.exec(select(OutboxRow).where(OutboxRow.recipient_user == "li.na")).one()
        assert (notice.kind, notice.sent_at) == ("account", None)
        with pytest.raises(RequestRefused) as again:
            approve(session=session, row=row, approver="sec", approver_role="secadmin", now=NOW)
        assert again.value.kind == "conflict"


def test_a_temporary_password_is_checked_against_the_history_when_asked(engine: Engine) -> None:
    with Session(engine) as session:
        create_account(
            session,
            username="li.na",
            unit_code="110101",
            role="handler",
            password=TEMPORARY,
            now=NOW,
            totp=False,
        )
        user = find_user(session=session, username="li.na")
        assert user is not None
        with pytest.raises(AccountError) as refused:
            request_change(
                session=session,
                requested_by="sys",
                user=user,
                active=None,
                unlock=False,
                reset_totp=False,
                password=TEMPORARY,
                now=NOW + timedelta(days=1),
            )
        assert refused.value.field == "password"
        assert refused.value.reasons == ["不得与最近 5 次使用过的密码相同"]
        assert session.exec(select(AccountRequest)).all() == []
