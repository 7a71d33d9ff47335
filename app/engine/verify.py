"""Exhaustive verification of a rulebook: every path the walk can take, every invariant, checked.

Not sampling. The walk's paths are explored in two layers, with an abstraction that loses
nothing:

* the **skeleton**: the questions whose answers decide which later questions are asked (read,
  directly or through determinations, by some ``ask_when``). Every answer of every skeleton
  question is explored, depth first, so every sequence of asked questions is reached. Answers
  that every ``ask_when`` (and every determination one reads) treats alike are explored once:
  they lead to the same questions, and each check enumerates them again as if they were free
  (a multi-choice answer is explored by whether it includes the options an ``ask_when`` reads);
* the **free** questions: the rest. Their answers never change which questions are asked, so
  each check enumerates, at each skeleton leaf, every combination of the free answers *that it
  reads*. Answers no condition reads are dropped; values that every condition treats alike are
  one class (organisations group by what the rules read); each multi-choice option that a
  condition reads is its own yes/no fact and the options nothing reads collapse into one.
  Results are memoised on exactly what a check reads, so equal states are evaluated once.

Every path is therefore covered: a path is a skeleton leaf plus one answer to each free question
it asks, and every check sees every combination of the answers it depends on.
"""

from __future__ import annotations

import datetime as dt
import itertools
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from math import prod
from typing import Any

from .conditions import (
    ANY_SUBSET,
    BOTH,
    FALSE,
    SKIPPED,
    TRUE,
    AllOf,
    AnyOf,
    Condition,
    Includes,
    Logic,
    LogicAll,
    LogicAny,
    LogicNot,
    LogicRef,
    Not,
    Test,
)
from .explain import Explainer
from .rulebook import Action, Assumption, Element, Question, Rulebook
from .walk import Evaluation, walk_state

Assignment = dict[str, Any]
Part = tuple[str, frozenset[str], Callable[[Evaluation], Any]]  # a part of the outcome: name, what it reads, value
POINTLESS_PARTS = "determination, action or its urgency, need, element of the test card or assumption"


# ----------------------------------------------------------------------------- the abstraction


def _condition_nodes(book: Rulebook) -> Iterator[Condition | Logic]:
    for q in book.questions:
        if q.ask_when is not None:
            yield q.ask_when
    for d in book.determinations:
        for c in d.cases:
            yield from (p for p in (c.when, c.logic, c.condition) if p is not None)
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


def _leaves(node: Condition | Logic) -> Iterator[Condition | Logic]:
    if isinstance(node, (AllOf, AnyOf, LogicAll, LogicAny)):
        for item in node.items:
            yield from _leaves(item)
    elif isinstance(node, (Not, LogicNot)):
        yield from _leaves(node.item)
    else:
        yield node


@dataclass(frozen=True)
class ValueClass:
    """Answers that every condition treats alike: one representative, and how many answers it stands for."""

    value: Any
    count: int


@dataclass(frozen=True)
class _Reads:
    """How a set of conditions reads each question: the value sets it tests, and the options it looks for."""

    signatures: dict[str, list[frozenset[Any] | None]]
    options: dict[str, set[str]]

    @classmethod
    def of(cls, book: Rulebook, nodes: Iterable[Condition | Logic]) -> _Reads:
        reads = cls({q.id: [] for q in book.questions}, {q.id: set() for q in book.questions})
        for node in nodes:
            for leaf in _leaves(node):
                if isinstance(leaf, Test) and leaf.fact in reads.signatures:
                    reads.signatures[leaf.fact].append(leaf.values)  # the value is in, or not in, this set
                elif isinstance(leaf, LogicRef) and leaf.fact in reads.signatures:
                    reads.signatures[leaf.fact].append(None)  # three-valued logic tells every value apart
                elif isinstance(leaf, Includes) and leaf.fact in reads.options:
                    reads.options[leaf.fact] |= set(leaf.values)
        return reads

    def key(self, q: Question, value: Any) -> Any:
        """What these conditions can tell of one answer."""
        if q.type == "multi_choice":
            return frozenset(value) & self.options[q.id]
        return tuple(value if sig is None else value in sig for sig in self.signatures[q.id])


def value_classes(book: Rulebook) -> dict[str, list[ValueClass]]:
    """For each question, its answers grouped by what the rules read (conditions, and the test card)."""
    reads = _Reads.of(book, _condition_nodes(book))
    for element in book.elements:
        if element.question in reads.signatures:
            reads.signatures[element.question].append(None)  # the test card shows yes, no and unsure apart
    classes: dict[str, list[ValueClass]] = {}
    for q in book.questions:
        if q.type == "multi_choice":
            read = [v for v in q.values if v in reads.options[q.id]]
            alone = {o.value for o in q.options if o.exclusive}  # chosen only on its own
            plain_unread = len([v for v in q.values if v not in read and v not in alone])
            alone_unread = len([v for v in q.values if v not in read and v in alone])
            classes[q.id] = [
                ValueClass(frozenset(combo), 1 if alone & set(combo)
                           else 2 ** plain_unread + (alone_unread if not combo else 0))
                for r in range(len(read) + 1) for combo in itertools.combinations(read, r)
                if not (alone & set(combo)) or len(combo) == 1
            ]
            continue
        groups: dict[tuple[Any, ...], list[str]] = {}
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


