"""Reference pages that never time out: /glossary (plain words) and /contacts (every contact of the
loaded packs). Neither reads a walk, so the numbers are there after a plan has timed out.
``create_app`` gives every template the glossary (``glossary``, and the ``gloss`` filter).

The glossary's words come from the national pack's ``glossary`` section; templates explain a term
where it first appears with the ``gloss`` filter and the macros in ``_glossary.html``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup, escape

from app.engine import Contact, ContactOut, GlossaryTerm, Rulebook, contact_out

from .app_state import State
from .clock import Today
from .render import page

router = APIRouter(include_in_schema=False)

# The contacts page's groups, in order. A contact's group: a constant (999, 101) is an emergency
# route; a local contact that fills a slot goes with the slot's area; the rest by the `group:` its
# pack gives it, then national lines (national pack) or other local services (a local pack).
GROUPS: tuple[tuple[str, str], ...] = (
    ("emergency", "Emergency and police"),
    ("children", "Children"),
    ("adults", "Adults"),
    ("housing", "Housing and somewhere safe tonight"),
    ("health", "Health"),
    ("national", "National lines"),
    ("local", "Other local services"),
)
SLOT_AREAS = {"children's services": "children", "adult safeguarding": "adults", "housing": "housing"}


def contact_group(book: Rulebook, c: Contact) -> str:
    if c.constant:
        return "emergency"
    if c.slot:
        area = next((s.area for s in book.contact_slots if s.id == c.slot), "")
        if area in SLOT_AREAS:
            return SLOT_AREAS[area]
    if c.group is not None:
        return c.group
    national = book.packs[0].id if book.packs else ""
    return "national" if c.pack == national else "local"


@dataclass
class ContactGroup:
    id: str
    title: str
    contacts: list[ContactOut] = field(default_factory=list)


def contact_groups(book: Rulebook, today: dt.date) -> list[ContactGroup]:
    """Every contact of the loaded packs, grouped; each as the plan shows it (contact_out), pack order."""
    groups = {gid: ContactGroup(gid, title) for gid, title in GROUPS}
    # The council's front doors (the contacts that fill a slot) first in their group, then pack order.
    for c in sorted(book.contacts.values(), key=lambda c: c.slot is None):
        groups[contact_group(book, c)].contacts.append(contact_out(c, today))
    return [g for g in groups.values() if g.contacts]


# ----------------------------------------------------------------------------- plain words


class Glossary:
    """The pack's glossary, for templates: ``gloss`` links the first use of each term on a page."""

    def __init__(self, terms: tuple[GlossaryTerm, ...]) -> None:
        self.terms = sorted(terms, key=lambda t: t.term.casefold())
        self.by_id = {t.id: t for t in terms}
        words: list[tuple[str, str]] = []
        for t in terms:
            words += [(w, t.id) for w in (t.term, *t.aliases)]
        words.sort(key=lambda w: -len(w[0]))
        self._owner = {w.casefold(): tid for w, tid in words}
        # An acronym (NRM, ICTG) matches only in its own capitals; other words in any case.
        parts = [re.escape(w) if w.isupper() else f"(?i:{re.escape(w)})" for w, _ in words]
        self._pattern = re.compile(r"(?<![\w-])(" + "|".join(parts) + r")(?![\w-])") if parts else None

    def get(self, tid: str) -> GlossaryTerm:
        return self.by_id[tid]

    def gloss(self, text: Any, seen: list[str] | None = None) -> Markup:
        """``text`` escaped, with the first use of each glossary term on the page (``seen`` holds the
        ids already explained there, and gets the new ones) linked to its entry on /glossary."""
        safe = str(escape(text))
        if self._pattern is None:
            return Markup(safe)  # noqa: S704 - escaped above
        done = seen if seen is not None else []

        def link(match: re.Match[str]) -> str:
            tid = self._owner.get(match.group(1).casefold())
            if tid is None or tid in done:
                return match.group(0)
            done.append(tid)
            return (f'<a href="/glossary#term-{tid}" class="term" data-term="{tid}">{match.group(1)}</a>')

        return Markup(self._pattern.sub(link, safe))  # noqa: S704 - the text was escaped; the link is ours


@router.get("/glossary", response_class=HTMLResponse)
def glossary_page(request: Request, state: State) -> HTMLResponse:
    return page(request, "glossary.html", title="Plain words: what the terms mean", terms=state.glossary.terms)


@router.get("/contacts", response_class=HTMLResponse)
def contacts_page(request: Request, state: State, today: Today) -> HTMLResponse:
    book = state.rulebook
    return page(request, "contacts.html", title="Contacts", groups=contact_groups(book, today), packs=book.packs)
