"""Request bodies over the limit are refused (413, in Chinese) before anything reads them, the
login included: by the declared length at once, and by counting a body sent in chunks; the
organisation tree's import has a larger limit of its own."""

import json
from collections.abc import Iterator

from tests.support.api_support import Api

MB = 1024 * 1024


def chunks(total: int, size: int = 64 * 1024) -> Iterator[bytes]:
    """A JSON body of `total` bytes, sent in chunks (no Content-Length)."""
    yield b'{"username": "big", "password": "'
    sent = 33
    while sent < total:
        yield b"x" * size
        sent += size
    yield b'"}'


def test_a_declared_body_over_the_limit_is_refused_before_the_login_reads_it(api: Api) -> None:
    api.add_user("big")
    body = json.dumps({"username": "big", "password": "x" * (2 * MB)})
    answer = api.client.post(
        "/api/auth/login", content=body, headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 413
    assert answer.json() == {"detail": "请求内容过大：不得超过 1 MB"}
    assert api.user("big").failed_logins == 0  # nothing was tried


def test_a_chunked_body_is_counted_as_it_arrives(api: Api) -> None:
    answer = api.client.post(
        "/api/auth/login", content=chunks(2 * MB), headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 413
    assert answer.json() == {"detail": "请求内容过大：不得超过 1 MB"}
    small = api.client.post(
        "/api/auth/login",
        content=chunks(40, size=8),
        headers={"Content-Type": "application/json"},
    )
    assert small.status_code == 401  # read, and refused as a login


def test_the_tree_import_takes_a_larger_body(api: Api) -> None:
    body = json.dumps({"units": [], "schools": [{"name": "x" * 100}] * 30000})  # about 3 MB
    answer = api.client.post(
        "/api/org/import", content=body, headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 401  # past the size check: then refused for want of a login
    refused = api.client.post(
        "/api/org/import",
        content=b"{}",
        headers={"Content-Type": "application/json", "Content-Length": str(65 * MB)},
    )
    assert refused.status_code == 413 and refused.json()["detail"].endswith("64 MB")
