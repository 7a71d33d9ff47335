"""The walk's result, as pydantic models: the contract's fields and what the front end needs."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Answer = str | list[str]
ElementValue = Literal["met", "not_met", "unknown", "not_required", "not_assessed"]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OptionOut(Model):
    value: str
    label: str
    hint: str | None = None


class QuestionOut(Model):
    id: str
    text: str
    short: str = Field(description="A short name for the question, used in summaries.")
    type: Literal["tri_state", "choice", "multi_choice"]
    options: list[OptionOut]
    help: str | None = None
    why: str = Field(description="Why we ask this: what the answer changes.")
    indicators: list[str] = []
    section: str
    none_label: str | None = Field(None, description="For multi_choice: the label of the exclusive 'none' answer.")
    optional: bool = False
    after: str | None = Field(None, description="For optional questions: offer it after this question.")
    source: str


class ContactOut(Model):
    id: str
    name: str
    phone: str | None = None
    textphone: str | None = None
    email: str | None = None
    url: str | None = None
    hours: str | None = None
    who_can_use: str | None = None
    notes: str | None = None
    slot: str | None = Field(
        None, description="The local contact slot this contact fills, e.g. childrens_out_of_hours.")
    confirmed: bool = Field(description="True only when a primary source confirms these details.")
    constant: bool = Field(False, description="999, 112 and 101: policy constants, shown with no check state.")
    source: str = Field(description="The organisation, law or guidance the details come from.")
    source_date: str | None = Field(
        None, description="The source's date, as precise as the source gives it (YYYY-MM-DD, YYYY-MM or YYYY); "
        "null when the source is undated.")
    checked_on: dt.date | None = Field(
        None, description="The day a person rang the number or loaded the page and recorded it; null if no one has.")
    checked_by: str | None = Field(None, description="The role (not the name) of who checked it; null if no one has.")
    confirm_locally: bool = Field(
        description="True when no primary source confirms it or it is undated: confirm it locally. Never for "
        "constants.")
    not_yet_checked: bool = Field(
        description="True when no one at your organisation has recorded checking it. Never for constants.")
    undated: bool = Field(description="True when it has neither a check date nor a source date. Never for constants.")
    stale: bool = Field(
        False, description="True when it was checked, or else its source is dated, more than 12 months ago.")
    notices: list[str] = Field(
        [], description="What the user is told about these details, in the words shown: 'Confirm locally', "
        "'Not yet checked by your organisation', ...")
    provenance: str | None = Field(
        None, description="Where the details come from and who checked them, in words; null for constants.")
    pack: str


class ReferralOut(Model):
    id: str
    title: str = Field(description="The title in the words chosen for this user (see the action's variants).")
    short_title: str = Field(description="The few words of an urgent banner, chosen as the title is.")
    summary: str
    urgency: int = Field(ge=1, le=4)
    urgency_label: str
    provisional: bool = Field(
        description="True while unanswered questions could still make this action less urgent."
    )
    reasons: list[str]
    who_acts: str
    contact: ContactOut | None
    contacts: list[ContactOut]
    source: str


class WordingVariantOut(Model):
    when: str = Field(description="The users this wording is for, as text: for example 'organisation is police'.")
    title: str | None = None
    short_title: str | None = None
    summary: str | None = None
    who_acts: str | None = None


class ActionWordingOut(Model):
    """How an action is worded: the defaults (after any local overlay) and, in order, the variants
    for particular users. The first variant whose condition holds supplies the fields it gives."""

    title: str
    short_title: str = Field(description="The few words of an urgent banner (the title when none is given).")
    summary: str
    who_acts: str
    variants: list[WordingVariantOut] = []


class ServiceOut(Model):
    name: str
    contact: ContactOut | None = None
    details: str | None = None
    recorded: bool = Field(description="False when the local pack records no service for this need.")
    pack: str | None = None


class NeedOut(Model):
    id: str
    label: str
    service: ServiceOut
    caution: str | None = None


class NeedsOut(Model):
    immediate: list[NeedOut] = []
    longer_term: list[NeedOut] = []


class ExplanationOut(Model):
    determination: str
    value: bool | str | None
    text: str = Field(description="A chain a trainer could read aloud.")
    steps: list[str]
    source: str


class AnsweredOut(Model):
    id: str
    short: str
    text: str
    answer: Answer
    label: str
    section: str
    optional: bool = False
    preset: bool = False


class PackOut(Model):
    id: str
    name: str
    kind: str
    version: str
    last_reviewed: dt.date
    jurisdiction: str
    stale: bool


class StatementOut(Model):
    id: str
    question: str
    answer: str | None = Field(description="The short answer, or null while it is not known yet.")
    text: str
    source: str


class GuidanceOut(Model):
    id: str
    text: str
    source: str


class Determinations(Model):
    treated_as_child: bool | None = None
    trafficking: Literal["yes", "possible", "no"] | None = None
    modern_slavery: Literal["yes", "possible", "no"] | None = None
    first_responder: bool | None = None
    duty_to_notify_applies: bool | None = None
    duty_to_notify_basis: Literal["statutory", "policy"] | None = None
    consent_status: Literal["given", "declined", "not_asked", "cannot_ask"] | None = None

    model_config = ConfigDict(extra="allow")


class Elements(Model):
    action: ElementValue | None = None
    means: ElementValue | None = None
    purpose: ElementValue | None = None


class Outcome(Model):
    """The walk's outcome. ``POST /api/v2/assess`` answers with it plus ``contract_version``, each
    assumption given as ``{"id", "text"}`` (app/web/api.py's AssessResponse)."""

    complete: bool
    next_question: QuestionOut | None
    determinations: Determinations
    elements: Elements
    assumptions: list[str]
    assumption_ids: list[str] = Field(description="The pack ids of the assumptions applied, in the same order.")
    referrals: list[ReferralOut]
    needs: NeedsOut
    ignored_answers: list[str]
    optional_questions: list[QuestionOut] = Field(
        description="Optional questions that may be asked now; never required to complete the walk."
    )
    answered: list[AnsweredOut] = Field(description="The answers used, in the order the walk asks them.")
    explanations: list[ExplanationOut]
    statements: list[StatementOut] = Field(
        description="Short answers to the questions duty officers ask (do I need consent? who must notify?)."
    )
    skipped_questions: list[str] = Field(
        description="Questions the walk will not ask on these answers: no answer to them could change anything."
    )
    guidance: list[GuidanceOut]
    warnings: list[str]
    packs: list[PackOut]
    rules_version: str
    assessed_on: dt.date
