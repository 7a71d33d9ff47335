"""The loader rejects each deliberately broken pack under tests/packs/invalid/ at its exact file, line
and message, reports every problem at once, and loads the shipped packs and the minimal base cleanly."""

from __future__ import annotations

import filecmp
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from app.engine import schema
from app.engine.errors import PackError, PackProblem
from app.engine.loader import load_rulebook
from app.engine.rulebook import Rulebook
from app.engine.yaml_source import MAX_DEPTH, MAX_FILE_BYTES
from tests.conftest import ROOT

PACKS = ROOT / "tests" / "packs"
VALID = PACKS / "valid_minimal"
INVALID = PACKS / "invalid"
LOCAL = Path("local") / "minimal"


@dataclass(frozen=True)
class Expected:
    file: str  # relative to the case's rules root
    line: int
    message: str
    suggestion: str | None = None


ONE_FAULT: dict[str, Expected] = {
    "misspelt_fact": Expected(
        "national/actions.yaml", 48, "condition refers to 'purpsoe'", "did you mean 'purpose'?"),
    "value_not_an_option": Expected(
        "national/actions.yaml", 29, "'age_group' cannot be 'chlid'; allowed: child, adult, uncertain",
        "did you mean 'child'?"),
    "boolean_tested_with_yes": Expected(
        "national/actions.yaml", 22, "'treated_as_child' cannot be 'yes'; allowed: true, false"),
    "multi_choice_without_includes": Expected(
        "national/actions.yaml", 62,
        "'immediate_needs' is a multi-choice question: test it with {includes: [...]}"),
    "logic_non_tri_state": Expected(
        "national/determinations.yaml", 20,
        "logic can only combine yes/no facts, and 'age_group' is a choice fact; use a condition instead"),
    "listed_unknown_action": Expected(
        "national/actions.yaml", 50, "'listed' refers to 'childrens_services', which is not an action"),
    "duplicate_id": Expected("national/actions.yaml", 17, "duplicate id 'emergency_999' in actions"),
    # an action with a determination's id passed `pathway check`, then made every assess a 500
    "id_shared_across_kinds": Expected(
        "national/actions.yaml", 71, "id 'trafficking' is used by both determinations and actions"),
    "duplicate_yaml_key": Expected(
        "national/questions.yaml", 42, "key 'help' appears twice in the same mapping (first on line 39)"),
    "question_cycle": Expected(
        "national/questions.yaml", 42, "questions depend on each other in a cycle: purpose -> means -> purpose"),
    "question_depends_on_later": Expected(
        "national/questions.yaml", 25,
        "question 'age_group' is asked depending on 'purpose', which is asked at the same point or later; "
        "move it after that question"),
    "determination_cycle": Expected(
        "national/determinations.yaml", 10,
        "determinations depend on each other in a cycle: trafficking -> modern_slavery -> trafficking"),
    "action_cycle": Expected(
        "national/actions.yaml", 28,
        "actions depend on each other in a cycle: childrens_social_care -> nrm_referral -> childrens_social_care"),
    "action_without_source": Expected(
        "national/actions.yaml", 54, "actions[housing_referral]: 'source' is required"),
    "action_without_reasons": Expected(
        "national/actions.yaml", 12, "actions[emergency_999].reasons: an action needs at least one reason"),
    "unknown_key": Expected(
        "national/questions.yaml", 40,
        f"unknown key 'hlep' in questions[purpose]; allowed: {', '.join(schema.QuestionDoc.model_fields)}",
        "did you mean 'help'?"),
    "unknown_section": Expected(
        "national/flags.yaml", 3,
        f"unknown section 'flag'; allowed: {', '.join(schema.NATIONAL_SECTIONS)}",
        "did you mean 'flags'?"),
    "unknown_placeholder": Expected(
        "national/actions.yaml", 47,
        "text refers to '{modern_slavry}', which is not a question, determination or flag",
        "did you mean 'modern_slavery'?"),
    "undefined_contact": Expected(
        "national/actions.yaml", 52,
        "action 'nrm_referral' names contact 'modern_slavery_helpine', which is not defined",
        "did you mean 'modern_slavery_helpline'?"),
    # contract v2 contacts: who checked them, constants, sources users can find, and local slots
    "contact_checked_by_without_date": Expected(
        "national/contacts.yaml", 30, "contacts[modern_slavery_helpline]: 'checked_by' needs 'checked_on': the day "
        "they rang the number or loaded the page"),
    "contact_checked_without_role": Expected(
        "national/contacts.yaml", 30, "contacts[modern_slavery_helpline]: 'checked_on' needs 'checked_by': the role "
        "(not the name) of who checked it"),
    "contact_checked_in_the_future": Expected(
        "national/contacts.yaml", 30, "contacts[modern_slavery_helpline]: 'checked_on' is 2999-01-01, after today: "
        "record the day it was checked"),
    "constant_contact_checked": Expected(
        "national/contacts.yaml", 23,
        "contacts[emergency_999]: a constant number (999) is never shown as checked: remove 'checked_on'"),
    "constant_contact_not_an_emergency_number": Expected(
        "national/contacts.yaml", 28, "contacts[modern_slavery_helpline]: only 999, 112 and 101 are constant; "
        "'08000 121 700' is checked like any other number"),
    "contact_source_cites_facts_sheet": Expected(
        "national/contacts.yaml", 28, "contacts[modern_slavery_helpline].source: users see a contact's source: name "
        "the organisation, law or guidance, not the facts sheet, its source keys or the seed"),
    "contact_source_date_not_a_date": Expected(
        "national/contacts.yaml", 29, "contacts[modern_slavery_helpline].source_date: '2026-13' is not a date: write "
        "2024-08-22, or 2026-04 or 2020 when the source gives no day, or null when it is undated"),
    "contact_source_date_in_the_future": Expected(
        "national/contacts.yaml", 29, "contacts[modern_slavery_helpline]: 'source_date' is 2999-04, after today: "
        "give the source's own date"),
    "national_contact_fills_slot": Expected(
        "national/contacts.yaml", 25, "contacts[modern_slavery_helpline]: only a local pack's contact fills a "
        "contact slot; a national action names the slot itself"),
    "contact_slot_with_contact_id": Expected(
        "national/contacts.yaml", 15,
        "contact slot 'emergency_999' has the id of a contact; actions name both, so give the slot an id of its own"),
    "unknown_contact_slot": Expected(
        "local/minimal/contacts.yaml", 4, "contacts[local_housing]: 'hosuing' is not a contact slot of the national "
        "pack; slots: childrens_services, childrens_out_of_hours, housing", "did you mean 'housing'?"),
    "contact_slot_filled_twice": Expected(
        "local/minimal/contacts.yaml", 11, "contact slot 'housing' is already filled by 'local_housing'; a slot "
        "takes one contact: add others to the action through action_contacts"),
    "never_input_read": Expected(
        "national/actions.yaml", 62,
        "condition reads 'nationality', which must never be an input to a decision (invariants: never_inputs)"),
    "never_input_read_by_determination": Expected(
        "national/determinations.yaml", 10,
        "condition reads 'nationality', which must never be an input to a decision (invariants: never_inputs)"),
    "always_any_of_unknown_action": Expected(
        "national/invariants.yaml", 20, "invariant names action 'nrm_referal', which does not exist",
        "did you mean 'nrm_referral'?"),
    "always_any_of_and_actions": Expected(
        "national/invariants.yaml", 11,
        "invariants.always[children_go_to_childrens_services]: an 'always' rule names either 'actions' (all of "
        "them are listed) or 'any_of' (at least one of them is listed)"),
    "never_unknown_assumption": Expected(
        "national/invariants.yaml", 12, "invariant names assumption 'age_presumed_chlid', which does not exist",
        "did you mean 'age_presumed_child'?"),
    "invalid_yaml_syntax": Expected(
        "national/questions.yaml", 9, "invalid YAML: mapping values are not allowed here"),
    "yaml_python_tag": Expected(
        "national/contacts.yaml", 26,
        "tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed in a rule pack"),
    "alias_bomb": Expected(
        "national/guidance.yaml", 8, "document is too large: more than 100000 values once aliases are expanded"),
    "nesting_too_deep": Expected("national/actions.yaml", 8, "nesting is deeper than 40 levels"),
    "variant_unknown_key": Expected(
        "national/actions.yaml", 8,
        f"unknown key 'titel' in actions[emergency_999].variants[0]; allowed: "
        f"{', '.join(schema.VariantDoc.model_fields)}",
        "did you mean 'title'?"),
    "variant_without_wording": Expected(
        "national/actions.yaml", 7,
        "actions[emergency_999].variants[0]: a variant changes at least one of title, short_title, summary, who_acts"),
    "variant_misspelt_fact": Expected(
        "national/actions.yaml", 7, "condition refers to 'age_grup'", "did you mean 'age_group'?"),
    "overlay_changes_actions": Expected(
        "local/minimal/actions.yaml", 2,
        "a local pack may not change 'actions': it may only add contacts, services for needs, optional questions "
        "and availability flags, and change wording"),
    "overlay_redefines_contact": Expected(
        "local/minimal/contacts.yaml", 3,
        "contact 'emergency_999' is already defined by the national pack; a local pack may only add contacts, "
        "under new ids"),
    "overlay_availability_value": Expected(
        "local/minimal/availability.yaml", 3,
        "flag 'victim_care_pathway' cannot be 'yes'; allowed: available, unavailable, unknown"),
    "overlay_services_missing_need": Expected(
        "local/minimal/services.yaml", 2,
        "services: need 'hot_food' has no entry; name a service or say 'none_recorded: true'"),
    "overlay_extends_wrong_pack": Expected(
        "local/minimal/pack.yaml", 7,
        "this local pack extends 'england-wales', but the national pack is 'minimal-national'"),
    "overlay_required_question": Expected(
        "local/minimal/questions.yaml", 3,
        "question 'local_housing_checked' must say 'optional: true': a local pack may only add optional questions"),
}

