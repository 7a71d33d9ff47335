"""The YAML scenarios in pathway_rules/scenarios/ and in each overlay's scenarios/ folder: each one is a
test (a shared `local: any` one with every overlay shipped under pathway_rules/local/ and with a starter
overlay written by `pathway init-local`), and together they reach every action, every determination
value and every assumption of contract v2; their visible text (what training mode shows) is plain;
their README maps every logic pitfall of facts §9 to a scenario or to the pack text that carries it."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import pytest

from app.engine.loader import load_rulebook
from app.engine.rulebook import Rulebook
from app.engine.scenarios import (
    ANY_OVERLAY,
    ScenarioError,
    ScenarioResult,
    load_scenario,
    overlay_id,
    run_scenario,
    scenario_files,
)
from tests.conftest import ROOT, RULES, SCENARIO_PATHS, SCENARIOS, TODAY, deployment_of, load_pack

# Every scenario file: the shared ones, then each shipped overlay's own.
FILES = SCENARIO_PATHS
SHARED = scenario_files(SCENARIOS)
README = SCENARIOS / "README.md"

# Contract v2, "Actions", "Determinations" and the assumptions: the vocabulary every scenario
# set must reach.
CONTRACT_ACTIONS = (
    "emergency_999",
    "interpreter",
    "communication_adjustments",
    "speak_alone",
    "childrens_social_care",
    "victim_care_contract",
    "nrm_referral",
    "seek_consent",
    "duty_to_notify",
    "first_responder_contact",
    "adult_safeguarding",
    "child_trafficking_guardian",
    "child_exploitation_pathway",
    "domestic_abuse_support",
    "health_referral",
    "local_pathway",
    "police_report",
    "legal_advice_defence",
    "housing_referral",
    "modern_slavery_helpline",
    "labour_enforcement",
    "age_assessment",
)
CONTRACT_DETERMINATIONS: dict[str, tuple[bool | str | None, ...]] = {
    "treated_as_child": (True, False),
    "trafficking": ("yes", "possible", "no"),
    "modern_slavery": ("yes", "possible", "no"),
    "first_responder": (True, False),
    "duty_to_notify_applies": (True, False),
    "duty_to_notify_basis": ("statutory", "policy", None),
    "consent_status": ("given", "declined", "not_asked", "cannot_ask", None),
}
CONTRACT_ASSUMPTIONS = (
    "age_presumed_child",
    "slavery_possible_without_movement",
    "organisation_preset",
    "consent_not_free",
    "capacity_unsure",
    "type_not_known",
    "danger_tonight_check",
    "nothing_confirmed",
)

# What training mode shows (the name, narrative, reporter and each answer's reason) must never
# cite the facts sheet or its sources, name the seed, or show a raw id.
NOT_VISIBLE = re.compile(
    r"facts §|seed (example|section)|\[[SC]\d+\]|\b[a-z0-9]+(?:_[a-z0-9]+)+\b", re.IGNORECASE
)

# Facts §9, logic pitfalls: a phrase each row of the README's table must contain.
PITFALLS = {
    1: "child for consent",
    2: "doubt about age",
    3: "declining help",
    4: "uk nationals",
    5: "border",
    6: "consent to the trip",
    7: "smuggled",
    8: "s52",
    9: "police cooperation",
    10: "contact details",
    11: "one referral per person",
    12: "own words",
    13: "confidentiality",
    14: "versioned",
}


@functools.cache
def book(local: str) -> Rulebook:
    """The packs a scenario asks for (``local: none`` for the national pack alone; ``local: any`` with
    the default overlay here, and with every overlay in ``test_any_scenario_with_every_overlay``)."""
    return load_pack(None if local == "none" else deployment_of(local))


@functools.cache
def result(path: Path) -> ScenarioResult:
    return run_scenario(path, book, today=TODAY)


@functools.cache
def overlay_book(folder: Path) -> Rulebook:
    return load_rulebook(RULES / "national", folder)


def _local(path: Path) -> str | None:
    try:
        return load_scenario(path).local
    except ScenarioError:
        return None  # reported by test_scenario


def _where(path: Path) -> str:
    return str(path.relative_to(ROOT))


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_scenario(path: Path) -> None:
    try:
        run = result(path)
    except ScenarioError as exc:
        unreadable = str(exc)
    else:
        unreadable = ""
    if unreadable:
        pytest.fail(f"{_where(path)}: the scenario cannot be read: {unreadable}", pytrace=False)
    if run.failures:
        lines = "\n".join(f"  - {failure}" for failure in run.failures)
        pytest.fail(f"{_where(path)}, scenario {run.scenario.name!r}:\n{lines}", pytrace=False)


def test_scenarios_exist() -> None:
    assert len(FILES) >= 3, f"no scenarios found in {SCENARIOS}"


@pytest.mark.parametrize("path", [p for p in SHARED if _local(p) == ANY_OVERLAY],
                         ids=[p.stem for p in SHARED if _local(p) == ANY_OVERLAY])
def test_any_scenario_with_every_overlay(overlay_dir: Path, path: Path) -> None:
    """A scenario for any overlay holds with each shipped one and with a starter overlay for another
    borough: it depends on no borough's own contacts or services."""
    loaded = overlay_book(overlay_dir)
    run = run_scenario(path, lambda local: loaded, today=TODAY)
    if run.failures:
        lines = "\n".join(f"  - {failure}" for failure in run.failures)
        pytest.fail(f"{_where(path)} with {overlay_dir}, scenario {run.scenario.name!r}:\n{lines}", pytrace=False)


