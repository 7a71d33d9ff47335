"""Conditions and three-valued logic: parsed from YAML data, type-checked, evaluated over sets.

Two small languages, both plain YAML data (never evaluated as code):

* a **condition** says whether something holds (is an action due, is a question asked):
  ``{all: [...]}``, ``{any: [...]}``, ``{not: ...}``, ``{listed: action_id}``, or a test of
  one fact: ``{purpose: yes}``, ``{purpose: [yes, unsure]}``,
  ``{exploitation_types: {includes: [sexual, organ_removal]}}``;
* a **logic** expression computes a three-valued (Kleene) determination from tri-state
  facts: a fact id, ``unknown``, ``{all: [...]}``, ``{any: [...]}`` or ``{not: ...}``.

Evaluation works on *sets of possible values*, so the walk can ask "is this true however
the unanswered questions are answered?". A condition evaluates to a bit set: ``TRUE`` (it
can hold), ``FALSE`` (it can fail), or both. A logic expression evaluates to a bit set of
``YES``, ``UNKNOWN`` and ``NO``. A question the walk skipped is ``SKIPPED``: no value test
matches it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from .errors import PackProblem, did_you_mean
from .yaml_source import YList, YMap

TRUE = 1
FALSE = 2
BOTH = TRUE | FALSE

YES = 1
UNKNOWN = 2
NO = 4
ANY_TRUTH = YES | UNKNOWN | NO


class _Sentinel:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


SKIPPED: Any = _Sentinel("SKIPPED")
"""The value of a question the walk does not ask."""
ANY_SUBSET: Any = _Sentinel("ANY_SUBSET")
"""A multi-choice question not yet answered: any set of its options."""

TRI_TO_BITS = {"yes": YES, "unsure": UNKNOWN, "no": NO, "possible": UNKNOWN, True: YES, False: NO}
BITS_TO_DETERMINATION = {YES: "yes", UNKNOWN: "possible", NO: "no"}


@dataclass(frozen=True)
class Fact:
    """Something a condition can read: a question's answer, a determination, a local flag."""

    id: str
    kind: str  # question | determination | flag
    type: str  # tri_state | choice | multi_choice | boolean | three_valued | choice_or_null | flag
    values: tuple[Any, ...]
    label: str = ""
    value_labels: Mapping[Any, str] = field(default_factory=dict)

    @property
    def three_valued(self) -> bool:
        return self.type in ("tri_state", "three_valued", "boolean")


class Facts(Protocol):
    """What evaluation needs from the walk: the possible values of each fact."""

    def values(self, fact: str) -> frozenset[Any]: ...

    def listed(self, action: str) -> int: ...


# --------------------------------------------------------------------------- conditions


class Condition:
    line: int | None

    def bits(self, facts: Facts) -> int:
        raise NotImplementedError

    def refs(self) -> Iterable[str]:
        """Ids of the facts read (``listed:`` references appear as ``listed:<id>``)."""
        raise NotImplementedError


@dataclass(frozen=True)
class AllOf(Condition):
    items: tuple[Condition, ...]
    line: int | None = None

    def bits(self, facts: Facts) -> int:
        can_true = True
        can_false = False
        for item in self.items:
            b = item.bits(facts)
            if b == FALSE:
                return FALSE
            if b & FALSE:
                can_false = True
            if not b & TRUE:
                can_true = False
        return (TRUE if can_true else 0) | (FALSE if can_false else 0)

    def refs(self) -> Iterable[str]:
        for item in self.items:
            yield from item.refs()


@dataclass(frozen=True)
class AnyOf(Condition):
    items: tuple[Condition, ...]
    line: int | None = None

    def bits(self, facts: Facts) -> int:
        can_true = False
        can_false = True
        for item in self.items:
            b = item.bits(facts)
            if b == TRUE:
                return TRUE
            if b & TRUE:
                can_true = True
            if not b & FALSE:
                can_false = False
        return (TRUE if can_true else 0) | (FALSE if can_false else 0)

    def refs(self) -> Iterable[str]:
        for item in self.items:
            yield from item.refs()


@dataclass(frozen=True)
class Not(Condition):
    item: Condition
    line: int | None = None

    def bits(self, facts: Facts) -> int:
        b = self.item.bits(facts)
        return ((b & TRUE) << 1) | ((b & FALSE) >> 1)

    def refs(self) -> Iterable[str]:
        return self.item.refs()


@dataclass(frozen=True)
class Test(Condition):
    """The fact's value is one of ``values``."""

    fact: str
    values: frozenset[Any]
    line: int | None = None

    def bits(self, facts: Facts) -> int:
        possible = facts.values(self.fact)
        result = 0
        if not possible.isdisjoint(self.values):
            result |= TRUE
        if not possible <= self.values:
            result |= FALSE
        return result

    def refs(self) -> Iterable[str]:
        yield self.fact


