"""`pathway verify`: the shipped packs pass; each declared invariant catches a seeded fault,
with a counterexample that is a runnable scenario."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from app.cli import main
from app.engine.loader import load_rulebook
from app.engine.rulebook import Rulebook
from app.engine.scenarios import run_scenario
from app.engine.verify import Verifier, value_classes
from tests.conftest import RULES


def faulty_pack(tmp_path: Path, file: str, old: str, new: str) -> Path:
    """A copy of the rules with one fault seeded by replacing text in one national file."""
    root = tmp_path / "rules"
    shutil.copytree(RULES, root)
    target = root / "national" / file
    text = target.read_text()
    assert text.count(old) == 1, f"seed text not found exactly once in {file}: {old!r}"
    target.write_text(text.replace(old, new))
    return root


def book_at(root: Path, local: str | None = "lewisham") -> Rulebook:
    return load_rulebook(root / "national", root / "local" / local if local else None)


@pytest.mark.parametrize("local", [None, "lewisham"])
def test_shipped_packs_verify(local: str | None, national_book: Rulebook, lewisham_book: Rulebook) -> None:
    """Every path of the shipped packs keeps every invariant, and every action and value is reachable."""
    book = lewisham_book if local else national_book
    started = time.perf_counter()
    report = Verifier(book).run()
    elapsed = time.perf_counter() - started
    assert report.violations == []
    assert report.paths > 10**14  # all answer combinations, not a sample
    assert elapsed < 15, f"verify took {elapsed:.1f} s; the budget is 5 s (3x slack for shared CI)"
    assert all(report.action_paths[a.id] > 0 for a in book.actions if a.id != "local_pathway" or local)
    assert report.determination_paths[("trafficking", "possible")] > 0
    assert report.determination_paths[("duty_to_notify_basis", None)] > 0


SEEDED = [
    pytest.param(
        "actions.yaml",
        """    due:
      all:
        - treated_as_child: false
        - modern_slavery: [yes, possible]
        - consent_nrm: not_asked""",
        """    due:
      all:
        - modern_slavery: [yes, possible]
        - not: {consent_nrm: "yes"}""",
        "no_adult_routes_for_children", {"not_referrals": ["seek_consent"]},
        id="seek_consent lost its adult-only guard",
    ),
    pytest.param(
        "actions.yaml",
        """    urgency:
      - level: 1
        when:
          all:
            - treated_as_child: true
            - any:
                - modern_slavery: [yes, possible]
                - homeless_or_at_risk: [tonight, unsure]
                - immediate_danger: [yes, unsure]
      - level: 2
    reasons:
      - when: {age_group: child}""",
        """    urgency:
      - level: 3
    reasons:
      - when: {age_group: child}""",
        "childrens_services_before_nrm", {"order": ["childrens_social_care", "nrm_referral"]},
        id="children's services lost their urgency",
    ),
    pytest.param(
        "actions.yaml",
        """            - all:
                - consent_nrm: "yes"
                - not: {capacity_concern: "yes"}""",
        """            - not: {capacity_concern: "yes"}""",
        "no_nrm_without_consent", {"not_referrals": ["nrm_referral"]},
        id="nrm_referral lost its consent guard",
    ),
    pytest.param(
        "questions.yaml",
        """    ask_when:
      all:
        - treated_as_child: false
        - modern_slavery: [yes, possible]
        - capacity_concern: [no, unsure]""",
        """    ask_when:
      modern_slavery: [yes, possible]""",
        "no_adult_questions_for_children", {"not_asked": ["consent_nrm"]},
        id="consent asked of children",
    ),
    pytest.param(
        "actions.yaml",
        """  - id: emergency_999
    title: Call 999 now
    summary: Call the police on 999 before anything else.
    who_acts: You, now
    due:
      immediate_danger: [yes, unsure]
    urgency:
      - level: 1""",
        """  - id: emergency_999
    title: Call 999 now
    summary: Call the police on 999 before anything else.
    who_acts: You, now
    due:
      immediate_danger: [yes, unsure]
    urgency:
      - level: 2""",
        "emergency_first", {"order": ["emergency_999"]},
        id="999 lost its urgency",
    ),
    pytest.param(
        "actions.yaml",
        """    due:
      any:
        - treated_as_child: true
        - dependent_children: [yes, unsure]""",
        """    due:
      any:
        - age_group: child
        - dependent_children: [yes, unsure]""",
        "children_go_to_childrens_services", {"referrals": ["childrens_social_care"]},
        id="children's services forgot age uncertain",
    ),
]


@pytest.mark.parametrize(("file", "old", "new", "check", "expect"), SEEDED)
def test_each_invariant_catches_a_seeded_fault(tmp_path: Path, file: str, old: str, new: str, check: str,
                                               expect: dict[str, list[str]]) -> None:
    """The seeded fault is found, with a counterexample that fails as a scenario on the faulty pack
    and passes on the shipped one."""
    root = faulty_pack(tmp_path, file, old, new)
    report = Verifier(book_at(root)).run()
    found = [v for v in report.violations if v.check == check]
    assert found, f"{check} not reported; got {[v.check for v in report.violations]}"
    violation = found[0]
    for key, ids in expect.items():
        assert violation.expect.get(key) == ids or set(ids) <= set(violation.expect.get(key, []))
    scenario = tmp_path / "counterexample.yaml"
    scenario.write_text(violation.scenario_yaml("lewisham"))
    on_faulty = run_scenario(scenario, lambda local: book_at(root, local))
    assert not on_faulty.passed
    on_shipped = run_scenario(scenario, lambda local: book_at(RULES, local))
    if check not in ("no_adult_questions_for_children",):
        assert on_shipped.passed or any("does not answer" in f for f in on_shipped.failures), on_shipped.failures


def test_a_pointless_question_is_reported(tmp_path: Path) -> None:
    """Asking 'others at risk' of a child, where it cannot change anything, is reported as pointless."""
    root = faulty_pack(tmp_path, "questions.yaml", """    ask_when:
      all:
        - treated_as_child: false
        - modern_slavery: [yes, possible]
    source: First Responder Toolkit 2026 (facts §4, §9)""", """    ask_when:
      modern_slavery: [yes, possible]
    source: First Responder Toolkit 2026 (facts §4, §9)""")
    report = Verifier(book_at(root)).run()
    assert [v.check for v in report.violations] == ["pointless_other_victims"]
    assert report.violations[0].answers["age_group"] in ("child", "uncertain")


def test_a_reason_that_never_shows_is_reported(tmp_path: Path) -> None:
    """A reason whose condition can never hold where it is read is dead text, and is reported."""
    root = faulty_pack(tmp_path, "actions.yaml", """      - when: {treated_as_child: true}
        text: For a child, children's services will usually make the referral.""",
                       """      - when: {all: [{treated_as_child: true}, {age_group: adult}]}
        text: For a child, children's services will usually make the referral.""")
    report = Verifier(book_at(root)).run()
    assert "always_false_first_responder_contact_reason_2" in [v.check for v in report.violations]


