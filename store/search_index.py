"""Finding cases by student name and by words of the summary, without the clear text.

The store keeps only keyed hashes (HMAC-SHA256 or HMAC-SM3 with `XUEJI_LOOKUP_KEY`, as
store.lookup):

- `case_student_name`: one hash per student, of the name in NFKC with whitespace removed;
- `case_text_token`: the blind index of the summary, one hash per distinct token, a token
  being two adjacent Chinese characters (Chinese text has no spaces, so bigrams stand in for
  words; spaces between them do not count), or a lower-cased word or run of digits.

What the index reveals: to someone who reads the database but has not the key, how many
distinct tokens a summary has and which cases share a token or a student's name, hence token
frequencies across cases (a very common hash is likely a common bigram such as 学籍). It
never gives a name or a token: without the key nobody can hash a guess to compare, and the
key lives with the store keys (kept apart from the database and its backups), which is why
this is acceptable. A search matches the cases holding all the query's tokens; unless the
query is one token, the caller's candidates are then unsealed and checked for the query as a
substring, so tokens present in different places of a summary do not make a match.
"""

import unicodedata
from collections.abc import Collection
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import func
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from domain.records import Registration
from store.lookup import keyed_hash
from store.models import CaseStudentName, CaseTextToken
from store.sealing import Sealer, binding

_TOKEN_HASH_LENGTH = 32  # 128 bits: collisions are as rare as needed, the substring check decides


class QueryTooShort(ValueError):
    """A free-text query with nothing to look up: under two characters, or no token in it."""


@dataclass(frozen=True)
class TextSearch:
    """A free-text query: the keyed hashes of its tokens and the text the summary must hold."""

    token_hashes: frozenset[str]
    needle: str  # `compact` of the query
    exact: bool  # the query is one whole token: holding it is holding the query


def normalize_name(name: str) -> str:
    """The name in NFKC with all whitespace removed: "张 晓明" and "张晓明" are one name."""
    return "".join(unicodedata.normalize("NFKC", name).split())


def student_name_hash(name: str, key: bytes) -> str | None:
    """The keyed hash a student of that name is found by; None for a blank name."""
    normalized = normalize_name(name)
    return keyed_hash("student_name", normalized, key) if normalized else None


def compact(text: str) -> str:
    """The text in NFKC, case-folded, whitespace removed: what the substring check compares."""
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


def text_tokens(text: str) -> set[str]:
    """Bigrams of adjacent Chinese characters (across spaces, not across punctuation), and
    lower-cased words and digit runs, of the text in NFKC."""
    tokens: set[str] = set()
    previous = word = ""  # the last Chinese character of the current run; the current word
    for char in unicodedata.normalize("NFKC", text).casefold():
        chinese = unicodedata.category(char) == "Lo"
        if char.isalnum() and not chinese:
            word, previous = word + char, ""
            continue
        if word:
            tokens.add(word)
            word = ""
        if chinese:
            if previous:
                tokens.add(previous + char)
            previous = char
        elif not char.isspace():
            previous = ""
    if word:
        tokens.add(word)
    return tokens


def token_hashes(text: str, key: bytes) -> set[str]:
    """The keyed hashes of the text's tokens, as the index holds them."""
    return {keyed_hash("text", token, key)[:_TOKEN_HASH_LENGTH] for token in text_tokens(text)}


def text_search(query: str, key: bytes) -> TextSearch:
    """The search for `query`; QueryTooShort when it has under two characters or no token
    (a single Chinese character, punctuation only)."""
    needle = compact(query)
    if len(needle) < 2:
        raise QueryTooShort("检索内容至少两个字")
    hashes = token_hashes(needle, key)
    if not hashes:
        raise QueryTooShort("检索内容须含两个相连的汉字，或一个完整的词或数字")
    exact = text_tokens(needle) == {needle}
    return TextSearch(token_hashes=frozenset(hashes), needle=needle, exact=exact)


# ---------------------------------------------------------------- writing


def index_registration(
    session: Session, case_id: str, registration: Registration, key: bytes
) -> bool:
    """Make the case's name and token hashes those of the registration: the missing ones
    added, the ones it no longer has removed; the same registration again changes nothing.
    Whether anything changed."""
    names = {student_name_hash(student.name, key) for student in registration.students}
    changed = _replace(session, CaseStudentName, "name_hash", case_id, {h for h in names if h})
    tokens = token_hashes(registration.content, key)
    return _replace(session, CaseTextToken, "token_hash", case_id, tokens) or changed


_Row = TypeVar("_Row", CaseStudentName, CaseTextToken)


def _replace(
    session: Session, model: type[_Row], column: str, case_id: str, wanted: set[str]
) -> bool:
    rows = session.exec(select(model).where(model.case_id == case_id))
    held = {getattr(row, column): row for row in rows}
    for value, row in held.items():
        if value not in wanted:
            session.delete(row)
    for value in wanted - held.keys():
        session.add(model(case_id=case_id, **{column: value}))
    return held.keys() != wanted


# ---------------------------------------------------------------- reading


def cases_of_student(name_hash: str) -> SelectOfScalar[str]:
    """The ids of the cases about a student with the name of that hash."""
    return select(CaseStudentName.case_id).where(CaseStudentName.name_hash == name_hash)


def cases_with_tokens(hashes: Collection[str]) -> SelectOfScalar[str]:
    """The ids of the cases whose summary holds every one of the token hashes."""
    return (
        select(CaseTextToken.case_id)
        .where(col(CaseTextToken.token_hash).in_(hashes))
        .group_by(col(CaseTextToken.case_id))
        .having(func.count() == len(hashes))
    )


def summary_holds(sealer: Sealer, case_id: str, sealed: bytes | None, needle: str) -> bool:
    """Whether the sealed registration's summary holds `needle` (a `compact` text); False
    when there is none or the configured keys cannot open it."""
    if sealed is None:
        return False
    try:
        content = sealer.open(sealed, bound_to=binding("complaint_case", "sealed", case_id))
        content = content.get("content", "")
    except (ValueError, AttributeError):  # a retired key, or not a registration
        return False
    return isinstance(content, str) and needle in compact(content)
