"""The parts of an outcome, compiled once per rulebook and memoised on exactly the facts each reads.

Building an outcome from scratch means evaluating every reason, explanation and statement, filling
their ``{fact}`` placeholders and building a model for each: many times the cost of the walk. Yet
each part reads only a few facts. A referral depends on its action's urgency rules, reasons and
wording variants (and the facts their placeholders name); an explanation on its determination and
what that reads; a statement on its cases. So each part is kept, once built, under what exactly
those facts depend on (``Reads``): the possible values of the questions behind them, read through
determinations and listed actions in the rule graph (``RuleGraph.fact_questions``). Another set of
answers that agrees on those questions gets the same part, whatever else it says, and finding the
part costs a dictionary look-up, without evaluating a condition. Nothing is kept under the whole
answer set (a benchmark that repeats one case would otherwise measure a cache).

The parts are pydantic models built without validation (``model_construct``) and shared between the
outcomes that use them: treat an outcome as read-only. ``tests/engine/test_outcome_build.py`` checks
that the JSON is byte for byte what a validated model gives.
"""

from __future__ import annotations

import datetime as dt
import operator
import weakref
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Any, Generic, TypeVar

from .conditions import TRUE, Condition
from .evaluation import Evaluation
from .explain import Explainer, pack_warnings, packs_out, placeholders, question_out, stale_contact_warning
from .graph import LISTED
from .outcome import (
    AnsweredOut,
    Determinations,
    Elements,
    ElementValue,
    ExplanationOut,
    GuidanceOut,
    NeedOut,
    NeedsOut,
    PackOut,
    QuestionOut,
    ReferralOut,
    StatementOut,
)
from .rulebook import Action, Element, Need, Question, Rulebook

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
Possible = Mapping[str, frozenset[Any]]
MEMO_LIMIT = 4096
"""Entries a memo of models keeps before it starts again (each part has few distinct inputs; this bounds memory)."""
SMALL_MEMO_LIMIT = 16384
"""The same for memos of small values (a bit, a value, a sentence), kept for every action or determination."""
MISSING: Any = object()


class Memo(Generic[K, V]):
    """Values by key, each made once; emptied when it reaches ``limit`` entries.

    Read ``found.get(key, MISSING)`` on the hot path and call ``make`` when it is missing."""

    def __init__(self, limit: int = MEMO_LIMIT) -> None:
        self.limit = limit
        self.found: dict[K, V] = {}

    def make(self, key: K, make: Callable[..., V], *args: Any) -> V:
        """``make(*args)``, kept under ``key``."""
        if len(self.found) >= self.limit:
            self.found.clear()
        value = self.found[key] = make(*args)
        return value

    def get(self, key: K, make: Callable[..., V], *args: Any) -> V:
        """The value kept under ``key``, else ``make(*args)``, kept."""
        found = self.found.get(key, MISSING)
        return self.make(key, make, *args) if found is MISSING else found


def _nothing(_: Possible) -> Hashable:
    return ()


class Reads:
    """The questions a part of the outcome depends on, directly or through determinations and listed
    actions (``RuleGraph.fact_questions``). Every fact's value follows from the questions' possible
    values (flags are fixed per rulebook), so parts whose questions agree are equal: ``key`` reads
    them straight from the walk's ``Evaluation.possible``, without evaluating anything."""

    def __init__(self, book: Rulebook, refs: Iterable[str]) -> None:
        asked = {q.id for q in book.questions}  # optional questions are no facts: nothing reads them
        found = {q for ref in refs for q in book.graph.fact_questions(ref)}
        self.questions: tuple[str, ...] = tuple(sorted(q for q in found if q in asked))
        self.key: Callable[[Possible], Hashable] = (
            operator.itemgetter(*self.questions) if self.questions else _nothing)

    @classmethod
    def of(cls, book: Rulebook, conditions: Iterable[Condition | None], texts: Iterable[str] = (),
           facts: Iterable[str] = ()) -> Reads:
        """What these conditions read, with the facts the texts' placeholders name, and ``facts``."""
        refs = {*facts, *(ref for cond in conditions if cond is not None for ref in cond.refs())}
        refs.update(name for text in texts for name in placeholders(text) if name in book.facts)
        return cls(book, refs)