def _walk_facts(book: Rulebook) -> tuple[list[Condition | Logic], frozenset[str]]:
    """The conditions that decide which questions are asked (every ``ask_when``, and the cases of every
    determination one reads, however indirectly), and those determinations."""
    nodes: list[Condition | Logic] = []
    stack: list[str] = []
    for q in book.questions:
        if q.ask_when is not None:
            nodes.append(q.ask_when)
            stack += list(q.ask_when.refs())
    dets: set[str] = set()
    while stack:
        ref = stack.pop()
        if ref in dets or ref not in book.facts or book.facts[ref].kind != "determination":
            continue
        dets.add(ref)
        for case in book.determination(ref).cases:
            for part in (case.when, case.logic, case.condition):
                if part is not None:
                    nodes.append(part)
                    stack += list(part.refs())
    return nodes, frozenset(dets)


# ----------------------------------------------------------------------------- skeleton


def _fact_questions(book: Rulebook, fact: str, memo: dict[str, frozenset[str]]) -> frozenset[str]:
    """The questions a fact depends on, through determinations (and ``listed`` actions)."""
    if fact in memo:
        return memo[fact]
    memo[fact] = frozenset()
    if fact.startswith("listed:"):
        action = book.action(fact.split(":", 1)[1])
        refs = [r for part in (action.due, *(u.when for u in action.urgency)) if part is not None
                for r in part.refs()]
        result = frozenset().union(*(_fact_questions(book, r, memo) for r in refs)) if refs else frozenset()
    else:
        kind = book.facts[fact].kind
        if kind == "question":
            result = frozenset({fact})
        elif kind == "flag":
            result = frozenset()
        else:
            det = book.determination(fact)
            refs = [r for c in det.cases for p in (c.when, c.logic, c.condition) if p is not None for r in p.refs()]
            result = frozenset().union(*(_fact_questions(book, r, memo) for r in refs)) if refs else frozenset()
    memo[fact] = result
    return result


@dataclass
class Leaf:
    """A complete walk over the skeleton: the answers on its path and the questions it asks."""

    answers: dict[str, Any]
    order: list[str]
    weight: int  # how many skeleton answer sequences this leaf stands for
    asked: frozenset[str] = frozenset()
    free_total: int = 1  # how many answer sets the free questions it asks stand for

    def __post_init__(self) -> None:
        self.asked = frozenset(self.order)


@dataclass
class Violation:
    check: str
    message: str
    answers: dict[str, Any]
    expect: dict[str, Any] = field(default_factory=dict)

    def scenario_yaml(self, local: str | None) -> str:
        """The shortest breaking answer set, as a scenario ready to paste into pathway_rules/scenarios/."""
        lines = [f"name: \"Counterexample: {self.check}\"", "narrative: >-"]
        lines += [f"  {self.message}"]
        if local is not None:
            lines.append(f"local: {local}")
        lines.append("answers:")
        for qid, value in self.answers.items():
            lines.append(f"  {qid}: {_yaml_value(value)}")
        lines.append("expect:")
        if not self.expect:
            lines.append("  complete: true")
        for key, value in self.expect.items():
            lines.append(f"  {key}: {_yaml_value(value)}")
        return "\n".join(lines) + "\n"


def _yaml_value(value: Any) -> str:
    if isinstance(value, (list, tuple, frozenset, set)):
        items = sorted(value) if isinstance(value, (frozenset, set)) else list(value)
        return "[" + ", ".join(_yaml_value(v) for v in items) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_yaml_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    text = str(value)
    return f'"{text}"' if text in ("yes", "no", "true", "false", "null", "on", "off") else text


class _LeafFacts(dict[str, frozenset[Any]]):
    """The possible values of each fact at a leaf, computed when first read."""

    def __init__(self, verifier: Verifier, leaf: Leaf, free: Assignment) -> None:
        super().__init__()
        self.verifier = verifier
        self.leaf = leaf
        self.free = free

    def __missing__(self, fact: str) -> frozenset[Any]:
        verifier = self.verifier
        book = verifier.book
        if fact in self.free:
            value = frozenset({self.free[fact]})
        elif fact in verifier.question_ids:
            if fact in self.leaf.answers and fact in verifier.skeleton:
                value = frozenset({self.leaf.answers[fact]})
            elif fact in self.leaf.asked:
                value = book.question(fact).pending
            else:
                value = frozenset({SKIPPED})
        elif fact in book.flags:
            value = frozenset({book.flags[fact].value})
        else:
            raise KeyError(fact)
        self[fact] = value
        return value


@dataclass
class _At:
    """Where a violation was found: the answer set is built only if it is the shortest so far."""

    verifier: Any
    leaf: Leaf
    free: Assignment

    def answers(self) -> dict[str, Any]:
        return self.verifier.full_answers(self.leaf, self.free)  # type: ignore[no-any-return]


