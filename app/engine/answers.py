"""Checking answers against the loaded questions before the walk uses them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .errors import AnswerError, AnswerProblem, did_you_mean
from .rulebook import Rulebook

Value = str | frozenset[str]


def _shown(value: Any) -> str:
    text = repr(value) if not isinstance(value, str) else f"'{value}'"
    return text if len(text) <= 80 else text[:77] + "..."


def validate_answers(book: Rulebook, answers: Mapping[str, Any]) -> dict[str, Value]:
    """Answers as the walk reads them (multi-choice as frozensets). Raises AnswerError listing every problem."""
    clean: dict[str, Value] = {}
    by_id = book.questions_by_id
    for qid, value in answers.items():
        question = by_id.get(qid) if isinstance(qid, str) else None
        if question is None or not question.accepts(value):
            break
        clean[qid] = frozenset(value) if question.type == "multi_choice" else value
    else:
        return clean
    return _refuse(book, answers)


def _refuse(book: Rulebook, answers: Mapping[str, Any]) -> dict[str, Value]:
    """The answers, when every one is well formed; else AnswerError naming every problem."""
    problems: list[AnswerProblem] = []
    clean: dict[str, Value] = {}
    known = [q.id for q in (*book.questions, *book.optional_questions)]
    for qid, value in answers.items():
        if not isinstance(qid, str) or not book.has_question(qid):
            hint = did_you_mean(str(qid), known)
            problems.append(AnswerProblem(
                str(qid), f"'{str(qid)[:80]}' is not a question" + (f" ({hint})" if hint else ""), value, known))
            continue
        question = book.question(qid)
        allowed = list(question.values)
        if question.type == "multi_choice":
            if not isinstance(value, list):
                problems.append(AnswerProblem(
                    qid, f"'{qid}' takes a list of options (an empty list means none of these), "
                    f"not {_shown(value)}; allowed options: {', '.join(allowed)}", value, allowed))
                continue
            bad = [v for v in value if not isinstance(v, str) or v not in allowed]
            if bad:
                problems.append(AnswerProblem(
                    qid, f"'{qid}' cannot include {_shown(bad[0])}; allowed options: {', '.join(allowed)}",
                    bad[0], allowed))
                continue
            if len(set(value)) != len(value):
                twice = next(v for v in value if value.count(v) > 1)
                problems.append(AnswerProblem(qid, f"'{qid}' lists '{twice}' more than once", twice, allowed))
                continue
            alone = [o.value for o in question.options if o.exclusive and o.value in value]
            if alone and len(value) > 1:
                problems.append(AnswerProblem(
                    qid, f"'{qid}' cannot combine '{alone[0]}' with another option: choose '{alone[0]}' on its "
                    f"own, or the options that apply; allowed options: {', '.join(allowed)}", value, allowed))
                continue
            clean[qid] = frozenset(value)
        else:
            if isinstance(value, list):
                problems.append(AnswerProblem(
                    qid, f"'{qid}' takes a single value, not a list; allowed values: {', '.join(allowed)}",
                    value, allowed))
                continue
            if not isinstance(value, str) or value not in allowed:
                hint = did_you_mean(value, allowed) if isinstance(value, str) else None
                problems.append(AnswerProblem(
                    qid, f"'{qid}' cannot be {_shown(value)}; allowed values: {', '.join(allowed)}"
                    + (f" ({hint})" if hint else ""), value, allowed))
                continue
            clean[qid] = value
    if problems:
        raise AnswerError(problems)
    return clean
