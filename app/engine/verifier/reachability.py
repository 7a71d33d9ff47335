"""The reachability check: every question is asked, every action listed and every determination value
given on some path (read from the counts the other checks leave in the report, so it runs last)."""

from __future__ import annotations

from ..rulebook import Rulebook
from .report import Report


def check_reachability(book: Rulebook, report: Report) -> None:
    """Report what no path reaches; an action that only this deployment's flags keep off is a note."""
    report.checks += ["every question is reachable", "every action is reachable",
                      "every determination value is reachable"]
    for q in book.questions:
        if q.id not in report.questions_asked:
            report.record(f"unreachable_{q.id}", f"question {q.id!r} is never asked", {}, {})
    for aid, paths in report.action_paths.items():
        if paths == 0:
            flags = sorted(r for r in book.action(aid).due.refs() if r in book.flags)
            if flags:
                report.notes.append(f"action {aid!r} is never listed in this deployment: it depends on "
                                    + ", ".join(f"{f} = {book.flags[f].value}" for f in flags))
                continue
            report.record(f"unreachable_{aid}", f"action {aid!r} is never listed", {}, {})
    for (did, value), paths in report.determination_paths.items():
        if paths == 0:
            report.record(f"unreachable_{did}_{value}", f"determination {did!r} never takes the value {value!r}",
                          {}, {})
