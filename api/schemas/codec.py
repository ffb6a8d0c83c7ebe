"""The request body of the remote payload codec (/api/codec)."""

from typing import Any

from pydantic import BaseModel


class PayloadsBody(BaseModel):
    """Temporal's remote-codec JSON: `{"payloads": [{"metadata": {k: base64}, "data": base64}]}`."""

    payloads: list[dict[str, Any]]
