"""The engine's boundaries: it never imports the web layer, and no code under app/ evaluates strings."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[2] / "app"
ENGINE = APP / "engine"
FORBIDDEN_PACKAGES = ("fastapi", "starlette", "jinja2", "uvicorn", "httpx")
FORBIDDEN_MODULES = ("app.web", "app.main", "app.cli")
EVALUATORS = ("eval", "exec")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(APP.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(source: str, module: str, is_package: bool = False) -> Iterator[tuple[int, str]]:
    """Every module a source file imports (relative imports resolved), with its line; including
    ``importlib.import_module('...')`` and ``__import__('...')`` with a literal name."""
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            yield node.lineno, target
            for alias in node.names:  # `from app import web` imports app.web
                yield node.lineno, f"{target}.{alias.name}"
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if name in ("import_module", "__import__") and isinstance(node.args[0].value, str):
                yield node.lineno, node.args[0].value


def forbidden(name: str) -> bool:
    top = name.split(".")[0]
    return top in FORBIDDEN_PACKAGES or any(name == m or name.startswith(m + ".") for m in FORBIDDEN_MODULES)


def web_imports(path: Path) -> list[str]:
    module = module_name(path)
    source = path.read_text(encoding="utf-8")
    return [f"{path.relative_to(APP.parent)}:{line}: imports {name}"
            for line, name in imported_modules(source, module, path.name == "__init__.py") if forbidden(name)]


def evaluator_calls(source: str) -> list[int]:
    """Lines that call eval() or exec(), directly or as builtins.eval / builtins.exec."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            func = node.func
            if (isinstance(func, ast.Name) and func.id in EVALUATORS) or (
                isinstance(func, ast.Attribute) and func.attr in EVALUATORS
                and isinstance(func.value, ast.Name) and func.value.id in ("builtins", "__builtins__")
            ):
                lines.append(node.lineno)
    return lines


ENGINE_MODULES = sorted(ENGINE.rglob("*.py"))
APP_MODULES = sorted(APP.rglob("*.py"))


def test_the_engine_has_modules_to_check() -> None:
    """The checks below see the engine's modules (a moved directory would make them pass vacuously)."""
    names = {p.name for p in ENGINE_MODULES}
    assert {"walk.py", "conditions.py", "loader.py", "explain.py", "answers.py"} <= names


@pytest.mark.parametrize("path", ENGINE_MODULES, ids=lambda p: p.name)
def test_engine_module_does_not_import_the_web_layer(path: Path) -> None:
    """No engine module imports fastapi, starlette, jinja2, uvicorn or httpx, nor app.web, app.main or
    app.cli, whether absolutely, relatively or through importlib: the engine stays pure."""
    assert web_imports(path) == []


@pytest.mark.parametrize("path", APP_MODULES, ids=lambda p: str(p.relative_to(APP)))
def test_no_module_calls_eval_or_exec(path: Path) -> None:
    """Nothing under app/ calls eval() or exec(): rules are data, never code."""
    assert evaluator_calls(path.read_text(encoding="utf-8")) == []


def test_the_import_check_catches_each_way_of_importing() -> None:
    """The checker itself finds absolute, relative, from-package and importlib imports of the web layer,
    and leaves the engine's own and the standard library's imports alone."""
    source = "\n".join([
        "import fastapi.routing",
        "from starlette.responses import Response",
        "from ..web import api",
        "from .. import main",
        "from app import cli",
        "import importlib",
        "importlib.import_module('jinja2')",
        "__import__('httpx')",
        "from .conditions import Fact",
        "from . import walk",
        "import datetime",
    ])
    found = {name for _, name in imported_modules(source, "app.engine.walk") if forbidden(name)}
    assert found == {"fastapi.routing", "starlette.responses", "starlette.responses.Response", "app.web",
                     "app.web.api", "app.main", "app.cli", "jinja2", "httpx"}
    package = [name for _, name in imported_modules("from .. import web", "app.engine", is_package=True)]
    assert "app.web" in package


def test_the_evaluator_check_catches_calls_not_names() -> None:
    """The checker finds eval() and exec() calls, builtins.eval included, but not other uses of the words."""
    source = "x = eval('1')\nbuiltins.exec('y = 2')\nfn = 'eval'\nexecute = 3\nobj.eval_rules()\n"
    assert evaluator_calls(source) == [1, 2]
