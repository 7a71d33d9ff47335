"""What the section compilers share: both packs, the problems found so far, the facts a condition may
read, every action id, and every fact a condition reads (for the ``never_inputs`` check)."""

from __future__ import annotations

import re
from typing import Any

from ..conditions import Condition, ConditionParser, Fact, Logic
from ..errors import did_you_mean
from ..graph import leaves
from .read import Problems, Source, display

PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
RawPath = tuple[str | int, ...]


class Compiler:
    """Compiles conditions and logic from the raw YAML (so problems carry lines) and collects problems.

    ``national`` and ``local`` are the two packs read (``local`` None without an overlay); ``facts``
    fills as the facts section is compiled, ``action_ids`` names every action defined (even one whose
    condition has a problem), and ``reads`` records each fact read with the file and line reading it."""

    def __init__(self, national: Source, local: Source | None, problems: Problems) -> None:
        self.national = national
        self.local = local
        self.problems = problems
        self.facts: dict[str, Fact] = {}
        self.action_ids: list[str] = []
        self.reads: list[tuple[str, str, int | None]] = []  # (fact, file, line) of every fact read

    def problem(self, source: Source, section: str, path: RawPath, message: str,
                suggestion: str | None = None) -> None:
        """A problem at the line of ``path`` in ``section`` of ``source``."""
        file, line = source.line(section, *path)
        self.problems.add(file, line, message, suggestion)

    def parser(self, source: Source, section: str, *, allow_listed: bool = True) -> ConditionParser:
        return ConditionParser(source.file(section), self.facts, self.action_ids, [], allow_listed)

    def cond(self, source: Source, section: str, raw_path: RawPath, value: Any, *,
             allow_listed: bool = True) -> Condition | None:
        """The condition at ``raw_path`` in ``section`` (None when absent, or after reporting its problems)."""
        if value is None:
            return None
        parser = self.parser(source, section, allow_listed=allow_listed)
        _, line = source.line(section, *raw_path)
        node = self.raw(source, section, raw_path)
        result = parser.condition(node if node is not None else value, line)
        self._record(parser, result)
        return result

    def logic(self, source: Source, section: str, raw_path: RawPath) -> Logic | None:
        """The logic expression at ``raw_path`` in ``section`` (None after reporting its problems)."""
        parser = self.parser(source, section)
        _, line = source.line(section, *raw_path)
        result = parser.logic(self.raw(source, section, raw_path), line)
        self._record(parser, result)
        return result

    def _record(self, parser: ConditionParser, result: Condition | Logic | None) -> None:
        self.problems.items.extend(parser.problems)
        for leaf in leaves(result):
            fact = getattr(leaf, "fact", None)
            if fact is not None:
                self.reads.append((fact, parser.file, getattr(leaf, "line", None)))

    @staticmethod
    def raw(source: Source, section: str, path: RawPath) -> Any:
        """The raw YAML (with its line marks) at ``path`` in ``section``, or None."""
        node: Any = source.where.get(section, (None, None))[1]
        for step in (section, *path):
            try:
                node = node[step]
            except (KeyError, IndexError, TypeError):
                return None
        return node

    def check_text(self, source: Source, section: str, path: RawPath, text: str) -> None:
        """Each ``{placeholder}`` in ``text`` names a fact."""
        for name in PLACEHOLDER.findall(text):
            if name not in self.facts:
                self.problem(source, section, path, f"text refers to '{{{name}}}', which is not a question, "
                             "determination or flag", did_you_mean(name, self.facts))

    def need(self, section: str, source: Source | None = None) -> Any:
        """A section the pack must have (None, after reporting it missing, when it has not)."""
        src = source or self.national
        if section not in src.sections:
            if section not in src.where:
                # Reported in the file named after the section when there is one (it holds something else).
                named = src.root / f"{section}.yaml"
                if named.is_file():
                    self.problems.add(display(named), 1, f"the pack has no '{section}' section")
                else:
                    self.problems.add(src.display, None, f"the pack has no '{section}' section")
            return None
        return src.sections[section]
