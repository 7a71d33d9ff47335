"""Reads the rule packs from disk, merges the local overlay, and cross-checks everything.

Every problem found is collected and reported at once, compiler style, as
``path/file.yaml:LINE: message (suggestion)``. This is the engine's only I/O.
"""

from __future__ import annotations

import datetime as dt
import re
import types
import typing
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from . import schema
from .conditions import Condition, ConditionParser, Fact, Listed, Logic, LogicRef
from .errors import PackError, PackProblem, did_you_mean
from .rulebook import (
    Action,
    AlwaysRule,
    Assumption,
    Because,
    Case,
    Contact,
    ContactSlot,
    Determination,
    Element,
    Flag,
    GlossaryTerm,
    Guidance,
    Invariants,
    Need,
    NeverRule,
    Option,
    OrderRule,
    PackMeta,
    Question,
    Reason,
    Rulebook,
    Service,
    Statement,
    StatementCase,
    UrgencyRule,
    Variant,
)
from .yaml_source import PackProblemError, YList, YMap, line_of, read_yaml_file

TRI_OPTIONS = (Option("yes", "Yes"), Option("no", "No"), Option("unsure", "Not sure"))
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
MAX_FILES = 50
_ALL_FIELDS = sorted(
    {name for model in vars(schema).values() if isinstance(model, type) and issubclass(model, BaseModel)
     for name in getattr(model, "model_fields", {})}
)


@dataclass
class _Source:
    """One pack directory's validated sections, with the file and raw data of each."""

    root: Path
    display: str
    sections: dict[str, Any] = field(default_factory=dict)
    where: dict[str, tuple[str, Any]] = field(default_factory=dict)  # section -> (file, raw YAML)

    def line(self, section: str, *path: str | int) -> tuple[str, int | None]:
        file, raw = self.where.get(section, (self.display, None))
        if raw is None:
            return file, None
        return file, line_of(raw, (section, *path))


class _Problems:
    def __init__(self) -> None:
        self.items: list[PackProblem] = []

    def add(self, file: str, line: int | None, message: str, suggestion: str | None = None) -> None:
        self.items.append(PackProblem(file, line, message, suggestion))


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _describe_loc(loc: tuple[Any, ...], raw: Any) -> str:
    parts: list[str] = []
    node = raw
    for step in loc:
        if isinstance(node, YList) and isinstance(step, int) and 0 <= step < len(node):
            node = node[step]
            ident = node.get("id") if isinstance(node, dict) else None
            parts[-1:] = [f"{parts[-1] if parts else ''}[{ident or step}]"]
        elif isinstance(node, YMap) and isinstance(step, str) and step in node:
            node = node[step]
            parts.append(step)
        elif isinstance(step, str) and not any(c in step for c in "[]()-,"):
            parts.append(step)
    return ".".join(parts)


def _fields_at(model: Any, loc: tuple[Any, ...]) -> list[str]:
    """The field names of the model found by following ``loc`` through the schema's annotations."""
    current: Any = model
    for step in loc:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel) and isinstance(step, str):
            field_info = current.model_fields.get(step)
            if field_info is None:
                return []
            current = field_info.annotation
        elif typing.get_origin(current) in (list, tuple) and isinstance(step, int):
            current = typing.get_args(current)[0]
        elif typing.get_origin(current) is dict and isinstance(step, str):
            current = typing.get_args(current)[1]
        else:
            return []
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _unwrap(annotation: Any) -> Any:
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType) and len(args) == 1:
        return args[0]
    return annotation


def _validation_problems(exc: ValidationError, file: str, raw: Any, problems: _Problems,
                         model: type[BaseModel]) -> None:
    for err in exc.errors():
        loc = tuple(err["loc"])
        line = line_of(raw, loc)
        where = _describe_loc(loc, raw)
        kind = err["type"]
        if kind == "missing":
            problems.add(file, line, f"{where.rsplit('.', 1)[0] or 'file'}: '{loc[-1]}' is required")
        elif kind == "extra_forbidden":
            key = str(loc[-1])
            fields = _fields_at(model, loc[:-1])
            allowed = f"; allowed: {', '.join(fields)}" if fields else ""
            problems.add(file, line, f"unknown key '{key}' in {where.rsplit('.', 1)[0] or 'file'}{allowed}",
                         did_you_mean(key, fields or _ALL_FIELDS))
        else:
            message = err["msg"].removeprefix("Value error, ")
            problems.add(file, line, f"{where}: {message}")


