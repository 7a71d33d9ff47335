"""The parts of the outcome an answer can change, each with what it reads: the pointless-question
check asks whether any of them changes with a question's answer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from ..answers import Value
from ..conditions import TRUE
from ..evaluation import Evaluation
from ..explain import Explainer
from ..rulebook import Action, Assumption, Element
from .abstraction import Abstraction, LeafKey, Reading

Given = tuple[tuple[str, Value], ...]
"""Earlier answers given, sorted by question."""


@dataclass(eq=False)
class Part:
    """A part of the outcome: its name, what it reads, and its value in an evaluation (compared by ``repr``).

    It memoises, on exactly what it reads of a leaf, the values it can take there (``values_at``) and
    whether a question's answers change it with some earlier answers given (``varies``)."""

    name: str
    refs: frozenset[str]
    value: Callable[[Evaluation], object]
    reading: Reading
    values_at: dict[LeafKey, frozenset[str]] = field(default_factory=dict)
    varies: dict[tuple[str, LeafKey, Given], bool] = field(default_factory=dict)


def outcome_parts(space: Abstraction) -> list[Part]:
    """Each part of the outcome that a question can change: determinations, actions (listed, and their
    urgency), the test card's elements and the assumptions. (Needs are their questions' own options.)"""
    book = space.book
    found: list[tuple[str, frozenset[str], Callable[[Evaluation], object]]] = []
    for det in book.determinations:
        found.append((det.id, det.refs(), partial(_determination_values, det_id=det.id)))
    for action in book.actions:
        found.append((action.id, action.refs(), partial(_action_status, action=action)))
    for element in book.elements:
        refs = frozenset({element.question, *(r for b in (*element.not_required, *element.unknown)
                                              for r in b.when.refs())})
        found.append((f"element:{element.id}", refs, partial(_element_value, element=element)))
    for assumption in book.assumptions:
        found.append((f"assumption:{assumption.id}", frozenset(assumption.when.refs()),
                      partial(_assumption_applies, assumption=assumption)))
    return [Part(name, refs, value, space.reading(refs)) for name, refs, value in found]


def _determination_values(ev: Evaluation, det_id: str) -> object:
    return ev.values(det_id)


def _action_status(ev: Evaluation, action: Action) -> object:
    """Whether the action is listed, and at which urgency."""
    return ev.listed(action.id), ev.urgency(action)[0] if ev.listed(action.id) == TRUE else None


def _element_value(ev: Evaluation, element: Element) -> object:
    """The test card's value for an element, exactly as the outcome shows it (its words do not count)."""
    return Explainer(ev.book, ev, dt.date.min).element(element)[0]


def _assumption_applies(ev: Evaluation, assumption: Assumption) -> object:
    """Whether the outcome lists the assumption (as ``Explainer.assumptions`` decides)."""
    return assumption.when.bits(ev) == TRUE
