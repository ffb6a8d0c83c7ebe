"""The complaint process on the time-skipping server with the real worker, for each test."""

from pathlib import Path
from typing import Any

import pytest

from tests.support.process_support import running_process


@pytest.fixture
async def process(tmp_path: Path) -> Any:
    async with running_process(tmp_path / "data") as running:
        yield running
