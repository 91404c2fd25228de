"""The size the project keeps outside tests and benchmarks: no module over 300 lines, no
function body over 40 lines (docstrings not counted), so that each file holds one concept."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MAX_MODULE_LINES = 300
MAX_BODY_LINES = 40


def sources() -> list[Path]:
    files = [*ROOT.joinpath("evogroup").rglob("*.py"), *ROOT.joinpath("backends").rglob("*.py")]
    return sorted(f for f in files if "tests" not in f.relative_to(ROOT).parts)


def body_lines(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    body = node.body
    if isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the docstring
    return body[-1].end_lineno - body[0].lineno + 1 if body else 0


@pytest.mark.parametrize("path", sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_modules_and_functions_stay_small(path):
    text = path.read_text()
    lines = len(text.splitlines())
    assert lines <= MAX_MODULE_LINES, f"{path.name} has {lines} lines (at most {MAX_MODULE_LINES})"
    long = [
        f"{node.name} ({body_lines(node)} lines)"
        for node in ast.walk(ast.parse(text))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and body_lines(node) > MAX_BODY_LINES
    ]
    assert not long, f"{path.name}: function bodies over {MAX_BODY_LINES} lines: {', '.join(long)}"