SEVERAL: dict[str, list[Expected]] = {
    # Cross-checks: four faults in three national files and the overlay, all reported together.
    "several_problems": [
        Expected("local/minimal/availability.yaml", 3,
                 "flag 'victim_care_pathway' cannot be 'yes'; allowed: available, unavailable, unknown"),
        Expected("national/actions.yaml", 48, "condition refers to 'purpsoe'", "did you mean 'purpose'?"),
        Expected("national/actions.yaml", 53,
                 "action 'nrm_referral' names contact 'modern_slavery_helpine', which is not defined",
                 "did you mean 'modern_slavery_helpline'?"),
        Expected("national/determinations.yaml", 20,
                 "logic can only combine yes/no facts, and 'age_group' is a choice fact; use a condition instead"),
    ],
    # Reading: a YAML error in one file does not hide a schema error in another, nor the overlay's.
    "several_read_problems": [
        Expected("local/minimal/actions.yaml", 2,
                 "a local pack may not change 'actions': it may only add contacts, services for needs, optional "
                 "questions and availability flags, and change wording"),
        Expected("national/contacts.yaml", 32,
                 "unknown key 'last_verified' in contacts[modern_slavery_helpline]; allowed: "
                 f"{', '.join(schema.ContactDoc.model_fields)}"),
        Expected("national/questions.yaml", 9, "invalid YAML: mapping values are not allowed here"),
    ],
}

