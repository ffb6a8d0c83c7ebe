"""The Chinese wording of a complaint's timeline, notices and refusals (ComplaintWorkflow).

Timeline and unit notices never carry personal data: codes, numbers, stage names and times.
"""

from __future__ import annotations

from datetime import datetime

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.process import (
        INFORM_CHANNEL_NAMES,
        SATISFACTION_NAMES,
        SLIP_NAMES,
        STAGE_NAMES,
        InformChannel,
        Satisfaction,
        SlipKind,
        Stage,
    )
    from workflows.clocks import ALARM_NAMES, Alarm

NO_HOTLINE = "（该单位尚未公布电话）"
UNREADABLE_CODE = "单位代码无法识别"
NOTHING_TO_DO = "办理意见：无需处理，待告知投诉人"
RESULT_CONFIRMED = "处理结果已确认，待告知投诉人"
EMPTY_OPINION = "opinion：办理意见不能为空"
EMPTY_MESSAGE = "message：告知内容不能为空"
ALL_VERIFIED = "核查单已全部反馈，待研究办理意见"
ALL_EXECUTED = "督办单已全部反馈，待确认处理结果"
TOO_LATE_TO_DISPUTE = "处理层级争议只能在确定办理意见前提出"
NO_OPEN_DISPUTE = "本案没有待裁定的处理层级争议"
HANDLING_UNIT_CHANGED = "处理责任单位已变更"
WITHDRAWN_BY_COMPLAINANT = "投诉人已撤回投诉"
NO_EMAIL = "channel：投诉人未留电子邮箱，不能以电子邮件告知"
ONLY_CALLS_UNREACHED = "reached：只有电话告知可以登记为未联系上"
NO_ASSIGNEE = "assignee：承办人不能为空"
REASSIGN_WITHOUT_REASON = "reason：更换承办人须说明理由"
WITHDRAWAL_BY = "只有处理单位，或案件仍由本单位处理时的受理单位，可以登记撤回"


def _minute(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M}"


# ---------------------------------------------------------------- refusals


def no_unit(field: str) -> str:
    return f"{field}：至少需要一个单位"


def not_a_code(field: str, code: str) -> str:
    return f"{field}：“{code}”不是 6 位单位代码或 10 位学校标识码"


def repeated_units(field: str) -> str:
    return f"{field}：单位重复"


def already_ended(stage: Stage) -> str:
    return f"本案已{STAGE_NAMES[stage]}"


def wrong_stage(current: Stage, wanted: Stage) -> str:
    return f"本案当前环节为“{STAGE_NAMES[current]}”，不能办理“{STAGE_NAMES[wanted]}”"


def wrong_unit(handling: str, actor: str) -> str:
    return f"本案由 {handling} 处理，{actor} 无权办理"


def not_a_party(actor: str) -> str:
    return f"{actor} 不是本案的处理责任单位或相关单位"


def not_another_unit(proposed: str) -> str:
    return f"proposed_unit：“{proposed}”不是另一个单位"


def not_the_ruling_unit(ruling_unit: str) -> str:
    return f"只有裁定单位 {ruling_unit} 可以裁定本争议"


def not_a_choice(choices: list[str]) -> str:
    return f"handling_unit：应为 {'、'.join(choices)} 之一"


def refused(reason: str) -> str:
    return f"未予受理的操作：{reason}"


# ---------------------------------------------------------------- registration


def registered(receiving_unit: str, tracking_no: str, handling_unit: str) -> str:
    return f"{receiving_unit} 受理，受理编号 {tracking_no}，处理责任单位 {handling_unit}"


def registered_notice(tracking_no: str) -> str:
    return f"您的投诉已受理，受理编号 {tracking_no}。"


def referral_notice(handling_unit: str, hotline: str) -> str:
    return f"您反映的问题由 {handling_unit} 负责处理，请拨打其投诉电话 {hotline}。"


def referred(handling_unit: str) -> str:
    return f"来电：已告知来电人处理责任单位 {handling_unit} 的热线，不再转办"


def forwarded(from_unit: str, to_unit: str) -> str:
    return f"逐级转办：{from_unit} → {to_unit}"


def passed_on_notice(tracking_no: str, handling_unit: str) -> str:
    return f"投诉 {tracking_no} 经本单位转至 {handling_unit} 处理"


def transferred_notice(handling_unit: str) -> str:
    return f"您的投诉由 {handling_unit} 负责处理。"


def arrived(handling_unit: str) -> str:
    return f"{handling_unit} 收到投诉，应下发核查单"


# ---------------------------------------------------------------- stages, clocks, slips


def stage_notice(tracking_no: str, stage: Stage, due: datetime) -> str:
    return f"投诉 {tracking_no} 待{STAGE_NAMES[stage]}，期限 {_minute(due)}"


def alarm(alarm: Alarm, tracking_no: str, label: str, due: datetime) -> str:
    return f"{ALARM_NAMES[alarm]}：投诉 {tracking_no} {label}，期限 {_minute(due)}"


