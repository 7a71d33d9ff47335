"""Gates on the code itself: short functions, bounded complexity, no import cycles in `app`.

A function may run to 80 lines (from its `def` line to its last line, nested functions counted in
their parent) and to a cyclomatic complexity of 25, counted as 1 plus each if, for, while, except,
conditional expression, comprehension, assert and match case, plus each extra operand of and/or.
No module of `app` may import, at run time, a module that imports it back (imports inside
functions count; imports under `if TYPE_CHECKING:` do not).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[2] / "app"
MAX_LINES = 80
MAX_COMPLEXITY = 25

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for path in sorted(APP.rglob("*.py")):
        parts = list(path.relative_to(APP.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _outer_functions(tree: ast.AST) -> Iterator[FunctionNode]:
    """Functions not nested in another function (methods count; nested ones count in their parent)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, FunctionNode):
            yield node
        elif isinstance(node, ast.ClassDef | ast.If | ast.Try | ast.With):
            yield from _outer_functions(node)


def complexity(func: FunctionNode) -> int:
    """1 plus each decision point in the function, nested functions included."""
    total = 1
    for node in ast.walk(func):
        if isinstance(node, ast.If | ast.For | ast.AsyncFor | ast.While | ast.ExceptHandler
                      | ast.IfExp | ast.comprehension | ast.Assert | ast.match_case):
            total += 1
        elif isinstance(node, ast.BoolOp):
            total += len(node.values) - 1
    return total


def _functions() -> Iterator[tuple[str, FunctionNode]]:
    for path in MODULES.values():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for func in _outer_functions(tree):
            yield f"{path.relative_to(APP.parent)}:{func.lineno} {func.name}", func


def _lines(func: FunctionNode) -> int:
    assert func.end_lineno is not None
    return func.end_lineno - func.lineno + 1


def test_no_function_over_80_lines() -> None:
    long = [f"{where} ({_lines(func)} lines)" for where, func in _functions() if _lines(func) > MAX_LINES]
    assert not long, "functions over 80 lines:\n" + "\n".join(long)


def test_no_function_over_complexity_25() -> None:
    tangled = [f"{where} (complexity {complexity(func)})" for where, func in _functions()
               if complexity(func) > MAX_COMPLEXITY]
    assert not tangled, "functions over complexity 25:\n" + "\n".join(tangled)


def _type_checking_block(node: ast.AST) -> bool:
    if not isinstance(node, ast.If):
        return False
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _runtime_imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    for node in ast.iter_child_nodes(tree):
        if _type_checking_block(node):
            assert isinstance(node, ast.If)
            for child in node.orelse:
                yield from _runtime_imports(ast.Module(body=[child], type_ignores=[]))
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        yield from _runtime_imports(node)


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    if node.level > 1:
        base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def import_graph() -> dict[str, set[str]]:
    """Each `app` module and the `app` modules it imports at run time."""
    graph: dict[str, set[str]] = {}
    for module, path in MODULES.items():
        is_package = path.name == "__init__.py"
        targets: set[str] = set()
        for node in _runtime_imports(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                base = _resolve(module, is_package, node)
                # `from package import module` imports the submodule; `from module import name` the module.
                names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base
                         for alias in node.names]
            targets.update(name for name in names if name in MODULES and name != module)
        graph[module] = targets
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycles_in_app() -> None:
    found = cycles(import_graph())
    assert not found, "modules that import each other at run time:\n" + "\n".join(" <-> ".join(c) for c in found)


# The gates themselves, on small samples, so a broken counter cannot pass everything.

def _first_function(source: str) -> FunctionNode:
    func = ast.parse(source).body[0]
    assert isinstance(func, FunctionNode)
    return func


@pytest.mark.parametrize(("source", "expected"), [
    ("def f():\n    return 1\n", 1),
    ("def f(a, b, c):\n    if a and b and c:\n        return [x for x in a if x]\n    return 2 if b else 3\n", 6),
    ("def f(a):\n    for x in a:\n        while x:\n            try:\n                assert x\n"
     "            except ValueError:\n                pass\n", 5),
    ("def f(a):\n    match a:\n        case 1:\n            pass\n        case _:\n            pass\n", 3),
    ("def f(a):\n    def g(b):\n        return b or a\n    return g\n", 2),
])
def test_complexity_counts_as_the_issue_defines(source: str, expected: int) -> None:
    assert complexity(_first_function(source)) == expected


def test_a_cycle_is_found_and_a_chain_is_not() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": set()}) == []


def test_imports_inside_functions_count_and_type_checking_ones_do_not() -> None:
    tree = ast.parse("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import x\n"
                     "def f():\n    import y\n")
    assert sorted(alias.name for node in _runtime_imports(tree) for alias in node.names) == ["TYPE_CHECKING", "y"]
