"""Words for the outcome: reasons, the test card, assumptions, explanation chains, warnings.

Every sentence comes from the rule pack; this module only chooses which ones hold and fills
in ``{fact}`` placeholders with the labels of the user's answers.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable
from typing import Any

from .conditions import TRUE, Condition, to_text
from .evaluation import SKIPPED_SET, Evaluation
from .graph import leaves
from .labels import ELEMENT_WORDS as ELEMENT_WORDS  # where callers found it before labels.py
from .labels import URGENCY_LABELS
from .outcome import (
    ActionWordingOut,
    AnsweredOut,
    ContactOut,
    ElementValue,
    ExplanationOut,
    NeedsOut,
    OptionOut,
    PackOut,
    QuestionOut,
    ReferralOut,
    ServiceOut,
    StatementOut,
    WordingVariantOut,
)
from .rulebook import Action, Assumption, Contact, Element, Question, Rulebook, Service, Statement, Wording

PLACEHOLDER = re.compile(r"\{([a-z0-9_]+)\}")
ANSWER_TO_ELEMENT: dict[str, ElementValue] = {"yes": "met", "no": "not_met", "unsure": "unknown"}
NO_LOCAL_SERVICE = "No local service recorded"


def in_sentence(label: str) -> str:
    """A label inside a sentence: its first letter lower-cased, unless it starts an acronym (NHS, GLAA)
    or a name of two capitalised words (Home Office, British Transport Police)."""
    words = label.split(maxsplit=2)
    if len(words) > 1 and words[1][:1].isupper() and words[0][:1].isupper():
        return label
    if len(label) > 1 and label[0].isupper() and not label[1].isupper():
        return label[0].lower() + label[1:]
    return label


def months_later(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise ValueError(day)


def is_stale(day: dt.date | None, today: dt.date) -> bool:
    return day is not None and today > months_later(day, 12)


def date_words(iso: str | None) -> str:
    """A date as precise as it was given: '22 August 2024', 'April 2026', '2020'."""
    if not iso:
        return "undated"
    parts = [int(p) for p in iso.split("-")]
    if len(parts) == 1:
        return str(parts[0])
    if len(parts) == 2:
        return f"{dt.date(parts[0], parts[1], 1):%B %Y}"
    return f"{dt.date(*parts):%d %B %Y}"


CONFIRM_LOCALLY = "Confirm locally"
UNDATED = "Undated: confirm locally"
NOT_YET_CHECKED = "Not yet checked by your organisation"


def contact_out(c: Contact, today: dt.date) -> ContactOut:
    """A contact with what the user is told about it (contract v2). 999, 112 and 101 are constants and
    carry no check state. Anything a primary source does not confirm, or that is undated, says 'confirm
    locally'; anything no one has checked says so; staleness runs from the check, else the source's date."""
    undated = not c.constant and c.dated_on is None
    confirm_locally = not c.constant and (not c.confirmed or undated)
    not_yet_checked = not c.constant and c.checked_on is None
    stale = not c.constant and is_stale(c.dated_on, today)
    notices: list[str] = []
    provenance = None
    if not c.constant:
        if confirm_locally:
            notices.append(UNDATED if undated else CONFIRM_LOCALLY)
        if not_yet_checked:
            notices.append(NOT_YET_CHECKED)
        if stale and c.checked_on:
            notices.append(f"Checked {c.checked_on:%d %B %Y}, over 12 months ago: confirm before use")
        elif stale:
            notices.append(f"Source dated {date_words(c.source_date)}, over 12 months ago: confirm before use")
        dated = f", {date_words(c.source_date)}" if c.source_date else " (undated)"
        provenance = f"Source: {c.source}{dated}."
        if c.checked_on:
            provenance += f" Checked on {c.checked_on:%d %B %Y} by {c.checked_by}."
    return ContactOut.model_construct(
        id=c.id, name=c.name, phone=c.phone, textphone=c.textphone, email=c.email, url=c.url, hours=c.hours,
        who_can_use=c.who_can_use, notes=c.notes, slot=c.slot, confirmed=c.confirmed, constant=c.constant,
        source=c.source, source_date=c.source_date, checked_on=c.checked_on, checked_by=c.checked_by,
        confirm_locally=confirm_locally, not_yet_checked=not_yet_checked, undated=undated, stale=stale,
        notices=notices, provenance=provenance, pack=c.pack,
    )


@functools.lru_cache(maxsize=1024)
def shared_contact_out(c: Contact, today: dt.date) -> ContactOut:
    """``contact_out``, built once per contact and day: the outcomes of that day share it (never change it)."""
    return contact_out(c, today)


def question_out(q: Question) -> QuestionOut:
    """A question as the API and the questionnaire show it."""
    fields: dict[str, Any] = dict(
        id=q.id, text=q.text, short=q.short, type=q.type,
        options=[OptionOut.model_construct(value=o.value, label=o.label, hint=o.hint) for o in q.options],
        help=q.help, why=q.why, indicators=list(q.indicators), section=q.section,
        none_label=(q.none_label or "None of these") if q.type == "multi_choice" else None,
        optional=q.optional, after=q.after, source=q.source,
    )
    return QuestionOut.model_construct(**fields)


def action_wording_out(action: Action) -> ActionWordingOut:
    """How an action is worded, for the API: its defaults and each variant with its condition as text."""
    default = action.wording(None)
    return ActionWordingOut(
        title=default.title, short_title=default.short_title, summary=default.summary, who_acts=default.who_acts,
        variants=[WordingVariantOut(when=to_text(v.when), title=v.title, short_title=v.short_title,
                                    summary=v.summary, who_acts=v.who_acts) for v in action.variants],
    )


def packs_out(book: Rulebook, today: dt.date) -> list[PackOut]:
    """The loaded packs, with whether each was reviewed more than 12 months before ``today``."""
    return [PackOut.model_construct(id=p.id, name=p.name, kind=p.kind, version=p.version,
                                    last_reviewed=p.last_reviewed, jurisdiction=p.jurisdiction,
                                    stale=is_stale(p.last_reviewed, today)) for p in book.packs]


def pack_warnings(book: Rulebook, today: dt.date) -> list[str]:
    """A warning for each pack last reviewed more than 12 months before ``today``."""
    return [f"The {p.name} rule pack was last reviewed on {p.last_reviewed:%d %B %Y}, more than "
            "12 months ago: check with your safeguarding lead that it is still current."
            for p in book.packs if is_stale(p.last_reviewed, today)]


def stale_contact_warning(c: ContactOut) -> str:
    """The warning for a contact whose details are over 12 months old."""
    when = (f"were last checked on {c.checked_on:%d %B %Y}" if c.checked_on else
            f"come from a source dated {date_words(c.source_date)}")
    return (f"The contact details for {c.name} {when}, more than 12 months ago: confirm them "
            "before you use them.")


@functools.lru_cache(maxsize=4096)
def template(text: str) -> tuple[str, ...]:
    """A text with ``{fact}`` placeholders, split once: literal text at even places, fact ids at odd ones."""
    return tuple(PLACEHOLDER.split(text))


def placeholders(text: str) -> tuple[str, ...]:
    """The fact ids a text's placeholders name, in order."""
    return template(text)[1::2]


