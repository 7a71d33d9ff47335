"""Exploring the skeleton: its leaves (complete walks), the facts at a leaf, and their evaluation.

A leaf fixes the coarse answer of every skeleton question it asks; a check then enumerates, at the
leaf, the fine classes of the questions it reads that the leaf leaves open (``free_facts``), each
combination an ``Assignment``. The facts at a leaf are filled lazily, so a check pays only for what
it reads, whatever the size of the pack.
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from math import prod
from typing import Any

from ..answers import Value
from ..conditions import SKIPPED
from ..evaluation import Evaluation
from ..walk import walk_state
from .abstraction import Abstraction, LeafKey, Reading, ValueClass
from .report import Answer, Report

Assignment = dict[str, Value]
"""Answers to some questions, one class representative each."""


@dataclass(eq=False)
class Leaf:
    """A complete walk over the skeleton: the answers on its path and the questions it asks.

    Leaves compare (and hash) by identity: memos keyed by a leaf belong to that walk."""

    space: Abstraction = field(repr=False)
    answers: dict[str, Value]
    order: list[str]
    weight: int  # how many skeleton answer sequences this leaf stands for
    free_total: int = 1  # how many answer sets the free questions it asks stand for
    asked: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        self.asked = frozenset(self.order)

    @cached_property
    def walk_values(self) -> dict[str, frozenset[Any]]:
        """The values of the determinations that decide which questions are asked: settled by the
        skeleton's answers alone, so worked out once per leaf."""
        ev = Evaluation(self.space.book, LeafFacts(self, {}))
        return {det: ev.values(det) for det in sorted(self.space.walk_determinations)}

    @cached_property
    def walk_keys(self) -> dict[str, Hashable]:
        """Each walk determination's value as a leaf key reads it (its value, or all of them if open)."""
        return {det: next(iter(values)) if len(values) == 1 else tuple(sorted(map(repr, values)))
                for det, values in self.walk_values.items()}

    def key(self, reading: Reading) -> LeafKey:
        """What a check reading ``reading`` can tell of this leaf (see ``LeafKey``)."""
        answers, asked, walk_keys = self.answers, self.asked, self.walk_keys  # (list comprehensions: a hot path)
        return LeafKey(
            tuple([answers.get(q, SKIPPED) for q in reading.skeleton]),
            tuple([q in asked for q in reading.free]),
            tuple([walk_keys[d] for d in reading.determinations]),
        )

    def refined(self, qid: str) -> bool:
        """A skeleton question this leaf asks whose answer stands for several fine classes."""
        return qid in self.asked and len(self.space.pools[qid][self.answers[qid]]) > 1

    def free_facts(self, reading: Reading) -> list[str]:
        """The questions read that this leaf asks and whose answer it leaves open: the free questions,
        and the skeleton questions whose coarse class holds more than one fine class."""
        return [q for q in reading.free if q in self.asked] + [q for q in reading.skeleton if self.refined(q)]

    def pool(self, qid: str) -> list[ValueClass]:
        """The answers a check enumerates for a question at this leaf."""
        if qid in self.space.skeleton:
            return self.space.pools[qid][self.answers[qid]]
        return self.space.classes[qid]

    def domain(self, qid: str) -> int:
        """How many answers ``pool`` stands for."""
        if qid in self.space.skeleton:
            return sum(c.count for c in self.space.pools[qid][self.answers[qid]])
        return self.space.counts[qid]

    def assignments(self, facts: list[str]) -> Iterator[tuple[Assignment, int]]:
        """Every combination of value classes of these facts, with how many answer sets each stands for."""
        pools = [self.pool(f) for f in facts]
        for combo in itertools.product(*pools):
            yield {f: c.value for f, c in zip(facts, combo, strict=True)}, prod(c.count for c in combo)

    def paths(self, facts: list[str], count: int) -> int:
        """Paths one assignment of ``facts``, standing for ``count`` answer sets, stands for at this leaf."""
        return self.weight * count * self.free_total // prod(self.domain(f) for f in facts)

    def full_answers(self, free: Assignment) -> dict[str, Answer]:
        """A complete, valid answer set for this leaf and free assignment, in the walk's order."""
        out: dict[str, Answer] = {}
        for qid in self.order:
            if qid in free:
                value = free[qid]
            elif qid in self.answers and qid in self.space.skeleton:
                value = self.answers[qid]
            else:
                value = self.space.classes[qid][0].value
            out[qid] = sorted(value) if isinstance(value, frozenset) else value
        return out


