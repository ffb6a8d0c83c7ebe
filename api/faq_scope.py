"""Which published FAQ entries a public request asks for: by unit, by province, by text."""

from fastapi import Query
from sqlmodel import Session

from api.public_filters import check_code, check_search
from store import faq as faq_store
from store.models import Faq
from store.org import subtree_codes

PROVINCE = Query(
    None, description="只看这个省级单位（6 位代码）及其下级单位的问答", examples=["130000"]
)
UNIT = Query(None, description="只看这个单位（6 位代码）的问答", examples=["130102"])
SEARCH = Query(None, description="在问题和答案中查找的文字（不区分大小写），最多 100 个字符")


def find_published(
    session: Session, *, province: str | None, unit: str | None, q: str | None
) -> list[tuple[Faq, str]]:
    """Published entries with their unit's name; raises FilterError for a bad parameter."""
    check_code("province", province, "省级单位代码")
    check_code("unit", unit, "单位代码")
    text = check_search(q)
    units: set[str] | None = None
    if province is not None:
        units = subtree_codes(session=session, code=province)
    if unit is not None:
        units = {unit} & units if units is not None else {unit}
    return faq_store.published(session=session, units=units, text=text)
