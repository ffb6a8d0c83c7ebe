"""Where the sealed evidence files (附件) are kept: a local folder by default, or any
S3-compatible object store (XUEJI_ATTACHMENT_S3_ENDPOINT) through the MinIO client.

A blob store only ever sees sealed bytes (store/sealing.py, bound to the file's id), so an
object store operator, a backup or a stolen disk reads nothing; keys are the files' opaque ids.
"""

import os
import tempfile
from io import BytesIO
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from minio import Minio
from minio.error import S3Error

from core.settings import Settings


class BlobMissing(LookupError):
    """No blob under that key."""


class BlobStore(Protocol):
    def put(self, key: str, data: bytes) -> None: ...
    def get(self, key: str) -> bytes: ...


class LocalBlobs:
    """One file a blob in a folder, written whole (a temporary file renamed), owner-only."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def put(self, key: str, data: bytes) -> None:
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        handle, temporary = tempfile.mkstemp(dir=self.root, prefix=".upload-")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, self._path(key))
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise BlobMissing(key) from None

    def _path(self, key: str) -> Path:
        if not key.isalnum():  # opaque hex ids only: never a path of the caller's making
            raise ValueError(f"blob key {key!r} is not an id")
        return self.root / key


class S3Blobs:
    """Blobs as objects of one bucket of an S3-compatible store (created when missing)."""

    def __init__(
        self, endpoint: str, bucket: str, access_key: str, secret_key: str, region: str = ""
    ) -> None:
        url = urlsplit(endpoint if "://" in endpoint else f"https://{endpoint}")
        self.client = Minio(
            url.netloc,
            access_key=access_key,
            secret_key=secret_key,
            secure=url.scheme == "https",
            region=region or None,
        )
        self.bucket = bucket
        self._bucket_known = False

    def put(self, key: str, data: bytes) -> None:
        if not self._bucket_known:
            if not self.client.bucket_exists(self.bucket):
                self.client.make_bucket(self.bucket)
            self._bucket_known = True
        self.client.put_object(
            self.bucket, key, BytesIO(data), len(data), content_type="application/octet-stream"
        )

    def get(self, key: str) -> bytes:
        try:
            answer = self.client.get_object(self.bucket, key)
        except S3Error as error:
            if error.code in ("NoSuchKey", "NoSuchBucket"):
                raise BlobMissing(key) from None
            raise
        try:
            return answer.read()
        finally:
            answer.close()
            answer.release_conn()


def blob_store(settings: Settings) -> BlobStore:
    """The blob store the settings configure: S3 when an endpoint is set, else the folder."""
    if settings.attachment_s3_endpoint:
        return S3Blobs(
            settings.attachment_s3_endpoint,
            settings.attachment_s3_bucket,
            settings.attachment_s3_access_key,
            settings.attachment_s3_secret_key.get_secret_value(),
            settings.attachment_s3_region,
        )
    return LocalBlobs(settings.attachment_path)
