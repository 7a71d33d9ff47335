"""What the Network's picture counts, as plain data (no I/O): one counter is a month, a dimension and a
value, crossed with at most the walk's organisation type. There is no row per walk, no timestamp finer
than the month and no answer: a walk adds 1 to (or, changed and seen again, moves 1 between) counters."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

# Every dimension a counter can have (``CellKey.dimension``).
DIMENSIONS = ("walks", "council_service", "treated_as_child", "modern_slavery", "exploitation_type",
              "action_listed", "action_done", "training_sessions", "training_attendees")
MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
# The widest text each column holds (the table's column sizes; longer values are refused before any I/O).
MAX_VALUE = 120
MAX_AGENCY = 200


def month_of(moment: datetime) -> str:
    """The month a moment falls in, as ``YYYY-MM`` (the finest time the counts keep)."""
    return f"{moment.year:04d}-{moment.month:02d}"


def is_month(text: str) -> bool:
    """Whether ``text`` is a month as the counts keep it: ``YYYY-MM``."""
    return bool(MONTH.match(text))


@dataclass(frozen=True, order=True)
class CellKey:
    """One counter: (month, dimension, value) crossed with the organisation type."""

    month: str  # "YYYY-MM"
    dimension: str  # one of DIMENSIONS
    value: str  # e.g. "yes", an action id, an exploitation type id, a council service id
    organisation: str  # the walk's organisation type answer, or "" when not given

    def problem(self) -> str | None:
        """Why this key cannot be stored, or None."""
        if not is_month(self.month):
            return f"month {self.month!r} is not YYYY-MM"
        if self.dimension not in DIMENSIONS:
            return f"dimension {self.dimension!r} is not one of {', '.join(DIMENSIONS)}"
        if len(self.value) > MAX_VALUE or len(self.organisation) > MAX_VALUE:
            return f"a value or organisation is longer than {MAX_VALUE} characters"
        return None


@dataclass(frozen=True)
class Cell:
    """A counter and its count (never below 0)."""

    key: CellKey
    count: int


@dataclass(frozen=True)
class TrainingSession:
    """One training session delivered: its month, the agency and how many attended (no names)."""

    month: str
    agency: str
    attendees: int

    def problem(self) -> str | None:
        """Why this session cannot be stored, or None."""
        if not is_month(self.month):
            return f"month {self.month!r} is not YYYY-MM"
        if not self.agency.strip() or len(self.agency) > MAX_AGENCY:
            return f"the agency must be given, in at most {MAX_AGENCY} characters"
        if not 0 <= self.attendees <= 100_000:
            return "the number of attendees must be from 0 to 100000"
        return None
