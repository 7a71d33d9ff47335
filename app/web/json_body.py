"""Reading a JSON request body: its media type, its JSON (no key twice in an object, at any depth),
and for the assess route its ``answers``, checked against the loaded questions.

Every refusal is a 4xx that says what was sent (as escaped JSON text) and what is allowed; a value
is never logged.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request

from app.engine import AnswerError, AnswerProblem, Question, Rulebook, did_you_mean

from .error_bodies import ErrorDetail, echo, name_of
from .errors import BodyShapeError

JSON_MEDIA_TYPE = "application/json"
SHAPE = 'The body must be a JSON object of the form {"answers": {"question_id": "value", ...}}'
# A body may hold this many times the commas, '[' and '{' that the largest body of answers needs
# before it is refused unparsed (check_structure); below that, refusals name each problem.
STRUCTURE_SLACK = 4
# "Did you mean ...?" is looked for in the first problems only, those the 422's message shows: a
# suggestion costs about 50 µs of difflib, and one body can hold a problem for every question.
MAX_SUGGESTIONS = 5


class _DuplicateKey(Exception):
    def __init__(self, key: str) -> None:
        super().__init__("duplicate key")
        self.key = key


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """json.loads' object_pairs_hook: the object, or _DuplicateKey when a key is given twice."""
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return obj


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


MAX_INT_DIGITS = 40  # Python reads and writes a long integer in quadratic time; no answer is a number


def _short_int(text: str) -> int:
    """json.loads' parse_int: a 422 for an integer too long to read cheaply, never a number an answer needs."""
    if len(text) > MAX_INT_DIGITS:
        raise BodyShapeError(422, "invalid_body", f"The request body has a number of {len(text):,} digits. An "
                             "answer is a string, or a list of strings for a multi-choice question.",
                             [ErrorDetail(field="body", message=f"a number of {len(text):,} digits")])
    return int(text)


def check_media_type(request: Request) -> None:
    """Refuse (415) a body not sent as application/json, naming what was sent."""
    sent = request.headers.get("content-type")
    if sent is None or sent.split(";", 1)[0].strip().lower() != JSON_MEDIA_TYPE:
        what = f"as {echo(sent)}" if sent else "with no Content-Type"
        raise BodyShapeError(415, "unsupported_media_type",
                             f"The request body must be sent as {JSON_MEDIA_TYPE}; it was sent {what}.")


def parse_json(raw: bytes) -> Any:
    """The body's JSON: 400 when it is not JSON, 422 naming a key given twice in one object."""
    try:
        return json.loads(raw, object_pairs_hook=_unique_keys, parse_constant=_no_constant, parse_int=_short_int)
    except _DuplicateKey as exc:
        key = name_of(exc.key)
        raise BodyShapeError(422, "duplicate_key", f"The key \"{key}\" is given more than once in the same "
                             "JSON object: give each key once.",
                             [ErrorDetail(field=key, message=f"\"{key}\" is given more than once")]) from None
    except (ValueError, RecursionError):
        raise BodyShapeError(400, "malformed_json", "The request body is not valid JSON.") from None


def _largest_body(book: Rulebook) -> tuple[int, int]:
    """The commas, and the arrays and objects, in the largest body of answers to the loaded packs: one
    answer to each question, each multi-choice question listing every option once."""
    lists = [len(q.values) for q in (*book.questions, *book.optional_questions) if q.type == "multi_choice"]
    return len(book.questions) + len(book.optional_questions) - 1 + sum(n - 1 for n in lists if n), 2 + len(lists)


def check_structure(raw: bytes, book: Rulebook) -> None:
    """Refuse (422), before it is parsed, a body with far more values or nesting than any body of
    answers: its commas, '[' and '{' are counted on the raw bytes (at C speed: about 40 µs for 64 KB).
    What is left to parse is a few hundred values at most, never nested deeper than the count, so a
    hostile body costs no more CPU than a valid one (benchmarks/bench_hostile.py). No question id or
    option contains these characters, so a body refused here could never have been used."""
    commas, arrays = _largest_body(book)
    opened = raw.count(b"[") + raw.count(b"{")
    if opened > STRUCTURE_SLACK * arrays:
        if raw.count(b"]") != raw.count(b"[") or raw.count(b"}") != raw.count(b"{"):
            # Brackets that do not all close: not JSON (or brackets in strings, which no answer has).
            raise BodyShapeError(400, "malformed_json", "The request body is not valid JSON.")
        raise BodyShapeError(422, "invalid_body", f"The request body has {opened:,} '[' and '{{': more arrays and "
                             f"objects than any body of answers (at most {arrays}: the body, its 'answers' and a "
                             "list for each multi-choice question). An answer is a string, or a list of strings "
                             "for a multi-choice question.",
                             [ErrorDetail(field="body", message=f"{opened:,} arrays and objects; at most {arrays}")])
    listed = raw.count(b",")
    if listed > STRUCTURE_SLACK * commas:
        raise BodyShapeError(422, "too_many_values", f"The request body has {listed:,} commas: more values than any "
                             f"body of answers (at most {commas}: one answer to each question, each option of a "
                             "multi-choice question at most once). Give at most one answer to each question.",
                             [ErrorDetail(field="body", message=f"{listed:,} commas; at most {commas}")])


