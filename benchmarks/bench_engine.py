"""Engine micro-benchmark (`make bench`): one whole case through `assess`, the outcome build, and loading both packs.

Each figure is reported with a baseline measured in the same run, as a ratio:
- assess: against building and validating the same Outcome model from its own dump (the cost of
  the response object alone, without any rule evaluation);
- outcome build (the walk's state to an ``Outcome`` ready to serialise; serialisation excluded):
  against the walk alone, on the three seed cases and on 500 distinct complete answer sets
  (``answer_sets.py``), each build on a fresh walk state, so only the parts memoised on the facts they
  read can be reused, never a whole outcome;
- loading: against plain `yaml.safe_load` of the same files (parsing alone, without our line
  tracking, validation and cross-checks).
Budgets: assess <= 1 ms (issue 2), outcome build <= 60 us per case (issue 11), loading both packs
<= 0.5 s. Exit status 1 if a budget is missed.
"""

from __future__ import annotations

import datetime as dt
import functools
import gc
import platform
import statistics
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.engine.answers import Value, validate_answers  # noqa: E402
from app.engine.assessment import assess, build_outcome  # noqa: E402
from app.engine.loader import load_rulebook, rules_dirs  # noqa: E402
from app.engine.outcome import Outcome  # noqa: E402
from app.engine.outcome_parts import parts_of  # noqa: E402
from app.engine.rulebook import Rulebook  # noqa: E402
from app.engine.scenarios import load_scenario  # noqa: E402
from app.engine.walk import walk_state  # noqa: E402
from benchmarks.answer_sets import generate  # noqa: E402

RULES = ROOT / "pathway_rules"
ASSESS_BUDGET_S = 0.001
LOAD_BUDGET_S = 0.5
BUILD_BUDGET_S = 60e-6
ANSWER_SETS = 500


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


def walk_and_build(book: Rulebook, sets: Sequence[Mapping[str, Value]], repeat: int = 7, number: int = 20
                   ) -> tuple[float, float]:
    """Median seconds per case of the walk alone and of the outcome build alone, each build on a fresh
    walk state (the walks are made untimed before each timed batch of builds)."""
    today = dt.date.today()
    for answers in sets:
        build_outcome(walk_state(book, answers, {}), today)
    walks, builds = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        states = [walk_state(book, answers, {}) for _ in range(number) for answers in sets]
        walks.append((time.perf_counter() - start) / len(states))
        start = time.perf_counter()
        for state in states:
            build_outcome(state, today)
        builds.append((time.perf_counter() - start) / len(states))
    return statistics.median(walks), statistics.median(builds)


def first_sight(book: Rulebook, sets: Sequence[Mapping[str, Value]]) -> float:
    """Seconds per case of the outcome build when each set is seen for the first time: on a rulebook just
    loaded, whose memos are empty (its parts compiled beforehand, as once per rulebook)."""
    today = dt.date.today()
    parts_of(book)
    states = [walk_state(book, answers, {}) for answers in sets]
    gc.collect()
    start = time.perf_counter()
    for state in states:
        build_outcome(state, today)
    return (time.perf_counter() - start) / len(states)


def report_builds(book: Rulebook, seeds: dict[str, dict[str, Any]], fresh: Callable[[], Rulebook]) -> float:
    """Print the outcome build beside the walk on each seed case and on the generated sets; the worst build.
    ``fresh`` loads the rulebook again, for the build on first sight (not held to the budget)."""
    worst = 0.0
    cases = {name: [validate_answers(book, answers)] for name, answers in seeds.items()}
    raw = generate(book, ANSWER_SETS)
    generated = [validate_answers(book, answers) for answers in raw]
    cases[f"{len(generated)} answer sets"] = generated
    for name, sets in cases.items():
        number = 200 if len(sets) == 1 else 2
        walk_s, build_s = walk_and_build(book, sets, number=number)
        worst = max(worst, build_s)
        print(f"outcome build {name:17s} {build_s * 1e6:8.1f} us   (the walk alone: {walk_s * 1e6:.1f} us; "
              f"ratio {build_s / walk_s:.2f}x)   budget {BUILD_BUDGET_S * 1e6:.0f} us")
    new_book = fresh()
    cold_s = first_sight(new_book, [validate_answers(new_book, answers) for answers in raw])
    print(f"outcome build {len(raw)} sets, each seen for the first time (empty memos): {cold_s * 1e6:.1f} us")
    return worst


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
    seeds = {name: load_scenario(RULES / "scenarios" / f"seed_{name}.yaml").answer_values()
             for name in ("tyrone", "linh", "county_lines")}
    for name, answers in seeds.items():
        outcome = assess(book, answers)
        dumped = outcome.model_dump()
        engine_s = per_call(functools.partial(assess, book, answers))
        model_s = per_call(functools.partial(Outcome.model_validate, dumped))
        worst = max(worst, engine_s)
        print(f"assess whole case {name:13s} {engine_s * 1e6:8.1f} us   (building the Outcome model alone: "
              f"{model_s * 1e6:.1f} us; ratio {engine_s / model_s:.2f}x)   budget {ASSESS_BUDGET_S * 1e6:.0f} us")
    worst_build = report_builds(book, seeds, functools.partial(load_rulebook, national, local))
    ok = worst <= ASSESS_BUDGET_S and load_s <= LOAD_BUDGET_S and worst_build <= BUILD_BUDGET_S
    print("within budget" if ok else "OVER BUDGET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
