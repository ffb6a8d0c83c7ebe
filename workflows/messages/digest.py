"""What the daily oversight digest (督办日报) passes between its workflow and its activity."""

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class DigestRequest:
    at: datetime  # when the Schedule started the run (08:30 Beijing time)


@dataclass(frozen=True)
class DigestResult:
    day: str  # the Beijing day, YYYY-MM-DD
    working_day: bool  # False: nothing was sent (a weekend or a holiday)
    units: int  # the units told