def _element_refs(book: Rulebook, el: Element) -> list[str]:
    """What an element's test card value reads: its question, its conditions and its reasons' words."""
    becauses = (*el.not_required, *el.unknown)
    refs = [el.question, *(ref for b in becauses for ref in b.when.refs())]
    return refs + [name for b in becauses for name in placeholders(b.because) if name in book.facts]


def _action_reads(book: Rulebook, action: Action) -> Reads:
    """What a listed action's referral reads: urgency rules, reasons (and their words), wording variants."""
    conditions = (*(u.when for u in action.urgency), *(r.when for r in action.reasons),
                  *(v.when for v in action.variants))
    return Reads.of(book, conditions, (r.text for r in action.reasons))


class OutcomeParts:
    """One rulebook's outcome parts: the constant ones built at once, the others memoised as met."""

    def __init__(self, book: Rulebook) -> None:
        self.book = weakref.ref(book)  # not kept alive by its parts (see ``parts_of``)
        self.questions: dict[str, QuestionOut] = {
            q.id: question_out(q) for q in (*book.questions, *book.optional_questions)}
        self.guidance = [GuidanceOut.model_construct(id=g.id, text=g.text, source=g.source) for g in book.guidance]
        self.referral_reads = {a.id: _action_reads(book, a) for a in book.actions}
        self.element_reads = {el.id: Reads(book, _element_refs(book, el)) for el in book.elements}
        element_refs = [ref for el in book.elements for ref in _element_refs(book, el)]
        self.explanation_reads = {
            d.id: Reads.of(book, (), (c.because for c in d.cases if c.because),
                           (d.id, *d.refs(), *(element_refs if d.explain == "elements" else ())))
            for d in book.determinations}
        self.listed_reads = {a.id: Reads(book, (f"{LISTED}{a.id}",)) for a in book.actions}
        self._listed_keys = [(a, self.listed_reads[a.id].key) for a in book.actions]
        self.determination_reads = {d.id: Reads(book, (d.id,)) for d in book.determinations}
        self.elements_reads = Reads(book, element_refs)
        self.rules_version = book.version
        self.statement_reads = {s.id: Reads.of(book, (c.when for c in s.cases), (c.text for c in s.cases))
                                for s in book.statements}
        self.assumption_reads = {a.id: Reads.of(book, (a.when,), (a.text,)) for a in book.assumptions}
        need_questions = {n.question for n in book.needs.values()}
        main = {q.id for q in book.questions}
        # the needs chosen follow from the need questions' possible values (a used answer is the only value)
        self.need_reads = Reads(book, need_questions) if need_questions <= main else None
        self._referrals: Memo[tuple[str, dt.date, Hashable], ReferralOut] = Memo()
        self._elements: Memo[tuple[str, Hashable], tuple[ElementValue | None, str]] = Memo()
        self._explanations: Memo[tuple[str, Hashable], ExplanationOut] = Memo()
        self._statements: Memo[tuple[str, Hashable], StatementOut] = Memo()
        self._assumptions: Memo[tuple[str, Hashable], str | None] = Memo(SMALL_MEMO_LIMIT)
        self._answered: Memo[tuple[str, Any, bool], AnsweredOut] = Memo()
        self._needs: Memo[tuple[str, bool, dt.date], NeedOut] = Memo()
        self._needs_out: Memo[tuple[bool, dt.date, Hashable], NeedsOut] = Memo()
        self._warnings: Memo[tuple[dt.date, tuple[str, ...], tuple[str, ...], bool], list[str]] = Memo()
        self._by_day: Memo[dt.date, tuple[list[PackOut], list[str]]] = Memo(limit=64)
        self._listed: Memo[tuple[str, Hashable], int] = Memo(SMALL_MEMO_LIMIT)
        self._determination: Memo[tuple[str, Hashable], Any] = Memo(SMALL_MEMO_LIMIT)
        self._determinations: Memo[tuple[Any, ...], tuple[dict[str, Any], Determinations]] = Memo()
        self._elements_out: Memo[Hashable, Elements] = Memo()
        self._stale: Memo[tuple[str, dt.date], str] = Memo()

    def listed_actions(self, ev: Evaluation) -> list[Action]:
        """The actions listed, in the pack's order (each known by the questions its ``due`` reads)."""
        possible, found = ev.possible, self._listed.found
        listed = []
        for action, key_of in self._listed_keys:
            key = (action.id, key_of(possible))
            bits = found.get(key)
            if bits is None:
                bits = self._listed.make(key, ev.listed, action.id)
            if bits == TRUE:
                listed.append(action)
        return listed

    def determinations(self, ev: Evaluation) -> tuple[dict[str, Any], Determinations]:
        """Each determination's settled value (None while open or not applying), by id, and as the outcome's
        model: do not change either."""
        possible, found, reads = ev.possible, self._determination.found, self.determination_reads
        values = []
        for det in ev.book.determinations:
            key = (det.id, reads[det.id].key(possible))
            value = found.get(key, MISSING)
            values.append(self._determination.make(key, ev.single, det.id) if value is MISSING else value)
        return self._determinations.get(tuple(values), self._determinations_out, ev.book, values)

    @staticmethod
    def _determinations_out(book: Rulebook, values: list[Any]) -> tuple[dict[str, Any], Determinations]:
        by_id = {d.id: value for d, value in zip(book.determinations, values, strict=True)}
        return by_id, Determinations.model_construct(**by_id)

    def elements(self, x: Explainer) -> Elements:
        """The test card."""
        return self._elements_out.get(self.elements_reads.key(x.ev.possible), self._elements_model, x)

    def _elements_model(self, x: Explainer) -> Elements:
        values: dict[str, Any] = {el.id: self.element(x, el)[0] for el in x.book.elements}
        return Elements.model_construct(**values)

    def referral(self, x: Explainer, action: Action) -> ReferralOut:
        """A listed action's referral."""
        key = (action.id, x.today, self.referral_reads[action.id].key(x.ev.possible))
        found = self._referrals.found.get(key)
        return found if found is not None else self._referrals.make(key, x.referral, action)

    def element(self, x: Explainer, el: Element) -> tuple[ElementValue | None, str]:
        """The test card's value for an element, with its reason in words."""
        return self._elements.get((el.id, self.element_reads[el.id].key(x.ev.possible)), x.element, el)

    def explanations(self, x: Explainer) -> list[ExplanationOut]:
        """Each determination's explanation chain, in the pack's order."""
        possible, found, reads = x.ev.possible, self._explanations.found, self.explanation_reads
        out = []
        for det in x.book.determinations:
            key = (det.id, reads[det.id].key(possible))
            explanation = found.get(key)
            out.append(explanation if explanation is not None else self._explanations.make(
                key, x.explanation, det.id))
        return out

    def statements(self, x: Explainer) -> list[StatementOut]:
        """Each statement, in the pack's order."""
        possible = x.ev.possible
        return [self._statements.get((s.id, self.statement_reads[s.id].key(possible)), x.statement, s)
                for s in x.book.statements]

    def assumptions(self, x: Explainer) -> list[tuple[str, str]]:
        """(id, text) of each of the pack's assumptions that applies (a new list: the caller may extend it)."""
        possible, found, reads = x.ev.possible, self._assumptions.found, self.assumption_reads
        applied = []
        for a in x.book.assumptions:
            key = (a.id, reads[a.id].key(possible))
            text = found.get(key, MISSING)
            if text is MISSING:
                text = self._assumptions.make(key, x.assumption, a)
            if text is not None:
                applied.append((a.id, text))
        return applied

    def answered(self, x: Explainer, used: Iterable[tuple[Question, Any, bool]]) -> list[AnsweredOut]:
        """The answers used (question, answer, from the preset), as the outcome lists them."""
        found = self._answered.found
        out = []
        for q, value, preset in used:
            key = (q.id, value, preset)
            answered = found.get(key)
            out.append(answered if answered is not None else self._answered.make(key, x.answered, q, value, preset))
        return out

    def need(self, x: Explainer, need: Need, as_child: bool) -> NeedOut:
        """A need the user chose, with the service that meets it (the child route for a child)."""
        def make() -> NeedOut:
            service = x.book.child_route if as_child else need.service
            return NeedOut.model_construct(id=need.id, label=need.label, service=x.service(service),
                                           caution=need.caution)
        return self._needs.get((need.id, as_child, x.today), make)

    def needs(self, x: Explainer, used: Iterable[tuple[Question, Any, bool]], as_child: bool) -> NeedsOut:
        """The needs the user chose (in the answers ``used``), grouped, each with the service that meets it."""
        if self.need_reads is None:
            return self._needs_of(x, used, as_child)
        key = (as_child, x.today, self.need_reads.key(x.ev.possible))
        return self._needs_out.get(key, self._needs_of, x, used, as_child)

    def _needs_of(self, x: Explainer, used: Iterable[tuple[Question, Any, bool]], as_child: bool) -> NeedsOut:
        groups: dict[str, list[NeedOut]] = {"immediate": [], "longer_term": []}
        chosen_by_question = {q.id: value for q, value, _ in used if q.type == "multi_choice"}
        for need in x.book.needs.values():
            chosen = chosen_by_question.get(need.question)
            if chosen is not None and need.id in chosen:
                groups[need.group].append(self.need(x, need, as_child))
        return NeedsOut.model_construct(immediate=groups["immediate"], longer_term=groups["longer_term"])

    def packs(self, x: Explainer) -> list[PackOut]:
        """The loaded packs, as of ``today`` (a new list)."""
        return list(self._day(x)[0])

    def warnings(self, x: Explainer, referrals: list[ReferralOut], needs: NeedsOut, as_child: bool) -> list[str]:
        """Stale packs, then each contact in the plan whose details are over 12 months old (a new list). The
        contacts follow from the actions listed and the needs chosen (and, for a need, ``as_child``)."""
        key = (x.today, tuple(r.id for r in referrals),
               tuple(n.id for group in (needs.immediate, needs.longer_term) for n in group), as_child)
        return list(self._warnings.get(key, self._warnings_of, x, referrals, needs))

    def _warnings_of(self, x: Explainer, referrals: list[ReferralOut], needs: NeedsOut) -> list[str]:
        texts = list(self._day(x)[1])
        stale = [c for r in referrals for c in r.contacts if c.stale]
        stale += [n.service.contact for n in (*needs.immediate, *needs.longer_term)
                  if n.service.contact is not None and n.service.contact.stale]
        seen: set[str] = set()
        for c in stale:
            if c.id not in seen:
                seen.add(c.id)
                texts.append(self._stale.get((c.id, x.today), stale_contact_warning, c))
        return texts

    def _day(self, x: Explainer) -> tuple[list[PackOut], list[str]]:
        return self._by_day.get(x.today, lambda: (packs_out(x.book, x.today), pack_warnings(x.book, x.today)))


_PARTS: dict[int, OutcomeParts] = {}


def parts_of(book: Rulebook) -> OutcomeParts:
    """The rulebook's outcome parts, compiled on first use and dropped with the rulebook."""
    parts = _PARTS.get(id(book))
    if parts is None or parts.book() is not book:
        parts = _PARTS[id(book)] = OutcomeParts(book)
        weakref.finalize(book, _PARTS.pop, id(book), None)
    return parts
