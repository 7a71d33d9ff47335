"""A small driver for walking a case through the questionnaire as a person would."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Page, expect

from app.engine.scenarios import load_scenario
from tests.conftest import SCENARIO_PATHS


def scenario_answers(name: str) -> dict[str, Any]:
    """The answers of the scenario of that name, shared or an overlay's own."""
    (path,) = (p for p in SCENARIO_PATHS if p.stem == name)
    return load_scenario(path).answer_values()


def seed_answers(name: str) -> dict[str, Any]:
    return scenario_answers(f"seed_{name}")


def current_question(page: Page) -> str | None:
    """The id of the question on the page, from the path /w/<walk>/q/<id>; None on the outcome."""
    match = re.search(r"/q/([a-z_]+)", page.url)
    return match.group(1) if match else None


def answer_current(page: Page, value: Any) -> None:
    """Choose an answer by its form value and press Continue (a real click, as a user would)."""
    qid = current_question(page)
    assert qid is not None, page.url
    values = value if isinstance(value, list) else [value]
    if isinstance(value, list) and not value:
        values = ["none"]
    for v in values:
        page.locator(f"input[name='{qid}'][value='{v}']").check()
    page.get_by_role("button", name="Continue").click()


def answer(page: Page, value: Any) -> str | None:
    """Answer the question on the page and wait until the next step is shown; returns its question id."""
    qid = current_question(page)
    answer_current(page, value)
    page.wait_for_url(re.compile(r"/(q/(?!" + str(qid) + r"\b)[a-z_]+|outcome)$"))
    expect(page.locator("h1")).to_be_visible()
    return current_question(page)


def start(page: Page, *, goto: bool = True) -> None:
    """Open the start page (unless already there) and press Start now."""
    if goto:
        page.goto("/")
    page.get_by_role("button", name="Start now").click()
    page.wait_for_url(re.compile(r"/q/immediate_danger$"))


def walk(page: Page, answers: dict[str, Any], *, goto: bool = True, max_steps: int = 40) -> list[str]:
    """Start a case and answer every question the walk asks from ``answers``. Returns the ids asked."""
    start(page, goto=goto)
    return continue_walk(page, answers, max_steps=max_steps)


def walk_to(page: Page, answers: dict[str, Any], until: str, *, goto: bool = True) -> list[str]:
    """Start a case and answer questions from ``answers`` until question ``until`` is on the page."""
    start(page, goto=goto)
    return continue_walk(page, answers, until=until)


def continue_walk(page: Page, answers: dict[str, Any], *, until: str | None = None,
                  max_steps: int = 40) -> list[str]:
    """Answer every question from the current page on, until the outcome (or question ``until``).

    Returns the ids of the questions answered or skipped.
    """
    asked: list[str] = []
    for _ in range(max_steps):
        expect(page.locator("h1")).to_be_visible()
        if "/outcome" in page.url:
            assert until is None, f"reached the outcome before {until}"
            return asked
        qid = current_question(page)
        assert qid is not None, page.url
        if qid == until:
            return asked
        if qid in asked:
            raise AssertionError(f"asked {qid} twice")
        asked.append(qid)
        if qid not in answers:
            page.get_by_role("button", name="Skip this question").click()
            page.wait_for_url(re.compile(r"/(q/(?!" + qid + r"\b)|outcome)"))
            continue
        answer(page, answers[qid])
    raise AssertionError("the walk did not finish")
