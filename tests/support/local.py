"""This machine as the tests use it: free ports, and the commands they run as subprocesses."""

import os
import random
import socket
import sys
from pathlib import Path

import pytest

XUEJI = str(Path(sys.executable).parent / "xueji")  # the installed console script
WORKER_SCRIPT = str(Path(__file__).parents[2] / "worker.py")  # `python worker.py`


# Ports the tests hand to servers they start are taken below the system's ephemeral range
# (32768-60999 here): a port the kernel picked with bind(0) and let go could be picked again at
# once for another process's bind(0) or outgoing connection (the dev server takes several that
# way while it starts), so a server started a moment later found its port taken. Each pytest-xdist
# worker draws from its own block, and a process never hands out the same port twice.
_BLOCK = 2_000
_FIRST = 14_000
_handed_out: set[int] = set()


def _block_start() -> int:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")  # gw0, gw1, ...; "" without xdist
    index = int(worker[2:]) + 1 if worker.startswith("gw") and worker[2:].isdigit() else 0
    return _FIRST + (index % 9) * _BLOCK


def free_port() -> int:
    """A port on 127.0.0.1 nobody listens on now, outside the ephemeral range."""
    start = _block_start()
    for _ in range(_BLOCK):
        port = random.randrange(start, start + _BLOCK)
        if port in _handed_out:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    raise RuntimeError(f"no free port in {start}-{start + _BLOCK - 1}")


# Tests that start whole systems in subprocesses (`xueji dev`, `python worker.py`) or race
# threads against a clock: one worker runs them one after another, so no two of them crowd
# the two cores at once (`--dist loadgroup`, see the Makefile).
WHOLE_SYSTEM = pytest.mark.xdist_group("whole-system")
