"""The abstraction the verifier explores: answers grouped into value classes, the skeleton, and what a
set of references reads.

A *value class* is a set of answers to one question that every condition of the pack treats alike:
one representative stands for all of them, and its ``count`` says how many. The *skeleton* is the
questions whose answers decide which later questions are asked; the walk over the skeleton uses
coarser classes still (the answers the walk's own conditions treat alike), each the union of some
fine classes, which the checks enumerate again at each leaf (its *pool*).
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable, Iterable, Iterator
from dataclasses import dataclass
from typing import NamedTuple

from ..answers import Value
from ..conditions import Condition, Includes, Logic, LogicRef, Test
from ..graph import LISTED, leaves
from ..rulebook import Determination, Question, Rulebook


@dataclass(frozen=True)
class ValueClass:
    """Answers that every condition treats alike: one representative, and how many answers it stands for."""

    value: Value
    count: int


class Reading(NamedTuple):
    """What a set of references reads, by kind: each sorted by id."""

    skeleton: tuple[str, ...]  # skeleton questions (read by their answer at the leaf)
    free: tuple[str, ...]  # free questions (enumerated by the check where the leaf asks them)
    determinations: tuple[str, ...]  # determinations settled by the skeleton's answers alone


class LeafKey(NamedTuple):
    """What a check reads of a skeleton leaf, and nothing more: memoising on it loses nothing.

    A determination that decides which questions are asked is read by its value; a skeleton
    question by its coarse answer (the check enumerates the fine answers within it); a free
    question by whether it is asked."""

    skeleton: tuple[Hashable, ...]
    asked: tuple[bool, ...]
    determinations: tuple[Hashable, ...]


def case_nodes(det: Determination) -> Iterator[Condition | Logic]:
    """Every condition and logic expression of a determination's cases."""
    for c in det.cases:
        yield from (p for p in (c.when, c.logic, c.condition) if p is not None)


def condition_nodes(book: Rulebook) -> Iterator[Condition | Logic]:
    """Every condition and logic expression in the pack."""
    for q in book.questions:
        if q.ask_when is not None:
            yield q.ask_when
    for d in book.determinations:
        yield from case_nodes(d)
    for a in book.actions:
        yield a.due
        yield from (u.when for u in a.urgency if u.when is not None)
        yield from (r.when for r in a.reasons if r.when is not None)
    for e in book.elements:
        yield from (b.when for b in (*e.not_required, *e.unknown))
    for asm in book.assumptions:
        yield asm.when
    for never in book.invariants.never:
        yield never.when
    for always in book.invariants.always:
        yield always.when


@dataclass(frozen=True)
class Reads:
    """How a set of conditions reads each question: the value sets it tests, and the options it looks for."""

    signatures: dict[str, list[frozenset[object] | None]]
    options: dict[str, set[str]]

    @classmethod
    def of(cls, book: Rulebook, nodes: Iterable[Condition | Logic]) -> Reads:
        reads = cls({q.id: [] for q in book.questions}, {q.id: set() for q in book.questions})
        for node in nodes:
            for leaf in leaves(node):
                if isinstance(leaf, Test) and leaf.fact in reads.signatures:
                    reads.signatures[leaf.fact].append(leaf.values)  # the value is in, or not in, this set
                elif isinstance(leaf, LogicRef) and leaf.fact in reads.signatures:
                    reads.signatures[leaf.fact].append(None)  # three-valued logic tells every value apart
                elif isinstance(leaf, Includes) and leaf.fact in reads.options:
                    reads.options[leaf.fact] |= set(leaf.values)
        return reads

    def key(self, q: Question, value: Value) -> Hashable:
        """What these conditions can tell of one answer."""
        if q.type == "multi_choice":
            return frozenset(value) & self.options[q.id]
        return tuple(value if sig is None else value in sig for sig in self.signatures[q.id])


def _multi_choice_classes(q: Question, read: set[str]) -> list[ValueClass]:
    """A multi-choice question's classes: each set of the options conditions read (an exclusive option
    alone), standing for every way of adding the options nothing reads."""
    read_values = [v for v in q.values if v in read]
    alone = {o.value for o in q.options if o.exclusive}  # chosen only on its own
    plain_unread = len([v for v in q.values if v not in read_values and v not in alone])
    alone_unread = len([v for v in q.values if v not in read_values and v in alone])
    return [
        ValueClass(frozenset(combo),
                   1 if alone & set(combo) else 2 ** plain_unread + (alone_unread if not combo else 0))
        for r in range(len(read_values) + 1) for combo in itertools.combinations(read_values, r)
        if not (alone & set(combo)) or len(combo) == 1
    ]


