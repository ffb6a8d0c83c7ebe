"""Query parameters of the staff lists: unknown ones refused, the complainant's numbers, a
student's name and free text turned into the keyed hashes the store finds cases by (never
compared in the clear)."""

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from api.security import query_error
from domain.ids import InvalidIdentifier
from store.lookup import Kind, lookup_hash
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
    names = {param.alias for param in dependant.query_params}
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
