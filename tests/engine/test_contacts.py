"""Contacts, contract v2: the local contact slots and the Lewisham 2 am card, what users are told
about each contact ("Confirm locally", "Not yet checked by your organisation", staleness from
the check or else the source's date), constants, and `pathway check`'s warnings."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from app.case_notes import outcome_as_text
from app.cli import main
from app.engine.assessment import assess
from app.engine.contact_checks import contact_warnings
from app.engine.loader import load_rulebook
from app.engine.outcome import ContactOut, Outcome
from app.engine.rulebook import Rulebook
from tests.conftest import ROOT, RULES, TODAY

VALID = ROOT / "tests" / "packs" / "valid_minimal"

# A child in county lines, seen by the police; and an adult with nowhere to sleep tonight.
CHILD: dict[str, Any] = {
    "immediate_danger": "yes", "age_group": "child", "organisation": "police", "communication_support": "no",
    "safe_to_talk": "yes", "action": "yes", "purpose": "yes", "exploitation_types": ["criminal"],
    "partner_or_family_exploiter": "no", "dependent_children": "no", "other_victims": "no",
    "homeless_or_at_risk": "no", "arrested_or_charged": "no", "immediate_needs": [], "longer_term_needs": [],
}
ADULT: dict[str, Any] = {
    "immediate_danger": "no", "age_group": "adult", "organisation": "local_authority",
    "communication_support": "no", "safe_to_talk": "yes", "action": "yes", "purpose": "yes",
    "exploited_as_child": "no", "means": "yes", "exploitation_types": ["labour"], "partner_or_family_exploiter": "no",
    "capacity_concern": "no", "consent_nrm": "yes", "care_support_needs": "yes", "dependent_children": "no",
    "other_victims": "no",
    "homeless_or_at_risk": "tonight", "arrested_or_charged": "no", "immediate_needs": [], "longer_term_needs": [],
}


def run(book: Rulebook, answers: dict[str, Any], today: dt.date = TODAY) -> Outcome:
    return assess(book, answers, today=today)


def contacts_of(outcome: Outcome, action: str) -> list[ContactOut]:
    found = [r for r in outcome.referrals if r.id == action]
    assert found, f"{action} is not listed: {[r.id for r in outcome.referrals]}"
    return found[0].contacts


def contact(outcome: Outcome, cid: str) -> ContactOut:
    for r in outcome.referrals:
        for c in r.contacts:
            if c.id == cid:
                return c
    raise AssertionError(f"{cid} is not listed")


def copy_rules(tmp_path: Path) -> Path:
    root = tmp_path / "rules"
    shutil.copytree(RULES / "national", root / "national")
    shutil.copytree(RULES / "local" / "lewisham", root / "local" / "lewisham")
    return root


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new))


# --------------------------------------------------------------------------- the 2 am card


def test_lewisham_fills_every_slot_with_its_2am_numbers(lewisham_book: Rulebook) -> None:
    """The council's front doors and out-of-hours lines, as the contacts research gives them."""
    numbers = {s.id: (s.contact.phone if s.contact else None) for s in lewisham_book.contact_slots}
    assert numbers == {
        "childrens_services": "020 8314 6660",
        "childrens_out_of_hours": "020 8314 6000",
        "adult_safeguarding": "020 8314 7777",
        "adult_out_of_hours": "020 8314 7766",
        "housing": "020 8314 7007",
        "housing_out_of_hours": "020 8314 7007",
    }
    slots = {s.id: s for s in lewisham_book.contact_slots}
    edt = slots["childrens_out_of_hours"].contact
    assert edt is not None and "ask for the Emergency Duty Team" in edt.name
    assert edt.hours == "5pm to 9am on weekdays; all weekend and bank holidays"
    housing_night = slots["housing_out_of_hours"].contact
    assert housing_night is not None
    assert housing_night.hours == "Monday to Friday 5.30pm to 9am; Saturday and Sunday 24 hours"


def test_a_child_at_2am_gets_the_mash_and_the_emergency_duty_team(lewisham_book: Rulebook) -> None:
    """National actions name the slots; with Lewisham loaded the user sees the MASH and the EDT."""
    outcome = run(lewisham_book, CHILD)
    children = contacts_of(outcome, "childrens_social_care")
    assert [(c.name.split(",")[0], c.phone) for c in children] == [
        ("Lewisham Multi-Agency Safeguarding Hub (MASH)", "020 8314 6660"),
        ("Lewisham Children's Emergency Duty Team", "020 8314 6000"),
    ]
    assert [c.slot for c in children] == ["childrens_services", "childrens_out_of_hours"]
    assert contacts_of(outcome, "emergency_999")[0].phone == "999"


def test_an_adult_with_nowhere_to_sleep_gets_the_safeguarding_and_housing_lines(lewisham_book: Rulebook) -> None:
    outcome = run(lewisham_book, ADULT)
    assert [c.phone for c in contacts_of(outcome, "adult_safeguarding")] == ["020 8314 7777", "020 8314 7766"]
    housing = contacts_of(outcome, "housing_referral")
    assert [c.id for c in housing] == ["lewisham_housing_options", "lewisham_housing_out_of_hours",
                                       "lewisham_duty_to_refer", "streetlink"]


