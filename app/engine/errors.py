"""The engine's errors: one base class, structured fields, compiler-style messages."""

from __future__ import annotations

import difflib
import functools
from collections import Counter
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


@functools.lru_cache(maxsize=4096)
def _letters(text: str) -> Counter[str]:
    """How often each character occurs in a candidate id (ids are the packs' own, so few and short)."""
    return Counter(text)


def _quick_ratio(word: str, letters: Counter[str], candidate: str) -> float:
    """difflib's ``quick_ratio`` (an upper bound on ``ratio``), from counted letters."""
    theirs = _letters(candidate)
    shared = sum(min(n, theirs[ch]) for ch, n in letters.items() if ch in theirs)
    return 2.0 * shared / (len(word) + len(candidate))


def did_you_mean(word: str, candidates: Iterable[str], cutoff: float = 0.7) -> str | None:
    """A 'did you mean' suggestion for a misspelt id, or None when nothing is close.

    The same answer as ``difflib.get_close_matches(word, candidates, n=1, cutoff=cutoff)``, found
    with less work: a candidate whose length alone keeps it under the cutoff is left out first (as
    difflib's ``real_quick_ratio`` would), so a word far longer than every candidate (a 60 KB value
    sent to the API) is never indexed; the rest are ranked by ``quick_ratio`` (an upper bound on
    the real ratio, from counted letters), and the real ratio is computed best first, stopping once
    no candidate left could beat (or tie) the best found.
    """
    size = len(word)
    close = [c for c in candidates
             if (2.0 * min(size, len(c)) / (size + len(c)) if size + len(c) else 1.0) >= cutoff]
    if not close:
        return None
    letters = Counter(word)
    bounds = sorted(((_quick_ratio(word, letters, c), c) for c in close if size + len(c)), reverse=True)
    matcher = difflib.SequenceMatcher()
    matcher.set_seq2(word)
    best: tuple[float, str] | None = (1.0, "") if size == 0 and "" in close else None
    for bound, candidate in bounds:
        if bound < cutoff or (best is not None and bound < best[0]):
            break
        matcher.set_seq1(candidate)
        score = (matcher.ratio(), candidate)
        if score[0] >= cutoff and (best is None or score > best):
            best = score
    return f"did you mean '{best[1]}'?" if best is not None else None
