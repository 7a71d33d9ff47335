"""A small rules root for wording by who is using it: the minimal base pack (tests/packs/valid_minimal)
with an ``organisation`` question and wording variants on ``emergency_999``, built in a temporary
folder so the base pack (which every broken-pack case copies) stays as it is."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.conftest import ROOT

VALID = ROOT / "tests" / "packs" / "valid_minimal"
LOCAL = "minimal"

ORGANISATION = """\
  - id: organisation
    section: The person
    short: Organisation
    type: choice
    text: Which kind of organisation do you work for?
    options:
      - value: police
        label: Police
      - value: health
        label: Health
      - value: other
        label: Another organisation
    why: The words of some actions depend on who is using the tool.
    source: Test source

"""

# Police match both variants: the first one that holds is used, field by field over the defaults.
VARIANTS = """\
    short_title: Call 999 now
    variants:
      - when: {organisation: police}
        title: Get urgent assistance and protect them
        short_title: Get urgent assistance now
        summary: Get urgent assistance and protect them under your force's procedures.
      - when: {organisation: [police, other]}
        who_acts: You, now, then a first responder
"""

POLICE = {"title": "Get urgent assistance and protect them", "short_title": "Get urgent assistance now",
          "summary": "Get urgent assistance and protect them under your force's procedures.",
          "who_acts": "You, now"}
DEFAULT = {"title": "Call 999 now", "short_title": "Call 999 now",
           "summary": "Call the police on 999 before anything else.", "who_acts": "You, now"}

OVERLAY = """\
# Local wording: it replaces an action's default words, never its variants.
wording:
  actions:
    emergency_999:
      title: Ring 999 straight away
      short_title: Ring 999
      summary: Ring the police on 999 first.
"""
LOCAL_WORDS = {"title": "Ring 999 straight away", "short_title": "Ring 999",
               "summary": "Ring the police on 999 first.", "who_acts": "You, now"}


def _insert(path: Path, anchor: str, text: str, *, before: bool = False) -> None:
    content = path.read_text(encoding="utf-8")
    assert content.count(anchor) == 1, f"{path}: {anchor!r}"
    path.write_text(content.replace(anchor, text + anchor if before else anchor + text), encoding="utf-8")


def wording_root(tmp_path: Path, *, overlay_wording: bool = False) -> Path:
    """The rules root (national/ and local/minimal/), with the local wording overlay if asked."""
    root = tmp_path / "rules"
    shutil.copytree(VALID, root)
    _insert(root / "national" / "questions.yaml", "  - id: age_group\n", ORGANISATION, before=True)
    _insert(root / "national" / "actions.yaml", "    title: Call 999 now\n", VARIANTS)
    if overlay_wording:
        (root / "local" / LOCAL / "wording.yaml").write_text(OVERLAY, encoding="utf-8")
    return root
