"""Pathway's engine: the rule packs, the walk, the outcome and the tools built on them.

This is the engine's public surface. The web layer, the command line and the case-notes renderer
import from here and nowhere deeper (``tests/engine/test_boundaries.py`` holds them to it), so the
modules behind it can be reorganised without breaking their callers. Tests may use internals.

The errors form one tree::

    EngineError                 anything the engine refuses
    ├── PackError               a rule pack is broken (every problem at once, each at file:line)
    ├── AnswerError             answers the packs refuse (each problem with its question)
    └── ScenarioError           a scenario file that cannot be read or run

The main calls:

- ``load(national_dir, local_dir=None) -> Rulebook`` reads and checks the packs (``rules_dirs``
  finds the two directories under a rules root);
- ``assess(book, answers, today=..., preset=...) -> Outcome`` is the whole plan for a set of answers;
- ``route(book, answers, preset=...) -> Route`` is the next question only, the questionnaire's cheap path;
- ``verify(book) -> Report`` proves the pack's invariants on every path.
"""

from .answers import validate_answers
from .assessment import assess
from .compare import Comparison, compare
from .conditions import LogicAll, Test, to_text
from .contact_checks import contact_warnings, service_warnings
from .diagram import graph as diagram_graph
from .diagram import to_dot, to_mermaid, to_svg
from .errors import AnswerError, AnswerProblem, EngineError, PackError, PackProblem, did_you_mean
from .explain import action_wording_out, contact_out, in_sentence, packs_out, question_out
from .labels import ELEMENT_WORDS, URGENCY_LABELS
from .loader import is_overlay_path, load_rulebook, overlay_problem, rules_dirs, shipped_overlays
from .outcome import (
    ActionWordingOut,
    ContactOut,
    Model,
    Outcome,
    PackOut,
    QuestionOut,
    ReferralOut,
)
from .plain import logic_plain, plain, urgency_change_why, value_words
from .rulebook import Benchmark, Contact, Determination, GlossaryTerm, Question, Rulebook
from .scenarios import (
    Scenario,
    ScenarioError,
    ScenarioResult,
    deployment_scenarios,
    load_scenario,
    overlay_id,
    run_scenario,
    scenario_files,
    walk_step_by_step,
)
from .starter import write_starter_overlay
from .verifier import Report, Verifier, verify
from .walk import Route, route
from .yaml_source import PackProblemError, line_of, read_yaml_file

load = load_rulebook

__all__ = [
    "ELEMENT_WORDS",
    "URGENCY_LABELS",
    "ActionWordingOut",
    "AnswerError",
    "AnswerProblem",
    "Benchmark",
    "Comparison",
    "Contact",
    "ContactOut",
    "Determination",
    "EngineError",
    "GlossaryTerm",
    "LogicAll",
    "Model",
    "Outcome",
    "PackError",
    "PackOut",
    "PackProblem",
    "PackProblemError",
    "Question",
    "QuestionOut",
    "ReferralOut",
    "Report",
    "Route",
    "Rulebook",
    "Scenario",
    "ScenarioError",
    "ScenarioResult",
    "Test",
    "Verifier",
    "action_wording_out",
    "assess",
    "compare",
    "contact_out",
    "contact_warnings",
    "deployment_scenarios",
    "diagram_graph",
    "did_you_mean",
    "in_sentence",
    "is_overlay_path",
    "line_of",
    "load",
    "load_rulebook",
    "load_scenario",
    "logic_plain",
    "overlay_id",
    "overlay_problem",
    "packs_out",
    "plain",
    "question_out",
    "read_yaml_file",
    "route",
    "rules_dirs",
    "run_scenario",
    "scenario_files",
    "service_warnings",
    "shipped_overlays",
    "to_dot",
    "to_mermaid",
    "to_svg",
    "to_text",
    "urgency_change_why",
    "validate_answers",
    "value_words",
    "verify",
    "walk_step_by_step",
    "write_starter_overlay",
]
