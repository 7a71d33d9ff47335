"""What changes between two outcomes: for the trainer's what-if, side by side, with the reasons."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .labels import ELEMENT_WORDS
from .outcome import Outcome, ReferralOut
from .rulebook import Rulebook


@dataclass(frozen=True)
class Change:
    what: str
    before: str
    after: str
    why_before: str = ""
    why_after: str = ""


@dataclass(frozen=True)
class ActionChange:
    id: str
    title: str
    change: str  # added | removed | more urgent | less urgent
    before: ReferralOut | None
    after: ReferralOut | None


@dataclass
class Comparison:
    elements: list[Change] = field(default_factory=list)
    determinations: list[Change] = field(default_factory=list)
    actions: list[ActionChange] = field(default_factory=list)
    unchanged_actions: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.elements or self.determinations or self.actions)


def _label(book: Rulebook | None, det_id: str, value: Any) -> str:
    """A determination's value in the pack's words (``Determination.value_label``); without the rulebook,
    or for a determination it does not know, in the same words without the pack's labels."""
    if book is not None and det_id in book.determinations_by_id:
        return book.determinations_by_id[det_id].value_label(value)
    if value is None:
        return "not known yet"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def compare(before: Outcome, after: Outcome, book: Rulebook | None = None) -> Comparison:
    """What changed from ``before`` to ``after``: test card, determinations (in the words of ``book``'s
    value labels when it is given: "indicated", not "yes") and actions, with the reasons."""
    result = Comparison()
    for name in ("action", "means", "purpose"):
        b, a = getattr(before.elements, name), getattr(after.elements, name)
        if b != a:
            result.elements.append(Change(name.capitalize(), ELEMENT_WORDS[b], ELEMENT_WORDS[a]))
    dets_before = before.determinations.model_dump()
    dets_after = after.determinations.model_dump()
    why_before = {e.determination: e.text for e in before.explanations}
    why_after = {e.determination: e.text for e in after.explanations}
    for key, b in dets_before.items():
        a = dets_after.get(key)
        if b != a:
            result.determinations.append(Change(key, _label(book, key, b), _label(book, key, a),
                                                why_before.get(key, ""), why_after.get(key, "")))
    old = {r.id: r for r in before.referrals}
    new = {r.id: r for r in after.referrals}
    for r in after.referrals:
        if r.id not in old:
            result.actions.append(ActionChange(r.id, r.title, "added", None, r))
        elif old[r.id].urgency != r.urgency:
            direction = "more urgent" if r.urgency < old[r.id].urgency else "less urgent"
            result.actions.append(ActionChange(r.id, r.title, direction, old[r.id], r))
        else:
            result.unchanged_actions.append(r.id)
    for r in before.referrals:
        if r.id not in new:
            result.actions.append(ActionChange(r.id, r.title, "removed", r, None))
    return result
