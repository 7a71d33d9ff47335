"""Shared fixtures: the shipped rule packs, loaded once per session (they are immutable)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from app.engine.loader import load_rulebook, rules_dirs
from app.engine.rulebook import Rulebook

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "pathway_rules"
SCENARIOS = RULES / "scenarios"
TODAY = dt.date(2026, 11, 28)


def load_pack(local: str | None = "lewisham") -> Rulebook:
    national, overlay = rules_dirs(RULES, local)
    return load_rulebook(national, overlay)


@pytest.fixture(scope="session")
def national_book() -> Rulebook:
    """The national pack alone (PATHWAY_LOCAL_PACK=none)."""
    return load_pack(None)


@pytest.fixture(scope="session")
def lewisham_book() -> Rulebook:
    """The default deployment: the national pack with the Lewisham overlay."""
    return load_pack("lewisham")
