"""Reading a pack directory: each YAML file with its line marks, each top-level section validated by the
schema, and every problem (unreadable file, unknown section, pydantic error) mapped to file:line."""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from .. import schema
from ..errors import PackProblem, did_you_mean
from ..yaml_source import PackProblemError, YList, YMap, line_of, read_yaml_file

MAX_FILES = 50
_ALL_FIELDS = sorted(
    {name for model in vars(schema).values() if isinstance(model, type) and issubclass(model, BaseModel)
     for name in getattr(model, "model_fields", {})}
)


@dataclass
class Source:
    """One pack directory's validated sections, with the file and raw data of each."""

    root: Path
    display: str
    sections: dict[str, Any] = field(default_factory=dict)
    where: dict[str, tuple[str, Any]] = field(default_factory=dict)  # section -> (file, raw YAML)

    def line(self, section: str, *path: str | int) -> tuple[str, int | None]:
        """The file of ``section`` and the line of the value at ``path`` inside it (None if unknown)."""
        file, raw = self.where.get(section, (self.display, None))
        if raw is None:
            return file, None
        return file, line_of(raw, (section, *path))

    def file(self, section: str) -> str:
        """The file ``section`` is in (the directory when no file has it)."""
        return self.where.get(section, (self.display, None))[0]


class Problems:
    """Every problem found so far, in the order found."""

    def __init__(self) -> None:
        self.items: list[PackProblem] = []

    def add(self, file: str, line: int | None, message: str, suggestion: str | None = None) -> None:
        self.items.append(PackProblem(file, line, message, suggestion))


def display(path: Path) -> str:
    """The path as the user sees it: relative to the working directory when it is under it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def describe_loc(loc: tuple[Any, ...], raw: Any) -> str:
    """A pydantic error location in the pack's words: ``actions[nrm_referral].urgency``."""
    parts: list[str] = []
    node = raw
    for step in loc:
        if isinstance(node, YList) and isinstance(step, int) and 0 <= step < len(node):
            node = node[step]
            ident = node.get("id") if isinstance(node, dict) else None
            parts[-1:] = [f"{parts[-1] if parts else ''}[{ident or step}]"]
        elif isinstance(node, YMap) and isinstance(step, str) and step in node:
            node = node[step]
            parts.append(step)
        elif isinstance(step, str) and not any(c in step for c in "[]()-,"):
            parts.append(step)
    return ".".join(parts)


def fields_at(model: Any, loc: tuple[Any, ...]) -> list[str]:
    """The field names of the model found by following ``loc`` through the schema's annotations."""
    current: Any = model
    for step in loc:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel) and isinstance(step, str):
            field_info = current.model_fields.get(step)
            if field_info is None:
                return []
            current = field_info.annotation
        elif typing.get_origin(current) in (list, tuple) and isinstance(step, int):
            current = typing.get_args(current)[0]
        elif typing.get_origin(current) is dict and isinstance(step, str):
            current = typing.get_args(current)[1]
        else:
            return []
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _unwrap(annotation: Any) -> Any:
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType) and len(args) == 1:
        return args[0]
    return annotation


def validation_problems(exc: ValidationError, file: str, raw: Any, problems: Problems,
                        model: type[BaseModel]) -> None:
    """Each pydantic error as a problem at its line: a missing key, an unknown key (with the allowed
    ones), or a bad value."""
    for err in exc.errors():
        loc = tuple(err["loc"])
        line = line_of(raw, loc)
        where = describe_loc(loc, raw)
        kind = err["type"]
        if kind == "missing":
            problems.add(file, line, f"{where.rsplit('.', 1)[0] or 'file'}: '{loc[-1]}' is required")
        elif kind == "extra_forbidden":
            key = str(loc[-1])
            fields = fields_at(model, loc[:-1])
            allowed = f"; allowed: {', '.join(fields)}" if fields else ""
            problems.add(file, line, f"unknown key '{key}' in {where.rsplit('.', 1)[0] or 'file'}{allowed}",
                         did_you_mean(key, fields or _ALL_FIELDS))
        else:
            message = err["msg"].removeprefix("Value error, ")
            problems.add(file, line, f"{where}: {message}")


def read_dir(root: Path, allowed: tuple[str, ...], model: type[BaseModel], problems: Problems,
             kind: str) -> Source:
    """Every YAML file of a pack directory, its sections validated by ``model`` (``kind``: national or
    local, which decides how a section the pack may not have is reported)."""
    source = Source(root, display(root))
    for path in _pack_files(source, problems):
        shown = display(path)
        raw = _read_file(path, shown, problems)
        if raw is None:
            continue
        clean = _allowed_sections(raw, allowed, kind, source, shown, problems)
        try:
            doc = model.model_validate(clean)
        except ValidationError as exc:
            validation_problems(exc, shown, clean, problems, model)
            for key in clean:
                source.where.setdefault(key, (shown, clean))
            continue
        for key in clean:
            source.sections[key] = getattr(doc, key)
            source.where[key] = (shown, clean)
    return source


def _pack_files(source: Source, problems: Problems) -> list[Path]:
    root = source.root
    if not root.is_dir():
        problems.add(source.display, None, "rule pack directory not found")
        return []
    files = sorted(p for p in root.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
    if not files:
        problems.add(source.display, None, "no .yaml files in this rule pack directory")
    if len(files) > MAX_FILES:
        problems.add(source.display, None, f"more than {MAX_FILES} files in one pack")
        files = files[:MAX_FILES]
    return files


def _read_file(path: Path, shown: str, problems: Problems) -> YMap | None:
    """The file's mapping of sections, or None after reporting why it has none."""
    try:
        raw = read_yaml_file(path, shown)  # too large, unreadable, not UTF-8 or invalid: file:line
    except PackProblemError as exc:
        problems.items.append(exc.problem)
        return None
    except (UnicodeDecodeError, OSError) as exc:
        problems.add(shown, None, f"cannot read file: {exc}")
        return None
    if raw is None:
        problems.add(shown, 1, "file is empty")
        return None
    if not isinstance(raw, YMap):
        problems.add(shown, getattr(raw, "line", 1), "a rule pack file must be a mapping of sections")
        return None
    return raw


def _allowed_sections(raw: YMap, allowed: tuple[str, ...], kind: str, source: Source, shown: str,
                      problems: Problems) -> YMap:
    """The file's sections this pack may have and no earlier file has given, with their lines."""
    clean = YMap()
    clean.line = raw.line
    clean.key_lines = {}
    for key, value in raw.items():
        line = raw.key_lines[key]
        if key not in allowed:
            if kind == "local" and key in schema.NATIONAL_SECTIONS:
                problems.add(
                    shown, line,
                    f"a local pack may not change '{key}': it may only add contacts, services for needs, "
                    "optional questions and availability flags, and change wording",
                )
            else:
                problems.add(shown, line, f"unknown section '{key}'; allowed: {', '.join(allowed)}",
                             did_you_mean(key, allowed))
            continue
        if key in source.where:
            problems.add(shown, line, f"section '{key}' is also in {source.where[key][0]}")
            continue
        clean[key] = value
        clean.key_lines[key] = line
    return clean
