"""The deliberately broken rule packs, one entry per fault, made at test time from ``valid_minimal/``.

Each fault is a few line edits to a copy of ``tests/packs/valid_minimal/`` (the national pack and its
``local/minimal/`` overlay) and the problems the loader must report for it, each at its file, line and
message, in the order the loader reports them. A problem's line is named by its text (``at``), or is
the first line the fault's edit wrote in that file, so that the table does not depend on line
numbers in the base pack. When an edit's lines are gone from the base, building the fault fails
with a message naming the fault and the lines (see ``edits.py``).

To see a fault as a safeguarding lead would, write it out and check it::

    .venv/bin/python -m tests.packs.faults misspelt_fact /tmp/broken
    pathway check /tmp/broken
"""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from app.engine import schema
from tests.packs.edits import (
    Edit,
    StaleFault,
    append,
    apply,
    insert_after,
    insert_before,
    new_file,
    remove,
    replace,
)

BASE = Path(__file__).resolve().parent / "valid_minimal"

ACTIONS = "national/actions.yaml"
CONTACTS = "national/contacts.yaml"
DETERMINATIONS = "national/determinations.yaml"
FLAGS = "national/flags.yaml"
INVARIANTS = "national/invariants.yaml"
QUESTIONS = "national/questions.yaml"
LOCAL_ACTIONS = "local/minimal/actions.yaml"
LOCAL_AVAILABILITY = "local/minimal/availability.yaml"
LOCAL_CONTACTS = "local/minimal/contacts.yaml"
LOCAL_PACK = "local/minimal/pack.yaml"
LOCAL_QUESTIONS = "local/minimal/questions.yaml"
LOCAL_SERVICES = "local/minimal/services.yaml"


@dataclass(frozen=True)
class Problem:
    """One problem the loader must report: where, and what it says."""

    file: str  # relative to the rules root
    message: str
    suggestion: str | None = None
    at: str | None = None  # the exact line it points at; None: the first line the fault wrote in `file`
    occurrence: int = 0  # which of several lines equal to `at` (1 = the first); 0: `at` occurs once


@dataclass(frozen=True)
class Fault:
    """What is wrong, the edits that make it, and the problems the loader reports, in order."""

    why: str
    edits: tuple[Edit, ...]
    problems: tuple[Problem, ...]


@dataclass(frozen=True)
class Expected:
    """A problem as the loader reports it, with its file relative to the rules root."""

    file: str
    line: int
    message: str
    suggestion: str | None = None


def fault(why: str, edits: Edit | tuple[Edit, ...], *problems: Problem) -> Fault:
    """A table entry: one edit or a few, and the problems they cause."""
    return Fault(why, edits if isinstance(edits, tuple) else (edits,), problems)


# --------------------------------------------------------------------------- edits used more than once

MISSPELT_FACT = replace(ACTIONS, "      - when: {purpose: unsure}", "      - when: {purpsoe: unsure}")
MISSPELT_CONTACT = replace(
    ACTIONS, "    contacts: [modern_slavery_helpline]", "    contacts: [modern_slavery_helpine]")
LOGIC_ON_A_CHOICE = replace(
    DETERMINATIONS, "          all: [action, purpose]", "          all: [action, purpose, age_group]")
AVAILABILITY_YES = replace(
    LOCAL_AVAILABILITY, "  victim_care_pathway: available", "  victim_care_pathway: yes")
UNQUOTED_COLON = replace(
    QUESTIONS, "    why: Safety comes first.", "    why: Safety comes first: call 999 before anything else.")
