"""An outcome as plain text: for the terminal (``pathway assess``) and for pasting into case notes."""

from __future__ import annotations

import textwrap

from app.engine import ELEMENT_WORDS, URGENCY_LABELS, ContactOut, Outcome

WIDTH = 88


def _wrap(text: str, indent: str = "  ", first: str | None = None) -> list[str]:
    return textwrap.wrap(text, WIDTH, initial_indent=first if first is not None else indent,
                         subsequent_indent=indent) or [first or indent]


def contact_line(c: ContactOut) -> str:
    parts = [c.name]
    parts += [p for p in (c.phone, c.email, c.url) if p]
    if c.textphone:
        parts.append(f"textphone {c.textphone}")
    if c.hours:
        parts.append(c.hours)
    text = ", ".join(parts)
    if c.notices:
        text += " (" + "; ".join(n[0].lower() + n[1:] for n in c.notices) + ")"
    if c.who_can_use:
        text += f". Who can use it: {c.who_can_use.rstrip('.')}"
    if c.notes:
        text += f". {c.notes.rstrip('.')}"
    if c.provenance:
        text += f". {c.provenance}"
    return text


def outcome_as_text(outcome: Outcome, *, title: str = "Pathway summary", with_answers: bool = True) -> str:
    """The whole outcome as plain text, section by section, each line at most 88 characters."""
    lines: list[str] = [
        *_heading(outcome, title),
        *_determined(outcome),
        *_actions(outcome),
        *_needs(outcome),
        *_remember(outcome),
        *_answers(outcome, with_answers),
    ]
    packs = "; ".join(f"{p.name} {p.version}, reviewed {p.last_reviewed}" for p in outcome.packs)
    lines += ["", f"Rule packs: {packs}."]
    return "\n".join(lines) + "\n"


def _heading(outcome: Outcome, title: str) -> list[str]:
    """The title, date and rules version, the reminder of who decides, warnings and an unfinished walk."""
    lines: list[str] = [title, "=" * len(title)]
    lines.append(f"Date: {outcome.assessed_on:%d %B %Y}. Rules: {outcome.rules_version}.")
    lines.append("This summary supports your judgement; the Home Office's competent authority decides NRM cases.")
    for warning in outcome.warnings:
        lines += _wrap(warning, "  ", "! ")
    if not outcome.complete and outcome.next_question:
        lines += ["", f"Not finished: the next question is \u201c{outcome.next_question.text}\u201d"]
    return lines


def _determined(outcome: Outcome) -> list[str]:
    """What was determined, the test card of elements, and the assumptions applied."""
    lines = ["", "What was determined"]
    for exp in outcome.explanations:
        lines += _wrap(exp.text, "    ", "  - ")
    el = outcome.elements
    lines.append(
        f"  Test card: action {ELEMENT_WORDS[el.action]}; means {ELEMENT_WORDS[el.means]}; "
        f"purpose {ELEMENT_WORDS[el.purpose]}."
    )
    if outcome.assumptions:
        lines += ["", "Assumptions applied"]
        for text in outcome.assumptions:
            lines += _wrap(text, "    ", "  - ")
    return lines


def _actions(outcome: Outcome) -> list[str]:
    """The actions, grouped under their urgency, each with its reasons, contacts and source."""
    lines = ["", "Actions"]
    if not outcome.referrals:
        lines.append("  None listed yet.")
    current = None
    for r in outcome.referrals:
        if r.urgency != current:
            current = r.urgency
            lines.append(f"  {URGENCY_LABELS[r.urgency]}:")
        lines += _wrap(f"{r.title}. Who acts: {r.who_acts}.", "      ", "    * ")
        for reason in r.reasons:
            lines += _wrap(reason, "        ", "      - ")
        for c in r.contacts:
            lines += _wrap(contact_line(c), "        ", "      Contact: ")
        lines += _wrap(f"Source: {r.source}", "        ", "      ")
    return lines


def _needs(outcome: Outcome) -> list[str]:
    """The immediate and longer-term needs with their services (nothing when there are none)."""
    if not [*outcome.needs.immediate, *outcome.needs.longer_term]:
        return []
    lines = ["", "Needs"]
    for group, items in (("Immediate", outcome.needs.immediate), ("Longer term", outcome.needs.longer_term)):
        if items:
            lines.append(f"  {group}:")
        for n in items:
            service = n.service.name
            if n.service.contact:
                service = contact_line(n.service.contact)
            text = f"{n.label}: {service}"
            if n.service.details:
                text += f". {n.service.details}"
            if n.caution:
                text += f" Caution: {n.caution}"
            lines += _wrap(text, "      ", "    * ")
    return lines


def _remember(outcome: Outcome) -> list[str]:
    """The guidance to keep in mind."""
    lines = ["", "Remember"]
    for g in outcome.guidance:
        lines += _wrap(g.text, "    ", "  - ")
    return lines


def _answers(outcome: Outcome, with_answers: bool) -> list[str]:
    """The answers given (when asked for), and those not used on this path."""
    lines: list[str] = []
    if with_answers and outcome.answered:
        lines += ["", "Your answers"]
        for a in outcome.answered:
            suffix = " (deployment setting)" if a.preset else ""
            lines += _wrap(f"{a.short}: {a.label}{suffix}", "      ", "  - ")
    if outcome.ignored_answers:
        lines += _wrap("Answers not used on this path: " + ", ".join(outcome.ignored_answers) + ".", "  ", "")
    return lines