def test_cli_verify_prints_a_pasteable_counterexample(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`pathway verify` exits 1 and prints the counterexample as scenario YAML."""
    file, old, new = SEEDED[0].values[:3]  # type: ignore[misc]
    root = faulty_pack(tmp_path, file, old, new)
    assert main(["verify", "--rules", str(root), "--local", "lewisham"]) == 1
    out = capsys.readouterr().out
    assert "VIOLATION no_adult_routes_for_children" in out
    assert "answers:\n  immediate_danger:" in out
    assert "  not_referrals: [seek_consent]" in out


def test_cli_verify_passes_and_prints_coverage(capsys: pytest.CaptureFixture[str]) -> None:
    """On the shipped packs `pathway verify` exits 0 with a coverage matrix naming scenarios."""
    assert main(["verify", "--rules", str(RULES), "--local", "lewisham"]) == 0
    out = capsys.readouterr().out
    assert "all checks passed" in out
    assert "states standing for" in out
    line = next(row for row in out.splitlines() if row.startswith("seek_consent "))
    assert "consent_not_asked_hmo" in line


def test_value_classes_group_what_the_rules_read(lewisham_book: Rulebook) -> None:
    """Organisations group by what the rules read; unread multi-choice options collapse into one."""
    classes = value_classes(lewisham_book)
    organisations = [c.value for c in classes["organisation"]]
    assert len(organisations) < 9
    assert sum(c.count for c in classes["organisation"]) == 9
    assert sum(c.count for c in classes["longer_term_needs"]) == 2 ** 8
    assert len(classes["immediate_needs"]) == 2  # only 'health' is read
