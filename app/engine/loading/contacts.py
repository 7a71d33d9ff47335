"""Contacts, contact slots, needs and the services that answer them, from the national pack (the local
overlay's own contacts and services are in ``overlay``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from .. import schema
from ..errors import did_you_mean
from ..rulebook import Contact, Need, Question, Service
from . import checks
from .compiler import Compiler, RawPath
from .read import Source


def contact(c: Compiler, source: Source, i: int, doc: schema.ContactDoc, pack: str,
            slot_ids: list[str] | None) -> Contact:
    """A contact, after the v2 rules on slots, constants and who checked it (``slot_ids`` is None for
    the national pack, whose contacts fill no slot)."""

    def problem(key: str, message: str, suggestion: str | None = None) -> None:
        c.problem(source, "contacts", (i, key), f"contacts[{doc.id}]: {message}", suggestion)

    if doc.slot is not None:
        if slot_ids is None:
            problem("slot", "only a local pack's contact fills a contact slot; a national action names the "
                    "slot itself")
        elif doc.slot not in slot_ids:
            problem("slot", f"'{doc.slot}' is not a contact slot of the national pack; slots: "
                    f"{', '.join(slot_ids) or 'none'}", did_you_mean(doc.slot, slot_ids))
    if doc.constant:
        if doc.phone not in schema.CONSTANT_NUMBERS:
            problem("constant", f"only {', '.join(schema.CONSTANT_NUMBERS[:-1])} and "
                    f"{schema.CONSTANT_NUMBERS[-1]} are constant; "
                    f"'{doc.phone}' is checked like any other number")
        for key in ("checked_on", "checked_by"):
            if getattr(doc, key) is not None:
                problem(key, f"a constant number ({doc.phone}) is never shown as checked: remove '{key}'")
    elif doc.checked_by is not None and doc.checked_on is None:
        problem("checked_by", "'checked_by' needs 'checked_on': the day they rang the number or loaded the page")
    elif doc.checked_on is not None and doc.checked_by is None:
        problem("checked_on", "'checked_on' needs 'checked_by': the role (not the name) of who checked it")
    today = dt.date.today()
    if doc.checked_on is not None and doc.checked_on > today:
        problem("checked_on", f"'checked_on' is {doc.checked_on}, after today: record the day it was checked")
    found = Contact(id=doc.id, name=doc.name, phone=doc.phone, textphone=doc.textphone, email=doc.email,
                    url=doc.url, hours=doc.hours, notes=doc.notes, confirmed=doc.confirmed, source=doc.source,
                    source_date=doc.source_date, checked_on=doc.checked_on, checked_by=doc.checked_by, pack=pack,
                    who_can_use=doc.who_can_use, constant=doc.constant, slot=doc.slot, group=doc.group)
    if found.source_day is not None and found.source_day > today:
        problem("source_date", f"'source_date' is {doc.source_date}, after today: give the source's own date")
    return found


def national_contacts(c: Compiler, docs: list[schema.ContactDoc], pack: str) -> dict[str, Contact]:
    return {doc.id: contact(c, c.national, i, doc, pack, None) for i, doc in enumerate(docs)}


def contact_slots(c: Compiler, contacts: Mapping[str, Contact]) -> list[schema.ContactSlotDoc]:
    """The national pack's contact slots: ids unique, and none the id of a contact."""
    nat = c.national
    docs: list[schema.ContactSlotDoc] = nat.sections.get("contact_slots") or []
    checks.unique(c, nat, "contact_slots", [s.id for s in docs])
    for i, slot_doc in enumerate(docs):
        if slot_doc.id in contacts:
            c.problem(nat, "contact_slots", (i, "id"), f"contact slot '{slot_doc.id}' has the id of a contact; "
                      "actions name both, so give the slot an id of its own")
    return docs


def service(c: Compiler, doc: schema.ServiceDoc | None, contacts: Mapping[str, Contact], source: Source,
            section: str, pack: str | None, path: RawPath = ()) -> Service | None:
    """A service, with the contact it names (None when there is no service)."""
    if doc is None:
        return None
    found = None
    if doc.contact:
        found = contacts.get(doc.contact)
        if found is None:
            c.problem(source, section, (*path, "contact"), f"service names contact '{doc.contact}', which is "
                      "not defined", did_you_mean(doc.contact, contacts))
    return Service(doc.name or (found.name if found else None), found, doc.details, doc.none_recorded, pack)


def needs(c: Compiler, docs: list[schema.NeedDoc], questions: list[Question],
          contacts: Mapping[str, Contact]) -> dict[str, Need]:
    """Each need, an option of a multi-choice question, with the service the overlay names for it; every
    option of such a question has a need, and the overlay names a service for every need."""
    nat, loc = c.national, c.local
    qmap = {q.id: q for q in questions}
    by_question: dict[str, set[str]] = {}
    services = (loc.sections.get("services") if loc else None) or {}
    local_pack = loc.sections["pack"].id if loc and "pack" in loc.sections else None
    result: dict[str, Need] = {}
    for i, n in enumerate(docs):
        file, line = nat.line("needs", i)
        q = qmap.get(n.question)
        if q is None or q.type != "multi_choice":
            c.problems.add(file, line, f"need '{n.id}' belongs to '{n.question}', which is not a "
                           "multi-choice question", did_you_mean(n.question, qmap))
            continue
        if n.id not in q.values:
            c.problems.add(file, line, f"need '{n.id}' is not an option of '{n.question}'",
                           did_you_mean(n.id, q.values))
        by_question.setdefault(n.question, set()).add(n.id)
        found = None
        if loc is not None:
            doc = services.get(n.id)
            if doc is None:
                c.problems.add(loc.file("services"), loc.line("services")[1], f"services: need '{n.id}' has no "
                               "entry; name a service or say 'none_recorded: true'")
            else:
                found = service(c, doc, contacts, loc, "services", local_pack, (n.id,))
        result[n.id] = Need(n.id, n.group, n.question, n.label, n.caution, found)
    for qid, ids in by_question.items():
        missing = [v for v in qmap[qid].values if v not in ids]
        if missing:
            c.problems.add(nat.file("needs"), nat.line("needs")[1],
                           f"options of '{qid}' with no need defined: {', '.join(missing)}")
    if loc is not None:
        for nid in services:
            if nid not in result:
                c.problem(loc, "services", (nid,), f"services: '{nid}' is not a need", did_you_mean(nid, result))
    return result
