"""GET /api/directory: the public directory of education bureaus, no login needed."""

import re
from typing import Literal

from fastapi import APIRouter, Depends, Query
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from sqlmodel import Session

from api.deps import EngineDep
from api.ratelimit import TOO_MANY_RESPONSE, rate_limited
from store.org import directory

router = APIRouter(tags=["directory"])

Level = Literal["national", "provincial", "prefectural", "county"]
LEVELS: tuple[str, ...] = Level.__args__  # type: ignore[attr-defined]
_UNIT_CODE = re.compile(r"\d{6}")


class DirectoryUnit(BaseModel):
    """An education bureau and where complaints reach it."""

    level: Level = Field(
        description="级别：national 国家级、provincial 省级、prefectural 地市级、county 县级"
    )
    code: str = Field(description="单位代码（6 位行政区划代码）", examples=["130100"])
    name: str = Field(description="单位名称")
    parent_code: str | None = Field(description="上级单位代码；教育部为空")
    province_code: str | None = Field(description="所在省级单位代码；教育部为空")
    complaint_phone: str = Field(description="投诉电话；未公布时为空")
    complaint_email: str = Field(description="投诉邮箱；未公布时为空")


def _refuse(field: str, value: str, message: str) -> RequestValidationError:
    error = {"type": "value_error", "loc": ("query", field), "msg": message, "input": value}
    return RequestValidationError([error])


@router.get(
    "/api/directory",
    response_model=list[DirectoryUnit],
    dependencies=[Depends(rate_limited("public", "directory"))],
    responses=TOO_MANY_RESPONSE,
)
def list_units(
    engine: EngineDep,
    level: str | None = Query(
        None, description="只列出这一级别的单位", json_schema_extra={"enum": list(LEVELS)}
    ),
    province: str | None = Query(
        None, description="只列出这个省级单位（6 位代码）辖区内的单位", examples=["130000"]
    ),
) -> list[DirectoryUnit]:
    """Every unit (教育行政部门) with its complaint phone and e-mail, sorted by code.

    422 naming the parameter when `level` is not a known level or `province` not 6 digits.
    """
    if level is not None and level not in LEVELS:
        raise _refuse("level", level, f"级别应为 {'、'.join(LEVELS)} 之一")
    if province is not None and _UNIT_CODE.fullmatch(province) is None:
        raise _refuse("province", province, "省级单位代码应为 6 位数字")
    with Session(engine) as session:
        listing = directory(session=session, level=level, province=province)
    return [
        DirectoryUnit(
            level=unit.level,  # type: ignore[arg-type]
            code=unit.code,
            name=unit.name,
            parent_code=unit.parent_code,
            province_code=province_code,
            complaint_phone=unit.phone,
            complaint_email=unit.email,
        )
        for unit, province_code in listing
    ]
