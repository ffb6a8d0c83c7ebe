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
    digest: str | None = Field(
        None,
        pattern=r"^[0-9a-f]{64}$",
        description="POST /api/org/import/preview 给出的 digest：给出时，只有组织机构树和导入"
        "内容都与预览时相同才导入（否则 409）",
    )


class ChangeOut(Reply):
    code: str
    name: str
    before: str = Field(description="改名前的名称，或调整前的上级单位；新增和删除为空")
    after: str = Field(description="改名后的名称，或调整后的上级单位；新增和删除为空")


class ChangesOut(Reply):
    total: int
    items: list[ChangeOut] = Field(description="按代码排列，最多列出 200 个")


class InUseOut(Reply):
    code: str
    name: str
    reasons: list[str] = Field(description="仍依赖它的账号、问答、在办案件、报送任务")


class ImportPreview(Reply):
    """What the import would change; `in_use` lists the removals it refuses."""

    digest: str
    units: int
    schools: int
    units_added: ChangesOut
    units_renamed: ChangesOut
    units_moved: ChangesOut
    units_relevelled: ChangesOut
    units_removed: ChangesOut
    schools_added: ChangesOut
    schools_renamed: ChangesOut
    schools_moved: ChangesOut
    schools_removed: ChangesOut
    contacts_changed: int
    in_use: list[InUseOut]


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


class SchoolRow(Reply):
    code: str
    name: str


class UnitDetail(UnitView):
    """A unit of the caller's subtree, the units directly below it and its schools."""

    parent_name: str | None
    children: list[UnitView]
    schools: list[SchoolRow]


class FoundOut(Reply):
    kind: str = Field(description="unit（教育行政部门）或 school（学校）")
    code: str
    name: str
    unit_code: str = Field(description="单位自己的代码；学校的直接教育行政主管部门")


class SchoolOut(Reply):
    """A school found for the registration form, with its supervising unit."""

    code: str
    name: str
    unit_code: str  # 直接教育行政主管部门
    unit_name: str
