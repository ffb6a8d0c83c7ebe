"""Typed custom search attributes (DESIGN §6): the Temporal Web UI is the alert board.

No personal data ever goes into these values: only codes, stages, flags and times.
"""

from temporalio.common import SearchAttributeIndexedValueType, SearchAttributeKey

COMPLAINT_STAGE = SearchAttributeKey.for_keyword("ComplaintStage")
HANDLING_UNIT = SearchAttributeKey.for_keyword("HandlingUnit")
PROVINCE_CODE = SearchAttributeKey.for_keyword("ProvinceCode")
STAGE_DUE = SearchAttributeKey.for_datetime("StageDue")
OVERDUE = SearchAttributeKey.for_bool("Overdue")
ESCALATION_LEVEL = SearchAttributeKey.for_int("EscalationLevel")
CHANNEL = SearchAttributeKey.for_keyword("Channel")
TRACKING_NO = SearchAttributeKey.for_keyword("TrackingNo")

ALL_KEYS: tuple[SearchAttributeKey, ...] = (
    COMPLAINT_STAGE,
    HANDLING_UNIT,
    PROVINCE_CODE,
    STAGE_DUE,
    OVERDUE,
    ESCALATION_LEVEL,
    CHANNEL,
    TRACKING_NO,
)

# The type names that `temporal server start-dev --search-attribute Name=Type` and
# `temporal operator search-attribute create --type` expect.
_CLI_TYPE_NAMES = {
    SearchAttributeIndexedValueType.KEYWORD: "Keyword",
    SearchAttributeIndexedValueType.DATETIME: "Datetime",
    SearchAttributeIndexedValueType.BOOL: "Bool",
    SearchAttributeIndexedValueType.INT: "Int",
}


def cli_registrations() -> list[str]:
    """`Name=Type` strings registering every key on a Temporal server."""
    return [f"{key.name}={_CLI_TYPE_NAMES[key.indexed_value_type]}" for key in ALL_KEYS]
