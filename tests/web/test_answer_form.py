"""Reading one question's form: each refusal is a code of one message table, and the words the user
sees for each are exactly those the questionnaire and the quick check have always shown."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.datastructures import FormData, UploadFile

from app.web.answer_form import MAX_FIELD_VALUES, MESSAGES, FormProblem, read_answer

OPTIONS = ["physical", "sexual", "not_known"]
EXCLUSIVE = {"not_known": "Not known yet"}


def _read(fields: list[tuple[str, str]], qtype: str = "multi_choice") -> tuple[Any, FormProblem | None]:
    form: list[tuple[str, str | UploadFile]] = list(fields)
    return read_answer(FormData(form), "q", qtype, OPTIONS, EXCLUSIVE)


@pytest.mark.parametrize(("fields", "qtype", "code", "message"), [
    ([("q", "physical"), ("other", "x")], "choice", "unexpected_field",
     "The form had an unexpected field (other). Answer the question and continue."),
    ([("q", "physical")] * (MAX_FIELD_VALUES + 1), "choice", "too_many",
     "Too many answers were sent. Choose from the options shown."),
    ([], "choice", "required", "Select an answer"),
    ([("q", "physical"), ("q", "sexual")], "choice", "one_only", "Select one answer only"),
    ([("q", "other")], "choice", "not_an_option", "Select one of the answers shown"),
    ([], "multi_choice", "required_options", "Select the options that apply, or \u201cNone of these\u201d"),
    ([("q", "none"), ("q", "not_known")], "multi_choice", "none_and_alone",
     "Select \u201cNone of these\u201d or \u201cNot known yet\u201d, not both"),
    ([("q", "none"), ("q", "physical")], "multi_choice", "none_and_others",
     "Select the options that apply, or \u201cNone of these\u201d, not both"),
    ([("q", "other")], "multi_choice", "not_listed", "Select from the options shown"),
    ([("q", "physical"), ("q", "physical")], "multi_choice", "not_listed", "Select from the options shown"),
    ([("q", "physical"), ("q", "not_known")], "multi_choice", "alone_and_others",
     "Select the options that apply, or \u201cNot known yet\u201d, not both"),
])
def test_each_refusal_has_its_code_and_its_words(fields: list[tuple[str, str]], qtype: str, code: str,
                                                 message: str) -> None:
    value, problem = _read(fields, qtype)
    assert value is None
    assert problem is not None and problem.code == code
    assert problem.message == message


def test_an_unexpected_field_is_named_cut_to_40_characters() -> None:
    _, problem = _read([("x" * 100, "1")])
    assert problem == FormProblem("unexpected_field", {"field": "x" * 40})


@pytest.mark.parametrize(("fields", "qtype", "value"), [
    ([("q", "sexual")], "choice", "sexual"),
    ([("q", "none")], "multi_choice", []),
    ([("q", "sexual"), ("q", "physical")], "multi_choice", ["physical", "sexual"]),
    ([("q", "not_known")], "multi_choice", ["not_known"]),
])
def test_an_answer_is_read_in_the_options_order(fields: list[tuple[str, str]], qtype: str, value: Any) -> None:
    assert _read(fields, qtype) == (value, None)


def test_the_quick_checks_messages_are_in_the_same_table() -> None:
    assert FormProblem("quick_unexpected_field").message == (
        "The form had an unexpected field. Answer the questions shown and check again.")
    assert FormProblem("quick_one_only", {"question": "Age"}).message == "Choose one answer for \u201cAge\u201d."
    assert set(MESSAGES) >= {"required", "one_only", "not_an_option", "none_and_others", "unexpected_field",
                             "too_many"}
