"""GET /api/directory: the public directory of education bureaus, no login needed."""

from datetime import datetime

from fastapi import APIRouter, Depends, Query
from pydantic import Field
from sqlmodel import Session

from api.answers import Reply
from api.deps import EngineDep
from api.public_filters import LEVELS, FilterError, Level, check_code, check_level
from api.ratelimit import TOO_MANY_RESPONSE, rate_limited
from store.org import directory

router = APIRouter(tags=["directory"])


class DirectoryUnit(Reply):
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
    confirmed_at: datetime | None = Field(description="电话和邮箱最近确认的时间；未确认时为空")


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
    try:
        check_level(level)
        check_code("province", province, "省级单位代码")
    except FilterError as exc:
        raise exc.as_validation_error() from None
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
            confirmed_at=unit.contact_confirmed_at,
        )
        for unit, province_code in listing
    ]