LOCAL_ACTION = new_file(LOCAL_ACTIONS, """\
actions:
  - id: nrm_referral
    title: Refer to the National Referral Mechanism
    summary: Make a referral to the NRM.
    who_acts: You
    due:
      purpose: "yes"
    urgency:
      - level: 3
    reasons:
      - text: They were exploited.
    source: Local policy
""")
NATIONALITY_QUESTION = insert_before(QUESTIONS, "  - id: action", """\
  - id: nationality
    section: The person
    short: Nationality
    type: choice
    text: What is the person's nationality?
    options:
      - value: british
        label: British
      - value: other
        label: Another nationality
    why: Recorded for the referral form only.
    source: Test source
""")
VARIANTS_AFTER = "    title: Call 999 now"
ALIAS_ITEMS = ["lol", "*a", "*b", "*c", "*d", "*e", "*f", "*g", "*h"]  # line n+1 holds ten of line n

MISSPELT_FACT_PROBLEM = Problem(
    ACTIONS, "condition refers to 'purpsoe'", "did you mean 'purpose'?", at="      - when: {purpsoe: unsure}")
MISSPELT_CONTACT_PROBLEM = Problem(
    ACTIONS, "action 'nrm_referral' names contact 'modern_slavery_helpine', which is not defined",
    "did you mean 'modern_slavery_helpline'?", at="    contacts: [modern_slavery_helpine]")
LOGIC_ON_A_CHOICE_PROBLEM = Problem(
    DETERMINATIONS, "logic can only combine yes/no facts, and 'age_group' is a choice fact; use a condition instead")
AVAILABILITY_YES_PROBLEM = Problem(
    LOCAL_AVAILABILITY, "flag 'victim_care_pathway' cannot be 'yes'; allowed: available, unavailable, unknown")
UNQUOTED_COLON_PROBLEM = Problem(QUESTIONS, "invalid YAML: mapping values are not allowed here")
LOCAL_ACTION_PROBLEM = Problem(
    LOCAL_ACTIONS, "a local pack may not change 'actions': it may only add contacts, services for needs, optional "
    "questions and availability flags, and change wording")
NEVER_INPUT = "condition reads 'nationality', which must never be an input to a decision (invariants: never_inputs)"

# --------------------------------------------------------------------------- the faults

