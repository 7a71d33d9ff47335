"""Safe YAML reading that remembers line numbers and refuses hostile documents.

The document is built from PyYAML's event stream (never from its constructors), so no
tag can create a Python object. Scalars follow YAML 1.2's core schema: only ``true`` and
``false`` are booleans, so ``yes`` and ``no`` stay the strings the rule packs use. Limits
on size, nesting depth and the node count after aliases are expanded stop alias bombs and
deeply nested input before they cost anything; duplicate keys are errors, not silently
overwritten.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml

from .errors import PackProblem

MAX_FILE_BYTES = 512 * 1024
MAX_DEPTH = 40
MAX_NODES = 100_000

_INT = re.compile(r"[-+]?[0-9]+\Z")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?\Z")
_STANDARD_TAGS = {
    None,
    "!",
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
}


class YMap(dict[str, Any]):
    """A mapping that knows the line of each of its keys (1-based)."""

    line: int
    key_lines: dict[str, int]


class YList(list[Any]):
    """A sequence that knows the line of each of its items (1-based)."""

    line: int
    item_lines: list[int]


class YamlProblem(Exception):
    def __init__(self, line: int | None, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def _scalar(event: yaml.ScalarEvent) -> Any:
    if event.tag not in _STANDARD_TAGS:
        raise YamlProblem(_line(event), f"tag '{event.tag}' is not allowed in a rule pack")
    value = event.value
    if event.style or event.tag == "tag:yaml.org,2002:str" or not event.implicit[0]:
        return value
    if value in ("", "~", "null", "Null", "NULL"):
        return None
    if value in ("true", "True", "TRUE"):
        return True
    if value in ("false", "False", "FALSE"):
        return False
    if _INT.match(value):
        try:
            return int(value)
        except ValueError:  # Python refuses to parse integers of more than 4,300 digits
            raise YamlProblem(_line(event), f"a number of {len(value.lstrip('+-'))} digits is too long to read; "
                              "quote it if it is text") from None
    if _FLOAT.match(value) and any(c.isdigit() for c in value):
        return float(value)
    return value


def _line(event: yaml.Event) -> int:
    return int(event.start_mark.line) + 1 if event.start_mark else 0


class _TreeBuilder:
    """Builds a YAML document's tree (YMap, YList, scalars with their lines) from parser events, counting
    nodes and depth as aliases are expanded so an alias bomb is refused, not built."""

    def __init__(self) -> None:
        self.anchors: dict[str, tuple[Any, int, int]] = {}  # anchor -> (value, node count, height)
        self.nodes = 0

    def count(self, n: int, line: int) -> None:
        self.nodes += n
        if self.nodes > MAX_NODES:
            raise YamlProblem(
                line, f"document is too large: more than {MAX_NODES} values once aliases are expanded"
            )

    def build(self, events: Iterable[yaml.Event], depth_start: int = 0) -> Any:
        root: Any = None
        stack: list[tuple[Any, str | None]] = []  # (container, pending key for maps)
        sizes: list[int] = []
        heights: list[int] = []  # levels of nesting inside each open container, aliases expanded
        for event in events:
            line = _line(event)
            if isinstance(event, (yaml.StreamStartEvent, yaml.StreamEndEvent)):
                continue
            if isinstance(event, yaml.DocumentStartEvent):
                if root is not None:
                    raise YamlProblem(line, "a rule pack file must hold exactly one YAML document")
                continue
            if isinstance(event, yaml.DocumentEndEvent):
                continue
            if isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                closed, _ = stack.pop()
                size = sizes.pop()
                height = heights.pop()
                anchor = getattr(closed, "_anchor", None)
                if anchor:
                    self.anchors[anchor] = (closed, size, height)
                if sizes:
                    sizes[-1] += size
                    heights[-1] = max(heights[-1], height + 1)
                continue
            if isinstance(event, yaml.AliasEvent):
                if event.anchor not in self.anchors:
                    raise YamlProblem(line, f"alias '*{event.anchor}' refers to no anchor before it")
                value, size, height = self.anchors[event.anchor]
                self.count(size, line)
                if len(stack) + depth_start + height > MAX_DEPTH:
                    raise YamlProblem(line, f"nesting is deeper than {MAX_DEPTH} levels once aliases are expanded")
                if sizes:
                    sizes[-1] += size
                    heights[-1] = max(heights[-1], height + 1)
                root = self._attach(stack, value, line, root)
                continue
            if isinstance(event, yaml.ScalarEvent):
                self.count(1, line)
                value = _scalar(event)
                if event.anchor:
                    self.anchors[event.anchor] = (value, 1, 0)
                if sizes:
                    sizes[-1] += 1
                root = self._attach(stack, value, line, root)
                continue
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                if event.tag not in _STANDARD_TAGS:
                    raise YamlProblem(line, f"tag '{event.tag}' is not allowed in a rule pack")
                if len(stack) + depth_start >= MAX_DEPTH:
                    raise YamlProblem(line, f"nesting is deeper than {MAX_DEPTH} levels")
                self.count(1, line)
                container: Any
                if isinstance(event, yaml.MappingStartEvent):
                    container = YMap()
                    container.key_lines = {}
                else:
                    container = YList()
                    container.item_lines = []
                container.line = line
                if event.anchor:
                    container._anchor = event.anchor
                root = self._attach(stack, container, line, root)
                stack.append((container, None))
                sizes.append(1)
                heights.append(1)
                continue
        return root

    def _attach(self, stack: list[tuple[Any, str | None]], value: Any, line: int, root: Any) -> Any:
        if not stack:
            return value
        container, pending = stack[-1]
        if isinstance(container, YList):
            container.append(value)
            container.item_lines.append(line)
            return root
        if pending is None:
            if isinstance(value, (dict, list)):
                raise YamlProblem(line, "a mapping key must be a plain word, not a list or mapping")
            key = "null" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
            if key == "<<":
                raise YamlProblem(line, "merge keys ('<<') are not allowed in a rule pack")
            if key in container:
                raise YamlProblem(
                    line, f"key '{key}' appears twice in the same mapping (first on line {container.key_lines[key]})"
                )
            container.key_lines[key] = line
            stack[-1] = (container, key)
            return root
        container[pending] = value
        stack[-1] = (container, None)
        return root


def parse_yaml(text: str, file: str) -> Any:
    """Parse one YAML document into plain data (YMap / YList / scalars). Raises PackProblemError."""
    if len(text.encode("utf-8", errors="surrogatepass")) > MAX_FILE_BYTES:
        raise PackProblemError(
            PackProblem(file, 1, f"file is larger than {MAX_FILE_BYTES // 1024} KiB; split it or trim it")
        )
    try:
        # Events are consumed as they are parsed, so a cap stops the parser early: deep flow
        # nesting costs PyYAML's scanner quadratic time if it is left to run to the end.
        return _TreeBuilder().build(yaml.parse(text, Loader=yaml.SafeLoader))
    except YamlProblem as exc:
        raise PackProblemError(PackProblem(file, exc.line, exc.message)) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        what = exc.problem or exc.context or "invalid YAML"
        raise PackProblemError(PackProblem(file, line, f"invalid YAML: {what}")) from None
    except yaml.YAMLError as exc:
        raise PackProblemError(PackProblem(file, None, f"invalid YAML: {exc}")) from None
    except RecursionError:
        raise PackProblemError(PackProblem(file, None, f"nesting is deeper than {MAX_DEPTH} levels")) from None
    except ValueError as exc:  # any other value Python cannot read: a problem in the file, not a crash
        raise PackProblemError(PackProblem(file, None, f"cannot read a value: {exc}")) from None


def read_yaml_file(path: Path, file: str | None = None) -> Any:
    """Read and parse one YAML file. An unreadable, oversized, non-UTF-8 or invalid file is a PackProblemError
    naming ``file`` (default: the path), with the line where there is one."""
    file = file or str(path)
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise PackProblemError(
                PackProblem(file, 1, f"file is larger than {MAX_FILE_BYTES // 1024} KiB; split it or trim it"))
        data = path.read_bytes()
    except OSError as exc:
        raise PackProblemError(PackProblem(file, None, f"cannot read file: {exc.strerror or exc}")) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise PackProblemError(PackProblem(
            file, line, f"not UTF-8 text (byte 0x{data[exc.start]:02x} cannot be read); save the file as UTF-8"
        )) from None
    return parse_yaml(text, file)


class PackProblemError(Exception):
    """Carries a single PackProblem out of the YAML reader."""

    def __init__(self, problem: PackProblem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def line_of(node: Any, path: Sequence[str | int]) -> int | None:
    """The line of the deepest node that ``path`` reaches in a parsed document."""
    line = getattr(node, "line", None)
    for step in path:
        if isinstance(node, YMap) and isinstance(step, str) and step in node:
            line = node.key_lines.get(step, line)
            node = node[step]
        elif isinstance(node, YList) and isinstance(step, int) and 0 <= step < len(node):
            line = node.item_lines[step]
            node = node[step]
        else:
            continue
    return line
