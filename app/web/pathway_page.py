"""The /pathway page: the flow a trainer can point at, generated from the loaded packs.

Top to bottom: the question sections in pack order, the trafficking test's branches side by side
(one per case of the ``trafficking`` determination: children, adults), the other determinations,
then the actions grouped by how urgent they can be. Every condition is in plain words
(engine.plain). The full dependency graph (SVG, drawn on the server) is the advanced view at
/pathway/graph; /pathway.svg is that drawing on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from app.engine import (
    URGENCY_LABELS,
    Determination,
    LogicAll,
    Rulebook,
    Test,
    diagram_graph,
    logic_plain,
    plain,
    value_words,
)

from .app_state import State
from .render import page

router = APIRouter(include_in_schema=False)
TRAFFICKING = "trafficking"


@dataclass
class Step:
    id: str
    title: str
    when: str | None = None  # asked / due only when this holds (plain words); None: always
    detail: str | None = None
    source: str = ""
    who: str = ""


@dataclass
class Section:
    title: str
    steps: list[Step] = field(default_factory=list)


@dataclass
class Branch:
    title: str
    parts: list[str]
    because: str | None


def _question_sections(book: Rulebook) -> list[Section]:
    """The questions by section, in the pack's order; a local pack's optional questions join their section."""
    sections: dict[str, Section] = {}
    for q in (*book.questions, *book.optional_questions):
        detail = "Optional: added by the local pack." if q.optional else None
        sections.setdefault(q.section, Section(q.section)).steps.append(
            Step(q.id, q.short, _asked_when(book, q.ask_when), detail, q.source))
    return list(sections.values())


def _asked_when(book: Rulebook, cond: Any) -> str | None:
    return None if cond is None else plain(book, cond)


def _branch_title(book: Rulebook, when: Any, others: bool) -> str:
    if isinstance(when, Test) and when.fact == "treated_as_child":
        return "For a child (under 18, or age not known)" if True in when.values else "For an adult"
    if when is None:
        return "For an adult" if others else "Always"
    return "When " + plain(book, when)


def _branches(book: Rulebook) -> tuple[Determination | None, list[Branch]]:
    det = next((d for d in book.determinations if d.id == TRAFFICKING), None)
    if det is None:
        return None, []
    branches = []
    for case in det.cases:
        logic = case.logic
        items = list(logic.items) if isinstance(logic, LogicAll) else [logic] if logic is not None else []
        parts = [logic_plain(book, item) for item in items]
        if case.condition is not None:
            parts = [plain(book, case.condition)]
        branches.append(Branch(_branch_title(book, case.when, len(det.cases) > 1), parts, case.because))
    return det, branches


def _determination_steps(book: Rulebook) -> list[Step]:
    steps = []
    for d in book.determinations:
        if d.id == TRAFFICKING:
            continue
        lines = []
        for case in d.cases:
            if case.logic is not None:
                result = logic_plain(book, case.logic)
            elif case.condition is not None:
                result = plain(book, case.condition)
            else:
                result = f"“{value_words(book, d.id, case.value)}”"
            line = (f"when {plain(book, case.when)}: " if case.when is not None else "") + result
            if case.because:
                line += f" ({case.because.rstrip('.')})"
            lines.append(line)
        steps.append(Step(d.id, d.label, None, "; ".join(lines) + ".", d.source))
    return steps


def _action_groups(book: Rulebook) -> list[tuple[str, list[Step]]]:
    groups: dict[int, list[Step]] = {}
    for a in book.actions:
        levels = sorted({u.level for u in a.urgency}) or [4]
        rules = [f"{URGENCY_LABELS[u.level].lower()} when {plain(book, u.when)}" if u.when is not None
                 else f"otherwise {URGENCY_LABELS[u.level].lower()}" for u in a.urgency]
        detail = f"Who acts: {a.who_acts}."
        if len(rules) > 1:
            detail += " Urgency: " + "; ".join(rules) + "."
        groups.setdefault(levels[0], []).append(Step(a.id, a.title, plain(book, a.due), detail, a.source,
                                                     f"Who acts: {a.who_acts}"))
    return [(URGENCY_LABELS[level], groups[level]) for level in sorted(groups)]


@dataclass
class Flow:
    sections: list[Section]
    trafficking: Determination | None
    branches: list[Branch]
    determinations: list[Step]
    actions: list[tuple[str, list[Step]]]


def flow(book: Rulebook) -> Flow:
    """The /pathway page's content for the loaded packs (built once, by create_app)."""
    det, branches = _branches(book)
    return Flow(_question_sections(book), det, branches, _determination_steps(book), _action_groups(book))


@router.get("/pathway", response_class=HTMLResponse)
def pathway(request: Request, state: State) -> HTMLResponse:
    return page(request, "pathway.html", title="The pathway", flow=state.flow, packs=state.rulebook.packs)


@router.get("/pathway/graph", response_class=HTMLResponse)
def pathway_graph(request: Request, state: State) -> HTMLResponse:
    """The advanced view: every question, determination and action and what reads what."""
    book = state.rulebook
    nodes, _ = diagram_graph(book)
    f = state.flow
    details = {q.id: f"Asked when: {q.when or 'always'}. " for s in f.sections for q in s.steps}
    details.update({d.id: f"Decided: {d.detail} " for d in f.determinations})
    details.update({a.id: f"Due when: {a.when}. {a.detail} " for _, steps in f.actions for a in steps})
    if f.trafficking is not None:
        details[f.trafficking.id] = "Decided: " + "; ".join(
            f"{b.title.lower()}: {' and '.join(b.parts)}" for b in f.branches) + ". "
    svg = Markup(state.diagram_svg)  # noqa: S704 - generated by us, every label escaped
    return page(request, "pathway_graph.html", title="The pathway: every rule and what it reads", svg=svg,
                nodes=nodes, packs=book.packs, details=details)


@router.get("/pathway.svg")
def pathway_svg(state: State) -> Response:
    return Response(state.diagram_svg, media_type="image/svg+xml")
