"""The loaded, cross-checked rules: what the walk reads. Built only by ``loader``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from .conditions import ANY_SUBSET, SKIPPED, Condition, Fact, Logic


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    hint: str | None = None


@dataclass(frozen=True)
class Question:
    id: str
    section: str
    text: str
    short: str
    type: str
    options: tuple[Option, ...]
    help: str | None
    why: str
    indicators: tuple[str, ...]
    ask_when: Condition | None
    optional: bool
    after: str | None
    none_label: str | None
    source: str
    pending: frozenset[Any] = field(default=frozenset())
    pending_or_skipped: frozenset[Any] = field(default=frozenset())

    @cached_property
    def values(self) -> tuple[str, ...]:
        return tuple(o.value for o in self.options)

    def label(self, value: str) -> str:
        for option in self.options:
            if option.value == value:
                return option.label
        return value

    def answer_label(self, answer: Any) -> str:
        """The answer in the words the user saw: 'Not sure', or 'Hot food, Clothes'."""
        if isinstance(answer, (list, tuple, frozenset)):
            chosen = [o.label for o in self.options if o.value in answer]
            return ", ".join(chosen) if chosen else (self.none_label or "None of these")
        return self.label(str(answer))

    @staticmethod
    def make_pending(qtype: str, values: tuple[str, ...]) -> tuple[frozenset[Any], frozenset[Any]]:
        pending: frozenset[Any] = frozenset({ANY_SUBSET}) if qtype == "multi_choice" else frozenset(values)
        return pending, pending | {SKIPPED}


@dataclass(frozen=True)
class Case:
    when: Condition | None
    logic: Logic | None = None
    condition: Condition | None = None
    value: Any = None
    because: str | None = None


@dataclass(frozen=True)
class Determination:
    id: str
    label: str
    type: str
    values: tuple[Any, ...]
    value_labels: Mapping[Any, str]
    cases: tuple[Case, ...]
    explain: str
    source: str

    def value_label(self, value: Any) -> str:
        if value in self.value_labels:
            return self.value_labels[value]
        if value is None:
            return "not known yet"
        if isinstance(value, bool):
            return "yes" if value else "no"
        return str(value)


@dataclass(frozen=True)
class Because:
    when: Condition
    because: str


@dataclass(frozen=True)
class Element:
    id: str
    label: str
    question: str
    not_required: tuple[Because, ...]
    unknown: tuple[Because, ...]


@dataclass(frozen=True)
class Assumption:
    id: str
    when: Condition
    text: str


@dataclass(frozen=True)
class UrgencyRule:
    level: int
    when: Condition | None


@dataclass(frozen=True)
class Reason:
    when: Condition | None
    text: str


@dataclass(frozen=True)
class Contact:
    id: str
    name: str
    phone: str | None
    textphone: str | None
    email: str | None
    url: str | None
    hours: str | None
    notes: str | None
    verified: bool
    last_verified: dt.date | None
    source: str | None
    pack: str


@dataclass(frozen=True)
class Action:
    id: str
    title: str
    summary: str
    who_acts: str
    due: Condition
    urgency: tuple[UrgencyRule, ...]
    reasons: tuple[Reason, ...]
    contacts: tuple[Contact, ...]
    source: str
    index: int


@dataclass(frozen=True)
class Service:
    name: str | None
    contact: Contact | None
    details: str | None
    none_recorded: bool
    pack: str | None


@dataclass(frozen=True)
class Need:
    id: str
    group: str
    question: str
    label: str
    caution: str | None
    service: Service | None


@dataclass(frozen=True)
class Guidance:
    id: str
    text: str
    source: str


@dataclass(frozen=True)
class StatementCase:
    when: Condition
    answer: str
    text: str


@dataclass(frozen=True)
class Statement:
    id: str
    question: str
    cases: tuple[StatementCase, ...]
    source: str


@dataclass(frozen=True)
class NeverRule:
    id: str
    text: str
    actions: tuple[str, ...]
    questions: tuple[str, ...]
    when: Condition


@dataclass(frozen=True)
class AlwaysRule:
    id: str
    text: str
    actions: tuple[str, ...]
    when: Condition


@dataclass(frozen=True)
class OrderRule:
    id: str
    text: str
    first: str | None
    before: str | None
    after: tuple[str, ...]


@dataclass(frozen=True)
class Invariants:
    never: tuple[NeverRule, ...]
    always: tuple[AlwaysRule, ...]
    ordering: tuple[OrderRule, ...]
    never_inputs: tuple[str, ...]


@dataclass(frozen=True)
class PackMeta:
    id: str
    name: str
    kind: str
    version: str
    last_reviewed: dt.date
    jurisdiction: str
    path: str


@dataclass(frozen=True)
class Flag:
    id: str
    label: str
    values: tuple[str, ...]
    value: str
    set_by: str


@dataclass(frozen=True)
class Rulebook:
    packs: tuple[PackMeta, ...]
    questions: tuple[Question, ...]
    optional_questions: tuple[Question, ...]
    determinations: tuple[Determination, ...]
    elements: tuple[Element, ...]
    assumptions: tuple[Assumption, ...]
    actions: tuple[Action, ...]
    needs: Mapping[str, Need]
    child_route: Service
    contacts: Mapping[str, Contact]
    flags: Mapping[str, Flag]
    invariants: Invariants
    guidance: tuple[Guidance, ...]
    facts: Mapping[str, Fact]
    statements: tuple[Statement, ...] = ()

    @property
    def version(self) -> str:
        return " + ".join(f"{p.id} {p.version}" for p in self.packs)

    def question(self, qid: str) -> Question:
        return self._by_id()[qid]  # type: ignore[return-value]

    def determination(self, did: str) -> Determination:
        return self._by_id()[did]  # type: ignore[return-value]

    def action(self, aid: str) -> Action:
        return self._by_id()[aid]  # type: ignore[return-value]

    def _by_id(self) -> dict[str, Question | Determination | Action]:
        cached: dict[str, Question | Determination | Action] | None = self.__dict__.get("_index")
        if cached is None:
            cached = {}
            items: list[Question | Determination | Action] = [
                *self.questions, *self.optional_questions, *self.determinations, *self.actions]
            for item in items:
                cached[item.id] = item
            object.__setattr__(self, "_index", cached)
        return cached

    def has_question(self, qid: str) -> bool:
        item = self._by_id().get(qid)
        return isinstance(item, Question)
