"""The rule loader under fuzzing: whatever a file holds, the answer is a pack or a PackError naming
the file (and the line where there is one), quickly; never a traceback, never a hang."""

from __future__ import annotations

import random
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.engine.errors import PackError
from app.engine.loader import load_rulebook

BASE = Path(__file__).resolve().parent.parent / "packs" / "valid_minimal"
FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
YAML_CHARS = "[]{}:-,&*!|>'\"#%@` \n\tabcxyz019._/\\"


@contextmanager
def pack_with(file: str, text: str | bytes) -> Iterator[Path]:
    """A copy of the minimal valid pack with one national file replaced."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "pack"
        shutil.copytree(BASE, root)
        target = root / "national" / file
        if isinstance(text, bytes):
            target.write_bytes(text)
        else:
            target.write_text(text, encoding="utf-8")
        yield root


def outcome_of(root: Path, local: bool = True) -> PackError | None:
    """Load the pack: None when it loads, the PackError when it does not. Anything else fails the test."""
    started = time.perf_counter()
    try:
        load_rulebook(root / "national", root / "local" / "minimal" if local else None)
    except PackError as exc:
        assert exc.problems, "a PackError must carry at least one problem"
        for problem in exc.problems:
            assert problem.file.endswith(".yaml") or "pack" in problem.file, problem
            assert problem.message
            assert problem.line is None or problem.line >= 1
        return exc
    finally:
        assert time.perf_counter() - started < 5, "loading took too long"
    return None


@FUZZ
@given(st.text(alphabet=YAML_CHARS, max_size=3000), st.sampled_from(["actions.yaml", "questions.yaml", "flags.yaml"]))
def test_arbitrary_text_is_a_pack_error(text: str, file: str) -> None:
    """Random YAML-like text in any file gives a PackError naming that file, or (rarely) a valid pack."""
    with pack_with(file, text) as root:
        error = outcome_of(root)
        if error is not None and not any(p.file.endswith(file) for p in error.problems):
            # a file that parses as something harmless can only cause problems elsewhere
            assert all(p.file.endswith(".yaml") for p in error.problems)


@FUZZ
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_are_a_pack_error(data: bytes) -> None:
    """Bytes that are not UTF-8, or NULs, are refused with the file named."""
    with pack_with("contacts.yaml", data) as root:
        outcome_of(root)


def _leaves(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(node, dict):
        return [path] + [p for k, v in node.items() for p in _leaves(v, (*path, k))]
    if isinstance(node, list):
        return [path] + [p for i, v in enumerate(node) for p in _leaves(v, (*path, i))]
    return [path]


JUNK = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20),
    st.lists(st.text(max_size=5), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)


@FUZZ
@given(st.sampled_from(["actions.yaml", "questions.yaml", "determinations.yaml", "invariants.yaml"]),
       st.randoms(use_true_random=False), JUNK)
def test_wrong_types_anywhere_are_pack_errors_with_lines(file: str, rnd: random.Random, junk: Any) -> None:
    """Replace any value in a valid file with a value of the wrong type: a PackError with file and line."""
    data = yaml.safe_load((BASE / "national" / file).read_text())
    path = rnd.choice([p for p in _leaves(data) if p])
    node = data
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = junk
    with pack_with(file, yaml.safe_dump(data, sort_keys=False)) as root:
        error = outcome_of(root)
        if error is not None:
            assert any(p.line is not None for p in error.problems), error.report()


@settings(max_examples=30, deadline=None)
@given(st.integers(min_value=1, max_value=200_000), st.sampled_from(["[", "{a: ", "- "]))
def test_deep_nesting_is_refused_quickly(depth: int, opener: str) -> None:
    """Nesting of any depth up to the file-size limit is refused or accepted quickly, never a RecursionError."""
    closer = {"[": "]", "{a: ": "}", "- ": ""}[opener]
    text = "flags:\n  - " + opener * depth + "x" + closer * depth + "\n"
    with pack_with("flags.yaml", text) as root:
        outcome_of(root)


@settings(max_examples=20, deadline=None)
@given(st.integers(min_value=2, max_value=30), st.integers(min_value=2, max_value=12))
def test_alias_bombs_are_refused(levels: int, width: int) -> None:
    """Anchors that expand exponentially are refused by the node limit, quickly, with a line."""
    lines = ["a0: &a0 [x]"]
    for i in range(1, levels):
        refs = ", ".join([f"*a{i - 1}"] * width)
        lines.append(f"a{i}: &a{i} [{refs}]")
    lines.append(f"flags: *a{levels - 1}")
    with pack_with("flags.yaml", "\n".join(lines) + "\n") as root:
        error = outcome_of(root)
        assert error is not None


def test_very_large_files_are_refused_by_size() -> None:
    """A file over the size limit is refused with its name, before it is parsed."""
    big = "flags:\n" + "".join(f"  - id: f{i}\n    label: x\n    values: [a]\n    default: a\n" for i in range(20000))
    with pack_with("flags.yaml", big) as root:
        error = outcome_of(root)
        assert error is not None
        assert any("larger than" in p.message and p.file.endswith("flags.yaml") for p in error.problems)
