"""This machine as the tests use it: free ports, and the commands they run as subprocesses."""

import socket
import sys
from pathlib import Path

import pytest

XUEJI = str(Path(sys.executable).parent / "xueji")  # the installed console script
WORKER_SCRIPT = str(Path(__file__).parents[2] / "worker.py")  # `python worker.py`


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# Tests that start whole systems in subprocesses (`xueji dev`, `python worker.py`) or race
# threads against a clock: one worker runs them one after another, so no two of them crowd
# the two cores at once (`--dist loadgroup`, see the Makefile).
WHOLE_SYSTEM = pytest.mark.xdist_group("whole-system")
