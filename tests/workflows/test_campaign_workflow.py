"""The personnel-table campaign (附件3) on the time-skipping server with the real worker and
store: reminders three working days before, the alert at the due time, corrections refused
after it, a late first report, and the compiled workbook read back cell by cell.

The clock starts at EPOCH (Mon 2030-03-04 09:00, Asia/Shanghai; March 2030 has no holidays).
"""

from datetime import date, datetime, timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlmodel import Session
from temporalio.client import WorkflowHandle
from temporalio.service import RPCError, RPCStatusCode

from activities.calendar import campaign_plan
from api.campaign_workbook import PUBLIC_HEADER, STAFF_HEADER, NotCompiled, compiled_workbook
from domain.orgtree import OrgTree
from domain.records import CampaignState, PersonnelEntry, PersonnelReport
from domain.workdays import WorkdayCalendar
from store.models import Campaign, CampaignUnit, OutboxRow, Unit
from tests.support.demo import demo_tree
from tests.support.process_support import EPOCH, Process, at, attributes, refusal, running_process
from tests.support.stores import load_official_year
from workflows import errors
from workflows.campaign import CampaignWorkflow
from workflows.messages.campaign import CampaignInput, CloseCampaign, SubmitReport

PROVINCE, CITY, CHANG_AN, QIAO_XI = "130000", "130100", "130102", "130104"
TITLE = "2030年学籍投诉处理人员信息报送"


@pytest.fixture
async def process(tmp_path: Path) -> Any:
    async with running_process(tmp_path / "data") as running:
        yield running


def report(unit: str, *names: str, phone: str = "0311-86001234") -> PersonnelReport:
    return PersonnelReport(
        entries=[
            PersonnelEntry(
                name=name,
                workplace=f"{unit} 基础教育科",
                position="科长" if n == 0 else "科员",
                office_phone=f"0311-8600{n:04d}",
                mobile=f"1380311{n:04d}",
                email=f"p{n}@{unit}.example.cn",
            )
            for n, name in enumerate(names)
        ],
        public_phone=phone,
        public_email=f"xueji@{unit}.example.cn",
    )


async def open_campaign(
    process: Process, due: date, units: list[str]
) -> WorkflowHandle[CampaignWorkflow, CampaignState]:
    campaign = CampaignInput(
        campaign_id="campaign-hebei-2030",
        title=TITLE,
        opener=PROVINCE,
        province=PROVINCE,
        opened_at=await process.now(),
        units=units,
        plan=campaign_plan(WorkdayCalendar(), due),
    )
    return await process.env.client.start_workflow(
        CampaignWorkflow.run,
        campaign,
        id=campaign.campaign_id,
        task_queue=process.settings.temporal_task_queue,
    )


async def submit(
    handle: WorkflowHandle[CampaignWorkflow, CampaignState], unit: str, sent: PersonnelReport
) -> CampaignState:
    return await handle.execute_update(
        CampaignWorkflow.submit, SubmitReport(actor_unit=unit, report=sent)
    )


def notices(process: Process, kind: str) -> list[tuple[str, str]]:
    rows = process.rows(OutboxRow, kind=kind)
    return sorted((row.recipient_unit, row.text) for row in rows)


def campaign_row(process: Process) -> Campaign:
    rows = process.rows(Campaign)
    assert len(rows) == 1
    return rows[0]