@dataclass(frozen=True)
class Includes(Condition):
    """A multi-choice answer includes at least one of ``values``."""

    fact: str
    values: frozenset[str]
    line: int | None = None

    def bits(self, facts: Facts) -> int:
        result = 0
        for chosen in facts.values(self.fact):
            if chosen is ANY_SUBSET:
                return BOTH
            if chosen is SKIPPED or self.values.isdisjoint(chosen):
                result |= FALSE
            else:
                result |= TRUE
        return result

    def refs(self) -> Iterable[str]:
        yield self.fact


@dataclass(frozen=True)
class Listed(Condition):
    """Another action is listed (due)."""

    action: str
    line: int | None = None

    def bits(self, facts: Facts) -> int:
        return facts.listed(self.action)

    def refs(self) -> Iterable[str]:
        yield f"listed:{self.action}"


# --------------------------------------------------------------------------- logic


class Logic:
    def truth(self, facts: Facts) -> int:
        raise NotImplementedError

    def refs(self) -> Iterable[str]:
        raise NotImplementedError


def kleene_and(a: int, b: int) -> int:
    result = 0
    if a & NO or b & NO:
        result |= NO
    if a & YES and b & YES:
        result |= YES
    if (a & UNKNOWN and b & (YES | UNKNOWN)) or (b & UNKNOWN and a & (YES | UNKNOWN)):
        result |= UNKNOWN
    return result


def kleene_or(a: int, b: int) -> int:
    result = 0
    if a & YES or b & YES:
        result |= YES
    if a & NO and b & NO:
        result |= NO
    if (a & UNKNOWN and b & (NO | UNKNOWN)) or (b & UNKNOWN and a & (NO | UNKNOWN)):
        result |= UNKNOWN
    return result


@dataclass(frozen=True)
class LogicRef(Logic):
    fact: str
    line: int | None = None

    def truth(self, facts: Facts) -> int:
        result = 0
        for value in facts.values(self.fact):
            if value is SKIPPED:
                return ANY_TRUTH
            result |= TRI_TO_BITS[value]
        return result

    def refs(self) -> Iterable[str]:
        yield self.fact


@dataclass(frozen=True)
class LogicConst(Logic):
    bits_: int
    line: int | None = None

    def truth(self, facts: Facts) -> int:
        return self.bits_

    def refs(self) -> Iterable[str]:
        return ()


@dataclass(frozen=True)
class LogicAll(Logic):
    items: tuple[Logic, ...]
    line: int | None = None

    def truth(self, facts: Facts) -> int:
        acc = YES
        for item in self.items:
            acc = kleene_and(acc, item.truth(facts))
            if acc == NO:
                return NO
        return acc

    def refs(self) -> Iterable[str]:
        for item in self.items:
            yield from item.refs()


@dataclass(frozen=True)
class LogicAny(Logic):
    items: tuple[Logic, ...]
    line: int | None = None

    def truth(self, facts: Facts) -> int:
        acc = NO
        for item in self.items:
            acc = kleene_or(acc, item.truth(facts))
            if acc == YES:
                return YES
        return acc

    def refs(self) -> Iterable[str]:
        for item in self.items:
            yield from item.refs()


@dataclass(frozen=True)
class LogicNot(Logic):
    item: Logic
    line: int | None = None

    def truth(self, facts: Facts) -> int:
        b = self.item.truth(facts)
        return ((b & YES) << 2) | (b & UNKNOWN) | ((b & NO) >> 2)

    def refs(self) -> Iterable[str]:
        return self.item.refs()


# --------------------------------------------------------------------------- parsing


