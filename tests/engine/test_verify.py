"""`pathway verify`: the shipped packs pass; each declared invariant catches a seeded fault,
with a counterexample that is a runnable scenario."""

from __future__ import annotations

import itertools
import shutil
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.cli import main
from app.engine.loader import load_rulebook
from app.engine.rulebook import Rulebook
from app.engine.scenarios import run_scenario
from app.engine.verifier import Verifier, Violation, answers_count, value_classes
from app.engine.walk import WalkState, walk_state
from tests.conftest import ROOT, RULES

VERIFY_PACK = ROOT / "tests" / "packs" / "verify"  # a small pack of the invariant language's every kind


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
    assert report.determination_paths[("consent_status", "cannot_ask")] > 0
    assert {"always: duty_to_notify_never_dropped", "always: cannot_ask_keeps_the_route_open",
            "never: no_consent_assumptions_for_children"} <= set(report.checks)


SEEDED = [
    pytest.param(
        "actions.yaml",
        """    due:
      all:
        - treated_as_child: false
        - partner_or_family_exploiter: [yes, unsure]""",
        """    due:
      partner_or_family_exploiter: [yes, unsure]""",
        "no_adult_routes_for_children", {"not_referrals": ["domestic_abuse_support"]},
        id="domestic abuse support lost its adult-only guard",
    ),
    pytest.param(
        "actions.yaml",
        """      - level: 1
        when:
          any:
            - modern_slavery: [yes, possible]
            - homeless_or_at_risk: [tonight, unsure]
            - immediate_danger: [yes, unsure]
      - level: 2""",
        """      - level: 3""",
        "childrens_services_before_child_routes", {"order": ["childrens_social_care"]},
        id="children's services lost their urgency",
    ),
    pytest.param(
        "actions.yaml",
        """        - any:
            - treated_as_child: true
            - consent_status: given""",
        """        - any:
            - treated_as_child: true
            - consent_status: [given, declined]""",
        "no_nrm_without_consent", {"not_referrals": ["nrm_referral"]},
        id="nrm_referral lost its consent guard",
    ),
    pytest.param(
        "questions.yaml",
        """        - treated_as_child: false
        - modern_slavery: [yes, possible]
        - not: {capacity_concern: "yes"}""",
        """        - modern_slavery: [yes, possible]
        - not: {capacity_concern: "yes"}""",
        "no_consent_questions_for_children", {"not_asked": ["consent_nrm"]},
        id="consent asked of children",
    ),
    pytest.param(
        "actions.yaml",
        """    due:
      immediate_danger: [yes, unsure]
    urgency:
      - level: 1""",
        """    due:
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
    # always ... any_of
    pytest.param(
        "actions.yaml",
        """            - consent_status: [declined, cannot_ask]
            - capacity_concern: "yes\"""",
        """            - consent_status: cannot_ask
            - capacity_concern: "yes\"""",
        "duty_to_notify_never_dropped", {"any_referrals": ["nrm_referral", "duty_to_notify", "seek_consent"]},
        id="a duty holder's refusal drops the s52 duty",
    ),
    pytest.param(
        "actions.yaml",
        """        - modern_slavery: [yes, possible]
        - consent_status: [not_asked, cannot_ask]""",
        """        - modern_slavery: [yes, possible]
        - consent_status: not_asked""",
        "cannot_ask_keeps_the_route_open", {"any_referrals": ["seek_consent", "duty_to_notify"]},
        id="cannot ask no longer seeks consent",
    ),
    # never ... assumptions
    pytest.param(
        "determinations.yaml",
        """        - consent_nrm: ["yes", "no"]
        - not: {safe_to_talk: "yes"}
        - consent_given_alone: ["no", unsure]""",
        """        - not: {safe_to_talk: "yes"}
        - not: {consent_given_alone: "yes"}""",
        "no_consent_assumptions_for_children", {"not_assumptions": ["consent_not_free"]},
        id="consent_not_free said of a child",
    ),
    pytest.param(
        "determinations.yaml",
        """        - modern_slavery: possible
        - not: {action: "yes"}
""",
        """        - modern_slavery: possible
""",
        "nothing_confirmed_only_when_nothing_is_met", {"not_assumptions": ["nothing_confirmed"]},
        id="nothing confirmed, though the action element is met",
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
    if check not in ("no_consent_questions_for_children",):
        assert on_shipped.passed or any("does not answer" in f for f in on_shipped.failures), on_shipped.failures


# The pointless-question check counts the test card and the assumptions, and exempts the
# questions asked always or for the record: each seed shows one side of that on the shipped pack.
POINTLESS_SEEDED = [
    pytest.param(
        "questions.yaml",
        """        - treated_as_child: false
        - purpose: [yes, unsure]
        - not: {exploited_as_child: "yes"}""",
        """        - purpose: [yes, unsure]
        - not: {exploited_as_child: "yes"}""",
        "pointless_means", True,
        id="means asked of a child, where the test card shows it as not required",
    ),
    pytest.param(
        "determinations.yaml",
        """      - when:
          all:
            - consent_nrm: ["yes", "no"]
            - consent_given_alone: ["no", unsure]
        value: cannot_ask
        because: They may not have given their answer when they could speak alone.
""",
        "",
        "pointless_consent_given_alone", False,
        id="consent_given_alone read only by an assumption still counts",
    ),
    pytest.param(
        "questions.yaml",
        """    short: Children at risk
    type: tri_state
    record: true""",
        """    short: Children at risk
    type: tri_state""",
        "pointless_dependent_children", True,
        id="dependent_children, for a child, is asked for the record only",
    ),
]


@pytest.mark.parametrize(("file", "old", "new", "check", "reported"), POINTLESS_SEEDED)
def test_pointless_check_on_the_shipped_pack(tmp_path: Path, file: str, old: str, new: str, check: str,
                                             reported: bool) -> None:
    root = faulty_pack(tmp_path, file, old, new)
    report = Verifier(book_at(root)).run()
    found = [v for v in report.violations if v.check == check]
    assert bool(found) == reported, [v.check for v in report.violations]
    if found:
        scenario = tmp_path / "counterexample.yaml"
        scenario.write_text(found[0].scenario_yaml("lewisham"))
        result = run_scenario(scenario, lambda local: book_at(root, local))
        assert result.passed, result.failures  # a complete walk of the faulty pack that asks the question
        assert check.removeprefix("pointless_") in result.asked


def test_a_pointless_question_is_reported(tmp_path: Path) -> None:
    """Asking about consent where the answer cannot matter (it was not asked) is reported as pointless."""
    root = faulty_pack(tmp_path, "questions.yaml", """        - treated_as_child: false
        - consent_nrm: ["yes", "no"]
        - not: {safe_to_talk: "yes"}""", """        - treated_as_child: false
        - modern_slavery: [yes, possible]
        - not: {capacity_concern: "yes"}
        - not: {safe_to_talk: "yes"}""")
    report = Verifier(book_at(root)).run()
    found = [v for v in report.violations if v.check == "pointless_consent_given_alone"]
    assert found
    assert found[0].answers["consent_nrm"] in ("not_asked", "cannot_ask")


def test_a_reason_that_never_shows_is_reported(tmp_path: Path) -> None:
    """A reason whose condition can never hold where it is read is dead text, and is reported."""
    never = "      - when: {all: [{consent_nrm: cannot_ask}, {treated_as_child: true}]}"
    root = faulty_pack(tmp_path, "actions.yaml", """      - when: {consent_nrm: cannot_ask}
        text: >-
          It was not safe or not possible to ask""", f"""{never}
        text: >-
          It was not safe or not possible to ask""")
    report = Verifier(book_at(root)).run()
    assert "always_false_seek_consent_reason_2" in [v.check for v in report.violations]


def test_cli_verify_prints_a_pasteable_counterexample(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`pathway verify` exits 1 and prints the counterexample as scenario YAML."""
    file, old, new = (str(value) for value in SEEDED[0].values[:3])
    root = faulty_pack(tmp_path, file, old, new)
    assert main(["verify", "--rules", str(root), "--local", "lewisham"]) == 1
    out = capsys.readouterr().out
    assert "VIOLATION no_adult_routes_for_children" in out
    assert "answers:\n  immediate_danger:" in out
    assert "  not_referrals: [domestic_abuse_support]" in out


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
    # 'not_known' is chosen only on its own: a multi-choice answer is any set of the other options, or it
    types = lewisham_book.question("exploitation_types")
    assert answers_count(types) == 2 ** (len(types.values) - 1) + 1
    assert sum(c.count for c in classes["exploitation_types"]) == answers_count(types)
    assert frozenset({"not_known"}) in [c.value for c in classes["exploitation_types"]]
    assert not any("not_known" in c.value and len(c.value) > 1 for c in classes["exploitation_types"])


def test_the_skeleton_is_walked_over_what_ask_when_reads(lewisham_book: Rulebook) -> None:
    """A skeleton question is explored once per answer the walk tells apart (for exploitation types: with
    or without 'not known'); the checks enumerate the finer classes within each."""
    verifier = Verifier(lewisham_book)
    walk = verifier.walk_classes["exploitation_types"]
    assert sorted("not_known" in c.value for c in walk) == [False, True]
    assert sum(c.count for c in walk) == answers_count(lewisham_book.question("exploitation_types"))
    assert len(verifier.classes["exploitation_types"]) > len(walk)


# --------------------------------------------------------------------------- the invariant language, on a small pack
#
# tests/packs/verify/ states one rule of each kind (never: actions, questions, assumptions;
# always: actions, any_of; ordering) and has a question read only by the test card, one read
# only by an assumption, one asked always and one asked for the record. It verifies cleanly;
# each test seeds one fault into a copy.


def seeded_fixture(tmp_path: Path, seeds: list[tuple[str, str, str]]) -> Rulebook:
    root = tmp_path / "verify"
    shutil.copytree(VERIFY_PACK, root)
    for file, old, new in seeds:
        target = root / "national" / file
        text = target.read_text()
        assert text.count(old) == 1, f"seed text not found exactly once in {file}: {old!r}"
        target.write_text(text.replace(old, new))
    return load_rulebook(root / "national")


def scenario_result(tmp_path: Path, violation: Violation, book: Rulebook) -> list[str]:
    """Run the violation's counterexample, exactly as printed, as a scenario on this book: its failures."""
    scenario = tmp_path / f"counterexample_{violation.check}.yaml"
    scenario.write_text(violation.scenario_yaml(None))
    return run_scenario(scenario, lambda local: book).failures


def test_fixture_pack_verifies_cleanly() -> None:
    book = load_rulebook(VERIFY_PACK / "national")
    report = Verifier(book).run()
    assert report.violations == []
    assert {"never: no_consent_assumptions_for_children", "always: adult_route_never_dropped",
            "always: cannot_ask_keeps_the_route_open"} <= set(report.checks)
    assert book.invariants.always[1].any_of == ("nrm_referral", "duty_to_notify", "seek_consent")
    assert book.invariants.never[2].assumptions == ("consent_not_free", "capacity_unsure")
    assert book.question("other_victims").record and not book.question("action").record


FIXTURE_SEEDED = [
    pytest.param(
        [("actions.yaml", "        - consent_status: [declined, cannot_ask]", "        - consent_status: cannot_ask")],
        "adult_route_never_dropped", {"any_referrals": ["nrm_referral", "duty_to_notify", "seek_consent"]},
        {"consent_nrm": "no"},
        id="any_of: a refusal drops the adult's route",
    ),
    pytest.param(
        [("actions.yaml", "        - consent_status: [not_asked, cannot_ask]", "        - consent_status: not_asked"),
         ("actions.yaml", "        - consent_status: [declined, cannot_ask]", "        - consent_status: declined")],
        "cannot_ask_keeps_the_route_open", {"any_referrals": ["seek_consent", "duty_to_notify"]},
        {"consent_nrm": "cannot_ask"},
        id="any_of: cannot_ask lists neither",
    ),
    pytest.param(
        [("determinations.yaml", """      all:
        - consent_nrm: ["yes", "no"]
        - not: {safe_to_talk: "yes"}""", """      any:
        - consent_nrm: ["yes", "no"]
        - not: {safe_to_talk: "yes"}""")],
        "no_consent_assumptions_for_children", {"not_assumptions": ["consent_not_free"]},
        {"age_group": "child"},
        id="never assumptions: consent_not_free for a child",
    ),
    pytest.param(
        [("determinations.yaml", """        - not: {action: "yes"}
""", "")],
        "nothing_confirmed_only_when_nothing_is_met", {"not_assumptions": ["nothing_confirmed"]},
        {"action": "yes", "purpose": "unsure"},
        id="never assumptions: nothing_confirmed while action is met",
    ),
]


@pytest.mark.parametrize(("seeds", "check", "expect", "answers"), FIXTURE_SEEDED)
def test_fixture_fault_is_found_with_a_runnable_counterexample(
        tmp_path: Path, seeds: list[tuple[str, str, str]], check: str, expect: dict[str, list[str]],
        answers: dict[str, str]) -> None:
    """The seeded rule breaks (and no check other than the invariants); its counterexample fails as a scenario
    on the faulty pack and passes on the good one."""
    faulty = seeded_fixture(tmp_path, seeds)
    report = Verifier(faulty).run()
    assert check in [v.check for v in report.violations]
    rules = {r.id for r in faulty.invariants.never} | {r.id for r in faulty.invariants.always}
    assert {v.check for v in report.violations} <= rules
    violation = next(v for v in report.violations if v.check == check)
    assert violation.expect == expect
    assert answers.items() <= violation.answers.items()
    failures = scenario_result(tmp_path, violation, faulty)
    assert len(failures) == 1, failures
    good = load_rulebook(VERIFY_PACK / "national")
    assert scenario_result(tmp_path, violation, good) == []


def test_cli_prints_an_any_of_counterexample(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    seeded_fixture(tmp_path, [("actions.yaml", "        - consent_status: [declined, cannot_ask]",
                               "        - consent_status: cannot_ask")])
    assert main(["verify", "--rules", str(tmp_path / "verify"), "--local", "none"]) == 1
    out = capsys.readouterr().out
    assert "VIOLATION adult_route_never_dropped:" in out
    assert "none of 'nrm_referral', 'duty_to_notify', 'seek_consent' is listed" in out
    assert "  consent_nrm: \"no\"\n" in out
    assert "  any_referrals: [nrm_referral, duty_to_notify, seek_consent]\n" in out


POINTLESS_SEEDED = [
    pytest.param([("determinations.yaml", """  - id: action
    label: Action
    question: action

""", "")], "action", id="a question read only by the test card, without its element"),
    pytest.param([("determinations.yaml", "        - capacity_concern: unsure",
                   "        - capacity_concern: [\"yes\", \"no\", unsure]")],
                 "capacity_concern", id="a question read only by an assumption that every answer meets"),
    pytest.param([("questions.yaml", "    record: true\n", "")], "other_victims",
                 id="a question for the record, no longer marked so"),
    pytest.param([("questions.yaml", """    why: So that they can speak for themselves.
""", """    why: So that they can speak for themselves.
    ask_when: {immediate_danger: "no"}
""")], "communication_support", id="a question asked always, now asked only sometimes"),
]


@pytest.mark.parametrize(("seeds", "qid"), POINTLESS_SEEDED)
def test_pointless_check_counts_the_test_card_and_assumptions_and_exempts_always_and_record(
        tmp_path: Path, seeds: list[tuple[str, str, str]], qid: str) -> None:
    """The clean pack passes only because the test card and the assumptions count and the questions asked
    always or for the record are exempt; each seed takes one of those away and the question is reported."""
    book = seeded_fixture(tmp_path, seeds)
    report = Verifier(book).run()
    assert [v.check for v in report.violations] == [f"pointless_{qid}"]
    (violation,) = report.violations
    assert qid in violation.answers  # the counterexample is a complete walk that asks it
    assert scenario_result(tmp_path, violation, book) == []


def every_path(book: Rulebook) -> Iterator[WalkState]:
    """Brute force, for checking the abstraction: every sequence of raw answers the walk accepts, to its end."""
    stack: list[dict[str, Any]] = [{}]
    while stack:
        answers = stack.pop()
        state = walk_state(book, answers, {})
        q = state.next_question
        if q is None:
            yield state
            continue
        if q.type == "multi_choice":
            plain = [o.value for o in q.options if not o.exclusive]
            values: list[Any] = [frozenset(c) for r in range(len(plain) + 1) for c in itertools.combinations(plain, r)]
            values += [frozenset({o.value}) for o in q.options if o.exclusive]
        else:
            values = list(q.values)
        stack += [{**answers, q.id: value} for value in values]


def test_verify_counts_every_path_exactly_as_brute_force_does(tmp_path: Path) -> None:
    """On the small pack (without one always-asked question, to keep brute force quick), the paths verify
    says list each action, at each urgency, and give each determination value are exactly those found by
    walking every raw answer sequence: the grouping of answers (fine classes, and the skeleton's coarse
    classes with exclusive multi-choice options) loses and double-counts nothing."""
    book = seeded_fixture(tmp_path, [
        ("questions.yaml", """  - id: communication_support
    section: The person
    short: Communication support
    type: tri_state
    text: Do they need an interpreter or other communication support?
    why: So that they can speak for themselves.
    source: Test source
""", ""),
        ("actions.yaml", """      - when: {communication_support: ["yes", unsure]}
        text: Arrange the communication support they need first.
""", ""),
    ])
    report = Verifier(book).run()
    assert report.violations == []
    assert Verifier(book).walk_classes["exploitation_types"] != Verifier(book).classes["exploitation_types"]
    paths = 0
    actions: Counter[str] = Counter()
    urgency: Counter[tuple[str, int]] = Counter()
    determinations: Counter[tuple[str, Any]] = Counter()
    for state in every_path(book):
        paths += 1
        for action in state.listed_actions():
            actions[action.id] += 1
            urgency[(action.id, state.evaluation.urgency(action)[0])] += 1
        for det in book.determinations:
            determinations[(det.id, state.evaluation.single(det.id))] += 1
    assert report.paths == paths
    assert {k: v for k, v in report.action_paths.items() if v} == actions
    assert {k: v for k, v in report.urgency_paths.items() if v} == urgency
    assert {k: v for k, v in report.determination_paths.items() if v} == determinations
