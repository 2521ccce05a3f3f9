"""The floor plan's size rules hold: no module over 450 lines (migrations aside; the tests included), no
function or route handler over 80 lines, and an import inside a function only where it is a deliberately
lazy heavy import that says why (those two for the product packages only: a test may be long)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("dti", "connectors", "simulators", "expectations", "assets", "pipelines", "review", "application")
MAX_MODULE_LINES = 450
MAX_FUNCTION_LINES = 80


def _modules():
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def _test_modules():
    yield from sorted((ROOT / "tests").rglob("*.py"))


def test_no_module_is_over_450_lines():
    modules = [*_modules(), *_test_modules()]
    long = {str(p.relative_to(ROOT)): n for p in modules
            if (n := p.read_text(encoding="utf-8").count("\n")) > MAX_MODULE_LINES}
    assert long == {}


def test_no_function_is_over_80_lines():
    long = []
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({length} lines)")
    assert long == []


def _says_lazy(lines: list[str], index: int) -> bool:
    """The import's line, or the comment and imports just above it (one block), says why it is lazy."""
    while index >= 0:
        line = lines[index].strip()
        if "lazy" in line:
            return True
        if not (line.startswith(("import ", "from ", "#")) or not line):
            return False
        index -= 1
    return False


def test_imports_inside_functions_are_lazy_heavy_imports_that_say_why():
    unexplained = []
    for path in _modules():
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        for node in ast.walk(ast.parse(text)):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for inner in ast.walk(node):
                if isinstance(inner, ast.Import | ast.ImportFrom) and not _says_lazy(lines, inner.lineno - 1):
                    unexplained.append(f"{path.relative_to(ROOT)}:{inner.lineno}: {lines[inner.lineno - 1].strip()}")
    assert unexplained == []