FAULTS: dict[str, Fault] = {
    # conditions and the facts they read
    "misspelt_fact": fault("'purpose' is misspelt", MISSPELT_FACT, MISSPELT_FACT_PROBLEM),
    "value_not_an_option": fault(
        "'chlid' is not an option of age_group",
        replace(ACTIONS, "      - when: {age_group: child}", "      - when: {age_group: chlid}"),
        Problem(ACTIONS, "'age_group' cannot be 'chlid'; allowed: child, adult, uncertain", "did you mean 'child'?")),
    "boolean_tested_with_yes": fault(
        "treated_as_child is true or false, not yes or no",
        replace(ACTIONS, "      treated_as_child: true", '      treated_as_child: "yes"'),
        Problem(ACTIONS, "'treated_as_child' cannot be 'yes'; allowed: true, false")),
    "multi_choice_without_includes": fault(
        "a multi-choice answer is tested with 'includes'",
        replace(ACTIONS, "        - immediate_needs: {includes: [accommodation]}",
                "        - immediate_needs: accommodation"),
        Problem(ACTIONS, "'immediate_needs' is a multi-choice question: test it with {includes: [...]}")),
    "logic_non_tri_state": fault(
        "age_group is a choice, not yes/no/not sure", LOGIC_ON_A_CHOICE, LOGIC_ON_A_CHOICE_PROBLEM),
    "listed_unknown_action": fault(
        "there is no action 'childrens_services'",
        replace(ACTIONS, "      - when: {listed: childrens_social_care}", "      - when: {listed: childrens_services}"),
        Problem(ACTIONS, "'listed' refers to 'childrens_services', which is not an action")),
    "unknown_placeholder": fault(
        "the placeholder misspells modern_slavery",
        replace(ACTIONS, "      - text: Modern slavery is {modern_slavery}.",
                "      - text: Modern slavery is {modern_slavry}."),
        Problem(ACTIONS, "text refers to '{modern_slavry}', which is not a question, determination or flag",
                "did you mean 'modern_slavery'?")),
    "never_input_read": fault(
        "nationality must never decide anything (invariants: never_inputs)",
        (NATIONALITY_QUESTION,
         insert_after(ACTIONS, "        - treated_as_child: false", "        - nationality: british")),
        Problem(ACTIONS, NEVER_INPUT)),
    "never_input_read_by_determination": fault(
        "nationality must never decide anything (invariants: never_inputs)",
        (NATIONALITY_QUESTION,
         replace(DETERMINATIONS, "      age_group: [child, uncertain]",
                 "      any:\n        - age_group: [child, uncertain]\n        - nationality: other")),
        Problem(DETERMINATIONS, NEVER_INPUT, at="        - nationality: other")),
    # ids
    "duplicate_id": fault(
        "a second action with the id 'emergency_999'",
        insert_before(ACTIONS, "  - id: childrens_social_care", """\
  - id: emergency_999
    title: Call 999 if the danger becomes clear
    summary: Call 999 as soon as you know someone is in danger.
    who_acts: You
    due:
      immediate_danger: unsure
    urgency:
      - level: 2
    reasons:
      - text: You are not sure whether someone is in danger ({immediate_danger}).
    source: Test source

"""),
        Problem(ACTIONS, "duplicate id 'emergency_999' in actions")),
    # an action with a determination's id passed `pathway check`, then made every assess a 500
    "id_shared_across_kinds": fault(
        "an action with the id of a determination ('trafficking')",
        append(ACTIONS, """
  - id: trafficking
    title: Report the trafficking to the police
    summary: Report what you know to the police on 101.
    who_acts: You, to the police
    due:
      trafficking: ["yes"]
    urgency:
      - level: 3
    reasons:
      - text: Human trafficking is {trafficking}.
    source: Test source
"""),
        Problem(ACTIONS, "id 'trafficking' is used by both determinations and actions")),
    # the order things depend on each other
    "question_cycle": fault(
        "purpose is asked depending on means, and means depending on purpose",
        insert_after(QUESTIONS, "    why: The purpose part of the trafficking test.",
                     '    ask_when:\n      means: ["yes", unsure]'),
        Problem(QUESTIONS, "questions depend on each other in a cycle: purpose -> means -> purpose")),
    "question_depends_on_later": fault(
        "age_group depends on purpose, which is asked later",
        insert_after(QUESTIONS, "    why: Children are referred through children's services.",
                     '    ask_when:\n      purpose: ["yes", unsure]'),
        Problem(QUESTIONS, "question 'age_group' is asked depending on 'purpose', which is asked at the same "
                "point or later; move it after that question")),
    "determination_cycle": fault(
        "trafficking reads modern_slavery, which reads trafficking",
        replace(DETERMINATIONS, "          all: [action, purpose, means]",
                "          all: [action, purpose, {any: [means, modern_slavery]}]"),
        Problem(DETERMINATIONS,
                "determinations depend on each other in a cycle: trafficking -> modern_slavery -> trafficking",
                at="  - id: trafficking")),
    "action_cycle": fault(
        "nrm_referral's urgency already depends on this action",
        replace(ACTIONS, '          modern_slavery: ["yes", possible]',
                '          any:\n            - modern_slavery: ["yes", possible]\n            - listed: nrm_referral'),
        Problem(ACTIONS, "actions depend on each other in a cycle: childrens_social_care -> nrm_referral -> "
                "childrens_social_care", at="            - listed: nrm_referral")),
    # what an action must say
    "action_without_source": fault(
        "this action has no 'source'",
        replace(ACTIONS, "        text: The local victim care pathway can help.\n    source: Test source",
                "        text: The local victim care pathway can help."),
        Problem(ACTIONS, "actions[housing_referral]: 'source' is required", at="  - id: housing_referral")),
    "action_without_reasons": fault(
        "no reasons",
        replace(ACTIONS,
                "    reasons:\n      - text: You said someone may be in immediate danger ({immediate_danger}).",
                "    reasons: []"),
        Problem(ACTIONS, "actions[emergency_999].reasons: an action needs at least one reason")),
    # keys and sections
    "duplicate_yaml_key": fault(
        "'help' is given twice for the same question",
        insert_after(QUESTIONS, "    why: The purpose part of the trafficking test.",
                     "    help: Include exploitation that is only planned."),
        Problem(QUESTIONS, "key 'help' appears twice in the same mapping (first on line 39)")),
    "unknown_key": fault(
        "'help' is misspelt",
        replace(QUESTIONS,
                "    help: Sexual exploitation, forced labour, forced criminality or domestic servitude.",
                "    hlep: Sexual exploitation, forced labour, forced criminality or domestic servitude."),
        Problem(QUESTIONS,
                f"unknown key 'hlep' in questions[purpose]; allowed: {', '.join(schema.QuestionDoc.model_fields)}",
                "did you mean 'help'?")),
    "unknown_section": fault(
        "the section is 'flags', not 'flag'",
        replace(FLAGS, "flags:", "flag:"),
        Problem(FLAGS, f"unknown section 'flag'; allowed: {', '.join(schema.NATIONAL_SECTIONS)}",
                "did you mean 'flags'?")),
    # contacts (contract v2): who checked them, constants, sources users can find, and slots
    "undefined_contact": fault("the contact id is misspelt", MISSPELT_CONTACT, MISSPELT_CONTACT_PROBLEM),
    "contact_checked_by_without_date": fault(
        "checked_by without checked_on",
        remove(CONTACTS, "    checked_on: 2026-11-01"),
        Problem(CONTACTS, "contacts[modern_slavery_helpline]: 'checked_by' needs 'checked_on': the day they rang "
                "the number or loaded the page", at="    checked_by: Safeguarding lead")),
    "contact_checked_without_role": fault(
        "checked_on without checked_by",
        remove(CONTACTS, "    checked_by: Safeguarding lead"),
        Problem(CONTACTS, "contacts[modern_slavery_helpline]: 'checked_on' needs 'checked_by': the role (not the "
                "name) of who checked it", at="    checked_on: 2026-11-01")),
    "contact_checked_in_the_future": fault(
        "a check dated after today",
        replace(CONTACTS, "    checked_on: 2026-11-01", "    checked_on: 2999-01-01"),
        Problem(CONTACTS, "contacts[modern_slavery_helpline]: 'checked_on' is 2999-01-01, after today: record the "
                "day it was checked")),
    "constant_contact_checked": fault(
        "999 is a constant: no one records checking it",
        insert_after(CONTACTS, "    constant: true", "    checked_on: 2026-11-01"),
        Problem(CONTACTS,
                "contacts[emergency_999]: a constant number (999) is never shown as checked: remove 'checked_on'")),
    "constant_contact_not_an_emergency_number": fault(
        "only 999, 112 and 101 are constants",
        replace(CONTACTS, "    checked_on: 2026-11-01\n    checked_by: Safeguarding lead", "    constant: true"),
        Problem(CONTACTS, "contacts[modern_slavery_helpline]: only 999, 112 and 101 are constant; '08000 121 700' "
                "is checked like any other number")),
    "contact_source_cites_facts_sheet": fault(
        "users see the source: it must not cite the facts sheet",
        replace(CONTACTS, "    source: Test source\n    source_date: 2026-04",
                "    source: Facts sheet §8 [S2]\n    source_date: 2026-04"),
        Problem(CONTACTS, "contacts[modern_slavery_helpline].source: users see a contact's source: name the "
                "organisation, law or guidance, not the facts sheet, its source keys or the seed")),
    "contact_source_date_not_a_date": fault(
        "there is no month 13",
        replace(CONTACTS, "    source_date: 2026-04", "    source_date: 2026-13"),
        Problem(CONTACTS, "contacts[modern_slavery_helpline].source_date: '2026-13' is not a date: write "
                "2024-08-22, or 2026-04 or 2020 when the source gives no day, or null when it is undated")),
    "contact_source_date_in_the_future": fault(
        "a source dated after today",
        replace(CONTACTS, "    source_date: 2026-04", "    source_date: 2999-04"),
        Problem(CONTACTS, "contacts[modern_slavery_helpline]: 'source_date' is 2999-04, after today: give the "
                "source's own date")),
    "national_contact_fills_slot": fault(
        "a national contact fills no slot; national actions name the slot",
        insert_after(CONTACTS, "  - id: modern_slavery_helpline", "    slot: housing"),
        Problem(CONTACTS, "contacts[modern_slavery_helpline]: only a local pack's contact fills a contact slot; "
                "a national action names the slot itself")),
    "contact_slot_with_contact_id": fault(
        "a slot with a contact's id",
        insert_after(CONTACTS, "    area: housing", "  - id: emergency_999\n    label: Emergency\n    area: emergency"),
        Problem(CONTACTS, "contact slot 'emergency_999' has the id of a contact; actions name both, so give the "
                "slot an id of its own")),
    "unknown_contact_slot": fault(
        "no such slot",
        replace(LOCAL_CONTACTS, "    slot: housing", "    slot: hosuing"),
        Problem(LOCAL_CONTACTS, "contacts[local_housing]: 'hosuing' is not a contact slot of the national pack; "
                "slots: childrens_services, childrens_out_of_hours, housing", "did you mean 'housing'?")),
    "contact_slot_filled_twice": fault(
        "the housing slot is already filled by local_housing",
        append(LOCAL_CONTACTS, """
  - id: local_homeless_team
    slot: housing
    name: Local homelessness team
    confirmed: false
    source: Test source
"""),
        Problem(LOCAL_CONTACTS, "contact slot 'housing' is already filled by 'local_housing'; a slot takes one "
                "contact: add others to the action through action_contacts", at="    slot: housing", occurrence=2)),
    # invariants
    "always_any_of_unknown_action": fault(
        "there is no action 'nrm_referal'",
        insert_after(INVARIANTS, "      actions: [childrens_social_care]\n      when: {treated_as_child: true}", """
    - id: something_for_modern_slavery
      text: Modern slavery always leads to children's services or an NRM referral.
      any_of:
        - childrens_social_care
        - nrm_referal
      when: {modern_slavery: ["yes", possible]}"""),
        Problem(INVARIANTS, "invariant names action 'nrm_referal', which does not exist",
                "did you mean 'nrm_referral'?", at="        - nrm_referal")),
    "always_any_of_and_actions": fault(
        "an 'always' rule has either 'actions' or 'any_of', not both",
        insert_after(INVARIANTS, "      actions: [childrens_social_care]",
                     "      any_of: [childrens_social_care, nrm_referral]"),
        Problem(INVARIANTS, "invariants.always[children_go_to_childrens_services]: an 'always' rule names either "
                "'actions' (all of them are listed) or 'any_of' (at least one of them is listed)",
                at="    - id: children_go_to_childrens_services")),
    "never_unknown_assumption": fault(
        "the assumption is 'age_presumed_child' (the determinations add it)",
        (append(DETERMINATIONS, """
assumptions:
  - id: age_presumed_child
    when:
      age_group: uncertain
    text: Treated as a child because their age is uncertain.
"""),
         insert_after(INVARIANTS, "      questions: [means]\n      when: {treated_as_child: true}", """
    - id: no_age_presumption_for_adults
      text: Never presume an adult is a child.
      assumptions: [age_presumed_chlid]
      when: {age_group: adult}""")),
        Problem(INVARIANTS, "invariant names assumption 'age_presumed_chlid', which does not exist",
                "did you mean 'age_presumed_child'?", at="      assumptions: [age_presumed_chlid]")),
    # reading the YAML safely
    "invalid_yaml_syntax": fault(
        "an unquoted ': ' inside a value (quote the text to fix it)", UNQUOTED_COLON, UNQUOTED_COLON_PROBLEM),
    "yaml_python_tag": fault(
        "a YAML tag that would run Python in an unsafe loader",
        replace(CONTACTS, '    phone: "08000 121 700"', '    phone: !!python/object/apply:os.system ["echo owned"]'),
        Problem(CONTACTS, "tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed in a rule pack")),
    "alias_bomb": fault(
        'a "billion laughs": each line repeats the one above ten times',
        new_file("national/guidance.yaml", "guidance:\n" + "".join(
            f"  - &{name} [{', '.join([item] * 10)}]\n" for item, name in zip(ALIAS_ITEMS, "abcdefghi", strict=True))),
        Problem("national/guidance.yaml", "document is too large: more than 100000 values once aliases are expanded",
                at="  - &e [" + ", ".join(["*d"] * 10) + "]")),
    "nesting_too_deep": fault(
        "nested deeper than the reader allows",
        replace(ACTIONS, '    due:\n      immediate_danger: ["yes", unsure]',
                "    due: " + "{not: " * 40 + '{immediate_danger: "no"}' + "}" * 40),
        Problem(ACTIONS, "nesting is deeper than 40 levels")),
    # wording variants
    "variant_unknown_key": fault(
        "'title' is misspelt",
        insert_after(ACTIONS, VARIANTS_AFTER, "    variants:\n      - when: {age_group: child}\n"
                     "        titel: Call 999 now, for a child in danger"),
        Problem(ACTIONS, "unknown key 'titel' in actions[emergency_999].variants[0]; allowed: "
                f"{', '.join(schema.VariantDoc.model_fields)}", "did you mean 'title'?",
                at="        titel: Call 999 now, for a child in danger")),
    "variant_without_wording": fault(
        "the variant changes no wording",
        insert_after(ACTIONS, VARIANTS_AFTER, "    variants:\n      - when: {age_group: child}"),
        Problem(ACTIONS, "actions[emergency_999].variants[0]: a variant changes at least one of title, short_title, "
                "summary, who_acts", at="      - when: {age_group: child}", occurrence=1)),
    "variant_misspelt_fact": fault(
        "'age_group' is misspelt",
        insert_after(ACTIONS, VARIANTS_AFTER, "    variants:\n      - when: {age_grup: child}\n"
                     "        title: Call 999 now, for a child in danger"),
        Problem(ACTIONS, "condition refers to 'age_grup'", "did you mean 'age_group'?",
                at="      - when: {age_grup: child}")),
    # what a local overlay may do
    "overlay_changes_actions": fault(
        "a local pack may not change the national actions", LOCAL_ACTION, LOCAL_ACTION_PROBLEM),
    "overlay_redefines_contact": fault(
        "emergency_999 is a national contact; a local pack adds new ids only",
        insert_after(LOCAL_CONTACTS, "contacts:", """\
  - id: emergency_999
    name: Local police control room
    phone: "020 0000 0000"
    confirmed: false
    source: Test source
"""),
        Problem(LOCAL_CONTACTS, "contact 'emergency_999' is already defined by the national pack; a local pack may "
                "only add contacts, under new ids")),
    "overlay_availability_value": fault(
        "the allowed values are available, unavailable, unknown", AVAILABILITY_YES, AVAILABILITY_YES_PROBLEM),
    "overlay_services_missing_need": fault(
        "no entry for hot_food",
        remove(LOCAL_SERVICES, "  hot_food:\n    none_recorded: true"),
        Problem(LOCAL_SERVICES, "services: need 'hot_food' has no entry; name a service or say 'none_recorded: true'",
                at="services:")),
    "overlay_extends_wrong_pack": fault(
        "the national pack here is minimal-national",
        replace(LOCAL_PACK, "  extends: minimal-national", "  extends: england-wales"),
        Problem(LOCAL_PACK, "this local pack extends 'england-wales', but the national pack is 'minimal-national'")),
    "overlay_required_question": fault(
        "a local pack may only add optional questions",
        new_file(LOCAL_QUESTIONS, """\
optional_questions:
  - id: local_housing_checked
    section: Needs
    short: Housing checked
    type: tri_state
    text: Have you checked with the local housing team?
    why: The local pathway asks for it.
    source: Local pathway
"""),
        Problem(LOCAL_QUESTIONS, "question 'local_housing_checked' must say 'optional: true': a local pack may only "
                "add optional questions", at="  - id: local_housing_checked")),
    # several at once
    # Cross-checks: four faults in three national files and the overlay, all reported together.
    "several_problems": fault(
        "the faults of misspelt_fact, undefined_contact, logic_non_tri_state and overlay_availability_value",
        (MISSPELT_FACT, MISSPELT_CONTACT, LOGIC_ON_A_CHOICE, AVAILABILITY_YES),
        AVAILABILITY_YES_PROBLEM, MISSPELT_FACT_PROBLEM, MISSPELT_CONTACT_PROBLEM, LOGIC_ON_A_CHOICE_PROBLEM),
    # Reading: a YAML error in one file does not hide a schema error in another, nor the overlay's.
    "several_read_problems": fault(
        "the faults of invalid_yaml_syntax, a contract v1 contact field and overlay_changes_actions",
        (UNQUOTED_COLON, append(CONTACTS, "    last_verified: 2026-04-27"), LOCAL_ACTION),
        LOCAL_ACTION_PROBLEM,
        Problem(CONTACTS, "unknown key 'last_verified' in contacts[modern_slavery_helpline]; allowed: "
                f"{', '.join(schema.ContactDoc.model_fields)}"),
        UNQUOTED_COLON_PROBLEM),
}


