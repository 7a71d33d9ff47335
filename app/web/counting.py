"""What a questionnaire walk adds to the Network's counts, and how seeing it again moves it.

Only when counting is on (``PATHWAY_COUNTS=on``: the app's ``counts`` store is not None), and only
for questionnaire walks: the plan's GET (``/w/{id}/outcome``, never a HEAD) and the "What have you
done?" form's POST (``/w/{id}/done``) call ``recount``. The API, the quick check, the training cases
and the command line never do.

A walk's contribution is a set of cells, each (month, dimension, value) crossed with the walk's
organisation type (its ``organisation`` answer, "" when none; a council user's service after it,
``local_authority/childrens_social_care``, the finest the strategy's benchmarks need): ``walks`` ("completed"),
``council_service`` (where given), ``treated_as_child`` (yes/no), ``modern_slavery`` (the
determination's value), ``exploitation_type`` (each type chosen), ``action_listed`` (each action
the plan lists) and ``action_done`` (each referral the user says was made). Nothing else: no row
per walk, no time finer than the month, no answers.

**Moves, not adds.** The walk's own token records what it has counted (walk_token.Counted: the
month first counted, the organisation and the cells as short codes). Each time, the cells the walk
stands for now are compared with the recorded ones: the store decrements the cells no longer true
and increments the new ones, in one transaction, in the month the walk was first counted; then the
token records the new set. Seeing the same plan twice changes nothing. The token is changed only
when the store has applied the difference: if the store cannot be reached (``CountsUnavailable``)
the plan is shown as usual and the next visit tries again.

Counting happens inline, before the plan is sent, not in a background task after it: the response
must carry the token that records what was counted, and a background task could only record it
before knowing that the count was made (a failed count would then be recorded as made, and the
next move would take away counts never added). The store's 1 s timeout bounds the wait; after a
failure, counting pauses for ``PAUSE_SECONDS`` (per store, in this worker) so that a stopped
database does not slow every plan.

**Known limits** (also on the privacy page): a token is the walk's own record, so replaying an
older token (an earlier copy of the cookie, or two tabs seeing the same walk's plan at once) moves
the counts again from that older record: a contribution can be counted twice, or taken away from
cells that other walks added to. The store never lets a count go below 0. Nothing identifies the
walk in the store, so this cannot be undone there; the counts are figures "recorded through
Pathway", not an audit.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Iterable, Mapping

from app.counts.model import CellKey
from app.counts.store import CountStore, CountsUnavailable
from app.engine import Outcome

from .walk_token import Counted, Walk

# Each dimension's one-letter code in the token (keep them stable: tokens in flight hold them).
CODES = {
    "walks": "w",
    "council_service": "c",
    "treated_as_child": "t",
    "modern_slavery": "m",
    "exploitation_type": "e",
    "action_listed": "a",
    "action_done": "d",
}
DIMENSION_OF = {code: dimension for dimension, code in CODES.items()}

# The "What have you done?" form's choices: the value posted, and the words shown.
DONE_OPTIONS: Mapping[str, str] = {
    "nrm_referral": "NRM referral submitted",
    "duty_to_notify": "Duty to notify submitted",
    "childrens_safeguarding": "Safeguarding concern raised with children's services",
    "adults_safeguarding": "Safeguarding concern raised with adults' services",
    "police_report": "Crime or police report recorded",
}

ORGANISATION_QUESTION = "organisation"
COUNCIL_SERVICE_QUESTION = "council_service"
EXPLOITATION_QUESTION = "exploitation_types"
PAUSE_SECONDS = 30.0

_paused_until: weakref.WeakKeyDictionary[CountStore, float] = weakref.WeakKeyDictionary()
_pause_lock = threading.Lock()


def plan_cells(outcome: Outcome) -> set[str]:
    """The cells a completed plan stands for, as "<code>:<value>" (the organisation apart)."""
    cells = {"w:completed"}
    answers = {a.id: a.answer for a in outcome.answered}
    service = answers.get(COUNCIL_SERVICE_QUESTION)
    if isinstance(service, str):
        cells.add(f"c:{service}")
    child = outcome.determinations.treated_as_child
    if child is not None:
        cells.add("t:yes" if child else "t:no")
    if outcome.determinations.modern_slavery is not None:
        cells.add(f"m:{outcome.determinations.modern_slavery}")
    types = answers.get(EXPLOITATION_QUESTION)
    if isinstance(types, list):
        cells.update(f"e:{t}" for t in types if isinstance(t, str))
    cells.update(f"a:{r.id}" for r in outcome.referrals)
    return cells


def organisation_of(outcome: Outcome) -> str:
    """The walk's organisation type: its answer (or the deployment's preset), "" when none; for a
    council user who names their service, the service after it (``local_authority/adult_social_care``),
    so that the strategy's benchmarks can follow NRM referrals within each council department."""
    answers = {a.id: a.answer for a in outcome.answered}
    organisation = answers.get(ORGANISATION_QUESTION)
    if not isinstance(organisation, str):
        return ""
    service = answers.get(COUNCIL_SERVICE_QUESTION)
    return f"{organisation}/{service}" if isinstance(service, str) else organisation


