"""Any borough: an overlay kept outside the repository (a path), or shipped under pathway_rules/local/, is
checked, verified and served like the shipped one; `pathway init-local` writes a starter overlay that
passes `pathway check` with warnings saying what the council still has to fill in; a bad `--local` says
what was wrong and what is allowed; and no borough is named in the application's code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from pydantic import ValidationError

from app.cli import main
from app.config import DEFAULT_LOCAL_PACK, Settings
from app.engine.loader import load_rulebook
from app.engine.rulebook import Rulebook
from app.engine.scenarios import ScenarioError, load_scenario
from app.main import create_app
from tests.conftest import GENERATED_OVERLAY, ROOT, RULES, SCENARIOS, SHIPPED_OVERLAYS, TODAY
from tests.web.client_state import state_of

KEY = Fernet.generate_key().decode()


@pytest.fixture(scope="module")
def national() -> Rulebook:
    return load_rulebook(RULES / "national")


def _starter(tmp_path: Path, name: str = "southwark") -> Path:
    target = tmp_path / name
    assert main(["init-local", name, str(target)]) == 0
    return target


# ----------------------------------------------------------------------------- every overlay


def test_check_passes_every_overlay(overlay_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`pathway check --local PATH` on each shipped overlay and on a starter one: exit 0, no failure."""
    assert main(["check", str(RULES), "--local", str(overlay_dir)]) == 0
    out = capsys.readouterr().out
    assert "FAILED" not in out
    assert f"+ {overlay_dir.name if overlay_dir.parent == RULES / 'local' else GENERATED_OVERLAY} " in out


def test_verify_passes_every_overlay(overlay_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`pathway verify --local PATH` proves the invariants with each overlay and counts its scenarios."""
    assert main(["verify", "--rules", str(RULES), "--local", str(overlay_dir)]) == 0
    out = capsys.readouterr().out
    assert "all checks passed" in out
    assert "FAIL" not in out


def test_scenarios_pass_with_every_overlay(overlay_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`pathway scenarios --local PATH` runs the shared scenarios for any overlay and the overlay's own."""
    assert main(["scenarios", "--rules", str(RULES), "--local", str(overlay_dir)]) == 0
    out = capsys.readouterr().out
    own = sorted(p.name for p in (overlay_dir / "scenarios").glob("*.yaml"))
    assert own and all(f"PASS {name}:" in out for name in own)
    assert "PASS seed_linh.yaml:" in out
    assert re.search(r"^\d+ passed, 0 failed$", out, re.M)


def test_a_starter_overlays_training_list_is_not_empty(starter_overlay: Path, tmp_path: Path) -> None:
    """Another borough's deployment shows the shared training cases (written for any overlay)."""
    settings = Settings(secret_key=KEY, local_pack=str(starter_overlay), state_dir=tmp_path)
    with TestClient(create_app(settings)) as client:
        state = state_of(client)
        assert "seed_linh" in state.training
        assert all(case.scenario.local == "any" for case in state.training.values())
        page = client.get("/training")
        assert page.status_code == 200
        assert state.training["seed_linh"].scenario.name in page.text
        assert client.get("/training/seed_linh/outcome").status_code == 200
        needs = state.training["seed_linh"].walk(TODAY).outcome.needs.immediate
        assert needs and all(n.service.name == "No local service recorded" for n in needs)  # said plainly


def test_the_default_overlay_shows_its_own_training_cases_too(tmp_path: Path) -> None:
    settings = Settings(secret_key=KEY, state_dir=tmp_path)
    own = {p.stem for p in (RULES / "local" / DEFAULT_LOCAL_PACK / "scenarios").glob("*.yaml")}
    with TestClient(create_app(settings)) as client:
        state = state_of(client)
        assert own & set(state.training)
        assert "seed_linh" in state.training


# ----------------------------------------------------------------------------- init-local


def test_init_local_writes_a_starter_that_check_passes_with_warnings(
        tmp_path: Path, national: Rulebook, capsys: pytest.CaptureFixture[str]) -> None:
    """Every slot left empty and every need without a service is a warning (never an error: exit 0)."""
    target = _starter(tmp_path)
    assert "pathway check --local " in capsys.readouterr().out
    assert main(["check", str(RULES), "--local", str(target)]) == 0
    out = capsys.readouterr().out
    assert "ok: england-wales 2.0.0 + southwark 0.1.0" in out
    for slot in national.contact_slots:
        assert f"no contact fills the slot '{slot.id}'" in out
    for need in national.needs.values():
        assert f"no local service recorded for the need '{need.id}'" in out
    assert "FAILED" not in out


def test_the_starter_lists_every_need_and_slot_to_fill(tmp_path: Path, national: Rulebook) -> None:
    target = _starter(tmp_path)
    book = load_rulebook(RULES / "national", target)
    assert all(n.service is not None and n.service.none_recorded for n in book.needs.values())
    contacts = (target / "contacts.yaml").read_text(encoding="utf-8")
    for slot in national.contact_slots:
        block = contacts[contacts.index(f"#    slot: {slot.id}\n"):]
        assert "#    confirmed: false" in block.split("\n\n")[0], slot.id
        assert "Fill in" in block.split("\n\n")[0]
    assert (target / "scenarios" / "starter_case.yaml").is_file()
    assert book.packs[-1].id == "southwark" and book.packs[-1].kind == "local"


def test_a_filled_slot_in_the_starter_loses_its_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Uncomment a slot's contact and give its details: the slot is filled, its warnings go."""
    target = _starter(tmp_path)
    contacts = target / "contacts.yaml"
    text = contacts.read_text(encoding="utf-8").replace("contacts: []", "contacts:")
    start = text.index("#  - id: local_childrens_services")
    block = text[start:].split("\n\n")[0]
    filled = "\n".join(line[1:] for line in block.splitlines()).replace(
        '"Fill in: the number a duty officer rings"', '"020 7525 1921"')
    contacts.write_text(text.replace(block, filled), encoding="utf-8")
    capsys.readouterr()
    assert main(["check", str(RULES), "--local", str(target)]) == 0
    out = capsys.readouterr().out
    assert "no contact fills the slot 'childrens_services'" not in out
    assert "no phone number for children's services" not in out
    assert "no contact fills the slot 'housing'" in out


@pytest.mark.parametrize(("name", "message"), [
    ("Southwark", "'Southwark' is not an overlay name: use lower-case letters"),
    ("any", "'any' is reserved"),
    ("none", "'none' is reserved"),
])
def test_init_local_refuses_a_bad_name(tmp_path: Path, name: str, message: str,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init-local", name, str(tmp_path / "new")]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "new").exists()


def test_init_local_never_writes_over_a_folder_in_use(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "notes.txt").write_text("the council's notes\n", encoding="utf-8")
    assert main(["init-local", "southwark", str(tmp_path)]) == 2
    assert "already exists and is not an empty folder" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_assess_and_diagram_take_an_overlay_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = _starter(tmp_path)
    capsys.readouterr()
    assert main(["assess", str(SCENARIOS / "seed_linh.yaml"), "--rules", str(RULES), "--local", str(target),
                 "--json"]) == 0
    assert '"southwark"' in capsys.readouterr().out
    assert main(["diagram", "--format", "mermaid", "--rules", str(RULES), "--local", str(target)]) == 0
    assert capsys.readouterr().out.strip()


# ----------------------------------------------------------------------------- a bad --local


@pytest.mark.parametrize(("local", "message"), [
    ("South Wark", "local pack 'South Wark': not a local pack: give a shipped overlay's name"),
    ("southwark", "local pack 'southwark': no overlay of that name under"),
    ("./no-such-overlay", "local pack './no-such-overlay': no such folder"),
])
def test_a_bad_local_says_what_is_wrong(local: str, message: str, capsys: pytest.CaptureFixture[str]) -> None:
    for command in (["check", str(RULES)], ["verify", "--rules", str(RULES)], ["scenarios", "--rules", str(RULES)],
                    ["diagram", "--rules", str(RULES)]):
        assert main([*command, "--local", local]) == 1, command
        captured = capsys.readouterr()
        assert message in captured.out + captured.err, command


def test_an_unknown_overlay_lists_the_shipped_ones(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(RULES), "--local", "southwark"]) == 1
    assert f"shipped: {', '.join(SHIPPED_OVERLAYS)}" in capsys.readouterr().out


def test_a_folder_without_pack_yaml_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "contacts.yaml").write_text("contacts: []\n", encoding="utf-8")
    assert main(["check", str(RULES), "--local", str(tmp_path)]) == 1
    assert f"local pack '{tmp_path}': the folder has no pack.yaml" in capsys.readouterr().out


