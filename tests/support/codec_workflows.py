"""A workflow for the encryption test: personal data in its input, activities, failure, result."""

from dataclasses import dataclass
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from temporalio.exceptions import ActivityError, ApplicationError

# Activities are defined by the test (tests/test_codec.py) and called here by name.
RECORD_ACTIVITY = "codec_probe_record"
REFUSE_ACTIVITY = "codec_probe_refuse"


@dataclass
class ComplainantProbe:
    phone: str
    name: str
    complaint: str


@dataclass
class ProbeOutcome:
    receipt: str  # what the record activity answered
    refusal: str  # the message of the refusing activity's ApplicationError, as the workflow saw it


@workflow.defn
class CodecProbe:
    @workflow.run
    async def run(self, probe: ComplainantProbe) -> ProbeOutcome:
        receipt = await workflow.execute_activity(
            RECORD_ACTIVITY,
            probe,
            result_type=str,
            start_to_close_timeout=timedelta(seconds=10),
        )
        try:
            await workflow.execute_activity(
                REFUSE_ACTIVITY,
                probe,
                start_to_close_timeout=timedelta(seconds=10),
                retry_policy=RetryPolicy(maximum_attempts=1),
            )
        except ActivityError as err:
            refusal = err.cause.message if isinstance(err.cause, ApplicationError) else str(err)
            return ProbeOutcome(receipt=receipt, refusal=refusal)
        return ProbeOutcome(receipt=receipt, refusal="")
