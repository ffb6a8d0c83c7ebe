"""Where an administrator's say reaches: its own unit's subtree, and national settings only
from the top of the tree (the Ministry, DESIGN §7)."""

from fastapi import HTTPException, status
from sqlmodel import Session

from api.security import Staff
from store.org import ancestor_path

NATIONAL_ONLY = "只有教育部（最上级单位）的管理员可以修改全国统一的设置"


def in_scope(session: Session, admin: Staff, unit_code: str) -> bool:
    """Is the unit (or school) the administrator's own unit or below it?"""
    return admin.unit_code in ancestor_path(session=session, code=unit_code)


def is_national(session: Session, admin: Staff) -> bool:
    """Is the administrator's unit the top of the tree (no unit above it)?"""
    return ancestor_path(session=session, code=admin.unit_code) == (admin.unit_code,)


def require_national(session: Session, admin: Staff) -> None:
    """403 unless the administrator belongs to the top of the tree."""
    if not is_national(session, admin):
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail=NATIONAL_ONLY)
