"""The order the loader compiles a pack in: the sections every other section reads come first (facts,
then contacts and flags), the rules next, the checks across rules after what they check, and the
``Rulebook`` last, only when no problem was found."""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import schema
from ..rulebook import Contact, ContactSlot, Flag, PackMeta, Rulebook
from . import benchmarks, checks, contacts, invariants, overlay, sections
from .compiler import Compiler
from .read import Problems, Source


@dataclass
class _NationalDocs:
    """The national pack's sections, the required ones reported if missing (in this order)."""

    info: schema.PackInfo | None
    questions: list[schema.QuestionDoc]
    determinations: list[schema.DeterminationDoc]
    actions: list[schema.ActionDoc]
    elements: list[schema.ElementDoc]
    needs: list[schema.NeedDoc]
    contacts: list[schema.ContactDoc]
    flags: list[schema.FlagDoc]
    invariants: schema.Invariants | None
    child_route: schema.ServiceDoc | None
    assumptions: list[schema.AssumptionDoc] = field(default_factory=list)
    guidance: list[schema.GuidanceDoc] = field(default_factory=list)

    @classmethod
    def of(cls, c: Compiler) -> _NationalDocs:
        docs = cls(c.need("pack"), c.need("questions") or [], c.need("determinations") or [],
                   c.need("actions") or [], c.need("elements") or [], c.need("needs") or [],
                   c.need("contacts") or [], c.need("flags") or [], c.need("invariants"),
                   c.need("child_route"), c.national.sections.get("assumptions") or [],
                   c.national.sections.get("guidance") or [])
        if docs.info and docs.info.kind != "national":
            c.problem(c.national, "pack", ("kind",), "the national pack's 'kind' must be 'national'")
        return docs

    def check_ids(self, c: Compiler) -> None:
        """Ids unique within each section here, and across questions, determinations, flags and actions
        as the facts are compiled (``checks.add_fact``, ``checks.across_kinds``)."""
        for section, items in (("questions", self.questions), ("determinations", self.determinations),
                               ("actions", self.actions), ("contacts", self.contacts), ("flags", self.flags),
                               ("needs", self.needs)):
            checks.unique(c, c.national, section, [item.id for item in items])


def assemble(national: Source, local: Source | None, problems: Problems) -> Rulebook | None:
    """The cross-checked rulebook of a national pack and an optional overlay, or None when any problem
    was added to ``problems``."""
    c = Compiler(national, local, problems)
    docs = _NationalDocs.of(c)
    nat_id = docs.info.id if docs.info else None
    local_info = overlay.pack_info(c, docs.info)
    local_id = local_info.id if local_info else None
    docs.check_ids(c)
    words = overlay.wording(c)
    flag_values = sections.facts(c, docs.questions, docs.determinations, docs.flags, docs.actions,
                                 nat_id or "national")
    known, slots = _contacts(c, docs, nat_id or "national", local_id or "local")
    overlay.availability(c, flag_values, [f.id for f in docs.flags], local_id or "local")

    determinations = sections.determinations(c, docs.determinations)
    checks.determination_cycles(c, determinations)
    questions, optional = sections.questions(c, docs.questions, words)
    overlay.optional_questions(c, optional, words)
    contract_ids = [q.id for q in docs.questions if not q.optional]
    checks.optional_after(c, optional, contract_ids)
    checks.question_order(c, questions, determinations)
    overlay.check_wording(c, words, questions + optional, docs.actions)
    extra_contacts = overlay.action_contacts(c, known)
    actions = sections.actions(c, docs.actions, words, extra_contacts, known, slots)
    checks.action_cycles(c, actions)

    elements = sections.elements(c, docs.elements, contract_ids)
    assumptions = sections.assumptions(c, docs.assumptions)
    needs = contacts.needs(c, docs.needs, questions, known)
    child_route = contacts.service(c, docs.child_route, known, national, "child_route", nat_id)
    child_route = overlay.child_route(c, child_route, known, local_id)
    rules_invariants = invariants.invariants(c, docs.invariants, contract_ids)
    statements = sections.statements(c)
    guidance = overlay.guidance(c, docs.guidance)
    glossary = sections.glossary(c, national)
    local_benchmarks = benchmarks.benchmarks(c, questions + optional, actions)

    if problems.items or docs.info is None or child_route is None:
        return None
    packs = [_meta(docs.info, national)]
    if local is not None and local_info is not None:
        packs.append(_meta(local_info, local))
    flags = {f.id: Flag(f.id, f.label, tuple(f.values), *flag_values[f.id]) for f in docs.flags}
    return Rulebook(tuple(packs), tuple(questions), tuple(optional), tuple(determinations), tuple(elements),
                    tuple(assumptions), tuple(actions), needs, child_route, known, flags, rules_invariants,
                    tuple(guidance), dict(c.facts), tuple(statements),
                    contact_slots=tuple(slots.values()), glossary=glossary,
                    benchmarks=local_benchmarks, training_agencies=benchmarks.agencies(c))


def _contacts(c: Compiler, docs: _NationalDocs, nat_pack: str, local_pack: str
              ) -> tuple[dict[str, Contact], dict[str, ContactSlot]]:
    """Every contact (the national pack's, then the overlay's), and the slots the overlay fills."""
    known = contacts.national_contacts(c, docs.contacts, nat_pack)
    slot_docs = contacts.contact_slots(c, known)
    fillers = overlay.contacts(c, known, [s.id for s in slot_docs], local_pack)
    slots = {s.id: ContactSlot(s.id, s.label, s.area, s.out_of_hours, fillers.get(s.id)) for s in slot_docs}
    return known, slots


def _meta(info: schema.PackInfo, source: Source) -> PackMeta:
    return PackMeta(info.id, info.name, info.kind, info.version, info.last_reviewed, info.jurisdiction,
                    source.display)

