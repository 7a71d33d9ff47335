"""The pointless-question check: every question asked changes something, for at least two of its answers.

The outcome is every determination, which actions are listed and their urgency, the test card
and the assumptions (needs: every chosen need is listed with its service); the wording of
reasons does not count. Questions asked always (no ``ask_when``), or for the record
(``record: true``), are exempt.

A question is judged where it is asked: the answers before it are given (each combination of
those the outcome reads is tried), the answers after it may be anything. A skeleton question
also matters if another of its answers leads to other questions and so to another outcome.
"""

from __future__ import annotations

from ..answers import Value
from ..rulebook import Question
from .abstraction import LeafKey
from .explore import Assignment, At, Explorer, Leaf
from .parts import Part, outcome_parts
from .report import Answer

POINTLESS_PARTS = "determination, action or its urgency, need, element of the test card or assumption"
Prefix = tuple[str, tuple[tuple[str, Value], ...]]
"""A skeleton question and the skeleton answers before it: where it is asked."""


def exempt_from_pointless(q: Question) -> bool:
    """Asked whatever the answers (no ``ask_when``), or asked for the record (``record: true``)."""
    return q.ask_when is None or q.record


class PointlessCheck:
    """Finds the asked questions whose answers change no part of the outcome."""

    def __init__(self, explorer: Explorer) -> None:
        self.explorer = explorer
        self.space = explorer.space
        self.book = explorer.book
        self.report = explorer.report
        self.parts = outcome_parts(self.space)
        self.exempt = {q.id for q in self.book.questions if exempt_from_pointless(q)}
        self.by_question: dict[str, list[Part]] = {}  # the parts each question can change
        for part in self.parts:
            for ref in part.refs:
                for q in self.book.graph.fact_questions(ref, follow_listed=True):
                    self.by_question.setdefault(q, []).append(part)
        self.signatures: dict[Leaf, frozenset[tuple[str, frozenset[str]]]] = {}

    def run(self, leaves: list[Leaf]) -> None:
        self.report.checks.append("no asked question is pointless")
        self._skeleton_questions(leaves)
        self._free_questions(leaves)

    def _record(self, qid: str, answers: dict[str, Answer] | At) -> None:
        self.report.record(f"pointless_{qid}", f"{qid!r} is asked, but no answer to it changes any {POINTLESS_PARTS}",
                           answers, {})

    # -- skeleton questions: judged where they are asked, by the skeleton answers before them

    def _skeleton_questions(self, leaves: list[Leaf]) -> None:
        skeleton = self.space.skeleton
        prefixes: dict[Prefix, list[tuple[Leaf, int]]] = {}
        for leaf in leaves:
            for position, qid in enumerate(leaf.order):
                if qid in skeleton:
                    prefix = (qid, tuple((q, leaf.answers[q]) for q in leaf.order[:position] if q in skeleton))
                    prefixes.setdefault(prefix, []).append((leaf, position))
        for (qid, _), found in prefixes.items():
            if qid in self.exempt:
                continue
            if not any(self._fine_answers_matter(leaf, qid) or self._skeleton_answer_matters(leaf, position)
                       for leaf, position in found):
                self._record(qid, found[0][0].full_answers({}))

    def _fine_answers_matter(self, leaf: Leaf, qid: str) -> bool:
        """A skeleton question's answers that lead to the same questions may still change the outcome."""
        return leaf.refined(qid) and any(self._varies(leaf, qid, part, {}) for part in self.by_question.get(qid, []))

    def _skeleton_answer_matters(self, leaf: Leaf, position: int) -> bool:
        """Change this skeleton answer (keeping the others) and see whether any part of the outcome changes."""
        qid = leaf.order[position]
        here = self.signatures.get(leaf)
        if here is None:
            here = self.signatures[leaf] = self._signature(leaf)
        for cls in self.space.walk_classes[qid]:
            if cls.value == leaf.answers[qid]:
                continue
            changed = {q: v for q, v in leaf.answers.items() if q in self.space.skeleton}
            changed[qid] = cls.value
            if any(self._signature(other) != here for other in self.explorer.complete(changed)):
                return True
        return False

    def _signature(self, leaf: Leaf) -> frozenset[tuple[str, frozenset[str]]]:
        """Every outcome reachable at a skeleton leaf, over all free answers: each part's possible values."""
        result = []
        for part in self.parts:
            key = leaf.key(part.reading)
            values = part.values_at.get(key)
            if values is None:
                assignments = leaf.assignments(leaf.free_facts(part.reading))
                values = part.values_at[key] = frozenset(
                    repr(part.value(self.explorer.evaluation(leaf, free))) for free, _ in assignments)
            result.append((part.name, values))
        return frozenset(result)

    # -- free questions: judged with each combination of the earlier answers the outcome reads

    def _free_questions(self, leaves: list[Leaf]) -> None:
        skeleton = self.space.skeleton
        needs_questions = {n.question for n in self.book.needs.values()}
        done: set[tuple[str, tuple[LeafKey, ...]]] = set()  # a question, and what its parts read of the leaf
        for leaf in leaves:
            place = {q: i for i, q in enumerate(leaf.order)}
            for qid in leaf.order:
                if qid in needs_questions or qid in skeleton or qid in self.exempt:
                    continue  # needs: every chosen need is listed with its service
                candidates = self.by_question.get(qid, [])
                key = (qid, tuple(leaf.key(p.reading) for p in candidates))
                if key in done:
                    continue
                done.add(key)
                before = sorted({f for part in candidates for f in leaf.free_facts(part.reading)
                                 if place[f] < place[qid]})
                for given, _ in leaf.assignments(before):
                    if not any(self._varies(leaf, qid, part, given) for part in candidates):
                        self._record(qid, At(leaf, given))
                        break

    def _varies(self, leaf: Leaf, qid: str, part: Part, given: Assignment) -> bool:
        """Whether, with these earlier answers given, some answers to ``qid`` give this part different values."""
        facts = leaf.free_facts(part.reading)
        given = {f: v for f, v in given.items() if f in facts}
        key = (qid, leaf.key(part.reading), tuple(sorted(given.items())))
        found = part.varies.get(key)
        if found is None:
            found = part.varies[key] = self._varies_at(leaf, qid, part, facts, given)
        return found

    def _varies_at(self, leaf: Leaf, qid: str, part: Part, facts: list[str], given: Assignment) -> bool:
        others = [f for f in facts if f != qid and f not in given]
        for free, _ in leaf.assignments(others):
            results = set()
            for cls in leaf.pool(qid):
                results.add(repr(part.value(self.explorer.evaluation(leaf, {**given, **free, qid: cls.value}))))
                if len(results) > 1:
                    return True
        return False
