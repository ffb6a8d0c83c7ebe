"""/api/codec: the remote payload codec of the Temporal Web UI (decode only).

Staff who work on cases may read the decrypted history of a case's workflow in the Web UI,
within their unit's jurisdiction (DESIGN §7); administrators and auditors may not. The UI
calls from its own origin (see api/cors.py).
"""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from temporalio.api.common.v1 import Payload, Payloads

from api.deps import SessionDep, TreeDep
from api.schemas.codec import PayloadsBody
from api.security import Authenticated, Staff, check_role, codec_session, field_error, usable
from core.codec import (
    EncryptionCodec,
    bound_workflow_id,
    codec_from_spec,
    is_sealed,
    payloads_from_json,
    payloads_to_json,
)
from domain.roles import CASE_STAFF
from store.queries import readable_workflows

router = APIRouter(prefix="/api/codec", tags=["codec"])
MAX_NAMED = 20  # workflows named in one decode's audit record


def _reader(authenticated: Annotated[Authenticated, Depends(codec_session)]) -> Staff:
    """A clerk, handler or leader of a bureau, by bearer token or by the codec cookie."""
    staff = usable(authenticated)
    check_role(staff, CASE_STAFF)
    return staff


async def _codec(request: Request) -> EncryptionCodec:
    codec = getattr(request.app.state, "codec", None)
    if codec is None:
        codec = request.app.state.codec = codec_from_spec(request.app.state.settings.payload_keys)
    return codec  # type: ignore[no-any-return]


@router.post("/decode")
def decode(
    request: Request,
    body: PayloadsBody,
    staff: Annotated[Staff, Depends(_reader)],
    codec: Annotated[EncryptionCodec, Depends(_codec)],
    session: SessionDep,
    tree: TreeDep,
) -> dict[str, Any]:
    """Decrypt the payloads of workflows the caller's unit may see: a case's (and its slips')
    when the unit handles it, lies on a slip's route or is above the handling unit; a
    campaign's when the unit opened it or must report to it. Payloads sealed before they were
    bound to a workflow open only for the Ministry's staff, who see every case. Any other
    payload comes back as it was, still encrypted; a payload never sealed passes. The audit
    record names the workflows whose payloads were opened (a read of personal data)."""
    try:
        payloads = payloads_from_json(body.model_dump()).payloads
    except ValueError as exc:  # a bad shape or bad base64
        raise field_error("payloads", [str(exc)]) from None
    bound = {bound_workflow_id(payload) for payload in payloads if is_sealed(payload)}
    readable = readable_workflows(
        session=session,
        unit_code=staff.unit_code,
        workflow_ids={workflow_id for workflow_id in bound if workflow_id is not None},
    )
    sees_every_case = staff.unit_code == tree().root.code

    def may_open(payload: Payload) -> bool:
        workflow_id = bound_workflow_id(payload)
        return sees_every_case if workflow_id is None else workflow_id in readable

    opened_ids = sorted(
        {bound_workflow_id(p) or "unbound" for p in payloads if is_sealed(p) and may_open(p)}
    )
    request.state.audit_detail = f"opened={','.join(opened_ids[:MAX_NAMED])}" if opened_ids else ""
    try:
        opened = [
            codec.decrypt(payload) if is_sealed(payload) and may_open(payload) else payload
            for payload in payloads
        ]
    except ValueError as exc:  # an unknown key or altered data
        raise field_error("payloads", [str(exc)]) from None
    return payloads_to_json(Payloads(payloads=opened))
