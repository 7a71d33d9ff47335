"""The invariants section: rules the verifier proves of every outcome (what is never listed, what is
always listed, what comes in which order), each naming actions, questions and assumptions that exist,
and the inputs no condition may read."""

from __future__ import annotations

from collections.abc import Iterable

from .. import schema
from ..errors import did_you_mean
from ..rulebook import AlwaysRule, Invariants, NeverRule, OrderRule
from . import checks
from .compiler import Compiler, RawPath


def invariants(c: Compiler, doc: schema.Invariants | None, question_ids: list[str]) -> Invariants:
    """The compiled invariants (empty without the section), after checking what they name; then no
    condition compiled so far may read a ``never_inputs`` fact."""
    if doc is None:
        return Invariants((), (), (), ())
    never = _never(c, doc, question_ids)
    always = _always(c, doc)
    ordering = []
    for i, orule in enumerate(doc.ordering):
        _check_actions(c, ("ordering", i), [x for x in (orule.first, orule.before, *orule.after) if x])
        ordering.append(OrderRule(orule.id, orule.text, orule.first, orule.before, tuple(orule.after)))
    checks.never_inputs(c, doc.never_inputs)
    return Invariants(tuple(never), tuple(always), tuple(ordering), tuple(doc.never_inputs))


def _never(c: Compiler, doc: schema.Invariants, question_ids: list[str]) -> list[NeverRule]:
    nat = c.national
    asm_ids = [a.id for a in nat.sections.get("assumptions") or []]
    found = []
    for i, rule in enumerate(doc.never):
        _check_actions(c, ("never", i, "actions"), rule.actions)
        _check_items(c, ("never", i, "assumptions"), rule.assumptions, "assumption", asm_ids)
        for qid in rule.questions:
            if qid not in question_ids:
                c.problem(nat, "invariants", ("never", i, "questions"), f"invariant names question '{qid}', "
                          "which does not exist", did_you_mean(qid, question_ids))
        when = c.cond(nat, "invariants", ("never", i, "when"), rule.when, allow_listed=False)
        if when is not None:
            found.append(NeverRule(rule.id, rule.text, tuple(rule.actions), tuple(rule.questions), when,
                                   tuple(rule.assumptions)))
    return found


def _always(c: Compiler, doc: schema.Invariants) -> list[AlwaysRule]:
    found = []
    for i, rule in enumerate(doc.always):
        _check_actions(c, ("always", i, "actions"), rule.actions)
        _check_items(c, ("always", i, "any_of"), rule.any_of, "action", c.action_ids)
        when = c.cond(c.national, "invariants", ("always", i, "when"), rule.when, allow_listed=False)
        if when is not None:
            found.append(AlwaysRule(rule.id, rule.text, tuple(rule.actions), when, tuple(rule.any_of)))
    return found


def _check_actions(c: Compiler, path: RawPath, ids: Iterable[str]) -> None:
    """Each id names an action defined (even one whose condition has a problem)."""
    for ident in ids:
        if ident not in c.action_ids:
            c.problem(c.national, "invariants", path, f"invariant names action '{ident}', which does not exist",
                      did_you_mean(ident, c.action_ids))


def _check_items(c: Compiler, path: RawPath, ids: list[str], kind: str, known: list[str]) -> None:
    """Each id names a known action or assumption, once; reported at the item's own line."""
    for j, ident in enumerate(ids):
        if ident not in known:
            c.problem(c.national, "invariants", (*path, j), f"invariant names {kind} '{ident}', which does not "
                      "exist", did_you_mean(ident, known))
        elif ident in ids[:j]:
            c.problem(c.national, "invariants", (*path, j), f"invariant names {kind} '{ident}' twice")

