"""The rule graph: which rule reads which fact, in one place.

A *rule* is a question (its ``ask_when``), a determination (its cases), an action (its ``due`` and
urgency rules, and optionally its reasons) or a flag (which reads nothing). A *fact* is what a
condition reads: a question's answer, a determination, a flag, or ``listed:<action>`` (another action
being listed), spelt as ``Condition.refs`` spells it.

The loader builds a graph from the parts it has compiled, before a ``Rulebook`` exists, to check for
cycles and question order; the walk, the verifier, the explainer and the diagram read
``Rulebook.graph``, built once per rulebook.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .conditions import AllOf, AnyOf, Condition, Logic, LogicAll, LogicAny, LogicNot, Not

if TYPE_CHECKING:
    from .rulebook import Action, Determination, Flag, Question

LISTED = "listed:"


def leaves(node: Condition | Logic | None) -> Iterator[Condition | Logic]:
    """Every leaf of a condition or logic tree (fact tests, ``listed:``, fact references, constants)."""
    if node is None:
        return
    if isinstance(node, (AllOf, AnyOf, LogicAll, LogicAny)):
        for item in node.items:
            yield from leaves(item)
    elif isinstance(node, (Not, LogicNot)):
        yield from leaves(node.item)
    else:
        yield node


def cycles(edges: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Each elementary cycle found by depth-first search, reported once, starting at its first node.

    Nodes are visited in the mapping's order, and each node's successors in sorted order; a successor
    that is not a key of ``edges`` is ignored."""
    found: list[list[str]] = []
    reported: set[frozenset[str]] = set()
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in edges:
                continue
            if state.get(nxt) == 1:
                cycle = [*path[path.index(nxt):], nxt]
                key = frozenset(cycle)
                if key not in reported:
                    reported.add(key)
                    found.append(cycle)
            elif nxt not in state:
                visit(nxt, path)
        path.pop()
        state[node] = 2

    for node in edges:
        if node not in state:
            visit(node, [])
    return found


def listed_action(ref: str) -> str | None:
    """The action a ``listed:<action>`` reference names, or None for any other reference."""
    return ref[len(LISTED):] if ref.startswith(LISTED) else None


@dataclass(frozen=True)
class RuleGraph:
    """What each rule reads, who reads each fact, and the order rules can be evaluated in.

    ``reads`` maps every rule id (question, determination, action, flag) to the facts it reads
    directly; an action's entry covers its ``due`` and urgency rules, not its reasons
    (``action_reads(..., reasons=True)`` adds those). ``readers`` is the reverse: each fact
    (including ``listed:<action>``) to the rules that read it directly. ``order`` is every
    determination, then every action, each after the determinations and actions it reads
    (in declared order otherwise; a cycle, which the loader reports, is broken where it is met)."""

    reads: Mapping[str, frozenset[str]]
    readers: Mapping[str, frozenset[str]]
    order: tuple[str, ...]
    questions: frozenset[str]
    determinations: frozenset[str]
    actions: frozenset[str]
    reason_reads: Mapping[str, frozenset[str]]
    _memo: dict[tuple[str, bool], frozenset[str]] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def of(cls, questions: Iterable[Question], determinations: Iterable[Determination],
           actions: Iterable[Action], flags: Iterable[Flag] = ()) -> RuleGraph:
        """The graph of these rules (the loader calls it on its parts; ``Rulebook.graph`` on the whole)."""
        questions, determinations, actions = list(questions), list(determinations), list(actions)
        reads: dict[str, frozenset[str]] = {}
        for question in questions:
            reads[question.id] = question.refs()
        for determination in determinations:
            reads[determination.id] = determination.refs()
        for action in actions:
            reads[action.id] = action.refs()
        for flag in flags:
            reads.setdefault(flag.id, frozenset())
        readers: dict[str, set[str]] = {}
        for rule_id, facts in reads.items():
            for fact in facts:
                readers.setdefault(fact, set()).add(rule_id)
        det_ids = [d.id for d in determinations]
        action_ids = [a.id for a in actions]
        return cls(
            reads=reads,
            readers={fact: frozenset(ids) for fact, ids in readers.items()},
            order=_order(det_ids, action_ids, reads),
            questions=frozenset(q.id for q in questions),
            determinations=frozenset(det_ids),
            actions=frozenset(action_ids),
            reason_reads={a.id: a.refs(reasons=True) for a in actions},
        )

    def action_reads(self, action_id: str, *, reasons: bool = False) -> frozenset[str]:
        """The facts an action's ``due`` and urgency rules read (and, with ``reasons``, its reasons')."""
        return self.reason_reads[action_id] if reasons else self.reads[action_id]

    def depends_on(self, rule_id: str) -> frozenset[str]:
        """The determinations and actions a rule reads directly (``listed:`` resolved to the action)."""
        found: set[str] = set()
        for ref in self.reads.get(rule_id, ()):
            action = listed_action(ref)
            if action is not None:
                found.add(action)
            elif ref in self.determinations:
                found.add(ref)
        return frozenset(found)

    def fact_questions(self, fact: str, *, follow_listed: bool = True) -> frozenset[str]:
        """The questions a fact depends on, transitively through determinations.

        A question depends on itself; a flag, or an id that is no rule, on nothing. With
        ``follow_listed``, ``listed:<action>`` depends on what the action's ``due`` and urgency rules
        read; without it, on nothing (the loader's question-order check: questions never read
        ``listed:``). Cycles are followed once."""
        key = (fact, follow_listed)
        cached = self._memo.get(key)
        if cached is None:
            cached = self._memo[key] = self._reach(fact, follow_listed)
        return cached

    def _reach(self, fact: str, follow_listed: bool) -> frozenset[str]:
        found: set[str] = set()
        seen = {fact}
        stack = [fact]
        while stack:
            ref = stack.pop()
            action = listed_action(ref)
            if ref in self.questions:
                found.add(ref)
                continue
            if action is not None:
                if not follow_listed or action not in self.actions:
                    continue
                nexts: Iterable[str] = self.reads[action]
            elif ref in self.determinations:
                nexts = self.reads[ref]
            else:
                continue
            for nxt in nexts:
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        return frozenset(found)


def _order(det_ids: list[str], action_ids: list[str], reads: Mapping[str, frozenset[str]]) -> tuple[str, ...]:
    """Determinations, then actions, each after the determinations and actions it reads."""
    dets = set(det_ids)
    actions = set(action_ids)
    placed: list[str] = []
    visiting: set[str] = set()
    done: set[str] = set()

    def visit(rule_id: str) -> None:
        if rule_id in done or rule_id in visiting:
            return
        visiting.add(rule_id)
        for ref in sorted(reads.get(rule_id, ())):
            target = listed_action(ref) or ref
            if target in dets or (target in actions and rule_id in actions):
                visit(target)
        visiting.discard(rule_id)
        done.add(rule_id)
        placed.append(rule_id)

    for rule_id in (*det_ids, *action_ids):
        visit(rule_id)
    return tuple(placed)
