"""This machine as the tests use it: free ports, and the commands they run as subprocesses."""

import socket
import sys
from pathlib import Path

XUEJI = str(Path(sys.executable).parent / "xueji")  # the installed console script
WORKER_COMMAND = [sys.executable, "-m", "xueji.worker"]  # as `xueji dev` starts it
WORKER_SCRIPT = str(Path(__file__).parents[2] / "worker.py")  # `python worker.py`


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
