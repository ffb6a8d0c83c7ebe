"""The stages of one complaint and their clocks' working days (DESIGN §5), as plain data.

Pure: the workflows import it, so nothing here reads a clock, a file or the settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Stage(StrEnum):
    """Where a complaint stands. The value is what search attributes and the API show."""

    REGISTERED = "registered"  # 受理
    VERIFY_ISSUE = "verify_issue"  # 下发核查单
    VERIFICATION = "verification"  # 核查中
    OPINION = "opinion"  # 研究办理意见
    EXECUTION = "execution"  # 督办落实
    CONFIRMATION = "confirmation"  # 确认处理结果
    INFORMING = "informing"  # 告知投诉人
    DISPUTED = "disputed"  # 处理层级争议，待裁定
    CLOSED = "closed"  # 办结
    REFERRED = "referred"  # 已告知热线（来电转介）
    WITHDRAWN = "withdrawn"  # 投诉人撤回


STAGE_NAMES: dict[Stage, str] = {
    Stage.REGISTERED: "受理",
    Stage.VERIFY_ISSUE: "下发核查单",
    Stage.VERIFICATION: "核查中",
    Stage.OPINION: "研究办理意见",
    Stage.EXECUTION: "督办落实",
    Stage.CONFIRMATION: "确认处理结果",
    Stage.INFORMING: "告知投诉人",
    Stage.DISPUTED: "处理层级争议待裁定",
    Stage.CLOSED: "办结",
    Stage.REFERRED: "已告知下级热线",
    Stage.WITHDRAWN: "已撤回",
}

TERMINAL = frozenset({Stage.CLOSED, Stage.REFERRED, Stage.WITHDRAWN})

# A level dispute may be raised until the handling opinion is decided.
DISPUTABLE = frozenset({Stage.VERIFY_ISSUE, Stage.VERIFICATION})


class Channel(StrEnum):
    PHONE = "phone"  # 来电
    WEB = "web"  # 网上
    EMAIL = "email"  # 邮件
    LETTER = "letter"  # 来信
    VISIT = "visit"  # 来访


class InformChannel(StrEnum):
    """How the complainant was told the outcome (告知方式)."""

    PHONE = "phone"  # 电话
    SMS = "sms"  # 短信 (sent by the system)
    EMAIL = "email"  # 电子邮件 (sent by the system)
    LETTER = "letter"  # 书面
    IN_PERSON = "in_person"  # 当面


INFORM_CHANNEL_NAMES = {
    InformChannel.PHONE: "电话",
    InformChannel.SMS: "短信",
    InformChannel.EMAIL: "电子邮件",
    InformChannel.LETTER: "书面",
    InformChannel.IN_PERSON: "当面",
}
# The channels the system itself delivers through the outbox.
SENT_BY_SYSTEM = (InformChannel.SMS, InformChannel.EMAIL)


def first_stage(
    *, channel: Channel, refer_to_hotline: bool, receiving_unit: str, handling_unit: str
) -> Stage:
    """Where a complaint stands once routed: with its handling unit to issue verification
    slips, or, for a call about another unit's case whose caller is given that unit's
    hotline, referred and ended (DESIGN §5)."""
    elsewhere = handling_unit != receiving_unit
    if elsewhere and refer_to_hotline and channel is Channel.PHONE:
        return Stage.REFERRED
    return Stage.VERIFY_ISSUE


class Satisfaction(StrEnum):
    """What the follow-up call (回访) found."""

    SATISFIED = "satisfied"  # 满意
    BASICALLY = "basically_satisfied"  # 基本满意
    NOT_SATISFIED = "not_satisfied"  # 不满意
    NOT_REACHED = "not_reached"  # 未联系上


SATISFACTION_NAMES = {
    Satisfaction.SATISFIED: "满意",
    Satisfaction.BASICALLY: "基本满意",
    Satisfaction.NOT_SATISFIED: "不满意",
    Satisfaction.NOT_REACHED: "未联系上",
}

# How a review (复核) may be asked: by phone or letter, registered by staff, or on the public
# tracking page (web).
REVIEW_CHANNELS = (Channel.PHONE, Channel.LETTER, Channel.VISIT, Channel.EMAIL, Channel.WEB)


class SlipKind(StrEnum):
    VERIFICATION = "verification"  # 核查单 (attachment 1)
    SUPERVISION = "supervision"  # 督办单 (attachment 2)


SLIP_NAMES: dict[SlipKind, str] = {
    SlipKind.VERIFICATION: "核查单",
    SlipKind.SUPERVISION: "督办单",
}


@dataclass(frozen=True)
class DeadlinePolicy:
    """Working days of each clock; the notice's defaults (DESIGN's where it says "timely")."""

    verify_issue: int = 3  # issue verification slips, from arrival or the ruling
    verify_return: int = 5  # each related unit returns its slip, from its receipt
    opinion: int = 5  # decide the handling opinion, from the last slip returned
    execute: int = 5  # each executing unit returns its supervision slip, from receipt
    confirm: int = 3  # confirm the result or send it back, from the last result returned
    inform: int = 2  # inform the complainant and close, from confirmation
    ruling: int = 3  # rule a level dispute, from the dispute
    escalate_every: int = 5  # an overdue alert climbs one level every this many working days
    follow_up: int = 5  # call the complainant back (回访), from informing
    review: int = 10  # the unit above decides a review (复核), from the request
    review_window: int = 30  # calendar days after informing in which a review may be asked

    def __post_init__(self) -> None:
        for name, value in self.__dict__.items():
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name}：应为不小于 1 的整数（工作日数）")

    def for_stage(self, stage: Stage) -> int:
        """Working days the handling (or ruling) unit has for a stage with its own clock."""
        days = {
            Stage.VERIFY_ISSUE: self.verify_issue,
            Stage.OPINION: self.opinion,
            Stage.CONFIRMATION: self.confirm,
            Stage.INFORMING: self.inform,
            Stage.DISPUTED: self.ruling,
        }
        if stage not in days:
            raise ValueError(f"stage {stage} has no clock of the handling unit")
        return days[stage]

    def for_slip(self, kind: SlipKind) -> int:
        return self.verify_return if kind is SlipKind.VERIFICATION else self.execute


# An alert climbs at most this many levels: from a school's unit it then reaches the Ministry.
MAX_ESCALATION_LEVEL = 4


def escalation_recipients(path_to_unit: list[str], level: int) -> list[str]:
    """Units alerted at an escalation level: the unit itself and `level` superiors above it.

    `path_to_unit` runs from the root down to the unit. The climb stops at the root.
    """
    if not path_to_unit:
        raise ValueError("path_to_unit must name at least the unit itself")
    if level < 0:
        raise ValueError("level must be >= 0")
    start = max(0, len(path_to_unit) - 1 - level)
    return list(reversed(path_to_unit[start:]))
