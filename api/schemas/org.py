"""Request and answer bodies of /api/org: the tree import and a unit's public contacts."""

import re
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, Field

from api.answers import Reply
from api.schemas.common import Email, RequestBody

_CONTACT_PHONE = re.compile(r"\+?[0-9][0-9 ()\-]{1,30}[0-9]", re.ASCII)


def _contact_phone(value: str) -> str:
    value = value.strip()
    if value and not _CONTACT_PHONE.fullmatch(value):
        raise ValueError("电话号码格式不正确：只能包含数字、空格、括号、连字符，可以 + 开头")
    return value


# Not `Phone`: a unit's published number is shown as the unit writes it (a hotline, spaces
# for reading), so it is checked for its characters only, not normalised.
ContactPhone = Annotated[str, Field(max_length=32), AfterValidator(_contact_phone)]


class TreeImport(RequestBody):
    """The records of the JSON files `xueji org import` reads, as two lists."""

    units: list[Any] = Field(description="code、name、level、parent_code、phone、email")
    schools: list[Any] = Field(description="code、name、unit_code")


class UnitContacts(RequestBody):
    """The unit's public complaint phone and e-mail; an empty string clears one."""

    phone: ContactPhone | None = None
    email: Email | None = None


class UnitView(Reply):
    code: str
    name: str
    level: str
    parent_code: str | None
    phone: str
    email: str
    contact_confirmed_at: datetime | None


class SchoolOut(Reply):
    """A school found for the registration form, with its supervising unit."""

    code: str
    name: str
    unit_code: str  # 直接教育行政主管部门
    unit_name: str