def test_an_overlays_own_scenarios_pass_and_name_it(overlay_dir: Path) -> None:
    """Each overlay's own scenarios (the starter overlay's copy too) say `local:` with its name and pass."""
    loaded = overlay_book(overlay_dir)
    own = scenario_files(overlay_dir / "scenarios")
    assert own, f"{overlay_dir / 'scenarios'} holds no scenario"
    problems = []
    for path in own:
        run = run_scenario(path, lambda local: loaded, today=TODAY)
        if run.scenario.local != overlay_id(loaded):
            problems.append(f"{path.name}: local is {run.scenario.local!r}, not {overlay_id(loaded)!r}")
        problems += [f"{path.name}: {failure}" for failure in run.failures]
    assert not problems, "\n".join(problems)


def test_every_action_and_determination_value_is_reached() -> None:
    actions = set(CONTRACT_ACTIONS) | {a.id for a in load_pack().actions}
    assumptions = set(CONTRACT_ASSUMPTIONS) | {a.id for a in load_pack().assumptions}
    reached_actions: set[str] = set()
    reached_assumptions: set[str] = set()
    reached_values: dict[str, set[bool | str | None]] = {d: set() for d in CONTRACT_DETERMINATIONS}
    for path in FILES:
        try:
            outcome = result(path).outcome
        except ScenarioError:
            continue  # reported by test_scenario
        if outcome is None or not outcome.complete:
            continue
        reached_actions.update(r.id for r in outcome.referrals)
        reached_assumptions.update(outcome.assumption_ids)
        dets = outcome.determinations.model_dump()
        for det in CONTRACT_DETERMINATIONS:
            reached_values[det].add(dets.get(det))
    missing = [f"action {a}" for a in sorted(actions - reached_actions)]
    missing += [f"assumption {a}" for a in sorted(assumptions - reached_assumptions)]
    missing += [
        f"determination {det} = {'null' if value is None else value!r}"
        for det, values in CONTRACT_DETERMINATIONS.items()
        for value in values
        if value not in reached_values[det]
    ]
    if missing:
        pytest.fail("reached by no scenario:\n" + "\n".join(f"  - {m}" for m in missing), pytrace=False)


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_visible_text_is_plain(path: Path) -> None:
    """Training mode shows these words to users: no facts-sheet citations, seed labels or raw ids."""
    try:
        scenario = load_scenario(path)
    except ScenarioError:
        return  # reported by test_scenario
    texts = {"name": scenario.name, "narrative": scenario.narrative or "", "reported_by": scenario.reported_by or ""}
    texts |= {f"answers.{qid}.reason": given.reason or "" for qid, given in scenario.answers.items()}
    problems = [f"{where}: {match.group(0)!r}" for where, text in texts.items()
                for match in NOT_VISIBLE.finditer(text)]
    if problems:
        pytest.fail(f"{_where(path)}:\n" + "\n".join(f"  - {p}" for p in problems), pytrace=False)


def _pitfall_rows() -> dict[int, list[str]]:
    """The pitfall table of the README: pitfall number -> the row's cells."""
    rows: dict[int, list[str]] = {}
    for line in README.read_text(encoding="utf-8").splitlines():
        match = re.match(r"\|\s*(\d+)\.\s", line)
        if match:
            number = int(match.group(1))
            assert number not in rows, f"{_where(README)}: pitfall {number} appears twice in the table"
            rows[number] = [cell.strip() for cell in line.strip().strip("|").split("|")]
    return rows


