"""Line edits that turn a copy of ``tests/packs/valid_minimal/`` into a broken pack.

An edit finds an exact run of whole lines in one file of the copy (it must occur exactly once) and
replaces it, or adds lines after or before it, or adds lines at the end of the file, or writes a file
the base does not have. When the lines it looks for are gone from the base, or occur more than once,
it raises :class:`StaleFault` naming the fault and the lines: the fixture cannot drift silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from pathlib import Path


class StaleFault(Exception):
    """A fault's edit no longer fits the base pack: the base changed, so the fault must be updated."""


class Where(Enum):
    """Where an edit writes its new lines, relative to the lines it finds."""

    REPLACE = "in place of"
    AFTER = "after"
    BEFORE = "before"
    END = "at the end of"
    NEW_FILE = "as"


@dataclass(frozen=True)
class Edit:
    """One change to one file of the copied base pack."""

    file: str  # relative to the rules root, e.g. "national/actions.yaml"
    where: Where
    new: str  # the lines written (a last newline is dropped); "" writes none (removes what was found)
    find: str = ""  # the exact whole lines looked for (REPLACE, AFTER, BEFORE only)


def replace(file: str, old: str, new: str) -> Edit:
    """Replace the lines ``old`` (found exactly once) with ``new``."""
    return Edit(file, Where.REPLACE, new, old)


def remove(file: str, old: str) -> Edit:
    """Remove the lines ``old`` (found exactly once)."""
    return Edit(file, Where.REPLACE, "", old)


def insert_after(file: str, line: str, new: str) -> Edit:
    """Add ``new`` just after the lines ``line`` (found exactly once)."""
    return Edit(file, Where.AFTER, new, line)


def insert_before(file: str, line: str, new: str) -> Edit:
    """Add ``new`` just before the lines ``line`` (found exactly once)."""
    return Edit(file, Where.BEFORE, new, line)


def append(file: str, new: str) -> Edit:
    """Add ``new`` at the end of an existing file."""
    return Edit(file, Where.END, new)


def new_file(file: str, text: str) -> Edit:
    """Write a file the base pack does not have."""
    return Edit(file, Where.NEW_FILE, text)


def _found_at(fault: str, edit: Edit, lines: list[str]) -> int:
    """The index of the one place ``edit.find`` occurs in ``lines``; StaleFault if not exactly one."""
    wanted = edit.find.split("\n")
    starts = [i for i in range(len(lines) - len(wanted) + 1) if lines[i:i + len(wanted)] == wanted]
    if len(starts) == 1:
        return starts[0]
    how = "no longer has" if not starts else f"has {len(starts)} times"
    raise StaleFault(
        f"fault {fault!r}: tests/packs/valid_minimal/{edit.file} {how} the line(s) {edit.find!r}; "
        "the base pack changed: update the fault's edit in tests/packs/faults.py"
        + ("" if not starts else " so that it finds one place (quote a line around it too)"))


def apply(fault: str, edit: Edit, root: Path) -> int | None:
    """Apply one edit under ``root``; the line number of the first non-blank line it wrote, if any."""
    path = root / edit.file
    new = edit.new.rstrip("\n").split("\n") if edit.new.strip("\n") else []
    if edit.where is Where.NEW_FILE:
        if path.exists():
            raise StaleFault(f"fault {fault!r}: tests/packs/valid_minimal/{edit.file} now exists; "
                             "the fault adds that file: update it in tests/packs/faults.py")
        lines: list[str] = []
        at = 0
    elif not path.is_file():
        raise StaleFault(f"fault {fault!r}: tests/packs/valid_minimal/{edit.file} no longer exists; "
                         "update the fault's edit in tests/packs/faults.py")
    else:
        lines = path.read_text(encoding="utf-8").split("\n")
        if lines[-1] == "":
            lines.pop()  # the file's last newline
        if edit.where is Where.END:
            at = len(lines)
        else:
            start = _found_at(fault, edit, lines)
            found = len(edit.find.split("\n"))
            at = start + found if edit.where is Where.AFTER else start
            if edit.where is Where.REPLACE:
                del lines[start:start + found]
    lines[at:at] = new
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    written = [at + i + 1 for i, line in enumerate(new) if line.strip()]
    return written[0] if written else None