def value_classes(book: Rulebook) -> dict[str, list[ValueClass]]:
    """For each question, its answers grouped by what the rules read (conditions, and the test card)."""
    reads = Reads.of(book, condition_nodes(book))
    for element in book.elements:
        if element.question in reads.signatures:
            reads.signatures[element.question].append(None)  # the test card shows yes, no and unsure apart
    classes: dict[str, list[ValueClass]] = {}
    for q in book.questions:
        if q.type == "multi_choice":
            classes[q.id] = _multi_choice_classes(q, reads.options[q.id])
            continue
        groups: dict[Hashable, list[str]] = {}
        for value in q.values:
            groups.setdefault(reads.key(q, value), []).append(value)
        classes[q.id] = [ValueClass(vals[0], len(vals)) for vals in groups.values()]
    return classes


def answers_count(q: Question) -> int:
    """How many answers a question has: a multi-choice answer is any set of options, or one exclusive option."""
    if q.type != "multi_choice":
        return len(q.values)
    alone = sum(1 for o in q.options if o.exclusive)
    return int(2 ** (len(q.values) - alone)) + alone


def walk_determinations(book: Rulebook) -> frozenset[str]:
    """The determinations that decide which questions are asked: read by some ``ask_when``, however
    indirectly (through other determinations; ``ask_when`` never reads ``listed:``)."""
    graph = book.graph
    stack = [ref for q in book.questions for ref in q.refs()]
    found: set[str] = set()
    while stack:
        ref = stack.pop()
        if ref in graph.determinations and ref not in found:
            found.add(ref)
            stack += graph.reads[ref]
    return frozenset(found)


class Abstraction:
    """The rulebook as the verifier explores it: value classes, the skeleton and its coarse classes.

    ``classes`` are each question's fine classes; ``skeleton`` the questions some ``ask_when`` reads,
    directly or through determinations; ``walk_classes`` each skeleton question's coarse classes
    and ``pools`` the fine classes within each coarse one (keyed by its representative)."""

    def __init__(self, book: Rulebook) -> None:
        self.book = book
        self.classes = value_classes(book)
        graph = book.graph
        self.skeleton: frozenset[str] = frozenset().union(
            *(graph.fact_questions(ref, follow_listed=True) for q in book.questions for ref in q.refs()))
        self.walk_determinations = walk_determinations(book)
        walk_nodes: list[Condition | Logic] = [q.ask_when for q in book.questions if q.ask_when is not None]
        walk_nodes += [p for d in sorted(self.walk_determinations) for p in case_nodes(book.determination(d))]
        walk_reads = Reads.of(book, walk_nodes)
        self.walk_classes: dict[str, list[ValueClass]] = {}
        self.pools: dict[str, dict[Value, list[ValueClass]]] = {}
        for qid in self.skeleton:
            q = book.question(qid)
            groups: dict[Hashable, list[ValueClass]] = {}
            for cls in self.classes[qid]:
                groups.setdefault(walk_reads.key(q, cls.value), []).append(cls)
            self.walk_classes[qid] = [ValueClass(fine[0].value, sum(c.count for c in fine))
                                      for fine in groups.values()]
            self.pools[qid] = {fine[0].value: fine for fine in groups.values()}
        self.counts = {q.id: answers_count(q) for q in book.questions}
        self.question_ids = frozenset(q.id for q in book.questions)
        self.free_representatives: dict[str, Value] = {
            q.id: self.classes[q.id][0].value for q in book.questions if q.id not in self.skeleton}
        self._readings: dict[frozenset[str], Reading] = {}

    def reading(self, refs: Iterable[str]) -> Reading:
        """What a set of references reads: skeleton questions, free questions, and the determinations
        settled by the skeleton alone (others, and ``listed:``, are followed to what they read)."""
        key = frozenset(refs)
        found = self._readings.get(key)
        if found is None:
            found = self._readings[key] = self._read(key)
        return found

    def _read(self, refs: frozenset[str]) -> Reading:
        graph = self.book.graph
        skeleton: set[str] = set()
        free: set[str] = set()
        dets: set[str] = set()
        stack = list(refs)
        seen: set[str] = set()
        while stack:
            ref = stack.pop()
            if ref in seen:
                continue
            seen.add(ref)
            if ref.startswith(LISTED):
                stack += graph.reads[ref.removeprefix(LISTED)]  # what its due and urgency rules read
            elif ref in graph.questions:
                (skeleton if ref in self.skeleton else free).add(ref)
            elif ref in self.walk_determinations:
                dets.add(ref)  # settled by the skeleton's coarse answers alone
            elif ref in graph.determinations:
                stack += graph.reads[ref]
        return Reading(tuple(sorted(skeleton)), tuple(sorted(free)), tuple(sorted(dets)))
