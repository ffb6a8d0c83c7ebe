"""GET /api/directory: the public directory of education bureaus, no login needed."""

from fastapi import APIRouter, Depends, Query

from api.deps import SessionDep
from api.public_filters import LEVELS, FilterError, check_code, check_level
from api.ratelimit import TOO_MANY_RESPONSE, rate_limited
from api.schemas.public import DirectoryUnit
from store.org import directory

router = APIRouter(tags=["directory"])


@router.get(
    "/api/directory",
    response_model=list[DirectoryUnit],
    dependencies=[Depends(rate_limited("public", "directory"))],
    responses=TOO_MANY_RESPONSE,
)
def list_units(
    session: SessionDep,
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
