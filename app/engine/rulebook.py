"""The loaded, cross-checked rules: what the walk reads. Built only by ``loader``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from .conditions import ANY_SUBSET, SKIPPED, Condition, Fact, Logic
from .graph import RuleGraph


def _refs(*nodes: Condition | Logic | None) -> frozenset[str]:
    """The facts these conditions or logic expressions read (``listed:<action>`` for an action listed)."""
    return frozenset(ref for node in nodes if node is not None for ref in node.refs())


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    hint: str | None = None
    exclusive: bool = False


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
    record: bool = False  # asked for the record, whatever the answer changes
    quick_check: bool = False

    @cached_property
    def values(self) -> tuple[str, ...]:
        return tuple(o.value for o in self.options)

    @cached_property
    def value_set(self) -> frozenset[str]:
        """Its options' values, for checking an answer in one look-up."""
        return frozenset(self.values)

    @cached_property
    def exclusive_values(self) -> frozenset[str]:
        """The options that must be given on their own (such as "not known")."""
        return frozenset(o.value for o in self.options if o.exclusive)

    def accepts(self, value: object) -> bool:
        """Whether ``value`` is a well-formed answer to it, checked at the speed of a set look-up (the
        checkers call this first and spell out what is wrong only when it says no)."""
        if self.type != "multi_choice":
            return isinstance(value, str) and value in self.value_set
        if not isinstance(value, list):
            return False
        chosen = set()
        for item in value:
            if not isinstance(item, str) or item not in self.value_set or item in chosen:
                return False
            chosen.add(item)
        return len(chosen) <= 1 or not (chosen & self.exclusive_values)

    def refs(self) -> frozenset[str]:
        """The facts its ``ask_when`` reads (none when it is always asked)."""
        return _refs(self.ask_when)

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

    def refs(self) -> frozenset[str]:
        """The facts every case's ``when``, ``logic`` and ``condition`` read."""
        return _refs(*(part for c in self.cases for part in (c.when, c.logic, c.condition)))

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
    """A contact route (contract v2): whether a primary source confirms it, that source and its date,
    and whether a person at the deploying organisation has checked it."""

    id: str
    name: str
    phone: str | None
    textphone: str | None
    email: str | None
    url: str | None
    hours: str | None
    notes: str | None
    confirmed: bool
    source: str
    source_date: str | None  # ISO 8601 at the source's own precision: 2024-08-22, 2026-04 or 2020
    checked_on: dt.date | None
    checked_by: str | None  # a role, not a name
    pack: str
    who_can_use: str | None = None
    constant: bool = False  # 999, 112, 101: shown with no check state
    slot: str | None = None  # the national contact slot this local contact fills
    group: str | None = None  # the /contacts page's group the pack gives it (emergency, children, ...)

    @property
    def source_day(self) -> dt.date | None:
        """The first day the source's date can mean (2026-04 is 1 April 2026): staleness runs from it."""
        if self.source_date is None:
            return None
        parts = [int(p) for p in self.source_date.split("-")]
        return dt.date(parts[0], *[*parts[1:], 1, 1][:2])

    @property
    def dated_on(self) -> dt.date | None:
        """The day staleness runs from: when it was checked, else its source's date; None when undated."""
        return self.checked_on or self.source_day


@dataclass(frozen=True)
class ContactSlot:
    """A local route the national actions name (children's services out of hours, say), filled by
    at most one local contact."""

    id: str
    label: str
    area: str
    out_of_hours: bool
    contact: Contact | None


@dataclass(frozen=True)
class Variant:
    """Wording for some users (the police, an organisation that is not a first responder): the
    first variant of an action whose ``when`` holds supplies the fields it gives (None: the default)."""

    when: Condition
    title: str | None = None
    short_title: str | None = None
    summary: str | None = None
    who_acts: str | None = None


@dataclass(frozen=True)
class Wording:
    """The words an action is shown with to one user."""

    title: str
    short_title: str
    summary: str
    who_acts: str


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
    short_title: str | None = None  # the few words of an urgent banner (None: the title)
    variants: tuple[Variant, ...] = ()

    def refs(self, *, reasons: bool = False) -> frozenset[str]:
        """The facts its ``due`` and urgency rules read (with ``reasons``, its reasons' conditions too);
        another action being listed reads as ``listed:<id>``."""
        parts = (self.due, *(u.when for u in self.urgency), *(r.when for r in self.reasons if reasons))
        return _refs(*parts)

    def wording(self, variant: Variant | None) -> Wording:
        """The action's words with ``variant`` (the one chosen for this user, or None) laid over the defaults.

        A variant that gives a title of its own but no short_title is shortened to its own title, never to
        the default's short_title: that was written for the default title (and other users)."""
        own_title = variant.title if variant else None
        title = own_title or self.title
        return Wording(
            title=title,
            short_title=(variant.short_title if variant else None) or own_title or self.short_title or title,
            summary=(variant.summary if variant else None) or self.summary,
            who_acts=(variant.who_acts if variant else None) or self.who_acts,
        )


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
class GlossaryTerm:
    id: str
    term: str
    short: str
    more: str | None
    aliases: tuple[str, ...]
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
    assumptions: tuple[str, ...] = ()


@dataclass(frozen=True)
class AlwaysRule:
    id: str
    text: str
    actions: tuple[str, ...]  # every one of these is listed
    when: Condition
    any_of: tuple[str, ...] = ()  # at least one of these is listed


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
class Benchmark:
    """One of the local strategy's benchmarks (the local pack's ``benchmarks``): what is counted and the
    target. ``values`` empty: every value of the dimension; ``organisation`` None: every organisation."""

    id: str
    label: str
    dimension: str
    values: tuple[str, ...]
    organisation: str | None
    by: dt.date
    at_least: int | None = None  # a number by the date; None: rising against the same months a year before
    priority: str | None = None
    source: str = ""
    council_service: str | None = None  # only the walks of council staff in this service

    @property
    def increase(self) -> bool:
        return self.at_least is None

    @property
    def training(self) -> bool:
        """Counted from the training sessions trainers record, not from walks."""
        return self.dimension.startswith("training_")


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
    contact_slots: tuple[ContactSlot, ...] = ()
    glossary: tuple[GlossaryTerm, ...] = ()
    benchmarks: tuple[Benchmark, ...] = ()
    training_agencies: tuple[str, ...] = ()  # the agencies a trainer may record a session for

    @property
    def version(self) -> str:
        return " + ".join(f"{p.id} {p.version}" for p in self.packs)

    @cached_property
    def questions_by_id(self) -> Mapping[str, Question]:
        """Every question, the optional ones included, by id."""
        return {q.id: q for q in (*self.questions, *self.optional_questions)}

    @cached_property
    def determinations_by_id(self) -> Mapping[str, Determination]:
        return {d.id: d for d in self.determinations}

    @cached_property
    def actions_by_id(self) -> Mapping[str, Action]:
        return {a.id: a for a in self.actions}

    @cached_property
    def graph(self) -> RuleGraph:
        """Which rule reads which fact (built once per rulebook)."""
        return RuleGraph.of((*self.questions, *self.optional_questions), self.determinations, self.actions,
                            self.flags.values())

    def question(self, qid: str) -> Question:
        return self.questions_by_id[qid]

    def determination(self, did: str) -> Determination:
        return self.determinations_by_id[did]

    def action(self, aid: str) -> Action:
        return self.actions_by_id[aid]

    def has_question(self, qid: str) -> bool:
        return qid in self.questions_by_id
