"""Reads the rule packs from disk, merges the local overlay, and cross-checks everything.

Every problem found is collected and reported at once, compiler style, as
``path/file.yaml:LINE: message (suggestion)``. This is the engine's only I/O.

The work is done in ``app.engine.loading``: ``read`` (files, YAML with line marks, schema validation),
``compiler`` (what the section compilers share), ``sections``, ``contacts`` and ``invariants`` (the
national pack, a section at a time), ``overlay`` (what a local pack may add or change), ``checks``
(ids and the rule graph), and ``assemble`` (the order they run in).
"""

from __future__ import annotations

from pathlib import Path

from . import schema
from .errors import PackError
from .loading.assemble import assemble
from .loading.read import Problems, read_dir
from .rulebook import Rulebook


def load_rulebook(national_dir: Path | str, local_dir: Path | str | None = None) -> Rulebook:
    """Load the national pack and optionally a local overlay. Raises PackError listing every problem."""
    problems = Problems()
    national = read_dir(Path(national_dir), schema.NATIONAL_SECTIONS, schema.NationalDocument, problems, "national")
    local = None
    if local_dir is not None:
        local = read_dir(Path(local_dir), schema.LOCAL_SECTIONS, schema.LocalDocument, problems, "local")
    if problems.items:
        # Cross-checks against sections that failed to load would only add noise.
        raise PackError(problems.items)
    rulebook = assemble(national, local, problems)
    if rulebook is None or problems.items:
        if not problems.items:
            problems.add(national.display, None, "the pack is incomplete")
        raise PackError(problems.items)
    return rulebook


def rules_dirs(rules_root: Path | str, local: str | None) -> tuple[Path, Path | None]:
    """The national and local pack directories under a rules root (``local`` None or 'none' for none)."""
    root = Path(rules_root)
    if local in (None, "", "none"):
        return root / "national", None
    return root / "national", root / "local" / str(local)
