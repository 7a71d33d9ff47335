"""Pydantic models of the rule pack's YAML files. Unknown keys are errors.

Conditions and logic are kept as raw YAML here (``Any``) and parsed by
``conditions.ConditionParser``, which knows every fact and reports line numbers.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Id = str
SECTIONS = ("Safety", "The person", "The trafficking test", "Consent and capacity", "Needs")


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


class ActionDoc(Strict):
    id: Id = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str
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


class ContactDoc(Strict):
    id: Id = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    phone: str | None = None
    textphone: str | None = None
    email: str | None = None
    url: str | None = None
    hours: str | None = None
    notes: str | None = None
    verified: bool
    last_verified: dt.date | None = None
    source: str | None = None

    @field_validator("phone", "textphone", mode="before")
    @classmethod
    def _quoted(cls, value: Any) -> Any:
        if isinstance(value, (int, float)):
            raise ValueError('write phone numbers in quotes, for example phone: "0800 808 3733"; '
                             "without them a leading zero is lost")
        return value

    @model_validator(mode="after")
    def _verified(self) -> ContactDoc:
        if self.verified and (self.last_verified is None or not self.source):
            raise ValueError("a verified contact needs 'last_verified' and 'source'")
        return self


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
    when: Any

    @model_validator(mode="after")
    def _target(self) -> NeverRule:
        if not self.actions and not self.questions:
            raise ValueError("a 'never' rule names the actions it forbids, the questions it forbids, or both")
        return self


class AlwaysRule(Strict):
    id: Id
    text: str
    actions: list[Id]
    when: Any


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
    title: str | None = None
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
    flags: list[FlagDoc] | None = None
    invariants: Invariants | None = None
    guidance: list[GuidanceDoc] | None = None
    statements: list[StatementDoc] | None = None


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


NATIONAL_SECTIONS = tuple(NationalDocument.model_fields)
LOCAL_SECTIONS = tuple(LocalDocument.model_fields)