def test_pathway_local_pack_refuses_a_name_of_the_wrong_shape(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(local_pack="Lewisham Borough", state_dir=tmp_path)
    assert "PATHWAY_LOCAL_PACK is not a local pack: give a shipped overlay's name" in str(caught.value)


def test_an_overlays_own_scenario_must_name_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A scenario in an overlay's scenarios/ folder written for another overlay is a problem, at its line."""
    target = _starter(tmp_path)
    case = target / "scenarios" / "starter_case.yaml"
    case.write_text(case.read_text(encoding="utf-8").replace("local: southwark", "local: elsewhere"),
                    encoding="utf-8")
    capsys.readouterr()
    assert main(["scenarios", "--rules", str(RULES), "--local", str(target)]) == 1
    assert "local: 'elsewhere', but this folder holds the scenarios of the overlay 'southwark'" in \
        capsys.readouterr().out


# ----------------------------------------------------------------------------- no borough in code


def test_no_borough_is_named_in_the_application_code() -> None:
    """Only the one default setting (app/config.py) names a shipped overlay; everything else is data."""
    named = sorted(
        str(path.relative_to(ROOT))
        for path in (ROOT / "app").rglob("*")
        if path.suffix in (".py", ".html")
        and any(name in path.read_text(encoding="utf-8").lower() for name in SHIPPED_OVERLAYS)
    )
    assert named == ["app/config.py"]


def test_a_scenarios_local_is_any_none_or_an_overlays_name(tmp_path: Path) -> None:
    path = tmp_path / "case.yaml"
    path.write_text("name: A case\nlocal: Lewisham Borough\nanswers: {}\nexpect: {}\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert str(caught.value.problem) == (f"{path}:2: local: 'Lewisham Borough' is not 'any', 'none' or an "
                                         "overlay's name (lower-case letters, digits, '-' and '_')")
    path.write_text("name: A case\nanswers: {}\nexpect: {}\n", encoding="utf-8")
    assert load_scenario(path).local == "any"  # the default: most scenarios hold with every overlay


def test_an_empty_pathway_local_pack_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(local_pack=" ", state_dir=tmp_path)
    assert "PATHWAY_LOCAL_PACK is empty" in str(caught.value)
