"""Query parameters of the staff lists: the case list's filters (the JSON list and the
console's search share them), unknown ones refused, the complainant's numbers, a student's
name and free text turned into the keyed hashes the store finds cases by (never compared in
the clear)."""

from datetime import datetime
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field
from sqlmodel import Session

from api.schemas.complaints import CaseList, CaseSummary
from api.security import query_error
from domain.ids import InvalidIdentifier
from domain.process import Channel, Stage
from store.lookup import Kind, lookup_hash
from store.queries import CaseFilter, estimated_dues, visible_cases
from store.sealing import Sealer
from store.search_index import QueryTooShort, TextSearch, student_name_hash, text_search


async def refuse_unknown_parameters(request: Request) -> None:
    """A 422 naming the first query parameter the route does not take: a misspelt filter
    must not quietly list every case."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    known = _query_names(route.dependant)
    for name in request.query_params:
        if name not in known:
            raise query_error(name, [f"未知的查询参数：{name}"])


def _query_names(dependant: Dependant) -> set[str]:
    """The query parameters the route and its dependencies take."""
    names: set[str] = set()
    for param in dependant.query_params:
        model = param.field_info.annotation
        if isinstance(model, type) and issubclass(model, BaseModel):  # a query model's fields
            names |= {field.alias or name for name, field in model.model_fields.items()}
        else:
            names.add(param.alias)
    for dependency in dependant.dependencies:
        names |= _query_names(dependency)
    return names


def number_hash(kind: Kind, value: str | None, key: bytes) -> str | None:
    """The keyed hash of the complainant's phone or ID card number given as `kind`; None
    when not given; a 422 naming the parameter when the number is not valid."""
    if value is None:
        return None
    try:
        return lookup_hash(kind, value, key)
    except InvalidIdentifier as exc:
        raise query_error(kind, [str(exc)]) from None


def name_hash(name: str | None, key: bytes) -> str | None:
    """The keyed hash of a student's name; None when not given or blank."""
    return student_name_hash(name, key) if name is not None else None


def free_text(query: str | None, key: bytes) -> TextSearch | None:
    """The free-text search for `q`; None when not given; a 422 naming `q` when it is under
    two characters or has nothing to look up."""
    if query is None:
        return None
    try:
        return text_search(query, key)
    except QueryTooShort as exc:
        raise query_error("q", [str(exc)]) from None


class CaseQuery(BaseModel):
    """The filters of the case list as a caller gives them: the query parameters of
    `GET /api/complaints`, and the console's search form."""

    tracking_no: Annotated[str | None, Field(min_length=1, max_length=32)] = None
    school: Annotated[
        str | None, Field(min_length=1, max_length=50, description="学校标识码，或校名的一部分")
    ] = None
    phone: Annotated[str | None, Field(max_length=32)] = None
    id_card: Annotated[str | None, Field(max_length=32)] = None
    student_name: Annotated[str | None, Field(min_length=1, max_length=50)] = None
    q: Annotated[str | None, Field(max_length=100)] = None
    stage: Stage | None = None
    overdue: bool | None = None
    handling_unit: Annotated[str | None, Field(pattern=r"^\d{6}$")] = None
    province: Annotated[str | None, Field(pattern=r"^\d{6}$")] = None
    channel: Channel | None = None
    received_from: datetime | None = None
    received_to: datetime | None = None
    assignee: Annotated[str | None, Field(min_length=1, max_length=32, description="承办人")] = None
    unassigned: Annotated[bool, Field(description="only open cases nobody is named for")] = False


def _case_query(query: Annotated[CaseQuery, Query()]) -> CaseQuery:
    return query


# A dependency of its own, so that the list's paging parameters sit beside the filters.
CaseQueryDep = Annotated[CaseQuery, Depends(_case_query)]


def case_filter(query: CaseQuery, key: bytes) -> CaseFilter:
    """The store's filter for the query: numbers, a student's name and free text as keyed
    hashes; a 422 naming the parameter for a number that is not valid, a `q` under two
    characters, or `unassigned` together with `assignee`."""
    if query.unassigned and query.assignee:
        raise query_error("unassigned", ["unassigned 与 assignee 不能同时使用"])
    return CaseFilter(
        tracking_no=query.tracking_no.strip() if query.tracking_no else None,
        school=(query.school.strip() or None) if query.school else None,
        phone_hash=number_hash("phone", query.phone, key),
        id_card_hash=number_hash("id_card", query.id_card, key),
        student_name_hash=name_hash(query.student_name, key),
        text=free_text(query.q, key),
        stage=query.stage.value if query.stage else None,
        overdue=query.overdue,
        handling_unit=query.handling_unit,
        province=query.province,
        channel=query.channel.value if query.channel else None,
        received_from=query.received_from,
        received_to=query.received_to,
        assignee="" if query.unassigned else query.assignee,
        open_only=query.unassigned or None,
    )


def listed_cases(
    session: Session,
    unit_code: str,
    filters: CaseFilter,
    sealer: Sealer,
    *,
    offset: int,
    limit: int,
) -> CaseList:
    """The page of the cases the unit may see that match, newest first, each marked when its
    due time is an estimate (预计)."""
    page = visible_cases(
        session=session,
        unit_code=unit_code,
        filters=filters,
        offset=offset,
        limit=limit,
        sealer=sealer,
    )
    estimated = estimated_dues(session=session, cases=page.cases)
    items = [
        CaseSummary.model_validate(case, from_attributes=True).model_copy(
            update={"estimated": case.id in estimated}
        )
        for case in page.cases
    ]
    return CaseList(
        total=page.total,
        total_capped=page.total_capped,
        offset=offset,
        limit=limit,
        items=items,
    )
