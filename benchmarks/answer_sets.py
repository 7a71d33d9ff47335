"""Distinct complete answer sets generated from the packs, so that no cache of whole responses can help a benchmark.

Each set is a walk through the questionnaire: ask ``route`` for the next question, answer it with an
option chosen pseudo-randomly (a fixed seed, so every run gets the same sets), and go on until the walk
is complete; an optional question offered on the way is answered now and then. Duplicates are dropped.
Every set is checked before any timing (``check``): ``assess`` takes it and is complete, the outcome's
route is ``route``'s, and its referrals are the actions the walk lists, found without building the outcome.

    .venv/bin/python benchmarks/answer_sets.py [--count 500] [--out var/answer-sets.jsonl]

writes one request body of ``POST /api/v2/assess`` (``{"answers": {...}}``) a line: what ``bench_http.py``
cycles through (``wrk_request.lua``).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.engine.answers import validate_answers  # noqa: E402
from app.engine.assessment import assess  # noqa: E402
from app.engine.loader import load_rulebook, rules_dirs  # noqa: E402
from app.engine.rulebook import Question, Rulebook  # noqa: E402
from app.engine.walk import Route, route, walk_state  # noqa: E402

Answers = dict[str, str | list[str]]
SEED = 11
COUNT = 500
MAX_STEPS = 200
OPTIONAL_RATE = 0.3  # how often an optional question offered is answered
NONE_RATE = 0.2  # how often a multi-choice question is answered "none of these"


def random_answer(q: Question, rng: random.Random) -> str | list[str]:
    """One answer a user could give: an option, or for a multi-choice question some options (or none)."""
    if q.type != "multi_choice":
        return rng.choice(q.values)
    options = [o for o in q.options if not o.exclusive]
    exclusive = [o for o in q.options if o.exclusive]
    if not options or rng.random() < NONE_RATE:
        return [rng.choice(exclusive).value] if exclusive and rng.random() < 0.5 else []
    chosen = set(rng.sample([o.value for o in options], rng.randint(1, min(3, len(options)))))
    return [o.value for o in options if o.value in chosen]


def random_walk(book: Rulebook, rng: random.Random) -> Answers:
    """Answer the questions the walk asks, one by one, until it is complete."""
    answers: Answers = {}
    declined: set[str] = set()
    for _ in range(MAX_STEPS):
        where = route(book, answers)
        for qid, _after in where.optional:
            if qid not in answers and qid not in declined:
                if rng.random() < OPTIONAL_RATE:
                    answers[qid] = random_answer(book.question(qid), rng)
                else:
                    declined.add(qid)
        if where.next_question is None:
            return answers
        answers[where.next_question] = random_answer(book.question(where.next_question), rng)
    raise AssertionError(f"a walk did not end within {MAX_STEPS} steps: {answers}")


def check(book: Rulebook, answers: Answers) -> None:
    """The set is complete and the engine agrees with itself on it; AssertionError if not."""
    outcome = assess(book, answers)
    assert outcome.complete, f"not complete: {answers}"
    assert Route.of(outcome) == route(book, answers), f"the outcome's route is not route's: {answers}"
    state = walk_state(book, validate_answers(book, answers), {})
    listed = {a.id for a in state.listed_actions()}
    assert {r.id for r in outcome.referrals} == listed, f"referrals differ from the listed actions: {answers}"


def generate(book: Rulebook, count: int = COUNT, seed: int = SEED) -> list[Answers]:
    """``count`` distinct complete answer sets, each checked, always the same for the same packs and seed."""
    rng = random.Random(seed)
    found: dict[str, Answers] = {}
    for _ in range(count * 20):
        if len(found) >= count:
            break
        answers = random_walk(book, rng)
        key = json.dumps(answers, sort_keys=True)
        if key not in found:
            check(book, answers)
            found[key] = answers
    if len(found) < count:
        raise AssertionError(f"only {len(found)} distinct answer sets after {count * 20} walks")
    return list(found.values())


def default_book() -> Rulebook:
    """The default deployment's rules: the national pack with the Lewisham overlay."""
    national, local = rules_dirs(ROOT / "pathway_rules", "lewisham")
    return load_rulebook(national, local)


def write_bodies(sets: list[Answers], out: Path) -> Path:
    """One ``POST /api/v2/assess`` body a line."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("".join(json.dumps({"answers": answers}, separators=(",", ":")) + "\n" for answers in sets))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--count", type=int, default=COUNT)
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "answer-sets.jsonl")
    args = parser.parse_args(argv)
    sets = generate(default_book(), args.count)
    path = write_bodies(sets, args.out)
    print(f"{len(sets)} distinct complete answer sets, each checked: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
