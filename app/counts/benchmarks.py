"""Each benchmark of the local pack month by month, from the counters and the training recorded: pure
functions, no I/O. Figures from walks are suppressed (``suppression``); training figures are not."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from app.engine import Benchmark

from .model import Cell, TrainingSession
from .suppression import Shown, shift, show, show_as_is, total

MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
               "October", "November", "December")
UNITS = {"training_sessions": ("session", "sessions"), "training_attendees": ("attendee", "attendees")}


def month_label(month: str) -> str:
    """``2023-09`` as "September 2023"."""
    year, mon = month.split("-")
    return f"{MONTH_NAMES[int(mon) - 1]} {year}"


def organisation_matches(organisation: str, benchmark: Benchmark) -> bool:
    """Whether a counter's organisation is one the benchmark counts. A council user's counters carry the
    council service after the organisation type (``local_authority/childrens_social_care``)."""
    kind, _, service = organisation.partition("/")
    if benchmark.organisation is not None and kind != benchmark.organisation:
        return False
    return benchmark.council_service is None or service == benchmark.council_service


def counted(cells: Iterable[Cell], benchmark: Benchmark) -> dict[str, int]:
    """The benchmark's raw figure for each month that has one (before suppression)."""
    by_month: dict[str, int] = {}
    for cell in cells:
        key = cell.key
        if key.dimension != benchmark.dimension or (benchmark.values and key.value not in benchmark.values):
            continue
        if organisation_matches(key.organisation, benchmark):
            by_month[key.month] = by_month.get(key.month, 0) + cell.count
    return by_month


def trained(sessions: Iterable[TrainingSession], dimension: str) -> dict[str, int]:
    """Training sessions (or their attendees) for each month that has any."""
    by_month: dict[str, int] = {}
    for s in sessions:
        by_month[s.month] = by_month.get(s.month, 0) + (1 if dimension == "training_sessions" else s.attendees)
    return by_month


@dataclass(frozen=True)
class MonthFigure:
    month: str
    label: str
    figure: Shown
    year_before: Shown | None  # the same month a year before (targets that ask for a rise)
    running: Shown | None = None  # the running total so far (targets of a number by a date)


@dataclass(frozen=True)
class Picture:
    """A benchmark over a range of months: each month's figure, the totals that may be shown, and where
    it stands against its target, in words."""

    benchmark: Benchmark
    months: tuple[MonthFigure, ...]
    total: Shown | None  # None: not shown (a month in the range is suppressed)
    total_year_before: Shown | None
    target: str  # the target in words
    by: str  # "September 2023"
    past: bool  # the target's date has passed
    status: str  # where it stands, in words
    suppressed: bool  # figures from walks (small numbers hidden); training figures are not

    @property
    def any_hidden(self) -> bool:
        return any(m.figure.suppressed or (m.year_before is not None and m.year_before.suppressed)
                   for m in self.months)


def target_words(benchmark: Benchmark) -> str:
    by = month_label(f"{benchmark.by:%Y-%m}")
    if benchmark.at_least is not None:
        one, many = UNITS.get(benchmark.dimension, ("", ""))
        return f"At least {benchmark.at_least:,} {one if benchmark.at_least == 1 else many} by {by}".replace("  ", " ")
    return f"Rising against the same months a year before, by {by}"


def picture(benchmark: Benchmark, months: Sequence[str], cells: Sequence[Cell],
            sessions: Sequence[TrainingSession], today: dt.date) -> Picture:
    """The benchmark over ``months`` (consecutive, oldest first). ``cells`` and ``sessions`` must cover
    those months and, for a target that asks for a rise, the same months a year before."""
    if benchmark.training:
        raw = trained(sessions, benchmark.dimension)
        shown = show_as_is
    else:
        raw = counted(cells, benchmark)
        shown = show
    rise = benchmark.increase
    figures: list[MonthFigure] = []
    running = 0
    for month in months:
        running += raw.get(month, 0)
        before = shown(raw.get(shift(month, -12), 0)) if rise else None
        figures.append(MonthFigure(month, month_label(month), shown(raw.get(month, 0)), before,
                                   None if rise else show_as_is(running) if benchmark.training else None))
    this_year = total(m.figure for m in figures)
    last_year = total(m.year_before for m in figures if m.year_before is not None) if rise else None
    past = benchmark.by < today
    if benchmark.at_least is not None:
        by_month = f"{benchmark.by:%Y-%m}"
        status = _by_date(benchmark, total(m.figure for m in figures if m.month <= by_month),
                          any(m.month <= by_month for m in figures), past)
    else:
        status = _rise(this_year, last_year, past)
    return Picture(benchmark, tuple(figures), this_year, last_year, target_words(benchmark),
                   month_label(f"{benchmark.by:%Y-%m}"), past, status, not benchmark.training)


def _when(past: bool) -> str:
    return "the date has passed" if past else "the date is still to come"


def _by_date(benchmark: Benchmark, so_far: Shown | None, any_before: bool, past: bool) -> str:
    """A number by a date: the shown months up to the date against the number."""
    by = month_label(f"{benchmark.by:%Y-%m}")
    at_least = benchmark.at_least or 0
    if not any_before:
        return f"These months are all after the target's date ({by}): show months up to it to compare."
    if so_far is None or so_far.count is None:
        return f"Not enough is shown to compare with the target ({_when(past)})."
    met = "Met" if so_far.count >= at_least else "Not met" if past else "Not met yet"
    return f"{met}: {so_far.count:,} of {at_least:,} in these months up to {by} ({_when(past)})."


def _rise(this_year: Shown | None, last_year: Shown | None, past: bool) -> str:
    when = _when(past)
    if this_year is None or last_year is None or this_year.count is None or last_year.count is None:
        return ("Too few to compare: months with fewer than 5 are not shown, so neither are the totals "
                f"({when}).")
    if this_year.count > last_year.count:
        trend = "Rising"
    elif this_year.count == last_year.count:
        trend = "Not rising (the same)"
    else:
        trend = "Not rising (lower)"
    return f"{trend}: {this_year.count:,} in these months against {last_year.count:,} a year before ({when})."
