"""`xueji`: the operators' command line (typer)."""

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn
from urllib.parse import urlencode

import typer

from core.settings import SettingsError, get_settings

app = typer.Typer(help="xueji 学籍投诉处理系统：运维命令", no_args_is_help=True)
org_app = typer.Typer(help="组织机构树（教育行政部门与学校）", no_args_is_help=True)
calendar_app = typer.Typer(help="工作日日历（法定节假日与调休）", no_args_is_help=True)
db_app = typer.Typer(help="数据库", no_args_is_help=True)
notify_app = typer.Typer(help="通知（邮件发件箱）", no_args_is_help=True)
audit_app = typer.Typer(help="审计日志（防篡改）", no_args_is_help=True)
user_app = typer.Typer(help="工作人员账号", no_args_is_help=True)
demo_app = typer.Typer(help="演示（本地系统）", no_args_is_help=True)
backup_app = typer.Typer(help="备份与恢复本地系统的数据（运行中也可备份）", no_args_is_help=True)
app.add_typer(org_app, name="org")
app.add_typer(calendar_app, name="calendar")
app.add_typer(db_app, name="db")
app.add_typer(notify_app, name="notify")
app.add_typer(audit_app, name="audit")
app.add_typer(user_app, name="user")
app.add_typer(demo_app, name="demo")
app.add_typer(backup_app, name="backup")


def main() -> NoReturn:
    """The `xueji` command (the console script): `app` with a safe end, for the commands that
    connect to Temporal (`calendar load`, `calendar retime`, `worker`, `api`); see
    `core.temporal.end_process`."""
    from core.temporal import end_process

    try:
        app()
        code: object = 0
    except SystemExit as exited:
        code = exited.code
    except SettingsError as exc:  # each wrong variable and why, not a traceback
        code = str(exc)
    if not isinstance(code, int):  # None is success; anything else is a message
        if code is not None:
            print(code, file=sys.stderr)
        code = 0 if code is None else 1
    end_process(code)


def fail(message: str) -> typer.Exit:
    typer.secho(message, fg=typer.colors.RED, err=True)
    return typer.Exit(code=1)


@app.command()
def dev() -> None:
    """启动本地完整系统：Temporal 开发服务器、worker 与 API（make run 调用此命令）。"""
    from xueji.dev import DevError, run_dev

    try:
        code = run_dev(get_settings())
    except DevError as exc:
        raise fail(str(exc)) from None
    raise typer.Exit(code=code)


@app.command()
def worker() -> None:
    """启动 worker（与 python worker.py 相同）。"""
    from xueji.worker import main as run_worker

    run_worker()


@app.command()
def api(
    host: Annotated[str | None, typer.Option(help="监听地址")] = None,
    port: Annotated[int | None, typer.Option(help="监听端口")] = None,
) -> None:
    """启动 HTTP API（uvicorn）。"""
    import uvicorn

    settings = get_settings()
    uvicorn.run("api.main:app", host=host or settings.api_host, port=port or settings.api_port)


@app.command()
def status() -> None:
    """检查系统状态：数据库、Temporal、worker、超期案件与待发通知；有异常时退出码为 1。"""
    import asyncio

    from xueji.status import system_status

    checks = asyncio.run(system_status(get_settings(), datetime.now(UTC)))
    for check in checks:
        label = {True: "正常", False: "异常", None: "信息"}[check.ok]
        typer.echo(f"[{label}] {check.name}：{check.detail}")
    if any(check.ok is False for check in checks):
        raise typer.Exit(code=1)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """把数据库结构升级到最新版本（Alembic 迁移）。"""
    from store.migrate import upgrade

    upgrade(get_settings().store_url)
    typer.echo("数据库已是最新结构")