# Files a case may add or change beyond the one its problem is reported in.
ALSO_CHANGED = {
    "never_input_read": {"national/questions.yaml"},
    "never_input_read_by_determination": {"national/questions.yaml"},
    "never_unknown_assumption": {"national/determinations.yaml"},
}


def load_root(root: Path, *, overlay: bool = True) -> Rulebook:
    return load_rulebook(root / "national", root / LOCAL if overlay else None)


def problems_of(root: Path, *, overlay: bool = True) -> list[PackProblem]:
    with pytest.raises(PackError) as caught:
        load_root(root, overlay=overlay)
    return caught.value.problems


def as_found(root: Path, problem: PackProblem) -> Expected:
    """The problem with its file made relative to the rules root (the loader shows it relative to cwd)."""
    file = Path(problem.file).resolve().relative_to(root.resolve()).as_posix()
    assert problem.line is not None, str(problem)
    return Expected(file, problem.line, problem.message, problem.suggestion)


def files_of(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*.yaml")}


# --------------------------------------------------------------------------- packs that load


def test_minimal_base_pack_loads_cleanly_with_and_without_its_overlay() -> None:
    alone = load_root(VALID, overlay=False)
    overlaid = load_root(VALID)
    assert [p.id for p in alone.packs] == ["minimal-national"]
    assert [p.id for p in overlaid.packs] == ["minimal-national", "minimal-local"]
    assert alone.flags["victim_care_pathway"].value == "unknown"
    assert overlaid.flags["victim_care_pathway"].value == "available"
    assert overlaid.needs["accommodation"].service is not None
    assert overlaid.needs["accommodation"].service.contact is not None
    assert overlaid.needs["accommodation"].service.contact.id == "local_housing"


def test_shipped_national_pack_loads_alone(national_book: Rulebook) -> None:
    assert [p.id for p in national_book.packs] == ["england-wales"]
    assert national_book.flags["victim_care_pathway"].value == "unknown"


def test_shipped_national_pack_loads_with_the_lewisham_overlay(lewisham_book: Rulebook) -> None:
    assert [p.id for p in lewisham_book.packs] == ["england-wales", "lewisham"]
    assert lewisham_book.flags["victim_care_pathway"].value == "available"
    assert lewisham_book.flags["victim_care_pathway"].set_by == "lewisham"
    # every need names a service or says plainly that none is recorded
    assert all(need.service is not None for need in lewisham_book.needs.values())


# --------------------------------------------------------------------------- one fault each


@pytest.mark.parametrize("case", sorted(ONE_FAULT))
def test_broken_pack_is_rejected_at_its_file_line_and_message(case: str) -> None:
    root = INVALID / case
    problems = problems_of(root)
    assert [as_found(root, p) for p in problems] == [ONE_FAULT[case]]


@pytest.mark.parametrize("case", sorted(c for c, e in ONE_FAULT.items() if e.file.startswith("national/")))
def test_national_fault_is_also_caught_without_an_overlay(case: str) -> None:
    root = INVALID / case
    assert [as_found(root, p) for p in problems_of(root, overlay=False)] == [ONE_FAULT[case]]


@pytest.mark.parametrize("case", sorted(c for c, e in ONE_FAULT.items() if e.file.startswith("local/")))
def test_overlay_fault_does_not_touch_the_national_pack(case: str) -> None:
    """The national pack of an overlay case is the valid base: alone, it loads."""
    load_root(INVALID / case, overlay=False)


def test_problem_reads_compiler_style_with_the_path_line_and_suggestion() -> None:
    with pytest.raises(PackError) as caught:
        load_root(INVALID / "misspelt_fact")
    report = str(caught.value)
    first, last = report.splitlines()
    assert re.fullmatch(
        r".*tests/packs/invalid/misspelt_fact/national/actions\.yaml:48: "
        r"condition refers to 'purpsoe' \(did you mean 'purpose'\?\)",
        first.replace(os.sep, "/"),
    )
    assert last == "1 problem found."


def test_python_tag_is_refused_without_running_anything(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    monkeypatch.setattr(os, "system", lambda command: calls.append(command) or 0)
    problems = problems_of(INVALID / "yaml_python_tag")
    assert [as_found(INVALID / "yaml_python_tag", p) for p in problems] == [ONE_FAULT["yaml_python_tag"]]
    assert calls == []


# --------------------------------------------------------------------------- several at once


@pytest.mark.parametrize("case", sorted(SEVERAL))
def test_every_problem_is_reported_at_once(case: str) -> None:
    root = INVALID / case
    with pytest.raises(PackError) as caught:
        load_root(root)
    assert [as_found(root, p) for p in caught.value.problems] == SEVERAL[case]
    assert str(caught.value).splitlines()[-1] == f"{len(SEVERAL[case])} problems found."


# --------------------------------------------------------------------------- made in the test


def copy_base(tmp_path: Path) -> Path:
    root = tmp_path / "rules"
    shutil.copytree(VALID, root)
    return root


def test_file_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    root = copy_base(tmp_path)
    questions = root / "national" / "questions.yaml"
    padding = "# " + "x" * 98 + "\n"
    questions.write_text(questions.read_text() + padding * (MAX_FILE_BYTES // len(padding) + 1))
    assert questions.stat().st_size > MAX_FILE_BYTES
    assert [as_found(root, p) for p in problems_of(root)] == [
        Expected("national/questions.yaml", 1, "file is larger than 512 KiB; split it or trim it")
    ]


def test_nesting_built_from_aliases_is_refused_not_a_crash(tmp_path: Path) -> None:
    """Each anchor is shallow, but each wraps the one before: expanded, the condition is hundreds deep."""
    root = copy_base(tmp_path)
    actions = root / "national" / "actions.yaml"
    text = actions.read_text()
    anchor = "    reasons:\n      - text: You said someone may be in immediate danger ({immediate_danger}).\n"
    assert text.count(anchor) == 1
    links = []
    for k in range(40):
        inner = f"*link{k - 1}" if k else '{immediate_danger: "no"}'
        links.append(f"      - when: &link{k} {'{not: {not: ' * 15}{inner}{'}}' * 15}\n        text: Shown.\n")
    actions.write_text(text.replace(anchor, anchor + "".join(links)))
    first_alias_line = text[: text.index(anchor)].count("\n") + anchor.count("\n") + 3
    assert [as_found(root, p) for p in problems_of(root)] == [
        Expected("national/actions.yaml", first_alias_line,
                 f"nesting is deeper than {MAX_DEPTH} levels once aliases are expanded")
    ]


def test_a_number_too_long_to_parse_is_a_problem_at_its_line(tmp_path: Path) -> None:
    """Python refuses ints of more than 4,300 digits; the loader reports the file and line, not a ValueError."""
    root = copy_base(tmp_path)
    line = _append(root / "national" / "questions.yaml", f"\n  - id: {'9' * 5000}\n")
    assert [as_found(root, p) for p in problems_of(root)] == [Expected(
        "national/questions.yaml", line, "a number of 5000 digits is too long to read; quote it if it is text")]


def test_a_pack_file_that_is_not_utf8_is_a_problem_at_its_line(tmp_path: Path) -> None:
    root = copy_base(tmp_path)
    flags = root / "national" / "flags.yaml"
    text = flags.read_bytes()
    flags.write_bytes(text.replace(b"label: A local", b"label: A caf\xe9 local", 1))
    line = text[: text.index(b"label: A local")].count(b"\n") + 1
    assert [as_found(root, p) for p in problems_of(root)] == [Expected(
        "national/flags.yaml", line, "not UTF-8 text (byte 0xe9 cannot be read); save the file as UTF-8")]


ACTION_TEMPLATE = """
  - id: {ident}
    title: Extra action
    summary: An action added by the test.
    who_acts: You
    due:
      immediate_danger: "yes"
    urgency:
      - level: 3
    reasons:
      - text: Added by the test.
    source: Test source
"""

OPTIONAL_TEMPLATE = """
  - id: {ident}
    section: Needs
    short: Extra
    type: tri_state
    optional: true
    text: An optional question added by the test?
    why: The test needs it.
    source: Test source
"""


def _append(path: Path, text: str) -> int:
    """Append ``text`` (one list item) to a file; the line of its ``- id:``."""
    before = path.read_text()
    path.write_text(before + text)
    return before.count("\n") + text[: text.index("- id:")].count("\n") + 1


@pytest.mark.parametrize(("ident", "kind"), [
    ("immediate_danger", "questions"), ("trafficking", "determinations"), ("victim_care_pathway", "flags"),
])
def test_an_action_may_not_share_an_id_with_another_kind(tmp_path: Path, ident: str, kind: str) -> None:
    root = copy_base(tmp_path)
    line = _append(root / "national" / "actions.yaml", ACTION_TEMPLATE.format(ident=ident))
    expected = Expected("national/actions.yaml", line, f"id '{ident}' is used by both {kind} and actions")
    assert [as_found(root, p) for p in problems_of(root, overlay=False)] == [expected]


@pytest.mark.parametrize(("ident", "kind"), [
    ("modern_slavery", "determinations"), ("victim_care_pathway", "flags"), ("nrm_referral", "actions"),
])
def test_an_optional_question_may_not_share_an_id_with_another_kind(tmp_path: Path, ident: str, kind: str) -> None:
    root = copy_base(tmp_path)
    line = _append(root / "national" / "questions.yaml", OPTIONAL_TEMPLATE.format(ident=ident))
    first, second = ("questions", kind) if kind == "actions" else (kind, "questions")
    file, at = ("national/actions.yaml", None) if kind == "actions" else ("national/questions.yaml", line)
    found = [as_found(root, p) for p in problems_of(root, overlay=False)]
    assert [(f.file, f.message) for f in found] == [(file, f"id '{ident}' is used by both {first} and {second}")]
    if at is not None:
        assert found[0].line == at


def test_a_local_optional_question_may_not_take_an_action_id(tmp_path: Path) -> None:
    root = copy_base(tmp_path)
    questions = root / LOCAL / "questions.yaml"
    questions.write_text("optional_questions:" + OPTIONAL_TEMPLATE.format(ident="nrm_referral"))
    assert [as_found(root, p) for p in problems_of(root)] == [Expected(
        "local/minimal/questions.yaml", 2,
        "question 'nrm_referral' has the id of an action; a local pack adds questions under new ids")]


# --------------------------------------------------------------------------- the fixtures stay honest


def test_every_broken_pack_on_disk_is_tested_and_listed_in_the_readme() -> None:
    on_disk = {p.name for p in INVALID.iterdir() if p.is_dir()}
    assert on_disk == set(ONE_FAULT) | set(SEVERAL)
    readme = (INVALID / "README.md").read_text()
    listed = set(re.findall(r"^\| `([a-z_]+)` \|", readme, flags=re.MULTILINE))
    assert listed == on_disk


@pytest.mark.parametrize("case", sorted(ONE_FAULT))
def test_readme_shows_where_each_case_fails(case: str) -> None:
    expected = ONE_FAULT[case]
    readme = (INVALID / "README.md").read_text()
    assert f"| `{case}` | `{expected.file}:{expected.line}` |" in readme


@pytest.mark.parametrize("case", sorted(ONE_FAULT))
def test_broken_pack_differs_from_the_base_only_where_its_fault_is(case: str) -> None:
    """So that a change to the base pack is copied into every case, and each case keeps one fault."""
    root = INVALID / case
    allowed = {ONE_FAULT[case].file} | ALSO_CHANGED.get(case, set())
    changed = {
        f for f in files_of(root) | files_of(VALID)
        if not (root / f).is_file() or not (VALID / f).is_file()
        or not filecmp.cmp(root / f, VALID / f, shallow=False)
    }
    assert changed <= allowed
    assert ONE_FAULT[case].file in changed
