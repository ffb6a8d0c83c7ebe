"""The local system's processes as `xueji dev` starts them (Temporal, the worker, the API),
each startable, stoppable and killable on its own, for the end-to-end tests."""

import signal
from dataclasses import dataclass, field
from pathlib import Path

from core.settings import Settings
from xueji.dev import Supervisor, child_env, local_commands


@dataclass
class System:
    """The three processes of the local system as `xueji dev` starts them, each startable and
    stoppable on its own, their output in one log file each."""

    settings: Settings
    logs: Path
    supervisor: Supervisor = field(default_factory=Supervisor)

    def start(self, name: str) -> None:
        command = local_commands(self.settings)[name]
        log = self.logs / f"{name}.log"
        self.supervisor.start(name, command, child_env(self.settings), log=log)

    def stop(self, name: str, sig: int = signal.SIGTERM) -> None:
        self.supervisor.stop(name, sig)

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.settings.api_port}"
