"""A small SMS gateway of our own, for `xueji dev` and the tests: a real HTTP server on
127.0.0.1 that takes the requests `activities.sms.SmsNotifier` makes, as a provider would.

It checks each request's signature (known access key, timestamp within five minutes, nonce
not seen before, HMAC-SHA256 over the canonical request), the template and the number, takes
each out-id once (a repeat is answered as the first was, and not delivered again), and keeps
what it received. Nothing is sent to any phone; the log shows each message with the number
masked (138****5678).
"""

import json
import logging
import secrets
import signal
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType
from typing import Any

from activities.sms import (
    SIGNATURE_MAX_SKEW,
    TEMPLATES,
    canonical_request,
    is_mobile,
    parse_authorization,
    render,
    signature,
)
from domain.ids import mask_phone

log = logging.getLogger(__name__)

PATH = "/sms"
MAX_BODY = 64 * 1024


@dataclass(frozen=True)
class ReceivedSms:
    phone: str
    sign_name: str
    template_code: str
    params: dict[str, str]
    out_id: str
    message_id: str

    @property
    def text(self) -> str:
        """What the phone would show: the sign name in brackets, then the template's text."""
        return f"【{self.sign_name}】{render(self.template_code, self.params)}"

    def log_line(self) -> str:
        """One line for the log: the number masked, nothing else personal (templates hold none)."""
        return f"短信 → {mask_phone(self.phone)}：{self.text}（out-id {self.out_id}）"


class _Refusal(Exception):
    def __init__(self, status: int, code: str) -> None:
        super().__init__(code)
        self.status, self.code = status, code


class SmsGateway:
    """The gateway on 127.0.0.1:`port` (0: any free port) in a thread of this process.

    `received` holds each message once; `requests` counts the signed requests taken
    (repeats of an out-id included); `refuse` maps a phone number to the error code the
    gateway answers it with, as a provider refuses a number.
    """

    def __init__(
        self,
        credentials: Mapping[str, str],
        *,
        port: int = 0,
        on_receive: Callable[[ReceivedSms], None] | None = None,
    ) -> None:
        self._credentials = dict(credentials)
        self._on_receive = on_receive
        self._lock = threading.Lock()
        self._nonces: set[str] = set()
        self._by_out_id: dict[str, ReceivedSms] = {}
        self.received: list[ReceivedSms] = []
        self.requests = 0
        self.refuse: dict[str, str] = {}
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler_class())
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{PATH}"

    def start(self) -> "SmsGateway":
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()

    def __enter__(self) -> "SmsGateway":
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def take(self, path: str, headers: Mapping[str, str], body: bytes) -> dict[str, Any]:
        """Check and record one request; its JSON answer, or _Refusal."""
        if path != PATH:
            raise _Refusal(404, "NotFound")
        self._check_signature(path, headers, body)
        try:
            request = json.loads(body)
            phone, code = str(request["phone_number"]), str(request["template_code"])
            params = {str(k): str(v) for k, v in dict(request["template_param"]).items()}
            sign_name, out_id = str(request["sign_name"]), str(request["out_id"])
        except (ValueError, KeyError, TypeError):
            raise _Refusal(400, "InvalidParameters") from None
        if code not in TEMPLATES:
            raise _Refusal(400, "InvalidTemplateCode")
        if not is_mobile(phone):
            return {"code": "MobileNumberIllegal"}
        if phone in self.refuse:
            return {"code": self.refuse[phone]}
        with self._lock:
            if out_id and out_id in self._by_out_id:  # a repeat: answered, not delivered again
                return {"code": "OK", "message_id": self._by_out_id[out_id].message_id}
            sms = ReceivedSms(phone, sign_name, code, params, out_id, secrets.token_hex(8))
            self.received.append(sms)
            if out_id:
                self._by_out_id[out_id] = sms
        if self._on_receive is not None:
            self._on_receive(sms)
        return {"code": "OK", "message_id": sms.message_id}

    def _check_signature(self, path: str, headers: Mapping[str, str], body: bytes) -> None:
        fields = parse_authorization(headers.get("Authorization", ""))
        if fields is None:
            raise _Refusal(401, "MissingSignature")
        secret = self._credentials.get(fields["AccessKeyId"])
        if secret is None:
            raise _Refusal(401, "InvalidAccessKeyId")
        timestamp, nonce = fields["Timestamp"], fields["Nonce"]
        if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > SIGNATURE_MAX_SKEW:
            raise _Refusal(401, "RequestExpired")
        expected = signature(secret, canonical_request("POST", path, timestamp, nonce, body))
        if not secrets.compare_digest(expected, fields["Signature"]):
            raise _Refusal(401, "SignatureDoesNotMatch")
        with self._lock:
            if nonce in self._nonces:  # a replayed request
                raise _Refusal(401, "NonceUsed")
            self._nonces.add(nonce)
            self.requests += 1

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            # Keep-alive: the client closes first, so no TIME_WAIT holds the port after a stop.
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length > MAX_BODY:
                    self._answer(413, {"code": "BodyTooLarge"})
                    return
                body = self.rfile.read(length)
                try:
                    answer = gateway.take(self.path, dict(self.headers.items()), body)
                except _Refusal as refusal:
                    log.warning("短信网关拒绝请求：%s %s", refusal.status, refusal.code)
                    self._answer(refusal.status, {"code": refusal.code})
                    return
                self._answer(200, answer)

            def _answer(self, status: int, answer: dict[str, Any]) -> None:
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # the access log adds nothing the message lines do not say

        return Handler


def main() -> None:
    """`python -m xueji.sms_gateway`: the local gateway of `xueji dev`, on XUEJI_SMS_DEV_PORT,
    taking the configured access key; each message is printed, its number masked."""
    from core.settings import get_settings

    settings = get_settings()
    credentials = {settings.sms_access_key: settings.sms_secret.get_secret_value()}

    def show(sms: ReceivedSms) -> None:
        print(f"[短信网关] {sms.log_line()}", flush=True)

    def stop(_signum: int, _frame: FrameType | None) -> None:
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    logging.basicConfig(level=logging.INFO, format="[短信网关] %(message)s")
    gateway = SmsGateway(credentials, port=settings.sms_dev_port, on_receive=show)
    print(f"[短信网关] 本地短信网关已启动：{gateway.url}（短信不会真正发出）", flush=True)
    gateway.serve_forever()


if __name__ == "__main__":
    main()
