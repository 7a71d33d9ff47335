"""The national pack's rule sections compiled one at a time: facts, determinations, questions, actions,
elements of the test card, assumptions, statements and the glossary. Each function returns its part
and adds the problems it finds to the compiler."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import schema
from ..conditions import Condition, Fact
from ..errors import did_you_mean
from ..rulebook import (
    Action,
    Assumption,
    Because,
    Case,
    Contact,
    ContactSlot,
    Determination,
    Element,
    GlossaryTerm,
    Option,
    Question,
    Reason,
    Statement,
    StatementCase,
    UrgencyRule,
    Variant,
)
from . import checks
from .compiler import Compiler
from .read import Source

TRI_OPTIONS = (Option("yes", "Yes"), Option("no", "No"), Option("unsure", "Not sure"))


def facts(c: Compiler, questions: list[schema.QuestionDoc], dets: list[schema.DeterminationDoc],
          flags: list[schema.FlagDoc], actions: list[schema.ActionDoc], pack: str) -> dict[str, tuple[str, str]]:
    """What conditions may read: every question of the contract, determination and flag, each id naming
    one kind (optional questions and actions share the index without being facts). Returns each flag's
    value and the pack that set it."""
    nat = c.national
    seen: dict[str, str] = {}
    for q in questions:
        if q.optional:
            continue
        opts = TRI_OPTIONS if q.type == "tri_state" else tuple(Option(o.value, o.label, o.hint, o.exclusive)
                                                               for o in q.options or [])
        checks.add_fact(c, seen, nat, "questions", Fact(q.id, "question", q.type, tuple(o.value for o in opts),
                                                        q.short))
    for d in dets:
        checks.add_fact(c, seen, nat, "determinations", Fact(d.id, "determination", d.type, _values(d), d.label,
                                                             dict(d.value_labels)))
    flag_values: dict[str, tuple[str, str]] = {}
    for f in flags:
        checks.add_fact(c, seen, nat, "flags", Fact(f.id, "flag", "flag", tuple(f.values), f.label))
        flag_values[f.id] = (f.default, pack)
    c.action_ids = [a.id for a in actions]
    checks.across_kinds(c, seen, nat, "questions", [q.id if q.optional else None for q in questions])
    checks.across_kinds(c, seen, nat, "actions", c.action_ids)
    return flag_values


def _values(d: schema.DeterminationDoc) -> tuple[Any, ...]:
    if d.type == "boolean":
        return (True, False)
    if d.type == "three_valued":
        return ("yes", "possible", "no")
    return tuple(d.values or ())


def determinations(c: Compiler, docs: list[schema.DeterminationDoc]) -> list[Determination]:
    """Each determination with its cases: one condition (boolean), logic per case (three_valued), or a
    value per case (choice)."""
    result: list[Determination] = []
    for i, d in enumerate(docs):
        if d.type == "boolean":
            cond = c.cond(c.national, "determinations", (i, "condition"), d.condition, allow_listed=False)
            cases = [Case(None, condition=cond)]
        else:
            cases = _cases(c, i, d)
        fact = c.facts[d.id]
        result.append(Determination(d.id, d.label, d.type, fact.values, dict(d.value_labels), tuple(cases),
                                    d.explain, d.source))
    return result


def _cases(c: Compiler, i: int, d: schema.DeterminationDoc) -> list[Case]:
    nat = c.national
    cases: list[Case] = []
    for j, case_doc in enumerate(d.cases or []):
        when = c.cond(nat, "determinations", (i, "cases", j, "when"), case_doc.when, allow_listed=False)
        file, line = nat.line("determinations", i, "cases", j)
        if d.type == "three_valued":
            if case_doc.logic is None or case_doc.value is not None:
                c.problems.add(file, line, f"determination '{d.id}': each case of a three_valued "
                               "determination has 'logic' and no 'value'")
                continue
            cases.append(Case(when, logic=c.logic(nat, "determinations", (i, "cases", j, "logic")),
                              because=case_doc.because))
            continue
        if case_doc.logic is not None:
            c.problems.add(file, line, f"determination '{d.id}': a choice case has a 'value', not 'logic'")
            continue
        if case_doc.value is not None and case_doc.value not in (d.values or []):
            c.problems.add(file, line, f"determination '{d.id}' cannot be '{case_doc.value}'; allowed: "
                           f"{', '.join(d.values or [])} or null")
        cases.append(Case(when, value=case_doc.value, because=case_doc.because))
    return cases


def question(c: Compiler, source: Source, section: str, i: int, q: schema.QuestionDoc,
             wording: schema.Wording) -> Question:
    """A question (of either pack) with the overlay's wording laid over it."""
    words = wording.questions.get(q.id, schema.QuestionWording())
    if q.type == "tri_state":
        opts = tuple(Option(o.value, words.option_labels.get(o.value, o.label), o.hint, o.exclusive)
                     for o in (q.options or [])) or tuple(
            Option(o.value, words.option_labels.get(o.value, o.label)) for o in TRI_OPTIONS)
    else:
        opts = tuple(Option(o.value, words.option_labels.get(o.value, o.label), o.hint, o.exclusive)
                     for o in q.options or [])
    ask: Condition | None = None
    if q.ask_when != "always":
        ask = c.cond(source, section, (i, "ask_when"), q.ask_when, allow_listed=False)
    pending, pending_or_skipped = Question.make_pending(q.type, tuple(o.value for o in opts))
    return Question(q.id, q.section, words.text or q.text, words.short or q.short, q.type, opts,
                    words.help if words.help is not None else q.help, words.why or q.why,
                    tuple(words.indicators if words.indicators is not None else q.indicators), ask, q.optional,
                    q.after, q.none_label, q.source, pending, pending_or_skipped, q.record, q.quick_check)