async def test_a_campaign_reminds_alerts_refuses_late_corrections_and_compiles(
    process: Process,
) -> None:
    handle = await open_campaign(process, date(2030, 3, 15), [CITY, CHANG_AN, QIAO_XI])
    state = await submit(handle, CITY, report(CITY, "王建国", "李红"))
    assert (state.due, state.remind_at) == (at(15), at(12, 9, 0, 0))
    assert [(s.unit, soon_after(EPOCH, s.submitted_at)) for s in state.units] == [
        (CITY, True),
        (CHANG_AN, False),
        (QIAO_XI, False),
    ]
    assert [unit for unit, _ in notices(process, "campaign_opened")] == [CITY, CHANG_AN, QIAO_XI]

    # Tue 12 March 09:00, three working days before Fri 15: the two missing units only.
    await process.sleep_until(at(12, 8, 59, 0))
    assert notices(process, "campaign_reminder") == []
    await process.sleep_until(at(12, 9, 0, 1))
    reminded = notices(process, "campaign_reminder")
    assert [unit for unit, _ in reminded] == [CHANG_AN, QIAO_XI]
    assert "2030-03-15" in reminded[0][1]
    assert soon_after(at(12, 9, 0, 0), campaign_row(process).reminded_at)

    # 长安区 reports on Wednesday and corrects it on Thursday, before the due time.
    await process.sleep_until(at(13, 10, 0, 0))
    await submit(handle, CHANG_AN, report(CHANG_AN, "赵敏"))
    await process.sleep_until(at(14, 16, 30, 0))
    state = await submit(handle, CHANG_AN, report(CHANG_AN, "赵敏", "孙强", phone="0311-87654321"))
    assert next(s for s in state.units if s.unit == CHANG_AN).corrections == 1

    # The due time passes with 桥西区 missing: it and the province are alerted, and the
    # campaign shows on the Web UI's overdue board.
    await process.sleep_until(at(16, 0, 0, 1))
    alerted = notices(process, "campaign_overdue")
    assert [unit for unit, _ in alerted] == [PROVINCE, QIAO_XI]
    assert alerted[0][1].endswith(f"尚未报送的单位：{QIAO_XI}")
    row = campaign_row(process)
    assert row.status == "overdue" and soon_after(at(15), row.alerted_at)
    shown = await attributes(handle)
    assert (shown["Overdue"], shown["HandlingUnit"], shown["ProvinceCode"]) == (
        True,
        PROVINCE,
        PROVINCE,
    )
    assert shown["StageDue"] == at(15)

    # A correction after the due time is refused and changes nothing.
    late = await refusal(submit(handle, CHANG_AN, report(CHANG_AN, "周杰")))
    assert late.type == errors.WRONG_STAGE and "2030-03-15 23:59" in late.message
    with Session(process.store()) as session:
        assert session.get(CampaignUnit, (handle.id, CHANG_AN)).corrections == 1  # type: ignore[union-attr]
        campaign = session.get(Campaign, handle.id)
        assert campaign is not None
        with pytest.raises(NotCompiled):
            compiled_workbook(session, campaign, process.sealer(), tree())

    # 桥西区 reports late on Monday 18th: the last report closes the campaign.
    await process.sleep_until(at(18, 9, 30, 0))
    state = await submit(handle, QIAO_XI, report(QIAO_XI, "钱立"))
    final: CampaignState = await handle.result()
    assert final.status == "closed" and soon_after(at(18, 9, 30, 0), final.closed_at)
    assert [(s.unit, s.late) for s in final.units] == [
        (CITY, False),
        (CHANG_AN, False),
        (QIAO_XI, True),
    ]
    sent = [at(4, 9, 0, 0), at(14, 16, 30, 0), at(18, 9, 30, 0)]
    assert all(soon_after(t, s.submitted_at) for t, s in zip(sent, final.units, strict=True))
    assert (await attributes(handle))["Overdue"] is False

    # The public phones and e-mails are in the directory, confirmed when each unit reported.
    units = {unit.code: unit for unit in process.rows(Unit)}
    assert (units[CHANG_AN].phone, units[CHANG_AN].email) == (
        "0311-87654321",
        "xueji@130102.example.cn",
    )
    assert units[CHANG_AN].contact_confirmed_at == final.units[1].submitted_at
    assert units[QIAO_XI].contact_confirmed_at == final.units[2].submitted_at

    with Session(process.store()) as session:
        campaign = session.get(Campaign, handle.id)
        assert campaign is not None
        content = compiled_workbook(session, campaign, process.sealer(), tree())
    book = load_workbook(BytesIO(content))
    staff = book["内部工作协调人员名单"]
    assert staff["A1"].value == f"{TITLE}：内部工作协调人员名单"
    assert staff["A2"].value == "汇总时间：2030-03-18 09:30"
    assert [cell.value for cell in staff[3]] == list(STAFF_HEADER)
    city, chang_an, qiao_xi = "石家庄市教育局", "长安区教育局", "石家庄市桥西区教育局"
    assert [[cell.value for cell in line] for line in staff.iter_rows(min_row=4)] == [
        [1, CITY, city, "王建国", "130100 基础教育科", "科长", "0311-86000000", "13803110000",
         "p0@130100.example.cn"],
        [2, CITY, city, "李红", "130100 基础教育科", "科员", "0311-86000001", "13803110001",
         "p1@130100.example.cn"],
        [3, CHANG_AN, chang_an, "赵敏", "130102 基础教育科", "科长", "0311-86000000",
         "13803110000", "p0@130102.example.cn"],
        [4, CHANG_AN, chang_an, "孙强", "130102 基础教育科", "科员", "0311-86000001",
         "13803110001", "p1@130102.example.cn"],
        [5, QIAO_XI, qiao_xi, "钱立", "130104 基础教育科", "科长", "0311-86000000",
         "13803110000", "p0@130104.example.cn"],
    ]  # fmt: skip
    public = book["对外受理投诉电话和邮箱"]
    assert [cell.value for cell in public[3]] == list(PUBLIC_HEADER)
    assert [[cell.value for cell in line] for line in public.iter_rows(min_row=4)] == [
        [1, CITY, city, "0311-86001234", "xueji@130100.example.cn", "2030-03-04 09:00"],
        [2, CHANG_AN, chang_an, "0311-87654321", "xueji@130102.example.cn", "2030-03-14 16:30"],
        [3, QIAO_XI, qiao_xi, "0311-86001234", "xueji@130104.example.cn", "2030-03-18 09:30"],
    ]