def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass
class ConditionParser:
    """Parses and type-checks conditions and logic, collecting problems instead of stopping."""

    file: str
    facts: Mapping[str, Fact]
    actions: Iterable[str]
    problems: list[PackProblem] = field(default_factory=list)
    allow_listed: bool = True

    def problem(self, line: int | None, message: str, suggestion: str | None = None) -> None:
        self.problems.append(PackProblem(self.file, line, message, suggestion))

    # conditions -----------------------------------------------------------

    def condition(self, node: Any, line: int | None) -> Condition | None:
        if not isinstance(node, YMap) or len(node) != 1:
            self.problem(
                line,
                "a condition must be a mapping with exactly one key: all, any, not, listed, or a fact id"
                f" (got {self._describe(node)})",
            )
            return None
        key = next(iter(node))
        value = node[key]
        kline = node.key_lines.get(key, line)
        if key in ("all", "any"):
            if not isinstance(value, YList) or not value:
                self.problem(kline, f"'{key}' needs a non-empty list of conditions")
                return None
            items = [self.condition(item, value.item_lines[i]) for i, item in enumerate(value)]
            if any(item is None for item in items):
                return None
            parts = tuple(i for i in items if i is not None)
            return AllOf(parts, kline) if key == "all" else AnyOf(parts, kline)
        if key == "not":
            inner = self.condition(value, getattr(value, "line", kline))
            return Not(inner, kline) if inner else None
        if key == "listed":
            if not self.allow_listed:
                self.problem(kline, "'listed' cannot be used here: only actions may depend on other actions")
                return None
            actions = list(self.actions)
            if not isinstance(value, str) or value not in actions:
                self.problem(
                    kline,
                    f"'listed' refers to '{_fmt(value)}', which is not an action",
                    did_you_mean(str(value), actions),
                )
                return None
            return Listed(value, kline)
        return self._test(key, value, kline)

    def _test(self, fact_id: str, spec: Any, line: int | None) -> Condition | None:
        fact = self.facts.get(fact_id)
        if fact is None:
            suggestion = did_you_mean(fact_id, [*list(self.facts), "all", "any", "not", "listed"])
            if suggestion:
                self.problem(line, f"condition refers to '{fact_id}'", suggestion)
            else:
                self.problem(
                    line, f"condition refers to '{fact_id}', which is not a question, determination or flag"
                )
            return None
        if fact.type == "multi_choice":
            if not isinstance(spec, YMap) or list(spec) != ["includes"]:
                self.problem(
                    line,
                    f"'{fact_id}' is a multi-choice question: test it with {{includes: [...]}}",
                )
                return None
            wanted = spec["includes"]
            values = list(wanted) if isinstance(wanted, list) else [wanted]
            if not values:
                self.problem(line, f"'includes' for '{fact_id}' needs at least one option")
                return None
            if not self._check_values(fact, values, line):
                return None
            return Includes(fact_id, frozenset(values), line)
        if isinstance(spec, YMap):
            self.problem(line, f"'{fact_id}' takes a value or a list of values, not a mapping")
            return None
        values = list(spec) if isinstance(spec, list) else [spec]
        if not values:
            self.problem(line, f"the list of values for '{fact_id}' is empty")
            return None
        if not self._check_values(fact, values, line):
            return None
        return Test(fact_id, frozenset(values), line)

    def _check_values(self, fact: Fact, values: list[Any], line: int | None) -> bool:
        ok = True
        allowed = [_fmt(v) for v in fact.values]
        for value in values:
            if isinstance(value, (dict, list)) or value not in fact.values or (
                isinstance(value, bool) != isinstance(fact.values[0], bool)
            ):
                self.problem(
                    line,
                    f"'{fact.id}' cannot be '{_fmt(value)}'; allowed: {', '.join(allowed)}",
                    did_you_mean(_fmt(value), allowed),
                )
                ok = False
        return ok

    # logic -----------------------------------------------------------------

    def logic(self, node: Any, line: int | None) -> Logic | None:
        if isinstance(node, str):
            if node == "unknown":
                return LogicConst(UNKNOWN, line)
            fact = self.facts.get(node)
            if fact is None:
                self.problem(line, f"logic refers to '{node}'", did_you_mean(node, [*list(self.facts), "unknown"]))
                return None
            if not fact.three_valued:
                self.problem(
                    line,
                    f"logic can only combine yes/no facts, and '{node}' is a {fact.type.replace('_', '-')} "
                    "fact; use a condition instead",
                )
                return None
            return LogicRef(node, line)
        if not isinstance(node, YMap) or len(node) != 1:
            self.problem(line, "logic must be a fact id, 'unknown', or one of all/any/not "
                         f"(got {self._describe(node)})")
            return None
        key = next(iter(node))
        value = node[key]
        kline = node.key_lines.get(key, line)
        if key in ("all", "any"):
            if not isinstance(value, YList) or not value:
                self.problem(kline, f"'{key}' needs a non-empty list")
                return None
            items = [self.logic(item, value.item_lines[i]) for i, item in enumerate(value)]
            if any(i is None for i in items):
                return None
            parts = tuple(i for i in items if i is not None)
            return LogicAll(parts, kline) if key == "all" else LogicAny(parts, kline)
        if key == "not":
            inner = self.logic(value, kline)
            return LogicNot(inner, kline) if inner else None
        self.problem(kline, f"logic does not know '{key}'", did_you_mean(key, ["all", "any", "not"]))
        return None

    @staticmethod
    def _describe(node: Any) -> str:
        if isinstance(node, dict):
            return "a mapping with keys " + ", ".join(map(str, node)) if node else "an empty mapping"
        if isinstance(node, list):
            return "a list"
        return f"'{_fmt(node)}'"


def to_text(node: Condition | Logic | None) -> str:
    """A condition or logic expression in plain words, for documentation and diagrams."""
    if node is None:
        return "always"
    if isinstance(node, Test):
        return f"{node.fact} is " + " or ".join(sorted(_fmt(v) for v in node.values))
    if isinstance(node, Includes):
        return f"{node.fact} includes " + " or ".join(sorted(node.values))
    if isinstance(node, Listed):
        return f"{node.action} is listed"
    if isinstance(node, (AllOf, LogicAll)):
        return " and ".join(_wrap(i) for i in node.items)
    if isinstance(node, (AnyOf, LogicAny)):
        return " or ".join(_wrap(i) for i in node.items)
    if isinstance(node, (Not, LogicNot)):
        return f"not {_wrap(node.item)}"
    if isinstance(node, LogicRef):
        return node.fact
    if isinstance(node, LogicConst):
        return "unknown"
    raise TypeError(node)


def _wrap(node: Condition | Logic) -> str:
    text = to_text(node)
    return f"({text})" if isinstance(node, (AllOf, AnyOf, LogicAll, LogicAny)) else text
