"""The SDK's workflow sandbox, with less of its glue work per payload.

The sandbox runs the workflow code in its own module namespace. To reach it, the SDK runs a
short piece of Python source through `exec()` (which compiles it every time): once per
activation, and once or twice per payload for the payload's serialization context (which
workflow a payload belongs to, what the codec binds it to) and its external-store context.
On a complaint's path those compiles and the import hook put around each one were about a
sixth of the worker's busy time in a profile (bench/README.md).

Here each piece of source is compiled once per process, and the two context look-ups are
asked of the sandboxed instance directly: they read the workflow's own pending commands and
info (no import, no workflow code runs), so they need neither `exec` nor the import hook.
Everything that runs workflow code (start, activations) goes through the sandbox as before.

This leans on the SDK's private `_Instance`; tests/workflows/test_sandbox.py checks that the
worker's runner still is this one and binds payloads to the right workflows, so an SDK that
changes it fails there.
"""

from __future__ import annotations

import functools
from types import CodeType
from typing import Any, cast

from temporalio.converter import SerializationContext
from temporalio.converter._extstore import StorageDriverStoreContext
from temporalio.worker._command_aware_visitor import CommandInfo
from temporalio.worker._workflow_instance import WorkflowInstance, WorkflowInstanceDetails
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner
from temporalio.worker.workflow_sandbox._runner import _Instance


@functools.lru_cache(maxsize=256)
def _compiled(source: str) -> CodeType:
    # The SDK's sources are a few constants, and one import line per workflow class.
    return compile(source, "<string>", "exec")


class _LeanInstance(_Instance):
    def _run_code(self, code: str, **extra_globals: Any) -> None:
        super()._run_code(cast(str, _compiled(code)), **extra_globals)

    def get_serialization_context(
        self, command_info: CommandInfo | None
    ) -> SerializationContext | None:
        return cast(
            SerializationContext | None,
            self._in_sandbox.get_serialization_context(command_info),
        )

    def get_external_store_context(
        self, command_info: CommandInfo | None
    ) -> StorageDriverStoreContext:
        return cast(
            StorageDriverStoreContext, self._in_sandbox.get_external_store_context(command_info)
        )

    @property
    def _in_sandbox(self) -> Any:
        return self.globals_and_locals["__temporal_in_sandbox"]


class LeanSandboxedWorkflowRunner(SandboxedWorkflowRunner):
    """The sandboxed runner, its instances as above."""

    def create_instance(self, det: WorkflowInstanceDetails) -> WorkflowInstance:
        return _LeanInstance(det, self.runner_class, self.restrictions)