@notify_app.command("send")
def notify_send(
    limit: Annotated[int, typer.Option(help="本次最多处理的通知条数", min=1)] = 100,
) -> None:
    """把发件箱中尚未发送的通知通过邮件发出（每条只发一次），并显示结果。"""
    from activities.notify import SmtpNotifier, deliver_outbox
    from store.db import engine_for
    from store.migrate import upgrade
    from store.sealing import Sealer

    settings = get_settings()
    notifier = SmtpNotifier.from_settings(settings)
    if notifier is None:
        raise fail(
            "未配置邮件服务器，无法发送：请设置 XUEJI_SMTP_HOST（及 XUEJI_SMTP_PORT 等）。"
            "通知仍保存在发件箱中，可在系统内查看"
        )
    upgrade(settings.store_url)
    engine = engine_for(settings)
    try:
        report = deliver_outbox(engine, notifier, Sealer(settings.store_keys), limit=limit)
    finally:
        engine.dispose()
    typer.echo(
        f"已发送 {report.sent} 条，失败 {report.failed} 条，无邮箱地址 {report.no_address} 条"
    )


@audit_app.command("verify")
def audit_verify() -> None:
    """逐条校验审计日志的哈希链；完整则退出码 0，否则指出第一条被篡改的记录，退出码 1。"""
    from sqlmodel import Session

    from domain.workdays import SHANGHAI
    from store import audit
    from store.db import engine_for
    from store.migrate import upgrade
    from store.models import AuditRecord

    settings = get_settings()
    upgrade(settings.store_url)
    engine = engine_for(settings)
    try:
        with Session(engine) as session:
            broken = audit.verify(session=session)
            if broken is None:
                typer.echo(f"审计日志完整，共 {audit.count(session=session)} 条")
                return
            record = session.get(AuditRecord, broken)
    finally:
        engine.dispose()
    assert record is not None
    at = record.at.astimezone(SHANGHAI).isoformat(timespec="seconds")
    raise fail(
        f"审计日志已被篡改：第 {record.seq} 条（时间 {at}，操作 {record.action}）校验未通过，"
        "该条或其前一条记录被修改、插入或删除"
    )


@audit_app.command("export")
def audit_export(
    file: Annotated[Path, typer.Argument(help="导出的 CSV 文件（UTF-8，可用 Excel 打开）")],
) -> None:
    """把审计日志全部导出为 CSV 文件（带 BOM 的 UTF-8，Excel 可直接打开）。"""
    import csv

    from sqlmodel import Session

    from store import audit
    from store.db import engine_for
    from store.migrate import upgrade

    settings = get_settings()
    upgrade(settings.store_url)
    engine = engine_for(settings)
    rows = 0
    try:
        with Session(engine) as session, file.open("w", encoding="utf-8-sig", newline="") as out:
            writer = csv.writer(out)
            for row in audit.export(session=session):
                writer.writerow([audit.csv_safe(cell) for cell in row])
                rows += 1
    finally:
        engine.dispose()
    typer.echo(f"已导出 {rows - 1} 条审计记录 -> {file}")


@user_app.command("add")
def user_add(
    username: Annotated[str, typer.Argument(help="用户名（3 至 32 位字母、数字或 _ . -）")],
    unit: Annotated[str, typer.Option(help="所属单位代码（6 位）")],
    role: Annotated[
        str, typer.Option(help="角色：clerk、handler、leader、sysadmin、secadmin、auditor")
    ],
    name: Annotated[str, typer.Option(help="姓名；默认同用户名")] = "",
    password_stdin: Annotated[bool, typer.Option(help="从标准输入读取密码（一行）")] = False,
) -> None:
    """创建工作人员账号（第一个系统管理员即由此创建）；密码须符合口令策略。"""
    import sys
    from datetime import UTC, datetime

    from store.accounts import AccountError, create_user
    from store.db import engine_for, session_scope
    from store.migrate import upgrade

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("密码", hide_input=True, confirmation_prompt=True)
    settings = get_settings()
    upgrade(settings.store_url)
    engine = engine_for(settings)
    try:
        with session_scope(engine) as session:
            create_user(
                session=session,
                username=username,
                unit_code=unit,
                role=role,
                password=password,
                display_name=name,
                now=datetime.now(UTC),
            )
    except AccountError as exc:
        raise fail("账号未创建：" + "；".join(exc.reasons)) from None
    finally:
        engine.dispose()
    typer.echo(f"已创建账号 {username}（单位 {unit}，角色 {role}）")


