"""Conditions in plain words, for people: the pathway page and the trainer's what-if.

``to_text`` (conditions.py) writes a condition as ids ("homeless_or_at_risk is tonight or unsure");
this writes it with the labels users see ("Somewhere safe tonight: “No, nowhere safe tonight” or
“Not sure”"; "“Refer to the NRM” is in the plan").
"""

from __future__ import annotations

from typing import Any

from .conditions import (
    AllOf,
    AnyOf,
    Condition,
    Includes,
    Listed,
    Logic,
    LogicAll,
    LogicAny,
    LogicConst,
    LogicNot,
    LogicRef,
    Not,
    Test,
)
from .rulebook import Rulebook


def value_words(book: Rulebook, fact_id: str, value: Any) -> str:
    fact = book.facts.get(fact_id)
    if fact is not None and value in fact.value_labels:
        return str(fact.value_labels[value])
    if fact is not None and fact.kind == "question" and book.has_question(fact_id):
        return book.question(fact_id).label(str(value))
    if value is None:
        return "not known yet"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value).replace("_", " ")


def fact_words(book: Rulebook, fact_id: str) -> str:
    if book.has_question(fact_id):
        return book.question(fact_id).short
    fact = book.facts.get(fact_id)
    return fact.label if fact is not None and fact.label else fact_id.replace("_", " ")


def _values(book: Rulebook, fact_id: str, values: Any) -> str:
    fact = book.facts.get(fact_id)
    order = list(fact.values) if fact is not None else []
    ordered = sorted(values, key=lambda v: order.index(v) if v in order else len(order))
    words = [f"“{value_words(book, fact_id, v)}”" for v in ordered]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def plain(book: Rulebook, cond: Condition | None, *, nested: bool = False) -> str:
    """The condition in the words users see; None (no condition) is "always"."""
    if cond is None:
        return "always"
    if isinstance(cond, Test):
        return f"{fact_words(book, cond.fact)} is {_values(book, cond.fact, cond.values)}"
    if isinstance(cond, Includes):
        return f"{fact_words(book, cond.fact)} includes {_values(book, cond.fact, cond.values)}"
    if isinstance(cond, Listed):
        return f"“{book.action(cond.action).title}” is in the plan"
    if isinstance(cond, Not):
        return f"not ({plain(book, cond.item)})"
    if isinstance(cond, (AllOf, AnyOf)):
        joiner = " and " if isinstance(cond, AllOf) else " or "
        text = joiner.join(plain(book, c, nested=True) for c in cond.items)
        return f"({text})" if nested and len(cond.items) > 1 else text
    return str(cond)


def urgency_change_why(book: Rulebook, action_id: str, before: int, after: int,
                       labels: dict[int, str]) -> str:
    """Why an action's urgency changed, from its urgency rules (the first that holds gives the level).

    When it became more urgent because weaker evidence removed what made it less urgent, say so:
    a trainer cannot otherwise explain why less evidence means more haste."""
    action = book.action(action_id)
    slow, fast = max(before, after), min(before, after)
    slow_rule = next((u for u in action.urgency if u.level == slow and u.when is not None), None)
    fast_rule = next((u for u in action.urgency if u.level == fast and u.when is not None), None)
    b, a = labels[before].lower(), labels[after].lower()
    if slow_rule is not None and after < before:
        return (f"Why: it is {b} only while {plain(book, slow_rule.when)}. With this change that no longer "
                f"holds, so it falls back to {a}.")
    if slow_rule is not None:
        return f"Why: it is {a} while {plain(book, slow_rule.when)}, which holds with this change."
    if fast_rule is not None and after < before:
        return f"Why: it is {a} when {plain(book, fast_rule.when)}, which holds with this change."
    if fast_rule is not None:
        return f"Why: it was {b} because {plain(book, fast_rule.when)}; with this change that no longer holds."
    return ""


def logic_plain(book: Rulebook, logic: Logic | None, *, nested: bool = False) -> str:
    """A determination's logic in words: "Action and Purpose and (Means or Exploited as a child)"."""
    if logic is None:
        return ""
    if isinstance(logic, LogicRef):
        return fact_words(book, logic.fact)
    if isinstance(logic, LogicNot):
        return f"not {logic_plain(book, logic.item, nested=True)}"
    if isinstance(logic, (LogicAll, LogicAny)):
        joiner = " and " if isinstance(logic, LogicAll) else " or "
        text = joiner.join(logic_plain(book, item, nested=True) for item in logic.items)
        return f"({text})" if nested and len(logic.items) > 1 else text
    if isinstance(logic, LogicConst):
        return "at most “possible”"
    return str(logic)
