"""A starter local overlay for a council (``pathway init-local NAME DIR``): the files a local pack has,
written from the national pack so that nothing is left out and nothing is invented.

Every need says ``none_recorded: true`` (the plan says plainly that no local service is recorded);
every contact slot of the national pack has a commented-out contact with ``confirmed: false`` and
what to fill in, so no slot shows a made-up route until the council fills it; the availability flags
are listed at their national defaults; and ``scenarios/`` holds a scenario to copy. ``pathway check``
passes on it, with a warning for each slot and need still to fill.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import yaml

from .errors import EngineError
from .loader import load_rulebook
from .rulebook import Rulebook
from .scenarios import ANY_OVERLAY, Scenario, load_scenario, run_scenario, scenario_files

# A new overlay's name is its pack id: lower-case letters, digits, '-' and '_', starting with a letter.
STARTER_NAME = re.compile(r"[a-z][a-z0-9_-]*")
RESERVED_NAMES = ("any", "none")
STARTER_SCENARIO = "starter_case.yaml"


def starter_name_problem(name: str) -> str | None:
    """Why ``name`` cannot name a new overlay (None when it can)."""
    if name in RESERVED_NAMES:
        return f"'{name}' is reserved (a scenario's 'local: {name}'): choose the council's name"
    if not STARTER_NAME.fullmatch(name):
        return (f"'{name}' is not an overlay name: use lower-case letters, digits, '-' and '_', starting "
                "with a letter (for example southwark)")
    return None


def _q(text: str) -> str:
    """A YAML scalar in double quotes (JSON's quoting is YAML's)."""
    return json.dumps(text, ensure_ascii=False)


def _pack(name: str, national: Rulebook, today: dt.date) -> str:
    nat = national.packs[0]
    return f"""# The {name} local overlay of the {nat.name}, written by `pathway init-local`.
# A local pack may only ADD contacts, services for needs, optional questions and availability
# flags, and change wording. `pathway check --local <this folder>` lists, as warnings, what is
# still to fill in; fill every contact slot and as many needs as have a local service before use.
pack:
  id: {name}
  name: {_q(f"{name} local pathway")}
  kind: local
  extends: {nat.id}
  version: 0.1.0
  last_reviewed: {today.isoformat()}
  # The area this overlay serves, as users should read it (for example: London Borough of Southwark).
  jurisdiction: {_q(name)}
  notes: >-
    Written by pathway init-local from {nat.id} {nat.version}. Record where each contact's
    details come from, and ring each number before go-live.
"""


def _services(national: Rulebook) -> str:
    lines = [
        "# The service that meets each need, for adults (anyone treated as a child is helped through",
        "# children's services: the national child_route, or this overlay's own `child_route:`).",
        "# For each need: replace `none_recorded: true` with the service's `name:` and, if it has a",
        "# contact in contacts.yaml, its `contact:` id, plus `details:` a duty officer needs. Until then",
        "# the plan says plainly that no local service is recorded, and `pathway check` warns.",
        "services:",
    ]
    for group in ("immediate", "longer_term"):
        for need in (n for n in national.needs.values() if n.group == group):
            lines += [f"  {need.id}:  # {need.label} ({group.replace('_', '-')} need)", "    none_recorded: true"]
    return "\n".join(lines) + "\n"


def _contacts(national: Rulebook) -> str:
    lines = [
        "# The council's own routes. Each contact slot of the national pack takes one local contact",
        "# (`slot: <id>`); the plan's actions name the slot. Each is commented out until you fill it in:",
        "# remove the leading '# ' from its lines, give the real name, phone number and hours, say where",
        "# the details come from (`source:`, the organisation's page or letter, and `source_date:`), set",
        "# `confirmed: true` only when that source is the organisation itself, and record `checked_on` and",
        "# `checked_by` (a role, not a name) once someone has rung the number. Add other local services",
        "# under new ids. `pathway check` warns for each slot still empty.",
        "contacts: []",
    ]
    for slot in national.contact_slots:
        when = "out of hours (evenings, nights, weekends)" if slot.out_of_hours else "in office hours"
        lines += [
            "",
            f"#  # {slot.label}: the route for {slot.area} {when}.",
            f"#  - id: local_{slot.id}",
            f"#    slot: {slot.id}",
            f"#    name: {_q('Fill in: the team and what to ask for (' + slot.label + ')')}",
            '#    phone: "Fill in: the number a duty officer rings"',
            "#    hours: Fill in the hours it answers",
            "#    confirmed: false",
            "#    source: Fill in the organisation, page or letter that gives these details",
            "#    source_date: null",
        ]
    return "\n".join(lines) + "\n"


def _availability(national: Rulebook) -> str:
    lines = [
        "# Facts about the local area that change the plan. Each is at the national default until you",
        "# set it here; say `available` only when the service covers this area.",
        "availability:",
    ]
    for flag in national.flags.values():
        lines += [f"  # {flag.label}: one of {', '.join(flag.values)}", f"  {flag.id}: {flag.value}"]
    return "\n".join(lines) + "\n"


def _scenario_text(name: str, source: Path, scenario: Scenario) -> str:
    answers = {qid: ({"answer": a.answer, "reason": a.reason} if a.reason else a.answer)
               for qid, a in scenario.answers.items()}
    body = {"name": f"{scenario.name} ({name})", "local": name, "preset": scenario.preset or None,
            "answers": answers, "expect": scenario.expect.model_dump(exclude_defaults=True)}
    header = (f"# A scenario for the {name} overlay, to copy: the shared case {source.name}, run with this\n"
              "# overlay. Change the answers to a case your council sees, and add what the plan must show\n"
              "# with your local routes (expect: referrals, needs). Add `narrative:` to show it in training.\n"
              "# `pathway scenarios --local <this overlay's folder>` runs it with the shared scenarios.\n")
    return header + yaml.safe_dump({k: v for k, v in body.items() if v is not None}, sort_keys=False,
                                   allow_unicode=True, width=100)


def write_starter_overlay(national_dir: Path, shared_scenarios: Path, name: str, target: Path) -> list[Path]:
    """Write a starter overlay named ``name`` into ``target`` (new or empty); returns the files written.
    Raises ValueError for a bad name or a folder in use, and PackError when the national pack is broken."""
    problem = starter_name_problem(name)
    if problem:
        raise ValueError(problem)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise ValueError(f"{target} already exists and is not an empty folder: choose a new folder")
    national = load_rulebook(national_dir)
    files = {
        "pack.yaml": _pack(name, national, dt.date.today()),
        "services.yaml": _services(national),
        "contacts.yaml": _contacts(national),
        "availability.yaml": _availability(national),
    }
    (target / "scenarios").mkdir(parents=True, exist_ok=True)
    written = []
    for file, text in files.items():
        (target / file).write_text(text, encoding="utf-8")
        written.append(target / file)
    book = load_rulebook(national_dir, target)
    copy = _copy_a_scenario(name, shared_scenarios, book, target / "scenarios" / STARTER_SCENARIO)
    return [*written, *([copy] if copy else [])]


def _copy_a_scenario(name: str, shared: Path, book: Rulebook, path: Path) -> Path | None:
    """Copy the first shared scenario for any overlay that passes with the new overlay (None if none do)."""
    for source in scenario_files(shared):
        try:
            scenario = load_scenario(source)
        except EngineError:
            continue
        if scenario.local != ANY_OVERLAY or not scenario.expect.complete:
            continue
        path.write_text(_scenario_text(name, source, scenario), encoding="utf-8")
        if run_scenario(path, lambda _local: book).passed:
            return path
    path.unlink(missing_ok=True)
    return None
