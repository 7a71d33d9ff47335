"""Small-number suppression for the figures that come from walks, and the months they cover.

A figure counted from walks is shown as itself when it is 0 or at least 5, and as "fewer than 5" when it
is 1 to 4. A total is shown only where it is the sum of figures that are all shown, so no hidden figure
can be worked out by subtracting. Training figures are not about people met: they are shown as they are.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

THRESHOLD = 5
SUPPRESSED = "fewer than 5"
MONTH_FORMAT = "YYYY-MM (for example 2023-09)"
MAX_MONTHS = 120


@dataclass(frozen=True)
class Shown:
    """A figure as shown: its number (None when suppressed) and its words."""

    count: int | None
    text: str

    @property
    def suppressed(self) -> bool:
        return self.count is None


def show(count: int) -> Shown:
    """A figure counted from walks: 0 as 0, 1 to 4 as "fewer than 5", others as themselves."""
    if 0 < count < THRESHOLD:
        return Shown(None, SUPPRESSED)
    return Shown(count, f"{count:,}")


def show_as_is(count: int) -> Shown:
    """A figure that is not about people met (training delivered): never suppressed."""
    return Shown(count, f"{count:,}")


def total(figures: Iterable[Shown]) -> Shown | None:
    """The sum of figures that are all shown, or None when any is suppressed (its total is not shown)."""
    counts = [f.count for f in figures]
    if any(c is None for c in counts):
        return None
    return show_as_is(sum(c for c in counts if c is not None))


class MonthProblem(ValueError):
    """A month or range of months that cannot be used, in words naming the format."""


def parse_month(text: str, name: str) -> tuple[int, int]:
    """``YYYY-MM`` as (year, month); MonthProblem naming ``name`` and the format otherwise."""
    year, dash, month = text.partition("-")
    if not (dash and len(year) == 4 and len(month) == 2 and year.isdigit() and month.isdigit()
            and year.isascii() and month.isascii() and 1 <= int(month) <= 12 and int(year) >= 1900):
        raise MonthProblem(f"'{name}' must be a month written {MONTH_FORMAT}")
    return int(year), int(month)


def shift(month: str, by: int) -> str:
    """The month ``by`` months after (before, when negative) ``month``."""
    year, mon = parse_month(month, "month")
    index = year * 12 + mon - 1 + by
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_range(first: str, last: str, most: int = MAX_MONTHS) -> list[str]:
    """Every month from ``first`` to ``last``, both included; MonthProblem for a bad month, a range that
    runs backwards or one longer than ``most`` months."""
    y1, m1 = parse_month(first, "from")
    y2, m2 = parse_month(last, "to")
    count = (y2 * 12 + m2) - (y1 * 12 + m1) + 1
    if count < 1:
        raise MonthProblem("'from' must be the same month as 'to' or before it")
    if count > most:
        raise MonthProblem(f"a range covers at most {most} months")
    return [shift(first, i) for i in range(count)]
