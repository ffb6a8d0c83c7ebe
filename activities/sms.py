"""SMS delivery of the complainant's notices through an HTTP SMS gateway.

The request has the common shape of Chinese SMS providers: a JSON POST naming a template
registered with the provider and its parameters (never free text), the sign name, the phone
number and an out-id (the outbox row's key, so the gateway drops a repeated request), signed
with HMAC-SHA256 over the canonical request in the `Authorization` header. The templates are
all here: short, no names, at most the tracking number.
"""

import base64
import hashlib
import hmac
import json
import re
import secrets
import time
from dataclasses import dataclass, field
from string import Template
from urllib.parse import urlsplit

import httpx

from core.settings import Settings

SIGNATURE_SCHEME = "XUEJI-HMAC-SHA256"
SIGNATURE_MAX_SKEW = 300  # seconds a request's timestamp may be off the gateway's clock

# Template code -> wording, as registered with the provider (${name} marks a parameter). The
# parameters are public: the tracking number, and the handling unit's name and published phone.
TEMPLATES = {
    "XUEJI_REGISTERED": "您的学籍投诉已受理，受理编号${tracking_no}，凭受理编号和查询码可查进度。",
    "XUEJI_TRANSFERRED": "您的学籍投诉（受理编号${tracking_no}）已转由${unit}办理。",
    "XUEJI_REFERRED": "您反映的学籍问题由${unit}负责处理，请拨打其投诉电话${hotline}。",
    "XUEJI_INFORMED": "您的学籍投诉（受理编号${tracking_no}）已办结，凭受理编号和查询码可查结果。",
    "XUEJI_WITHDRAWN": "您的学籍投诉（受理编号${tracking_no}）已撤回。",
    "XUEJI_PROGRESS": "您的学籍投诉（受理编号${tracking_no}）有新进展，凭受理编号和查询码可查。",
}
# Which template tells the complainant of each kind of notice (KIND_LABELS in notify).
TEMPLATE_OF_KIND = {
    "registered": "XUEJI_REGISTERED",
    "transferred": "XUEJI_TRANSFERRED",
    "referred": "XUEJI_REFERRED",
    "informed": "XUEJI_INFORMED",
    "withdrawn": "XUEJI_WITHDRAWN",
}
OTHER_KIND_TEMPLATE = "XUEJI_PROGRESS"

_MOBILE = re.compile(r"1[3-9]\d{9}")
_SAFE_CODE = re.compile(r"[A-Za-z0-9_.-]{1,40}")  # a gateway's error code, fit for last_error


@dataclass(frozen=True)
class OutgoingSms:
    phone: str
    template_code: str
    params: dict[str, str] = field(default_factory=dict)
    out_id: str = ""  # the outbox row's key: the gateway drops a second request with it


class SmsRefused(Exception):
    """The gateway answered but did not take the message; `code` is its error code."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def is_mobile(phone: str) -> bool:
    """Whether `phone` (as registered, normalised) is a mainland mobile number, which can
    receive SMS; a landline cannot."""
    return _MOBILE.fullmatch(phone.strip()) is not None


def sms_for(kind: str, facts: dict[str, str], *, phone: str, out_id: str) -> OutgoingSms:
    """The SMS telling the complainant of a notice of `kind`, its template's parameters taken
    from `facts` (tracking_no, unit, hotline)."""
    code = TEMPLATE_OF_KIND.get(kind, OTHER_KIND_TEMPLATE)
    names = Template(TEMPLATES[code]).get_identifiers()
    return OutgoingSms(phone, code, {name: facts.get(name, "") for name in names}, out_id)


def render(template_code: str, params: dict[str, str]) -> str:
    """The text a template with these parameters reads as (what the phone shows)."""
    return Template(TEMPLATES[template_code]).safe_substitute(params)


def canonical_request(method: str, path: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    """What the signature covers: method, path, timestamp, nonce and the body's SHA-256."""
    digest = hashlib.sha256(body).hexdigest()
    return "\n".join([method.upper(), path, timestamp, nonce, digest]).encode()


def signature(secret: str, canonical: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), canonical, hashlib.sha256).digest()).decode()


def authorization(access_key: str, timestamp: str, nonce: str, signed: str) -> str:
    return (
        f"{SIGNATURE_SCHEME} AccessKeyId={access_key}, Timestamp={timestamp},"
        f" Nonce={nonce}, Signature={signed}"
    )


def parse_authorization(header: str) -> dict[str, str] | None:
    """The fields of an `Authorization` header made by `authorization`; None for another."""
    scheme, _, rest = header.partition(" ")
    if scheme != SIGNATURE_SCHEME:
        return None
    fields = dict(part.strip().partition("=")[::2] for part in rest.split(","))
    wanted = {"AccessKeyId", "Timestamp", "Nonce", "Signature"}
    return fields if wanted <= fields.keys() else None


class SmsNotifier:
    """A signed JSON POST a message to an SMS gateway; one request a message."""

    def __init__(
        self, url: str, access_key: str, secret: str, sign_name: str, *, timeout: float = 10.0
    ) -> None:
        self._url, self._path = url, urlsplit(url).path or "/"
        self._access_key, self._secret = access_key, secret
        self._sign_name, self._timeout = sign_name, timeout

    @classmethod
    def from_settings(cls, settings: Settings) -> "SmsNotifier | None":
        """The configured notifier; None when `sms_url` is empty (no SMS)."""
        if not settings.sms_url:
            return None
        return cls(
            settings.sms_url,
            settings.sms_access_key,
            settings.sms_secret.get_secret_value(),
            settings.sms_sign_name,
        )

    def send(self, sms: OutgoingSms) -> None:
        """Deliver one message or raise: httpx's errors, or SmsRefused with the gateway's code."""
        body = json.dumps(
            {
                "phone_number": sms.phone,
                "sign_name": self._sign_name,
                "template_code": sms.template_code,
                "template_param": sms.params,
                "out_id": sms.out_id,
            },
            ensure_ascii=False,
        ).encode()
        timestamp, nonce = str(int(time.time())), secrets.token_hex(16)
        signed = signature(
            self._secret, canonical_request("POST", self._path, timestamp, nonce, body)
        )
        response = httpx.post(
            self._url,
            content=body,
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Authorization": authorization(self._access_key, timestamp, nonce, signed),
            },
            timeout=self._timeout,
        )
        response.raise_for_status()
        code = str(response.json().get("code", ""))
        if code != "OK":
            raise SmsRefused(code if _SAFE_CODE.fullmatch(code) else "")
