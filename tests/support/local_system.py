"""The local system's processes as `xueji dev` starts them (Temporal, the worker, the API),
each startable, stoppable and killable on its own, for the end-to-end tests."""

import signal
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.settings import Settings
from tests.support.local import free_port
from xueji.dev import Supervisor, child_env, local_commands


def local_settings(data_dir: Path, *, metrics: bool = False, **changes: Any) -> Settings:
    """Settings of a local system in `data_dir` (its SQLite store, its dev server's file) that
    listens only on free ports: the dev server, its Web UI and the UI's inner port, the API and,
    with `metrics`, the worker's and the API's Prometheus endpoints (otherwise none)."""
    ports: dict[str, Any] = {
        "temporal_address": f"127.0.0.1:{free_port()}",
        "temporal_ui_port": free_port(),
        "temporal_ui_inner_port": free_port(),
        "api_port": free_port(),
    }
    if metrics:
        ports |= {"worker_metrics_port": free_port(), "api_metrics_port": free_port()}
    return Settings(data_dir=data_dir, **(ports | changes))


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