def questions(c: Compiler, docs: list[schema.QuestionDoc], wording: schema.Wording
              ) -> tuple[list[Question], list[Question]]:
    """The national questions: those of the contract, and the optional ones."""
    asked: list[Question] = []
    optional: list[Question] = []
    for i, q in enumerate(docs):
        (optional if q.optional else asked).append(question(c, c.national, "questions", i, q, wording))
    return asked, optional


def actions(c: Compiler, docs: list[schema.ActionDoc], wording: schema.Wording,
            action_contacts: Mapping[str, list[str]], contacts: Mapping[str, Contact],
            slots: Mapping[str, ContactSlot]) -> list[Action]:
    """Each action whose 'due' compiles, with its urgency, reasons, contacts, wording and variants."""
    nat = c.national
    result: list[Action] = []
    for i, a in enumerate(docs):
        due = c.cond(nat, "actions", (i, "due"), a.due)
        urgency = tuple(
            UrgencyRule(u.level, c.cond(nat, "actions", (i, "urgency", j, "when"), u.when))
            for j, u in enumerate(a.urgency)
        )
        reasons = []
        for j, r in enumerate(a.reasons):
            c.check_text(nat, "actions", (i, "reasons", j, "text"), r.text)
            reasons.append(Reason(c.cond(nat, "actions", (i, "reasons", j, "when"), r.when), r.text))
        linked = _linked_contacts(c, i, a, [*a.contacts, *action_contacts.get(a.id, [])], contacts, slots)
        words = wording.actions.get(a.id, schema.ActionWording())
        variants = _variants(c, i, a)
        if due is not None:
            result.append(Action(a.id, words.title or a.title, words.summary or a.summary,
                                 words.who_acts or a.who_acts, due, urgency, tuple(reasons), tuple(linked),
                                 a.source, i, words.short_title or a.short_title, variants))
    return result


