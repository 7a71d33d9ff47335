"""Pydantic models of the rule pack's YAML files. Unknown keys are errors.

Conditions and logic are kept as raw YAML here (``Any``) and parsed by
``conditions.ConditionParser``, which knows every fact and reports line numbers.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Id = str


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PackInfo(Strict):
    id: Id = Field(pattern=r"^[a-z][a-z0-9_-]*$")
    name: str
    kind: Literal["national", "local"]
    version: str = Field(pattern=r"^\d+\.\d+\.\d+$")
    last_reviewed: dt.date
    jurisdiction: str
    contract: int | None = None
    extends: Id | None = None
    reviewed_by: str | None = None
    notes: str | None = None

    @model_validator(mode="after")
    def _kind_fields(self) -> PackInfo:
        if self.kind == "national" and self.extends:
            raise ValueError("a national pack cannot extend another pack")
        if self.kind == "local" and not self.extends:
            raise ValueError("a local pack must say which national pack it extends ('extends')")
        return self


class OptionDoc(Strict):
    value: Id = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    hint: str | None = None
    exclusive: bool = False  # a multi-choice option that cannot be combined with another


class QuestionDoc(Strict):
    id: Id = Field(pattern=r"^[a-z][a-z0-9_]*$")
    section: Literal["Safety", "The person", "The trafficking test", "Consent and capacity", "Needs"]
    text: str
    short: str
    type: Literal["tri_state", "choice", "multi_choice"]
    options: list[OptionDoc] | None = None
    help: str | None = None
    why: str
    indicators: list[str] = []
    ask_when: Any = "always"
    optional: bool = False
    record: bool = False  # asked for the record: exempt from `pathway verify`'s pointless-question check
    quick_check: bool = False  # one of the quick check's questions
    after: Id | None = None
    none_label: str | None = None
    source: str

    @model_validator(mode="after")
    def _options(self) -> QuestionDoc:
        if self.type == "tri_state":
            if self.options is not None and [o.value for o in self.options] != ["yes", "no", "unsure"]:
                raise ValueError("a tri_state question's options must be exactly yes, no, unsure (in that order)")
        elif not self.options:
            raise ValueError(f"a {self.type} question needs 'options'")
        if self.options:
            values = [o.value for o in self.options]
            dupes = sorted({v for v in values if values.count(v) > 1})
            if dupes:
                raise ValueError(f"option values appear twice: {', '.join(dupes)}")
        if self.type != "multi_choice" and any(o.exclusive for o in self.options or []):
            raise ValueError("'exclusive' is only for the options of multi_choice questions")
        if self.type != "multi_choice" and self.none_label:
            raise ValueError("'none_label' is only for multi_choice questions")
        if self.after and not self.optional:
            raise ValueError("'after' is only for optional questions")
        return self


class CaseDoc(Strict):
    when: Any = None
    logic: Any = None
    value: str | None = None
    because: str | None = None


class DeterminationDoc(Strict):
    id: Id = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    type: Literal["boolean", "three_valued", "choice"]
    values: list[str] | None = None
    value_labels: dict[str, str] = {}
    condition: Any = None
    cases: list[CaseDoc] | None = None
    explain: Literal["elements", "inputs"] = "inputs"
    source: str

    @model_validator(mode="after")
    def _shape(self) -> DeterminationDoc:
        if self.type == "boolean":
            if self.condition is None or self.cases is not None:
                raise ValueError("a boolean determination has a 'condition' and no 'cases'")
        else:
            if not self.cases or self.condition is not None:
                raise ValueError(f"a {self.type} determination has 'cases' and no 'condition'")
            if self.cases[-1].when is not None:
                raise ValueError("the last case must have no 'when': it is the otherwise case")
        if self.type == "choice" and not self.values:
            raise ValueError("a choice determination lists its 'values'")
        return self


class BecauseDoc(Strict):
    when: Any
    because: str


class ElementDoc(Strict):
    id: Literal["action", "means", "purpose"]
    label: str
    question: Id
    not_required: list[BecauseDoc] = []
    unknown: list[BecauseDoc] = []


class AssumptionDoc(Strict):
    id: Id
    when: Any
    text: str


class UrgencyDoc(Strict):
    level: int = Field(ge=1, le=4)
    when: Any = None


class ReasonDoc(Strict):
    when: Any = None
    text: str


WORDING_FIELDS = ("title", "short_title", "summary", "who_acts")


class VariantDoc(Strict):
    """Wording for some users: the first variant whose 'when' holds replaces the fields it gives."""

    when: Any
    title: str | None = None
    short_title: str | None = None
    summary: str | None = None
    who_acts: str | None = None

    @model_validator(mode="after")
    def _shape(self) -> VariantDoc:
        if self.when is None:
            raise ValueError("a variant needs a 'when': the users it is worded for, "
                             "for example {organisation: police}")
        if all(getattr(self, name) is None for name in WORDING_FIELDS):
            raise ValueError(f"a variant changes at least one of {', '.join(WORDING_FIELDS)}")
        return self


class ActionDoc(Strict):
    id: Id = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str
    short_title: str | None = None  # the few words of an urgent banner
    variants: list[VariantDoc] = []
    summary: str
    who_acts: str
    due: Any
    urgency: list[UrgencyDoc]
    reasons: list[ReasonDoc]
    contacts: list[Id] = []
    source: str

    @field_validator("urgency")
    @classmethod
    def _urgency(cls, rules: list[UrgencyDoc]) -> list[UrgencyDoc]:
        if not rules:
            raise ValueError("an action needs at least one urgency level")
        if rules[-1].when is not None:
            raise ValueError("the last urgency level must have no 'when': it is the otherwise level")
        if any(r.when is None for r in rules[:-1]):
            raise ValueError("only the last urgency level may leave out 'when'")
        return rules

    @field_validator("reasons")
    @classmethod
    def _reasons(cls, reasons: list[ReasonDoc]) -> list[ReasonDoc]:
        if not reasons:
            raise ValueError("an action needs at least one reason")
        return reasons

    @field_validator("source")
    @classmethod
    def _source(cls, source: str) -> str:
        if not source.strip():
            raise ValueError("an action needs a source: the law or guidance it rests on")
        return source


class NeedDoc(Strict):
    id: Id
    question: Id
    group: Literal["immediate", "longer_term"]
    label: str
    caution: str | None = None


# Where a contact's `source` names the facts sheet, its source keys or the seed instead of the law,
# guidance or organisation: users see the source, so it must name something they can find.
INTERNAL_SOURCE = re.compile(r"\bfacts?\s*(sheet|§)|\[[SC]\d+\]|\bseed\b", re.IGNORECASE)
PARTIAL_DATE = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?")
# The numbers that are policy constants: always shown, with no check state.
CONSTANT_NUMBERS = ("999", "112", "101")


class ContactSlotDoc(Strict):
    """A local route the national pack needs (children's services out of hours, say). National
    actions name the slot; a local contact fills it with ``slot: <id>``."""

    id: Id = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    area: str  # the service the slot belongs to, as `pathway check` names it: "children's services"
    out_of_hours: bool = False


class ContactDoc(Strict):
    """A contact route, with where its details come from and whether anyone has checked them
    (contract v2: `confirmed`, `source_date`, `checked_on` and `checked_by`)."""

    id: Id = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    slot: Id | None = None  # local packs: the national contact slot this contact fills
    phone: str | None = None
    textphone: str | None = None
    email: str | None = None
    url: str | None = None
    hours: str | None = None
    who_can_use: str | None = None
    notes: str | None = None
    confirmed: bool  # a primary source confirms the details (the facts sheet's CONFIRMED, not secondary)
    constant: bool = False  # 999, 112 and 101: policy constants, shown with no check state
    # The /contacts page's group for a contact that fills no slot (a slot's contact goes with its area):
    # without one, a national pack's contact is a national line and an overlay's another local service.
    group: Literal["emergency", "children", "adults", "housing", "health"] | None = None
    source: str  # shown to users: the law, guidance or organisation the details come from
    source_date: str | None = None  # the source's date as precise as it gives it (2024-08-22, 2026-04, 2020)
    checked_on: dt.date | None = None  # the day a person rang the number or loaded the page
    checked_by: str | None = None  # that person's role, not their name

    @field_validator("phone", "textphone", mode="before")
    @classmethod
    def _quoted(cls, value: Any) -> Any:
        if isinstance(value, (int, float)):
            raise ValueError('write phone numbers in quotes, for example phone: "0800 808 3733"; '
                             "without them a leading zero is lost")
        return value

    @field_validator("source")
    @classmethod
    def _source(cls, source: str) -> str:
        if not source.strip():
            raise ValueError("a contact needs a source: the organisation, law or guidance that gives its details")
        if INTERNAL_SOURCE.search(source):
            raise ValueError("users see a contact's source: name the organisation, law or guidance, not the "
                             "facts sheet, its source keys or the seed")
        return source

    @field_validator("source_date", mode="before")
    @classmethod
    def _source_date(cls, value: Any) -> Any:
        """A date, a year and month (2026-04) or a year (2020): as precise as the source is, no more."""
        if value is None or isinstance(value, dt.date):
            return value.isoformat() if isinstance(value, dt.date) else None
        text = str(value)
        if isinstance(value, (str, int)) and not isinstance(value, bool) and PARTIAL_DATE.fullmatch(text):
            parts = [int(p) for p in text.split("-")]
            try:
                dt.date(parts[0], *[*parts[1:], 1, 1][:2])
            except ValueError:
                pass
            else:
                return text
        raise ValueError(f"'{text}' is not a date: write 2024-08-22, or 2026-04 or 2020 when the source gives "
                         "no day, or null when it is undated")


class FlagDoc(Strict):
    id: Id = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    values: list[str]
    default: str

    @model_validator(mode="after")
    def _default(self) -> FlagDoc:
        if self.default not in self.values:
            raise ValueError(f"default '{self.default}' is not one of the values: {', '.join(self.values)}")
        return self


class NeverRule(Strict):
    id: Id
    text: str
    actions: list[Id] = []
    questions: list[Id] = []
    assumptions: list[Id] = []
    when: Any

    @model_validator(mode="after")
    def _target(self) -> NeverRule:
        if not self.actions and not self.questions and not self.assumptions:
            raise ValueError("a 'never' rule names what it forbids: 'actions', 'questions', 'assumptions', "
                             "or several of these")
        return self


class AlwaysRule(Strict):
    id: Id
    text: str
    actions: list[Id] = []  # every one of these is listed
    any_of: list[Id] = []  # at least one of these is listed
    when: Any

    @model_validator(mode="after")
    def _target(self) -> AlwaysRule:
        if bool(self.actions) == bool(self.any_of):
            raise ValueError("an 'always' rule names either 'actions' (all of them are listed) or 'any_of' "
                             "(at least one of them is listed)")
        if len(self.any_of) == 1:
            raise ValueError("'any_of' names at least two actions; for one action, use 'actions'")
        return self


class OrderRule(Strict):
    id: Id
    text: str
    first: Id | None = None
    before: Id | None = None
    after: list[Id] = []

    @model_validator(mode="after")
    def _shape(self) -> OrderRule:
        if bool(self.first) == bool(self.before):
            raise ValueError("an ordering rule has either 'first' or 'before' with 'after'")
        if self.before and not self.after:
            raise ValueError("'before' needs the list of actions it comes before ('after')")
        return self


class Invariants(Strict):
    never: list[NeverRule] = []
    always: list[AlwaysRule] = []
    ordering: list[OrderRule] = []
    never_inputs: list[Id] = []


class StatementCaseDoc(Strict):
    when: Any
    answer: str
    text: str


class StatementDoc(Strict):
    """A short answer to a question duty officers ask, chosen by the first case whose 'when' holds."""

    id: Id = Field(pattern=r"^[a-z][a-z0-9_]*$")
    question: str
    cases: list[StatementCaseDoc]
    source: str

    @field_validator("cases")
    @classmethod
    def _cases(cls, cases: list[StatementCaseDoc]) -> list[StatementCaseDoc]:
        if not cases:
            raise ValueError("a statement needs at least one case")
        return cases


class GuidanceDoc(Strict):
    id: Id
    text: str
    source: str


class GlossaryDoc(Strict):
    """A term users meet on the pages (NRM, first responder, ...), explained in a line or two."""

    id: Id = Field(pattern=r"^[a-z][a-z0-9_]*$")
    term: str
    short: str  # one plain sentence, shown inline where the term first appears
    more: str | None = None  # a few more sentences, on the glossary page
    aliases: list[str] = []  # other spellings of the term in the pages' text ("first responders")
    source: str


class ServiceDoc(Strict):
    name: str | None = None
    contact: Id | None = None
    details: str | None = None
    none_recorded: bool = False

    @model_validator(mode="after")
    def _shape(self) -> ServiceDoc:
        if self.none_recorded and (self.name or self.contact):
            raise ValueError("a need with 'none_recorded: true' names no service")
        if not self.none_recorded and not (self.name or self.contact):
            raise ValueError("name the service ('name' or 'contact') or say 'none_recorded: true'")
        return self


class QuestionWording(Strict):
    text: str | None = None
    short: str | None = None
    help: str | None = None
    why: str | None = None
    indicators: list[str] | None = None
    option_labels: dict[str, str] = {}


class ActionWording(Strict):
    """An overlay's words for an action: they replace its default wording, never its variants."""

    title: str | None = None
    short_title: str | None = None
    summary: str | None = None
    who_acts: str | None = None


class Wording(Strict):
    questions: dict[Id, QuestionWording] = {}
    actions: dict[Id, ActionWording] = {}


class NationalDocument(Strict):
    """Every top-level key a national pack's files may hold (each file holds some of them)."""

    pack: PackInfo | None = None
    questions: list[QuestionDoc] | None = None
    determinations: list[DeterminationDoc] | None = None
    elements: list[ElementDoc] | None = None
    assumptions: list[AssumptionDoc] | None = None
    actions: list[ActionDoc] | None = None
    needs: list[NeedDoc] | None = None
    child_route: ServiceDoc | None = None
    contacts: list[ContactDoc] | None = None
    contact_slots: list[ContactSlotDoc] | None = None
    flags: list[FlagDoc] | None = None
    invariants: Invariants | None = None
    guidance: list[GuidanceDoc] | None = None
    statements: list[StatementDoc] | None = None
    glossary: list[GlossaryDoc] | None = None


# What a benchmark may count (the Network's counters; app/counts keeps the same names): a dimension of the
# walks' counters, or the training sessions trainers record and their attendees.
BENCHMARK_DIMENSIONS = ("walks", "council_service", "treated_as_child", "modern_slavery", "exploitation_type",
                        "action_listed", "action_done", "training_sessions", "training_attendees")

# The referrals a professional can say they made ("What have you done?" below the plan): the values the
# ``action_done`` counters hold (app/web/counting.py's DONE_OPTIONS; a test holds the two together).
DONE_VALUES = ("nrm_referral", "duty_to_notify", "childrens_safeguarding", "adults_safeguarding", "police_report")


class BenchmarkCountDoc(Strict):
    """What a benchmark counts: a dimension, the values summed (none: every value), and optionally only
    the walks of one organisation type."""

    dimension: str
    values: list[str] = []
    organisation: str | None = None
    council_service: str | None = None  # only the walks of council staff in this service


class BenchmarkTargetDoc(Strict):
    """A number by a date (``at_least: 4``), or rising against the same months a year before
    (``increase: true``)."""

    at_least: int | None = Field(None, ge=1)
    increase: bool = False
    by: dt.date

    @model_validator(mode="after")
    def _shape(self) -> BenchmarkTargetDoc:
        if (self.at_least is None) == (not self.increase):
            raise ValueError("a target is either a number by a date ('at_least: 4') or 'increase: true' "
                             "(against the same months a year before), not both")
        return self


class BenchmarkDoc(Strict):
    """One of the strategy's benchmarks that Pathway can count."""

    id: Id = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    counts: BenchmarkCountDoc
    target: BenchmarkTargetDoc
    priority: str | None = None  # the strategy's priority numbers, as it writes them ("1.1, 2.1")
    source: str


class LocalDocument(Strict):
    """Every top-level key a local overlay's files may hold: additions and wording only."""

    pack: PackInfo | None = None
    contacts: list[ContactDoc] | None = None
    action_contacts: dict[Id, list[Id]] | None = None
    services: dict[Id, ServiceDoc] | None = None
    child_route: ServiceDoc | None = None
    availability: dict[Id, str] | None = None
    optional_questions: list[QuestionDoc] | None = None
    wording: Wording | None = None
    guidance: list[GuidanceDoc] | None = None
    benchmarks: list[BenchmarkDoc] | None = None
    training_agencies: list[str] | None = None  # who delivers the Network's training (the form's choices)


NATIONAL_SECTIONS = tuple(NationalDocument.model_fields)
LOCAL_SECTIONS = tuple(LocalDocument.model_fields)
