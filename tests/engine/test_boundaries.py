"""The engine's boundaries: it never imports the web layer, its callers use only its public API
(``app.engine``), and no code under app/ evaluates strings."""

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


def from_target(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    """The module a ``from ... import`` statement reads from, relative imports resolved."""
    if not node.level:
        return node.module or ""
    base = (module if is_package else module.rpartition(".")[0]).split(".")
    base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
    return ".".join([*base, node.module] if node.module else base)


def literal_import(node: ast.Call) -> str | None:
    """The name in ``importlib.import_module('...')`` or ``__import__('...')`` with a literal string."""
    if node.args and isinstance(node.args[0], ast.Constant):
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if name in ("import_module", "__import__") and isinstance(node.args[0].value, str):
            return node.args[0].value
    return None


def imported_modules(source: str, module: str, is_package: bool = False) -> Iterator[tuple[int, str]]:
    """Every module a source file imports (relative imports resolved), with its line; including
    ``importlib.import_module('...')`` and ``__import__('...')`` with a literal name."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            target = from_target(node, module, is_package)
            yield node.lineno, target
            for alias in node.names:  # `from app import web` imports app.web
                yield node.lineno, f"{target}.{alias.name}"
        elif isinstance(node, ast.Call) and (name := literal_import(node)) is not None:
            yield node.lineno, name


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
ENGINE_SUBMODULES = {module_name(path) for path in ENGINE_MODULES} - {"app.engine"}
# The callers held to the public API: the web layer, the app factory, the command line and case notes.
ENGINE_CALLERS = sorted([*(APP / "web").rglob("*.py"), APP / "main.py", APP / "cli.py", APP / "case_notes.py"])


def public_engine_names() -> set[str]:
    """The names in ``app.engine.__all__``, read from the source (so a broken engine still gets checked)."""
    for node in ast.parse((ENGINE / "__init__.py").read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            assert isinstance(node.value, ast.List | ast.Tuple)
            return {elt.value for elt in node.value.elts
                    if isinstance(elt, ast.Constant) and isinstance(elt.value, str)}
    return set()


PUBLIC_ENGINE_NAMES = public_engine_names()


def deep_engine_imports(source: str, module: str, is_package: bool = False) -> list[tuple[int, str]]:
    """Each import of a module behind ``app.engine`` (``app.engine.walk``, ``from ..engine.loader import``,
    ``from app.engine import diagram`` where ``diagram`` is a module and not a public name), with its line.
    ``from app.engine import assess`` and ``import app.engine`` are the public way in."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names if alias.name.startswith("app.engine.")]
        elif isinstance(node, ast.ImportFrom):
            target = from_target(node, module, is_package)
            if target.startswith("app.engine."):
                found.append((node.lineno, target))
            elif target == "app.engine":
                found += [(node.lineno, f"{target}.{alias.name}") for alias in node.names
                          if alias.name not in PUBLIC_ENGINE_NAMES and f"{target}.{alias.name}" in ENGINE_SUBMODULES]
        elif isinstance(node, ast.Call) and (name := literal_import(node) or "").startswith("app.engine."):
            found.append((node.lineno, name))
    return found


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


def test_the_engine_api_is_read() -> None:
    """The checks below see the engine's public names and its callers (so they cannot pass vacuously)."""
    assert {"assess", "load", "Outcome", "Rulebook", "verify"} <= PUBLIC_ENGINE_NAMES
    assert {"app.engine.walk", "app.engine.loader"} <= ENGINE_SUBMODULES
    assert {APP / "cli.py", APP / "case_notes.py", APP / "main.py", APP / "web" / "pages.py"} <= set(ENGINE_CALLERS)


@pytest.mark.parametrize("path", ENGINE_CALLERS, ids=lambda p: str(p.relative_to(APP)))
def test_callers_import_the_engine_only_through_its_api(path: Path) -> None:
    """The web layer, app/main.py, the command line and case notes import the engine as ``app.engine``
    (its ``__all__``), never a module behind it, so the engine can be reorganised without breaking them."""
    source = path.read_text(encoding="utf-8")
    deep = deep_engine_imports(source, module_name(path), path.name == "__init__.py")
    assert [f"{path.relative_to(APP.parent)}:{line}: imports {name}" for line, name in deep] == []


def test_the_api_check_catches_each_way_of_reaching_behind_it() -> None:
    """The checker flags absolute, relative, submodule-from-package and importlib imports of engine
    modules, and leaves the public names (``verify`` is one, though a module shares its name) alone."""
    source = "\n".join([
        "from app.engine.walk import assess",
        "from ..engine.loader import load_rulebook",
        "import app.engine.verify",
        "from app.engine import diagram",
        "importlib.import_module('app.engine.scenarios')",
        "from app.engine import assess, Outcome, verify",
        "from ..engine import Rulebook",
        "from .. import engine",
        "import app.engine",
        "from app.web.pages import router",
    ])
    found = sorted(deep_engine_imports(source, "app.web.pages"))
    assert found == [(1, "app.engine.walk"), (2, "app.engine.loader"), (3, "app.engine.verify"),
                     (4, "app.engine.diagram"), (5, "app.engine.scenarios")]