def retimed(label: str, due: datetime) -> str:
    return f"工作日安排调整，{label} 期限改为 {_minute(due)}"


def slip_label(kind: SlipKind, slip_id: str) -> str:
    return f"{SLIP_NAMES[kind]} {slip_id}"


def slips_issued(handling_unit: str, kind: SlipKind, round: int, issued: list[str]) -> str:
    verb = "下发核查单" if kind is SlipKind.VERIFICATION else f"第 {round} 轮督办单"
    return f"{handling_unit} {verb}：{'、'.join(issued)}"


def closed(handling_unit: str) -> str:
    return f"{handling_unit} 已告知投诉人处理结果，办结"


def informed(handling_unit: str, channel: InformChannel) -> str:
    return f"{handling_unit} 已通过{INFORM_CHANNEL_NAMES[channel]}告知投诉人处理结果，办结"


def not_reached(unit: str) -> str:
    return f"{unit} 电话告知投诉人，未联系上"


def no_phone(channel: InformChannel) -> str:
    return f"channel：投诉人未留电话，不能以{INFORM_CHANNEL_NAMES[channel]}告知"


# ---------------------------------------------------------------- the person in charge


def already_assigned(assignee: str) -> str:
    return f"assignee：本案承办人已是 {assignee}"


def assignee_named(unit: str, assignee: str, previous: str) -> str:
    if previous:
        return f"{unit} 承办人由 {previous} 改为 {assignee}"
    return f"{unit} 指定承办人 {assignee}"


def assignee_notice(tracking_no: str) -> str:
    return f"投诉 {tracking_no} 已指定承办人"


# ---------------------------------------------------------------- disputes, withdrawal


def dispute_raised(actor: str, proposed: str, ruling_unit: str) -> str:
    return f"{actor} 对处理层级提出争议（拟由 {proposed} 处理），由 {ruling_unit} 裁定"


def dispute_ruled(ruling_unit: str, handling_unit: str) -> str:
    return f"{ruling_unit} 裁定由 {handling_unit} 处理"


def assigned_notice(tracking_no: str) -> str:
    return f"投诉 {tracking_no} 经裁定由本单位处理"


def withdrawn(stage: Stage) -> str:
    return f"投诉人撤回投诉（撤回时环节：{STAGE_NAMES[stage]}）"


def withdrawn_notice(tracking_no: str) -> str:
    return f"投诉 {tracking_no} 已由投诉人撤回"


# ---------------------------------------------------------------- follow-up and review

FOLLOW_UP_LABEL = "回访投诉人"
REVIEW_LABEL = "复核"
NOT_CLOSED = "本案尚未办结，不能回访或申请复核"
FOLLOWED_UP = "本轮已登记回访结果"
NO_REVIEW_NOW = "本案现在不能申请复核（复核申请期已过，或已申请过复核）"
NO_OPEN_REVIEW = "本案没有待办的复核申请"
EMPTY_REVIEW_REASON = "reason：请填写复核申请的理由"
EMPTY_DECISION = "reason：请填写复核意见（维持的理由，或重新办理的要求）"
REVIEW_CHANNEL_BY_STAFF = "channel：工作人员登记的复核申请应为电话、来信、来访或邮件"
FOLLOW_UP_STOPPED = "投诉人已申请复核，回访期限停止计算"
WINDOW_PASSED = "复核申请期已过，本案办理结束"


def follow_up_started(unit: str, due: datetime) -> str:
    return f"{unit} 应于 {_minute(due)} 前回访投诉人"


def followed_up(unit: str, result: Satisfaction) -> str:
    return f"{unit} 回访投诉人：{SATISFACTION_NAMES[result]}"


def review_requested(reviewing_unit: str, due: datetime) -> str:
    return f"投诉人申请复核，由 {reviewing_unit} 于 {_minute(due)} 前复核"


def review_notice(tracking_no: str, due: datetime) -> str:
    return f"投诉 {tracking_no} 申请复核，期限 {_minute(due)}"


def review_upheld(reviewing_unit: str) -> str:
    return f"{reviewing_unit} 复核：维持原处理结果"


def review_reopened(reviewing_unit: str, handling_unit: str) -> str:
    return f"{reviewing_unit} 复核：重新办理，由 {handling_unit} 重新研究办理意见"


def upheld_to_complainant(tracking_no: str, reason: str) -> str:
    return f"您的投诉（受理编号 {tracking_no}）经复核，维持原处理结果。{reason}"


def reopened_to_complainant(tracking_no: str) -> str:
    return f"您的投诉（受理编号 {tracking_no}）经复核，已重新办理，办理结果将另行告知。"


def not_the_reviewing_unit(reviewing_unit: str) -> str:
    return f"应由 {reviewing_unit} 复核"


def review_registered_by(handling_unit: str, reviewing_unit: str) -> str:
    return f"复核申请应由处理单位 {handling_unit} 或复核单位 {reviewing_unit} 登记"