async def read_json(request: Request, book: Rulebook | None = None) -> Any:
    """The request's JSON body, checked for its media type and duplicate keys (the 64 KB limit is the
    BodyLimitMiddleware's, enforced as the body is read); given the packs, first for no more values and
    nesting than a body of answers to them can hold (check_structure)."""
    check_media_type(request)
    raw = await request.body()
    if book is not None:
        check_structure(raw, book)
    return parse_json(raw)


def _json_kind(value: Any) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}.get(
        type(value), "number")


def answers_of(body: Any) -> dict[str, Any]:
    """The ``answers`` object of a parsed body, or a 422 saying what is wrong with the body's shape."""
    if not isinstance(body, dict):
        raise BodyShapeError(422, "invalid_body", f"{SHAPE}; it is a JSON {_json_kind(body)}.")
    extra = sorted(k for k in body if k != "answers")
    if extra:
        raise BodyShapeError(422, "invalid_body", f"Unknown field \"{name_of(extra[0])}\". {SHAPE}.",
                             [ErrorDetail(field=name_of(extra[0]), message="unknown field")])
    if "answers" not in body:
        raise BodyShapeError(422, "invalid_body", f"The field 'answers' is missing. {SHAPE}.",
                             [ErrorDetail(field="answers", message="required")])
    if not isinstance(body["answers"], dict):
        raise BodyShapeError(422, "invalid_body", f"'answers' must be a JSON object; it is a JSON "
                             f"{_json_kind(body['answers'])}.",
                             [ErrorDetail(field="answers", message="must be a JSON object")])
    return body["answers"]


def _problem(question: Question, value: Any, suggest: bool = True) -> AnswerProblem | None:
    """What is wrong with one answer to a known question, or None (with a suggestion if ``suggest``)."""
    qid = question.id
    allowed = list(question.values)
    listed = ", ".join(allowed)
    if question.type == "multi_choice":
        if not isinstance(value, list):
            return AnswerProblem(qid, f"'{qid}' takes a list of options (an empty list means none of these), "
                                 f"not {echo(value)}; allowed options: {listed}", value, allowed)
        bad = next((i for i, v in enumerate(value) if not isinstance(v, str) or v not in allowed), None)
        if bad is not None:  # the first one only: a list may hold hundreds
            return AnswerProblem(qid, f"'{qid}' cannot include {echo(value[bad])}; allowed options: {listed}",
                                 value, allowed)
        if len(set(value)) != len(value):
            twice = next(v for v in value if value.count(v) > 1)
            return AnswerProblem(qid, f"'{qid}' lists {echo(twice)} more than once", value, allowed)
        alone = next((o.value for o in question.options if o.exclusive and o.value in value), None)
        if alone is not None and len(value) > 1:
            return AnswerProblem(qid, f"'{qid}' cannot combine \"{alone}\" with another option: give \"{alone}\" "
                                 f"on its own, or the options that apply; allowed options: {listed}", value, allowed)
        return None
    if isinstance(value, list):
        return AnswerProblem(qid, f"'{qid}' takes a single value, not a list such as {echo(value)}; "
                             f"allowed values: {listed}", value, allowed)
    if not isinstance(value, str) or value not in allowed:
        hint = did_you_mean(value, allowed) if suggest and isinstance(value, str) else None
        return AnswerProblem(qid, f"'{qid}' cannot be {echo(value)}; allowed values: {listed}"
                             + (f" ({hint})" if hint else ""), value, allowed)
    return None


def check_answers(book: Rulebook, answers: dict[str, Any]) -> None:
    """Refuse answers the loaded packs cannot use: one 422 for more answers than there are questions,
    else an AnswerError listing each unknown question and each value outside a question's options.
    The question ids are sent once, as ``allowed`` of the first unknown question only; suggestions are
    looked for in the first MAX_SUGGESTIONS problems."""
    questions = (*book.questions, *book.optional_questions)
    if len(answers) > len(questions):
        raise BodyShapeError(422, "too_many_answers", f"The body gives {len(answers)} answers but the loaded "
                             f"packs have {len(questions)} questions: give at most one answer to each.",
                             [ErrorDetail(field="answers", message=f"at most {len(questions)} answers")])
    by_id = book.questions_by_id
    if all(isinstance(qid, str) and qid in by_id and by_id[qid].accepts(value) for qid, value in answers.items()):
        return
    known = [q.id for q in questions]
    problems: list[AnswerProblem] = []
    unknown = 0
    for qid, value in answers.items():
        if not book.has_question(qid):
            hint = did_you_mean(qid, known) if len(problems) < MAX_SUGGESTIONS else None
            unknown += 1
            problems.append(AnswerProblem(qid, f"\"{name_of(qid)}\" is not a question"
                                          + (f" ({hint})" if hint else ""), value, known if unknown == 1 else []))
            continue
        problem = _problem(book.question(qid), value, len(problems) < MAX_SUGGESTIONS)
        if problem:
            problems.append(problem)
    if problems:
        raise AnswerError(problems)


async def read_answers(request: Request, book: Rulebook) -> dict[str, Any]:
    """The answers of an assess request, every rule of the JSON API checked (contract v2)."""
    answers = answers_of(await read_json(request, book))
    check_answers(book, answers)
    return answers
