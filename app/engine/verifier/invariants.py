"""The invariants the pack declares (``invariants.yaml``), proved on every path.

* ``never``: where its condition holds, none of its actions is listed, none of its questions is
  asked and none of its assumptions applies;
* ``always``: where its condition holds, every one of its actions is listed (and at least one of
  its ``any_of``);
* ``ordering``: where both are listed, the first action comes before the other (by urgency, then
  by the pack's order).

Each rule is checked at every leaf, memoised on exactly what the rule reads of the leaf.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator

from ..conditions import TRUE, Condition
from ..evaluation import Evaluation
from ..graph import LISTED
from ..rulebook import AlwaysRule, NeverRule, OrderRule
from .abstraction import LeafKey, Reading
from .explore import Assignment, At, Explorer, Leaf


class InvariantsCheck:
    """Checks every ``never``, ``always`` and ``ordering`` rule of the pack."""

    def __init__(self, explorer: Explorer) -> None:
        self.explorer = explorer
        self.book = explorer.book
        self.report = explorer.report

    def run(self, leaves: list[Leaf]) -> None:
        inv = self.book.invariants
        for never in inv.never:
            self.report.checks.append(f"never: {never.id}")
            self._never(never, leaves)
        for always in inv.always:
            self.report.checks.append(f"always: {always.id}")
            self._always(always, leaves)
        for rule in inv.ordering:
            self.report.checks.append(f"ordering: {rule.id}")
            for first_id, then_id in self._pairs(rule):
                self._order(rule, first_id, then_id, leaves)

    def _never(self, never: NeverRule, leaves: list[Leaf]) -> None:
        assumptions = {a.id: a for a in self.book.assumptions}
        refs = {*never.when.refs(), *(f"{LISTED}{a}" for a in never.actions),
                *(r for aid in never.assumptions for r in assumptions[aid].when.refs())}
        reading = self.explorer.space.reading(refs)

        def asked(leaf: Leaf) -> tuple[bool, ...]:  # the rule also looks at which of its questions are asked
            return tuple(q in leaf.asked for q in never.questions)

        for leaf, free, ev in self._where(never.when, reading, leaves, asked):
            for aid in never.actions:
                if ev.listed(aid) == TRUE:
                    self.report.record(never.id, f"{never.text} ({aid!r} is listed)", At(leaf, free),
                                       {"not_referrals": [aid]})
            for qid in never.questions:
                if qid in leaf.order:
                    self.report.record(never.id, f"{never.text} ({qid!r} is asked)", At(leaf, free),
                                       {"not_asked": [qid]})
            for aid in never.assumptions:
                if assumptions[aid].when.bits(ev) == TRUE:
                    self.report.record(never.id, f"{never.text} (assumption {aid!r} applies)", At(leaf, free),
                                       {"not_assumptions": [aid]})

    def _where(self, when: Condition, reading: Reading, leaves: list[Leaf],
               also: Callable[[Leaf], Hashable] = lambda leaf: ()) -> Iterator[tuple[Leaf, Assignment, Evaluation]]:
        """Each path (a leaf and an assignment of its free facts) where ``when`` holds, once for each
        distinct state of what ``reading`` reads (and of ``also``, whatever else the rule looks at)."""
        done: set[tuple[LeafKey, Hashable]] = set()
        for leaf in leaves:
            key = (leaf.key(reading), also(leaf))
            if key in done:
                continue
            done.add(key)
            for free, _ in leaf.assignments(leaf.free_facts(reading)):
                ev = self.explorer.evaluation(leaf, free)
                if when.bits(ev) == TRUE:
                    yield leaf, free, ev

    def _always(self, always: AlwaysRule, leaves: list[Leaf]) -> None:
        reading = self.explorer.space.reading({*always.when.refs(),
                                               *(f"{LISTED}{a}" for a in (*always.actions, *always.any_of))})
        for leaf, free, ev in self._where(always.when, reading, leaves):
            for aid in always.actions:
                if ev.listed(aid) != TRUE:
                    self.report.record(always.id, f"{always.text} ({aid!r} is missing)", At(leaf, free),
                                       {"referrals": [aid]})
            if always.any_of and not any(ev.listed(aid) == TRUE for aid in always.any_of):
                self.report.record(always.id, f"{always.text} (none of {', '.join(map(repr, always.any_of))} "
                                   "is listed)", At(leaf, free), {"any_referrals": list(always.any_of)})

    def _pairs(self, rule: OrderRule) -> list[tuple[str, str]]:
        """The (first, then) pairs an ordering rule asks about that the pack does not order by itself: those
        where the first is not more urgent, or earlier at the same urgency, whatever the answers."""
        pairs: list[tuple[str, str]] = []
        if rule.first:
            pairs = [(rule.first, a.id) for a in self.book.actions if a.id != rule.first]
        elif rule.before:
            pairs = [(rule.before, after) for after in rule.after]
        found = []
        for first_id, then_id in pairs:
            first, then = self.book.action(first_id), self.book.action(then_id)
            if (max(u.level for u in first.urgency), first.index) >= (min(u.level for u in then.urgency), then.index):
                found.append((first_id, then_id))
        return found

    def _order(self, rule: OrderRule, first_id: str, then_id: str, leaves: list[Leaf]) -> None:
        first, then = self.book.action(first_id), self.book.action(then_id)
        reading = self.explorer.space.reading({f"{LISTED}{first_id}", f"{LISTED}{then_id}"})
        done: set[LeafKey] = set()  # listed, and at which urgency
        for leaf in leaves:
            key = leaf.key(reading)
            if key in done:
                continue
            done.add(key)
            for free, _ in leaf.assignments(leaf.free_facts(reading)):
                ev = self.explorer.evaluation(leaf, free)
                if ev.listed(first_id) != TRUE or ev.listed(then_id) != TRUE:
                    continue
                if (ev.urgency(first)[0], first.index) > (ev.urgency(then)[0], then.index):
                    self.report.record(rule.id, f"{rule.text} ({then_id!r} comes before {first_id!r})",
                                       At(leaf, free), {"order": [first_id, then_id]})
