"""Reading the questionnaire's and the quick check's forms: the posted form itself, and what is
wrong with an answer as an error code, turned into the user's words by one table (``MESSAGES``).

A reader returns a ``FormProblem`` (a code and the values its message needs), never a sentence,
so the wording lives in one place (later, one catalogue per language).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request

from .errors import FormNotAccepted

NONE_VALUE = "none"
MAX_FIELD_VALUES = 20
# The longest field a form takes (name and value): the ids and options are far shorter. A longer
# field is refused (400) as the form is read, before any of it is decoded or checked.
MAX_FIELD_BYTES = 1024
FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"

# Every message a form's reader can give, by code. {field}, {alone} and {question} are filled from
# the problem's values.
MESSAGES = {
    # the questionnaire: one question a page
    "unexpected_field": "The form had an unexpected field ({field}). Answer the question and continue.",
    "too_many": "Too many answers were sent. Choose from the options shown.",
    "required": "Select an answer",
    "one_only": "Select one answer only",
    "not_an_option": "Select one of the answers shown",
    "required_options": "Select the options that apply, or \u201cNone of these\u201d",
    "none_and_alone": "Select \u201cNone of these\u201d or \u201c{alone}\u201d, not both",
    "none_and_others": "Select the options that apply, or \u201cNone of these\u201d, not both",
    "not_listed": "Select from the options shown",
    "alone_and_others": "Select the options that apply, or \u201c{alone}\u201d, not both",
    # the quick check: every quick question on one page
    "quick_unexpected_field": "The form had an unexpected field. Answer the questions shown and check again.",
    "quick_one_only": "Choose one answer for \u201c{question}\u201d.",
}


@dataclass(frozen=True)
class FormProblem:
    """What is wrong with a form: a code of ``MESSAGES`` and the values its message shows."""

    code: str
    values: dict[str, str] = field(default_factory=dict)

    @property
    def message(self) -> str:
        return MESSAGES[self.code].format(**self.values)


async def read_form(request: Request, max_fields: int) -> FormData:
    """The posted form, or FormNotAccepted for any media type but a plain form (no Content-Type: empty)."""
    sent = request.headers.get("content-type")
    if sent is not None and sent.split(";", 1)[0].strip().lower() != FORM_MEDIA_TYPE:
        raise FormNotAccepted()
    return await request.form(max_files=0, max_fields=max_fields, max_part_size=MAX_FIELD_BYTES)


def posted_values(form: FormData, key: str) -> list[str]:
    """The text values posted under one name (a file part, never accepted, is left out)."""
    return [v for v in form.getlist(key) if isinstance(v, str)]


def read_answer(form: FormData, qid: str, qtype: str, values: list[str],
                exclusive: dict[str, str] | None = None) -> tuple[Any, FormProblem | None]:
    """The answer posted for one question, or what is wrong with it. ``values``: the question's options;
    ``exclusive``: the options chosen only on their own, with their words (besides "None of these")."""
    unexpected = [k for k in form if k != qid]
    if unexpected:
        return None, FormProblem("unexpected_field", {"field": unexpected[0][:40]})
    posted = posted_values(form, qid)
    if len(posted) > MAX_FIELD_VALUES:
        return None, FormProblem("too_many")
    if qtype == "multi_choice":
        return _read_options(posted, values, exclusive or {})
    if not posted:
        return None, FormProblem("required")
    if len(posted) > 1:
        return None, FormProblem("one_only")
    if posted[0] not in values:
        return None, FormProblem("not_an_option")
    return posted[0], None


def _read_options(posted: list[str], values: list[str], exclusive: dict[str, str]) -> tuple[Any, FormProblem | None]:
    """A multi-choice answer: the options ticked in the question's order, [] for "None of these"."""
    if not posted:
        return None, FormProblem("required_options")
    if NONE_VALUE in posted and len(posted) > 1:
        other = [v for v in posted if v in exclusive]
        if len(posted) == 2 and other:  # two answers that each stand alone
            return None, FormProblem("none_and_alone", {"alone": exclusive[other[0]]})
        return None, FormProblem("none_and_others")
    if posted == [NONE_VALUE]:
        return [], None
    if any(v not in values for v in posted) or len(set(posted)) != len(posted):
        return None, FormProblem("not_listed")
    alone = [v for v in posted if v in exclusive]
    if alone and len(posted) > 1:
        return None, FormProblem("alone_and_others", {"alone": exclusive[alone[0]]})
    return sorted(posted, key=values.index), None