class Explainer:
    """The words of one outcome: each part of it worked out from the evaluation of one set of answers.

    Each method reads only the evaluation (and ``today``, for contacts and packs), so what it returns
    depends on the values of the facts it reads and nothing else: ``outcome_parts`` memoises it on them.
    """

    def __init__(self, book: Rulebook, evaluation: Evaluation, today: dt.date) -> None:
        self.book = book
        self.ev = evaluation
        self.today = today

    # text -----------------------------------------------------------------

    def describe(self, fact_id: str) -> str:
        """A fact's value in words: the label of the answer, or of the determination's value."""
        fact = self.book.facts.get(fact_id)
        if fact is None:
            return fact_id
        if fact.kind == "question":
            value = self.ev.single(fact_id)
            if value is None:
                return "not answered"
            return self.book.question(fact_id).answer_label(value)
        if fact.kind == "determination":
            det = self.book.determination(fact_id)
            values = self.ev.values(fact_id)
            if len(values) > 1 and None not in values and len(values) < len(det.values):
                # still open, but only between some values: "indicated or possible", not "not known yet"
                return " or ".join(det.value_label(v) for v in det.values if v in values)
            return det.value_label(self.ev.single(fact_id))
        value = self.ev.single(fact_id)
        return str(value) if value is not None else "not known"

    def render(self, text: str) -> str:
        """Fill ``{fact}`` placeholders: answers are quoted as the user saw them, other facts are not."""
        pieces = list(template(text))
        for i in range(1, len(pieces), 2):
            fact = self.book.facts.get(pieces[i])
            words = self.describe(pieces[i])
            pieces[i] = f"“{words}”" if fact is not None and fact.kind == "question" else words
        return "".join(pieces)

    def holds(self, cond: Condition | None) -> bool:
        return cond is None or cond.bits(self.ev) == TRUE

    # pieces of the outcome ----------------------------------------------------

    def question(self, q: Question) -> QuestionOut:
        return question_out(q)

    def answered(self, q: Question, value: Any, preset: bool) -> AnsweredOut:
        answer = sorted(value, key=q.values.index) if isinstance(value, frozenset) else value
        return AnsweredOut.model_construct(id=q.id, short=q.short, text=q.text, answer=answer,
                                           label=q.answer_label(value), section=q.section, optional=q.optional,
                                           preset=preset)

    def wording(self, action: Action) -> Wording:
        """The action's words for this user: the first variant whose 'when' holds supplies its fields, the
        defaults the rest. A variant that may still hold (its facts not yet answered) keeps the defaults
        until it is known, so a later variant is never shown to a user an earlier one is meant for."""
        for variant in action.variants:
            bits = variant.when.bits(self.ev)
            if bits == TRUE:
                return action.wording(variant)
            if bits & TRUE:
                break
        return action.wording(None)

    def reasons(self, action: Action) -> list[str]:
        return [self.render(r.text) for r in action.reasons if self.holds(r.when)]

    def referral(self, action: Action) -> ReferralOut:
        """A listed action as the plan shows it: its words for this user, urgency, reasons and contacts."""
        level, provisional = self.ev.urgency(action)
        contacts = [self.contact(c) for c in action.contacts]
        words = self.wording(action)
        return ReferralOut.model_construct(
            id=action.id, title=words.title, short_title=words.short_title, summary=words.summary,
            urgency=level, urgency_label=URGENCY_LABELS[level], provisional=provisional,
            reasons=self.reasons(action), who_acts=words.who_acts,
            contact=contacts[0] if contacts else None, contacts=contacts, source=action.source,
        )

    def contact(self, c: Contact) -> ContactOut:
        return shared_contact_out(c, self.today)

    def service(self, s: Service | None) -> ServiceOut:
        if s is None or s.none_recorded:
            return ServiceOut.model_construct(name=NO_LOCAL_SERVICE, contact=None, recorded=False,
                                              details=s.details if s else None, pack=s.pack if s else None)
        return ServiceOut.model_construct(
            name=s.name or NO_LOCAL_SERVICE, contact=self.contact(s.contact) if s.contact else None,
            details=s.details, recorded=True, pack=s.pack)

    def element(self, el: Element) -> tuple[ElementValue | None, str]:
        """The test card value of one element, with the reason in words."""
        for because in el.not_required:
            bits = because.when.bits(self.ev)
            if bits == TRUE:
                return "not_required", self.render(because.because)
            if bits & TRUE:
                return None, "it may not be needed"
        values = self.ev.values(el.question)
        if values == SKIPPED_SET:
            return "not_assessed", "not asked: no answer could change the result"
        if len(values) != 1:
            return None, "not answered yet"
        for because in el.unknown:
            bits = because.when.bits(self.ev)
            if bits == TRUE:
                return "unknown", self.render(because.because)
        (value,) = values
        return ANSWER_TO_ELEMENT[value], f"you said {in_sentence(self.describe(el.question))}"

    def assumption(self, a: Assumption) -> str | None:
        """The text of one of the pack's assumptions if it applies, else None."""
        return self.render(a.text) if self.holds(a.when) else None

    def pack_assumptions(self) -> list[tuple[str, str]]:
        """(id, text) of each of the pack's assumptions that applies."""
        return [(a.id, self.render(a.text)) for a in self.book.assumptions if self.holds(a.when)]

    def assumptions(self, preset_used: Iterable[tuple[Question, Any]]) -> list[tuple[str, str]]:
        """(id, text) of each assumption applied: the pack's, then each answer taken from the preset."""
        return [*self.pack_assumptions(), *(preset_assumption(q, value) for q, value in preset_used)]

    def explanations(self) -> list[ExplanationOut]:
        return [self.explanation(det.id) for det in self.book.determinations]

    def explanation(self, det_id: str) -> ExplanationOut:
        """The chain a trainer could read aloud for one determination: its value, then why."""
        det = self.book.determination(det_id)
        value = self.ev.single(det.id)
        settled = len(self.ev.values(det.id)) == 1
        words = det.value_label(value) if value is not None or not settled else "does not apply"
        head = f"{det.label}: {words}."
        steps: list[str] = []
        if det.explain == "elements":
            for el in self.book.elements:
                ev_value, because = self.element(el)
                word = ELEMENT_WORDS[ev_value]
                steps.append(f"{el.label}: {word} ({because}).")
        else:
            steps = self._input_steps(det_id)
        return ExplanationOut.model_construct(determination=det.id, value=value, text=" ".join([head, *steps]),
                                              steps=steps, source=det.source)

    def _input_steps(self, det_id: str) -> list[str]:
        det = self.book.determination(det_id)
        steps: list[str] = []
        seen: set[str] = set()
        for case in det.cases:
            holds = TRUE if case.when is None else case.when.bits(self.ev)
            if holds & TRUE:
                for leaf in (leaf for part in (case.when, case.logic, case.condition) for leaf in leaves(part)):
                    for ref in leaf.refs():
                        if ref not in seen:
                            seen.add(ref)
                            steps.append(self._step(ref))
                if case.because and holds == TRUE:
                    steps.append(self.render(case.because))
            if holds == TRUE:
                break
        return steps

    def _step(self, fact_id: str) -> str:
        fact = self.book.facts[fact_id]
        if fact.kind == "question":
            q = self.book.question(fact_id)
            values = self.ev.values(fact_id)
            if values == SKIPPED_SET:
                return f"{q.short}: not asked (no answer could change the result)."
            value = self.ev.single(fact_id)
            if value is None:
                return f"{q.short}: not answered yet."
            return f"{q.short}: you said {in_sentence(q.answer_label(value))}."
        return f"{fact.label}: {self.describe(fact_id)}."

    def statements(self) -> list[StatementOut]:
        return [self.statement(st) for st in self.book.statements]

    def statement(self, st: Statement) -> StatementOut:
        """A short answer to a question duty officers ask: the first case that holds, once it is known."""
        for case in st.cases:
            bits = case.when.bits(self.ev)
            if bits == TRUE:
                return StatementOut.model_construct(id=st.id, question=st.question, answer=case.answer,
                                                    text=self.render(case.text), source=st.source)
            if bits & TRUE:
                break  # an earlier case may still hold: not known yet
        return StatementOut.model_construct(id=st.id, question=st.question, answer=None,
                                            text="Not known yet: answer the questions that are still open.",
                                            source=st.source)

    def warnings(self, referrals: list[ReferralOut], needs: NeedsOut) -> list[str]:
        texts = pack_warnings(self.book, self.today)
        seen: set[str] = set()
        contacts = [c for r in referrals for c in r.contacts]
        contacts += [n.service.contact for n in (*needs.immediate, *needs.longer_term) if n.service.contact]
        for c in contacts:
            if c.stale and c.id not in seen:
                seen.add(c.id)
                texts.append(stale_contact_warning(c))
        return texts

    def packs(self) -> list[PackOut]:
        return packs_out(self.book, self.today)


def preset_assumption(q: Question, value: Any) -> tuple[str, str]:
    """(id, text) of the assumption that an answer was taken from the deployment's preset."""
    return f"{q.id}_preset", f"{q.short} was taken from this deployment's setting: {q.answer_label(value)}."