class LeafFacts(dict[str, frozenset[Any]]):
    """The possible values of each fact at a leaf with some free answers given, computed when first read:
    the answers given, SKIPPED for a question the leaf does not ask, any answer for one it leaves open."""

    def __init__(self, leaf: Leaf, free: Assignment) -> None:
        super().__init__()
        self.leaf = leaf
        self.free = free

    def __missing__(self, fact: str) -> frozenset[Any]:
        leaf = self.leaf
        space = leaf.space
        value: frozenset[Any]
        if fact in self.free:
            value = frozenset({self.free[fact]})
        elif fact in space.question_ids:
            if fact in leaf.answers and fact in space.skeleton:
                value = frozenset({leaf.answers[fact]})
            elif fact in leaf.asked:
                value = space.book.question(fact).pending
            else:
                value = frozenset({SKIPPED})
        elif fact in space.book.flags:
            value = frozenset({space.book.flags[fact].value})
        else:
            raise KeyError(fact)
        self[fact] = value
        return value


@dataclass(frozen=True)
class At:
    """A place a violation was found: a leaf and the free answers there (a ``Witness``)."""

    leaf: Leaf
    free: Assignment

    @property
    def length(self) -> int:
        return len(self.leaf.order)

    def answers(self) -> dict[str, Answer]:
        return self.leaf.full_answers(self.free)


class Explorer:
    """Walks the skeleton (recording the faults of the walk itself) and evaluates the facts at a leaf."""

    def __init__(self, space: Abstraction, report: Report, max_states: int) -> None:
        self.space = space
        self.book = space.book
        self.report = report
        self.max_states = max_states

    def leaves(self) -> list[Leaf]:
        """Every complete walk over the skeleton.

        Free questions are answered up front with a representative (their answers never change
        which questions are asked), so the walk runs once per skeleton state and stops only at
        the next skeleton question.
        """
        return list(self._walks({}, 1, check=True))

    def complete(self, answers: dict[str, Value]) -> Iterator[Leaf]:
        """Skeleton leaves reached from these answers, answering any newly asked skeleton question every way."""
        return self._walks(answers, 1, check=False)

    def evaluation(self, leaf: Leaf, free: Assignment) -> Evaluation:
        """The facts at a complete walk: skeleton answers, the free answers given, SKIPPED for the rest."""
        self.report.evaluations += 1
        facts = LeafFacts(leaf, free)
        facts.update(leaf.walk_values)
        return Evaluation(self.book, facts)

    def _walks(self, skeleton_answers: dict[str, Value], weight: int, *, check: bool) -> Iterator[Leaf]:
        space = self.space
        stack: list[tuple[dict[str, Value], int, frozenset[str]]] = [(skeleton_answers, weight, frozenset())]
        while stack:
            answers, weight, previous = stack.pop()
            if check:
                self._count_state()
            state = walk_state(self.book, {**space.free_representatives, **answers}, {})
            order = [q.id for q, _, _ in state.used if not q.optional]
            listed: frozenset[str] = frozenset()
            if check:
                listed = frozenset(a.id for a in state.listed_actions())
                self._check_state(order, answers, previous - listed)
            q = state.next_question
            if q is None:
                given = {k: v for k, v in space.free_representatives.items() if k in order}
                yield Leaf(space, {**given, **answers}, order, weight)
                continue
            if q.id not in space.skeleton:
                self.report.record("walk_completes", f"the walk stops at {q.id!r} with every answer given",
                                   self._answers_in_order(order, answers), {})
                continue
            for cls in reversed(space.walk_classes[q.id]):
                stack.append(({**answers, q.id: cls.value}, weight * cls.count, listed))

    def _count_state(self) -> None:
        self.report.states += 1
        if self.report.states > self.max_states:
            raise RuntimeError(f"more than {self.max_states} states: the pack is too large to verify")

    def _check_state(self, order: list[str], answers: dict[str, Value], withdrawn: frozenset[str]) -> None:
        """Actions listed early stay listed, and no question is asked twice."""
        if withdrawn:
            self.report.record("early_actions_kept", f"{sorted(withdrawn)} listed early, then withdrawn",
                               self._answers_in_order(order, answers), {})
        if len(set(order)) != len(order):
            self.report.record("no_question_twice", "the walk asks a question twice",
                               self._answers_in_order(order, answers), {})

    def _answers_in_order(self, order: list[str], skeleton_answers: dict[str, Value]) -> dict[str, Answer]:
        answers = {**self.space.free_representatives, **skeleton_answers}
        return {q: sorted(v) if isinstance(v := answers[q], frozenset) else v for q in order}
