"""Engine micro-benchmark (`make bench`): one whole case through `assess`, and loading both packs.

Each figure is reported with a baseline measured in the same run, as a ratio:
- assess: against building and validating the same Outcome model from its own dump (the cost of
  the response object alone, without any rule evaluation);
- loading: against plain `yaml.safe_load` of the same files (parsing alone, without our line
  tracking, validation and cross-checks).
Budgets (issue #2): assess <= 1 ms, loading both packs <= 0.5 s. Exit status 1 if a budget is missed.
"""

from __future__ import annotations

import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.engine.loader import load_rulebook, rules_dirs  # noqa: E402
from app.engine.outcome import Outcome  # noqa: E402
from app.engine.scenarios import load_scenario  # noqa: E402
from app.engine.walk import assess  # noqa: E402

RULES = ROOT / "pathway_rules"
ASSESS_BUDGET_S = 0.001
LOAD_BUDGET_S = 0.5


def per_call(fn: Callable[[], object], repeat: int = 7, number: int = 200) -> float:
    """Median seconds per call over `repeat` batches of `number` calls."""
    fn()
    batches = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        batches.append((time.perf_counter() - start) / number)
    return statistics.median(batches)


def main() -> int:
    national, local = rules_dirs(RULES, "lewisham")
    files = sorted([*national.glob("*.yaml"), *(local.glob("*.yaml") if local else [])])
    load_s = per_call(lambda: load_rulebook(national, local), repeat=5, number=5)
    parse_s = per_call(lambda: [yaml.safe_load(f.read_text()) for f in files], repeat=5, number=5)
    book = load_rulebook(national, local)

    print(f"Pathway engine benchmark: Python {platform.python_version()}, {platform.machine()}")
    print(f"load + validate both packs: {load_s * 1000:8.2f} ms   (plain yaml.safe_load of the same files: "
          f"{parse_s * 1000:.2f} ms; ratio {load_s / parse_s:.2f}x)   budget {LOAD_BUDGET_S * 1000:.0f} ms")
    worst = 0.0
    for name in ("tyrone", "linh", "county_lines"):
        answers = load_scenario(RULES / "scenarios" / f"seed_{name}.yaml").answer_values()
        outcome = assess(book, answers)
        dumped = outcome.model_dump()
        engine_s = per_call(lambda answers=answers: assess(book, answers))
        model_s = per_call(lambda dumped=dumped: Outcome.model_validate(dumped))
        worst = max(worst, engine_s)
        print(f"assess whole case {name:13s} {engine_s * 1e6:8.1f} us   (building the Outcome model alone: "
              f"{model_s * 1e6:.1f} us; ratio {engine_s / model_s:.2f}x)   budget {ASSESS_BUDGET_S * 1e6:.0f} us")
    ok = worst <= ASSESS_BUDGET_S and load_s <= LOAD_BUDGET_S
    print("within budget" if ok else "OVER BUDGET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
