"""What ``pathway check`` warns about a deployment's local contacts. These are warnings, never
failures: a pack with an empty slot still loads, but at 2 am the duty officer it serves gets no
local route for that situation.

The national pack declares the contact slots (``contact_slots`` in its contacts file), each in
an *area* ("children's services", "adult safeguarding", "housing") and marked out of hours or not;
a local pack fills each with one contact (``slot: <id>``).
"""

from __future__ import annotations

from .rulebook import ContactSlot, Rulebook


def contact_warnings(book: Rulebook) -> list[str]:
    """One line per problem, naming the local pack: each empty slot; each area with no phone number
    in office hours; each area whose out-of-hours slot has no phone number. Nothing without a local
    pack: the national pack leaves the slots to local packs."""
    local = [p for p in book.packs if p.kind == "local"]
    if not local or not book.contact_slots:
        return []
    where = local[-1].path
    warnings = [
        f"{where}: no contact fills the slot '{slot.id}' ({slot.label}): add a local contact with "
        f"'slot: {slot.id}'"
        for slot in book.contact_slots if slot.contact is None
    ]
    areas: dict[str, list[ContactSlot]] = {}
    for slot in book.contact_slots:
        areas.setdefault(slot.area, []).append(slot)
    for area, slots in areas.items():
        daytime = [s for s in slots if not s.out_of_hours]
        night = [s for s in slots if s.out_of_hours]
        if daytime and not any(s.contact and s.contact.phone for s in daytime):
            warnings.append(f"{where}: no phone number for {area}: fill "
                            + " or ".join(f"'{s.id}'" for s in daytime) + " with a contact that has a phone number")
        if night and not any(s.contact and s.contact.phone for s in night):
            warnings.append(f"{where}: no out-of-hours route for {area}: fill "
                            + " or ".join(f"'{s.id}'" for s in night) + " with a contact that has a phone number")
    return warnings


def service_warnings(book: Rulebook) -> list[str]:
    """One line per need the local pack records no service for (``none_recorded: true``): the plan says
    plainly that no local service is recorded, and the council should find one. Nothing without a local
    pack, whose services.yaml names the services."""
    local = [p for p in book.packs if p.kind == "local"]
    if not local:
        return []
    where = local[-1].path
    return [f"{where}: no local service recorded for the need '{need.id}' ({need.label}): name one in "
            f"services.yaml ('name:' or 'contact:') in place of 'none_recorded: true'"
            for need in book.needs.values() if need.service is not None and need.service.none_recorded]
