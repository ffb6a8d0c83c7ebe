"""`xueji keys`: the store's keys (re-sealing under the active key, new keys)."""

from typing import Annotated

import typer

from core.settings import get_settings
from xueji.cli.common import fail, migrated_store

app = typer.Typer(help="密钥（生成、轮换）", no_args_is_help=True)


@app.command("rotate")
def keys_rotate(
    batch_size: Annotated[
        int, typer.Option("--batch-size", help="每批处理的行数（每批单独提交）", min=1)
    ] = 500,
) -> None:
    """用当前密钥（XUEJI_STORE_KEYS 的第一项）重新封存库中全部个人数据，并把每个值绑定到所在的
    表、行和列；附件文件（本地目录或 S3 存储桶中）也用当前密钥重新封存；再用 XUEJI_LOOKUP_KEY
    重新计算查询用的哈希（手机号、身份证号、学生姓名、摘要）。

    可重复运行：已是当前密钥且已绑定的值不动；中断后再运行，从未完成处继续。完成且无失败后，
    即可从 XUEJI_STORE_KEYS 中删除旧密钥。有无法打开的值（密钥未配置或数据被篡改）时，列出其
    所在行，退出码 1。
    """
    from store.attachments import rotate_files
    from store.blobs import blob_store
    from store.rotation import ColumnReport, LookupReport, rehash_lookups, rotate
    from store.sealing import Sealer

    settings = get_settings()
    sealer = Sealer(settings.store_keys)
    typer.echo(f"当前密钥：{sealer.active_key_id}")

    def done(report: ColumnReport) -> None:
        typer.echo(f"  {report.table}.{report.column}：已重新封存 {report.resealed} 个 …")

    def hashed(report: LookupReport) -> None:
        typer.echo(f"  查询哈希：已处理 {report.cases} 个案件 …")

    with migrated_store(settings) as engine:
        reports = rotate(engine, sealer, batch_size=batch_size, progress=done)
        # The evidence files (附件), sealed in the blob store: a folder or an S3 bucket.
        reports.append(rotate_files(engine, blob_store(settings), sealer, batch_size=batch_size))
        lookups = rehash_lookups(
            engine, sealer, settings.lookup_key_bytes, batch_size=batch_size, progress=hashed
        )
    failed = []
    for report in reports:
        line = (
            f"{report.table}.{report.column}：重新封存 {report.resealed} 个，"
            f"原已是当前密钥 {report.current} 个"
        )
        if report.changed_meanwhile:
            line += f"，运行期间被改写（已是新格式）{report.changed_meanwhile} 个"
        if report.failed:
            line += f"，无法打开 {len(report.failed)} 个"
            failed += [f"{report.table}.{report.column} 行 {key}" for key in report.failed]
        typer.echo(line)
    typer.echo(f"查询哈希：重新计算 {lookups.cases} 个案件，其中 {lookups.changed} 个有变化")
    failed += [f"complaint_case.sealed 行 {case_id}（查询哈希）" for case_id in lookups.failed]
    typer.echo(
        f"查询码哈希：重新计算 {lookups.codes} 个登记，其中 {lookups.codes_changed} 个有变化"
    )
    failed += [
        f"complaint_intake.sealed_query_code 行 {complaint_id}（查询码哈希）"
        for complaint_id in lookups.codes_failed
    ]
    total = sum(report.resealed for report in reports)
    current = sum(report.current for report in reports)
    typer.echo(f"合计：重新封存 {total} 个，原已是当前密钥 {current} 个，无法打开 {len(failed)} 个")
    if failed:
        raise fail(
            "以下数据无法用已配置的密钥打开（密钥已删除，或数据被篡改、被移到别处），"
            "暂勿删除旧密钥：\n" + "\n".join(failed)
        )
    typer.echo("全部数据已用当前密钥封存并绑定：旧密钥可以从 XUEJI_STORE_KEYS 中删除")


@app.command("generate")
def keys_generate(
    key_id: Annotated[str, typer.Argument(help="新密钥的编号，如 k2")],
) -> None:
    """生成一个新的随机密钥，输出为 编号:BASE64 形式，放在密钥配置的最前面即启用。

    编号以 sm4 开头的为 SM4-GCM 密钥（16 字节，用于 XUEJI_PAYLOAD_KEYS、XUEJI_STORE_KEYS），其余为
    AES-256-GCM 密钥（32 字节）；审计密钥（XUEJI_AUDIT_KEYS）编号以 sm3 开头时用 HMAC-SM3。
    """
    from core.keys import generate_key, parse_keys

    entry = f"{key_id}:{generate_key(key_id)}"
    try:
        parse_keys(entry)
    except ValueError as exc:
        raise fail(f"密钥编号 {key_id!r} 无效：{exc}") from None
    typer.echo(entry)
