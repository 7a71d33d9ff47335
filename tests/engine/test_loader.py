"""The loader rejects each deliberately broken pack of tests/packs/faults.py at its exact file, line and
message, reports every problem at once, and loads the shipped packs and the minimal base cleanly.

Each broken pack is made in the test from tests/packs/valid_minimal/ by the few line edits its entry
in the fault table names; an edit whose lines are gone from the base fails, naming the fault."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from app.engine import PackError, PackProblem, Rulebook, load_rulebook, verify
from app.engine.yaml_source import MAX_DEPTH, MAX_FILE_BYTES
from tests.conftest import ROOT
from tests.packs.edits import StaleFault
from tests.packs.faults import FAULTS, Expected, build

PACKS = ROOT / "tests" / "packs"
VALID = PACKS / "valid_minimal"
LOCAL = Path("local") / "minimal"

# The faults reported in one file of the national pack alone, or in the overlay alone.
NATIONAL = sorted(n for n, f in FAULTS.items() if all(p.file.startswith("national/") for p in f.problems))
OVERLAY = sorted(n for n, f in FAULTS.items() if all(p.file.startswith("local/") for p in f.problems))
ONE_PROBLEM = sorted(n for n, f in FAULTS.items() if len(f.problems) == 1)
SEVERAL = sorted(n for n, f in FAULTS.items() if len(f.problems) > 1)


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


def broken(name: str, tmp_path: Path) -> tuple[Path, list[Expected]]:
    """The fault ``name`` made from a copy of the base pack: its rules root and the problems expected."""
    root = tmp_path / name
    return root, build(name, root)


@pytest.mark.parametrize("case", ONE_PROBLEM)
def test_broken_pack_is_rejected_at_its_file_line_and_message(case: str, tmp_path: Path) -> None:
    root, expected = broken(case, tmp_path)
    with pytest.raises(PackError) as caught:
        load_root(root)
    assert [as_found(root, p) for p in caught.value.problems] == expected
    assert str(caught.value).splitlines()[-1] == "1 problem found."


@pytest.mark.parametrize("case", NATIONAL)
def test_national_fault_is_also_caught_without_an_overlay(case: str, tmp_path: Path) -> None:
    root, expected = broken(case, tmp_path)
    assert [as_found(root, p) for p in problems_of(root, overlay=False)] == expected


@pytest.mark.parametrize("case", OVERLAY)
def test_overlay_fault_does_not_touch_the_national_pack(case: str, tmp_path: Path) -> None:
    """The national pack of an overlay case is the valid base: alone, it loads."""
    root, _ = broken(case, tmp_path)
    load_root(root, overlay=False)


def test_problem_reads_compiler_style_with_the_path_line_and_suggestion(tmp_path: Path) -> None:
    root, [expected] = broken("misspelt_fact", tmp_path)
    with pytest.raises(PackError) as caught:
        load_root(root)
    report = str(caught.value)
    first, last = report.splitlines()
    assert re.fullmatch(
        rf".*/misspelt_fact/national/actions\.yaml:{expected.line}: "
        r"condition refers to 'purpsoe' \(did you mean 'purpose'\?\)",
        first.replace(os.sep, "/"),
    )
    assert last == "1 problem found."


def test_python_tag_is_refused_without_running_anything(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    calls: list[str] = []
    monkeypatch.setattr(os, "system", calls.append)
    root, expected = broken("yaml_python_tag", tmp_path)
    assert [as_found(root, p) for p in problems_of(root)] == expected
    assert calls == []


# --------------------------------------------------------------------------- several at once


@pytest.mark.parametrize("case", SEVERAL)
def test_every_problem_is_reported_at_once(case: str, tmp_path: Path) -> None:
    root, expected = broken(case, tmp_path)
    with pytest.raises(PackError) as caught:
        load_root(root)
    assert [as_found(root, p) for p in caught.value.problems] == expected
    assert str(caught.value).splitlines()[-1] == f"{len(expected)} problems found."


# --------------------------------------------------------------------------- made in the test


def copy_base(tmp_path: Path) -> Path:
    root = tmp_path / "rules"
    shutil.copytree(VALID, root)
    return root


def test_a_section_missing_from_its_own_file_is_reported_in_that_file(tmp_path: Path) -> None:
    """actions.yaml holding an empty mapping: the missing section is named at that file, not the folder."""
    root = copy_base(tmp_path)
    (root / "national" / "actions.yaml").write_text("{}\n")
    assert Expected("national/actions.yaml", 1, "the pack has no 'actions' section") in [
        as_found(root, p) for p in problems_of(root)]


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


def test_a_fault_whose_line_is_gone_from_the_base_fails_naming_the_fault_and_the_line(tmp_path: Path) -> None:
    base = copy_base(tmp_path)
    actions = base / "national" / "actions.yaml"
    actions.write_text(actions.read_text().replace("- when: {purpose: unsure}", "- when: {purpose: 'no'}"))
    with pytest.raises(StaleFault, match=re.escape(
            "fault 'misspelt_fact': tests/packs/valid_minimal/national/actions.yaml no longer has the line(s) "
            "'      - when: {purpose: unsure}'")):
        build("misspelt_fact", tmp_path / "broken", base=base)


def test_a_fault_whose_line_is_no_longer_unique_fails_naming_the_fault(tmp_path: Path) -> None:
    base = copy_base(tmp_path)
    flags = base / "national" / "flags.yaml"
    flags.write_text(flags.read_text() + "flags:\n")
    with pytest.raises(StaleFault, match=re.escape(
            "fault 'unknown_section': tests/packs/valid_minimal/national/flags.yaml has 2 times the line(s) "
            "'flags:'")):
        build("unknown_section", tmp_path / "broken", base=base)


def test_a_fault_adding_a_file_the_base_now_has_fails_naming_the_fault(tmp_path: Path) -> None:
    base = copy_base(tmp_path)
    (base / LOCAL / "questions.yaml").write_text("optional_questions: []\n")
    with pytest.raises(StaleFault, match=re.escape(
            "fault 'overlay_required_question': tests/packs/valid_minimal/local/minimal/questions.yaml now exists")):
        build("overlay_required_question", tmp_path / "broken", base=base)


def test_the_minimal_base_pack_passes_every_check_of_pathway_verify() -> None:
    """The faults are made from this pack: it is sound, alone and with its overlay, on every path."""
    checks = [
        "every listed action has reasons and a source", "urgency is always settled",
        "no condition is always true or always false", "every determination is settled on every complete walk",
        "never: no_adult_questions_for_children", "always: children_go_to_childrens_services",
        "ordering: childrens_services_before_nrm", "no asked question is pointless",
        "every question is reachable", "every action is reachable", "every determination value is reachable",
    ]
    for overlay in (False, True):
        report = verify(load_root(VALID, overlay=overlay))
        assert report.violations == []
        assert report.checks == checks
        assert set(report.action_paths) == {"emergency_999", "childrens_social_care", "nrm_referral",
                                            "housing_referral"}


def test_nothing_points_at_the_committed_broken_packs_they_replace() -> None:
    """The broken packs are made from the fault table, not kept under tests/packs/invalid/."""
    assert not (PACKS / "invalid").exists()
    for doc in [ROOT / "README.md", PACKS / "README.md", *(ROOT / "docs").glob("*.md"),
                *(VALID / "national").glob("*.yaml")]:
        assert "tests/packs/invalid" not in doc.read_text(encoding="utf-8"), doc