def test_without_a_local_pack_a_slot_shows_nothing_invented(national_book: Rulebook) -> None:
    """The national pack alone fills no slot: children's services lists no made-up number."""
    assert all(s.contact is None for s in national_book.contact_slots)
    assert national_book.action("childrens_social_care").contacts == ()
    assert [c.id for c in national_book.action("first_responder_contact").contacts] == [
        "police_101", "salvation_army", "modern_slavery_helpline", "nspcc"]


def test_the_guardian_service_is_available_in_lewisham(lewisham_book: Rulebook) -> None:
    flag = lewisham_book.flags["child_trafficking_guardian_service"]
    assert (flag.value, flag.set_by) == ("available", "lewisham")


# --------------------------------------------------------------------------- what users are told


def test_999_and_101_are_constants_with_no_check_state(lewisham_book: Rulebook) -> None:
    for cid in ("emergency_999", "police_101"):
        c = contact(run(lewisham_book, CHILD), cid)
        assert c.constant and c.notices == [] and c.provenance is None
        assert not (c.confirm_locally or c.not_yet_checked or c.undated or c.stale)
        far = contact(run(lewisham_book, CHILD, today=dt.date(2040, 1, 1)), cid)
        assert far.notices == [] and not far.stale


def test_a_confirmed_dated_contact_only_says_nobody_here_has_checked_it(lewisham_book: Rulebook) -> None:
    helpline = contact(run(lewisham_book, CHILD), "modern_slavery_helpline")
    assert helpline.confirmed and helpline.source_date == "2026-04"
    assert helpline.notices == ["Not yet checked by your organisation"]
    assert helpline.provenance == "Source: Home Office, First Responder Toolkit for England and Wales, April 2026."


def test_an_undated_local_number_says_confirm_locally(lewisham_book: Rulebook) -> None:
    """Confirmed on the council's own page, but the page is undated: 'Undated: confirm locally'."""
    mash = contacts_of(run(lewisham_book, CHILD), "childrens_social_care")[0]
    assert mash.confirmed and mash.source_date is None and mash.undated and mash.confirm_locally
    assert mash.notices == ["Undated: confirm locally", "Not yet checked by your organisation"]
    assert mash.provenance == "Source: Lewisham Council, Multi-Agency Safeguarding Hub pages (undated)."


def test_an_unconfirmed_contact_says_confirm_locally(lewisham_book: Rulebook) -> None:
    """Acas's number rests on an old primary source: not confirmed, and stale from its 2015 date."""
    answers = {**ADULT, "organisation": "labour_enforcement", "consent_nrm": "no"}
    acas = contact(run(lewisham_book, answers), "acas_helpline")
    assert not acas.confirmed
    assert acas.notices == ["Confirm locally", "Not yet checked by your organisation",
                            "Source dated 20 March 2015, over 12 months ago: confirm before use"]


def test_sources_shown_to_users_name_no_internal_notes(lewisham_book: Rulebook) -> None:
    for c in lewisham_book.contacts.values():
        assert not re.search(r"facts|§|\[[SC]\d+\]|\bseed\b", c.source, re.IGNORECASE), c.id
        assert c.source.strip()


# --------------------------------------------------------------------------- staleness


def test_staleness_runs_from_the_source_date_when_nobody_has_checked(lewisham_book: Rulebook) -> None:
    """The Helpline's source is dated April 2026 (read as 1 April): stale from 2 April 2027."""
    on_the_day = run(lewisham_book, CHILD, today=dt.date(2027, 4, 1))
    assert not contact(on_the_day, "modern_slavery_helpline").stale
    later = run(lewisham_book, CHILD, today=dt.date(2027, 4, 2))
    helpline = contact(later, "modern_slavery_helpline")
    assert helpline.stale
    assert "Source dated April 2026, over 12 months ago: confirm before use" in helpline.notices
    assert ("The contact details for Modern Slavery & Exploitation Helpline (Unseen) come from a source dated "
            "April 2026, more than 12 months ago: confirm them before you use them.") in later.warnings


def test_an_undated_contact_is_never_stale_but_always_confirm_locally(lewisham_book: Rulebook) -> None:
    mash = contacts_of(run(lewisham_book, CHILD, today=dt.date(2040, 1, 1)), "childrens_social_care")[0]
    assert not mash.stale and "Undated: confirm locally" in mash.notices