def _linked_contacts(c: Compiler, i: int, a: schema.ActionDoc, ids: list[str], contacts: Mapping[str, Contact],
                     slots: Mapping[str, ContactSlot]) -> tuple[Contact, ...]:
    """The contacts an action names: a slot gives the local contact that fills it, if any; each contact
    is listed once."""
    linked: list[Contact] = []
    for cid in ids:
        found = slots[cid].contact if cid in slots else contacts.get(cid)
        if cid not in slots and found is None:
            c.problem(c.national, "actions", (i, "contacts"), f"action '{a.id}' names contact '{cid}', which "
                      "is not defined", did_you_mean(cid, [*contacts, *slots]))
        elif found is not None and found.id not in {x.id for x in linked}:
            linked.append(found)
    return tuple(linked)


def _variants(c: Compiler, i: int, a: schema.ActionDoc) -> tuple[Variant, ...]:
    """An action's wording variants, each 'when' parsed like a reason's (an overlay's wording never
    reaches them: it replaces only the defaults)."""
    variants = []
    for j, v in enumerate(a.variants):
        when = c.cond(c.national, "actions", (i, "variants", j, "when"), v.when)
        if when is not None:
            variants.append(Variant(when, v.title, v.short_title, v.summary, v.who_acts))
    return tuple(variants)


def elements(c: Compiler, docs: list[schema.ElementDoc], contract_ids: list[str]) -> list[Element]:
    """The test card's elements, each reading a question of the contract."""
    nat = c.national
    result = []
    for i, e in enumerate(docs):
        if e.question not in contract_ids:
            c.problem(nat, "elements", (i, "question"), f"element '{e.id}' reads question '{e.question}', "
                      "which does not exist", did_you_mean(e.question, contract_ids))
        not_required = _becauses(c, i, "not_required", e.not_required)
        unknown = _becauses(c, i, "unknown", e.unknown)
        result.append(Element(e.id, e.label, e.question, not_required, unknown))
    return result


def _becauses(c: Compiler, i: int, key: str, docs: list[schema.BecauseDoc]) -> tuple[Because, ...]:
    found = []
    for j, b in enumerate(docs):
        when = c.cond(c.national, "elements", (i, key, j, "when"), b.when, allow_listed=False)
        if when is not None:
            found.append(Because(when, b.because))
    return tuple(found)


def assumptions(c: Compiler, docs: list[schema.AssumptionDoc]) -> list[Assumption]:
    result = []
    for i, asm in enumerate(docs):
        c.check_text(c.national, "assumptions", (i, "text"), asm.text)
        when = c.cond(c.national, "assumptions", (i, "when"), asm.when)
        if when is not None:
            result.append(Assumption(asm.id, when, asm.text))
    return result


def statements(c: Compiler) -> list[Statement]:
    """The statements a record may include, each case's text checked for placeholders."""
    nat = c.national
    result = []
    for i, st in enumerate(nat.sections.get("statements") or []):
        cases: list[StatementCase] = []
        for j, case in enumerate(st.cases):
            c.check_text(nat, "statements", (i, "cases", j, "text"), case.text)
            when = c.cond(nat, "statements", (i, "cases", j, "when"), case.when)
            if when is not None:
                cases.append(StatementCase(when, case.answer, case.text))
        result.append(Statement(st.id, st.question, tuple(cases), st.source))
    return result


def glossary(c: Compiler, source: Source) -> tuple[GlossaryTerm, ...]:
    """The pack's plain-words glossary: ids unique, and no term (or alias) given twice."""
    docs: list[schema.GlossaryDoc] = source.sections.get("glossary") or []
    checks.unique(c, source, "glossary", [g.id for g in docs])
    seen: dict[str, str] = {}
    for i, g in enumerate(docs):
        for j, word in enumerate((g.term, *g.aliases)):
            key = word.casefold()
            if key in seen and seen[key] != g.id:
                c.problem(source, "glossary", (i, *(("aliases", j - 1) if j else ("term",))),
                          f"'{word}' is already explained by glossary term '{seen[key]}'")
            seen.setdefault(key, g.id)
    return tuple(GlossaryTerm(g.id, g.term, g.short.strip(), g.more.strip() if g.more else None,
                              tuple(g.aliases), g.source) for g in docs)