def _line_of(name: str, problem: Problem, root: Path, written: dict[str, list[int]]) -> int:
    """The line a problem points at in the built pack."""
    if problem.at is None:
        lines = written.get(problem.file, [])
        if len(lines) != 1:
            raise StaleFault(f"fault {name!r}: its edits write {len(lines)} places in {problem.file}; "
                             "say which line the problem points at with at=...")
        return lines[0]
    text = (root / problem.file).read_text(encoding="utf-8").split("\n")
    hits = [n for n, line in enumerate(text, start=1) if line == problem.at]
    if problem.occurrence == 0 and len(hits) == 1:
        return hits[0]
    if 0 < problem.occurrence <= len(hits):
        return hits[problem.occurrence - 1]
    raise StaleFault(f"fault {name!r}: {problem.file} has the line {problem.at!r} {len(hits)} times once built; "
                     + ("update the fault in tests/packs/faults.py" if not hits else "say which with occurrence=..."))


def build(name: str, root: Path, base: Path = BASE) -> list[Expected]:
    """Copy the base pack to ``root`` (a new directory) and break it: the problems the loader must report."""
    shutil.copytree(base, root)
    entry = FAULTS[name]
    written: dict[str, list[int]] = {}
    for edit in entry.edits:
        line = apply(name, edit, root)
        if line is not None:
            written.setdefault(edit.file, []).append(line)
    expected = [Expected(p.file, _line_of(name, p, root, written), p.message, p.suggestion) for p in entry.problems]
    return expected


def main(argv: list[str]) -> int:
    """``python -m tests.packs.faults NAME DIR``: write the broken pack NAME as the rules root DIR."""
    if len(argv) != 2 or argv[0] not in FAULTS:
        print("usage: python -m tests.packs.faults NAME DIR; names: " + ", ".join(sorted(FAULTS)), file=sys.stderr)
        return 2
    name, root = argv[0], Path(argv[1])
    expected = build(name, root)
    print(f"{root}: {FAULTS[name].why}; `pathway check {root}` should report:")
    for e in expected:
        print(f"  {e.file}:{e.line}: {e.message}" + (f" ({e.suggestion})" if e.suggestion else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