async def test_the_opener_closes_after_the_due_time_with_a_unit_missing(process: Process) -> None:
    handle = await open_campaign(process, date(2030, 3, 6), [CHANG_AN, QIAO_XI])
    state = await handle.query(CampaignWorkflow.state)
    # Due on Wednesday: three working days before is the Friday before it opened, so no
    # reminder is sent; each unit was told when the campaign opened.
    assert state.remind_at == at(1, 9, 0, 0)

    stranger = await refusal(submit(handle, "130105", report("130105", "吴迪")))
    assert stranger.type == errors.WRONG_UNIT
    empty = await refusal(
        submit(
            handle,
            CHANG_AN,
            PersonnelReport(entries=[], public_phone="0311-1234567", public_email="a@b.cn"),
        )
    )
    assert empty.type == errors.INVALID_INPUT
    early = await refusal(
        handle.execute_update(CampaignWorkflow.close, CloseCampaign(actor_unit=PROVINCE))
    )
    assert early.type == errors.WRONG_STAGE
    await submit(handle, CHANG_AN, report(CHANG_AN, "赵敏"))

    await process.sleep_until(at(7, 9, 0, 0))
    assert [unit for unit, _ in notices(process, "campaign_overdue")] == [PROVINCE, QIAO_XI]
    other = await refusal(
        handle.execute_update(CampaignWorkflow.close, CloseCampaign(actor_unit=CHANG_AN))
    )
    assert other.type == errors.WRONG_UNIT
    closed = await handle.execute_update(CampaignWorkflow.close, CloseCampaign(actor_unit=PROVINCE))
    assert (closed.status, closed.missing) == ("closed", [QIAO_XI])
    assert soon_after(at(7, 9, 0, 0), closed.closed_at)
    assert notices(process, "campaign_reminder") == []
    with pytest.raises(RPCError) as ended:  # the API answers 409: the campaign has ended
        await submit(handle, QIAO_XI, report(QIAO_XI, "钱立"))
    assert ended.value.status is RPCStatusCode.NOT_FOUND

    with Session(process.store()) as session:
        campaign = session.get(Campaign, handle.id)
        assert campaign is not None
        book = load_workbook(
            BytesIO(compiled_workbook(session, campaign, process.sealer(), tree()))
        )
    rows = [
        [cell.value for cell in line]
        for line in book["对外受理投诉电话和邮箱"].iter_rows(min_row=4)
    ]
    assert [row[1] for row in rows] == [CHANG_AN]  # the missing unit is not in the list
    units = {unit.code: unit for unit in process.rows(Unit)}
    assert units[QIAO_XI].contact_confirmed_at is None


def soon_after(moment: datetime, seen: datetime | None) -> bool:
    """The server's clock moves on a little while it handles a call: an event time is the
    moment the test acted, or a few seconds after it."""
    return seen is not None and moment <= seen < moment + timedelta(seconds=5)


def tree() -> OrgTree:
    return demo_tree()


def load_2030(process: Process, *holidays: str) -> None:
    """As an administrator loads it: into the store, which every worker reads."""
    days = [date.fromisoformat(day) for day in holidays]
    load_official_year(process.settings.store_url, 2030, days, now=EPOCH)


async def test_a_loaded_calendar_year_moves_the_reminder(process: Process) -> None:
    handle = await open_campaign(process, date(2030, 3, 15), [CHANG_AN])
    opened = await handle.query(CampaignWorkflow.state)
    # 2030 has no official arrangement yet: the reminder day is an estimate, and says so.
    assert opened.remind_at == at(12, 9, 0, 0) and opened.remind_estimated
    # Wednesday 13 March becomes a holiday: the third working day before Friday is Monday.
    load_2030(process, "2030-03-13")
    await handle.signal(CampaignWorkflow.calendar_changed)
    await process.sleep_until(at(11, 9, 0, 1))
    state = await handle.query(CampaignWorkflow.state)
    assert state.remind_at == at(11, 9, 0, 0) and state.due == at(15)
    assert not state.remind_estimated
    assert soon_after(at(11, 9, 0, 0), state.reminded_at)
    assert [unit for unit, _ in notices(process, "campaign_reminder")] == [CHANG_AN]
    row = campaign_row(process)
    assert row.remind_at == at(11, 9, 0, 0) and not row.remind_estimated


async def test_an_official_year_that_keeps_the_reminder_day_ends_the_estimate(
    process: Process,
) -> None:
    handle = await open_campaign(process, date(2030, 3, 15), [CHANG_AN])
    await process.sleep_until(at(5))
    assert campaign_row(process).remind_estimated
    # The official arrangement has no holiday in March: the same day, no longer an estimate.
    load_2030(process, "2030-10-01")
    await handle.signal(CampaignWorkflow.calendar_changed)
    await process.sleep_until(at(6))

    state = await handle.query(CampaignWorkflow.state)
    assert state.remind_at == at(12, 9, 0, 0) and not state.remind_estimated
    row = campaign_row(process)
    assert row.remind_at == at(12, 9, 0, 0) and not row.remind_estimated