@demo_app.command("scenario")
def demo_scenario(
    api_url: Annotated[
        str | None, typer.Option(help="API 地址，默认本地系统的 http://主机:端口")
    ] = None,
) -> None:
    """通过 API 登记几件演示投诉并推进到不同环节（先用 make run 启动本地系统）。"""
    import asyncio

    import httpx

    from xueji.demo import DemoError, Filed, accounts_path, read_accounts, run_scenario
    from xueji.dev import workflow_link

    settings = get_settings()
    base_url = api_url or f"http://{settings.api_host}:{settings.api_port}"

    async def scenario() -> tuple[list[Filed], dict[str, Any]]:
        async with httpx.AsyncClient(base_url=base_url, timeout=30.0) as http:
            return await run_scenario(http, read_accounts(accounts_path(settings)), typer.echo)

    try:
        filed, campaign = asyncio.run(scenario())
    except httpx.TransportError:
        raise fail(f"连不上 API {base_url}：请先用 make run 启动本地系统") from None
    except DemoError as exc:
        raise fail(str(exc)) from None
    typer.echo("\n已登记的演示投诉：")
    for case in filed:
        typer.echo(
            f"  {case.tracking_no}  {case.stage:<13} 处理单位 {case.handling_unit}  {case.what}"
        )
        typer.echo(f"      {workflow_link(settings, case.complaint_id)}")
        query = urlencode({"tracking_no": case.tracking_no, "code": case.query_code})
        typer.echo(f"      投诉人查询进度: {base_url}/track?{query}")
    reported = "、".join(u["unit"] for u in campaign["units"] if u["reported"])
    typer.echo("\n演示人员信息报送（附件3）：")
    typer.echo(
        f"  {campaign['id']}  截止 {campaign['due'][:10]}  已报送 {reported}  "
        f"待报送 {'、'.join(campaign['missing'])}"
    )
    typer.echo(f"      {workflow_link(settings, campaign['id'])}")


@org_app.command("import")
def org_import(
    units: Annotated[Path, typer.Argument(help="单位文件 (.csv 或 .json)", exists=True)],
    schools: Annotated[Path, typer.Argument(help="学校文件 (.csv 或 .json)", exists=True)],
) -> None:
    """导入组织机构树：全部记录无误才导入，有误则逐条报告文件与行号，数据库不变。"""
    from domain.orgtree import OrgTree, OrgTreeError
    from store.db import engine_for, session_scope
    from store.migrate import upgrade
    from store.org import TreeInUseError, replace_tree

    try:
        tree = OrgTree.load(units, schools)
    except OrgTreeError as exc:
        raise fail(f"导入失败，数据库未作任何改动。共 {len(exc.errors)} 处错误:\n{exc}") from None
    settings = get_settings()
    upgrade(settings.store_url)
    engine = engine_for(settings)
    try:
        with session_scope(engine) as session:
            unit_count, school_count = replace_tree(
                session=session, tree=tree, now=datetime.now(UTC)
            )
    except TreeInUseError as exc:
        raise fail(f"导入失败，数据库未作任何改动：{exc}") from None
    finally:
        engine.dispose()
    typer.echo(f"已导入 {unit_count} 个单位、{school_count} 所学校")


