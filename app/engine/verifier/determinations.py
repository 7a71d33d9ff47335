"""The determinations check: every determination has exactly one value on every complete walk; and the
count of paths giving each of its values (a value no path gives is reported by the reachability check)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..conditions import ANY_SUBSET, SKIPPED
from ..rulebook import Determination
from .abstraction import LeafKey
from .explore import Assignment, At, Explorer, Leaf


@dataclass(frozen=True)
class Evaluated:
    """A determination's possible values for one assignment of what it reads, and the answer sets it stands for."""

    free: Assignment
    count: int
    values: frozenset[Any]


class DeterminationsCheck:
    """Checks every determination on every leaf, memoised per determination on what it reads of the leaf."""

    def __init__(self, explorer: Explorer) -> None:
        self.explorer = explorer
        self.report = explorer.report

    def run(self, leaves: list[Leaf]) -> None:
        self.report.checks.append("every determination is settled on every complete walk")
        for det in self.explorer.book.determinations:
            self._check(det, leaves)

    def _check(self, det: Determination, leaves: list[Leaf]) -> None:
        report = self.report
        reading = self.explorer.space.reading(det.refs())
        for value in det.values if det.type != "choice" else (*det.values, None):
            report.determination_paths.setdefault((det.id, value), 0)
        memo: dict[LeafKey, list[Evaluated]] = {}
        for leaf in leaves:
            facts = leaf.free_facts(reading)
            key = leaf.key(reading)
            outcomes = memo.get(key)
            if outcomes is None:
                outcomes = memo[key] = [Evaluated(free, count, self.explorer.evaluation(leaf, free).values(det.id))
                                        for free, count in leaf.assignments(facts)]
            for outcome in outcomes:
                values = outcome.values
                if len(values) != 1 or SKIPPED in values or ANY_SUBSET in values:
                    report.record(f"settled_{det.id}", f"determination {det.id!r} is not settled on a complete walk",
                                  At(leaf, outcome.free), {})
                    continue
                (value,) = values
                k = (det.id, value)
                report.determination_paths[k] = report.determination_paths.get(k, 0) + leaf.paths(facts, outcome.count)
