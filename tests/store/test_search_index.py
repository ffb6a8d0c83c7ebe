"""The blind index of student names and summaries on both stores: only keyed hashes, kept in
step with the registration, and the tokens a query is split into."""

import hashlib
import re
from dataclasses import replace

import pytest
from sqlalchemy import Engine, text

from domain.records import CaseRecord, Complainant, Registration, Student
from store.search_index import (
    QueryTooShort,
    student_name_hash,
    text_search,
    text_tokens,
    token_hashes,
)
from tests.support.case_support import LOOKUP_KEY, snapshot, write

SUMMARY = "学生王小红转学后学籍重复登记，学籍号 G1301020001，请核查"
REGISTRATION = Registration(
    complainant=Complainant(name="张晓明", phone="13812345678"),
    content=SUMMARY,
    school_codes=["1301020001"],
    unit_codes=[],
    students=[Student(name="王 小红"), Student(name="Li Lei")],
)


def index_rows(engine: Engine) -> dict[str, list[tuple[str, str]]]:
    with engine.connect() as connection:
        return {
            table: sorted(tuple(row) for row in connection.execute(text(f"SELECT * FROM {table}")))
            for table in ("case_student_name", "case_text_token")
        }


def test_the_index_holds_keyed_hashes_and_no_clear_text(engine: Engine) -> None:
    record = CaseRecord(complaint_id="c-1", case=snapshot("130102"), registration=REGISTRATION)
    write(engine, record)
    rows = index_rows(engine)
    names = {value for _, value in rows["case_student_name"]}
    tokens = {value for _, value in rows["case_text_token"]}
    assert names == {
        student_name_hash("王小红", LOOKUP_KEY),
        student_name_hash("LiLei", LOOKUP_KEY),
    }
    assert tokens == token_hashes(SUMMARY, LOOKUP_KEY)
    assert {case_id for held in rows.values() for case_id, _ in held} == {"c-1"}
    assert all(re.fullmatch("[0-9a-f]{64}", value) for value in names)
    assert all(re.fullmatch("[0-9a-f]{32}", value) for value in tokens)
    # Not even an unkeyed hash of a name or a token: without the key, nothing to compare with.
    clear = ["王小红", "LiLei", "Li Lei", SUMMARY, *text_tokens(SUMMARY)]
    unkeyed = {hashlib.sha256(word.encode()).hexdigest() for word in clear}
    assert not names & unkeyed
    assert not tokens & {digest[:32] for digest in unkeyed}
    stored = repr(rows)
    assert not [word for word in [*clear, "小红", "lei", "1301020001"] if word in stored]


def test_recording_again_keeps_the_rows_and_a_changed_registration_replaces_them(
    engine: Engine,
) -> None:
    record = CaseRecord(complaint_id="c-1", case=snapshot("130102"), registration=REGISTRATION)
    write(engine, record)
    first = index_rows(engine)
    write(engine, record)
    assert index_rows(engine) == first
    changed = replace(REGISTRATION, content="学籍重复", students=[Student(name="李雷")])
    write(engine, replace(record, registration=changed))
    rows = index_rows(engine)
    assert [value for _, value in rows["case_student_name"]] == [
        student_name_hash("李雷", LOOKUP_KEY)
    ]
    assert {value for _, value in rows["case_text_token"]} == token_hashes("学籍重复", LOOKUP_KEY)


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("学籍重复", {"学籍", "籍重", "重复"}),
        ("学籍 重复", {"学籍", "籍重", "重复"}),  # spaces do not split Chinese text
        ("学籍，重复", {"学籍", "重复"}),  # punctuation does
        ("ＡＢＣ 123", {"abc", "123"}),  # NFKC, lower-cased words and digit runs
        ("学籍号G1301", {"学籍", "籍号", "g1301"}),
        ("学", set()),
    ],
)
def test_text_tokens(text: str, tokens: set[str]) -> None:
    assert text_tokens(text) == tokens


@pytest.mark.parametrize("query", ["", " ", "学", "x", " 学 ", "，。", "学。"])
def test_a_query_without_two_characters_or_a_token_is_refused(query: str) -> None:
    with pytest.raises(QueryTooShort):
        text_search(query, LOOKUP_KEY)


def test_a_query_of_one_whole_token_needs_no_unsealing() -> None:
    assert text_search("学籍", LOOKUP_KEY).exact
    assert text_search("G1301", LOOKUP_KEY).exact
    assert not text_search("学籍重复", LOOKUP_KEY).exact
    assert text_search("学籍 号", LOOKUP_KEY).needle == "学籍号"
