"""Reads the rule packs from disk, merges the local overlay, and cross-checks everything.

Every problem found is collected and reported at once, compiler style, as
``path/file.yaml:LINE: message (suggestion)``. This is the engine's only I/O.

The work is done in ``app.engine.loading``: ``read`` (files, YAML with line marks, schema validation),
``compiler`` (what the section compilers share), ``sections``, ``contacts`` and ``invariants`` (the
national pack, a section at a time), ``overlay`` (what a local pack may add or change), ``checks``
(ids and the rule graph), and ``assemble`` (the order they run in).
"""

from __future__ import annotations

import re
from pathlib import Path

from . import schema
from .errors import PackError, PackProblem
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


# A shipped overlay is named by its folder under the rules root's local/; anything with a slash, or
# starting with a dot, is a path to an overlay kept elsewhere (a council's own repository, say).
OVERLAY_NAME = re.compile(r"[a-z0-9_-]+")
NO_OVERLAY = ("", "none")


def is_overlay_path(local: str) -> bool:
    """Whether ``--local`` / ``PATHWAY_LOCAL_PACK`` names a folder rather than a shipped overlay."""
    return "/" in local or "\\" in local or local.startswith(".")


def overlay_problem(local: str) -> str | None:
    """Why ``local`` is neither 'none', a shipped overlay's name nor a path (None when its shape is fine)."""
    if local in NO_OVERLAY or is_overlay_path(local) or OVERLAY_NAME.fullmatch(local):
        return None
    return ("not a local pack: give a shipped overlay's name (lower-case letters, digits, '-' "
            "and '_'), a path to an overlay folder (it contains '/' or starts with '.'), or 'none'")


def shipped_overlays(rules_root: Path | str) -> list[str]:
    """The overlays shipped under a rules root's local/ folder, by name."""
    local_root = Path(rules_root) / "local"
    if not local_root.is_dir():
        return []
    return sorted(p.name for p in local_root.iterdir() if p.is_dir() and OVERLAY_NAME.fullmatch(p.name))


def find_overlay(rules_root: Path | str, local: str) -> Path:
    """The folder of an overlay named by ``local``: a shipped one under ``local/``, or a path to a
    folder holding a pack.yaml. Raises PackError saying what was wrong and what is allowed."""
    problem = overlay_problem(local)
    if problem is None and is_overlay_path(local):
        folder = Path(local).expanduser()
        if not folder.is_dir():
            problem = "no such folder"
        elif not (folder / "pack.yaml").is_file():
            problem = ("the folder has no pack.yaml; an overlay's pack.yaml says "
                       "'kind: local' and which national pack it 'extends' (pathway init-local writes one)")
        else:
            return folder
    elif problem is None:
        folder = Path(rules_root) / "local" / local
        if folder.is_dir():
            return folder
        shipped = shipped_overlays(rules_root)
        problem = (f"no overlay of that name under {Path(rules_root) / 'local'}; "
                   f"shipped: {', '.join(shipped) or 'none'} (or give a path to an overlay folder)")
    raise PackError([PackProblem(f"local pack '{local}'", None, problem or "")])


def rules_dirs(rules_root: Path | str, local: str | None) -> tuple[Path, Path | None]:
    """The national and local pack directories for a rules root and an overlay (``local`` None or
    'none' for none; a shipped overlay's name or a path to an overlay folder, see ``find_overlay``)."""
    root = Path(rules_root)
    if local is None or local in NO_OVERLAY:
        return root / "national", None
    return root / "national", find_overlay(root, local)