@dataclass
class Report:
    states: int = 0
    skeleton_paths: int = 0
    paths: int = 0
    evaluations: int = 0
    seconds: float = 0.0
    violations: list[Violation] = field(default_factory=list)
    action_paths: dict[str, int] = field(default_factory=dict)
    urgency_paths: dict[tuple[str, int], int] = field(default_factory=dict)
    determination_paths: dict[tuple[str, Any], int] = field(default_factory=dict)
    questions_asked: set[str] = field(default_factory=set)
    checks: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations


class Verifier:
    def __init__(self, book: Rulebook, *, max_states: int = 2_000_000) -> None:
        self.book = book
        self.classes = value_classes(book)
        self.max_states = max_states
        memo: dict[str, frozenset[str]] = {}
        skeleton: set[str] = set()
        for q in book.questions:
            if q.ask_when is not None:
                for ref in q.ask_when.refs():
                    skeleton |= _fact_questions(book, ref, memo)
        self.skeleton = skeleton
        self._fq_memo = memo
        # The skeleton is walked over coarse classes: the answers the walk's conditions treat alike.
        # Each coarse class is the union of fine classes, which the checks enumerate at each leaf.
        walk_nodes, self._walk_dets = _walk_facts(book)
        walk_reads = _Reads.of(book, walk_nodes)
        self.walk_classes: dict[str, list[ValueClass]] = {}
        self._pools: dict[str, dict[Any, list[ValueClass]]] = {}
        for qid in skeleton:
            q = book.question(qid)
            groups: dict[Any, list[ValueClass]] = {}
            for cls in self.classes[qid]:
                groups.setdefault(walk_reads.key(q, cls.value), []).append(cls)
            self.walk_classes[qid] = [ValueClass(fine[0].value, sum(c.count for c in fine))
                                      for fine in groups.values()]
            self._pools[qid] = {fine[0].value: fine for fine in groups.values()}
        self.report = Report()
        self._cache: dict[tuple[Any, ...], Any] = {}
        self._counts = {q.id: answers_count(q) for q in book.questions}
        self.question_ids = frozenset(q.id for q in book.questions)
        self._free_representatives = {q.id: self.classes[q.id][0].value for q in book.questions
                                      if q.id not in skeleton}
        self._expanded: dict[frozenset[str], tuple[list[str], list[str], list[str]]] = {}
        self._parts = self.outcome_refs()

    # -- the skeleton ----------------------------------------------------------

    def leaves(self) -> list[Leaf]:
        """Every complete walk over the skeleton.

        Free questions are answered up front with a representative (their answers never change
        which questions are asked), so the walk runs once per skeleton state and stops only at
        the next skeleton question.
        """
        return list(self._walks({}, 1, check=True))

    def _walks(self, skeleton_answers: dict[str, Any], weight: int, *, check: bool) -> Iterator[Leaf]:
        book = self.book
        stack: list[tuple[dict[str, Any], int, frozenset[str]]] = [(skeleton_answers, weight, frozenset())]
        while stack:
            answers, weight, previous = stack.pop()
            if check:
                self.report.states += 1
                if self.report.states > self.max_states:
                    raise RuntimeError(f"more than {self.max_states} states: the pack is too large to verify")
            state = walk_state(book, {**self._free_representatives, **answers}, {})
            order = [q.id for q, _, _ in state.used if not q.optional]
            if check:
                listed = frozenset(a.id for a in state.listed_actions())
                withdrawn = previous - listed
                if withdrawn:
                    self._violation("early_actions_kept", f"{sorted(withdrawn)} listed early, then withdrawn",
                                    self._answers_in_order(order, answers), {})
                if len(set(order)) != len(order):
                    self._violation("no_question_twice", "the walk asks a question twice",
                                    self._answers_in_order(order, answers), {})
            else:
                listed = frozenset()
            q = state.next_question
            if q is None:
                yield Leaf({**{k: v for k, v in self._free_representatives.items() if k in order}, **answers},
                           order, weight)
                continue
            if q.id not in self.skeleton:
                self._violation("walk_completes", f"the walk stops at {q.id!r} with every answer given",
                                self._answers_in_order(order, answers), {})
                continue
            for cls in reversed(self.walk_classes[q.id]):
                stack.append(({**answers, q.id: cls.value}, weight * cls.count, listed))

    def _answers_in_order(self, order: list[str], skeleton_answers: dict[str, Any]) -> dict[str, Any]:
        answers = {**self._free_representatives, **skeleton_answers}
        return {q: sorted(answers[q]) if isinstance(answers[q], frozenset) else answers[q] for q in order}

    # -- evaluation at a leaf ------------------------------------------------------

    def evaluation(self, leaf: Leaf, free: Assignment) -> Evaluation:
        """The facts at a complete walk: skeleton answers, the free answers given, SKIPPED for the rest.

        Filled lazily: a check reads a handful of facts, whatever the size of the pack. The
        determinations that decide which questions are asked are settled by the leaf's skeleton
        answers alone, so they are worked out once per leaf.
        """
        self.report.evaluations += 1
        facts = _LeafFacts(self, leaf, free)
        facts.update(self._walk_values(leaf))
        return Evaluation(self.book, facts)

    def _walk_values(self, leaf: Leaf) -> dict[str, frozenset[Any]]:
        found: dict[str, frozenset[Any]] | None = leaf.__dict__.get("_walk_values")
        if found is None:
            ev = Evaluation(self.book, _LeafFacts(self, leaf, {}))
            found = {det: ev.values(det) for det in sorted(self._walk_dets)}
            leaf.__dict__["_walk_values"] = found
        return found

    def free_facts(self, leaf: Leaf, refs: Iterable[str]) -> list[str]:
        """The questions these references read that this leaf asks and whose answer it leaves open: the
        free questions, and the skeleton questions whose coarse class holds more than one fine class."""
        skeleton, free, _ = self._expand(refs)
        return [q for q in free if q in leaf.asked] + [q for q in skeleton if self.refined(leaf, q)]

    def refined(self, leaf: Leaf, qid: str) -> bool:
        """A skeleton question this leaf asks whose answer stands for several fine classes."""
        return qid in leaf.asked and len(self._pools[qid][leaf.answers[qid]]) > 1

    def pool(self, leaf: Leaf, qid: str) -> list[ValueClass]:
        """The answers a check enumerates for a question at this leaf."""
        if qid in self.skeleton:
            return self._pools[qid][leaf.answers[qid]]
        return self.classes[qid]

    def domain(self, leaf: Leaf, qid: str) -> int:
        """How many answers ``pool`` stands for."""
        if qid in self.skeleton:
            return sum(c.count for c in self._pools[qid][leaf.answers[qid]])
        return self._counts[qid]

    def _fact_questions(self, ref: str) -> frozenset[str]:
        return _fact_questions(self.book, ref, self._fq_memo)

    def assignments(self, leaf: Leaf, facts: list[str]) -> Iterator[tuple[Assignment, int]]:
        """Every combination of value classes of these facts, with how many answer sets each stands for."""
        pools = [self.pool(leaf, f) for f in facts]
        for combo in itertools.product(*pools):
            yield {f: c.value for f, c in zip(facts, combo, strict=True)}, prod(c.count for c in combo)

    def _expand(self, refs: Iterable[str]) -> tuple[list[str], list[str], list[str]]:
        """What a set of references reads: skeleton questions, free questions, skeleton-only determinations."""
        key = frozenset(refs)
        found = self._expanded.get(key)
        if found is not None:
            return found
        skeleton: set[str] = set()
        free: set[str] = set()
        dets: set[str] = set()
        stack = list(key)
        seen: set[str] = set()
        while stack:
            ref = stack.pop()
            if ref in seen:
                continue
            seen.add(ref)
            if ref.startswith("listed:"):
                action = self.book.action(ref.split(":", 1)[1])
                stack += [r for part in (action.due, *(u.when for u in action.urgency)) if part is not None
                          for r in part.refs()]
                continue
            fact = self.book.facts[ref]
            if fact.kind == "flag":
                continue
            if fact.kind == "question":
                (skeleton if ref in self.skeleton else free).add(ref)
            elif ref in self._walk_dets:
                dets.add(ref)  # settled by the skeleton's coarse answers alone
            else:
                det = self.book.determination(ref)
                stack += [r for c in det.cases for p in (c.when, c.logic, c.condition) if p is not None
                          for r in p.refs()]
        found = (sorted(skeleton), sorted(free), sorted(dets))
        self._expanded[key] = found
        return found

    def leaf_key(self, leaf: Leaf, refs: Iterable[str]) -> tuple[Any, ...]:
        """What a check reads of a skeleton leaf, and nothing more: memoising on it loses nothing.

        A determination that decides which questions are asked is read by its value; a skeleton
        question by its coarse answer (the check enumerates the fine answers within it); a free
        question by whether it is asked; ``listed:`` by what that action reads.
        """
        skeleton, free, dets = self._expand(refs)
        return (
            tuple(leaf.answers.get(q, SKIPPED) for q in skeleton),
            tuple(q in leaf.asked for q in free),
            tuple(self._leaf_determination(leaf, d) for d in dets),
        )

    def _leaf_determination(self, leaf: Leaf, det_id: str) -> Any:
        cache = leaf.__dict__.setdefault("_dets", {})
        if det_id not in cache:
            values = self._walk_values(leaf)[det_id]
            cache[det_id] = next(iter(values)) if len(values) == 1 else tuple(sorted(map(repr, values)))
        return cache[det_id]

    # -- reporting ---------------------------------------------------------------

    def _violation(self, check: str, message: str, answers: dict[str, Any] | _At, expect: dict[str, Any]) -> None:
        """Record a violation, keeping the shortest answer set that shows it."""
        existing = next((v for v in self.report.violations if v.check == check), None)
        if existing is not None and isinstance(answers, _At) and len(answers.leaf.order) >= len(existing.answers):
            return
        found = answers.answers() if isinstance(answers, _At) else answers
        if existing is None:
            self.report.violations.append(Violation(check, message, found, expect))
        elif len(found) < len(existing.answers):
            existing.message, existing.answers, existing.expect = message, found, expect

    def full_answers(self, leaf: Leaf, free: Assignment) -> dict[str, Any]:
        """A complete, valid answer set for this leaf and free assignment, in the walk's order."""
        out: dict[str, Any] = {}
        for qid in leaf.order:
            if qid in free:
                value = free[qid]
            elif qid in leaf.answers and qid in self.skeleton:
                value = leaf.answers[qid]
            else:
                value = self.classes[qid][0].value
            out[qid] = sorted(value) if isinstance(value, frozenset) else value
        return out

    # -- the checks ------------------------------------------------------------------

    def run(self) -> Report:
        started = time.perf_counter()
        leaves = self.leaves()
        self.report.skeleton_paths = len(leaves)
        for leaf in leaves:
            self.report.questions_asked.update(leaf.order)
            leaf.free_total = prod(self._counts[q] for q in leaf.order if q not in self.skeleton)
            self.report.paths += leaf.weight * leaf.free_total
        self.check_actions(leaves)
        self.check_determinations(leaves)
        self.check_invariants(leaves)
        self.check_pointless(leaves)
        self.check_reachability()
        self.report.seconds = time.perf_counter() - started
        return self.report

    def _weight(self, leaf: Leaf, facts: list[str], count: int) -> int:
        """Paths one assignment of ``facts`` stands for at this leaf."""
        return leaf.weight * count * leaf.free_total // prod(self.domain(leaf, f) for f in facts)

    def action_refs(self, action: Action) -> set[str]:
        refs: set[str] = set(action.due.refs())
        for u in action.urgency:
            refs |= set(u.when.refs()) if u.when else set()
        for r in action.reasons:
            refs |= set(r.when.refs()) if r.when else set()
        return refs

    def check_actions(self, leaves: list[Leaf]) -> None:
        book = self.book
        self.report.checks += ["every listed action has reasons and a source", "urgency is always settled",
                               "no condition is always true or always false"]
        seen: dict[int, int] = {}  # id(condition) -> bits seen
        for action in book.actions:
            if not action.source.strip():
                self._violation(f"source_{action.id}", f"action {action.id!r} has no source", {}, {})
            refs = frozenset(self.action_refs(action))
            self.report.action_paths.setdefault(action.id, 0)
            for leaf in leaves:
                facts = self.free_facts(leaf, refs)
                key = ("action", action.id, self.leaf_key(leaf, refs))
                summary = self._cache.get(key)
                if summary is None:
                    summary = self._action_summary(action, leaf, facts, seen)
                    self._cache[key] = summary
                due_count, levels, problems = summary
                factor = leaf.weight * leaf.free_total // prod(self.domain(leaf, f) for f in facts)
                self.report.action_paths[action.id] += due_count * factor
                for level, count in levels.items():
                    k = (action.id, level)
                    self.report.urgency_paths[k] = self.report.urgency_paths.get(k, 0) + count * factor
                for check, message, free, expect in problems:
                    self._violation(check, message, _At(self, leaf, free), expect)
        for action in book.actions:
            parts: list[tuple[str, Condition | None]] = [("due", action.due)]
            parts += [(f"urgency {u.level}", u.when) for u in action.urgency if u.when is not None]
            parts += [(f"reason {i + 1}", r.when) for i, r in enumerate(action.reasons) if r.when is not None]
            for label, cond in parts:
                if cond is None or all(self.book.facts.get(r) is not None and self.book.facts[r].kind == "flag"
                                       for r in cond.refs()):
                    continue  # reads only the deployment's flags: constant by design in one deployment
                bits = seen.get(id(cond), 0)
                if bits != BOTH and any(r in self.book.flags for r in cond.refs()):
                    self.report.notes.append(f"the {label} condition of {action.id!r} is "
                                             f"{'always' if bits == TRUE else 'never'} true in this deployment, "
                                             "because of its availability flags")
                    continue
                if bits == TRUE:
                    self._violation(f"always_true_{action.id}_{label.replace(' ', '_')}",
                                    f"the {label} condition of {action.id!r} is always true where it is read", {}, {})
                elif bits == FALSE or bits == 0:
                    self._violation(f"always_false_{action.id}_{label.replace(' ', '_')}",
                                    f"the {label} condition of {action.id!r} is never true where it is read", {}, {})

    def _action_summary(self, action: Action, leaf: Leaf, facts: list[str], seen: dict[int, int]
                        ) -> tuple[int, dict[int, int], list[tuple[str, str, Assignment, dict[str, Any]]]]:
        """For one action at one kind of leaf: how many answer sets list it, at which urgency, and any fault."""
        due_count = 0
        levels: dict[int, int] = {}
        problems: list[tuple[str, str, Assignment, dict[str, Any]]] = []
        for free, count in self.assignments(leaf, facts):
            ev = self.evaluation(leaf, free)
            due = ev.listed(action.id)
            seen[id(action.due)] = seen.get(id(action.due), 0) | due
            if due == BOTH:
                problems.append((f"settled_{action.id}", f"{action.id!r} is neither due nor not due on a complete "
                                 "walk", free, {}))
                continue
            if due == FALSE:
                continue
            due_count += count
            level: int | None = None
            for rule in action.urgency:
                bits = TRUE if rule.when is None else rule.when.bits(ev)
                if rule.when is not None:
                    seen[id(rule.when)] = seen.get(id(rule.when), 0) | bits
                if bits == BOTH:
                    level = -1
                    break
                if bits == TRUE:
                    level = rule.level
                    break
            if level is None or level == -1:
                problems.append((f"urgency_{action.id}", f"the urgency of {action.id!r} is not settled", free,
                                 {"referrals": [action.id]}))
            else:
                levels[level] = levels.get(level, 0) + count
            shown = 0
            for reason in action.reasons:
                bits = TRUE if reason.when is None else reason.when.bits(ev)
                if reason.when is not None:
                    seen[id(reason.when)] = seen.get(id(reason.when), 0) | bits
                shown += bits == TRUE
            if shown == 0:
                problems.append((f"reasons_{action.id}", f"{action.id!r} is listed with no reason shown", free,
                                 {"referrals": [action.id]}))
        return due_count, levels, problems

    def check_determinations(self, leaves: list[Leaf]) -> None:
        self.report.checks.append("every determination is settled on every complete walk")
        for det in self.book.determinations:
            refs = frozenset(r for c in det.cases for p in (c.when, c.logic, c.condition) if p is not None
                             for r in p.refs())
            for value in det.values if det.type != "choice" else (*det.values, None):
                self.report.determination_paths.setdefault((det.id, value), 0)
            for leaf in leaves:
                facts = self.free_facts(leaf, refs)
                key = ("det", det.id, self.leaf_key(leaf, refs))
                cached = self._cache.get(key)
                if cached is None:
                    cached = []
                    for free, count in self.assignments(leaf, facts):
                        values = self.evaluation(leaf, free).values(det.id)
                        cached.append((free, count, values))
                    self._cache[key] = cached
                for free, count, values in cached:
                    if len(values) != 1 or SKIPPED in values or ANY_SUBSET in values:
                        self._violation(f"settled_{det.id}", f"determination {det.id!r} is not settled on a "
                                        "complete walk", _At(self, leaf, free), {})
                        continue
                    (value,) = values
                    k = (det.id, value)
                    self.report.determination_paths[k] = (self.report.determination_paths.get(k, 0)
                                                          + self._weight(leaf, facts, count))

    def check_invariants(self, leaves: list[Leaf]) -> None:
        inv = self.book.invariants
        by_id = {a.id: a for a in self.book.actions}
        assumptions = {a.id: a for a in self.book.assumptions}
        for never in inv.never:
            self.report.checks.append(f"never: {never.id}")
            refs = frozenset({*never.when.refs(), *(f"listed:{a}" for a in never.actions),
                              *(r for aid in never.assumptions for r in assumptions[aid].when.refs())})
            for leaf in leaves:
                key = ("never", never.id, self.leaf_key(leaf, refs), tuple(q in leaf.asked for q in never.questions))
                if key in self._cache:
                    continue
                self._cache[key] = True
                facts = self.free_facts(leaf, refs)
                for free, _ in self.assignments(leaf, facts):
                    ev = self.evaluation(leaf, free)
                    if never.when.bits(ev) != TRUE:
                        continue
                    for aid in never.actions:
                        if ev.listed(aid) == TRUE:
                            self._violation(never.id, f"{never.text} ({aid!r} is listed)", _At(self, leaf, free),
                                            {"not_referrals": [aid]})
                    for qid in never.questions:
                        if qid in leaf.order:
                            self._violation(never.id, f"{never.text} ({qid!r} is asked)", _At(self, leaf, free),
                                            {"not_asked": [qid]})
                    for aid in never.assumptions:
                        if assumptions[aid].when.bits(ev) == TRUE:
                            self._violation(never.id, f"{never.text} (assumption {aid!r} applies)",
                                            _At(self, leaf, free), {"not_assumptions": [aid]})
        for always in inv.always:
            self.report.checks.append(f"always: {always.id}")
            refs = frozenset({*always.when.refs(), *(f"listed:{a}" for a in (*always.actions, *always.any_of))})
            for leaf in leaves:
                always_key = ("always", always.id, self.leaf_key(leaf, refs))
                if always_key in self._cache:
                    continue
                self._cache[always_key] = True
                for free, _ in self.assignments(leaf, self.free_facts(leaf, refs)):
                    ev = self.evaluation(leaf, free)
                    if always.when.bits(ev) != TRUE:
                        continue
                    for aid in always.actions:
                        if ev.listed(aid) != TRUE:
                            self._violation(always.id, f"{always.text} ({aid!r} is missing)",
                                            _At(self, leaf, free), {"referrals": [aid]})
                    if always.any_of and not any(ev.listed(aid) == TRUE for aid in always.any_of):
                        self._violation(always.id, f"{always.text} (none of {', '.join(map(repr, always.any_of))} "
                                        "is listed)", _At(self, leaf, free), {"any_referrals": list(always.any_of)})
        for rule in inv.ordering:
            self.report.checks.append(f"ordering: {rule.id}")
            pairs: list[tuple[str, str]] = []
            if rule.first:
                pairs = [(rule.first, a.id) for a in self.book.actions if a.id != rule.first]
            elif rule.before:
                pairs = [(rule.before, after) for after in rule.after]
            for first_id, then_id in pairs:
                first, then = by_id[first_id], by_id[then_id]
                if (max(u.level for u in first.urgency), first.index) < (min(u.level for u in then.urgency),
                                                                         then.index):
                    continue  # first on every path where both are listed, whatever the answers
                refs = frozenset({f"listed:{first_id}", f"listed:{then_id}"})  # listed, and at which urgency
                for leaf in leaves:
                    order_key = ("order", first_id, then_id, self.leaf_key(leaf, refs))
                    if order_key in self._cache:
                        continue
                    self._cache[order_key] = True
                    for free, _ in self.assignments(leaf, self.free_facts(leaf, refs)):
                        ev = self.evaluation(leaf, free)
                        if ev.listed(first_id) != TRUE or ev.listed(then_id) != TRUE:
                            continue
                        if (ev.urgency(first)[0], first.index) > (ev.urgency(then)[0], then.index):
                            self._violation(rule.id, f"{rule.text} ({then_id!r} comes before {first_id!r})",
                                            _At(self, leaf, free), {"order": [first_id, then_id]})

    def outcome_refs(self) -> list[Part]:
        """Each part of the outcome that a question can change: determinations, actions (listed, and their
        urgency), the test card's elements and the assumptions. (Needs are their questions' own options.)"""
        parts: list[Part] = []
        for det in self.book.determinations:
            refs = frozenset(r for c in det.cases for p in (c.when, c.logic, c.condition) if p is not None
                             for r in p.refs())
            parts.append((det.id, refs, partial(_determination_values, det_id=det.id)))
        for action in self.book.actions:
            refs = frozenset({*action.due.refs(), *(r for u in action.urgency if u.when for r in u.when.refs())})

            def status(ev: Evaluation, a: Action = action) -> Any:
                return (ev.listed(a.id), ev.urgency(a)[0] if ev.listed(a.id) == TRUE else None)

            parts.append((action.id, refs, status))
        for element in self.book.elements:
            refs = frozenset({element.question, *(r for b in (*element.not_required, *element.unknown)
                                                  for r in b.when.refs())})
            parts.append((f"element:{element.id}", refs, partial(_element_value, element=element)))
        for assumption in self.book.assumptions:
            parts.append((f"assumption:{assumption.id}", frozenset(assumption.when.refs()),
                          partial(_assumption_applies, assumption=assumption)))
        return parts

    def exempt_from_pointless(self, q: Question) -> bool:
        """Asked whatever the answers (no ``ask_when``), or asked for the record (``record: true``)."""
        return q.ask_when is None or q.record

    def check_pointless(self, leaves: list[Leaf]) -> None:
        """No asked question is pointless: at least two of its answers lead to a different outcome.

        The outcome is every determination, which actions are listed and their urgency, the test card
        and the assumptions (needs: every chosen need is listed with its service); the wording of
        reasons does not count. Questions asked always, or for the record, are exempt.

        A question is judged where it is asked: the answers before it are given (each combination
        of those the outcome reads is tried), the answers after it may be anything.
        """
        self.report.checks.append("no asked question is pointless")
        parts = self._parts
        needs_questions = {n.question for n in self.book.needs.values()}
        exempt = {q.id for q in self.book.questions if self.exempt_from_pointless(q)}
        by_fact: dict[str, list[Part]] = {}
        for part in parts:
            for ref in part[1]:
                for q in self._fact_questions(ref):
                    by_fact.setdefault(q, []).append(part)
        done: set[Any] = set()
        prefixes: dict[tuple[Any, ...], list[tuple[Leaf, int]]] = {}
        for leaf in leaves:
            for position, qid in enumerate(leaf.order):
                if qid in self.skeleton:
                    prefix = (qid, *((q, leaf.answers[q]) for q in leaf.order[:position] if q in self.skeleton))
                    prefixes.setdefault(prefix, []).append((leaf, position))
        for prefix, found in prefixes.items():
            qid = str(prefix[0])
            if qid in exempt:
                continue
            if not any(self._fine_answers_matter(leaf, qid, by_fact.get(qid, []))
                       or self._skeleton_question_matters(leaf, position) for leaf, position in found):
                self._violation(f"pointless_{qid}", f"{qid!r} is asked, but no answer to it changes any "
                                f"{POINTLESS_PARTS}", self.full_answers(found[0][0], {}), {})
        for leaf in leaves:
            place = {q: i for i, q in enumerate(leaf.order)}
            for qid in leaf.order:
                if qid in needs_questions or qid in self.skeleton or qid in exempt:
                    continue  # needs: every chosen need is listed with its service
                candidates = by_fact.get(qid, [])
                key = ("pointless", qid, tuple(self.leaf_key(leaf, p[1]) for p in candidates))
                if key in done:
                    continue
                done.add(key)
                before = sorted({f for part in candidates for f in self.free_facts(leaf, part[1])
                                 if place[f] < place[qid]})
                for given, _ in self.assignments(leaf, before):
                    if not any(self._varies(leaf, qid, part, given) for part in candidates):
                        self._violation(f"pointless_{qid}", f"{qid!r} is asked, but no answer to it changes any "
                                        f"{POINTLESS_PARTS}", _At(self, leaf, given), {})
                        break

    def _fine_answers_matter(self, leaf: Leaf, qid: str,
                             parts: list[Part]) -> bool:
        """A skeleton question's answers that lead to the same questions may still change the outcome."""
        return self.refined(leaf, qid) and any(self._varies(leaf, qid, part, {}) for part in parts)

    def _varies(self, leaf: Leaf, qid: str, part: Part,
                given: Assignment) -> bool:
        """Whether, with these earlier answers given, some answers to ``qid`` give this part different values."""
        facts = self.free_facts(leaf, part[1])
        given = {f: v for f, v in given.items() if f in facts}
        key = ("varies", qid, part[0], self.leaf_key(leaf, part[1]), tuple(sorted(given.items())))
        if key not in self._cache:
            self._cache[key] = self._varies_uncached(leaf, qid, part, facts, given)
        return bool(self._cache[key])

    def _varies_uncached(self, leaf: Leaf, qid: str, part: Part,
                         facts: list[str], given: Assignment) -> bool:
        others = [f for f in facts if f != qid and f not in given]
        for free, _ in self.assignments(leaf, others):
            results = set()
            for cls in self.pool(leaf, qid):
                results.add(repr(part[2](self.evaluation(leaf, {**given, **free, qid: cls.value}))))
                if len(results) > 1:
                    return True
        return False

    def _skeleton_question_matters(self, leaf: Leaf, position: int) -> bool:
        """Change this skeleton answer (keeping the others) and see whether any part of the outcome changes."""
        qid = leaf.order[position]
        here = self._signatures(leaf)
        matters = False
        for cls in self.walk_classes[qid]:
            if cls.value == leaf.answers[qid]:
                continue
            changed = {q: v for q, v in leaf.answers.items() if q in self.skeleton}
            changed[qid] = cls.value
            for other in self._complete(changed):
                if self._signatures(other) != here:
                    matters = True
                    break
            if matters:
                break
        return matters

    def _complete(self, answers: dict[str, Any]) -> Iterator[Leaf]:
        """Skeleton leaves reached from these answers, answering any newly asked skeleton question every way."""
        return self._walks(answers, 1, check=False)

    def _signatures(self, leaf: Leaf) -> frozenset[Any]:
        """Every outcome (determinations, actions with urgency) reachable at a skeleton leaf, over all free answers."""
        cached = leaf.__dict__.get("_signature")
        if cached is not None:
            return cached  # type: ignore[no-any-return]
        result = []
        for name, refs, fn in self._parts:
            key = ("part", name, self.leaf_key(leaf, refs))
            values = self._cache.get(key)
            if values is None:
                facts = self.free_facts(leaf, refs)
                values = frozenset(repr(fn(self.evaluation(leaf, free))) for free, _ in self.assignments(leaf, facts))
                self._cache[key] = values
            result.append((name, values))
        out = frozenset(result)
        leaf.__dict__["_signature"] = out
        return out

    def check_reachability(self) -> None:
        self.report.checks += ["every question is reachable", "every action is reachable",
                               "every determination value is reachable"]
        for q in self.book.questions:
            if q.id not in self.report.questions_asked:
                self._violation(f"unreachable_{q.id}", f"question {q.id!r} is never asked", {}, {})
        for aid, paths in self.report.action_paths.items():
            if paths == 0:
                flags = sorted(r for r in self.book.action(aid).due.refs()
                               if r in self.book.flags)
                if flags:
                    self.report.notes.append(
                        f"action {aid!r} is never listed in this deployment: it depends on "
                        + ", ".join(f"{f} = {self.book.flags[f].value}" for f in flags))
                    continue
                self._violation(f"unreachable_{aid}", f"action {aid!r} is never listed", {}, {})
        for (did, value), paths in self.report.determination_paths.items():
            if paths == 0:
                self._violation(f"unreachable_{did}_{value}", f"determination {did!r} never takes the value "
                                f"{value!r}", {}, {})


def _determination_values(ev: Evaluation, det_id: str) -> frozenset[Any]:
    return ev.values(det_id)


def _element_value(ev: Evaluation, element: Element) -> Any:
    """The test card's value for an element, exactly as the outcome shows it (its words do not count)."""
    return Explainer(ev.book, ev, dt.date.min).element(element)[0]


def _assumption_applies(ev: Evaluation, assumption: Assumption) -> bool:
    """Whether the outcome lists the assumption (as ``Explainer.assumptions`` decides)."""
    return assumption.when.bits(ev) == TRUE


def verify(book: Rulebook) -> Report:
    return Verifier(book).run()