def done_of(walk: Walk) -> list[str]:
    """The referrals this walk has recorded as made, in the form's order."""
    cells = walk.counted.cells if walk.counted is not None else frozenset()
    return [value for value in DONE_OPTIONS if f"d:{value}" in cells]


def done_cells(done: Iterable[str]) -> set[str]:
    return {f"d:{value}" for value in done if value in DONE_OPTIONS}


def deltas(old: Counted | None, month: str, organisation: str, cells: set[str]) -> dict[CellKey, int]:
    """The store's changes that move a walk from what it has counted (``old``) to ``cells``."""
    changes: dict[CellKey, int] = {}
    if old is not None:
        for cell in old.cells:
            if cell[:1] in DIMENSION_OF:  # a code this version does not know is left alone
                changes[_key(old.month, old.organisation, cell)] = -1
    for cell in cells:
        key = _key(month, organisation, cell)
        changes[key] = changes.get(key, 0) + 1
    return {key: change for key, change in changes.items() if change}


def recount(store: CountStore, walk: Walk, outcome: Outcome, done: Iterable[str] | None = None) -> bool:
    """Move the walk's contribution to what its plan (and ``done``, else the done cells it recorded)
    stands for now, updating ``walk.counted``. True when the walk's record changed (save it); False
    when nothing changed. Raises CountsUnavailable when the store cannot apply it (the record is left
    as it was, so the next visit tries again)."""
    old = walk.counted
    chosen = done_of(walk) if done is None else done
    cells = plan_cells(outcome) | done_cells(chosen)
    month = old.month if old is not None else outcome.assessed_on.strftime("%Y-%m")
    new = Counted(month, organisation_of(outcome), frozenset(cells))
    if new == old:
        return False
    changes = deltas(old, month, new.organisation, cells)
    if changes:
        _apply(store, changes)
    walk.counted = new
    return True


def _apply(store: CountStore, changes: Mapping[CellKey, int]) -> None:
    """The store's apply, skipped (CountsUnavailable) while a recent failure pauses counting."""
    with _pause_lock:
        paused = _paused_until.get(store, 0.0) > time.monotonic()
    if paused:
        raise CountsUnavailable("counting is paused after a recent failure")
    try:
        store.apply(changes)
    except CountsUnavailable:
        with _pause_lock:
            _paused_until[store] = time.monotonic() + PAUSE_SECONDS
        raise


def _key(month: str, organisation: str, cell: str) -> CellKey:
    code, _, value = cell.partition(":")
    return CellKey(month=month, dimension=DIMENSION_OF[code], value=value, organisation=organisation)
