"""What the verifier hands back: the counts of paths, the checks run, and each violation with the
shortest answer set that shows it, printable as a scenario to paste into ``pathway_rules/scenarios/``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

Answer = str | list[str]
"""An answer as a scenario gives it: an option, or the options chosen of a multi-choice question."""
DeterminationValue = str | bool | None
"""A determination's value: a word (``possible``, ``statutory``), a boolean, or None (not known)."""


class Witness(Protocol):
    """Where a violation was found: the answer set is built only if it would be the shortest so far."""

    @property
    def length(self) -> int:
        """How many questions the walk asks there (the length of the answer set it would build)."""
        ...

    def answers(self) -> dict[str, Answer]:
        """A complete, valid answer set, in the walk's order."""
        ...


@dataclass
class Violation:
    """A check that fails: its id, what is wrong, the answers that show it and what a scenario should expect."""

    check: str
    message: str
    answers: dict[str, Answer]
    expect: dict[str, list[str]] = field(default_factory=dict)

    def scenario_yaml(self, local: str | None) -> str:
        """The shortest breaking answer set, as a scenario ready to paste into pathway_rules/scenarios/."""
        lines = [f"name: \"Counterexample: {self.check}\"", "narrative: >-"]
        lines += [f"  {self.message}"]
        if local is not None:
            lines.append(f"local: {local}")
        lines.append("answers:")
        for qid, value in self.answers.items():
            lines.append(f"  {qid}: {_yaml_value(value)}")
        lines.append("expect:")
        if not self.expect:
            lines.append("  complete: true")
        for key, ids in self.expect.items():
            lines.append(f"  {key}: {_yaml_value(ids)}")
        return "\n".join(lines) + "\n"


def _yaml_value(value: object) -> str:
    if isinstance(value, (list, tuple, frozenset, set)):
        items: Iterable[object] = sorted(value) if isinstance(value, (frozenset, set)) else list(value)
        return "[" + ", ".join(_yaml_value(v) for v in items) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_yaml_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    text = str(value)
    return f'"{text}"' if text in ("yes", "no", "true", "false", "null", "on", "off") else text


@dataclass
class Report:
    """The result of verifying a rulebook.

    ``paths`` is how many complete answer sets the ``states`` explored stand for; ``action_paths``,
    ``urgency_paths`` and ``determination_paths`` count the paths that list each action, at each
    urgency, and give each determination value. ``checks`` names every check run, ``notes`` what
    holds only because of this deployment's flags, and ``violations`` every check that fails."""

    states: int = 0
    skeleton_paths: int = 0
    paths: int = 0
    evaluations: int = 0
    seconds: float = 0.0
    violations: list[Violation] = field(default_factory=list)
    action_paths: dict[str, int] = field(default_factory=dict)
    urgency_paths: dict[tuple[str, int], int] = field(default_factory=dict)
    determination_paths: dict[tuple[str, DeterminationValue], int] = field(default_factory=dict)
    questions_asked: set[str] = field(default_factory=set)
    checks: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations

    def record(self, check: str, message: str, answers: dict[str, Answer] | Witness,
               expect: dict[str, list[str]]) -> None:
        """Record a violation of ``check``, keeping the shortest answer set that shows it."""
        existing = next((v for v in self.violations if v.check == check), None)
        if existing is not None and not isinstance(answers, dict) and answers.length >= len(existing.answers):
            return
        found = answers if isinstance(answers, dict) else answers.answers()
        if existing is None:
            self.violations.append(Violation(check, message, found, expect))
        elif len(found) < len(existing.answers):
            existing.message, existing.answers, existing.expect = message, found, expect
