"""The possible values of every fact for one set of answers: what conditions are evaluated against.

Facts are held as sets of possible values, so a question not yet answered stands for every answer it
could get. Questions and flags are set by the walk (``walk.walk_state``); determinations are worked out
from their cases the first time something reads them, and whether an action is listed (``listed:``)
likewise. The rulebook's typed indexes supply the rules.
"""

from __future__ import annotations

from typing import Any

from .conditions import BITS_TO_DETERMINATION, FALSE, NO, SKIPPED, TRUE, UNKNOWN, YES
from .rulebook import Action, Determination, Rulebook

SKIPPED_SET: frozenset[Any] = frozenset({SKIPPED})
"""The possible values of a question the walk does not ask."""


class Evaluation:
    """The possible values of every fact for one set of answers (the ``conditions.Facts`` protocol)."""

    def __init__(self, book: Rulebook, possible: dict[str, frozenset[Any]]) -> None:
        self.book = book
        self.possible = possible
        self._listed: dict[str, int] = {}

    def values(self, fact: str) -> frozenset[Any]:
        """The values the fact can still take (a determination is worked out on first reading)."""
        try:
            return self.possible[fact]
        except KeyError:
            found = self._determine(self.book.determinations_by_id[fact])
            self.possible[fact] = found
            return found

    def listed(self, action: str) -> int:
        """Whether the action is listed, as condition bits (``TRUE``, ``FALSE`` or both)."""
        bits = self._listed.get(action)
        if bits is None:
            bits = self._listed[action] = self.book.actions_by_id[action].due.bits(self)
        return bits

    def single(self, fact: str) -> Any:
        """The fact's value if it is settled, else None."""
        values = self.values(fact)
        if len(values) == 1:
            (value,) = values
            return None if value is SKIPPED else value
        return None

    def urgency(self, action: Action) -> tuple[int, bool]:
        """The most urgent level the action can still take, and whether it could still change."""
        levels: set[int] = set()
        for rule in action.urgency:
            holds = TRUE if rule.when is None else rule.when.bits(self)
            if holds & TRUE:
                levels.add(rule.level)
            if holds == TRUE:
                break
        return min(levels), len(levels) > 1

    def _determine(self, det: Determination) -> frozenset[Any]:
        result: set[Any] = set()
        for case in det.cases:
            holds = TRUE if case.when is None else case.when.bits(self)
            if holds & TRUE:
                if case.logic is not None:
                    truth = case.logic.truth(self)
                    result.update(BITS_TO_DETERMINATION[b] for b in (YES, UNKNOWN, NO) if truth & b)
                elif case.condition is not None:
                    bits = case.condition.bits(self)
                    if bits & TRUE:
                        result.add(True)
                    if bits & FALSE:
                        result.add(False)
                else:
                    result.add(case.value)
            if not holds & FALSE:
                break
        return frozenset(result)
