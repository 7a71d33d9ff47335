"""The local pack's benchmarks: what each counts is checked against the packs (a dimension the Network
counts, values that are action ids, options or determination values, an organisation type), each
problem at its file:line."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .. import schema
from ..errors import did_you_mean
from ..rulebook import Action, Benchmark, Question
from . import checks
from .compiler import Compiler
from .read import Source

# The question whose options a dimension's values are, and the determination whose values they are.
QUESTION_OF = {"council_service": "council_service", "exploitation_type": "exploitation_types"}
DETERMINATION_OF = {"modern_slavery": "modern_slavery"}
YES_NO = ("yes", "no")
ORGANISATION = "organisation"
COUNCIL_SERVICE = "council_service"


def allowed_values(c: Compiler, dimension: str, questions: Mapping[str, Question],
                   actions: Sequence[Action]) -> tuple[str, ...] | None:
    """The values a benchmark may count in ``dimension``: None when it takes none (walks, training),
    an empty tuple when the packs have no question for it."""
    if dimension == "action_listed":
        return tuple(a.id for a in actions)
    if dimension == "action_done":
        return schema.DONE_VALUES
    if dimension == "treated_as_child":
        return YES_NO
    if dimension in DETERMINATION_OF:
        fact = c.facts.get(DETERMINATION_OF[dimension])
        return tuple(str(v) for v in fact.values) if fact else ()
    if dimension in QUESTION_OF:
        question = questions.get(QUESTION_OF[dimension])
        return question.values if question else ()
    return None


def benchmarks(c: Compiler, questions: Sequence[Question], actions: Sequence[Action]) -> tuple[Benchmark, ...]:
    """The overlay's benchmarks (none without an overlay or a ``benchmarks`` section), each checked."""
    loc = c.local
    docs: list[schema.BenchmarkDoc] = (loc.sections.get("benchmarks") if loc else None) or []
    if loc is None or not docs:
        return ()
    checks.unique(c, loc, "benchmarks", [b.id for b in docs])
    by_id = {q.id: q for q in questions}
    found = [_benchmark(c, loc, i, doc, by_id, actions) for i, doc in enumerate(docs)]
    return tuple(b for b in found if b is not None)


def _benchmark(c: Compiler, loc: Source, i: int, doc: schema.BenchmarkDoc, by_id: Mapping[str, Question],
               actions: Sequence[Action]) -> Benchmark | None:
    """One benchmark, or None after reporting each problem with what it counts."""
    count = doc.counts
    before = len(c.problems.items)

    def problem(path: tuple[str | int, ...], message: str, suggestion: str | None = None) -> None:
        c.problem(loc, "benchmarks", (i, "counts", *path), f"benchmarks[{doc.id}]: {message}", suggestion)

    if count.dimension not in schema.BENCHMARK_DIMENSIONS:
        dims = schema.BENCHMARK_DIMENSIONS
        problem(("dimension",), f"'{count.dimension}' is not counted; dimensions: {', '.join(dims)}",
                did_you_mean(count.dimension, dims))
        return None
    allowed = allowed_values(c, count.dimension, by_id, actions)
    if allowed is None and count.values:
        problem(("values",), f"'{count.dimension}' has no values to choose: leave out 'values'")
    elif allowed == ():
        problem(("dimension",), f"the packs have no question or determination for '{count.dimension}'")
    for j, value in enumerate(count.values if allowed else ()):
        if value not in (allowed or ()):
            kind = {"action_listed": "an action", "action_done": "a referral the form records"}.get(
                count.dimension, "a value")
            problem(("values", j), f"'{value}' is not {kind} of '{count.dimension}'; allowed: "
                    f"{', '.join(allowed or ())}", did_you_mean(value, allowed or ()))
    organisations = by_id[ORGANISATION].values if ORGANISATION in by_id else ()
    services = by_id[COUNCIL_SERVICE].values if COUNCIL_SERVICE in by_id else ()
    training = count.dimension.startswith("training_")
    if training and (count.organisation or count.council_service):
        problem(("organisation" if count.organisation else "council_service",),
                "training is not counted by organisation: leave out 'organisation' and 'council_service'")
    elif count.organisation is not None and count.organisation not in organisations:
        problem(("organisation",), f"'{count.organisation}' is not an organisation type; allowed: "
                f"{', '.join(organisations) or 'none'}", did_you_mean(count.organisation, organisations))
    if not training and count.council_service is not None and count.council_service not in services:
        problem(("council_service",), f"'{count.council_service}' is not a council service; allowed: "
                f"{', '.join(services) or 'none (the packs do not ask for one)'}",
                did_you_mean(count.council_service, services))
    if len(c.problems.items) > before:
        return None
    return Benchmark(doc.id, doc.label, count.dimension, tuple(count.values), count.organisation, doc.target.by,
                     doc.target.at_least, doc.priority, doc.source, count.council_service)


def agencies(c: Compiler) -> tuple[str, ...]:
    """The agencies the overlay names for the training form (each once, none blank)."""
    loc = c.local
    names: list[str] = (loc.sections.get("training_agencies") if loc else None) or []
    if loc is None:
        return ()
    seen: list[str] = []
    for i, name in enumerate(names):
        if not name.strip() or name.strip() in seen:
            c.problem(loc, "training_agencies", (i,), "training_agencies: each agency is named once, not blank")
        else:
            seen.append(name.strip())
    return tuple(seen)