def test_readme_table_names_every_pitfall() -> None:
    rows = _pitfall_rows()
    problems = [f"pitfall {n} has no row" for n in PITFALLS if n not in rows]
    problems += [f"row {n} is not a pitfall of facts §9" for n in rows if n not in PITFALLS]
    for number, phrase in PITFALLS.items():
        cells = rows.get(number)
        if cells is None:
            continue
        if len(cells) != 3:
            problems.append(f"pitfall {number}: expected 3 cells (pitfall, scenarios, pack text), got {len(cells)}")
            continue
        if phrase not in cells[0].lower():
            problems.append(f"pitfall {number}: the row does not name it ({phrase!r} not in {cells[0]!r})")
        if not re.search(r"`[\w]+\.yaml`", cells[1]) and "pathway_rules/" not in cells[2]:
            problems.append(f"pitfall {number}: neither a scenario nor any pack text carries it")
    if problems:
        pytest.fail(f"{_where(README)}:\n" + "\n".join(f"  - {p}" for p in problems), pytrace=False)


def test_readme_names_only_existing_scenarios_and_pack_text() -> None:
    text = README.read_text(encoding="utf-8")
    existing = {p.name for p in FILES}
    problems = [
        f"names {name}, which is not a scenario in {_where(SCENARIOS)}"
        for name in sorted(set(re.findall(r"`([\w]+\.yaml)`", text)) - existing)
    ]
    for file, key in sorted(set(re.findall(r"`(pathway_rules/[\w/]+\.yaml): (\w+)`", text))):
        pack_file = ROOT / file
        if not pack_file.is_file():
            problems.append(f"names {file}, which does not exist")
        elif not re.search(rf"(\bid:\s*{key}\b|^\s*{key}:)", pack_file.read_text(encoding="utf-8"), re.M):
            problems.append(f"names {file}: {key}, but {file} has no {key!r}")
    if problems:
        pytest.fail(f"{_where(README)}:\n" + "\n".join(f"  - {p}" for p in problems), pytrace=False)


def test_readme_table_agrees_with_covers() -> None:
    """A scenario is listed under pitfall N exactly when its `covers` says `pitfall N`."""
    problems = []
    listed = {n: set(re.findall(r"`([\w]+\.yaml)`", cells[1])) for n, cells in _pitfall_rows().items()}
    for path in FILES:
        try:
            covers = load_scenario(path).covers
        except ScenarioError:
            continue  # reported by test_scenario
        claimed = {int(m.group(1)) for c in covers if (m := re.fullmatch(r"pitfall (\d+)", c.strip()))}
        problems += [
            f"{path.name}: covers has {c!r}; write 'pitfall N'"
            for c in covers
            if not re.fullmatch(r"pitfall (\d+)", c.strip())
        ]
        for number in sorted(claimed - {n for n, names in listed.items() if path.name in names}):
            problems.append(f"{path.name} covers pitfall {number} but is not listed in its row")
        for number in sorted(n for n, names in listed.items() if path.name in names and n not in claimed):
            problems.append(f"{path.name} is listed under pitfall {number} but its covers does not say so")
    if problems:
        pytest.fail(f"{_where(README)}:\n" + "\n".join(f"  - {p}" for p in problems), pytrace=False)


@pytest.mark.parametrize(("data", "line", "message"), [
    (b"name: ok\nnarrative: caf\xe9\n", 2, "not UTF-8 text (byte 0xe9 cannot be read); save the file as UTF-8"),
    (b"name: x\nanswers:\n  age_group: " + b"9" * 5000 + b"\n", 3,
     "a number of 5000 digits is too long to read; quote it if it is text"),
    (b"name: x\nanswers:\n  a: b: c\n", 3, "invalid YAML: mapping values are not allowed here"),
    (b"- name: x\n", 1, "a scenario is a mapping with a name, answers and expect, not a list"),
    (b"", 1, "a scenario is a mapping with a name, answers and expect, not an empty file"),
    (b"name: x\nanswers: {}\nexpect: {}\nnaration: typo\n", 4, "naration: Extra inputs are not permitted"),
])
def test_a_scenario_that_cannot_be_read_is_a_scenario_error_at_its_line(
        tmp_path: Path, data: bytes, line: int, message: str) -> None:
    """Not UTF-8, a number Python will not parse, invalid YAML or the wrong shape: never a bare exception."""
    path = tmp_path / "broken.yaml"
    path.write_bytes(data)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert (caught.value.problem.file, caught.value.problem.line, caught.value.problem.message) == (
        str(path), line, message)


def test_an_unreadable_scenario_is_a_scenario_error(tmp_path: Path) -> None:
    path = tmp_path / "loop.yaml"
    path.symlink_to(path)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert caught.value.problem.message.startswith("cannot read file: ")