def _read_dir(root: Path, allowed: tuple[str, ...], model: type[BaseModel], problems: _Problems,
              kind: str) -> _Source:
    source = _Source(root, _display(root))
    if not root.is_dir():
        problems.add(source.display, None, "rule pack directory not found")
        return source
    files = sorted(p for p in root.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
    if not files:
        problems.add(source.display, None, "no .yaml files in this rule pack directory")
    if len(files) > MAX_FILES:
        problems.add(source.display, None, f"more than {MAX_FILES} files in one pack")
        files = files[:MAX_FILES]
    for path in files:
        display = _display(path)
        try:
            raw = read_yaml_file(path, display)  # too large, unreadable, not UTF-8 or invalid: file:line
        except PackProblemError as exc:
            problems.items.append(exc.problem)
            continue
        except (UnicodeDecodeError, OSError) as exc:
            problems.add(display, None, f"cannot read file: {exc}")
            continue
        if raw is None:
            problems.add(display, 1, "file is empty")
            continue
        if not isinstance(raw, YMap):
            problems.add(display, getattr(raw, "line", 1), "a rule pack file must be a mapping of sections")
            continue
        clean = YMap()
        clean.line = raw.line
        clean.key_lines = {}
        for key, value in raw.items():
            line = raw.key_lines[key]
            if key not in allowed:
                if kind == "local" and key in schema.NATIONAL_SECTIONS:
                    problems.add(
                        display, line,
                        f"a local pack may not change '{key}': it may only add contacts, services for needs, "
                        "optional questions and availability flags, and change wording",
                    )
                else:
                    problems.add(display, line, f"unknown section '{key}'; allowed: {', '.join(allowed)}",
                                 did_you_mean(key, allowed))
                continue
            if key in source.where:
                problems.add(display, line, f"section '{key}' is also in {source.where[key][0]}")
                continue
            clean[key] = value
            clean.key_lines[key] = line
        try:
            doc = model.model_validate(clean)
        except ValidationError as exc:
            _validation_problems(exc, display, clean, problems, model)
            for key in clean:
                source.where.setdefault(key, (display, clean))
            continue
        for key in clean:
            source.sections[key] = getattr(doc, key)
            source.where[key] = (display, clean)
    return source


class _Builder:
    """Turns validated sections into a cross-checked Rulebook."""

    def __init__(self, national: _Source, local: _Source | None, problems: _Problems) -> None:
        self.nat = national
        self.loc = local
        self.problems = problems
        self.facts: dict[str, Fact] = {}
        self.action_ids: list[str] = []
        self.determinations: dict[str, Determination] = {}
        self.reads: list[tuple[str, str, int | None]] = []  # (fact, file, line) of every fact read

    # helpers ----------------------------------------------------------------

    def parser(self, source: _Source, section: str, *, allow_listed: bool = True,
               facts: Mapping[str, Fact] | None = None) -> ConditionParser:
        file = source.where.get(section, (source.display, None))[0]
        return ConditionParser(file, facts or self.facts, self.action_ids, [], allow_listed)

    def cond(self, source: _Source, section: str, raw_path: tuple[str | int, ...], value: Any,
             **kw: Any) -> Condition | None:
        if value is None:
            return None
        parser = self.parser(source, section, **kw)
        _, line = source.line(section, *raw_path)
        node = self._raw(source, section, raw_path)
        result = parser.condition(node if node is not None else value, line)
        self.problems.items.extend(parser.problems)
        self.reads.extend((fact, parser.file, ln) for fact, ln in _reads(result))
        return result

    def logic(self, source: _Source, section: str, raw_path: tuple[str | int, ...]) -> Logic | None:
        parser = self.parser(source, section)
        _, line = source.line(section, *raw_path)
        result = parser.logic(self._raw(source, section, raw_path), line)
        self.problems.items.extend(parser.problems)
        self.reads.extend((fact, parser.file, ln) for fact, ln in _reads(result))
        return result

    @staticmethod
    def _raw(source: _Source, section: str, path: tuple[str | int, ...]) -> Any:
        node = source.where.get(section, (None, None))[1]
        for step in (section, *path):
            try:
                node = node[step]  # type: ignore[index]
            except (KeyError, IndexError, TypeError):
                return None
        return node

    def check_text(self, source: _Source, section: str, path: tuple[str | int, ...], text: str) -> None:
        for name in PLACEHOLDER.findall(text):
            if name not in self.facts:
                file, line = source.line(section, *path)
                self.problems.add(file, line, f"text refers to '{{{name}}}', which is not a question, "
                                  "determination or flag", did_you_mean(name, self.facts))

    def need(self, section: str, source: _Source | None = None) -> Any:
        src = source or self.nat
        if section not in src.sections:
            if section not in src.where:
                self.problems.add(src.display, None, f"the pack has no '{section}' section")
            return None
        return src.sections[section]

    # build ------------------------------------------------------------------

    def build(self) -> Rulebook | None:
        nat = self.nat
        info: schema.PackInfo | None = self.need("pack")
        questions_doc: list[schema.QuestionDoc] = self.need("questions") or []
        dets_doc: list[schema.DeterminationDoc] = self.need("determinations") or []
        actions_doc: list[schema.ActionDoc] = self.need("actions") or []
        elements_doc: list[schema.ElementDoc] = self.need("elements") or []
        needs_doc: list[schema.NeedDoc] = self.need("needs") or []
        contacts_doc: list[schema.ContactDoc] = self.need("contacts") or []
        flags_doc: list[schema.FlagDoc] = self.need("flags") or []
        invariants_doc: schema.Invariants | None = self.need("invariants")
        assumptions_doc: list[schema.AssumptionDoc] = nat.sections.get("assumptions") or []
        guidance_doc: list[schema.GuidanceDoc] = nat.sections.get("guidance") or []
        child_route_doc: schema.ServiceDoc | None = self.need("child_route")
        if info and info.kind != "national":
            file, line = nat.line("pack", "kind")
            self.problems.add(file, line, "the national pack's 'kind' must be 'national'")

        local_info: schema.PackInfo | None = None
        loc = self.loc
        if loc is not None:
            local_info = self.need("pack", loc)
            if local_info and info and local_info.extends != info.id:
                file, line = loc.line("pack", "extends")
                self.problems.add(file, line, f"this local pack extends '{local_info.extends}', "
                                  f"but the national pack is '{info.id}'")
            if local_info and local_info.kind != "local":
                file, line = loc.line("pack", "kind")
                self.problems.add(file, line, "an overlay's 'kind' must be 'local'")

        # ids must be unique within each section here, and across questions, determinations, flags and
        # actions below (_add_fact, _across_kinds)
        self._unique(nat, "questions", [q.id for q in questions_doc])
        self._unique(nat, "determinations", [d.id for d in dets_doc])
        self._unique(nat, "actions", [a.id for a in actions_doc])
        self._unique(nat, "contacts", [c.id for c in contacts_doc])
        self._unique(nat, "flags", [f.id for f in flags_doc])
        self._unique(nat, "needs", [n.id for n in needs_doc])

        # wording overrides from the overlay
        wording = (loc.sections.get("wording") if loc else None) or schema.Wording()
        local_optional: list[schema.QuestionDoc] = (loc.sections.get("optional_questions") if loc else None) or []

        # facts ------------------------------------------------------------------
        seen: dict[str, str] = {}
        for q in questions_doc:
            if q.optional:
                continue
            opts = TRI_OPTIONS if q.type == "tri_state" else tuple(Option(o.value, o.label, o.hint, o.exclusive)
                                                                   for o in q.options or [])
            self._add_fact(seen, nat, "questions", q.id, Fact(q.id, "question", q.type,
                                                              tuple(o.value for o in opts), q.short))
        for d in dets_doc:
            values: tuple[Any, ...]
            if d.type == "boolean":
                values = (True, False)
            elif d.type == "three_valued":
                values = ("yes", "possible", "no")
            else:
                values = tuple(d.values or ())
            self._add_fact(seen, nat, "determinations", d.id, Fact(d.id, "determination", d.type, values, d.label,
                                                                   dict(d.value_labels)))
        flag_values: dict[str, tuple[str, str]] = {}
        for f in flags_doc:
            self._add_fact(seen, nat, "flags", f.id, Fact(f.id, "flag", "flag", tuple(f.values), f.label))
            flag_values[f.id] = (f.default, info.id if info else "national")
        self.action_ids = [a.id for a in actions_doc]
        # optional questions and actions share one index with the facts: no id may name two kinds
        self._across_kinds(seen, nat, "questions", [q.id if q.optional else None for q in questions_doc])
        self._across_kinds(seen, nat, "actions", self.action_ids)

        # contacts, and the local contact slots they fill -------------------------------
        contacts: dict[str, Contact] = {}
        for i, contact_doc in enumerate(contacts_doc):
            contacts[contact_doc.id] = self._contact(nat, i, contact_doc, info.id if info else "national", None)
        slots_doc: list[schema.ContactSlotDoc] = nat.sections.get("contact_slots") or []
        self._unique(nat, "contact_slots", [s.id for s in slots_doc])
        slot_ids = [s.id for s in slots_doc]
        for i, slot_doc in enumerate(slots_doc):
            if slot_doc.id in contacts:
                file, line = nat.line("contact_slots", i, "id")
                self.problems.add(file, line, f"contact slot '{slot_doc.id}' has the id of a contact; actions name "
                                  "both, so give the slot an id of its own")
        fillers: dict[str, Contact] = {}
        if loc is not None:
            for i, local_contact in enumerate(loc.sections.get("contacts") or []):
                if local_contact.id in contacts:
                    file, line = loc.line("contacts", i, "id")
                    self.problems.add(file, line, f"contact '{local_contact.id}' is already defined by the national "
                                      "pack; a local pack may only add contacts, under new ids")
                    continue
                contact = self._contact(loc, i, local_contact, local_info.id if local_info else "local", slot_ids)
                contacts[local_contact.id] = contact
                if contact.slot in slot_ids:
                    if contact.slot in fillers:
                        file, line = loc.line("contacts", i, "slot")
                        self.problems.add(file, line, f"contact slot '{contact.slot}' is already filled by "
                                          f"'{fillers[contact.slot].id}'; a slot takes one contact: add others to "
                                          "the action through action_contacts")
                    else:
                        fillers[contact.slot] = contact
        slots = {s.id: ContactSlot(s.id, s.label, s.area, s.out_of_hours, fillers.get(s.id)) for s in slots_doc}

        # flags set locally -------------------------------------------------------
        if loc is not None:
            for fid, value in (loc.sections.get("availability") or {}).items():
                file, line = loc.line("availability", fid)
                fact = self.facts.get(fid)
                if fact is None or fact.kind != "flag":
                    self.problems.add(file, line, f"'{fid}' is not an availability flag of the national pack",
                                      did_you_mean(fid, [f.id for f in flags_doc]))
                elif value not in fact.values:
                    self.problems.add(file, line, f"flag '{fid}' cannot be '{value}'; allowed: "
                                      f"{', '.join(fact.values)}", did_you_mean(str(value), fact.values))
                else:
                    flag_values[fid] = (value, local_info.id if local_info else "local")

        # determinations -----------------------------------------------------------
        determinations: list[Determination] = []
        for i, d in enumerate(dets_doc):
            cases: list[Case] = []
            if d.type == "boolean":
                cond = self.cond(nat, "determinations", (i, "condition"), d.condition, allow_listed=False)
                cases.append(Case(None, condition=cond))
            else:
                for j, case_doc in enumerate(d.cases or []):
                    when = self.cond(nat, "determinations", (i, "cases", j, "when"), case_doc.when, allow_listed=False)
                    file, line = nat.line("determinations", i, "cases", j)
                    if d.type == "three_valued":
                        if case_doc.logic is None or case_doc.value is not None:
                            self.problems.add(file, line, f"determination '{d.id}': each case of a three_valued "
                                              "determination has 'logic' and no 'value'")
                            continue
                        cases.append(Case(when, logic=self.logic(nat, "determinations", (i, "cases", j, "logic")),
                                          because=case_doc.because))
                    else:
                        if case_doc.logic is not None:
                            self.problems.add(file, line, f"determination '{d.id}': a choice case has a 'value', "
                                              "not 'logic'")
                            continue
                        if case_doc.value is not None and case_doc.value not in (d.values or []):
                            self.problems.add(file, line, f"determination '{d.id}' cannot be "
                                              f"'{case_doc.value}'; allowed: {', '.join(d.values or [])} or null")
                        cases.append(Case(when, value=case_doc.value, because=case_doc.because))
            fact = self.facts[d.id]
            determinations.append(Determination(d.id, d.label, d.type, fact.values, dict(d.value_labels),
                                                tuple(cases), d.explain, d.source))
        self._determination_cycles(determinations)
        self.determinations = {d.id: d for d in determinations}

        # questions ------------------------------------------------------------------
        questions: list[Question] = []
        optional: list[Question] = []
        contract_ids = [q.id for q in questions_doc if not q.optional]
        for i, q in enumerate(questions_doc):
            questions_or_opt = optional if q.optional else questions
            questions_or_opt.append(self._question(nat, "questions", i, q, wording))
        for i, q in enumerate(local_optional):
            if not q.optional:
                file, line = loc.line("optional_questions", i) if loc else ("", None)
                self.problems.add(file, line, f"question '{q.id}' must say 'optional: true': a local pack "
                                  "may only add optional questions")
            if q.id in self.facts or q.id in {o.id for o in optional}:
                file, line = loc.line("optional_questions", i, "id") if loc else ("", None)
                self.problems.add(file, line, f"question '{q.id}' already exists; a local pack adds "
                                  "questions under new ids")
                continue
            if q.id in self.action_ids:
                file, line = loc.line("optional_questions", i, "id") if loc else ("", None)
                self.problems.add(file, line, f"question '{q.id}' has the id of an action; a local pack adds "
                                  "questions under new ids")
                continue
            if loc is not None:
                optional.append(self._question(loc, "optional_questions", i, q, wording))
        for oq in optional:
            if oq.after and oq.after not in contract_ids:
                self.problems.add(*self._where_optional(oq.id, "after"), f"optional question '{oq.id}' comes "
                                  f"'after' '{oq.after}', which is not a question",
                                  did_you_mean(oq.after, contract_ids))
        self._question_order(questions)
        self._wording(wording, questions + optional, actions_doc)

        # actions -----------------------------------------------------------------------
        action_contacts = (loc.sections.get("action_contacts") if loc else None) or {}
        for aid, ids in action_contacts.items():
            assert loc is not None
            file, line = loc.line("action_contacts", aid)
            if aid not in self.action_ids:
                self.problems.add(file, line, f"'{aid}' is not an action", did_you_mean(aid, self.action_ids))
            for cid in ids:
                if cid not in contacts:
                    self.problems.add(file, line, f"contact '{cid}' is not defined", did_you_mean(cid, contacts))
        actions: list[Action] = []
        for i, a in enumerate(actions_doc):
            due = self.cond(nat, "actions", (i, "due"), a.due)
            urgency = tuple(
                UrgencyRule(u.level, self.cond(nat, "actions", (i, "urgency", j, "when"), u.when))
                for j, u in enumerate(a.urgency)
            )
            reasons = []
            for j, r in enumerate(a.reasons):
                self.check_text(nat, "actions", (i, "reasons", j, "text"), r.text)
                reasons.append(Reason(self.cond(nat, "actions", (i, "reasons", j, "when"), r.when), r.text))
            linked: list[Contact] = []
            for cid in [*a.contacts, *action_contacts.get(a.id, [])]:
                # a slot gives the local contact that fills it, if any; each contact is listed once
                found = slots[cid].contact if cid in slots else contacts.get(cid)
                if cid not in slots and found is None:
                    file, line = nat.line("actions", i, "contacts")
                    self.problems.add(file, line, f"action '{a.id}' names contact '{cid}', which is not defined",
                                      did_you_mean(cid, [*contacts, *slots]))
                elif found is not None and found.id not in {c.id for c in linked}:
                    linked.append(found)
            words = wording.actions.get(a.id, schema.ActionWording())
            variants = self._variants(i, a)
            if due is not None:
                actions.append(Action(a.id, words.title or a.title, words.summary or a.summary,
                                      words.who_acts or a.who_acts, due, urgency, tuple(reasons), tuple(linked),
                                      a.source, i, words.short_title or a.short_title, variants))
        self._action_cycles(actions)

        # elements, assumptions ------------------------------------------------------------
        elements = []
        for i, e in enumerate(elements_doc):
            if e.question not in contract_ids:
                file, line = nat.line("elements", i, "question")
                self.problems.add(file, line, f"element '{e.id}' reads question '{e.question}', which does not "
                                  "exist", did_you_mean(e.question, contract_ids))
            nr = []
            for j, b in enumerate(e.not_required):
                nr_when = self.cond(nat, "elements", (i, "not_required", j, "when"), b.when, allow_listed=False)
                if nr_when is not None:
                    nr.append(Because(nr_when, b.because))
            unknown = []
            for j, b in enumerate(e.unknown):
                unknown_when = self.cond(nat, "elements", (i, "unknown", j, "when"), b.when, allow_listed=False)
                if unknown_when is not None:
                    unknown.append(Because(unknown_when, b.because))
            elements.append(Element(e.id, e.label, e.question, tuple(nr), tuple(unknown)))
        assumptions = []
        for i, asm in enumerate(assumptions_doc):
            self.check_text(nat, "assumptions", (i, "text"), asm.text)
            asm_when = self.cond(nat, "assumptions", (i, "when"), asm.when)
            if asm_when is not None:
                assumptions.append(Assumption(asm.id, asm_when, asm.text))

        # needs and services -------------------------------------------------------------
        needs = self._needs(needs_doc, questions, contacts)
        child_route = self._service(child_route_doc, contacts, nat, "child_route", info.id if info else None)
        if loc is not None and loc.sections.get("child_route") is not None:
            child_route = self._service(loc.sections["child_route"], contacts, loc, "child_route",
                                        local_info.id if local_info else None)

        # invariants -------------------------------------------------------------------------
        invariants = self._invariants(invariants_doc, contract_ids)

        statements = []
        for i, st in enumerate(nat.sections.get("statements") or []):
            statement_cases: list[StatementCase] = []
            for j, case in enumerate(st.cases):
                self.check_text(nat, "statements", (i, "cases", j, "text"), case.text)
                case_when = self.cond(nat, "statements", (i, "cases", j, "when"), case.when)
                if case_when is not None:
                    statement_cases.append(StatementCase(case_when, case.answer, case.text))
            statements.append(Statement(st.id, st.question, tuple(statement_cases), st.source))

        guidance = [Guidance(g.id, g.text, g.source) for g in guidance_doc]
        if loc is not None:
            guidance += [Guidance(g.id, g.text, g.source) for g in loc.sections.get("guidance") or []]

        glossary = self.glossary(nat)

        if self.problems.items or info is None or child_route is None:
            return None
        packs = [PackMeta(info.id, info.name, info.kind, info.version, info.last_reviewed, info.jurisdiction,
                          nat.display)]
        if loc is not None and local_info is not None:
            packs.append(PackMeta(local_info.id, local_info.name, local_info.kind, local_info.version,
                                  local_info.last_reviewed, local_info.jurisdiction, loc.display))
        flags = {f.id: Flag(f.id, f.label, tuple(f.values), flag_values[f.id][0], flag_values[f.id][1])
                 for f in flags_doc}
        return Rulebook(tuple(packs), tuple(questions), tuple(optional), tuple(determinations), tuple(elements),
                        tuple(assumptions), tuple(actions), needs, child_route, contacts, flags, invariants,
                        tuple(guidance), dict(self.facts), tuple(statements),
                        contact_slots=tuple(slots.values()), glossary=glossary)

    # pieces ---------------------------------------------------------------------------

    def glossary(self, source: _Source) -> tuple[GlossaryTerm, ...]:
        """The pack's plain-words glossary: ids unique, and no term (or alias) given twice."""
        docs: list[schema.GlossaryDoc] = source.sections.get("glossary") or []
        self._unique(source, "glossary", [g.id for g in docs])
        seen: dict[str, str] = {}
        for i, g in enumerate(docs):
            for j, word in enumerate((g.term, *g.aliases)):
                key = word.casefold()
                if key in seen and seen[key] != g.id:
                    file, line = source.line("glossary", i, *(("aliases", j - 1) if j else ("term",)))
                    self.problems.add(file, line, f"'{word}' is already explained by glossary term '{seen[key]}'")
                seen.setdefault(key, g.id)
        return tuple(GlossaryTerm(g.id, g.term, g.short.strip(), g.more.strip() if g.more else None,
                                  tuple(g.aliases), g.source) for g in docs)

    def _unique(self, source: _Source, section: str, ids: list[str]) -> None:
        seen: set[str] = set()
        for i, ident in enumerate(ids):
            if ident in seen:
                file, line = source.line(section, i, "id")
                self.problems.add(file, line, f"duplicate id '{ident}' in {section}")
            seen.add(ident)

    def _across_kinds(self, seen: dict[str, str], source: _Source, section: str, ids: Sequence[str | None]) -> None:
        """Ids that are not facts (optional questions, actions) must not reuse an id of another kind."""
        for i, ident in enumerate(ids):
            if ident is None:
                continue
            if ident in seen and seen[ident] != section:
                file, line = source.line(section, i, "id")
                self.problems.add(file, line, f"id '{ident}' is used by both {seen[ident]} and {section}")
            else:
                seen.setdefault(ident, section)

    def _add_fact(self, seen: dict[str, str], source: _Source, section: str, ident: str, fact: Fact) -> None:
        if ident in seen and seen[ident] != section:
            idx = [getattr(x, "id", None) for x in source.sections.get(section) or []].index(ident)
            file, line = source.line(section, idx, "id")
            self.problems.add(file, line, f"id '{ident}' is used by both {seen[ident]} and {section}")
            return
        seen[ident] = section
        self.facts[ident] = fact

    def _contact(self, source: _Source, i: int, c: schema.ContactDoc, pack: str,
                 slot_ids: list[str] | None) -> Contact:
        """A contact, after the v2 rules on slots, constants and who checked it (``slot_ids`` is None for
        the national pack, whose contacts fill no slot)."""

        def problem(key: str, message: str, suggestion: str | None = None) -> None:
            file, line = source.line("contacts", i, key)
            self.problems.add(file, line, f"contacts[{c.id}]: {message}", suggestion)

        if c.slot is not None:
            if slot_ids is None:
                problem("slot", "only a local pack's contact fills a contact slot; a national action names the "
                        "slot itself")
            elif c.slot not in slot_ids:
                problem("slot", f"'{c.slot}' is not a contact slot of the national pack; slots: "
                        f"{', '.join(slot_ids) or 'none'}", did_you_mean(c.slot, slot_ids))
        if c.constant:
            if c.phone not in schema.CONSTANT_NUMBERS:
                problem("constant", f"only {', '.join(schema.CONSTANT_NUMBERS[:-1])} and "
                        f"{schema.CONSTANT_NUMBERS[-1]} are constant; "
                        f"'{c.phone}' is checked like any other number")
            for key in ("checked_on", "checked_by"):
                if getattr(c, key) is not None:
                    problem(key, f"a constant number ({c.phone}) is never shown as checked: remove '{key}'")
        elif c.checked_by is not None and c.checked_on is None:
            problem("checked_by", "'checked_by' needs 'checked_on': the day they rang the number or loaded the page")
        elif c.checked_on is not None and c.checked_by is None:
            problem("checked_on", "'checked_on' needs 'checked_by': the role (not the name) of who checked it")
        today = dt.date.today()
        if c.checked_on is not None and c.checked_on > today:
            problem("checked_on", f"'checked_on' is {c.checked_on}, after today: record the day it was checked")
        contact = Contact(id=c.id, name=c.name, phone=c.phone, textphone=c.textphone, email=c.email, url=c.url,
                          hours=c.hours, notes=c.notes, confirmed=c.confirmed, source=c.source,
                          source_date=c.source_date, checked_on=c.checked_on, checked_by=c.checked_by, pack=pack,
                          who_can_use=c.who_can_use, constant=c.constant, slot=c.slot)
        if contact.source_day is not None and contact.source_day > today:
            problem("source_date", f"'source_date' is {c.source_date}, after today: give the source's own date")
        return contact

    def _question(self, source: _Source, section: str, i: int, q: schema.QuestionDoc,
                  wording: schema.Wording) -> Question:
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
            ask = self.cond(source, section, (i, "ask_when"), q.ask_when, allow_listed=False)
        pending, pending_or_skipped = Question.make_pending(q.type, tuple(o.value for o in opts))
        return Question(q.id, q.section, words.text or q.text, words.short or q.short, q.type, opts,
                        words.help if words.help is not None else q.help, words.why or q.why,
                        tuple(words.indicators if words.indicators is not None else q.indicators), ask, q.optional,
                        q.after, q.none_label, q.source, pending, pending_or_skipped, q.record, q.quick_check)

    def _where_optional(self, qid: str, key: str) -> tuple[str, int | None]:
        for source, section in ((self.nat, "questions"), (self.loc, "optional_questions")):
            if source is None:
                continue
            for i, q in enumerate(source.sections.get(section) or []):
                if q.id == qid:
                    return source.line(section, i, key)
        return self.nat.display, None

    def _fact_questions(self, fact: str, dets: Mapping[str, Determination], stack: tuple[str, ...] = ()
                        ) -> set[str]:
        """The questions a fact depends on, through determinations."""
        if fact in stack:
            return set()
        f = self.facts.get(fact)
        if f is None:
            return set()
        if f.kind == "question":
            return {fact}
        if f.kind == "flag":
            return set()
        det = dets.get(fact)
        result: set[str] = set()
        if det is None:
            return result
        for case in det.cases:
            for part in (case.when, case.logic, case.condition):
                if part is not None:
                    for ref in part.refs():
                        result |= self._fact_questions(ref, dets, (*stack, fact))
        return result

    def _determination_cycles(self, dets: list[Determination]) -> None:
        graph = {d.id: {r for c in d.cases for p in (c.when, c.logic, c.condition) if p is not None
                        for r in p.refs() if self.facts.get(r) and self.facts[r].kind == "determination"}
                 for d in dets}
        for cycle in _cycles(graph):
            idx = [d.id for d in dets].index(cycle[0])
            file, line = self.nat.line("determinations", idx, "id")
            self.problems.add(file, line, "determinations depend on each other in a cycle: " + " -> ".join(cycle))

    def _question_order(self, questions: list[Question]) -> None:
        dets = self.determinations
        order = {q.id: i for i, q in enumerate(questions)}
        graph: dict[str, set[str]] = {}
        for q in questions:
            deps: set[str] = set()
            if q.ask_when is not None:
                for ref in q.ask_when.refs():
                    deps |= self._fact_questions(ref, dets)
            graph[q.id] = deps
        cyclic = set()
        for cycle in _cycles(graph):
            cyclic.update(cycle)
            file, line = self._where_question(cycle[0], "ask_when")
            self.problems.add(file, line, "questions depend on each other in a cycle: " + " -> ".join(cycle))
        for q in questions:
            if q.id in cyclic:
                continue
            later = sorted((d for d in graph[q.id] if order.get(d, -1) >= order[q.id]), key=order.__getitem__)
            if later:
                file, line = self._where_question(q.id, "ask_when")
                self.problems.add(file, line, f"question '{q.id}' is asked depending on '{later[0]}', which is "
                                  "asked at the same point or later; move it after that question")

    def _where_question(self, qid: str, key: str) -> tuple[str, int | None]:
        for i, q in enumerate(self.nat.sections.get("questions") or []):
            if q.id == qid:
                return self.nat.line("questions", i, key)
        return self.nat.display, None

    def _wording(self, wording: schema.Wording, questions: list[Question], actions: list[schema.ActionDoc]) -> None:
        if self.loc is None:
            return
        qids = {q.id: q for q in questions}
        for qid, words in wording.questions.items():
            file, line = self.loc.line("wording", "questions", qid)
            if qid not in qids:
                self.problems.add(file, line, f"wording for '{qid}', which is not a question", did_you_mean(qid, qids))
                continue
            for value in words.option_labels:
                if value not in qids[qid].values:
                    self.problems.add(file, line, f"wording for option '{value}' of '{qid}', which has no such "
                                      "option", did_you_mean(value, qids[qid].values))
        aids = [a.id for a in actions]
        for aid in wording.actions:
            if aid not in aids:
                file, line = self.loc.line("wording", "actions", aid)
                self.problems.add(file, line, f"wording for '{aid}', which is not an action", did_you_mean(aid, aids))

    def _variants(self, i: int, a: schema.ActionDoc) -> tuple[Variant, ...]:
        """An action's wording variants, each 'when' parsed like a reason's (an overlay's wording never
        reaches them: it replaces only the defaults)."""
        variants = []
        for j, v in enumerate(a.variants):
            when = self.cond(self.nat, "actions", (i, "variants", j, "when"), v.when)
            if when is not None:
                variants.append(Variant(when, v.title, v.short_title, v.summary, v.who_acts))
        return tuple(variants)

    def _action_cycles(self, actions: list[Action]) -> None:
        graph: dict[str, set[str]] = {}
        ref_lines: dict[tuple[str, str], int | None] = {}  # (action, listed action) -> line of 'listed'
        for a in actions:
            refs: set[str] = set()
            for part in (a.due, *(u.when for u in a.urgency)):
                if part is not None:
                    for leaf in part.leaves():
                        if isinstance(leaf, Listed):
                            refs.add(leaf.action)
                            ref_lines.setdefault((a.id, leaf.action), leaf.line)
            graph[a.id] = refs
        for cycle in _cycles(graph):
            idx = self.action_ids.index(cycle[0])
            file, line = self.nat.line("actions", idx, "due")
            line = ref_lines.get((cycle[0], cycle[1])) or line
            self.problems.add(file, line, "actions depend on each other in a cycle: " + " -> ".join(cycle))

    def _service(self, doc: schema.ServiceDoc | None, contacts: Mapping[str, Contact], source: _Source,
                 section: str, pack: str | None, path: tuple[str | int, ...] = ()) -> Service | None:
        if doc is None:
            return None
        contact = None
        if doc.contact:
            contact = contacts.get(doc.contact)
            if contact is None:
                file, line = source.line(section, *path, "contact")
                self.problems.add(file, line, f"service names contact '{doc.contact}', which is not defined",
                                  did_you_mean(doc.contact, contacts))
        return Service(doc.name or (contact.name if contact else None), contact, doc.details, doc.none_recorded, pack)

    def _needs(self, needs_doc: list[schema.NeedDoc], questions: list[Question],
               contacts: Mapping[str, Contact]) -> dict[str, Need]:
        qmap = {q.id: q for q in questions}
        by_question: dict[str, set[str]] = {}
        services = (self.loc.sections.get("services") if self.loc else None) or {}
        local_pack = self.loc.sections["pack"].id if self.loc and "pack" in self.loc.sections else None
        needs: dict[str, Need] = {}
        for i, n in enumerate(needs_doc):
            file, line = self.nat.line("needs", i)
            q = qmap.get(n.question)
            if q is None or q.type != "multi_choice":
                self.problems.add(file, line, f"need '{n.id}' belongs to '{n.question}', which is not a "
                                  "multi-choice question", did_you_mean(n.question, qmap))
                continue
            if n.id not in q.values:
                self.problems.add(file, line, f"need '{n.id}' is not an option of '{n.question}'",
                                  did_you_mean(n.id, q.values))
            by_question.setdefault(n.question, set()).add(n.id)
            service = None
            if self.loc is not None:
                doc = services.get(n.id)
                if doc is None:
                    self.problems.add(self.loc.where.get("services", (self.loc.display, None))[0],
                                      self.loc.line("services")[1],
                                      f"services: need '{n.id}' has no entry; name a service or say "
                                      "'none_recorded: true'")
                else:
                    service = self._service(doc, contacts, self.loc, "services", local_pack, (n.id,))
            needs[n.id] = Need(n.id, n.group, n.question, n.label, n.caution, service)
        for qid, ids in by_question.items():
            missing = [v for v in qmap[qid].values if v not in ids]
            if missing:
                self.problems.add(self.nat.where.get("needs", (self.nat.display, None))[0], self.nat.line("needs")[1],
                                  f"options of '{qid}' with no need defined: {', '.join(missing)}")
        if self.loc is not None:
            for nid in services:
                if nid not in needs:
                    file, line = self.loc.line("services", nid)
                    self.problems.add(file, line, f"services: '{nid}' is not a need", did_you_mean(nid, needs))
        return needs

    def _invariants(self, doc: schema.Invariants | None, question_ids: list[str]) -> Invariants:
        if doc is None:
            return Invariants((), (), (), ())
        aids = list(self.action_ids)  # every action defined, even one whose condition has a problem
        asm_ids = [a.id for a in self.nat.sections.get("assumptions") or []]

        def check_actions(path: tuple[str | int, ...], ids: Iterable[str]) -> None:
            for ident in ids:
                if ident not in aids:
                    file, line = self.nat.line("invariants", *path)
                    self.problems.add(file, line, f"invariant names action '{ident}', which does not exist",
                                      did_you_mean(ident, aids))

        def check_items(path: tuple[str | int, ...], ids: list[str], kind: str, known: list[str]) -> None:
            """Each id names a known action or assumption, once; reported at the item's own line."""
            for j, ident in enumerate(ids):
                file, line = self.nat.line("invariants", *path, j)
                if ident not in known:
                    self.problems.add(file, line, f"invariant names {kind} '{ident}', which does not exist",
                                      did_you_mean(ident, known))
                elif ident in ids[:j]:
                    self.problems.add(file, line, f"invariant names {kind} '{ident}' twice")

        never = []
        for i, rule in enumerate(doc.never):
            check_actions(("never", i, "actions"), rule.actions)
            check_items(("never", i, "assumptions"), rule.assumptions, "assumption", asm_ids)
            for qid in rule.questions:
                if qid not in question_ids:
                    file, line = self.nat.line("invariants", "never", i, "questions")
                    self.problems.add(file, line, f"invariant names question '{qid}', which does not exist",
                                      did_you_mean(qid, question_ids))
            c = self.cond(self.nat, "invariants", ("never", i, "when"), rule.when, allow_listed=False)
            if c is not None:
                never.append(NeverRule(rule.id, rule.text, tuple(rule.actions), tuple(rule.questions), c,
                                       tuple(rule.assumptions)))
        always = []
        for i, arule in enumerate(doc.always):
            check_actions(("always", i, "actions"), arule.actions)
            check_items(("always", i, "any_of"), arule.any_of, "action", aids)
            c = self.cond(self.nat, "invariants", ("always", i, "when"), arule.when, allow_listed=False)
            if c is not None:
                always.append(AlwaysRule(arule.id, arule.text, tuple(arule.actions), c, tuple(arule.any_of)))
        ordering = []
        for i, orule in enumerate(doc.ordering):
            check_actions(("ordering", i), [x for x in (orule.first, orule.before, *orule.after) if x])
            ordering.append(OrderRule(orule.id, orule.text, orule.first, orule.before, tuple(orule.after)))
        # protected inputs: no condition anywhere may read them (reported where each is read)
        protected = set(doc.never_inputs)
        for fid, file, line in self.reads:
            if fid in protected:
                self.problems.add(file, line, f"condition reads '{fid}', which must never be an input to a "
                                  "decision (invariants: never_inputs)")
        return Invariants(tuple(never), tuple(always), tuple(ordering), tuple(doc.never_inputs))


def _reads(node: Condition | Logic | None) -> Iterable[tuple[str, int | None]]:
    """The facts a parsed condition or logic expression reads, each with the line that reads it."""
    if node is None:
        return
    if isinstance(node, Condition):
        for leaf in node.leaves():
            fact = getattr(leaf, "fact", None)
            if fact is not None:
                yield fact, leaf.line
    elif isinstance(node, LogicRef):
        yield node.fact, node.line
    else:
        for child in (*getattr(node, "items", ()), getattr(node, "item", None)):
            yield from _reads(child)


def _cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """Each elementary cycle found by depth-first search, reported once, starting at its first node."""
    found: list[list[str]] = []
    reported: set[frozenset[str]] = set()
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in graph:
                continue
            if state.get(nxt) == 1:
                cycle = [*path[path.index(nxt):], nxt]
                key = frozenset(cycle)
                if key not in reported:
                    reported.add(key)
                    found.append(cycle)
            elif nxt not in state:
                visit(nxt, path)
        path.pop()
        state[node] = 2

    for node in graph:
        if node not in state:
            visit(node, [])
    return found


def load_rulebook(national_dir: Path | str, local_dir: Path | str | None = None) -> Rulebook:
    """Load the national pack and optionally a local overlay. Raises PackError listing every problem."""
    problems = _Problems()
    national = _read_dir(Path(national_dir), schema.NATIONAL_SECTIONS, schema.NationalDocument, problems, "national")
    local = None
    if local_dir is not None:
        local = _read_dir(Path(local_dir), schema.LOCAL_SECTIONS, schema.LocalDocument, problems, "local")
    if problems.items:
        # Cross-checks against sections that failed to load would only add noise.
        raise PackError(problems.items)
    builder = _Builder(national, local, problems)
    rulebook = builder.build()
    if rulebook is None or problems.items:
        if not problems.items:
            problems.add(national.display, None, "the pack is incomplete")
        raise PackError(problems.items)
    return rulebook


def rules_dirs(rules_root: Path | str, local: str | None) -> tuple[Path, Path | None]:
    """The national and local pack directories under a rules root (``local`` None or 'none' for none)."""
    root = Path(rules_root)
    if local in (None, "", "none"):
        return root / "national", None
    return root / "national", root / "local" / str(local)
