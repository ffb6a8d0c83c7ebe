"""Evidence files in both blob stores, the local folder and a real S3-compatible server
(SeaweedFS): kept sealed, bound to their id, readable after a key rotation, and checked
against their hash when read."""

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, SQLModel, create_engine

from core.keys import DEV_KEY_SPEC
from store import attachments
from store.blobs import BlobMissing, BlobStore, LocalBlobs, S3Blobs
from store.models import Attachment
from store.sealing import Sealer
from tests.support.case_support import T0
from tests.support.s3_server import S3Store

SEALER = Sealer(DEV_KEY_SPEC)
NEW_KEY = "k2:" + base64.b64encode(b"k" * 32).decode()
PDF = b"%PDF-1.4\n" + "学籍注销凭证".encode() * 100


@pytest.fixture(params=["folder", "s3"])
def blobs(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    if request.param == "folder":
        return LocalBlobs(tmp_path / "attachments")
    s3: S3Store = request.getfixturevalue("s3_store")
    return S3Blobs(s3.endpoint, "xueji-attachments", s3.access_key, s3.secret_key)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = create_engine(f"sqlite:///{tmp_path / 'store.db'}")
    SQLModel.metadata.create_all(engine)
    yield engine
    engine.dispose()


def test_a_file_is_kept_sealed_and_bound_to_its_id(blobs: BlobStore, engine: Engine) -> None:
    with Session(engine) as session:
        row = _add(session, blobs)
    sealed = blobs.get(row.blob_key)
    assert PDF[:9] not in sealed and "学籍".encode() not in sealed
    assert attachments.content(row, blobs=blobs, sealer=SEALER) == PDF
    assert attachments.name_of(row, SEALER) == "注销凭证.pdf"

    # Copied under another id, the sealed file no longer opens; a missing one says so.
    blobs.put("0" * 32, sealed)
    moved = row.model_copy(update={"id": "0" * 32, "blob_key": "0" * 32})
    with pytest.raises(ValueError):
        attachments.content(moved, blobs=blobs, sealer=SEALER)
    with pytest.raises(BlobMissing):
        blobs.get("f" * 32)

    # `xueji keys rotate` seals it again under the new key; then the old key may go.
    rotated = Sealer(f"{NEW_KEY},{DEV_KEY_SPEC}")
    assert attachments.content(row, blobs=blobs, sealer=rotated) == PDF
    report = attachments.rotate_files(engine, blobs, rotated)
    assert (report.resealed, report.current, report.failed) == (1, 0, [])
    assert attachments.rotate_files(engine, blobs, rotated).current == 1
    assert attachments.content(row, blobs=blobs, sealer=Sealer(NEW_KEY)) == PDF
    with pytest.raises(ValueError):
        attachments.content(row, blobs=blobs, sealer=SEALER)


def _add(session: Session, blobs: BlobStore) -> Attachment:
    return attachments.add(
        session=session,
        blobs=blobs,
        sealer=SEALER,
        complaint_id="c1",
        purpose="case",
        slip_id="",
        unit_code="130100",
        uploaded_by="sjz.handler",
        uploaded_at=T0,
        file=attachments.NewFile("注销凭证.pdf", PDF, "application/pdf"),
    )
