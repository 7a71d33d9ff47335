"""Screenshots of every kind of page at phone and desktop widths.

Every test run takes them (so a broken page cannot be photographed without failing), into a
temporary folder; `make screenshots` sets PATHWAY_SCREENSHOTS=docs/screenshots to refresh the
ones kept in the repository and shown in the README. The test checks each was written at the
right width.
"""

from __future__ import annotations

import os
import struct
import tempfile
import time
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import ROOT
from tests.browser.walker import answer, continue_walk, seed_answers, start, walk_to

pytestmark = pytest.mark.browser

SHOTS = Path(os.environ.get("PATHWAY_SCREENSHOTS") or tempfile.mkdtemp(prefix="pathway-shots-"))
if not SHOTS.is_absolute():
    SHOTS = ROOT / SHOTS
SIZES = {"phone": (375, 812), "desktop": (1280, 900)}


def shoot(page: Page, name: str, *, full_page: bool = False) -> list[Path]:
    """Screenshot the page as it is, at each width; returns the files written."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    written = []
    for label, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        path = SHOTS / f"{name}-{label}.png"
        page.screenshot(path=path, full_page=full_page, animations="disabled", caret="hide")
        written.append(path)
    return written


def check_written(paths: list[Path], since: float) -> None:
    for path in paths:
        data = path.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n", path
        width, height = struct.unpack(">II", data[16:24])
        assert width == SIZES[path.stem.rsplit("-", 1)[1]][0], (path, width)
        assert height >= 600, (path, height)
        assert path.stat().st_mtime >= since - 1, f"{path} was not rewritten"


def test_screenshots_of_the_walk(js_page: Page) -> None:
    """The start page, a question with the urgent banner, an error, checkboxes and the action plan look right."""
    since = time.time()
    page = js_page
    written: list[Path] = []
    page.goto("/")
    expect(page.get_by_role("button", name="Start now")).to_be_visible()
    written += shoot(page, "start")

    start(page, goto=False)
    answers = {**seed_answers("linh"), "immediate_danger": "unsure"}
    assert answer(page, "unsure") == "age_group"
    expect(page.get_by_role("region", name="Urgent actions").locator("#banner-emergency_999 strong")).to_have_text(
        "Call 999 now.")
    written += shoot(page, "question")

    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    written += shoot(page, "error")

    answer(page, "adult")
    continue_walk(page, answers, until="exploitation_types")
    written += shoot(page, "checkboxes")

    continue_walk(page, answers)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your action plan")
    written += shoot(page, "outcome")
    written += shoot(page, "outcome-full", full_page=True)
    check_written(written, since)


def test_screenshots_of_the_timeout(short_page: Page) -> None:
    """The time-out warning dialog and the page shown once the answers have timed out look right."""
    since = time.time()
    page = short_page
    walk_to(page, {"immediate_danger": "no"}, "age_group")
    dialog = page.get_by_role("dialog", name="Your answers will be cleared soon")
    expect(dialog).to_be_visible(timeout=10_000)
    written = shoot(page, "timeout-warning")
    expect(page.get_by_role("heading", name="Your answers have timed out")).to_be_visible(timeout=15_000)
    written += shoot(page, "expired")
    check_written(written, since)
