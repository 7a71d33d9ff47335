"""Exhaustive verification of a rulebook: every path the walk can take, every invariant, checked.

Not sampling. A *path* is one complete set of answers the walk accepts, in the order it asks
them; a pack has far too many to enumerate (some 10^18 for the shipped packs), so the verifier
explores an abstraction of them that loses nothing.

**Value classes** (``abstraction``). Two answers to a question that every condition of the pack
treats alike (each test of the question's value is true of both or false of both, and the test
card tells them apart only if it shows them differently) give the same outcome wherever one is
given in place of the other. So one representative answer stands for its whole class, and the
class's ``count`` says how many answers it stands for (organisations group by what the rules
read; a multi-choice answer is a set of the options some condition looks for, and the options
nothing reads collapse into one, counted ``2 ** n`` ways).

**The skeleton** (``abstraction``, ``explore``). A *skeleton question* is one whose answer decides
which later questions are asked: some ``ask_when`` reads it, directly or through
determinations. The verifier walks every answer of every skeleton question, depth first, so
every sequence of asked questions is reached; each complete walk is a *leaf*. The walk uses
coarser classes still (the answers the walk's own conditions treat alike): each coarse class
is a union of fine classes, which the checks enumerate again at each leaf. Every other question
is *free*: its answer never changes which questions are asked, so the walk gives it a
representative and each check enumerates, at each leaf, every combination of the classes of
the free questions *it reads* that the leaf asks.

**Why it is sound.** A path is a leaf plus one answer to each free question it asks (and one fine
answer within each coarse skeleton answer). Each check enumerates every combination of the
classes of the questions it depends on, and the answers within a class are indistinguishable to
every condition, so every path is checked exactly as if it were walked. Counts of paths multiply
each class by its ``count``, and the brute-force test (``tests/engine/test_verify.py``) holds them
equal to walking every raw answer. A check's result at a leaf depends only on what it reads of the
leaf (``LeafKey``: the coarse answers of the skeleton questions it reads, which free questions are
asked, the values of the determinations the skeleton settles), so each check memoises on exactly
that and equal states are evaluated once.

**The checks**, each proving one thing on every path:

* ``actions``: each action is due or not (never undecided); a listed action has a settled urgency
  and at least one reason shown; every action has a source; no condition of an action is always
  true or always false where it is read (those that are so only because of this deployment's
  flags are notes, not faults);
* ``determinations``: each determination has exactly one value;
* ``invariants``: the pack's declared ``never``, ``always`` and ``ordering`` rules hold;
* ``pointless``: every question asked (bar those asked always or for the record) has two answers
  that give a different outcome (a determination, an action or its urgency, the test card or an
  assumption), judged where it is asked, with every combination of the earlier answers;
* ``reachability``: every question is asked, every action listed and every determination value
  given on some path;
* and, while walking (``explore``), the walk always reaches its end, never asks a question twice
  and never withdraws an action it listed early.

**Counterexamples** (``report``). A failing check records where it failed (a leaf and the free
answers there), and the report keeps, for each check, the shortest complete answer set that shows
it, built from the leaf's answers with a representative for each question left open.
``Violation.scenario_yaml`` prints it as a scenario, with ``expect:`` lines that fail on the
faulty pack (``not_referrals``, ``referrals``, ``order``...), ready to paste into
``pathway_rules/scenarios/`` as a regression test once the pack is fixed.
"""

from .abstraction import ValueClass, answers_count, value_classes
from .report import Report, Violation
from .run import Verifier, verify

__all__ = ["Report", "ValueClass", "Verifier", "Violation", "answers_count", "value_classes", "verify"]
