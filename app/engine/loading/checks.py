"""Checks across the compiled rules: ids unique within a section and across kinds, no cycle among
determinations, questions or actions, each question asked after the ones it depends on, and no
condition reading a protected input. The graph ones use ``graph.RuleGraph``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ..conditions import Fact, Listed
from ..errors import did_you_mean
from ..graph import RuleGraph, cycles, leaves
from ..rulebook import Action, Determination, Question
from .compiler import Compiler
from .read import Source


def unique(c: Compiler, source: Source, section: str, ids: list[str]) -> None:
    """No id twice within one section."""
    seen: set[str] = set()
    for i, ident in enumerate(ids):
        if ident in seen:
            c.problem(source, section, (i, "id"), f"duplicate id '{ident}' in {section}")
        seen.add(ident)


def add_fact(c: Compiler, seen: dict[str, str], source: Source, section: str, fact: Fact) -> None:
    """A fact conditions may read, unless another kind already has its id (``seen``: id -> section)."""
    ident = fact.id
    if ident in seen and seen[ident] != section:
        idx = [getattr(x, "id", None) for x in source.sections.get(section) or []].index(ident)
        c.problem(source, section, (idx, "id"), f"id '{ident}' is used by both {seen[ident]} and {section}")
        return
    seen[ident] = section
    c.facts[ident] = fact


def across_kinds(c: Compiler, seen: dict[str, str], source: Source, section: str,
                 ids: Sequence[str | None]) -> None:
    """Ids that are not facts (optional questions, actions) must not reuse an id of another kind."""
    for i, ident in enumerate(ids):
        if ident is None:
            continue
        if ident in seen and seen[ident] != section:
            c.problem(source, section, (i, "id"), f"id '{ident}' is used by both {seen[ident]} and {section}")
        else:
            seen.setdefault(ident, section)


def determination_cycles(c: Compiler, dets: list[Determination]) -> None:
    """No determination reads itself, however indirectly."""
    edges = {d.id: {r for r in d.refs() if r in c.facts and c.facts[r].kind == "determination"} for d in dets}
    for cycle in cycles(edges):
        idx = [d.id for d in dets].index(cycle[0])
        c.problem(c.national, "determinations", (idx, "id"),
                  "determinations depend on each other in a cycle: " + " -> ".join(cycle))


def question_order(c: Compiler, questions: list[Question], dets: list[Determination]) -> None:
    """No question is asked depending on itself, or on a question asked at the same point or later."""
    graph = RuleGraph.of(questions, dets, [])
    order = {q.id: i for i, q in enumerate(questions)}
    depends: dict[str, set[str]] = {}
    for q in questions:
        depends[q.id] = {qid for ref in q.refs() for qid in graph.fact_questions(ref, follow_listed=False)}
    cyclic = set()
    for cycle in cycles(depends):
        cyclic.update(cycle)
        file, line = _where_question(c, cycle[0], "ask_when")
        c.problems.add(file, line, "questions depend on each other in a cycle: " + " -> ".join(cycle))
    for q in questions:
        if q.id in cyclic:
            continue
        later = sorted((d for d in depends[q.id] if order.get(d, -1) >= order[q.id]), key=order.__getitem__)
        if later:
            file, line = _where_question(c, q.id, "ask_when")
            c.problems.add(file, line, f"question '{q.id}' is asked depending on '{later[0]}', which is "
                           "asked at the same point or later; move it after that question")


def _where_question(c: Compiler, qid: str, key: str) -> tuple[str, int | None]:
    for i, q in enumerate(c.national.sections.get("questions") or []):
        if q.id == qid:
            return c.national.line("questions", i, key)
    return c.national.display, None


def optional_after(c: Compiler, optional: list[Question], contract_ids: list[str]) -> None:
    """An optional question comes 'after' a question of the contract."""
    for oq in optional:
        if oq.after and oq.after not in contract_ids:
            c.problems.add(*_where_optional(c, oq.id, "after"), f"optional question '{oq.id}' comes "
                           f"'after' '{oq.after}', which is not a question", did_you_mean(oq.after, contract_ids))


def _where_optional(c: Compiler, qid: str, key: str) -> tuple[str, int | None]:
    for source, section in ((c.national, "questions"), (c.local, "optional_questions")):
        if source is None:
            continue
        for i, q in enumerate(source.sections.get(section) or []):
            if q.id == qid:
                return source.line(section, i, key)
    return c.national.display, None


def action_cycles(c: Compiler, actions: list[Action]) -> None:
    """No action is due depending on its own listing, however indirectly (reported at the 'listed')."""
    edges: dict[str, set[str]] = {}
    ref_lines: dict[tuple[str, str], int | None] = {}  # (action, listed action) -> line of 'listed'
    for a in actions:
        refs: set[str] = set()
        for part in (a.due, *(u.when for u in a.urgency)):
            for leaf in leaves(part):
                if isinstance(leaf, Listed):
                    refs.add(leaf.action)
                    ref_lines.setdefault((a.id, leaf.action), leaf.line)
        edges[a.id] = refs
    for cycle in cycles(edges):
        idx = c.action_ids.index(cycle[0])
        file, line = c.national.line("actions", idx, "due")
        line = ref_lines.get((cycle[0], cycle[1])) or line
        c.problems.add(file, line, "actions depend on each other in a cycle: " + " -> ".join(cycle))


def never_inputs(c: Compiler, protected: Iterable[str]) -> None:
    """No condition read so far reads a protected input (reported where each is read)."""
    never = set(protected)
    for fid, file, line in c.reads:
        if fid in never:
            c.problems.add(file, line, f"condition reads '{fid}', which must never be an input to a "
                           "decision (invariants: never_inputs)")
