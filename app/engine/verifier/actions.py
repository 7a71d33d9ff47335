"""The actions check: on every path each action is settled (due or not), a listed action has a settled
urgency and at least one reason shown, every action has a source, and no condition of an action is
always true or always false where it is read. It also counts the paths that list each action."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..conditions import BOTH, FALSE, TRUE, Condition
from ..evaluation import Evaluation
from ..rulebook import Action
from .abstraction import LeafKey
from .explore import Assignment, At, Explorer, Leaf


@dataclass(frozen=True)
class Problem:
    """A fault found at one assignment of a leaf: the check, its message, where, and the scenario's expect."""

    check: str
    message: str
    free: Assignment
    expect: dict[str, list[str]]


@dataclass
class Summary:
    """One action at one kind of leaf: how many answer sets list it, at which urgency, and any fault."""

    due: int = 0
    levels: dict[int, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


class ActionsCheck:
    """Checks every action on every leaf, memoised per action on what the action reads of the leaf."""

    def __init__(self, explorer: Explorer) -> None:
        self.explorer = explorer
        self.book = explorer.book
        self.report = explorer.report
        self.seen: dict[int, int] = {}  # id(condition) -> the bits it took where it was read

    def run(self, leaves: list[Leaf]) -> None:
        self.report.checks += ["every listed action has reasons and a source", "urgency is always settled",
                               "no condition is always true or always false"]
        for action in self.book.actions:
            if not action.source.strip():
                self.report.record(f"source_{action.id}", f"action {action.id!r} has no source", {}, {})
            self._check(action, leaves)
        for action in self.book.actions:
            self._constant_conditions(action)

    def _check(self, action: Action, leaves: list[Leaf]) -> None:
        reading = self.explorer.space.reading(action.refs(reasons=True))
        memo: dict[LeafKey, Summary] = {}
        report = self.report
        report.action_paths.setdefault(action.id, 0)
        for leaf in leaves:
            facts = leaf.free_facts(reading)
            key = leaf.key(reading)
            summary = memo.get(key)
            if summary is None:
                summary = memo[key] = self._summary(action, leaf, facts)
            factor = leaf.paths(facts, 1)
            report.action_paths[action.id] += summary.due * factor
            for level, count in summary.levels.items():
                k = (action.id, level)
                report.urgency_paths[k] = report.urgency_paths.get(k, 0) + count * factor
            for problem in summary.problems:
                report.record(problem.check, problem.message, At(leaf, problem.free), problem.expect)

    def _summary(self, action: Action, leaf: Leaf, facts: list[str]) -> Summary:
        summary = Summary()
        for free, count in leaf.assignments(facts):
            ev = self.explorer.evaluation(leaf, free)
            due = ev.listed(action.id)
            self._saw(action.due, due)
            if due == BOTH:
                summary.problems.append(Problem(f"settled_{action.id}", f"{action.id!r} is neither due nor not due "
                                                "on a complete walk", free, {}))
                continue
            if due == FALSE:
                continue
            summary.due += count
            level = self._urgency(action, ev)
            if level is None:
                summary.problems.append(Problem(f"urgency_{action.id}", f"the urgency of {action.id!r} is not "
                                                "settled", free, {"referrals": [action.id]}))
            else:
                summary.levels[level] = summary.levels.get(level, 0) + count
            if not self._reasons_shown(action, ev):
                summary.problems.append(Problem(f"reasons_{action.id}", f"{action.id!r} is listed with no reason "
                                                "shown", free, {"referrals": [action.id]}))
        return summary

    def _saw(self, condition: Condition, bits: int) -> None:
        self.seen[id(condition)] = self.seen.get(id(condition), 0) | bits

    def _urgency(self, action: Action, ev: Evaluation) -> int | None:
        """The listed action's urgency level, or None if it is not settled."""
        for rule in action.urgency:
            bits = TRUE
            if rule.when is not None:
                bits = rule.when.bits(ev)
                self._saw(rule.when, bits)
            if bits == BOTH:
                return None
            if bits == TRUE:
                return rule.level
        return None

    def _reasons_shown(self, action: Action, ev: Evaluation) -> int:
        """How many of the listed action's reasons are shown."""
        shown = 0
        for reason in action.reasons:
            bits = TRUE
            if reason.when is not None:
                bits = reason.when.bits(ev)
                self._saw(reason.when, bits)
            shown += bits == TRUE
        return shown

    def _constant_conditions(self, action: Action) -> None:
        """Report each condition of the action that is always true, or never true, where it is read."""
        book = self.book
        parts: list[tuple[str, Condition | None]] = [("due", action.due)]
        parts += [(f"urgency {u.level}", u.when) for u in action.urgency if u.when is not None]
        parts += [(f"reason {i + 1}", r.when) for i, r in enumerate(action.reasons) if r.when is not None]
        for label, cond in parts:
            if cond is None or all(r in book.flags for r in cond.refs()):
                continue  # reads only the deployment's flags: constant by design in one deployment
            bits = self.seen.get(id(cond), 0)
            if bits != BOTH and any(r in book.flags for r in cond.refs()):
                self.report.notes.append(f"the {label} condition of {action.id!r} is "
                                         f"{'always' if bits == TRUE else 'never'} true in this deployment, "
                                         "because of its availability flags")
                continue
            check = f"{action.id}_{label.replace(' ', '_')}"
            if bits == TRUE:
                self.report.record(f"always_true_{check}",
                                   f"the {label} condition of {action.id!r} is always true where it is read", {}, {})
            elif bits == FALSE or bits == 0:
                self.report.record(f"always_false_{check}",
                                   f"the {label} condition of {action.id!r} is never true where it is read", {}, {})