@calendar_app.command("load")
def calendar_load(
    file: Annotated[Path, typer.Argument(help="某一年的放假与调休安排 (JSON)", exists=True)],
) -> None:
    """载入某一年的官方放假调休安排；文件有误则拒绝并说明原因，原有安排不变。"""
    import getpass

    from domain.workdays import CalendarFileError, parse_year_file
    from store.calendar import save_calendar_year
    from store.db import engine_for, session_scope
    from store.migrate import upgrade

    try:
        arrangement = parse_year_file(file)
    except CalendarFileError as exc:
        raise fail(f"日历文件被拒绝，原有安排不变:\n{exc}") from None
    settings = get_settings()
    upgrade(settings.store_url)
    engine = engine_for(settings)
    try:
        with session_scope(engine) as session:
            by = f"xueji calendar load ({getpass.getuser()})"
            save_calendar_year(session, arrangement, loaded_by=by, now=datetime.now(UTC))
    finally:
        engine.dispose()
    typer.echo(
        f"已载入 {arrangement.year} 年安排：{len(arrangement.holidays)} 个放假日、"
        f"{len(arrangement.workdays)} 个调休上班日，已存入数据库，各 worker 与 API 随即采用"
    )
    _retime()


@calendar_app.command("retime")
def calendar_retime() -> None:
    """通知所有运行中的案件按当前工作日安排重新计算期限（calendar load 会自动执行）。"""
    _retime()


def _retime() -> None:
    import asyncio

    from api.calendar_years import RETIME_HINT, retime_running_cases
    from core.temporal import connect

    settings = get_settings()

    async def run() -> int:
        client = await connect(settings, timeout=3.0)
        return await retime_running_cases(client)

    try:
        told = asyncio.run(run())
    except ConnectionError:
        raise fail(
            f"Temporal 服务 {settings.temporal_address} 无法连接，运行中的案件尚未重新计算期限；"
            + RETIME_HINT
        ) from None
    typer.echo(f"已通知 {told} 件运行中的案件重新计算期限")


@calendar_app.command("show")
def calendar_show(year: Annotated[int, typer.Argument(help="年份")]) -> None:
    """显示某一年的数据来源（official 官方 / estimated 预计）与放假、调休日期。"""
    from api.calendar_years import year_view
    from store.calendar import StoreCalendar
    from store.db import engine_for
    from store.migrate import upgrade

    settings = get_settings()
    upgrade(settings.store_url)
    engine = engine_for(settings)
    try:
        calendar = StoreCalendar(engine, settings.calendar_path)()
    finally:
        engine.dispose()
    typer.echo(json.dumps(year_view(calendar, year), ensure_ascii=False, indent=2))


@backup_app.command("make")
def backup_make(
    destination: Annotated[Path, typer.Argument(help="备份存放目录（其下新建带时间的子目录）")],
) -> None:
    """在系统运行时做一致的备份：业务数据库、Temporal 数据与工作日日历文件，附校验清单。"""
    from xueji.backup import BackupError, make_backup

    try:
        folder, skipped = make_backup(get_settings(), destination, datetime.now(UTC))
    except BackupError as exc:
        raise fail(str(exc)) from None
    typer.echo(f"备份已写入 {folder}")
    for reason in skipped:
        typer.echo(f"  未包含：{reason}")
    typer.echo("  加密密钥不在备份中：请另行妥善保管，恢复时需要同一组密钥")


@backup_app.command("restore")
def backup_restore(
    folder: Annotated[Path, typer.Argument(help="xueji backup make 写出的备份目录")],
) -> None:
    """用备份替换本地系统的数据（须先停止系统）；被替换的数据移到数据目录下保留，不删除。"""
    from xueji.backup import BackupError, restore_backup

    try:
        aside = restore_backup(get_settings(), folder, datetime.now(UTC))
    except BackupError as exc:
        raise fail(str(exc)) from None
    typer.echo(f"已用备份 {folder} 恢复数据")
    typer.echo(f"  原有数据已移到 {aside}，确认恢复无误后可删除")
    typer.echo("  请用备份时的同一组加密密钥启动系统（make run）")


@backup_app.command("check")
def backup_check(
    folder: Annotated[Path, typer.Argument(help="xueji backup make 写出的备份目录")],
) -> None:
    """核对备份：文件齐全、与清单一致、数据库完好。"""
    from xueji.backup import check_backup

    problems = check_backup(folder)
    if problems:
        raise fail("备份有问题：\n" + "\n".join(f"  {problem}" for problem in problems))
    typer.echo(f"备份完好：{folder}")
