"""The step rules of DESIGN §5 as data: deadline policy and who an escalation reaches."""

import pytest

from domain.process import DeadlinePolicy, Stage, escalation_recipients

COUNTY_PATH = ["000000", "130000", "130100", "130102"]


def test_policy_defaults_are_the_notices() -> None:
    policy = DeadlinePolicy()
    assert [policy.for_stage(s) for s in (Stage.VERIFY_ISSUE, Stage.OPINION)] == [3, 5]
    assert (policy.verify_return, policy.execute, policy.escalate_every) == (5, 5, 5)
    assert policy.for_stage(Stage.CONFIRMATION) == 3
    assert policy.for_stage(Stage.INFORMING) == 2
    assert policy.for_stage(Stage.DISPUTED) == 3


def test_policy_refuses_a_step_without_working_days() -> None:
    with pytest.raises(ValueError, match="opinion"):
        DeadlinePolicy(opinion=0)
    with pytest.raises(ValueError, match="no clock"):
        DeadlinePolicy().for_stage(Stage.VERIFICATION)


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        (0, ["130102"]),
        (1, ["130102", "130100"]),
        (2, ["130102", "130100", "130000"]),
        (3, ["130102", "130100", "130000", "000000"]),
        (7, ["130102", "130100", "130000", "000000"]),  # the climb stops at the Ministry
    ],
)
def test_escalation_climbs_one_level_at_a_time(level: int, expected: list[str]) -> None:
    assert escalation_recipients(COUNTY_PATH, level) == expected