def test_a_recorded_check_replaces_the_source_date(tmp_path: Path, lewisham_book: Rulebook) -> None:
    """Once someone rings the number and records it, the contact says who checked it and when, stops
    saying 'not yet checked' or 'undated', and staleness runs from that day instead of the source's."""
    root = copy_rules(tmp_path)
    edit(root / "local" / "lewisham" / "contacts.yaml",
         "    source: Lewisham Council, \"Partners and duty to refer\"\n    source_date: null\n\n"
         "  # Other local routes",
         "    source: Lewisham Council, \"Partners and duty to refer\"\n    source_date: null\n"
         "    checked_on: 2026-11-01\n    checked_by: Housing duty manager\n\n  # Other local routes")
    edit(root / "national" / "contacts.yaml", "    source_date: 2025-07-16\n",
         "    source_date: 2025-07-16\n    checked_on: 2026-11-01\n    checked_by: Labour exploitation lead\n")
    book = load_rulebook(root / "national", root / "local" / "lewisham")

    outcome = run(book, ADULT)
    night = contacts_of(outcome, "housing_referral")[1]
    assert night.id == "lewisham_housing_out_of_hours"
    assert night.checked_on == dt.date(2026, 11, 1) and night.checked_by == "Housing duty manager"
    assert night.notices == [] and not night.confirm_locally and not night.not_yet_checked
    assert night.provenance == ("Source: Lewisham Council, \"Partners and duty to refer\" (undated). "
                                "Checked on 01 November 2026 by Housing duty manager.")
    a_year_on = run(book, ADULT, today=dt.date(2027, 11, 2))
    stale_night = contacts_of(a_year_on, "housing_referral")[1]
    assert stale_night.notices == ["Checked 01 November 2026, over 12 months ago: confirm before use"]
    assert any(w.startswith("The contact details for Lewisham out-of-hours housing emergency line were last "
                            "checked on 01 November 2026") for w in a_year_on.warnings)

    # The GLAA's source is dated July 2025, stale by November 2026; the check makes it current.
    labour = {**ADULT, "organisation": "labour_enforcement", "consent_nrm": "no"}
    assert contact(run(lewisham_book, labour), "glaa_intelligence").stale
    glaa = contact(run(book, labour), "glaa_intelligence")
    assert not glaa.stale and glaa.notices == []


# --------------------------------------------------------------------------- case notes


def test_case_notes_carry_the_same_words(lewisham_book: Rulebook) -> None:
    text = " ".join(outcome_as_text(run(lewisham_book, CHILD)).split())
    assert ("Lewisham Children's Emergency Duty Team, out of hours (ask for the Emergency Duty Team), "
            "020 8314 6000, 5pm to 9am on weekdays; all weekend and bank holidays (undated: confirm locally; "
            "not yet checked by your organisation).") in text
    assert "Contact: Emergency services, 999, textphone 18000, 24 hours a day Source:" in text  # no check state
    assert "Contact: Police non-emergency number, 101, textphone 18001 101 " in text


# --------------------------------------------------------------------------- pathway check


def test_check_warns_about_nothing_for_lewisham_or_the_national_pack(lewisham_book: Rulebook,
                                                                    national_book: Rulebook) -> None:
    assert contact_warnings(lewisham_book) == []
    assert contact_warnings(national_book) == []


def test_check_warns_for_each_empty_slot_and_missing_phone(capsys: pytest.CaptureFixture[str]) -> None:
    """The minimal overlay fills only the housing slot, with no number, and records no service for one need:
    six warnings, exit status 0."""
    assert main(["check", str(VALID)]) == 0
    out = capsys.readouterr().out
    where = "tests/packs/valid_minimal/local/minimal"
    warnings = [line.replace(str(VALID.parent.parent.parent) + "/", "") for line in out.splitlines()
                if line.startswith("warning: ")]
    assert warnings == [
        f"warning: {where}: no contact fills the slot 'childrens_services' (Children's services): add a local "
        "contact with 'slot: childrens_services'",
        f"warning: {where}: no contact fills the slot 'childrens_out_of_hours' (Children's services out of "
        "hours): add a local contact with 'slot: childrens_out_of_hours'",
        f"warning: {where}: no phone number for children's services: fill 'childrens_services' with a contact "
        "that has a phone number",
        f"warning: {where}: no out-of-hours route for children's services: fill 'childrens_out_of_hours' with a "
        "contact that has a phone number",
        f"warning: {where}: no phone number for housing: fill 'housing' with a contact that has a phone number",
        f"warning: {where}: no local service recorded for the need 'hot_food' (Hot food): name one in "
        "services.yaml ('name:' or 'contact:') in place of 'none_recorded: true'",
    ]
    assert "ok: minimal-national 1.0.0 + minimal-local 1.0.0" in out


def test_check_warns_when_lewisham_loses_its_out_of_hours_line(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    root = copy_rules(tmp_path)
    edit(root / "local" / "lewisham" / "contacts.yaml", "    slot: adult_out_of_hours\n", "")
    assert main(["check", str(root)]) == 0
    out = capsys.readouterr().out
    assert "ok: england-wales" in out and "FAILED" not in out
    warnings = [line for line in out.splitlines() if line.startswith("warning: ") and "the need" not in line]
    assert len(warnings) == 2
    assert "no contact fills the slot 'adult_out_of_hours' (Adult safeguarding out of hours)" in warnings[0]
    assert warnings[1].endswith("no out-of-hours route for adult safeguarding: fill 'adult_out_of_hours' with a "
                                "contact that has a phone number")
