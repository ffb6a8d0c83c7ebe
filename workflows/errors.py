"""Why a staff action is refused; the API maps each kind to its HTTP status."""

from temporalio.exceptions import ApplicationError

WRONG_STAGE = "WrongStep"  # 409: the case is at another stage (the API's error type name)
ALREADY_DONE = "AlreadyDone"  # 409: the action was done already, or the case is closed
WRONG_UNIT = "WrongUnit"  # 403: another unit must act
UNKNOWN_SLIP = "UnknownSlip"  # 404: no such slip in this case
UNKNOWN_UNIT = "UnknownUnit"  # 422: a unit or school code that the tree does not hold
INVALID_INPUT = "InvalidInput"  # 422: a field is missing or malformed


class ActionRefused(ApplicationError):
    """A staff action that does not apply now; the message says why, in Chinese."""

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message, type=kind, non_retryable=True)
