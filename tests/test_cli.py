"""The `pathway` command: check, scenarios and assess, as a trainer or safeguarding lead uses them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from app.cli import main
from tests.conftest import RULES, SCENARIOS


def test_check_passes_the_shipped_packs(capsys: pytest.CaptureFixture[str]) -> None:
    """`pathway check` accepts the national pack alone and with each overlay."""
    assert main(["check", str(RULES)]) == 0
    out = capsys.readouterr().out
    assert "ok: england-wales 2.0.0 (" in out
    assert "ok: england-wales 2.0.0 + lewisham 2.0.0" in out


def test_check_reports_a_misspelling_and_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A misspelt fact is reported at its file and line with a suggestion, and the exit status is 1."""
    shutil.copytree(RULES / "national", tmp_path / "national")
    actions = tmp_path / "national" / "actions.yaml"
    lines = actions.read_text().splitlines()
    index = next(i for i, line in enumerate(lines) if "purpose: [yes, unsure]" in line)
    lines[index] = lines[index].replace("purpose", "purpsoe")
    actions.write_text("\n".join(lines) + "\n")
    assert main(["check", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert f"actions.yaml:{index + 1}: condition refers to 'purpsoe' (did you mean 'purpose'?)" in out
    assert "1 problem found." in out


def test_scenarios_report_like_a_test_runner(capsys: pytest.CaptureFixture[str]) -> None:
    """`pathway scenarios` passes the shipped scenarios and ends with a count line."""
    assert main(["scenarios", str(SCENARIOS), "--rules", str(RULES)]) == 0
    out = capsys.readouterr().out
    assert "PASS seed_tyrone.yaml" in out
    assert out.strip().splitlines()[-1].endswith("passed, 0 failed")


def test_scenarios_report_a_wrong_expectation(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A scenario whose expectation is wrong fails with expected versus actual, and exit status 1."""
    text = (SCENARIOS / "seed_linh.yaml").read_text().replace("housing_referral: 2", "housing_referral: 4")
    (tmp_path / "linh.yaml").write_text(text)
    assert main(["scenarios", str(tmp_path), "--rules", str(RULES)]) == 1
    out = capsys.readouterr().out
    assert "urgency of 'housing_referral': expected 4, got 2" in out
    assert "0 passed, 1 failed" in out


def test_assess_prints_a_plan_for_trainers(capsys: pytest.CaptureFixture[str]) -> None:
    """`pathway assess` prints the determinations, the actions by urgency and their contacts."""
    assert main(["assess", str(SCENARIOS / "seed_county_lines.yaml")]) == 0
    out = capsys.readouterr().out
    flat = " ".join(out.split())
    assert "Human trafficking: indicated." in flat
    assert "Means: not required (they are a child)" in flat
    act_now = out.index("Act now:")
    assert out.index("Refer to children's social care", act_now) < out.index("Refer to the National Referral")
    assert "(undated: confirm locally; not yet checked by your organisation)" in " ".join(out.split())


def test_assess_json_matches_the_api_shape(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`--json` prints the API's outcome; a plain mapping of answers is accepted."""
    answers = tmp_path / "answers.yaml"
    answers.write_text("immediate_danger: unsure\nage_group: adult\n")
    assert main(["assess", str(answers), "--json"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["referrals"][0]["id"] == "emergency_999"
    assert body["next_question"]["id"] == "organisation"


def test_assess_rejects_a_bad_answer(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A wrong value is reported plainly with the allowed values, exit status 2."""
    answers = tmp_path / "answers.yaml"
    answers.write_text("answers:\n  age_group: teen\n")
    assert main(["assess", str(answers)]) == 2
    err = capsys.readouterr().err
    assert "'age_group' cannot be 'teen'; allowed values: child, adult, uncertain" in err


def test_serve_refuses_a_broken_pack(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`pathway serve` does not start on a broken pack and says why."""
    shutil.copytree(RULES / "national", tmp_path / "national")
    (tmp_path / "national" / "flags.yaml").write_text("flags: [oops\n")
    assert main(["serve", "--rules", str(tmp_path), "--local", "none"]) == 1
    err = capsys.readouterr().err
    assert "Pathway will not start" in err
    assert "flags.yaml:" in err


def test_check_reads_the_scenarios_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`pathway check` reads the training scenarios as `pathway serve` does, and reports each problem once."""
    shutil.copytree(RULES, tmp_path / "rules")
    scenarios = tmp_path / "rules" / "scenarios"
    (scenarios / "zz_not_utf8.yaml").write_bytes(b"name: caf\xe9\n")
    (scenarios / "zz_training.yaml").write_text(
        "name: x\nnarrative: A case.\nlocal: lewisham\nanswers:\n  immediate_danger: maybe\nexpect: {}\n")
    assert main(["check", str(tmp_path / "rules")]) == 1
    out = capsys.readouterr().out
    assert out.count(f"{scenarios / 'zz_not_utf8.yaml'}:1: not UTF-8 text") == 1
    assert out.count(f"{scenarios / 'zz_training.yaml'}:5: 'immediate_danger' cannot be 'maybe'") == 1
    assert "2 problems found.\nFAILED: " in out
    assert "Traceback" not in out


def test_check_reports_a_number_too_long_to_parse(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A pack scalar of more than 4,300 digits is a problem at its file and line, not a crash."""
    shutil.copytree(RULES / "national", tmp_path / "national")
    flags = tmp_path / "national" / "flags.yaml"
    flags.write_text(flags.read_text() + f"too_long: {'9' * 5000}\n")
    line = flags.read_text().count("\n")
    assert main(["check", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert f"flags.yaml:{line}: a number of 5000 digits is too long to read; quote it if it is text" in out


def test_check_counts_the_shipped_scenarios(capsys: pytest.CaptureFixture[str]) -> None:
    """The shared scenarios and each shipped overlay's own, every file counted once."""
    assert main(["check", str(RULES)]) == 0
    own = sorted(p / "scenarios" for p in (RULES / "local").iterdir() if (p / "scenarios").is_dir())
    count = sum(len(list(folder.glob("*.yaml"))) for folder in [SCENARIOS, *own])
    assert f"ok: {count} scenarios in {' and '.join(map(str, [SCENARIOS, *own]))}" in capsys.readouterr().out


def test_verify_reports_a_scenario_it_cannot_count(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A scenario that cannot be read, or that the engine refuses, fails `pathway verify` by name: the
    coverage matrix does not pass over it as if it covered nothing."""
    root = tmp_path / "rules"
    shutil.copytree(RULES, root)
    (root / "scenarios" / "broken.yaml").write_text("name: [unclosed\n")
    nca = (SCENARIOS / "national_pack_nca.yaml").read_text()
    assert 'immediate_danger: "no"' in nca
    refused = nca.replace('immediate_danger: "no"', 'immediate_danger: "perhaps"')
    (root / "scenarios" / "refused.yaml").write_text(refused)
    assert main(["verify", "--rules", str(root), "--local", "none"]) == 1
    out = capsys.readouterr().out
    assert "all checks passed" in out  # the pack itself is sound
    assert f"FAIL {root / 'scenarios' / 'broken.yaml'}:" in out
    assert f"FAIL {root / 'scenarios' / 'refused.yaml'}: the engine refused the scenario: " in out
    assert "FAILED: 2 scenarios could not be counted in the coverage matrix." in out
    line = next(row for row in out.splitlines() if row.startswith("nrm_referral "))
    assert "national_pack_nca" in line  # the sound scenarios are still counted
