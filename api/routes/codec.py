"""/api/codec: the remote payload codec of the Temporal Web UI (decode only).

Staff who work on cases may read the decrypted history of a case's workflow in the Web UI;
administrators and auditors may not. The UI calls from its own origin (see api/cors.py).
"""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from api.deps import CaseStaffDep
from api.security import field_error
from xueji.codec import EncryptionCodec, codec_from_spec, decode_payloads_json

router = APIRouter(prefix="/api/codec", tags=["codec"])


class PayloadsBody(BaseModel):
    """Temporal's remote-codec JSON: `{"payloads": [{"metadata": {k: base64}, "data": base64}]}`."""

    payloads: list[dict[str, Any]]


async def _codec(request: Request) -> EncryptionCodec:
    codec = getattr(request.app.state, "codec", None)
    if codec is None:
        codec = request.app.state.codec = codec_from_spec(request.app.state.settings.payload_keys)
    return codec  # type: ignore[no-any-return]


@router.post("/decode")
async def decode(
    body: PayloadsBody, _: CaseStaffDep, codec: Annotated[EncryptionCodec, Depends(_codec)]
) -> dict[str, Any]:
    """Decrypt payloads with the configured payload keys; a payload never sealed passes."""
    try:
        return await decode_payloads_json(codec, body.model_dump())
    except ValueError as exc:  # a bad shape, bad base64, an unknown key or altered data
        raise field_error("payloads", [str(exc)]) from None
