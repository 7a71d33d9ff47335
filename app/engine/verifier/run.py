"""The verifier: explores the skeleton once, then runs every check on its leaves."""

from __future__ import annotations

import time
from math import prod

from ..rulebook import Rulebook
from .abstraction import Abstraction, ValueClass
from .actions import ActionsCheck
from .determinations import DeterminationsCheck
from .explore import Explorer
from .invariants import InvariantsCheck
from .pointless import PointlessCheck
from .reachability import check_reachability
from .report import Report


class Verifier:
    """Verifies one rulebook: ``Verifier(book).run()`` returns the ``Report``.

    ``max_states`` bounds the skeleton walk: a pack too large to verify is refused, not sampled."""

    def __init__(self, book: Rulebook, *, max_states: int = 2_000_000) -> None:
        self.book = book
        self.space = Abstraction(book)
        self.report = Report()
        self.explorer = Explorer(self.space, self.report, max_states)
        self.pointless = PointlessCheck(self.explorer)

    @property
    def classes(self) -> dict[str, list[ValueClass]]:
        """Each question's fine value classes."""
        return self.space.classes

    @property
    def walk_classes(self) -> dict[str, list[ValueClass]]:
        """Each skeleton question's coarse classes (the answers the walk's own conditions treat alike)."""
        return self.space.walk_classes

    @property
    def skeleton(self) -> frozenset[str]:
        """The questions whose answers decide which later questions are asked."""
        return self.space.skeleton

    def run(self) -> Report:
        """Explore every path and run every check; the report holds the counts and any violation."""
        started = time.perf_counter()
        leaves = self.explorer.leaves()
        report = self.report
        report.skeleton_paths = len(leaves)
        for leaf in leaves:
            report.questions_asked.update(leaf.order)
            leaf.free_total = prod(self.space.counts[q] for q in leaf.order if q not in self.space.skeleton)
            report.paths += leaf.weight * leaf.free_total
        ActionsCheck(self.explorer).run(leaves)
        DeterminationsCheck(self.explorer).run(leaves)
        InvariantsCheck(self.explorer).run(leaves)
        self.pointless.run(leaves)
        check_reachability(self.book, report)
        report.seconds = time.perf_counter() - started
        return report


def verify(book: Rulebook) -> Report:
    """Verify a rulebook: every path the walk can take, every check (see ``app.engine.verifier``)."""
    return Verifier(book).run()
