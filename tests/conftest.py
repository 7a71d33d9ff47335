"""Shared fixtures: the shipped rule packs, loaded once per session (they are immutable)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.config import DEFAULT_LOCAL_PACK
from app.engine.loader import load_rulebook, rules_dirs, shipped_overlays
from app.engine.rulebook import Rulebook
from app.engine.scenarios import ANY_OVERLAY, scenario_files
from app.engine.starter import write_starter_overlay

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "pathway_rules"
SCENARIOS = RULES / "scenarios"
TODAY = dt.date(2026, 11, 28)
# Every overlay shipped under pathway_rules/local/, and the name the tests give a starter overlay that
# `pathway init-local` writes (into a temporary folder): the overlay-parametrised tests run over all.
SHIPPED_OVERLAYS = shipped_overlays(RULES)
GENERATED_OVERLAY = "generated"
# The shared scenarios and each shipped overlay's own (its scenarios/ folder).
SCENARIO_PATHS = [*scenario_files(SCENARIOS),
                  *(p for name in SHIPPED_OVERLAYS for p in scenario_files(RULES / "local" / name / "scenarios"))]


def deployment_of(local: str) -> str:
    """The overlay a test deploys for a scenario's ``local:`` ('any' runs with the default overlay)."""
    return DEFAULT_LOCAL_PACK if local == ANY_OVERLAY else local


@pytest.fixture(scope="session", autouse=True)
def state_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Pathway's state folder (PATHWAY_STATE_DIR: a generated key) is a temporary one for the whole run, set
    before any other fixture builds settings: no test reads or writes the user's ~/.local/state/pathway."""
    folder = tmp_path_factory.mktemp("state")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PATHWAY_STATE_DIR", str(folder))
        yield folder


def load_pack(local: str | None = DEFAULT_LOCAL_PACK) -> Rulebook:
    national, overlay = rules_dirs(RULES, local)
    return load_rulebook(national, overlay)


@pytest.fixture(scope="session")
def starter_overlay(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A starter overlay for another borough, as `pathway init-local` writes it, for the whole run."""
    target = tmp_path_factory.mktemp("overlays") / GENERATED_OVERLAY
    write_starter_overlay(RULES / "national", SCENARIOS, GENERATED_OVERLAY, target)
    return target


@pytest.fixture(scope="session", params=[*SHIPPED_OVERLAYS, GENERATED_OVERLAY])
def overlay_dir(request: pytest.FixtureRequest) -> Path:
    """Each shipped overlay's folder in turn, then a starter overlay's (``starter_overlay``)."""
    if request.param == GENERATED_OVERLAY:
        folder: Path = request.getfixturevalue("starter_overlay")
        return folder
    return RULES / "local" / str(request.param)


@pytest.fixture(scope="session")
def national_book() -> Rulebook:
    """The national pack alone (PATHWAY_LOCAL_PACK=none)."""
    return load_pack(None)


@pytest.fixture(scope="session")
def lewisham_book() -> Rulebook:
    """The default deployment: the national pack with the Lewisham overlay."""
    return load_pack("lewisham")
