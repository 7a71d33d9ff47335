"""Wording by who is using the tool: an action's variants, chosen on the walk's facts, and a local
overlay's wording, which replaces only the defaults."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app.engine.assessment import assess
from app.engine.explain import action_wording_out
from app.engine.loader import load_rulebook
from app.engine.outcome import Outcome, ReferralOut
from app.engine.rulebook import Rulebook
from tests.conftest import TODAY
from tests.wording_pack import DEFAULT, LOCAL, LOCAL_WORDS, POLICE, wording_root


def book_of(tmp_path: Path, *, overlay_wording: bool = False) -> Rulebook:
    root = wording_root(tmp_path, overlay_wording=overlay_wording)
    return load_rulebook(root / "national", root / "local" / LOCAL)


def call_999(outcome: Outcome) -> ReferralOut:
    (found,) = [r for r in outcome.referrals if r.id == "emergency_999"]
    return found


def words(referral: ReferralOut) -> dict[str, Any]:
    return {k: getattr(referral, k) for k in ("title", "short_title", "summary", "who_acts")}


def run(book: Rulebook, organisation: str | None) -> Outcome:
    answers = {"immediate_danger": "yes"}
    if organisation:
        answers["organisation"] = organisation
    return assess(book, answers, today=TODAY)


def test_police_user_gets_the_police_variant_and_a_health_user_the_default(tmp_path: Path) -> None:
    book = book_of(tmp_path)
    assert words(call_999(run(book, "police"))) == POLICE
    assert words(call_999(run(book, "health"))) == DEFAULT


def test_the_first_variant_that_holds_supplies_only_the_fields_it_gives(tmp_path: Path) -> None:
    """Police match both variants and get only the first (its who_acts is the default); 'other' matches
    the second, which changes who acts and nothing else."""
    book = book_of(tmp_path)
    assert call_999(run(book, "police")).who_acts == "You, now"
    assert words(call_999(run(book, "other"))) == {**DEFAULT, "who_acts": "You, now, then a first responder"}


def test_a_variant_not_known_yet_keeps_the_defaults(tmp_path: Path) -> None:
    """Before the organisation is answered, the default words show: no user sees words meant for another."""
    book = book_of(tmp_path)
    assert words(call_999(run(book, None))) == DEFAULT
    preset = assess(book, {"immediate_danger": "yes"}, preset={"organisation": "police"}, today=TODAY)
    assert words(call_999(preset)) == POLICE


def test_overlay_wording_replaces_only_the_default(tmp_path: Path) -> None:
    book = book_of(tmp_path, overlay_wording=True)
    assert words(call_999(run(book, "health"))) == LOCAL_WORDS
    assert words(call_999(run(book, "police"))) == POLICE  # the variant stands
    described = action_wording_out(book.action("emergency_999"))
    assert described.title == LOCAL_WORDS["title"] and described.short_title == LOCAL_WORDS["short_title"]
    assert described.variants[0].title == POLICE["title"]


def test_short_title_is_the_title_when_the_pack_gives_none(tmp_path: Path) -> None:
    book = book_of(tmp_path)
    outcome = assess(book, {"immediate_danger": "no", "organisation": "police", "age_group": "child",
                            "action": "yes", "purpose": "yes"}, today=TODAY)
    for referral in outcome.referrals:
        assert referral.short_title == referral.title
    assert [r.id for r in outcome.referrals] == ["childrens_social_care", "nrm_referral"]


def test_a_variant_title_without_a_short_title_is_not_shortened_to_the_default(tmp_path: Path) -> None:
    """The default's short_title was written for the default title: a user given a title of their own
    sees that title in full rather than words meant for other users."""
    root = wording_root(tmp_path)
    actions = root / "national" / "actions.yaml"
    text = actions.read_text(encoding="utf-8")
    police_short = "        short_title: Get urgent assistance now\n"
    assert text.count(police_short) == 1
    actions.write_text(text.replace(police_short, ""), encoding="utf-8")
    book = load_rulebook(root / "national", root / "local" / LOCAL)
    assert call_999(run(book, "police")).short_title == POLICE["title"]
    assert call_999(run(book, "health")).short_title == DEFAULT["short_title"]


def test_action_wording_out_describes_defaults_and_each_variant_with_its_condition(tmp_path: Path) -> None:
    described = action_wording_out(book_of(tmp_path).action("emergency_999")).model_dump()
    assert described == {
        **DEFAULT,
        "variants": [
            {"when": "organisation is police", "title": POLICE["title"], "short_title": POLICE["short_title"],
             "summary": POLICE["summary"], "who_acts": None},
            {"when": "organisation is other or police", "title": None, "short_title": None, "summary": None,
             "who_acts": "You, now, then a first responder"},
        ],
    }


@pytest.mark.parametrize("aid", ["emergency_999", "interpreter", "speak_alone", "communication_adjustments"])
def test_every_act_now_banner_action_of_the_shipped_pack_has_a_short_title(lewisham_book: Rulebook,
                                                                            aid: str) -> None:
    """The urgent banners' words come from the pack: each banner action declares its short_title, and so
    does each variant that changes its title (or the banner would show the default's few words)."""
    if aid == "communication_adjustments" and not any(a.id == aid for a in lewisham_book.actions):
        pytest.skip("communication_adjustments is not in the pack yet")
    action = lewisham_book.action(aid)
    assert action.short_title and action.short_title.strip()
    for variant in action.variants:
        if variant.title is not None:
            assert variant.short_title, f"{aid}: a variant with a title of its own needs a short_title too"
