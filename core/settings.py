"""The one configuration of xueji, shared by the API, the worker, the CLI and Alembic.

Every value comes from the environment (prefix ``XUEJI_``) or a ``.env`` file; the
defaults run the embedded local system that ``make run`` starts.
"""

import ipaddress
import secrets
from functools import lru_cache
from ipaddress import ip_network
from pathlib import Path
from typing import Literal

from limits import parse
from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.keys import (
    DEV_AUDIT_KEY_SPEC,
    DEV_KEY_SPEC,
    DEV_LOOKUP_KEY,
    DEV_SMS_ACCESS_KEY,
    DEV_SMS_SECRET,
    is_dev_audit_key,
    is_dev_key,
    is_dev_lookup_key,
    parse_keys,
    parse_lookup_key,
)
from domain.process import DeadlinePolicy


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="XUEJI_", env_file=".env", extra="ignore", populate_by_name=True
    )

    environment: Literal["development", "production"] = Field(
        "development", description="production refuses the public development keys"
    )
    data_dir: Path = Field(Path("data"), description="where the embedded system keeps its state")
    database_url: str = Field(
        "",
        validation_alias=AliasChoices("DATABASE_URL", "XUEJI_DATABASE_URL"),
        description="SQLAlchemy URL of the store; empty means a SQLite file in data_dir",
    )

    temporal_address: str = Field(
        "127.0.0.1:7233", description="host:port of the Temporal frontend"
    )
    temporal_namespace: str = "default"
    temporal_task_queue: str = "xueji"
    temporal_tls: bool = Field(
        False,
        description="reach Temporal over TLS, its certificate checked against the system's CAs"
        " (implied by any of the TLS settings below and by an API key)",
    )
    temporal_tls_ca: Path | None = Field(
        None, description="PEM file of the CA that signed the Temporal frontend's certificate"
    )
    temporal_tls_cert: Path | None = Field(
        None, description="PEM client certificate for mutual TLS (with temporal_tls_key)"
    )
    temporal_tls_key: Path | None = Field(
        None, description="PEM private key of the client certificate (mutual TLS)"
    )
    temporal_tls_server_name: str = Field(
        "",
        description="the name in the frontend's certificate (and TLS SNI) when the address'"
        " host is not it",
    )
    temporal_api_key: SecretStr = Field(
        SecretStr(""),
        description="API key or JWT sent as 'authorization: Bearer …' on every call to Temporal",
    )
    temporal_ui_port: int = Field(8233, description="port of the Web UI of the embedded dev server")
    temporal_ui_inner_port: int = Field(
        0,
        description=(
            "port on 127.0.0.1 of the dev server's own Web UI, behind the front that `make run`"
            " serves on temporal_ui_port; by default temporal_ui_port + 1"
        ),
    )
    temporal_ui_origin: str = Field(
        "",
        description=(
            "origin of the Temporal Web UI, allowed to call /api/codec/ from the browser;"
            " by default the embedded Web UI's, http://127.0.0.1:<temporal_ui_port>"
        ),
    )

    payload_keys: str = Field(
        DEV_KEY_SPEC,
        description=(
            "keys of the payload codec, 'id:BASE64,...', the first encrypts; an id starting"
            " with sm4 is an SM4-GCM key (16 bytes), any other AES-256-GCM (32 bytes); the"
            " default is a public development key that production must replace"
        ),
    )

    codec_require_sealed: bool | None = Field(
        None,
        description=(
            "refuse Temporal payloads that are not sealed by the payload codec (a plain-JSON"
            " signal or update sent around the API); unset: on in production, off in"
            " development; production refuses false"
        ),
    )

    store_keys: str = Field(
        DEV_KEY_SPEC,
        description=(
            "keys sealing personal data in the store, same format as payload_keys; production"
            " must replace the development default"
        ),
    )
    lookup_key: str = Field(
        DEV_LOOKUP_KEY,
        description=(
            "32-byte key (standard base64; 'sm3:BASE64' for HMAC-SM3) of the keyed hashes that"
            " find cases by ID card or phone number, student name and summary words;"
            " production must replace the development default"
        ),
    )
    audit_keys: str = Field(
        DEV_AUDIT_KEY_SPEC,
        description=(
            "HMAC keys of the audit log's chain, same format as payload_keys (the first signs,"
            " all verify; an id starting with sm3 keys HMAC-SM3, any other HMAC-SHA256, 32"
            " bytes each); production must replace the development default"
        ),
    )
    trusted_proxies: str = Field(
        "127.0.0.1",
        validation_alias=AliasChoices("XUEJI_TRUSTED_PROXIES", "FORWARDED_ALLOW_IPS"),
        description="addresses or networks (comma-separated, or * when only the proxy can reach"
        " the API) of reverse proxies whose X-Forwarded-For and X-Forwarded-Proto the API"
        " believes: the caller's address (rate limits, login slow-down, audit log) and whether"
        " the request came over TLS (HSTS, Secure cookies); FORWARDED_ALLOW_IPS is read too",
    )
    audit_heads: Path | None = Field(
        None,
        description="file the newest audit chain head is appended to after each audited write,"
        " for the operator to ship off the host; empty means data_dir/audit-heads.jsonl",
    )
    audit_database_url: str = Field(
        "",
        description="SQLAlchemy URL the API writes audit records through, as a PostgreSQL role"
        " that may only insert into the audit log; empty means the store's own URL",
    )
    smtp_host: str = Field(
        "", description="SMTP server for e-mail notifications; empty: outbox only"
    )
    smtp_port: int = 25
    smtp_sender: str = "xueji@localhost"
    smtp_starttls: bool = False
    smtp_username: str = ""
    smtp_password: str = ""
    sms_url: str = Field(
        "",
        description="the SMS gateway's send endpoint (HTTP POST, JSON); empty: no SMS, the"
        " complainant is notified by e-mail only",
    )
    sms_access_key: str = Field(
        DEV_SMS_ACCESS_KEY, description="access key id the SMS gateway knows this system by"
    )
    sms_secret: SecretStr = Field(
        SecretStr(DEV_SMS_SECRET),
        description="secret of the access key, signing each request (HMAC-SHA256); the default"
        " is the public development secret of the local gateway that production must replace",
    )
    sms_sign_name: str = Field(
        "学籍投诉", description="the SMS signature (短信签名) registered with the provider"
    )
    sms_dev_port: int = Field(
        8026, description="port of the local SMS gateway that `xueji dev` starts on 127.0.0.1"
    )
    smtp_dev_port: int = Field(
        8025, description="port of the local mail sink that `xueji dev` starts on 127.0.0.1"
    )
    outbox_every_seconds: int = Field(
        60,
        ge=5,
        le=3600,
        description="how often the outbox schedule (xueji schedules ensure) sends what waits",
    )

    max_body_bytes: int = Field(
        1024 * 1024, ge=1024, description="the largest request body of any route but imports"
    )
    max_import_bytes: int = Field(
        64 * 1024 * 1024,
        ge=1024,
        description="the largest request body of an import (the organisation tree)",
    )
    # Evidence files (附件, store/blobs.py): sealed with the store keys, kept outside the history.
    attachment_max_bytes: int = Field(
        20 * 1024 * 1024, ge=1024, description="the largest evidence file (附件) staff may upload"
    )
    attachment_dir: Path | None = Field(
        None,
        description="folder of the sealed evidence files when no S3 bucket is configured;"
        " empty means data_dir/attachments",
    )
    attachment_s3_endpoint: str = Field(
        "",
        description="S3-compatible object store for the sealed evidence files, e.g."
        " https://s3.example.cn:9000; empty: the local folder (attachment_dir)",
    )
    attachment_s3_bucket: str = Field("xueji-attachments", description="the bucket of the files")
    attachment_s3_region: str = Field("", description="the bucket's region, if the store asks")
    attachment_s3_access_key: str = Field("", description="access key id of the object store")
    attachment_s3_secret_key: SecretStr = Field(
        SecretStr(""), description="secret key of that access key"
    )
    public_rate_limit: str = Field(
        "30/minute",
        description="requests per client address to each public endpoint (tracking, directory)",
    )
    login_rate_limit: str = Field(
        "10/minute", description="login attempts per client address, e.g. '10/minute'"
    )

    api_host: str = "127.0.0.1"
    api_port: int = 8000

    # What ops can watch (core/telemetry.py, api/metrics.py).
    metrics_host: str = Field(
        "127.0.0.1", description="address the Prometheus metrics endpoints listen on"
    )
    api_metrics_port: int = Field(
        0, ge=0, le=65535, description="port of the API's Prometheus metrics; 0: none"
    )
    worker_metrics_port: int = Field(
        0, ge=0, le=65535, description="port of a worker's Prometheus metrics (the SDK's); 0: none"
    )
    otlp_endpoint: str = Field(
        "",
        description="OpenTelemetry collector (OTLP over HTTP, e.g. http://collector:4318) the"
        " API and workers send traces to; empty: no traces",
    )
    log_format: Literal["text", "json"] = Field(
        "text", description="the worker's and API's log lines: text, or JSON (one object a line)"
    )

    calendar_dir: Path | None = Field(
        None, description="per-year working-day override files; empty means data_dir/calendar"
    )

    pdf_font: Path | None = Field(
        None,
        description="a TrueType Chinese font (.ttf/.ttc) embedded in the slip PDFs; empty means "
        "the first one installed of api.slip_pdf.EMBEDDABLE_FONTS (Debian fonts-arphic-uming)",
    )

    repeat_window_days: int = Field(
        90,
        ge=1,
        le=3650,
        description="days after a case is answered during which a new complaint of the same"
        " complainant or student about the same school is offered as its repeat (重复件)",
    )

    deadline_policy: DeadlinePolicy = Field(
        default_factory=DeadlinePolicy,
        description='working days per step, JSON, e.g. {"opinion": 7}; the notice\'s by default',
    )

    @field_validator("temporal_tls_ca", "temporal_tls_cert", "temporal_tls_key")
    @classmethod
    def _readable_file(cls, value: Path | None) -> Path | None:
        if value is not None:
            try:
                value.read_bytes()
            except OSError:
                raise ValueError(f"文件 {value} 不存在或无法读取") from None
        return value

    @model_validator(mode="after")
    def _client_certificate_with_its_key(self) -> "Settings":
        if (self.temporal_tls_cert is None) != (self.temporal_tls_key is None):
            raise ValueError(
                "XUEJI_TEMPORAL_TLS_CERT 与 XUEJI_TEMPORAL_TLS_KEY 须同时配置"
                "（双向 TLS 的客户端证书及其私钥）"
            )
        return self

    @model_validator(mode="after")
    def _web_ui_origin_follows_its_port(self) -> "Settings":
        if not self.temporal_ui_origin:
            self.temporal_ui_origin = f"http://127.0.0.1:{self.temporal_ui_port}"
        if not self.temporal_ui_inner_port:
            self.temporal_ui_inner_port = self.temporal_ui_port + 1
        return self

    @field_validator("lookup_key")
    @classmethod
    def _lookup_key_parses(cls, value: str) -> str:
        parse_lookup_key(value)
        return value

    @field_validator("audit_keys")
    @classmethod
    def _audit_keys_parse(cls, value: str) -> str:
        parse_keys(value, kind="审计密钥", cipher=False)
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_parse(cls, value: str) -> str:
        value = value.strip()
        if value == "*":
            return value
        for item in value.split(","):
            try:
                ip_network(item.strip(), strict=False)
            except ValueError:
                raise ValueError(
                    f"可信代理地址无效：{item.strip()!r}，应为 IP 地址或网段（如 10.0.0.0/8），"
                    "以逗号分隔，或 *"
                ) from None
        return value

    @field_validator("public_rate_limit", "login_rate_limit")
    @classmethod
    def _rate_limit_parses(cls, value: str) -> str:
        try:
            parse(value)
        except ValueError:
            raise ValueError("频率限制格式应如 30/minute、10/second 或 100/hour") from None
        return value

    def production_problems(self) -> list[str]:
        """Why this configuration must not run in production (empty when it may)."""
        if self.environment != "production":
            return []
        problems = self._development_keys("生产环境必须配置自己的密钥")
        if self.codec_require_sealed is False:
            problems.append(
                "XUEJI_CODEC_REQUIRE_SEALED 为 false：生产环境必须拒绝未加密的 Temporal 数据"
            )
        if self.sms_url and secrets.compare_digest(
            self.sms_secret.get_secret_value(), DEV_SMS_SECRET
        ):
            problems.append("XUEJI_SMS_SECRET 使用了公开的开发密钥，生产环境必须配置短信网关的密钥")
        if self.pdf_font is not None and not self.pdf_font.is_file():
            problems.append(f"XUEJI_PDF_FONT 指定的字体文件 {self.pdf_font} 不存在")
        host = self.temporal_address.rpartition(":")[0] or self.temporal_address
        api_key = self.temporal_api_key.get_secret_value()
        if not _is_loopback(host) and self.temporal_tls_cert is None and not api_key:
            problems.append(
                f"XUEJI_TEMPORAL_ADDRESS 指向其他主机（{host}）：生产环境必须以双向 TLS 连接"
                " Temporal（XUEJI_TEMPORAL_TLS_CERT、XUEJI_TEMPORAL_TLS_KEY）或使用 API 密钥"
            )
        return problems

    def exposure_refusal(self, host: str) -> str | None:
        """What `xueji api` and `xueji dev` say when refusing to listen on `host` (one line
        per problem), or None when they may."""
        problems = self.exposure_problems(host)
        if not problems:
            return None
        return "拒绝启动 API：\n" + "\n".join(f"  {problem}" for problem in problems)

    def exposure_problems(self, host: str) -> list[str]:
        """Why the API must not listen on `host`: the public development keys are only for a
        machine's own loopback address, whatever XUEJI_ENVIRONMENT says."""
        if _is_loopback(host):
            return []
        return self._development_keys(
            f"监听 {host} 时必须配置自己的密钥（开发密钥只可用于本机 127.0.0.1）"
        )

    def _development_keys(self, why: str) -> list[str]:
        problems = []
        for name, public in (
            ("XUEJI_PAYLOAD_KEYS", is_dev_key(self.payload_keys)),
            ("XUEJI_STORE_KEYS", is_dev_key(self.store_keys)),
            ("XUEJI_LOOKUP_KEY", is_dev_lookup_key(self.lookup_key)),
            ("XUEJI_AUDIT_KEYS", is_dev_audit_key(self.audit_keys)),
        ):
            if public:
                problems.append(f"{name} 使用了公开的开发密钥，{why}")
        return problems

    @property
    def outbox_schedule_id(self) -> str:
        """The id of the Temporal Schedule that sends the outbox (xueji/schedules.py)."""
        return f"{self.temporal_task_queue}-outbox"

    @property
    def codec_requires_sealed(self) -> bool:
        """Whether the payload codec refuses plain payloads (see codec_require_sealed)."""
        if self.codec_require_sealed is None:
            return self.environment == "production"
        return self.codec_require_sealed

    @property
    def lookup_key_bytes(self) -> bytes:
        return parse_lookup_key(self.lookup_key)

    @property
    def store_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'xueji.db'}"

    @property
    def store_file(self) -> Path | None:
        """The store's SQLite file; None when the store is another database (PostgreSQL)."""
        url = self.store_url
        return Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None

    @property
    def audit_heads_path(self) -> Path:
        return self.audit_heads or self.data_dir / "audit-heads.jsonl"

    @property
    def audit_store_url(self) -> str:
        """Where audit records are written: the audit role's URL, else the store's."""
        return self.audit_database_url or self.store_url

    @property
    def calendar_path(self) -> Path:
        return self.calendar_dir or self.data_dir / "calendar"

    @property
    def attachment_path(self) -> Path:
        return self.attachment_dir or self.data_dir / "attachments"

    @property
    def temporal_db_path(self) -> Path:
        return self.data_dir / "temporal.db"


class SettingsError(Exception):
    """A configuration that cannot be used; the message names each variable and why."""


@lru_cache
def get_settings() -> Settings:
    """This process's settings, from the environment and `.env`; SettingsError when a value
    cannot be used."""
    try:
        return Settings()
    except ValidationError as exc:
        raise SettingsError(describe(exc)) from None


def describe(error: ValidationError) -> str:
    """The problems of a configuration, one line each, by environment variable, in Chinese."""
    lines = []
    for problem in error.errors():
        message = problem["msg"].removeprefix("Value error, ")
        if not problem["loc"]:  # a rule between variables: its message names them
            lines.append(f"  {message}")
            continue
        lines.append(f"  XUEJI_{str(problem['loc'][0]).upper()}: {message}")
    return "配置有误：\n" + "\n".join(lines)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:  # a host name: it may resolve to anything
        return False
