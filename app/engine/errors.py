"""The engine's errors: one base class, structured fields, compiler-style messages."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field


class EngineError(Exception):
    """Base of every error the engine raises on purpose."""


@dataclass(frozen=True)
class PackProblem:
    """One problem found in a rule pack, located at a file and line."""

    file: str
    line: int | None
    message: str
    suggestion: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        text = f"{where}: {self.message}"
        if self.suggestion:
            text += f" ({self.suggestion})"
        return text


class PackError(EngineError):
    """A rule pack could not be loaded. Carries every problem found, not only the first."""

    def __init__(self, problems: Iterable[PackProblem]) -> None:
        self.problems: list[PackProblem] = sorted(
            problems, key=lambda p: (p.file, p.line or 0, p.message)
        )
        super().__init__(self.report())

    @property
    def first(self) -> PackProblem:
        return self.problems[0]

    def report(self) -> str:
        count = len(self.problems)
        lines = [str(p) for p in self.problems]
        lines.append(f"{count} problem{'s' if count != 1 else ''} found.")
        return "\n".join(lines)


@dataclass(frozen=True)
class AnswerProblem:
    """One answer that the engine cannot accept."""

    question: str
    message: str
    value: object = None
    allowed: list[str] = field(default_factory=list)


class AnswerError(EngineError):
    """Answers that name unknown questions or carry values outside a question's options."""

    def __init__(self, problems: list[AnswerProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(p.message for p in problems))


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """A 'did you mean' suggestion for a misspelt id, or None when nothing is close."""
    matches = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.7)
    return f"did you mean '{matches[0]}'?" if matches else None
