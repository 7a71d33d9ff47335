"""What a local overlay may add or change: its pack header, contacts (filling the national contact
slots), availability flags, optional questions, wording, contacts for actions, a child route and
guidance. Every function does nothing without an overlay."""

from __future__ import annotations

from collections.abc import Mapping

from .. import schema
from ..errors import did_you_mean
from ..rulebook import Contact, Guidance, Question, Service
from .compiler import Compiler
from .contacts import contact, service
from .sections import question


def pack_info(c: Compiler, national: schema.PackInfo | None) -> schema.PackInfo | None:
    """The overlay's pack header: it extends this national pack, and says it is local."""
    loc = c.local
    if loc is None:
        return None
    info: schema.PackInfo | None = c.need("pack", loc)
    if info and national and info.extends != national.id:
        c.problem(loc, "pack", ("extends",), f"this local pack extends '{info.extends}', "
                  f"but the national pack is '{national.id}'")
    if info and info.kind != "local":
        c.problem(loc, "pack", ("kind",), "an overlay's 'kind' must be 'local'")
    return info


def wording(c: Compiler) -> schema.Wording:
    """The overlay's wording for questions and actions (none without one)."""
    return (c.local.sections.get("wording") if c.local else None) or schema.Wording()


def contacts(c: Compiler, national: dict[str, Contact], slot_ids: list[str], pack: str) -> dict[str, Contact]:
    """Adds the overlay's contacts (new ids only) to ``national``; returns the one filling each slot."""
    fillers: dict[str, Contact] = {}
    loc = c.local
    if loc is None:
        return fillers
    for i, doc in enumerate(loc.sections.get("contacts") or []):
        if doc.id in national:
            c.problem(loc, "contacts", (i, "id"), f"contact '{doc.id}' is already defined by the national "
                      "pack; a local pack may only add contacts, under new ids")
            continue
        found = contact(c, loc, i, doc, pack, slot_ids)
        national[doc.id] = found
        if found.slot in slot_ids:
            if found.slot in fillers:
                c.problem(loc, "contacts", (i, "slot"), f"contact slot '{found.slot}' is already filled by "
                          f"'{fillers[found.slot].id}'; a slot takes one contact: add others to "
                          "the action through action_contacts")
            else:
                fillers[found.slot] = found
    return fillers


def availability(c: Compiler, flag_values: dict[str, tuple[str, str]], flag_ids: list[str], pack: str) -> None:
    """The overlay's value for national availability flags (``flag_values``: id -> value, pack)."""
    loc = c.local
    if loc is None:
        return
    for fid, value in (loc.sections.get("availability") or {}).items():
        file, line = loc.line("availability", fid)
        fact = c.facts.get(fid)
        if fact is None or fact.kind != "flag":
            c.problems.add(file, line, f"'{fid}' is not an availability flag of the national pack",
                           did_you_mean(fid, flag_ids))
        elif value not in fact.values:
            c.problems.add(file, line, f"flag '{fid}' cannot be '{value}'; allowed: {', '.join(fact.values)}",
                           did_you_mean(str(value), fact.values))
        else:
            flag_values[fid] = (value, pack)


def optional_questions(c: Compiler, optional: list[Question], words: schema.Wording) -> None:
    """Adds the overlay's optional questions, under new ids, to ``optional``."""
    loc = c.local
    if loc is None:
        return
    docs: list[schema.QuestionDoc] = loc.sections.get("optional_questions") or []
    for i, q in enumerate(docs):
        if not q.optional:
            c.problem(loc, "optional_questions", (i,), f"question '{q.id}' must say 'optional: true': a local "
                      "pack may only add optional questions")
        if q.id in c.facts or q.id in {o.id for o in optional}:
            c.problem(loc, "optional_questions", (i, "id"), f"question '{q.id}' already exists; a local pack "
                      "adds questions under new ids")
            continue
        if q.id in c.action_ids:
            c.problem(loc, "optional_questions", (i, "id"), f"question '{q.id}' has the id of an action; a "
                      "local pack adds questions under new ids")
            continue
        optional.append(question(c, loc, "optional_questions", i, q, words))


def check_wording(c: Compiler, words: schema.Wording, questions: list[Question],
                  actions: list[schema.ActionDoc]) -> None:
    """The overlay words only questions, options and actions that exist."""
    loc = c.local
    if loc is None:
        return
    qids = {q.id: q for q in questions}
    for qid, qwords in words.questions.items():
        file, line = loc.line("wording", "questions", qid)
        if qid not in qids:
            c.problems.add(file, line, f"wording for '{qid}', which is not a question", did_you_mean(qid, qids))
            continue
        for value in qwords.option_labels:
            if value not in qids[qid].values:
                c.problems.add(file, line, f"wording for option '{value}' of '{qid}', which has no such option",
                               did_you_mean(value, qids[qid].values))
    aids = [a.id for a in actions]
    for aid in words.actions:
        if aid not in aids:
            c.problem(loc, "wording", ("actions", aid), f"wording for '{aid}', which is not an action",
                      did_you_mean(aid, aids))


def action_contacts(c: Compiler, known: Mapping[str, Contact]) -> dict[str, list[str]]:
    """The overlay's extra contacts for national actions: each an action, each contact defined."""
    loc = c.local
    if loc is None:
        return {}
    found: dict[str, list[str]] = loc.sections.get("action_contacts") or {}
    for aid, ids in found.items():
        file, line = loc.line("action_contacts", aid)
        if aid not in c.action_ids:
            c.problems.add(file, line, f"'{aid}' is not an action", did_you_mean(aid, c.action_ids))
        for cid in ids:
            if cid not in known:
                c.problems.add(file, line, f"contact '{cid}' is not defined", did_you_mean(cid, known))
    return found


def child_route(c: Compiler, national: Service | None, known: Mapping[str, Contact],
                pack: str | None) -> Service | None:
    """The overlay's route for a child, in place of the national one when it gives one."""
    loc = c.local
    if loc is None or loc.sections.get("child_route") is None:
        return national
    return service(c, loc.sections["child_route"], known, loc, "child_route", pack)


def guidance(c: Compiler, national: list[schema.GuidanceDoc]) -> list[Guidance]:
    """The national guidance, then the overlay's."""
    found = [Guidance(g.id, g.text, g.source) for g in national]
    if c.local is not None:
        found += [Guidance(g.id, g.text, g.source) for g in c.local.sections.get("guidance") or []]
    return found
